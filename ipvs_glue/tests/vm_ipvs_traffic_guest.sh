#!/bin/sh
# vm_ipvs_traffic_guest.sh - runs INSIDE the test VM (root, dash), started by vm_ipvs_test.sh:
#   vm-run.sh -s BUNDLE REPO sh ipvs_glue/tests/vm_ipvs_traffic_guest.sh BUNDLE/bin/vigil
# Real traffic through IPVS programmed by `vigil ipvs apply`, in four network namespaces:
#
#   client  10.0.1.2 ---- front 10.0.1.0/24 ---- 10.0.1.1 director (NAT VIP 10.0.1.100)
#           10.0.3.2 ---- lan   10.0.3.0/24 ---- 10.0.3.1 director (DR VIP 10.0.3.100,
#                           |   |                          TUN VIPs 10.0.4.100-102 on lo)
#                         rs1 rs2 .11/.12 (DR/TUN VIPs on lo / tunl0 / gre0, arp_ignore)
#           director 10.0.2.1 --- back 10.0.2.0/24 --- rs1 10.0.2.11, rs2 10.0.2.12
#                                                      (default route via the director)
# rs1 and rs2 run busybox httpd serving "rs1" / "rs2". Checked: NAT rr splits 100 requests
# 50/50; weight 0 in the configuration drains rs2 (one netlink write); DR and TUN (ipip, gre,
# gue) deliver to the real servers, which answer the client directly (the director sees no
# reply packets: OutPkts 0); a persistent service sticks to one server and shows a
# persistence template. After the traffic, vigil's read-back equals ipvsadm's for every
# listing with counters: --stats, --rate, --persistent-conn, -c. Exit 0 pass, 1 fail.
set -u
V=${1:?usage: vm_ipvs_traffic_guest.sh VIGIL}
T=/tmp/vm-ipvs-traffic
mkdir -p "$T"

fail() {
    echo "FAIL: $*" >&2
    [ -f "$T/out" ] && sed 's/^/  | /' "$T/out" >&2
    exit 1
}
step() { echo "== $*"; }
in_ns() { ns=$1; shift; ip netns exec "$ns" "$@"; }
apply() {
    in_ns director "$V" ipvs apply -f "$T/drill.conf" > "$T/out" 2>&1 || fail "vigil ipvs apply exited $?"
    tail -n 1 "$T/out"
}
expect_line() { grep -qxF "$1" "$T/out" || fail "expected the line '$1'"; }

# requests URL N: N sequential HTTP requests from the client; prints one page (rs1|rs2) a line.
requests() {
    in_ns client sh -c '
        i=0
        while [ $i -lt "$2" ]; do
            timeout 5 busybox wget -q -O - "$1" || echo "wget-failed"
            i=$((i + 1))
        done' requests "$1" "$2"
}
# split URL N: N requests; prints "rs1=A rs2=B other=C".
split() {
    requests "$1" "$2" > "$T/pages"
    a=$(grep -cx rs1 "$T/pages"); b=$(grep -cx rs2 "$T/pages")
    echo "rs1=$a rs2=$b other=$(($2 - a - b))"
}

# ---- topology ---------------------------------------------------------------------------
step "topology: client, director, rs1, rs2 on bridges front, back, lan"
for ns in client director rs1 rs2; do
    ip netns add $ns || fail "ip netns add $ns"
    in_ns $ns ip link set lo up
done
for br in brfront brback brlan; do
    ip link add $br type bridge && ip link set $br up || fail "bridge $br"
done
n=0
attach() {  # NS IFNAME BRIDGE CIDR
    n=$((n + 1))
    ip link add "$2" type veth peer name "vport$n" &&
    ip link set "$2" netns "$1" &&
    ip link set "vport$n" master "$3" up &&
    in_ns "$1" ip addr add "$4" dev "$2" &&
    in_ns "$1" ip link set "$2" up || fail "attach $1 $2 to $3"
}
attach client ethfront brfront 10.0.1.2/24
attach client ethlan brlan 10.0.3.2/24
attach director ethfront brfront 10.0.1.1/24
attach director ethback brback 10.0.2.1/24
attach director ethlan brlan 10.0.3.1/24
attach rs1 ethback brback 10.0.2.11/24
attach rs1 ethlan brlan 10.0.3.11/24
attach rs2 ethback brback 10.0.2.12/24
attach rs2 ethlan brlan 10.0.3.12/24

