#!/usr/bin/env bash
# VM test (ctest ipvs_vm, label vm): `vigil ipvs apply|show` against real kernel IPVS, in one
# boot of Debian's kernel under qemu (tests/vm). The checks run in the guest:
# ipvs_glue/tests/vm_ipvs_guest.sh. Exit 0 pass, 1 fail, 77 skipped.
# Usage: vm_ipvs_test.sh VIGIL_BINARY
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../../tests/vm/vm_lib.sh"
VIGIL=${1:?usage: vm_ipvs_test.sh VIGIL_BINARY}
vm_need
[[ -x $VIGIL ]] || fail "no vigil binary at $VIGIL"

# The bundle (vigil and its libraries) is shared into the guest at the same path.
bundle=$(mktemp -d)
trap 'rm -rf "$bundle"; cleanup' EXIT
"$VM_BUNDLE" "$VIGIL" "$bundle" > /dev/null || fail "bundle-bin.sh failed"
"$VM_BUILD_IMAGES" || fail "build-initramfs.sh failed"

set +e
"$VM_RUN" -t 240 -s "$bundle" "$VM_REPO" sh ipvs_glue/tests/vm_ipvs_guest.sh "$bundle/bin/vigil"
rc=$?
set -e
[[ $rc -eq 0 ]] || fail "the guest checks failed (exit status $rc)"
echo "PASS: ipvs_vm"
