#!/usr/bin/env bash
# VRRP drill: use_vmac. Each node runs VI_1 (VRID 51) on a macvlan vrrp.51 of eth0 (mode
# private, MAC 00:00:5e:00:01:33); the VIP is on it, adverts and gratuitous ARPs leave from
# it. The client's neighbour entry for the VIP is the VMAC, and stays the VMAC when the
# SIGKILLed master's backup takes over. The crashed master's macvlan is reused when it comes
# back, one deleted by hand is made anew, eth0 down is a FAULT; SIGTERM removes the macvlans and puts eth0's arp_ignore / arp_filter back. A second
# part runs the pair with vmac_xmit_base (adverts on eth0, the VIP and its ARP on the VMAC), a
# third with an IPv6 VIP.
#   Usage: vrrp_vmac.sh VIGIL_BINARY
set -euo pipefail
VIGIL=${1:?vigil binary}
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/vrrp_lib.sh"
vrrp_need
vrrp_topo

VMAC=00:00:5e:00:01:33
VIF=vrrp.51
has_vip() { ip -n "${P}$1" -br addr show dev "$VIF" 2>/dev/null | grep -qw -- "$VIP/$VIP_LEN"; }
not_has_vip() { ! has_vip "$1"; }
has_vif() { ip -n "${P}$1" link show dev "$VIF" >/dev/null 2>&1; }
no_vif() { ! has_vif "$1"; }
sysctl_of() { ip netns exec "${P}$1" cat "/proc/sys/net/ipv4/conf/$2/$3"; }
stop_node() {  # SIGTERM, then wait for the process to go
  local pid=PID_$1
  kill -TERM "${!pid}"
  wait_for 5 bash -c "! kill -0 ${!pid} 2>/dev/null" || fail "$1 did not stop on SIGTERM"
}
# The bridge port the switch learnt the VMAC on: the master's adverts carry it as source.
vmac_port_is() { bridge -n "${P}sw" fdb show br br0 | grep -q "^$VMAC dev p$1 "; }
client_vmac() {  # the client reaches the VIP and its neighbour entry is the VMAC
  client_pings_vip && [[ $(client_neigh_mac) == "$VMAC" ]]
}

# Non-default values on b's eth0 that must come back after its run.
ip netns exec "${P}b" sysctl -qw net.ipv4.conf.eth0.arp_ignore=2
vrrp_conf a 150 3 0.1 "    use_vmac"
vrrp_conf b 100 3 0.1 "    use_vmac"
vigil_start a
wait_for 5 has_vip a || fail "a did not become master on $VIF: $(tail -5 "$WORK/a.log")"
details=$(ip -n "${P}a" -d link show dev "$VIF")
grep -q "macvlan mode private" <<<"$details" || fail "$VIF is not a private macvlan: $details"
grep -q "link/ether $VMAC" <<<"$details" || fail "$VIF has not the VMAC: $details"
grep -q "@eth0" <<<"$details" || fail "$VIF is not on eth0: $details"
[[ $(sysctl_of a eth0 arp_ignore)/$(sysctl_of a eth0 arp_filter)/$(sysctl_of a eth0 arp_announce) == 1/1/2 ]] || fail "eth0 arp_ignore/arp_filter/arp_announce not set"
[[ $(sysctl_of a "$VIF" arp_ignore)/$(sysctl_of a "$VIF" rp_filter) == 1/0 ]] || fail "$VIF arp_ignore/rp_filter not set"
not_has_vip_eth0() { ! ip -n "${P}a" -br addr show dev eth0 | grep -qw -- "$VIP"; }
not_has_vip_eth0 || fail "the VIP is on eth0"

