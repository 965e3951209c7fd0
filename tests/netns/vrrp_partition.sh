#!/usr/bin/env bash
# VRRP drill: partition, then heal. nftables on the bridge drops VRRP (IP protocol 112)
# between the nodes, the client still reaches both: b stops hearing a and becomes master too
# (split brain, as the protocol must), and its gratuitous ARP moves the client to b. Healed:
# within one advert interval (100 ms) exactly one master is left (a, the higher priority: b
# hears a's advert and, with higher_prio_send_advert, advertises once as it steps down; a
# hears b's lower priority, answers at once and refreshes the neighbours), and the client's neighbour entry moves back to a from a fresh gratuitous
# ARP alone (the client sends nothing meanwhile). Twice, the second time with b cut off from
# the bridge entirely.   Usage: vrrp_partition.sh VIGIL_BINARY
set -euo pipefail
VIGIL=${1:?vigil binary}
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/vrrp_lib.sh"
vrrp_need
need_cmd nft
vrrp_topo

# keepalived's higher_prio_send_advert: the loser advertises once as it steps down, so the
# winner always learns of the split brain (not only when the loser's advert came first).
vrrp_conf a 150 3 0.1 "    higher_prio_send_advert"
vrrp_conf b 100 3 0.1 "    higher_prio_send_advert"
vigil_start a
wait_for 5 has_vip a || fail "a did not become master"
vigil_start b
wait_for 3 client_reaches_is a || fail "client does not reach a"
sw() { ip netns exec "${P}sw" "$@"; }
sw nft add table bridge vigil_drill
sw nft add chain bridge vigil_drill cut '{ type filter hook forward priority 0; }'

# heal_check LABEL T0: b gives up the VIP within one advert interval; the client's entry
# moves to a by a gratuitous ARP.
# watch_b: b's address changes, timestamped by the kernel notification's arrival.
watch_b() {
  : >"$WORK/mon-b"
  ip -ts -n "${P}b" monitor address >"$WORK/mon-b" &
  MON=$!
  track_pid $MON
  disown $MON
  sleep 0.2
}
# b_released_ms T0: when b's VIP was deleted, from the monitor (ms after T0).
b_released_ms() {
  local ts
  ts=$(awk -v vip="$VIP/" 'index($0, "Deleted") && index($0, vip) { print substr($1, 2, length($1) - 2); exit }' "$WORK/mon-b")
  [[ -n $ts ]] || return 1
  awk -v a="$1" -v b="$(date -d "$ts" +%s.%N)" 'BEGIN { printf "%.0f", (b - a) * 1000 }'
}
heal_check() {
  local label=$1 t0=$2 t_b='' t_n='' end=$((SECONDS + 3))
  while ((SECONDS < end)) && [[ -z $t_b || -z $t_n ]]; do
    [[ -z $t_b ]] && not_has_vip b && t_b=$(ms_since "$t0")
    [[ -z $t_n ]] && client_neigh_is a && t_n=$(ms_since "$t0")
    sleep 0.002
  done
  [[ -n $t_b ]] || fail "$label: b still holds the VIP 3 s after the heal"
  [[ -n $t_n ]] || fail "$label: the client's neighbour entry stayed '$(client_neigh_mac)' (b is $(mac_of b))"
  t_b=$(b_released_ms "$t0") || fail "$label: the monitor did not see b's VIP go"
  kill "$MON" 2>/dev/null || true
  has_vip a || fail "$label: a lost the VIP"
  echo "$label healed: b released the VIP +${t_b} ms, client's neighbour entry back to a +${t_n} ms"
  ((t_b <= 100)) || fail "$label: two masters for ${t_b} ms after the heal (advert interval 100 ms)"
  ((t_n <= 200)) || fail "$label: the client learned a again only after ${t_n} ms"
  exactly_one_master 1
  client_reaches_is a || fail "$label: client does not reach a"
}

# 1. nftables drops VRRP between the nodes.
sw nft add rule bridge vigil_drill cut ip protocol 112 drop
wait_for 3 has_vip b || fail "b did not become master while partitioned"
has_vip a || fail "a gave up the VIP while partitioned"
wait_for 2 client_neigh_is b || fail "the client did not follow b's gratuitous ARP"
echo "partitioned (nft drops VRRP): both masters, the client follows b"
sleep 1.5  # past a's gratuitous ARP bursts (garp_master_delay 1)
watch_b
t0=$(now)
sw nft flush chain bridge vigil_drill cut
heal_check "nft" "$t0"

# 2. b cut off entirely on the bridge (its own link stays up: it cannot tell; a bridge port
# set down would take b's carrier and put it in FAULT instead). The client cannot hear b's
# GARP now, so its entry is pointed at b by hand, as that GARP would have.
sw nft add rule bridge vigil_drill cut iifname pb drop
sw nft add rule bridge vigil_drill cut oifname pb drop
wait_for 3 has_vip b || fail "b did not become master while cut off"
ip netns exec "${P}c" ip neigh replace "$VIP" lladdr "$(mac_of b)" dev eth0 nud stale
sleep 1.5
watch_b
t0=$(now)
sw nft flush chain bridge vigil_drill cut
heal_check "cut-off" "$t0"
sw nft delete table bridge vigil_drill
echo "PASS: partition and heal: one master within one advert interval, fresh GARP"
