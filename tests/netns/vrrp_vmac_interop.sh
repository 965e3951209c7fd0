#!/usr/bin/env bash
# VRRP interop drill: use_vmac with Debian's keepalived as the peer. vigil (150) on a, keepalived
# (100) on b, both on their macvlan vrrp.51 (VMAC 00:00:5e:00:01:33, VRRPv3, advert_int
# 0.1 s). Each hears the other on its macvlan (the frames' source MAC is its own VMAC); the
# client's neighbour for the VIP stays the VMAC when keepalived takes over from a SIGKILLed
# vigil, when the restarted vigil (reusing its crashed macvlan) preempts, and when vigil hands
# off on SIGTERM; then keepalived is the master, vigil (100) its backup, and takes over from it
# when it is SIGKILLed. Prints the takeover times.
#   Usage: vrrp_vmac_interop.sh VIGIL_BINARY
set -euo pipefail
VIGIL=${1:?vigil binary}
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/vrrp_lib.sh"
vrrp_need
need_cmd keepalived
vrrp_topo

VMAC=00:00:5e:00:01:33
VIF=vrrp.51
has_vip() { ip -n "${P}$1" -br addr show dev "$VIF" 2>/dev/null | grep -qw -- "$VIP/$VIP_LEN"; }
not_has_vip() { ! has_vip "$1"; }
has_vif() { ip -n "${P}$1" link show dev "$VIF" >/dev/null 2>&1; }
no_vif() { ! has_vif "$1"; }
gone() { ! kill -0 "$1" 2>/dev/null; }
client_vmac() { client_pings_vip && [[ $(client_neigh_mac) == "$VMAC" ]]; }

keepalived_start() {  # as vrrp_interop.sh
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

vrrp_conf a 150 3 0.1 "    use_vmac"
vrrp_conf b 100 3 0.1 "    use_vmac"
vigil_start a
wait_for 10 has_vip a || fail "vigil did not become master: $(tail -5 "$WORK/a.log")"
keepalived_start b
wait_for 10 log_has b "Entering BACKUP STATE" || fail "keepalived did not enter BACKUP: $(tail -5 "$WORK/b.log")"
wait_for 5 has_vif b || fail "keepalived made no $VIF"
exactly_one_master 2
log_has b "Entering MASTER STATE" && fail "keepalived became MASTER beside vigil: does it hear vigil's adverts?"
wait_for 3 client_vmac || fail "VIP neighbour '$(client_neigh_mac)', not $VMAC"
wait_for 3 client_reaches_is a || fail "client does not reach vigil"

sleep "0.$((RANDOM % 10))"
t0=$(now)
kill -KILL "$PID_a"
takeover_times "$t0" b
wait_for 2 client_vmac || fail "after keepalived took over: VIP neighbour '$(client_neigh_mac)', not $VMAC"
echo "vigil SIGKILL -> keepalived owns the VIP +${T_VIP} ms, client +${T_CLIENT} ms, neighbour $(client_neigh_mac)"
t_crash=$T_VIP

wait_for 2 gone "$PID_a" || fail "vigil survived SIGKILL"
vigil_start a
wait_for 10 has_vip a || fail "restarted vigil did not preempt keepalived"
wait_for 5 not_has_vip b || fail "keepalived kept the VIP"
log_has a "reusing VMAC interface $VIF" || fail "vigil did not reuse its crashed $VIF"
wait_for 3 client_reaches_is a || fail "client does not reach vigil again"
wait_for 2 client_vmac || fail "after vigil preempted: VIP neighbour '$(client_neigh_mac)', not $VMAC"

t0=$(now)
kill -TERM "$PID_a"
takeover_times "$t0" b
wait_for 2 client_vmac || fail "after the handoff: VIP neighbour '$(client_neigh_mac)', not $VMAC"
echo "vigil SIGTERM -> keepalived owns the VIP +${T_VIP} ms, client +${T_CLIENT} ms, neighbour $(client_neigh_mac)"
wait_for 5 gone "$PID_a" || fail "vigil ignored SIGTERM"
no_vif a || fail "vigil left its $VIF"
t_handoff=$T_VIP

# The other role: keepalived master, vigil (100) a backup that hears it on its macvlan.
vrrp_conf a 100 3 0.1 "    use_vmac"
: >"$WORK/a.log"
vigil_start a
wait_for 10 log_has a "(VI_1) entering BACKUP state: startup" || fail "vigil not BACKUP"
exactly_one_master 2
log_has a "entering MASTER" && fail "vigil became master beside keepalived: does it hear keepalived's adverts?"
sleep "0.$((RANDOM % 10))"
kv=$(cat "$WORK/b.kvpid")
t0=$(now)
kill -KILL "$kv" "$KPID_b"  # the VRRP child first: no priority-0 advert
takeover_times "$t0" a
wait_for 2 client_vmac || fail "after vigil took over: VIP neighbour '$(client_neigh_mac)', not $VMAC"
echo "keepalived SIGKILL -> vigil owns the VIP +${T_VIP} ms, client +${T_CLIENT} ms, neighbour $(client_neigh_mac)"
kill -TERM "$PID_a"
wait_for 5 gone "$PID_a" || fail "vigil ignored SIGTERM"
no_vif a || fail "vigil left its $VIF"
drops=$(grep -E "dropped a message|advert discarded" "$WORK/a.log" | grep -v own_advert | head -3 || true)
[[ -z $drops ]] || fail "vigil dropped keepalived's adverts: $drops"
echo "PASS: use_vmac interop with keepalived $(keepalived --version 2>&1 | head -1 | awk '{print $2}') in both roles: vigil crash +${t_crash} ms, vigil handoff +${t_handoff} ms, keepalived crash +${T_VIP} ms; neighbour $VMAC throughout"