# The director: VIPs, forwarding (NAT replies come back through it).
in_ns director ip addr add 10.0.1.100/24 dev ethfront &&
in_ns director ip addr add 10.0.3.100/24 dev ethlan &&
in_ns director ip addr add 10.0.4.100/32 dev lo &&
in_ns director ip addr add 10.0.4.101/32 dev lo &&
in_ns director ip addr add 10.0.4.102/32 dev lo &&
in_ns director sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward' || fail "director setup"
# The client reaches the TUN VIPs through the director.
in_ns client ip route add 10.0.4.0/24 via 10.0.3.1 || fail "client route"

modprobe ipip && modprobe ip_gre && modprobe fou || fail "tunnel modules"
for rs in rs1 rs2; do
    i=${rs#rs}
    in_ns $rs ip route add default via 10.0.2.1 || fail "$rs default route"
    # The VIPs are local but never answered for in ARP: arp_ignore 1, arp_announce 2. The
    # tunnels' inner packets come from the client, which is not behind them: rp_filter 0.
    in_ns $rs sh -c '
        for c in all default lo ethlan ethback; do
            echo 1 > /proc/sys/net/ipv4/conf/$c/arp_ignore
            echo 2 > /proc/sys/net/ipv4/conf/$c/arp_announce
            echo 0 > /proc/sys/net/ipv4/conf/$c/rp_filter
        done' || fail "$rs sysctls"
    in_ns $rs ip addr add 10.0.3.100/32 dev lo &&          # DR VIP
    in_ns $rs ip link set tunl0 up &&                      # ipip (and GUE, decapsulated to it)
    in_ns $rs ip addr add 10.0.4.100/32 dev tunl0 &&
    in_ns $rs ip addr add 10.0.4.102/32 dev tunl0 &&
    in_ns $rs ip link set gre0 up &&                       # gre
    in_ns $rs ip addr add 10.0.4.101/32 dev gre0 &&
    in_ns $rs ip fou add port 6080 gue || fail "$rs tunnels"
    in_ns $rs sh -c 'for c in tunl0 gre0; do echo 0 > /proc/sys/net/ipv4/conf/$c/rp_filter; done'
    mkdir -p "$T/www$i" && echo "rs$i" > "$T/www$i/index.html"
    in_ns $rs busybox httpd -p 80 -h "$T/www$i" || fail "httpd in $rs"
done
in_ns client ping -c 1 -W 5 10.0.2.11 > /dev/null 2>&1 && fail "the client reaches the back network directly"
for rs in 10.0.3.11 10.0.3.12; do
    [ "$(in_ns client timeout 5 busybox wget -q -O - http://$rs/)" = "rs${rs##*.1}" ] ||
        fail "the client cannot fetch from $rs directly"
done

cat > "$T/drill.conf" <<'EOF'
virtual_server 10.0.1.100 80 {
  lvs_sched rr
  lvs_method NAT
  real_server 10.0.2.11 80 {
    weight 1
  }
  real_server 10.0.2.12 80 {
    weight 1
  }
}
virtual_server 10.0.3.100 80 {
  lvs_sched rr
  lvs_method DR
  real_server 10.0.3.11 80 {}
  real_server 10.0.3.12 80 {}
}
virtual_server 10.0.4.100 80 {
  lvs_sched rr
  lvs_method TUN
  real_server 10.0.3.11 80 {}
  real_server 10.0.3.12 80 {}
}
virtual_server 10.0.4.101 80 {
  lvs_sched rr
  lvs_method TUN type gre
  real_server 10.0.3.11 80 {}
  real_server 10.0.3.12 80 {}
}
virtual_server 10.0.4.102 80 {
  lvs_sched rr
  lvs_method TUN type gue port 6080
  real_server 10.0.3.11 80 {}
  real_server 10.0.3.12 80 {}
}
virtual_server 10.0.1.100 8080 {
  lvs_sched rr
  lvs_method NAT
  persistence_timeout 600
  real_server 10.0.2.11 80 {}
  real_server 10.0.2.12 80 {}
}
EOF

# Service counters as "conns inpkts outpkts" (ipvsadm -Ln --stats --exact).
service_stats() {  # VIP:PORT
    in_ns director ipvsadm -Ln --stats --exact -t "$1" | awk '$1 == "TCP" { print $3, $4, $5 }'
}

# ---- NAT ----------------------------------------------------------------------------------
step "NAT, rr: 100 requests split 50/50"
apply
expect_line "18 operations (18 netlink writes)"  # 6 services, 12 destinations
got=$(split http://10.0.1.100/ 100)
echo "$got"
[ "$got" = "rs1=50 rs2=50 other=0" ] || fail "NAT rr split: $got"

step "weight 0 for rs2 in the configuration: drained"
sed -i '/10.0.2.12 80/,/}/ s/weight 1/weight 0/' "$T/drill.conf"
apply
expect_line "1 operation (1 netlink write)"
grep -qF 'edit dest 10.0.2.12:80 in TCP 10.0.1.100:80 (weight 1 -> 0)' "$T/out" || fail "drain line"
got=$(split http://10.0.1.100/ 20)
echo "$got"
[ "$got" = "rs1=20 rs2=0 other=0" ] || fail "weight 0 did not drain rs2: $got"
sed -i '/10.0.2.12 80/,/}/ s/weight 0/weight 1/' "$T/drill.conf"
apply
expect_line "1 operation (1 netlink write)"
got=$(split http://10.0.1.100/ 10)
[ "$got" = "rs1=5 rs2=5 other=0" ] || fail "weight 1 again: $got"

# ---- DR and TUN: the real servers answer the client directly -----------------------------
for case in "DR 10.0.3.100" "TUN-ipip 10.0.4.100" "TUN-gre 10.0.4.101" "TUN-gue 10.0.4.102"; do
    # shellcheck disable=SC2086
    set -- $case
    step "$1: 20 requests to $2, answered by the real servers directly"
    got=$(split "http://$2/" 20)
    echo "$got"
    [ "$got" = "rs1=10 rs2=10 other=0" ] || fail "$1 rr split: $got"
done

step "persistence: one client sticks to one real server, with a template connection"
got=$(split http://10.0.1.100:8080/ 10)
echo "$got"
[ "$got" = "rs1=10 rs2=0 other=0" ] || [ "$got" = "rs1=0 rs2=10 other=0" ] || fail "persistence: $got"
# "-> ADDR WEIGHT PERSISTCONN ACTIVECONN INACTCONN": one template, the ten connections.
in_ns director ipvsadm -Ln --persistent-conn -t 10.0.1.100:8080 |
    awk '$1 == "->" && $4 == 1 && $5 + $6 == 10 { found = 1 } END { exit !found }' ||
    fail "no persistence template / connection counts: $(in_ns director ipvsadm -Ln --persistent-conn)"

# ---- read-back with live counters ---------------------------------------------------------
# Rates move every 2 s and expiry times every second: compare up to 15 times until a pair of
# reads falls between two changes.
same_within() {  # WHAT IPVSADM_ARGS -- VIGIL_ARGS
    what=$1; shift
    a_args=""; while [ "$1" != -- ]; do a_args="$a_args $1"; shift; done; shift
    tries=0
    while :; do
        # vigil first, ipvsadm right after: vigil reads the kernel at the end of its start-up
        # (long under TCG), ipvsadm at once, so the two reads are close together.
        in_ns director "$V" ipvs show "$@" > "$T/b" 2>&1 || fail "vigil ipvs show $*"
        # shellcheck disable=SC2086
        in_ns director ipvsadm $a_args > "$T/a" 2>&1 || fail "ipvsadm$a_args"
        cmp -s "$T/a" "$T/b" && return 0
        tries=$((tries + 1))
        [ $tries -lt 15 ] || { diff -u "$T/a" "$T/b"; fail "$what: vigil differs from ipvsadm"; }
    done
}
step "counters: NAT replies pass the director, DR and TUN replies do not"
sleep 3  # the kernel folds the per-CPU counters into what it reports every 2 s
# shellcheck disable=SC2046
set -- $(service_stats 10.0.1.100:80)
[ "$1" = 130 ] && [ "$3" -gt 0 ] || fail "NAT stats: conns $1 outpkts $3 (want 130 and > 0)"
for vip in 10.0.3.100 10.0.4.100 10.0.4.101 10.0.4.102; do
    # shellcheck disable=SC2046
    set -- $(service_stats $vip:80)
    [ "$1" = 20 ] && [ "$2" -gt 0 ] && [ "$3" = 0 ] ||
        fail "$vip stats: conns $1 inpkts $2 outpkts $3 (want 20, > 0, 0: replies bypass the director)"
done

step "after the traffic: vigil ipvs show equals ipvsadm for every listing with counters"
same_within "table" -Ln --exact -- 
same_within "stats" -Ln --stats --exact -- --stats
same_within "rate" -Ln --rate --exact -- --rate
same_within "persistent-conn" -Ln --persistent-conn --exact -- --persistent-conn
same_within "thresholds" -Ln --thresholds --exact -- --thresholds
# Hundreds of connections each count down their own second: two reads of the table never
# agree on every expiry time. Columns other than "expire" must be equal; vigil's expire at
# most the time between the two reads (+1 s of rounding) below ipvsadm's, never above.
t0=$(date +%s)
in_ns director ipvsadm -Lnc > "$T/a" || fail "ipvsadm -Lnc"
in_ns director "$V" ipvs show -c > "$T/b" 2>&1 || fail "vigil ipvs show -c"
gap=$(( $(date +%s) - t0 + 1 ))
awk -v gap="$gap" 'NR == FNR { a[FNR] = $0; n = FNR; next }
     function secs(t,  p) { split(t, p, ":"); return p[1] * 60 + p[2] }
     { x = a[FNR]; y = $0; split(x, f); split(y, g)
       if (FNR > 2 && f[2] ~ /:/ && g[2] ~ /:/) {
           d = secs(f[2]) - secs(g[2]); if (d < 0 || d > gap) { print "expire " FNR ": " x " | " y; bad = 1 }
           sub(/ [0-9][0-9]:[0-9][0-9] /, " ", x); sub(/ [0-9][0-9]:[0-9][0-9] /, " ", y) }
       if (x != y) { print "line " FNR ": " x " | " y; bad = 1 } }
     END { if (FNR != n) { print "line counts differ"; bad = 1 }; exit bad }' "$T/a" "$T/b" ||
    fail "connections: vigil ipvs show -c differs from ipvsadm -Lnc"
[ "$(wc -l < "$T/b")" -gt 200 ] || fail "few connections listed: $(wc -l < "$T/b")"
in_ns director "$V" ipvs show -c --json > "$T/j" || fail "vigil ipvs show -c --json"
grep -qF '"virtual":"10.0.4.102","virtual_port":80' "$T/j" || fail "JSON connections lack the GUE service"
in_ns director "$V" ipvs show --stats > "$T/b"
grep -qE '^TCP  10.0.1.100:80 +130 ' "$T/b" || fail "vigil --stats: NAT service conns != 130"

step "apply after the traffic still writes nothing; ipvsadm -C then apply restores the table"
apply
expect_line "0 operations (0 netlink writes)"
in_ns director ipvsadm -C
apply
expect_line "18 operations (18 netlink writes)"
got=$(split http://10.0.1.100/ 10)
[ "$got" = "rs1=5 rs2=5 other=0" ] || fail "after restore: $got"

echo "== all passed"
