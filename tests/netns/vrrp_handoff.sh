#!/usr/bin/env bash
# VRRP drill (c): SIGTERM of the master. It removes its VIP and sends a priority-0 advert
# (RFC 5798 §6.4.3); the backup takes over after Skew_Time (60 ms for priority 100 at
# advert_int 0.1 s) instead of Master_Down_Interval. Prints the handoff times; they must beat
# the crash takeover by far.   Usage: vrrp_handoff.sh VIGIL_BINARY [TRIALS]
set -euo pipefail
VIGIL=${1:?vigil binary}
TRIALS=${2:-3}
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/vrrp_lib.sh"
vrrp_need
vrrp_topo

vrrp_conf a 150
vrrp_conf b 100
vigil_start a
wait_for 5 has_vip a || fail "a did not become master"
vigil_start b
wait_for 3 client_reaches_is a || fail "client does not reach a"
# SIGHUP re-reads the file; the running instances are not disturbed (reload is not applied yet).
kill -HUP "$PID_a"
wait_for 2 log_has a "reload: configuration" || fail "a did not reload"
exactly_one_master 1
has_vip a || fail "a lost the VIP on SIGHUP"

results=()
for trial in $(seq 1 "$TRIALS"); do
  sleep "0.$((RANDOM % 10))"
  t0=$(now)
  kill -TERM "$PID_a"
  takeover_times "$t0" b
  wait_for 5 bash -c "! kill -0 $PID_a 2>/dev/null" || fail "a ignored SIGTERM"
  not_has_vip a || fail "a left its VIP behind on SIGTERM"
  [[ ! -e $WORK/a.pid ]] || fail "a left its pid file"
  wait_for 2 client_neigh_is b || fail "client neighbour is '$(client_neigh_mac)', not b's"
  echo "trial $trial: SIGTERM of master -> VIP on b +${T_VIP} ms, client answered by b +${T_CLIENT} ms"
  results+=("$T_VIP/$T_CLIENT")
  ((T_VIP <= 200)) || fail "handoff took ${T_VIP} ms: the priority-0 advert did not work"
  vigil_start a
  wait_for 5 has_vip a || fail "restarted a did not preempt"
  wait_for 2 not_has_vip b || fail "b kept the VIP"
  wait_for 3 client_reaches_is a || fail "client does not reach a again"
done
log_has b "entering MASTER state: master down timer expired" || fail "b never logged MASTER"
echo "PASS: graceful handoff; ms (VIP/client): ${results[*]}"
