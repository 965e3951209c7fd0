#!/usr/bin/env bash
# VRRP drill: an IPv6 VIP (VRRPv3 over IPv6, ff02::12 from the link-local addresses, advert_int
# 0.1 s). The higher priority holds 2001:db8::100; the client's neighbour table learns its MAC
# from the unsolicited Neighbor Advertisement (R=1, O=1) alone; the client reaches it. On
# SIGTERM the backup takes over within skew time and the client's entry moves to its MAC.
#   Usage: vrrp_ipv6.sh VIGIL_BINARY
set -euo pipefail
VIGIL=${1:?vigil binary}
VIP=2001:db8::100
VIP_LEN=64
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/vrrp_lib.sh"
vrrp_need
[[ -e /proc/sys/net/ipv6/conf/all/accept_untracked_na ]] || skip "kernel without accept_untracked_na (< 5.19)"
vrrp_topo
# RFC 9131 (accept_untracked_na): a router creates a neighbour entry from an unsolicited NA.
# The client forwards, so that the first NA alone is visible in its table.
ip netns exec "${P}c" sysctl -qw net.ipv6.conf.eth0.forwarding=1

vrrp_conf a 150
vrrp_conf b 100
vigil_start a
vigil_start b
wait_for 5 has_vip a || fail "a (priority 150) did not take the IPv6 VIP"
exactly_one_master 1
wait_for 2 client_neigh_is a || fail "client neighbour for $VIP is '$(client_neigh_mac)', not a's $(mac_of a)"
echo "client learned $VIP -> $(client_neigh_mac) (a) from the unsolicited NA"
client_pings_vip || fail "client cannot ping $VIP"
wait_for 2 client_reaches_is a || fail "client reaches '$(client_reaches)' on $VIP, not a"

t0=$(now)
kill -TERM "$PID_a"
takeover_times "$t0" b
wait_for 2 client_neigh_is b || fail "client neighbour is '$(client_neigh_mac)', not b's $(mac_of b)"
echo "SIGTERM of master -> IPv6 VIP on b +${T_VIP} ms, client answered by b +${T_CLIENT} ms"
((T_VIP <= 200)) || fail "IPv6 handoff took ${T_VIP} ms"
grep -E "dropped a message|advert discarded" "$WORK/b.log" | grep -v own_advert && fail "b dropped adverts"
echo "PASS: IPv6 VIP, unsolicited NA, handoff"
