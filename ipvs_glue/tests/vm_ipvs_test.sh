#!/usr/bin/env bash
# VM tests (ctest ipvs_vm and ipvs_vm_traffic, label vm): `vigil ipvs` against real kernel
# IPVS, in one boot of Debian's kernel under qemu (tests/vm) per script. The checks run in
# the guest: ipvs_glue/tests/vm_ipvs_guest.sh (default; attributes both ways, drift) or the
# one named (vm_ipvs_traffic_guest.sh: traffic through NAT, DR and TUN). Exit 0 pass, 1 fail,
# 77 skipped.
# Usage: vm_ipvs_test.sh VIGIL_BINARY [GUEST_SCRIPT]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../../tests/vm/vm_lib.sh"
VIGIL=${1:?usage: vm_ipvs_test.sh VIGIL_BINARY [GUEST_SCRIPT]}
GUEST=${2:-vm_ipvs_guest.sh}
vm_need
[[ -x $VIGIL ]] || fail "no vigil binary at $VIGIL"
[[ -f $HERE/$GUEST ]] || fail "no guest script $HERE/$GUEST"

# The bundle (vigil and its libraries) is shared into the guest at the same path.
bundle=$(mktemp -d)
trap 'rm -rf "$bundle"; cleanup' EXIT
"$VM_BUNDLE" "$VIGIL" "$bundle" > /dev/null || fail "bundle-bin.sh failed"
"$VM_BUILD_IMAGES" || fail "build-initramfs.sh failed"

set +e
"$VM_RUN" -t 330 -s "$bundle" "$VM_REPO" sh "ipvs_glue/tests/$GUEST" "$bundle/bin/vigil"
rc=$?
set -e
[[ $rc -eq 0 ]] || fail "the guest checks failed (exit status $rc)"
echo "PASS: ${GUEST%.sh}"
