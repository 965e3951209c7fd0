#!/usr/bin/env bash
# VRRP drill: an interface that appears after start. a's instance is configured on eth1,
# which does not exist when vigil starts: the instance waits in FAULT. eth1 is then created
# (a second veth to the bridge), given its address and set up: the instance leaves FAULT,
# opens its socket, preempts b and the client reaches a through the VIP on eth1. Then eth1 is
# deleted: FAULT again, b takes over.   Usage: vrrp_lateif.sh VIGIL_BINARY
set -euo pipefail
VIGIL=${1:?vigil binary}
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/vrrp_lib.sh"
vrrp_need
vrrp_topo

vrrp_conf a 150
sed -i 's/interface eth0/interface eth1/' "$WORK/a.conf"
vrrp_conf b 100
vigil_start b
wait_for 5 has_vip b || fail "b did not become master"
vigil_start a
wait_for 3 log_has a "(VI_1) entering FAULT state" || fail "a did not wait in FAULT: $(tail -3 "$WORK/a.log")"
has_vip_a1() { ip -n "${P}a" -br addr show dev eth1 2>/dev/null | grep -qw -- "$VIP/$VIP_LEN"; }
sleep 0.5
has_vip b || fail "b lost the VIP"

t0=$(now)
ip -n "${P}sw" link add pa1 type veth peer name eth1 netns "${P}a"
ip -n "${P}sw" link set pa1 master br0 up
ip -n "${P}a" addr add 192.0.2.21/24 dev eth1
ip -n "${P}a" link set eth1 up
wait_for 5 has_vip_a1 || fail "a did not take the VIP on eth1: $(tail -5 "$WORK/a.log")"
echo "eth1 created: a left FAULT and holds the VIP after $(ms_since "$t0") ms"
wait_for 2 not_has_vip b || fail "b kept the VIP"
log_has a "(VI_1) interface eth1 is present" || fail "a did not log the new interface"
ip -n "${P}a" link set eth0 down  # the client must reach a through eth1
wait_for 3 client_reaches_is a || fail "client does not reach a on eth1"

ip -n "${P}sw" link del pa1
wait_for 3 has_vip b || fail "b did not take over after eth1 was deleted"
echo "PASS: an interface created after start takes its instance out of FAULT"
