#!/usr/bin/env bash
# VRRP drill: a failing track_script demotes the master. a (150) tracks `chk` (test -e FILE,
# every 0.1 s, weight -60, fall 2, rise 2) and `slow` (a script that hangs; timeout 0.3 s, so
# it always fails and never stalls the loop). FILE removed: a's priority drops to 90 < b's
# 100 and b takes the VIP over (Master_Down_Interval after a's last priority-150 advert).
# FILE back: a returns to 150 and preempts.   Usage: vrrp_trackscript.sh VIGIL_BINARY
set -euo pipefail
VIGIL=${1:?vigil binary}
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/vrrp_lib.sh"
vrrp_need
vrrp_topo

touch "$WORK/a-ok"
cat >"$WORK/scripts.conf" <<CONF
vrrp_script chk {
    script "test -e $WORK/a-ok"
    interval 0.1
    weight -60
    fall 2
    rise 2
}
vrrp_script slow {
    script "sleep 7.31"
    interval 0.1
    timeout 0.3
    weight 5
}
CONF
vrrp_conf a 150 3 0.1 "    track_script {
        chk
        slow
    }"
cat "$WORK/scripts.conf" >>"$WORK/a.conf"
vrrp_conf b 100
vigil_start a
wait_for 5 has_vip a || fail "a did not become master: $(tail -5 "$WORK/a.log")"
vigil_start b
wait_for 3 client_reaches_is a || fail "client does not reach a"
sleep 1
wait_for 2 log_has a "VRRP_Script(slow) failed (timed out" || fail "the hanging script was not timed out"
exactly_one_master 1
has_vip a || fail "a lost the VIP while its hanging script was being killed"
stray=$(pgrep -fc "sleep 7.31" || true)
((stray <= 1)) || fail "$stray hanging scripts left running"
echo "the hanging script times out every 0.3 s; a keeps the VIP ($stray running now)"

t0=$(now)
rm "$WORK/a-ok"
takeover_times "$t0" b
wait_for 2 not_has_vip a || fail "a kept the VIP"
log_has a "VRRP_Script(chk) failed" || fail "a did not log the failure"
log_has a "effective priority 150 -> 90" || fail "a did not drop to 90"
echo "chk fails on a (150 -> 90): VIP on b +${T_VIP} ms, client answered by b +${T_CLIENT} ms"
((T_VIP <= 800)) || fail "handover took ${T_VIP} ms"
exactly_one_master 1

t0=$(now)
touch "$WORK/a-ok"
takeover_times "$t0" a
wait_for 2 not_has_vip b || fail "b kept the VIP"
log_has a "effective priority 90 -> 150" || fail "a did not return to 150"
echo "chk succeeds again (rise 2): a preempts, VIP on a +${T_VIP} ms"
echo "PASS: a failing track_script demotes the master"
