#!/usr/bin/env bash
# VRRP drill: the master's link goes down. The netlink link monitor moves its instance to
# FAULT, which releases the VIP; the backup takes over (after Master_Down_Interval: the
# priority-0 advert cannot leave a down link). When the link comes back, the instance starts
# again as backup and preempts with a fresh gratuitous ARP.   Usage: vrrp_linkdown.sh VIGIL
set -euo pipefail
VIGIL=${1:?vigil binary}
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

t0=$(now)
ip -n "${P}a" link set eth0 down
takeover_times "$t0" b
wait_for 2 not_has_vip a || fail "a kept the VIP with its link down"
log_has a "(VI_1) entering FAULT state: fault raised" || fail "a did not enter FAULT"
echo "link down on the master -> a FAULT, VIP on b +${T_VIP} ms, client answered by b +${T_CLIENT} ms"

ip -n "${P}a" link set eth0 up
wait_for 5 has_vip a || fail "a did not come back as master after link up"
wait_for 2 not_has_vip b || fail "b kept the VIP"
wait_for 3 client_neigh_is a || fail "client neighbour did not move back to a"
wait_for 3 client_reaches_is a || fail "client does not reach a again"
log_has a "entering BACKUP state: fault cleared" || fail "a did not restart as backup"
echo "PASS: link down -> FAULT and release, link up -> backup -> preempt"
