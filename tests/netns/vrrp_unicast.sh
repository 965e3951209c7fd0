#!/usr/bin/env bash
# VRRP drill: unicast peers (unicast_src_ip, unicast_peer, check_unicast_src). Adverts go to
# the peer's address, not the group; election, SIGTERM handoff and SIGKILL takeover work as
# with multicast.   Usage: vrrp_unicast.sh VIGIL_BINARY
set -euo pipefail
VIGIL=${1:?vigil binary}
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/vrrp_lib.sh"
vrrp_need
vrrp_topo

unicast() {  # unicast SELF PEER
  printf '    unicast_src_ip %s\n    check_unicast_src\n    unicast_peer {\n        %s\n    }\n' "$1" "$2"
}
vrrp_conf a 150 3 0.1 "$(unicast 192.0.2.11 192.0.2.12)"
vrrp_conf b 100 3 0.1 "$(unicast 192.0.2.12 192.0.2.11)"
vigil_start a
vigil_start b
wait_for 5 has_vip a || fail "a did not become master over unicast"
exactly_one_master 1
# No group membership: the adverts really are unicast.
ip netns exec "${P}b" cat /proc/net/igmp | grep -qi "120000E0" && fail "b joined 224.0.0.18"
wait_for 3 client_reaches_is a || fail "client does not reach a"

t0=$(now)
kill -TERM "$PID_a"
takeover_times "$t0" b
echo "unicast: SIGTERM of master -> VIP on b +${T_VIP} ms, client answered by b +${T_CLIENT} ms"
((T_VIP <= 200)) || fail "unicast handoff took ${T_VIP} ms"
vigil_start a
wait_for 5 has_vip a || fail "a did not preempt over unicast"
wait_for 2 not_has_vip b || fail "b kept the VIP"
sleep "0.$((RANDOM % 10))"
t0=$(now)
kill -KILL "$PID_a"
takeover_times "$t0" b
echo "unicast: SIGKILL of master -> VIP on b +${T_VIP} ms, client answered by b +${T_CLIENT} ms"
echo "PASS: unicast peers"
