#!/usr/bin/env bash
# VRRP drill: no_accept (RFC 5798 Accept_Mode false). Node a (priority 150, no_accept) is
# master of 192.0.2.100 and 2001:db8::100; its nftables table drops packets to them, so the
# client resolves the VIPs (ARP, and neighbour discovery, pass) but cannot reach them, while
# a's own address still answers. b (priority 100) is in accept mode. When a stops, its table
# goes with it, and the client reaches b through the VIP.
#   Usage: vrrp_noaccept.sh VIGIL_BINARY
set -euo pipefail
VIGIL=${1:?vigil binary}
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/vrrp_lib.sh"
vrrp_need
need_cmd nft
vrrp_topo

VIP6=2001:db8::100
has_table() { ip netns exec "${P}$1" nft list table inet vigil >/dev/null 2>&1; }
reaches() { ip netns exec "${P}c" curl -s -g --max-time 0.5 "$1" 2>/dev/null; }
ip -n "${P}a" addr add 2001:db8::11/64 dev eth0 nodad
ip -n "${P}b" addr add 2001:db8::12/64 dev eth0 nodad

vrrp_conf a 150 3 0.1 "    no_accept
    virtual_ipaddress_excluded {
        $VIP6/64
    }"
vrrp_conf b 100 3 0.1 "    virtual_ipaddress_excluded {
        $VIP6/64
    }"
vigil_start a
wait_for 5 has_vip a || fail "a did not take the VIP"
vigil_start b
log_has a "no_accept" || fail "a did not log its filter: $(tail -5 "$WORK/a.log")"
has_table a || fail "a has no nftables table inet vigil"
has_table b && fail "b (accept mode) has a filter table"
listing=$(ip netns exec "${P}a" nft list table inet vigil)
grep -q "192.0.2.100" <<<"$listing" || fail "a's table lacks $VIP: $listing"
grep -q "$VIP6" <<<"$listing" || fail "a's table lacks $VIP6: $listing"
echo "a's filter: $(grep -c drop <<<"$listing") drop rules for $VIP and $VIP6"

# ARP passes: the client learns a's MAC for the VIP; IP to the VIP is dropped.
wait_for 2 client_neigh_is a || fail "client has no neighbour entry for $VIP from a ($(client_neigh_mac))"
[[ -z $(reaches "$VIP_URL") ]] || fail "the client reached $VIP on a no_accept master"
client_pings_vip && fail "the client pinged $VIP on a no_accept master"
[[ $(reaches "http://192.0.2.11:8080/") == a ]] || fail "a's own address does not answer"
# Neighbour discovery passes for the IPv6 VIP; everything else to it is dropped.
ip netns exec "${P}c" busybox ping -c 1 -W 1 "$VIP6" >/dev/null 2>&1 && fail "the client pinged $VIP6"
wait_for 2 bash -c "ip -n ${P}c -6 neigh show $VIP6 dev eth0 | grep -q $(mac_of a)" ||
  fail "the client did not resolve $VIP6 to a: $(ip -n "${P}c" -6 neigh show "$VIP6")"
[[ -z $(reaches "http://[$VIP6]:8080/") ]] || fail "the client reached $VIP6 on a no_accept master"
echo "client resolves $VIP and $VIP6 to a but cannot reach them; a's own address answers"

kill -TERM "$PID_a"
wait_for 5 bash -c "! kill -0 $PID_a 2>/dev/null" || fail "a did not stop"
has_table a && fail "a left its nftables table behind"
wait_for 3 has_vip b || fail "b did not take over"
wait_for 3 client_reaches_is b || fail "the client does not reach b (accept mode) through $VIP"
[[ $(reaches "http://[$VIP6]:8080/") == b ]] || fail "the client does not reach b through $VIP6"
echo "PASS: no_accept drops traffic to the VIPs (ARP and ND pass), table removed on stop, accept mode serves"
