# Helpers for the VRRP drills (vrrp_*.sh). Sourced after ../lib.sh.
#
#   ns ${P}a  eth0 192.0.2.11/24 --\
#   ns ${P}b  eth0 192.0.2.12/24 ----  br0 in ns ${P}sw (a switch: no STP, no forward delay)
#   ns ${P}c  eth0 192.0.2.2/24  --/   the client (and 2001:db8::2/64); VIP 192.0.2.100
#
# Only documentation addresses (192.0.2.0/24, 2001:db8::/32) inside namespaces this script creates; nothing in the root
# namespace. Each node runs a busybox httpd on :8080 answering its own name, so the client can
# tell who owns the VIP.

# vip_set ADDRESS PREFIX_LENGTH: the VIP the drill configures and checks.
vip_set() {
  VIP=$1 VIP_LEN=$2
  if [[ $VIP == *:* ]]; then VIP_URL="http://[$VIP]:8080/"; else VIP_URL="http://$VIP:8080/"; fi
}
vip_set "${VIP:-192.0.2.100}" "${VIP_LEN:-24}"
declare -A NODE_IP=([a]=192.0.2.11 [b]=192.0.2.12 [c]=192.0.2.2)

vrrp_need() {
  need_root
  need_cmd busybox
  need_cmd curl
}

# vrrp_topo: the bridge and the three namespaces, prefix $P.
vrrp_topo() {
  P=${P:-vv$$-}
  WORK=$(mktemp -d)
  mkns "${P}sw"
  ip -n "${P}sw" link add br0 type bridge
  ip -n "${P}sw" link set br0 type bridge stp_state 0 forward_delay 0
  ip -n "${P}sw" link set br0 up
  local n
  for n in a b c; do
    mkns "${P}$n"
    ip -n "${P}sw" link add "p$n" type veth peer name eth0 netns "${P}$n"
    ip -n "${P}sw" link set "p$n" master br0 up
    # No DAD for the link-local addresses: a tentative source cannot send (IPv6 drills).
    ip netns exec "${P}$n" sysctl -qw net.ipv6.conf.eth0.accept_dad=0
    ip -n "${P}$n" addr add "${NODE_IP[$n]}/24" dev eth0
    ip -n "${P}$n" link set eth0 up
  done
  ip -n "${P}c" addr add 2001:db8::2/64 dev eth0 nodad
  # The client learns a neighbour from a gratuitous ARP, or an unsolicited NA with the router
  # flag, alone (no request of its own first).
  ip netns exec "${P}c" sysctl -qw net.ipv4.conf.eth0.arp_accept=1
  ip netns exec "${P}c" sysctl -qw net.ipv6.conf.eth0.accept_untracked_na=1 2>/dev/null || true
  for n in a b; do
    mkdir -p "$WORK/www-$n"
    echo "$n" >"$WORK/www-$n/index.html"
    ip netns exec "${P}$n" busybox httpd -f -p 8080 -h "$WORK/www-$n" &
    track_pid $!
    disown $!  # no "Killed" notices from the cleanup
  done
  trap 'cleanup; rm -rf "$WORK"' EXIT
}

# vrrp_conf NODE PRIORITY [VERSION [ADVERT_INT [EXTRA_LINES]]]: writes $WORK/NODE.conf, with
# EXTRA_LINES inside VI_1 and $EXTRA_INSTANCES after it.
vrrp_conf() {
  local node=$1 prio=$2 version=${3:-3} advert=${4:-0.1} extra=${5:-}
  cat >"$WORK/$node.conf" <<CONF
global_defs {
    router_id node-$node
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    version $version
    priority $prio
    advert_int $advert
    garp_master_delay 1
    garp_master_repeat 3
    garp_interval 0.01
$extra
    virtual_ipaddress {
        $VIP/$VIP_LEN
    }
}
${EXTRA_INSTANCES:-}
CONF
}

# vigil_start NODE: vigil -P in the node's namespace; its pid in PID_<node>.
vigil_start() {
  local node=$1
  rm -f "$WORK/$node.pid"
  ip netns exec "${P}$node" "$VIGIL" -P -n -l -D -f "$WORK/$node.conf" -p "$WORK/$node.pid" \
    >>"$WORK/$node.log" 2>&1 &
  track_pid $!
  printf -v "PID_$node" %s $!
  disown $!
  wait_for 5 test -s "$WORK/$node.pid" || fail "vigil on $node did not start: $(tail -5 "$WORK/$node.log")"
}

has_vip() { ip -n "${P}$1" -br addr show dev eth0 | grep -qw -- "$VIP/$VIP_LEN"; }
not_has_vip() { ! has_vip "$1"; }
# The node the client reaches on VIP:8080 ("a", "b", or nothing).
client_reaches() { ip netns exec "${P}c" curl -s -g --max-time 0.2 "$VIP_URL" 2>/dev/null; }
client_reaches_is() { [[ $(client_reaches) == "$1" ]]; }
client_pings_vip() { ip netns exec "${P}c" busybox ping -c 1 -W 1 "$VIP" >/dev/null 2>&1; }  # ping or ping6 by the address
mac_of() { ip -n "${P}$1" link show dev eth0 | awk '/link\/ether/ {print $2}'; }
client_neigh_mac() { ip -n "${P}c" neigh show "$VIP" dev eth0 | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}'; }
client_neigh_is() { [[ $(client_neigh_mac) == "$(mac_of "$1")" ]]; }
log_has() { grep -q -- "$2" "$WORK/$1.log"; }

# exactly_one_master SECONDS: samples both nodes every 20 ms; fails if both hold the VIP at
# once, or neither does.
exactly_one_master() {
  local samples=$(($1 * 50)) both=0 none=0 ha hb i
  for ((i = 0; i < samples; i++)); do
    has_vip a && ha=1 || ha=0
    has_vip b && hb=1 || hb=0
    ((ha && hb)) && both=$((both + 1))
    ((!ha && !hb)) && none=$((none + 1))
    sleep 0.02
  done
  ((both == 0)) || fail "both nodes held the VIP ($both samples)"
  ((none == 0)) || fail "no node held the VIP ($none samples)"
}

now() { echo "$EPOCHREALTIME"; }
# ms_since T0: milliseconds from T0 (an $EPOCHREALTIME value) to now.
ms_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }

# takeover_times T0 NODE: polls until NODE holds the VIP, then until the client is answered
# by NODE; sets T_VIP and T_CLIENT (ms after T0). Fails after 10 s.
takeover_times() {
  local t0=$1 node=$2 end=$((SECONDS + 10))
  T_VIP='' T_CLIENT=''
  while ((SECONDS < end)); do
    if [[ -z $T_VIP ]] && has_vip "$node"; then T_VIP=$(ms_since "$t0"); fi
    if [[ -n $T_VIP ]] && client_reaches_is "$node"; then T_CLIENT=$(ms_since "$t0"); return 0; fi
    [[ -n $T_VIP ]] || sleep 0.002
  done
  fail "$node did not take over within 10 s (VIP: ${T_VIP:-no})"
}
