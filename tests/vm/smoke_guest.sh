#!/bin/sh
# smoke_guest.sh - runs INSIDE the test VM (as root, under dash), started by smoke_test.sh:
#   vm-run.sh -s OUTDIR REPO sh tests/vm/smoke_guest.sh OUTDIR
# Checks that the guest kernel has IPVS (loaded on demand, every scheduler module loads,
# ipvsadm programs and reads back a service) and that network namespaces joined by a veth
# pair can ping each other. Prints its progress on stdout, a marker on stderr, writes the
# guest's kernel version to OUTDIR/from-guest (a second, read-write share) and exits 0 if
# everything passed, 1 at the first failure.
set -u
OUTDIR=${1:?usage: smoke_guest.sh OUTDIR}

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

step "kernel $(uname -r)"
uname -r > "$OUTDIR/from-guest" || fail "cannot write to the shared $OUTDIR"

step "ip_vs"
grep -q '^ip_vs ' /proc/modules && fail "ip_vs is loaded before anyone asked for it"
modprobe ip_vs || fail "modprobe ip_vs"
[ -e /proc/net/ip_vs ] || fail "/proc/net/ip_vs missing after modprobe ip_vs"
n=0
for ko in /lib/modules/"$(uname -r)"/kernel/net/netfilter/ipvs/ip_vs_*.ko*; do
    m=${ko##*/}; m=${m%%.ko*}
    modprobe "$m" || fail "modprobe $m"
    n=$((n + 1))
done
[ "$n" -ge 13 ] || fail "only $n ip_vs_* modules in the image"
echo "ip_vs and $n ip_vs_* modules (schedulers, ftp, pe_sip) loaded"

step "ipvsadm"
ipvsadm -A -t 10.0.0.1:80 -s rr || fail "ipvsadm -A"
ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.2:80 -m || fail "ipvsadm -a"
got=$(ipvsadm -Ln) || fail "ipvsadm -Ln"
echo "$got"
want="IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
 -> RemoteAddress:Port Forward Weight ActiveConn InActConn
TCP 10.0.0.1:80 rr
 -> 10.0.0.2:80 Masq 1 0 0"
[ "$(echo "$got" | sed 's/  */ /g; s/ $//')" = "$want" ] || fail "ipvsadm -Ln: unexpected output (want, blanks squeezed:
$want)"
ipvsadm -C || fail "ipvsadm -C"

step "netns + veth"
ip netns add smoke-a || fail "ip netns add"
ip netns add smoke-b || fail "ip netns add"
ip link add veth-a type veth peer name veth-b || fail "ip link add type veth"
ip link set veth-a netns smoke-a && ip link set veth-b netns smoke-b || fail "ip link set netns"
ip -n smoke-a addr add 10.1.0.1/24 dev veth-a && ip -n smoke-b addr add 10.1.0.2/24 dev veth-b \
    || fail "ip addr add"
for ns in smoke-a smoke-b; do
    ip -n $ns link set lo up && ip -n $ns link set "veth-${ns#smoke-}" up || fail "link up in $ns"
done
ip netns exec smoke-a ping -c 1 -W 5 10.1.0.2 || fail "ping smoke-a -> smoke-b"
ip netns exec smoke-b ping -c 1 -W 5 10.1.0.1 || fail "ping smoke-b -> smoke-a"

echo "smoke: stderr relay" >&2
step "all passed"
