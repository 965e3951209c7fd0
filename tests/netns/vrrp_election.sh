#!/usr/bin/env bash
# VRRP drill (a): election by priority. Two vigil nodes (priority 150 and 100, VRRPv3,
# advert_int 0.1 s) and a client on a bridge. The higher priority holds the VIP, the other
# does not; the client's neighbour table learns the master's MAC from its gratuitous ARP
# alone, then the client reaches the master through the VIP. Started in the other order, the
# higher priority preempts. A second instance (VRID 52, priorities the other way round)
# shares each node's socket: b is its master, demultiplexed by VRID.
#   Usage: vrrp_election.sh VIGIL_BINARY
set -euo pipefail
VIGIL=${1:?vigil binary}
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/vrrp_lib.sh"
vrrp_need
vrrp_topo

vi2() {
  cat <<CONF
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    version 3
    priority $1
    advert_int 0.1
    virtual_ipaddress {
        192.0.2.101/24
    }
}
CONF
}
has_vip2() { ip -n "${P}$1" -br addr show dev eth0 | grep -qw 192.0.2.101/24; }
# notify scripts: the generic one gets keepalived's "INSTANCE name STATE priority".
printf '#!/bin/sh\necho "$*" >>"%s/notify-$(basename "$0" .sh)"\n' "$WORK" >"$WORK/a.sh"
chmod +x "$WORK/a.sh"
EXTRA_INSTANCES=$(vi2 100) vrrp_conf a 150 3 0.1 "    notify $WORK/a.sh
    notify_master \"$WORK/a.sh master-only\""
EXTRA_INSTANCES=$(vi2 150) vrrp_conf b 100
vigil_start a
vigil_start b
wait_for 5 has_vip a || fail "a (priority 150) did not take the VIP"
exactly_one_master 1
not_has_vip b || fail "b (priority 100) holds the VIP too"
log_has a "(VI_1) entering MASTER state: master down timer expired" || fail "a did not log its transition"
log_has b "(VI_1) entering BACKUP state: startup" || fail "b did not log BACKUP"
# Before the client sent anything to the VIP: its entry came from a's gratuitous ARP.
wait_for 2 client_neigh_is a || fail "client neighbour for $VIP is '$(client_neigh_mac)', not a's $(mac_of a)"
echo "client learned $VIP -> $(client_neigh_mac) (a) from the gratuitous ARP"
client_pings_vip || fail "client cannot ping $VIP"
wait_for 2 client_reaches_is a || fail "client reaches '$(client_reaches)' on $VIP, not a"
wait_for 3 has_vip2 b || fail "b is not master of VI_2"
has_vip2 a && fail "a holds VI_2's address too"
log_has a "(VI_2) entering BACKUP state" || fail "a did not log VI_2 in BACKUP"
wait_for 2 grep -q "INSTANCE VI_1 MASTER 150" "$WORK/notify-a" || fail "notify did not run: $(cat "$WORK/notify-a" 2>&1)"
grep -q "INSTANCE VI_1 BACKUP 150" "$WORK/notify-a" || fail "notify did not run for BACKUP"
grep -qx "master-only" "$WORK/notify-a" || fail "notify_master did not run"
echo "a (150) is master of VI_1, b of VI_2 (one socket each, demultiplexed by VRID); client reaches a"

# The other order: b alone becomes master, then a arrives and preempts it.
kill -TERM "$PID_a" "$PID_b"
wait_for 5 bash -c "! kill -0 $PID_a 2>/dev/null && ! kill -0 $PID_b 2>/dev/null" || fail "vigil did not stop"
not_has_vip a && not_has_vip b || fail "a stopped node left the VIP behind"
vigil_start b
wait_for 5 has_vip b || fail "b alone did not become master"
vigil_start a
wait_for 5 has_vip a || fail "a did not preempt b"
wait_for 2 not_has_vip b || fail "b kept the VIP after a preempted it"
exactly_one_master 1
wait_for 2 client_reaches_is a || fail "client does not reach a after the preemption"
echo "PASS: election by priority, preemption, GARP seen by the client"
