#!/usr/bin/env bash
# VM smoke test (ctest vm_smoke, label vm): one boot of Debian's kernel under qemu, in which
# tests/vm/smoke_guest.sh loads ip_vs, programs and reads back a service with ipvsadm, and
# pings across a veth pair between two network namespaces. Also checks what the harness
# promises: exit status, separate stdout/stderr, a second read-write share.
# Exit 0 pass, 1 fail, 77 skipped (no root, or qemu/kernel/tools missing).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/vm_lib.sh"
vm_need

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }
secs() { awk "BEGIN {printf \"%.1f\", $(now) - $1}"; }

t0=$(now)
"$VM_BUILD_IMAGES" || fail "build-initramfs.sh failed"
echo "images ready in $(secs "$t0") s"

t0=$(now)
set +e
"$VM_RUN" -t 120 -s "$tmp" "$VM_REPO" sh tests/vm/smoke_guest.sh "$tmp" > "$tmp/out" 2> "$tmp/err"
rc=$?
set -e
echo "VM run: $(secs "$t0") s, exit status $rc"
echo "--- guest stdout:"
cat "$tmp/out"
echo "--- guest stderr:"
cat "$tmp/err"
echo "---"

[[ $rc -eq 0 ]] || fail "the guest script failed (exit status $rc)"
grep -qx '== all passed' "$tmp/out" || fail "the guest did not get to the end"
[[ $(cat "$tmp/err") == "smoke: stderr relay" ]] || fail "stderr is not exactly the guest's stderr"
grep -q 'stderr relay' "$tmp/out" && fail "stderr leaked into stdout"
[[ $(cat "$tmp/from-guest" 2>/dev/null) == "$(cat "${VIGIL_VM_IMAGES:-$VM_REPO/build/vm}/kver")" ]] ||
    fail "the guest's file in the extra share is missing or wrong"
echo "PASS: vm_smoke"
