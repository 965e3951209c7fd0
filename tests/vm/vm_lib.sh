# shellcheck shell=bash
# Helpers for host-side VM test scripts. Sourced, not run: source tests/vm/vm_lib.sh
# Sources tests/lib.sh (skip, fail, ...) and adds:
#   vm_need    skip (exit 77, "SKIPPED: ...") unless root and the VM's prerequisites are here
#   VM_RUN, VM_BUNDLE, VM_BUILD_IMAGES   paths of the harness scripts; VM_REPO the repo root
VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_REPO=$(cd "$VM_DIR/../.." && pwd)
VM_RUN=$VM_DIR/vm-run.sh
VM_BUNDLE=$VM_DIR/bundle-bin.sh
VM_BUILD_IMAGES=$VM_DIR/build-initramfs.sh
source "$VM_DIR/../lib.sh"

vm_need() {
  [[ $(id -u) -eq 0 ]] || skip "needs root (qemu with 9p shares of the tree; run as root)"
  command -v qemu-system-x86_64 >/dev/null 2>&1 || skip "qemu-system-x86_64 not installed (run scripts/setup.sh)"
  compgen -G '/boot/vmlinuz-*' >/dev/null || skip "no /boot/vmlinuz-* kernel (run scripts/setup.sh)"
  local t
  for t in busybox dash ipvsadm ip nft cpio lz4 depmod modprobe python3; do
    command -v "$t" >/dev/null 2>&1 || skip "'$t' not installed (run scripts/setup.sh)"
  done
}
