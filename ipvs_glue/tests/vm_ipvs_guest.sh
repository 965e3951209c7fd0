#!/bin/sh
# vm_ipvs_guest.sh - runs INSIDE the test VM (as root, under dash), started by vm_ipvs_test.sh:
#   vm-run.sh -s BUNDLE REPO sh ipvs_glue/tests/vm_ipvs_guest.sh BUNDLE/bin/vigil
# On Debian's kernel with real IPVS: `vigil ipvs apply` loads ip_vs itself, programs a
# configuration that ipvsadm reads back exactly; a second apply writes nothing; drift made
# with ipvsadm -e/-d/-E and -C is repaired; a foreign service is left alone; a table written
# by ipvsadm is read back by `vigil ipvs show` as ipvsadm shows it. Then every attribute of
# the model (each 6.1 scheduler, flags, persistence, pe sip, NAT/DR/TUN ipip/gue/gre with
# tun_port and tun_flags, weights, thresholds, timeouts, sync daemons master/backup with
# every option) both ways: written by vigil and read by ipvsadm -Ln (--exact, --stats, --rate,
# --thresholds, --persistent-conn, --tun-info, --daemon, --timeout), and written by ipvsadm
# and read by vigil, which then finds nothing to change. Exit 0 pass, 1 fail.
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
# Every listing of ipvsadm against the same listing of vigil ipvs show, byte for byte.
same_listings() {
    for o in "" --stats --rate --thresholds --persistent-conn --tun-info --daemon --timeout; do
        # shellcheck disable=SC2086
        ipvsadm -Ln --exact $o > "$T/a" || fail "ipvsadm -Ln --exact $o"
        # shellcheck disable=SC2086
        "$V" ipvs show $o > "$T/b" 2>&1 || fail "vigil ipvs show $o exited $?"
        diff -u "$T/a" "$T/b" || fail "vigil ipvs show $o differs from ipvsadm -Ln --exact $o ($1)"
    done
}
# ipvsadm's listing with blanks squeezed (the columns are checked by same_listings).
squeezed() { ipvsadm -Ln --exact "$@" | sed 's/  */ /g; s/ $//'; }
expect_listing() {  # OPTION LINE...: each LINE is in the squeezed listing
    o=$1; shift
    # shellcheck disable=SC2086
    squeezed $o > "$T/sq" || fail "ipvsadm -Ln $o"
    for line in "$@"; do
        grep -qxF -- "$line" "$T/sq" || { cat "$T/sq" >&2; fail "ipvsadm -Ln $o lacks '$line'"; }
    done
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

step "ipvsadm's order (32-bit wrap-around, fwmarks printed signed) and mixed-family tunnels"
ipvsadm -C
for svc in "-t 10.0.0.1:80" "-t 192.0.2.1:80" "-t 200.0.0.1:80" "-t 128.0.0.1:80" "-f 1" \
           "-f 4000000000" "-f 2000000000" "-t [2001:db8::1]:80" "-t [fe80::1]:80"; do
    # shellcheck disable=SC2086
    ipvsadm -A $svc -s rr || fail "ipvsadm -A $svc"
done
for rs in 10.1.1.1:80 200.1.1.1:80 192.1.1.1:80 100.1.1.1:80 '[2001:db8::5]:80'; do
    ipvsadm -a -t 10.0.0.1:80 -r "$rs" -i || fail "ipvsadm -a -r $rs"
done
same_as_ipvsadm "wrap-around order"
grep -qxF 'FWM  -294967296 rr' "$T/b" || fail "fwmark 4000000000 not printed as ipvsadm does"

# ---- every attribute, written by vigil --------------------------------------------------
ipvsadm -C
ip link add dum0 type dummy && ip link set dum0 up && ip addr add 10.250.0.1/24 dev dum0 &&
ip link add dum1 type dummy && ip link set dum1 up && ip addr add 10.250.1.1/24 dev dum1 &&
ip -6 addr add 2001:db8:250::1/64 dev dum1 nodad || fail "dummy interfaces for the sync daemons"

cat > "$T/all.conf" <<'CONF'
global_defs {
  lvs_timeouts tcp 901 tcpfin 31 udp 301
  lvs_sync_daemon dum0 VI_1 maxlen 1400 port 8850 ttl 3 group 239.0.0.9
}
vrrp_instance VI_1 {
  interface dum0
  virtual_router_id 42
  priority 100
  virtual_ipaddress {
    10.250.0.100
  }
}
virtual_server 192.0.2.10 1 {
  lvs_sched rr
  real_server 10.0.0.1 80 {
    weight 0
  }
  real_server 10.0.0.2 1 {
    lvs_method DR
    weight 65535
    uthreshold 100
    lthreshold 10
  }
}
virtual_server 192.0.2.10 2 {
  lvs_sched wrr
  real_server 10.0.1.1 2 {
    lvs_method TUN
    weight 5
  }
}
virtual_server 192.0.2.10 3 {
  protocol UDP
  lvs_sched lc
  real_server 10.0.0.3 53 {}
}
virtual_server 192.0.2.10 4 {
  lvs_sched wlc
  persistence_timeout 300
  persistence_granularity 255.255.255.0
  real_server 10.0.0.4 4 {}
}
virtual_server 192.0.2.10 5 {
  lvs_sched lblc
  flag-1
  flag-3
  real_server 10.0.1.2 5 { lvs_method TUN type gue port 6080 }
}
virtual_server 192.0.2.10 6 {
  lvs_sched lblcr
  flag-2
  real_server 10.0.1.3 6 { lvs_method TUN type gre csum }
}
virtual_server 192.0.2.10 7 {
  lvs_sched dh
  real_server 10.0.1.4 7 { lvs_method TUN type gre nocsum }
}
virtual_server 192.0.2.10 8 {
  lvs_sched sh
  sh-port
  sh-fallback
  real_server 10.0.1.5 8 { lvs_method TUN type ipip }
}
virtual_server 192.0.2.10 9 {
  lvs_sched sed
  real_server 10.0.1.6 9 { lvs_method TUN type gue port 1 }
}
virtual_server 192.0.2.10 10 {
  lvs_sched nq
  real_server 10.0.0.10 10 { uthreshold 5 }
}
virtual_server 192.0.2.10 11 {
  lvs_sched fo
  real_server 10.0.0.11 11 { weight 3 }
  real_server 10.0.0.12 11 { weight 7 }
}
virtual_server 192.0.2.10 12 {
  lvs_sched ovf
  real_server 10.0.0.13 12 { weight 2 }
}
virtual_server 192.0.2.10 13 {
  lvs_sched mh
  mh-port
  mh-fallback
  real_server 10.0.0.14 13 {}
}
virtual_server 192.0.2.20 5000 {
  protocol SCTP
  lvs_sched rr
  real_server 10.0.0.20 5000 {}
}
virtual_server 2001:db8::10 443 {
  lvs_sched wlc
  persistence_timeout 100
  persistence_granularity 64
  real_server 2001:db8::11 443 { lvs_method DR }
}
virtual_server 2001:db8::53 53 {
  protocol UDP
  lvs_sched rr
  ops
  real_server 2001:db8::54 53 { lvs_method TUN type gue port 6080 }
}
virtual_server fwmark 1 {
  lvs_sched rr
  real_server 10.0.0.30 {}
}
virtual_server fwmark 2 {
  ip_family inet6
  lvs_sched wrr
  persistence_timeout 60
  persistence_engine sip
  real_server 2001:db8::31 { lvs_method DR }
}
CONF

# The same table and daemon, as ipvsadm commands.
cat > "$T/all.ipvsadm" <<'CMDS'
-A -t 192.0.2.10:1 -s rr
-a -t 192.0.2.10:1 -r 10.0.0.1:80 -m -w 0
-a -t 192.0.2.10:1 -r 10.0.0.2:1 -g -w 65535 -x 100 -y 10
-A -t 192.0.2.10:2 -s wrr
-a -t 192.0.2.10:2 -r 10.0.1.1:2 -i -w 5
-A -u 192.0.2.10:3 -s lc
-a -u 192.0.2.10:3 -r 10.0.0.3:53 -m
-A -t 192.0.2.10:4 -s wlc -p 300 -M 255.255.255.0
-a -t 192.0.2.10:4 -r 10.0.0.4:4 -m
-A -t 192.0.2.10:5 -s lblc -b flag-1,flag-3
-a -t 192.0.2.10:5 -r 10.0.1.2:5 -i --tun-type gue --tun-port 6080 --tun-nocsum
-A -t 192.0.2.10:6 -s lblcr -b flag-2
-a -t 192.0.2.10:6 -r 10.0.1.3:6 -i --tun-type gre --tun-csum
-A -t 192.0.2.10:7 -s dh
-a -t 192.0.2.10:7 -r 10.0.1.4:7 -i --tun-type gre --tun-nocsum
-A -t 192.0.2.10:8 -s sh -b sh-port,sh-fallback
-a -t 192.0.2.10:8 -r 10.0.1.5:8 -i --tun-type ipip
-A -t 192.0.2.10:9 -s sed
-a -t 192.0.2.10:9 -r 10.0.1.6:9 -i --tun-type gue --tun-port 1
-A -t 192.0.2.10:10 -s nq
-a -t 192.0.2.10:10 -r 10.0.0.10:10 -m -x 5
-A -t 192.0.2.10:11 -s fo
-a -t 192.0.2.10:11 -r 10.0.0.11:11 -m -w 3
-a -t 192.0.2.10:11 -r 10.0.0.12:11 -m -w 7
-A -t 192.0.2.10:12 -s ovf
-a -t 192.0.2.10:12 -r 10.0.0.13:12 -m -w 2
-A -t 192.0.2.10:13 -s mh -b mh-port,mh-fallback
-a -t 192.0.2.10:13 -r 10.0.0.14:13 -m
-A --sctp-service 192.0.2.20:5000 -s rr
-a --sctp-service 192.0.2.20:5000 -r 10.0.0.20:5000 -m
-A -t [2001:db8::10]:443 -s wlc -p 100 -M 64
-a -t [2001:db8::10]:443 -r [2001:db8::11]:443 -g
-A -u [2001:db8::53]:53 -s rr -o
-a -u [2001:db8::53]:53 -r [2001:db8::54]:53 -i --tun-type gue --tun-port 6080
-A -f 1 -s rr
-a -f 1 -r 10.0.0.30 -m
-A -f 2 -6 -s wrr -p 60 --pe sip
-a -f 2 -6 -r 2001:db8::31 -g
--set 901 31 301
--start-daemon master --mcast-interface dum0 --syncid 42 --sync-maxlen 1400 --mcast-group 239.0.0.9 --mcast-port 8850 --mcast-ttl 3
CMDS

cat > "$T/all.want" <<'EOF2'
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
 -> RemoteAddress:Port Forward Weight ActiveConn InActConn
TCP 192.0.2.10:1 rr
 -> 10.0.0.1:80 Masq 0 0 0
 -> 10.0.0.2:1 Route 65535 0 0
TCP 192.0.2.10:2 wrr
 -> 10.0.1.1:2 Tunnel 5 0 0
TCP 192.0.2.10:4 wlc persistent 300 mask 255.255.255.0
 -> 10.0.0.4:4 Masq 1 0 0
TCP 192.0.2.10:5 lblc (flag-1,flag-3)
 -> 10.0.1.2:5 Tunnel 1 0 0
TCP 192.0.2.10:6 lblcr (flag-2)
 -> 10.0.1.3:6 Tunnel 1 0 0
TCP 192.0.2.10:7 dh
 -> 10.0.1.4:7 Tunnel 1 0 0
TCP 192.0.2.10:8 sh (sh-fallback,sh-port)
 -> 10.0.1.5:8 Tunnel 1 0 0
TCP 192.0.2.10:9 sed
 -> 10.0.1.6:9 Tunnel 1 0 0
TCP 192.0.2.10:10 nq
 -> 10.0.0.10:10 Masq 1 0 0
TCP 192.0.2.10:11 fo
 -> 10.0.0.11:11 Masq 3 0 0
 -> 10.0.0.12:11 Masq 7 0 0
TCP 192.0.2.10:12 ovf
 -> 10.0.0.13:12 Masq 2 0 0
TCP 192.0.2.10:13 mh (mh-fallback,mh-port)
 -> 10.0.0.14:13 Masq 1 0 0
UDP 192.0.2.10:3 lc
 -> 10.0.0.3:53 Masq 1 0 0
SCTP 192.0.2.20:5000 rr
 -> 10.0.0.20:5000 Masq 1 0 0
TCP [2001:db8::10]:443 wlc persistent 100 mask 64
 -> [2001:db8::11]:443 Route 1 0 0
UDP [2001:db8::53]:53 rr ops
 -> [2001:db8::54]:53 Tunnel 1 0 0
FWM 1 rr
 -> 10.0.0.30:0 Masq 1 0 0
FWM 2 IPv6 wrr persistent 60 pe sip
 -> [2001:db8::31]:0 Route 1 0 0
EOF2

# What ipvsadm must show of all.conf (blanks squeezed), beyond the table above.
check_all_attributes() {
    squeezed > "$T/sq" || fail "ipvsadm -Ln"
    diff -u "$T/all.want" "$T/sq" || fail "ipvsadm -Ln does not show all.conf ($1)"
    expect_listing --thresholds ' -> 10.0.0.2:1 100 10 0 0' ' -> 10.0.0.1:80 0 0 0 0' \
        ' -> 10.0.0.10:10 5 0 0 0'
    expect_listing --persistent-conn ' -> 10.0.0.2:1 65535 0 0 0' ' -> 10.0.0.12:11 7 0 0 0'
    expect_listing --tun-info ' -> 10.0.1.1:2 Tunnel ipip 5 0 0' \
        ' -> 10.0.1.2:5 Tunnel gue:6080:-c 1 0 0' ' -> 10.0.1.3:6 Tunnel gre:+c 1 0 0' \
        ' -> 10.0.1.4:7 Tunnel gre:-c 1 0 0' ' -> 10.0.1.5:8 Tunnel ipip 1 0 0' \
        ' -> 10.0.1.6:9 Tunnel gue:1:-c 1 0 0' ' -> [2001:db8::54]:53 Tunnel gue:6080:-c 1 0 0' \
        ' -> 10.0.0.1:80 Masq n/a 0 0 0' ' -> [2001:db8::31]:0 Route n/a 1 0 0'
    expect_listing --timeout 'Timeout (tcp tcpfin udp): 901 31 301'
    expect_listing --daemon \
        'master sync daemon (mcast=dum0, syncid=42, maxlen=1400, group=239.0.0.9, port=8850, ttl=3)'
    same_listings "$1"
}

step "every attribute: vigil writes all.conf (13 schedulers, flags, pe, tunnels, timeouts, sync)"
apply_all() {
    "$V" ipvs apply -f "$T/all.conf" --sync-daemon master > "$T/out" 2>&1 ||
        fail "vigil ipvs apply -f all.conf --sync-daemon master exited $?"
    tail -n 1 "$T/out"
}
apply_all
expect_line "40 operations (40 netlink writes)"  # 18 services, 20 dests, timeouts, daemon
expect_line "start master sync daemon (mcast=dum0, syncid=42, maxlen=1400, group=239.0.0.9, port=8850, ttl=3)"
check_all_attributes "written by vigil"
ipvsadm -Sn > "$T/saved-vigil" || fail "ipvsadm -Sn"
apply_all
expect_line "0 operations (0 netlink writes)"

step "sync daemons: vigil sync start|stop, read by ipvsadm"
"$V" ipvs sync start backup --mcast-interface dum1 --syncid 7 --sync-maxlen 1000 \
    --mcast-group ff05::99 --mcast-port 9000 --mcast-ttl 5 > "$T/out" 2>&1 || fail "vigil ipvs sync start backup"
# The kernel raises a backup's maxlen to 1024 at least: both read that back.
expect_line "started backup sync daemon (mcast=dum1, syncid=7, maxlen=1024, group=ff05::99, port=9000, ttl=5)"
expect_listing --daemon \
    'master sync daemon (mcast=dum0, syncid=42, maxlen=1400, group=239.0.0.9, port=8850, ttl=3)' \
    'backup sync daemon (mcast=dum1, syncid=7, maxlen=1024, group=ff05::99, port=9000, ttl=5)'
same_listings "two sync daemons"
"$V" ipvs show --daemon --json > "$T/j" || fail "vigil ipvs show --daemon --json"
grep -qF '{"state":"backup","interface":"dum1","syncid":7,"maxlen":1024,"group":"ff05::99","port":9000,"ttl":5}' "$T/j" ||
    fail "JSON daemon read-back: $(cat "$T/j")"
"$V" ipvs sync stop backup > "$T/out" 2>&1 || fail "vigil ipvs sync stop backup"
"$V" ipvs sync stop master > "$T/out" 2>&1 || fail "vigil ipvs sync stop master"
[ -z "$(ipvsadm -Ln --daemon)" ] || fail "ipvsadm still shows a daemon after vigil ipvs sync stop"
"$V" ipvs sync stop master > "$T/out" 2>&1 && fail "stopping a stopped daemon succeeded"

step "timeouts and sync daemon drift: apply repairs them"
ipvsadm --set 100 20 200 || fail "ipvsadm --set"
ipvsadm --start-daemon master --mcast-interface dum0 --syncid 5 || fail "ipvsadm --start-daemon"
same_listings "daemon and timeouts set by ipvsadm"
apply_all
expect_line "3 operations (3 netlink writes)"  # timeouts, stop + start of the daemon
check_all_attributes "after daemon and timeout drift"

# ---- every attribute, written by ipvsadm --------------------------------------------------
step "every attribute: ipvsadm writes the same table, vigil reads it and changes nothing"
ipvsadm -C && ipvsadm --stop-daemon master && ipvsadm --set 900 120 300 || fail "reset"
set -f  # the [v6]:port words are no globs
while read -r cmd; do
    # shellcheck disable=SC2086
    ipvsadm $cmd || fail "ipvsadm $cmd"
done < "$T/all.ipvsadm"
set +f
check_all_attributes "written by ipvsadm"
ipvsadm -Sn > "$T/saved-ipvsadm" || fail "ipvsadm -Sn"
diff -u "$T/saved-vigil" "$T/saved-ipvsadm" || fail "ipvsadm -S differs between the two writers"
apply_all
expect_line "0 operations (0 netlink writes)"
"$V" ipvs show --json > "$T/j" || fail "vigil ipvs show --json"
for want in '"tun_type":"gue","tun_port":6080,"tun_flags":0' '"tun_type":"gre","tun_port":0,"tun_flags":1' \
            '"weight":65535,"u_threshold":100,"l_threshold":10' '"scheduler":"ovf"' \
            '"flags":{"persistent":false,"hashed":true,"one_packet":false,"sched1":true,"sched2":false,"sched3":true}' \
            '"pe_name":"sip"' '"protocol":"SCTP"' '"fwmark":2'; do
    grep -qF "$want" "$T/j" || fail "JSON read-back lacks $want"
done
"$V" ipvs show --timeout --json > "$T/j" && grep -qxF '{"tcp":901,"tcpfin":31,"udp":301}' "$T/j" ||
    fail "JSON timeouts: $(cat "$T/j")"
ipvsadm --start-daemon backup --mcast-interface dum1 || fail "ipvsadm --start-daemon backup (defaults)"
same_listings "backup daemon started by ipvsadm with defaults"
ipvsadm --stop-daemon backup

step "a scheduler whose module is missing: named, the other services still applied"
cat > "$T/twos.conf" <<'CONF'
virtual_server 192.0.2.99 80 {
  lvs_sched twos
  real_server 10.0.0.99 80 {}
}
virtual_server 192.0.2.99 81 {
  lvs_sched rr
  real_server 10.0.0.99 81 {}
}
CONF
if "$V" ipvs apply -f "$T/twos.conf" > "$T/out" 2>&1; then
    modprobe -q ip_vs_twos || fail "apply of a twos service succeeded without ip_vs_twos"
    ipvsadm -Ln | grep -qF '192.0.2.99:80 twos' || fail "twos service missing"
else
    grep -qF "scheduler 'twos' (module ip_vs_twos) not available" "$T/out" || fail "no missing-scheduler message"
    grep -qF 'TCP 192.0.2.99:80' "$T/out" || fail "the missing-scheduler message names no service"
fi
ipvsadm -Ln | grep -qF '192.0.2.99:81 rr' || fail "the other service was not applied"

step "GUE with csum / remcsum (keepalived's 6-word lvs_method), both ways"
ipvsadm -C
cat > "$T/gue.conf" <<'CONF'
virtual_server 192.0.2.30 1 {
  lvs_sched rr
  real_server 10.0.2.1 1 { lvs_method TUN type gue port 6081 csum }
  real_server 10.0.2.2 1 { lvs_method TUN type gue port 6082 remcsum }
  real_server 10.0.2.3 1 { lvs_method TUN type gue port 6083 nocsum }
}
virtual_server 2001:db8::30 1 {
  lvs_sched rr
  real_server 2001:db8::31 1 { lvs_method TUN type gue port 6084 remcsum }
}
CONF
"$V" ipvs apply -f "$T/gue.conf" > "$T/out" 2>&1 || fail "vigil ipvs apply -f gue.conf exited $?"
expect_line "6 operations (6 netlink writes)"
expect_listing --tun-info ' -> 10.0.2.1:1 Tunnel gue:6081:+c 1 0 0' ' -> 10.0.2.2:1 Tunnel gue:6082:r+c 1 0 0' \
    ' -> 10.0.2.3:1 Tunnel gue:6083:-c 1 0 0' ' -> [2001:db8::31]:1 Tunnel gue:6084:r+c 1 0 0'
same_listings "gue.conf written by vigil"
ipvsadm -C
ipvsadm -A -t 192.0.2.30:1 -s rr &&
ipvsadm -a -t 192.0.2.30:1 -r 10.0.2.1:1 -i --tun-type gue --tun-port 6081 --tun-csum &&
ipvsadm -a -t 192.0.2.30:1 -r 10.0.2.2:1 -i --tun-type gue --tun-port 6082 --tun-remcsum &&
ipvsadm -a -t 192.0.2.30:1 -r 10.0.2.3:1 -i --tun-type gue --tun-port 6083 --tun-nocsum &&
ipvsadm -A -t '[2001:db8::30]:1' -s rr &&
ipvsadm -a -t '[2001:db8::30]:1' -r '[2001:db8::31]:1' -i --tun-type gue --tun-port 6084 --tun-remcsum ||
    fail "ipvsadm gue setup"
same_listings "gue written by ipvsadm"
"$V" ipvs apply -f "$T/gue.conf" > "$T/out" 2>&1 || fail "vigil ipvs apply -f gue.conf exited $?"
expect_line "0 operations (0 netlink writes)"

echo "== all passed"