vigil_start b
wait_for 5 has_vif b || fail "b has no $VIF"
exactly_one_master 2  # b hears a's adverts on its own macvlan (their source MAC is its VMAC too)
log_has b "entering BACKUP" || fail "b is not backup: $(tail -5 "$WORK/b.log")"
log_has b "entering MASTER" && fail "b became master beside a: does it hear a's adverts?"
[[ $(sysctl_of b eth0 arp_ignore) == 1 ]] || fail "b's eth0 arp_ignore not set"
wait_for 3 client_vmac || fail "client: VIP neighbour '$(client_neigh_mac)', not $VMAC"
wait_for 3 client_reaches_is a || fail "client does not reach a"
wait_for 2 vmac_port_is a || fail "the switch did not learn the VMAC on a's port: $(bridge -n "${P}sw" fdb show br br0 | grep -i 00:00:5e)"
echo "client reaches a on $VIP, neighbour $(client_neigh_mac)"

sleep "0.$((RANDOM % 10))"
t0=$(now)
kill -KILL "$PID_a"
takeover_times "$t0" b
wait_for 2 client_vmac || fail "after takeover: VIP neighbour '$(client_neigh_mac)', not $VMAC"
mac=$(client_neigh_mac)
wait_for 2 vmac_port_is b || fail "the switch did not learn the VMAC on b's port"
echo "SIGKILL of master -> VIP on b +${T_VIP} ms, client answered by b +${T_CLIENT} ms, neighbour $mac"
((T_VIP <= 500)) || fail "takeover slower than Master_Down_Interval (+${T_VIP} ms)"

# a comes back: the crash left its macvlan (and the VIP on it); reused, the VIP removed, preempts.
wait_for 2 bash -c "! kill -0 $PID_a 2>/dev/null" || fail "a survived SIGKILL"
has_vif a || fail "the crashed a's $VIF is gone: was it really a crash?"
vigil_start a
wait_for 5 has_vip a || fail "restarted a did not preempt"
wait_for 2 not_has_vip b || fail "b kept the VIP"
log_has a "reusing VMAC interface $VIF" || fail "a did not reuse its $VIF: $(grep -i vmac "$WORK/a.log" | tail -3)"
wait_for 3 client_reaches_is a || fail "client does not reach a again"
wait_for 2 client_vmac || fail "after preemption: VIP neighbour '$(client_neigh_mac)', not $VMAC"

# The master's macvlan deleted by hand: FAULT, a makes it anew and is master again.
ifindex_before=$(ip -n "${P}a" -o link show dev "$VIF" | cut -d: -f1)
ip -n "${P}a" link del "$VIF"
# a makes it anew within milliseconds and, a Backup again, takes the VIP back before or after
# b's Master_Down_Timer runs out: either way a ends up master on a new vrrp.51.
wait_for 5 has_vip a || fail "a did not make its $VIF anew: $(tail -5 "$WORK/a.log")"
[[ $(ip -n "${P}a" -o link show dev "$VIF" | cut -d: -f1) != "$ifindex_before" ]] || fail "$VIF was not made anew"
wait_for 2 not_has_vip b || fail "b kept the VIP"
wait_for 3 client_vmac || fail "after $VIF was made anew: VIP neighbour '$(client_neigh_mac)', not $VMAC"
echo "$VIF deleted by hand on the master: made anew, a master again, neighbour $(client_neigh_mac)"

# The base going down is a FAULT (the macvlan loses its carrier with it); back up, a preempts.
faults=$(grep -c "entering FAULT" "$WORK/a.log" || true)
more_faults() { (($(grep -c "entering FAULT" "$WORK/a.log") > faults)); }
ip -n "${P}a" link set eth0 down
wait_for 3 more_faults || fail "a did not enter FAULT with eth0 down"
wait_for 5 has_vip b || fail "b did not take over when a's eth0 went down"
ip -n "${P}a" link set eth0 up
wait_for 5 has_vip a || fail "a did not come back when eth0 came up: $(tail -3 "$WORK/a.log")"
wait_for 2 not_has_vip b || fail "b kept the VIP"
wait_for 3 client_vmac || fail "after eth0 came back: VIP neighbour '$(client_neigh_mac)', not $VMAC"
echo "eth0 down on the master: FAULT, b took over; eth0 up: a master again"

