#!/usr/bin/env bash
# VRRP drill (b): SIGKILL of the master. No priority-0 advert is sent; the backup takes over
# after Master_Down_Interval (3 x 100 ms + skew 60 ms for priority 100 = 360 ms, minus the
# time since the last advert), the client's neighbour entry moves to the backup's MAC and the
# client reaches it. The killed master restarts: it removes the stale VIP a crash left on its
# interface, joins as backup and preempts. Prints the takeover times of each trial.
#   Usage: vrrp_crash.sh VIGIL_BINARY [TRIALS]
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

results=()
for trial in $(seq 1 "$TRIALS"); do
  sleep "0.$((RANDOM % 10))"  # a random phase against a's adverts
  t0=$(now)
  kill -KILL "$PID_a"
  takeover_times "$t0" b
  wait_for 2 client_neigh_is b || fail "client neighbour is '$(client_neigh_mac)', not b's $(mac_of b)"
  has_vip a || fail "the SIGKILLed master's VIP is gone: was it really a crash?"
  echo "trial $trial: SIGKILL of master -> VIP on b +${T_VIP} ms, client answered by b +${T_CLIENT} ms"
  results+=("$T_VIP/$T_CLIENT")
  ((T_VIP <= 500)) || fail "takeover slower than Master_Down_Interval (+${T_VIP} ms)"

  # Restart a: it must drop the stale VIP before joining, then preempt b.
  wait_for 2 bash -c "! kill -0 $PID_a 2>/dev/null" || fail "a survived SIGKILL"
  vigil_start a
  wait_for 5 has_vip a || fail "restarted a did not preempt"
  wait_for 2 not_has_vip b || fail "b kept the VIP"
  log_has a "removed stale address $VIP/$VIP_LEN dev eth0" || fail "restarted a did not report the stale VIP"
  wait_for 3 client_reaches_is a || fail "client does not reach a again"
done
echo "PASS: crash failover; takeover ms (VIP/client): ${results[*]}"
