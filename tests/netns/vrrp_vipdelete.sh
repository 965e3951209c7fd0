#!/usr/bin/env bash
# VRRP drill: a VIP deleted by hand comes back. On the master a, `ip addr del` of the VIP: the
# netlink address monitor sees it go and puts it back (with a fresh gratuitous ARP); the
# client reaches a again. Deleting the backup's copy that should not exist changes nothing;
# a static_ipaddress deleted by hand comes back too. Two more instances on a hold VIPs of one
# subnet: vigil sets promote_secondaries on eth0 (put back at stop), so deleting the first
# of them does not take the second along.   Usage: vrrp_vipdelete.sh VIGIL_BINARY
set -euo pipefail
VIGIL=${1:?vigil binary}
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/vrrp_lib.sh"
vrrp_need
vrrp_topo

EXTRA_INSTANCES='
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    version 3
    priority 150
    advert_int 0.1
    virtual_ipaddress {
        10.99.0.1/16
    }
}
vrrp_instance VI_3 {
    interface eth0
    virtual_router_id 53
    version 3
    priority 150
    advert_int 0.1
    virtual_ipaddress {
        10.99.0.2/16
    }
}' vrrp_conf a 150
cat >>"$WORK/a.conf" <<CONF
static_ipaddress {
    198.51.100.1/24 dev eth0
}
CONF
vrrp_conf b 100
promote() { ip netns exec "${P}a" sysctl -n net.ipv4.conf.eth0.promote_secondaries; }
ip netns exec "${P}a" sysctl -qw net.ipv4.conf.all.promote_secondaries=0 net.ipv4.conf.eth0.promote_secondaries=0
vigil_start a
wait_for 5 has_vip a || fail "a did not become master"
vigil_start b
wait_for 3 client_reaches_is a || fail "client does not reach a"
has_static() { ip -n "${P}a" -br addr show dev eth0 | grep -qw 198.51.100.1/24; }
has_static || fail "a did not install its static address"

for trial in 1 2 3; do
  sleep "0.$((RANDOM % 10))"
  t0=$(now)
  ip -n "${P}a" addr del "$VIP/$VIP_LEN" dev eth0
  t=''
  end=$((SECONDS + 3))
  while ((SECONDS < end)); do
    if has_vip a; then t=$(ms_since "$t0"); break; fi
    sleep 0.001
  done
  [[ -n $t ]] || fail "the deleted VIP did not come back on a"
  echo "trial $trial: VIP deleted by hand on the master, back after ${t} ms"
  ((t <= 100)) || fail "restoring took ${t} ms"
done
log_has a "restored address $VIP/$VIP_LEN dev eth0 that was deleted" || fail "a did not log the restore"
wait_for 2 client_reaches_is a || fail "client does not reach a after the restore"
exactly_one_master 1

ip -n "${P}a" addr del 198.51.100.1/24 dev eth0
wait_for 2 has_static || fail "the static address did not come back"
log_has a "restored static address 198.51.100.1/24 dev eth0" || fail "a did not log the static restore"

# The first address of 10.99.0.0/16 goes: the second is promoted, not deleted with it.
has_addr() { ip -n "${P}a" -br addr show dev eth0 | grep -qw -- "$1"; }
wait_for 3 has_addr 10.99.0.2/16 || fail "a does not hold VI_3's VIP"
[[ $(promote) == 1 ]] || fail "promote_secondaries on a's eth0 is $(promote), not 1"
ip -n "${P}a" addr del 10.99.0.1/16 dev eth0
wait_for 2 has_addr 10.99.0.1/16 || fail "VI_2's deleted VIP did not come back"
sleep 0.3
log_has a "restored address 10.99.0.1/16 dev eth0" || fail "a did not log VI_2's restore"
log_has a "restored address 10.99.0.2/16" && fail "VI_3's VIP went with VI_2's (promote_secondaries not in effect)"
echo "promote_secondaries: VI_2's VIP deleted and restored, VI_3's stayed"

kill -TERM "$PID_a"
wait_for 3 has_vip b || fail "b did not take over"
wait_for 3 bash -c "! kill -0 $PID_a 2>/dev/null" || fail "a did not stop"
has_static && fail "a left its static address behind on stop"
[[ $(promote) == 0 ]] || fail "promote_secondaries on a's eth0 not put back at stop: $(promote)"
echo "PASS: a VIP (and a static address) deleted by hand comes back"
