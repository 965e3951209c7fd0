#!/usr/bin/env bash
# VRRP drill: track_bfd. Master a (priority 150) tracks a BFD session (50 ms x 3) to the
# client's namespace c, where a BFD-only vigil runs (the "upstream router"). While the
# session is down a stays in FAULT and b (100) holds the VIP; once it is Up, a takes the VIP.
# SIGKILL of c's BFD: a's session goes Down within its Detection Time, a goes to FAULT and
# b owns the VIP; c back: a preempts again.
#   Usage: vrrp_trackbfd.sh VIGIL_BINARY
set -euo pipefail
VIGIL=${1:?vigil binary}
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/vrrp_lib.sh"
vrrp_need
vrrp_topo

EXTRA_INSTANCES='bfd_instance UPSTREAM {
    neighbor_ip 192.0.2.2
    source_ip 192.0.2.11
    min_rx 50
    min_tx 50
    multiplier 3
}' vrrp_conf a 150 3 0.1 "    track_bfd {
        UPSTREAM
    }"
vrrp_conf b 100
cat >"$WORK/c.conf" <<'CONF'
bfd_instance DIRECTOR_A {
    neighbor_ip 192.0.2.11
    source_ip 192.0.2.2
    min_rx 50
    min_tx 50
    multiplier 3
}
CONF
start_c() {
  rm -f "$WORK/c.pid"
  ip netns exec "${P}c" "$VIGIL" -n -l -D -f "$WORK/c.conf" -p "$WORK/c.pid" >>"$WORK/c.log" 2>&1 &
  track_pid $!
  PID_c=$!
  disown $!
}

# No BFD peer yet: a waits in FAULT, b is master.
vigil_start b
vigil_start a
wait_for 5 has_vip b || fail "b did not become master"
wait_for 3 log_has a "(VI_1) entering FAULT state" || fail "a is not in FAULT without its BFD session: $(tail -5 "$WORK/a.log")"
not_has_vip a || fail "a holds the VIP without its BFD session"
echo "no BFD peer: a in FAULT, b master"

start_c
wait_for 10 log_has a "(UPSTREAM) Entering Up state" || fail "a's BFD session did not come Up: $(grep UPSTREAM "$WORK/a.log" | tail -3)"
wait_for 5 has_vip a || fail "a did not take over once its BFD session was Up"
wait_for 2 not_has_vip b || fail "b kept the VIP"
exactly_one_master 1
echo "BFD Up: a master"

t0=$(now)
kill -9 "$PID_c"
takeover_times "$t0" b
wait_for 2 log_has a "(UPSTREAM) Entering Down state (Control Detection Time Expired)" || fail "a's session did not go Down"
not_has_vip a || fail "a kept the VIP after its BFD session went down"
echo "c's BFD killed: b holds the VIP after $T_VIP ms, the client reaches b after $T_CLIENT ms"
((T_VIP <= 1000)) || fail "the VIP took $T_VIP ms to move (Detection Time 150 ms + skew)"

start_c
wait_for 10 has_vip a || fail "a did not take the VIP back when BFD came Up again"
wait_for 2 client_reaches_is a || fail "the client does not reach a"
echo "PASS: track_bfd: FAULT without the session, VIP moved on a BFD failure in $T_VIP ms, back when Up"
