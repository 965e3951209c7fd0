#!/usr/bin/env bash
# VRRP drill: preempt_delay. b (priority 100) is master; a (priority 150, preempt_delay 1.5)
# starts and tolerates b for 1.5 s, then takes over. Checks that b still holds the VIP 1.2 s
# after a started and that a holds it by 1.5 s + an advert interval (+ margin).
#   Usage: vrrp_preempt_delay.sh VIGIL_BINARY
set -euo pipefail
VIGIL=${1:?vigil binary}
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/vrrp_lib.sh"
vrrp_need
vrrp_topo

vrrp_conf a 150 3 0.1 "    preempt_delay 1.5"
vrrp_conf b 100
vigil_start b
wait_for 5 has_vip b || fail "b alone did not become master"
vigil_start a
wait_for 2 log_has a "(VI_1) entering BACKUP state: startup" || fail "a did not start as backup"
t0=$(now)  # within 50 ms after a's startup
sleep 1.2
has_vip b || fail "b lost the VIP before preempt_delay ran out"
not_has_vip a || fail "a took the VIP before preempt_delay ran out"
takeover_times "$t0" a
wait_for 2 not_has_vip b || fail "b kept the VIP"
log_has a "entering MASTER state: preempt delay expired" || fail "a did not log the preemption"
echo "a took over ~${T_VIP} ms after it started (preempt_delay 1500 ms); client answered +${T_CLIENT} ms"
((T_VIP >= 1350 && T_VIP <= 1900)) || fail "takeover at ~${T_VIP} ms, not ~1500 ms"
exactly_one_master 1
echo "PASS: preempt_delay"
