#!/usr/bin/env bash
# VRRP drill: a vrrp_sync_group of two instances (VI_1 192.0.2.100, VI_2 192.0.2.101) on
# each node moves together. a (150) holds both. A tracked file of a's VI_2 going non-zero
# puts VI_2 in FAULT and the group with it: both VIPs move to b. Back to 0: a takes both back.
# SIGKILL of a: b takes both, within a few ms of each other. Group notify scripts get
# keepalived's "GROUP G STATE 0".   Usage: vrrp_syncgroup.sh VIGIL_BINARY
set -euo pipefail
VIGIL=${1:?vigil binary}
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/vrrp_lib.sh"
vrrp_need
vrrp_topo

VIP2=192.0.2.101
has_vip2() { ip -n "${P}$1" -br addr show dev eth0 | grep -qw "$VIP2/24"; }
has_both() { has_vip "$1" && has_vip2 "$1"; }
has_none() { not_has_vip "$1" && ! has_vip2 "$1"; }
printf '#!/bin/sh\necho "$*" >>"%s/notify-$(basename "$0" .sh)"\n' "$WORK" >"$WORK/gn-a.sh"
sed 's/gn-a/gn-b/' "$WORK/gn-a.sh" >"$WORK/gn-b.sh"
chmod +x "$WORK/gn-a.sh" "$WORK/gn-b.sh"
echo 0 >"$WORK/a-fail"
echo 0 >"$WORK/b-fail"
group() {  # NODE PRIORITY
  cat <<CONF
vrrp_sync_group G {
    group {
        VI_1
        VI_2
    }
    notify $WORK/gn-$1.sh
}
track_file fail_vi2 {
    file $WORK/$1-fail
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    version 3
    priority $2
    advert_int 0.1
    garp_master_delay 1
    track_file {
        fail_vi2
    }
    virtual_ipaddress {
        $VIP2/24
    }
}
CONF
}
EXTRA_INSTANCES=$(group a 150) vrrp_conf a 150
EXTRA_INSTANCES=$(group b 100) vrrp_conf b 100
vigil_start a
vigil_start b
wait_for 5 has_both a || fail "a does not hold both VIPs"
sleep 0.5
has_none b || fail "b holds a VIP too"
wait_for 2 grep -qx "GROUP G MASTER 0" "$WORK/notify-gn-a" || fail "group notify on a: $(cat "$WORK/notify-gn-a" 2>&1)"
wait_for 2 grep -qx "GROUP G BACKUP 0" "$WORK/notify-gn-b" || fail "group notify on b: $(cat "$WORK/notify-gn-b" 2>&1)"
echo "a holds both VIPs; group notify: a MASTER, b BACKUP"

# One member's fault takes the group.
t0=$(now)
echo 1 >"$WORK/a-fail"
wait_for 3 has_both b || fail "b did not take both VIPs after a's VI_2 faulted"
echo "a's VI_2 tracked file -> 1: both VIPs on b after $(ms_since "$t0") ms"
has_none a || fail "a kept a VIP in FAULT"
log_has a "(VI_1) entering FAULT state" || fail "a's VI_1 did not follow its group to FAULT"
log_has a "VRRP_Group(G) syncing instances to FAULT state" || fail "a did not log the group FAULT"
wait_for 2 grep -qx "GROUP G FAULT 0" "$WORK/notify-gn-a" || fail "no group FAULT notify on a"
exactly_one_master 1
echo 0 >"$WORK/a-fail"
wait_for 3 has_both a || fail "a did not take both back"
wait_for 2 has_none b || fail "b kept a VIP"
echo "a's file -> 0: a holds both again"

# A crash: b takes both, together.
sleep "0.$((RANDOM % 10))"
t0=$(now)
kill -KILL "$PID_a"
t1='' t2=''
end=$((SECONDS + 5))
while ((SECONDS < end)) && [[ -z $t1 || -z $t2 ]]; do
  [[ -z $t1 ]] && has_vip b && t1=$(ms_since "$t0")
  [[ -z $t2 ]] && has_vip2 b && t2=$(ms_since "$t0")
  sleep 0.002
done
[[ -n $t1 && -n $t2 ]] || fail "b did not take both VIPs after a crashed (VI_1 ${t1:-no}, VI_2 ${t2:-no})"
echo "SIGKILL of a: b holds VI_1 +${t1} ms, VI_2 +${t2} ms"
d=$((t1 > t2 ? t1 - t2 : t2 - t1))
((d <= 30)) || fail "the group members moved ${d} ms apart"
wait_for 2 grep -qx "GROUP G MASTER 0" "$WORK/notify-gn-b" || fail "no group MASTER notify on b"
log_has b "VRRP_Group(G) syncing instances to MASTER state" || fail "b did not log the group sync"
echo "PASS: sync group moves together (fault and crash)"
