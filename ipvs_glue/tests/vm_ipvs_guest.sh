#!/bin/sh
# vm_ipvs_guest.sh - runs INSIDE the test VM (as root, under dash), started by vm_ipvs_test.sh:
#   vm-run.sh -s BUNDLE REPO sh ipvs_glue/tests/vm_ipvs_guest.sh BUNDLE/bin/vigil
# On Debian's kernel with real IPVS: `vigil ipvs apply` loads ip_vs itself, programs a
# configuration that ipvsadm reads back exactly; a second apply writes nothing; drift made
# with ipvsadm -e/-d/-E and -C is repaired; a foreign service is left alone; a table written
# by ipvsadm is read back by `vigil ipvs show` as ipvsadm shows it. Exit 0 pass, 1 fail.
set -u
V=${1:?usage: vm_ipvs_guest.sh VIGIL}
T=/tmp/vm-ipvs
mkdir -p "$T"

fail() {
    echo "FAIL: $*" >&2
    [ -f "$T/out" ] && sed 's/^/  | /' "$T/out" >&2
    exit 1
}
step() { echo "== $*"; }
apply() {
    "$V" ipvs apply -f "$T/k.conf" > "$T/out" 2>&1 || fail "vigil ipvs apply exited $?"
    tail -n 1 "$T/out"
}
expect_line() { grep -qxF "$1" "$T/out" || fail "expected the line '$1'"; }
expect_table() {
    ipvsadm -Ln --exact > "$T/a" || fail "ipvsadm -Ln"
    diff -u "$T/want" "$T/a" || fail "ipvsadm does not show what vigil should have written ($1)"
}
same_as_ipvsadm() {
    ipvsadm -Ln --exact > "$T/a" || fail "ipvsadm -Ln"
    "$V" ipvs show > "$T/b" 2>&1 || fail "vigil ipvs show exited $?"
    diff -u "$T/a" "$T/b" || fail "vigil ipvs show differs from ipvsadm -Ln --exact ($1)"
}

cat > "$T/k.conf" <<'EOF'
global_defs {
  lvs_timeouts tcp 900 tcpfin 30 udp 300
}
virtual_server 192.0.2.1 80 {
  lvs_sched rr
  real_server 10.0.0.2 80 { weight 2 }
  real_server 10.0.0.3 80 { lvs_method DR }
}
virtual_server 192.0.2.1 443 {
  lvs_sched wlc
  persistence_timeout 300
  persistence_granularity 255.255.255.0
  real_server 10.0.0.2 443 {}
}
virtual_server 2001:db8::1 80 {
  protocol UDP
  lvs_sched sh
  sh-port
  sh-fallback
  ops
  real_server 2001:db8::2 80 { lvs_method TUN }
}
virtual_server fwmark 7 {
  ip_family inet6
  lvs_sched rr
  persistence_timeout 60
  persistence_granularity 64
  persistence_engine sip
  real_server 2001:db8::5 {}
}
virtual_server 192.0.2.5 132 {
  protocol SCTP
  lvs_sched mh
  mh-port
  real_server 10.0.0.9 132 { lvs_method TUN type gue port 6080 }
}
EOF

cat > "$T/want" <<'EOF'
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  192.0.2.1:80 rr
  -> 10.0.0.2:80                  Masq    2      0          0         
  -> 10.0.0.3:80                  Route   1      0          0         
TCP  192.0.2.1:443 wlc persistent 300 mask 255.255.255.0
  -> 10.0.0.2:443                 Masq    1      0          0         
SCTP 192.0.2.5:132 mh (mh-port)
  -> 10.0.0.9:132                 Tunnel  1      0          0         
UDP  [2001:db8::1]:80 sh (sh-fallback,sh-port) ops
  -> [2001:db8::2]:80             Tunnel  1      0          0         
FWM  7 IPv6 rr persistent 60 mask 64 pe sip
  -> [2001:db8::5]:0              Masq    1      0          0         
EOF

step "apply with ip_vs not loaded: vigil loads it"
grep -q '^ip_vs ' /proc/modules && fail "ip_vs is loaded before vigil asked for it"
apply
expect_line "12 operations (12 netlink writes)"  # 11 IPVS writes + the timeouts
expect_table "first apply"
same_as_ipvsadm "first apply"
ipvsadm -Ln --timeout | grep -qxF 'Timeout (tcp tcpfin udp): 900 30 300' || fail "lvs_timeouts not applied"

step "second apply writes nothing"
apply
expect_line "0 operations (0 netlink writes)"

step "drift: ipvsadm -e, -d, -E"
ipvsadm -e -t 192.0.2.1:80 -r 10.0.0.2:80 -m -w 7 || fail "ipvsadm -e"
apply
expect_line "1 operation (1 netlink write)"
grep -qF 'edit dest 10.0.0.2:80 in TCP 192.0.2.1:80 (weight 7 -> 2)' "$T/out" || fail "drift line"
ipvsadm -d -t 192.0.2.1:80 -r 10.0.0.3:80 || fail "ipvsadm -d"
ipvsadm -E -t 192.0.2.1:443 -s rr -p 300 -M 255.255.255.0 || fail "ipvsadm -E"
apply
expect_line "2 operations (2 netlink writes)"
expect_table "after drift"

step "ipvsadm -C: apply restores the table"
ipvsadm -C
apply
expect_line "11 operations (11 netlink writes)"
expect_table "after ipvsadm -C"

step "a foreign service is left alone"
ipvsadm -A -t 198.51.100.1:25 -s rr && ipvsadm -a -t 198.51.100.1:25 -r 10.9.9.9:25 -m ||
    fail "ipvsadm -A/-a foreign"
apply
expect_line "left alone (not in $T/k.conf): TCP 198.51.100.1:25"
expect_line "0 operations (0 netlink writes)"
ipvsadm -Ln | grep -qF '10.9.9.9:25' || fail "the foreign service was touched"

step "written by ipvsadm, read by vigil ipvs show"
ipvsadm -C
ipvsadm -A -t 1.2.3.4:80 -s sh -b sh-port,sh-fallback -p 30 -M 255.255.0.0 --pe sip &&
ipvsadm -a -t 1.2.3.4:80 -r 10.1.1.1:80 -i --tun-type gue --tun-port 6080 --tun-remcsum -w 3 -x 10 -y 2 &&
ipvsadm -a -t 1.2.3.4:80 -r 10.1.1.2:8080 -m -w 0 &&
ipvsadm -A -f 9 -6 -s wrr -o &&
ipvsadm -a -f 9 -6 -r 2001:db8::9 -g &&
ipvsadm -A --sctp-service 5.6.7.8:9 -s mh -b mh-fallback &&
ipvsadm -A -u '[2001:db8::53]:53' -s lblcr -p 10 -M 96 &&
ipvsadm -a -u '[2001:db8::53]:53' -r '[2001:db8::54]:53' -g -w 65535 || fail "ipvsadm setup"
same_as_ipvsadm "written by ipvsadm"
"$V" ipvs show --json > "$T/j" || fail "vigil ipvs show --json"
for want in '"tun_type":"gue","tun_port":6080,"tun_flags":2' '"u_threshold":10,"l_threshold":2' \
            '"pe_name":"sip"' '"netmask":96' '"fwmark":9'; do
    grep -qF "$want" "$T/j" || fail "JSON read-back lacks $want"
done

echo "== all passed"
