#!/usr/bin/env bash
# The failover demo: two vigil directors and a client on a bridge, in network namespaces
# this script creates (documentation addresses 192.0.2.0/24 only), with an embedded default
# configuration (VRRPv3, advert_int 0.1 s, VIP 192.0.2.100). It shows, from the client's side:
#   1. election: the priority-150 director owns the VIP and answers the client;
#   2. crash: SIGKILL of that director; the backup takes the VIP over (time measured);
#   3. recovery: the first director comes back and preempts;
#   4. graceful: SIGTERM; priority-0 handoff in about skew time (measured).
# Run as root:  bash scripts/demo.sh        (installs and builds what it needs first)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [[ ${VIGIL_DEMO_NO_BUILD:-} != 1 ]]; then
  bash scripts/setup.sh >/dev/null
  cmake --preset release >/dev/null
  cmake --build --preset release --target vigil -- -j"${VIGIL_JOBS:-2}" >/dev/null
fi
VIGIL=${VIGIL:-$root/build/release/vigil}

source tests/lib.sh
source tests/netns/vrrp_lib.sh
vrrp_need
P=demo$$-
vrrp_topo

say() { printf '\n== %s\n' "$*"; }

say "embedded configuration of director a (b is the same with priority 100):"
vrrp_conf a 150 3 0.1
vrrp_conf b 100 3 0.1
sed 's/^/    /' "$WORK/a.conf"

say "1. election"
vigil_start a
vigil_start b
wait_for 5 has_vip a || fail "a did not become master"
wait_for 5 client_reaches_is a || fail "the client does not reach a"
echo "a holds $VIP; the client is answered by: $(client_reaches); its ARP entry for the VIP: $(client_neigh_mac) (a is $(mac_of a))"

say "2. crash: SIGKILL a"
t0=$(now)
kill -KILL "$PID_a"
takeover_times "$t0" b
crash_vip=$T_VIP crash_client=$T_CLIENT
echo "b holds the VIP after ${crash_vip} ms; the client is answered by $(client_reaches) after ${crash_client} ms"
echo "(Master_Down_Interval = 3 x 100 ms + skew (256-100)/256 x 100 ms = 361 ms after the last advert)"

say "3. recovery: a restarts and preempts"
vigil_start a
wait_for 5 has_vip a || fail "a did not take the VIP back"
wait_for 5 client_reaches_is a || fail "the client does not reach a again"
wait_for 2 not_has_vip b || fail "b kept the VIP"
echo "a holds the VIP again; b released it"

say "4. graceful: SIGTERM a (priority-0 handoff)"
t0=$(now)
kill -TERM "$PID_a"
takeover_times "$t0" b
echo "b holds the VIP after ${T_VIP} ms; the client is answered by $(client_reaches) after ${T_CLIENT} ms"
echo "(skew time for priority 100 at 100 ms = 61 ms)"

say "summary"
printf '%-28s %10s %16s\n' event "VIP moved" "client answered"
printf '%-28s %8s ms %13s ms\n' "crash (SIGKILL)" "$crash_vip" "$crash_client" "graceful (SIGTERM)" "$T_VIP" "$T_CLIENT"
echo "demo: PASS"
