#!/usr/bin/env bash
# VRRP drill: nopreempt. b (priority 100) is master alone; a (priority 150, nopreempt) joins
# and stays backup: exactly one master, b, for 2 s while a hears b's lower-priority adverts.
# When b stops (priority 0) a takes over; b restarted stays backup (a outranks it).
# For contrast a without nopreempt preempts within Master_Down_Interval.
#   Usage: vrrp_nopreempt.sh VIGIL_BINARY
set -euo pipefail
VIGIL=${1:?vigil binary}
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/vrrp_lib.sh"
vrrp_need
vrrp_topo

vrrp_conf a 150 3 0.1 "    nopreempt"
vrrp_conf b 100
vigil_start b
wait_for 5 has_vip b || fail "b alone did not become master"
vigil_start a
wait_for 2 log_has a "(VI_1) entering BACKUP state: startup" || fail "a did not start as backup"
exactly_one_master 2
has_vip b || fail "b lost the VIP to a nopreempt a"
log_has a "entering MASTER" && fail "a (nopreempt) became master"
client_reaches_is b || fail "client does not reach b"
echo "a (150, nopreempt) stayed backup behind b (100) for 2 s"

t0=$(now)
kill -TERM "$PID_b"
takeover_times "$t0" a
echo "b stopped -> VIP on a +${T_VIP} ms, client answered by a +${T_CLIENT} ms"
vigil_start b
sleep 1
exactly_one_master 1
has_vip a || fail "a lost the VIP to the restarted b"

# Without nopreempt the same a preempts.
kill -TERM "$PID_a"
wait_for 3 has_vip b || fail "b did not take over from a"
vrrp_conf a 150
vigil_start a
t0=$(now)
takeover_times "$t0" a
echo "a without nopreempt preempted b in +${T_VIP} ms"
((T_VIP <= 600)) || fail "preemption took ${T_VIP} ms"
echo "PASS: nopreempt keeps a higher-priority backup from preempting"
