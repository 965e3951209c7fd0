#!/usr/bin/env bash
# VM test (ctest checkers_vm, label vm): `vigil -C` drives real kernel IPVS in one boot of
# Debian's kernel under qemu (tests/vm). The guest side, checkers/tests/vm_check_guest.sh,
# stops a real server's web server and measures how long it takes to leave `ipvsadm -Ln`
# and the client's traffic, then restarts it. Exit 0 pass, 1 fail, 77 skipped.
# Usage: vm_check_test.sh VIGIL_BINARY
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../../tests/vm/vm_lib.sh"
VIGIL=${1:?usage: vm_check_test.sh VIGIL_BINARY}
vm_need
[[ -x $VIGIL ]] || fail "no vigil binary at $VIGIL"

# The bundle (vigil and its libraries) is shared into the guest at the same path.
bundle=$(mktemp -d)
trap 'rm -rf "$bundle"; cleanup' EXIT
"$VM_BUNDLE" "$VIGIL" "$bundle" > /dev/null || fail "bundle-bin.sh failed"
"$VM_BUILD_IMAGES" || fail "build-initramfs.sh failed"

set +e
"$VM_RUN" -t 240 -s "$bundle" "$VM_REPO" sh checkers/tests/vm_check_guest.sh "$bundle/bin/vigil"
rc=$?
set -e
[[ $rc -eq 0 ]] || fail "the guest checks failed (exit status $rc)"
echo "PASS: checkers_vm"
