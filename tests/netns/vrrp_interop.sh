#!/usr/bin/env bash
# VRRP interop drill (d): Debian's keepalived as the peer of vigil, in both roles, for VRRPv2
# with PASS authentication (advert_int 1 s), VRRPv3 IPv4 and VRRPv3 IPv6 (advert_int 0.1 s)
# multicast, and VRRPv3 IPv4 over unicast peers. In each: one master
# at a time; the backup takes over on SIGTERM (priority 0) and on a crash (SIGKILL), both
# ways; the restarted higher priority preempts. Prints the takeover times of both daemons.
#   Usage: vrrp_interop.sh VIGIL_BINARY
set -euo pipefail
VIGIL=${1:?vigil binary}
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/vrrp_lib.sh"
vrrp_need
need_cmd keepalived
vrrp_topo

# keepalived_start NODE: keepalived -P in the node's namespace; parent pid in KPID_<node>.
keepalived_start() {
  local node=$1
  rm -f "$WORK/$node.kpid" "$WORK/$node.kvpid"
  ip netns exec "${P}$node" keepalived -P -n -l -D -G -f "$WORK/$node.conf" \
    -p "$WORK/$node.kpid" -r "$WORK/$node.kvpid" >>"$WORK/$node.log" 2>&1 &
  track_pid $!
  printf -v "KPID_$node" %s $!
  disown $!
  wait_for 5 test -s "$WORK/$node.kvpid" || fail "keepalived on $node did not start: $(tail -5 "$WORK/$node.log")"
  track_pid "$(cat "$WORK/$node.kvpid")"
}
gone() { ! kill -0 "$1" 2>/dev/null; }
log_count() { grep -c -- "$2" "$WORK/$1.log" || true; }

