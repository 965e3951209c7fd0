#!/usr/bin/env bash
# VRRP drill: virtual_routes, virtual_rules and static_routes. The master installs its
# routes (a gateway route, a blackhole, a default route in table 100) and a rule (from the VIP
# look up table 100) after its VIP; the backup has none. SIGTERM of the master: they move to
# the backup with the VIP, and the stopped node has none left. static_routes stay on each
# node from start to stop.   Usage: vrrp_routes.sh VIGIL_BINARY
set -euo pipefail
VIGIL=${1:?vigil binary}
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/vrrp_lib.sh"
vrrp_need
vrrp_topo

routes="    virtual_routes {
        198.51.100.0/24 via 192.0.2.2
        blackhole 203.0.113.0/24
        default via 192.0.2.2 table 100
    }
    virtual_rules {
        from $VIP table 100 priority 100
    }"
for n in a b; do
  prio=$([[ $n == a ]] && echo 150 || echo 100)
  vrrp_conf "$n" "$prio" 3 0.1 "$routes"
  cat >>"$WORK/$n.conf" <<CONF
static_routes {
    198.18.0.0/15 dev eth0 scope link
}
CONF
done
has_routes() {
  ip -n "${P}$1" route show 198.51.100.0/24 | grep -q "via 192.0.2.2" &&
    ip -n "${P}$1" route show 203.0.113.0/24 | grep -q blackhole &&
    ip -n "${P}$1" route show table 100 | grep -q "default via 192.0.2.2" &&
    ip -n "${P}$1" rule show | grep -q "100:.*from $VIP lookup 100"
}
has_none() {
  [[ -z $(ip -n "${P}$1" route show 198.51.100.0/24) ]] &&
    [[ -z $(ip -n "${P}$1" route show 203.0.113.0/24) ]] &&
    [[ -z $(ip -n "${P}$1" route show table 100 2>/dev/null) ]] &&
    ! ip -n "${P}$1" rule show | grep -q "from $VIP"
}
has_static() { ip -n "${P}$1" route show 198.18.0.0/15 | grep -q "dev eth0"; }

vigil_start a
wait_for 5 has_vip a || fail "a did not become master"
vigil_start b
wait_for 3 has_routes a || fail "a has not its routes and rule: $(ip -n "${P}a" route; ip -n "${P}a" rule)"
sleep 0.5
has_none b || fail "b (backup) has a virtual route or rule"
has_static a && has_static b || fail "static_routes missing"
echo "a (master) has its virtual routes and rule; b has none; both have the static route"

t0=$(now)
kill -TERM "$PID_a"
wait_for 3 has_routes b || fail "b did not take the routes over"
echo "SIGTERM of a: b has the routes and rule after $(ms_since "$t0") ms"
wait_for 3 bash -c "! kill -0 $PID_a 2>/dev/null" || fail "a did not stop"
has_none a || fail "a left a virtual route or rule behind"
has_static a && fail "a left its static route behind"
vigil_start a
wait_for 5 has_routes a || fail "a did not take the routes back"
wait_for 2 has_none b || fail "b kept a route or rule"
echo "PASS: virtual routes and rules move with the VIP; static routes live with the daemon"
