#!/usr/bin/env bash
# harness_test.sh - self-test of vm-run.sh's promises, in 3 boots (~10 s under TCG):
# byte-exact stdout, separate stderr, exit status, working directory, read-write share,
# time limit -> 124, VM death -> 125, usage error -> 2. Run it after changing the harness.
# Exit 0 pass, 1 fail, 77 skipped.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/vm_lib.sh"
vm_need

V=$VM_RUN
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
failed=0
check() { # check NAME GOT WANT
    if [[ $2 == "$3" ]]; then echo "PASS: $1"; else echo "FAIL: $1 (got '$2', want '$3')"; failed=1; fi
}

"$VM_BUILD_IMAGES" -q || fail "build-initramfs.sh failed"

# 1. one boot: 1 MB of binary on stdout, a line on stderr, a file written, status 42
head -c 1000000 /dev/urandom > "$T/blob"
printf 'previous line\n' > "$T/out"   # the relay must append, not overwrite
"$V" "$T" sh -c 'cat blob; echo err >&2; pwd > from-guest; exit 42' >> "$T/out" 2> "$T/err"
check "exit status is passed back" $? 42
{ printf 'previous line\n'; cat "$T/blob"; } > "$T/want"
check "1 MB binary stdout is byte exact, appended" "$(cmp -s "$T/want" "$T/out" && echo same)" same
check "stderr is separate and exact" "$(cat "$T/err")" err
check "CMD runs in DIR, shared read-write at the same path" "$(cat "$T/from-guest")" "$(cd "$T" && pwd -P)"

# 2. time limit
"$V" -t 4 "$T" sleep 60 2> "$T/err"
check "time limit -> 124" $? 124

# 3. the guest dies (kernel panic; panic=-1 + -no-reboot end qemu)
"$V" "$T" sh -c 'echo c > /proc/sysrq-trigger; sleep 30' 2> "$T/err"
check "VM died -> 125" $? 125
check "the console tail is shown" "$(grep -c 'last lines of the guest console' "$T/err")" 1

"$V" "$T" 2> /dev/null
check "usage error -> 2" $? 2

exit $failed