summary=()
# conf NODE PRIORITY: the drill's configuration for NODE (its VERSION, ADVERT, EXTRA); in EXTRA, @SELF@ and @PEER@ stand
# for NODE's address and the other node's (unicast peers).
conf() {
  local node=$1 peer=a
  [[ $node == a ]] && peer=b
  vrrp_conf "$node" "$2" "$version" "$advert" "$(sed -e "s/@SELF@/${NODE_IP[$node]}/g" -e "s/@PEER@/${NODE_IP[$peer]}/g" <<<"$extra")"
}
# drill LABEL VERSION ADVERT SAMPLE_S EXTRA
drill() {
  local label=$1 version=$2 advert=$3 sample=$4 extra=$5 t0 kv
  rm -f "$WORK"/*.log
  echo "== $label: vigil (150) master, keepalived (100) backup"
  conf a 150
  conf b 100
  vigil_start a
  wait_for 10 has_vip a || fail "$label: vigil did not become master"
  keepalived_start b
  wait_for 10 log_has b "Entering BACKUP STATE" || fail "$label: keepalived did not enter BACKUP"
  exactly_one_master "$sample"
  log_has b "Entering MASTER STATE" && fail "$label: keepalived became MASTER beside vigil"
  if [[ $extra == *unicast_peer* ]]; then  # the adverts really are unicast: no group joined
    local n
    for n in a b; do
      ip netns exec "${P}$n" cat /proc/net/igmp | grep -qi "120000E0" && fail "$label: $n joined 224.0.0.18"
    done
  fi
  wait_for 3 client_reaches_is a || fail "$label: client does not reach vigil"

  t0=$(now)
  kill -TERM "$PID_a"
  takeover_times "$t0" b
  echo "$label: vigil SIGTERM -> keepalived owns the VIP +${T_VIP} ms, client +${T_CLIENT} ms"
  summary+=("$label vigil->keepalived SIGTERM ${T_VIP} ms")
  wait_for 5 gone "$PID_a" || fail "vigil ignored SIGTERM"
  not_has_vip a || fail "$label: vigil left the VIP"

  vigil_start a
  wait_for 10 has_vip a || fail "$label: restarted vigil did not preempt keepalived"
  wait_for 5 not_has_vip b || fail "$label: keepalived kept the VIP after vigil preempted"
  exactly_one_master "$sample"

  sleep "0.$((RANDOM % 10))"
  t0=$(now)
  kill -KILL "$PID_a"
  takeover_times "$t0" b
  echo "$label: vigil SIGKILL -> keepalived owns the VIP +${T_VIP} ms, client +${T_CLIENT} ms"
  summary+=("$label vigil->keepalived crash ${T_VIP} ms")
  wait_for 2 gone "$PID_a" || fail "vigil survived SIGKILL"
  kill -TERM "$KPID_b"
  wait_for 10 gone "$KPID_b" || fail "keepalived ignored SIGTERM"
  ip -n "${P}a" addr del "$VIP/$VIP_LEN" dev eth0 2>/dev/null || true  # the crash's leftover

  echo "== $label: keepalived (150) master, vigil (100) backup"
  conf a 100
  conf b 150
  keepalived_start b
  wait_for 10 has_vip b || fail "$label: keepalived did not become master"
  vigil_start a
  wait_for 10 log_has a "(VI_1) entering BACKUP state: startup" || fail "$label: vigil not BACKUP"
  exactly_one_master "$sample"
  not_has_vip a || fail "$label: vigil holds the VIP beside keepalived"
  wait_for 3 client_reaches_is b || fail "$label: client does not reach keepalived's node"

  t0=$(now)
  kill -TERM "$KPID_b"
  takeover_times "$t0" a
  echo "$label: keepalived SIGTERM -> vigil owns the VIP +${T_VIP} ms, client +${T_CLIENT} ms"
  summary+=("$label keepalived->vigil SIGTERM ${T_VIP} ms")
  wait_for 10 gone "$KPID_b" || fail "keepalived ignored SIGTERM"

  keepalived_start b
  wait_for 10 has_vip b || fail "$label: restarted keepalived did not preempt vigil"
  wait_for 5 not_has_vip a || fail "$label: vigil kept the VIP after keepalived preempted"
  wait_for 2 log_has a "entering BACKUP state: higher priority advert" || fail "$label: vigil did not step down"
  exactly_one_master "$sample"

  sleep "0.$((RANDOM % 10))"
  kv=$(cat "$WORK/b.kvpid")
  t0=$(now)
  kill -KILL "$kv" "$KPID_b"  # the VRRP child first: no priority-0 advert
  takeover_times "$t0" a
  echo "$label: keepalived SIGKILL -> vigil owns the VIP +${T_VIP} ms, client +${T_CLIENT} ms"
  summary+=("$label keepalived->vigil crash ${T_VIP} ms")
  kill -TERM "$PID_a"
  wait_for 5 gone "$PID_a" || fail "vigil ignored SIGTERM"
  ip -n "${P}b" addr del "$VIP/$VIP_LEN" dev eth0 2>/dev/null || true
  local drops
  drops=$(grep -E "dropped a message|advert discarded" "$WORK/a.log" | grep -v own_advert | head -3 || true)
  [[ -z $drops ]] || fail "$label: vigil dropped keepalived's adverts: $drops"
}

drill "v2 PASS advert 1s" 2 1 4 "    authentication {
        auth_type PASS
        auth_pass vigil123
    }"
drill "v3 advert 0.1s" 3 0.1 2 ""
drill "v3 unicast advert 0.1s" 3 0.1 2 "    unicast_src_ip @SELF@
    unicast_peer {
        @PEER@
    }"
vip_set 2001:db8::100 64
drill "v3 IPv6 advert 0.1s" 3 0.1 2 ""
printf '%s\n' "${summary[@]}"
echo "PASS: interop with keepalived $(keepalived --version 2>&1 | head -1 | awk '{print $2}') in both roles, v2 PASS, v3 IPv4, v3 IPv4 unicast, v3 IPv6"