stop_node b
no_vif b || fail "b's $VIF is still there after SIGTERM: $(tail -8 "$WORK/b.log")"
[[ $(sysctl_of b eth0 arp_ignore)/$(sysctl_of b eth0 arp_filter) == 2/0 ]] ||
  fail "b's eth0 arp_ignore/arp_filter not restored: $(sysctl_of b eth0 arp_ignore)/$(sysctl_of b eth0 arp_filter)"
stop_node a
no_vif a || fail "a's $VIF is still there after SIGTERM"
echo "SIGTERM: $VIF removed on both, b's eth0 arp_ignore 2 / arp_filter 0 restored"

# vmac_xmit_base: adverts from eth0 (source MAC eth0's), the VIP and its ARP on the VMAC.
vrrp_conf a 150 3 0.1 "    use_vmac
    vmac_xmit_base"
vrrp_conf b 100 3 0.1 "    use_vmac
    vmac_xmit_base"
: >"$WORK/a.log"
: >"$WORK/b.log"
vigil_start a
wait_for 5 has_vip a || fail "xmit_base: a did not become master: $(tail -5 "$WORK/a.log")"
vigil_start b
exactly_one_master 2
log_has b "entering MASTER" && fail "xmit_base: b became master beside a"
wait_for 3 client_vmac || fail "xmit_base: VIP neighbour '$(client_neigh_mac)', not $VMAC"
# A handoff (SIGTERM: priority 0, the VIP and a's macvlan removed). Not a SIGKILL here: the
# adverts do not carry the VMAC, so after a crash the bridge would follow whichever macvlan
# spoke last, and a's, left with the VIP, still answers ARP.
t0=$(now)
kill -TERM "$PID_a"
takeover_times "$t0" b
wait_for 2 client_vmac || fail "xmit_base after takeover: VIP neighbour '$(client_neigh_mac)', not $VMAC"
echo "xmit_base: SIGTERM of master -> VIP on b +${T_VIP} ms, client answered by b +${T_CLIENT} ms, neighbour $(client_neigh_mac)"
wait_for 5 no_vif a || fail "xmit_base: a's $VIF is still there after SIGTERM"
stop_node b
no_vif b || fail "xmit_base: b's $VIF is still there after SIGTERM"

# IPv6: VMAC 00:00:5e:00:02:33, the macvlan without an address of its own (addr_gen_mode none)
# but eth0's link-local to send adverts from; the client learns the VMAC from the NA.
VMAC=00:00:5e:00:02:33
vip_set 2001:db8::100 64
vrrp_conf a 150 3 0.1 "    use_vmac"
vrrp_conf b 100 3 0.1 "    use_vmac"
: >"$WORK/a.log"
: >"$WORK/b.log"
vigil_start a
wait_for 5 has_vip a || fail "IPv6: a did not become master: $(tail -5 "$WORK/a.log")"
vigil_start b
exactly_one_master 2
log_has b "entering MASTER" && fail "IPv6: b became master beside a"
ll=$(ip -n "${P}a" -6 -o addr show dev eth0 scope link | awk '{print $4}')
ip -n "${P}a" -6 -o addr show dev "$VIF" scope link | grep -q "$ll" || fail "IPv6: $VIF has not eth0's link-local $ll"
ip -n "${P}a" -d link show dev "$VIF" | grep -q "addrgenmode none" || fail "IPv6: $VIF generates addresses"
wait_for 3 client_vmac || fail "IPv6: VIP neighbour '$(client_neigh_mac)', not $VMAC"
t0=$(now)
kill -KILL "$PID_a"
takeover_times "$t0" b
wait_for 2 client_vmac || fail "IPv6 after takeover: VIP neighbour '$(client_neigh_mac)', not $VMAC"
echo "IPv6: SIGKILL of master -> VIP on b +${T_VIP} ms, client answered by b +${T_CLIENT} ms, neighbour $(client_neigh_mac)"
stop_node b
no_vif b || fail "IPv6: b's $VIF is still there after SIGTERM"
echo "PASS: use_vmac (VMAC on $VIF), IPv4 and IPv6, crash failover, reuse after a crash, removal at stop, vmac_xmit_base"
