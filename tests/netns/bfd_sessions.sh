#!/usr/bin/env bash
# BFD drill (RFC 5880/5881 single hop): node a runs vigil, node b runs PEER (vigil, or
# Debian's keepalived for interop), on a veth pair in two namespaces this script creates,
# with one IPv4 session (and, vigil to vigil, one IPv6 session too) at 50 ms x 3.
#  - both sides reach Up and settle on the fast interval;
#  - b killed (SIGKILL; keepalived: its BFD child): a goes Down with "Control Detection Time
#    Expired" within the Detection Time (150 ms, plus a margin for a loaded machine);
#  - b restarted: Up again;
#  - a stopped (SIGTERM): vigil sends AdminDown, so b goes Down at once with "Neighbor
#    Signaled Session Down" instead of waiting for its Detection Time.
#   Usage: bfd_sessions.sh VIGIL_BINARY [vigil|keepalived]
set -euo pipefail
VIGIL=${1:?vigil binary}
PEER=${2:-vigil}
source "$(dirname "$0")/../lib.sh"
need_root
[[ $PEER == keepalived ]] && need_cmd keepalived
P=bfd$$-
WORK=$(mktemp -d)
trap 'cleanup; rm -rf "$WORK"' EXIT
mkns "${P}a"
mkns "${P}b"
ip -n "${P}a" link add eth0 type veth peer name eth0 netns "${P}b"
for n in a b; do ip netns exec "${P}$n" sysctl -qw net.ipv6.conf.eth0.accept_dad=0; done
ip -n "${P}a" addr add 192.0.2.1/24 dev eth0
ip -n "${P}b" addr add 192.0.2.2/24 dev eth0
ip -n "${P}a" addr add 2001:db8::1/64 dev eth0 nodad
ip -n "${P}b" addr add 2001:db8::2/64 dev eth0 nodad
ip -n "${P}a" link set eth0 up
ip -n "${P}b" link set eth0 up

session() {  # NAME NEIGHBOR SOURCE
  cat <<CONF
bfd_instance $1 {
    neighbor_ip $2
    source_ip $3
    min_rx 50
    min_tx 50
    idle_tx 1000
    multiplier 3
}
CONF
}
session S4 192.0.2.2 192.0.2.1 >"$WORK/a.conf"
session S4 192.0.2.1 192.0.2.2 >"$WORK/b.conf"
if [[ $PEER == vigil ]]; then
  session S6 2001:db8::2 2001:db8::1 >>"$WORK/a.conf"
  session S6 2001:db8::1 2001:db8::2 >>"$WORK/b.conf"
fi
SESSIONS=(S4)
[[ $PEER == vigil ]] && SESSIONS+=(S6)

start_a() {
  rm -f "$WORK/a.pid"
  ip netns exec "${P}a" "$VIGIL" -n -l -D -f "$WORK/a.conf" -p "$WORK/a.pid" >>"$WORK/a.log" 2>&1 &
  track_pid $!
  PID_a=$!
  disown $!
}
start_b() {
  rm -f "$WORK/b.pid" "$WORK/b-bfd.pid"
  if [[ $PEER == vigil ]]; then
    ip netns exec "${P}b" "$VIGIL" -n -l -D -f "$WORK/b.conf" -p "$WORK/b.pid" >>"$WORK/b.log" 2>&1 &
  else
    ip netns exec "${P}b" keepalived -n -l -D -f "$WORK/b.conf" -p "$WORK/b.pid" -b "$WORK/b-bfd.pid" \
      -r "$WORK/b-vrrp.pid" -c "$WORK/b-check.pid" >>"$WORK/b.log" 2>&1 &
  fi
  track_pid $!
  PID_b=$!
  disown $!
}
count() { grep -c -- "$2" "$WORK/$1.log" || true; }
# The time of the last line of NODE's log matching TEXT, as seconds since the epoch.
line_time() {
  local l
  l=$(grep -- "$2" "$WORK/$1.log" | tail -1)
  [[ -n $l ]] || return 1
  if [[ $1 == a || $PEER == vigil ]]; then date -d "${l:0:23}" +%s.%N; else date -d "$(cut -d: -f1-3 <<<"$l")" +%s; fi
}
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }

start_a
start_b
for s in "${SESSIONS[@]}"; do
  wait_for 10 grep -q "($s) Entering Up state" "$WORK/a.log" || fail "a: $s never came Up: $(tail -5 "$WORK/a.log")"
done
wait_for 5 grep -q "Entering Up state" "$WORK/b.log" || fail "b never came Up: $(tail -5 "$WORK/b.log")"
wait_for 3 grep -q "(S4) transmit interval 50 ms, detection time 150 ms" "$WORK/a.log" ||
  fail "a did not settle on 50 ms x 3: $(grep S4 "$WORK/a.log" | tail -3)"
sleep 1
for s in "${SESSIONS[@]}"; do
  [[ $(count a "($s) Entering Down state (") == 0 ]] || fail "a: $s flapped: $(grep "($s)" "$WORK/a.log")"
done
echo "sessions ${SESSIONS[*]} Up both ways ($PEER peer), 50 ms x 3, no flap"

# b dies: a notices within the Detection Time.
t0=$EPOCHREALTIME
if [[ $PEER == keepalived ]]; then kill -9 "$(cat "$WORK/b-bfd.pid")" "$PID_b"; else kill -9 "$PID_b"; fi
for s in "${SESSIONS[@]}"; do
  wait_for 3 grep -q "($s) Entering Down state (Control Detection Time Expired)" "$WORK/a.log" ||
    fail "a: $s did not go Down after b died: $(tail -3 "$WORK/a.log")"
done
detect=$(ms_between "$t0" "$(line_time a "(S4) Entering Down state (Control Detection Time Expired)")")
echo "b killed: a's S4 Down after $detect ms (the Detection Time, 150 ms, runs from b's last packet)"
((detect <= 400)) || fail "a took $detect ms to notice (Detection Time 150 ms)"

# b back: Up again.
start_b
for s in "${SESSIONS[@]}"; do
  wait_for 10 bash -c "[[ \$(grep -c -- '($s) Entering Up state' '$WORK/a.log') -ge 2 ]]" ||
    fail "a: $s did not come Up again: $(tail -3 "$WORK/a.log")"
done
wait_for 5 bash -c "grep -q 'Entering Up state' '$WORK/b.log'" || fail "b did not come Up"
sleep 0.5
echo "b restarted: Up again"

# a stops: AdminDown, b goes Down at once (no Detection Time).
down_before=$(count b "Entering Down state")
t0=$EPOCHREALTIME
kill -TERM "$PID_a"
wait_for 5 bash -c "! kill -0 $PID_a 2>/dev/null" || fail "a did not stop"
wait_for 2 bash -c "[[ \$(grep -c 'Entering Down state' '$WORK/b.log') -gt $down_before ]]" ||
  fail "b did not go Down when a stopped: $(tail -3 "$WORK/b.log")"
grep "Entering Down state" "$WORK/b.log" | tail -1 | grep -qi "Neighbor Signaled Session Down" ||
  fail "b went Down, but not on a's AdminDown: $(grep 'Entering Down state' "$WORK/b.log" | tail -1)"
grep -q "(S4) Entering AdminDown state (Administratively Down)" "$WORK/a.log" || fail "a did not log AdminDown"
echo "a stopped: b Down on a's AdminDown (Neighbor Signaled Session Down)"
echo "PASS: BFD against $PEER: Up, detection on a crash in $detect ms, recovery, AdminDown on stop"
