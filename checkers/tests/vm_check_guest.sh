#!/bin/sh
# vm_check_guest.sh - runs INSIDE the test VM (root, dash), started by vm_check_test.sh:
#   vm-run.sh -s BUNDLE REPO sh checkers/tests/vm_check_guest.sh BUNDLE/bin/vigil
# `vigil -C -n -l` drives the kernel's IPVS table from its health checks:
#
#   client 10.0.1.2 --- front 10.0.1.0/24 --- 10.0.1.1 director (NAT VIP 10.0.1.100)
#   director 10.0.2.1 --- back 10.0.2.0/24 --- rs1 10.0.2.11, rs2 10.0.2.12
#                                               (busybox httpd; default route via the director)
#
# VIP:80 checks its real servers with HTTP_GET, VIP:81 (same real servers, port 80) with
# TCP_CHECK. rs2's web server is killed: rs2 must leave both services in `ipvsadm -Ln`
# within delay_loop + retry x delay_before_retry (+ a margin for TCG), after which every
# client request is answered by rs1. Restarted, rs2 comes back within delay_loop (+ margin)
# and gets its share again. SIGTERM: vigil removes its services. Exit 0 pass, 1 fail.
set -u
V=${1:?usage: vm_check_guest.sh VIGIL}
T=/tmp/vm-check
mkdir -p "$T"
DELAY=2 RETRY=2 DBR=1 TIMEOUT=1
# TCG runs a few hundred times slower than the host: probes, the reconcile, the log and
# this script's own polling of ipvsadm take tens of milliseconds each here.
MARGIN=1.5

fail() {
    echo "FAIL: $*" >&2
    if [ -f "$T/vigil.log" ]; then echo "---- vigil log (tail)" >&2; tail -n 30 "$T/vigil.log" >&2; fi
    exit 1
}
step() { echo "== $*"; }
in_ns() { ns=$1; shift; ip netns exec "$ns" "$@"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

# split URL N: N sequential requests from the client; prints "rs1=A rs2=B other=C".
split() {
    in_ns client sh -c '
        i=0
        while [ $i -lt "$2" ]; do
            timeout 5 busybox wget -q -O - "$1" 2>/dev/null || echo "wget-failed"
            i=$((i + 1))
        done' split "$1" "$2" > "$T/pages"
    a=$(grep -cx rs1 "$T/pages"); b=$(grep -cx rs2 "$T/pages")
    echo "rs1=$a rs2=$b other=$(($2 - a - b))"
}
in_table() {  # VIP:PORT RS:PORT
    in_ns director ipvsadm -Ln -t "$1" 2>/dev/null | grep -q " $2 "
}
# wait_until SECONDS COMMAND...: polls COMMAND every 50 ms; 1 when SECONDS pass first.
wait_until() {
    limit=$1; shift
    t=$(now)
    while :; do
        "$@" && return 0
        le "$(elapsed "$t")" "$limit" || return 1
        sleep 0.05
    done
}
not() { ! "$@"; }

httpd_pid=""
start_httpd() {  # NS N
    # not through in_ns: a function in the background is a subshell, and $! would be its pid
    ip netns exec "$1" busybox httpd -f -p 80 -h "$T/www$2" &
    httpd_pid=$!
    wait_until 5 in_ns "$1" sh -c 'ss -ltn | grep -q ":80 "' || fail "httpd in $1 did not listen"
}

# ---- topology -----------------------------------------------------------------------------
step "topology: client, director, rs1, rs2 on bridges front and back"
modprobe ip_vs || fail "modprobe ip_vs"
for ns in client director rs1 rs2; do
    ip netns add $ns || fail "ip netns add $ns"
    in_ns $ns ip link set lo up
done
for br in brfront brback; do
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
attach director ethfront brfront 10.0.1.1/24
attach director ethback brback 10.0.2.1/24
attach rs1 ethback brback 10.0.2.11/24
attach rs2 ethback brback 10.0.2.12/24
in_ns director ip addr add 10.0.1.100/24 dev ethfront &&
in_ns director sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward' || fail "director setup"
pids=""
for i in 1 2; do
    in_ns rs$i ip route add default via 10.0.2.1 || fail "rs$i default route"
    mkdir -p "$T/www$i" && echo "rs$i" > "$T/www$i/index.html"
    start_httpd rs$i $i
    pids="$pids $httpd_pid"
done
# shellcheck disable=SC2086
set -- $pids
rs2_httpd=$2

cat > "$T/check.conf" <<EOF
global_defs {
  router_id vm_check
}
virtual_server 10.0.1.100 80 {
  delay_loop $DELAY
  lvs_sched rr
  lvs_method NAT
  real_server 10.0.2.11 80 {
    HTTP_GET {
      url {
        path /index.html
        status_code 200
      }
      connect_timeout $TIMEOUT
      retry $RETRY
      delay_before_retry $DBR
    }
  }
  real_server 10.0.2.12 80 {
    HTTP_GET {
      url {
        path /index.html
        status_code 200
      }
      connect_timeout $TIMEOUT
      retry $RETRY
      delay_before_retry $DBR
    }
  }
}
virtual_server 10.0.1.100 81 {
  delay_loop $DELAY
  lvs_sched rr
  lvs_method NAT
  real_server 10.0.2.11 80 {
    TCP_CHECK {
      connect_timeout $TIMEOUT
      retry $RETRY
      delay_before_retry $DBR
    }
  }
  real_server 10.0.2.12 80 {
    TCP_CHECK {
      connect_timeout $TIMEOUT
      retry $RETRY
      delay_before_retry $DBR
    }
  }
}
EOF

step "vigil -C drives the kernel's table"
ip netns exec director "$V" -C -n -l -f "$T/check.conf" -p "$T/vigil.pid" > "$T/vigil.log" 2>&1 &
vigil_pid=$!
wait_until 15 grep -q "the checkers drive the kernel's table" "$T/vigil.log" || fail "vigil -C did not open kernel IPVS"
for vs in 10.0.1.100:80 10.0.1.100:81; do
    for rs in 10.0.2.11:80 10.0.2.12:80; do
        wait_until 10 in_table $vs $rs || fail "$rs not in $vs at start-up: $(in_ns director ipvsadm -Ln)"
    done
done
in_ns director ipvsadm -Ln
sleep $((DELAY + 1))  # every checker has probed once: nobody healthy left
for vs in 10.0.1.100:80 10.0.1.100:81; do
    got=$(split http://$vs/ 10)
    echo "$vs: $got"
    [ "$got" = "rs1=5 rs2=5 other=0" ] || fail "$vs rr split before the failure: $got"
done

# ---- rs2's web server dies ------------------------------------------------------------
bound=$(awk -v d=$DELAY -v r=$RETRY -v b=$DBR -v m=$MARGIN 'BEGIN { print d + r * b + m }')
step "rs2's httpd killed: it leaves both services within $DELAY + $RETRY x $DBR s (+ $MARGIN s TCG margin)"
t0=$(now)
kill -9 "$rs2_httpd" || fail "kill httpd"
wait_until 10 not in_table 10.0.1.100:80 10.0.2.12:80 || fail "rs2 still in VIP:80 after 10 s"
t_http=$(elapsed "$t0")
wait_until 10 not in_table 10.0.1.100:81 10.0.2.12:80 || fail "rs2 still in VIP:81 after 10 s"
t_tcp=$(elapsed "$t0")
echo "left VIP:80 (HTTP_GET) after ${t_http} s, VIP:81 (TCP_CHECK) after ${t_tcp} s, bound ${bound} s"
in_ns director ipvsadm -Ln
le "$t_http" "$bound" || fail "HTTP_GET: rs2 left after ${t_http} s > ${bound} s"
le "$t_tcp" "$bound" || fail "TCP_CHECK: rs2 left after ${t_tcp} s > ${bound} s"
grep -qE '\[10\.0\.2\.12\]:80 DOWN: HTTP_GET .*\(retry 2 of 2\) \(VS \[10\.0\.1\.100\]:80\)' "$T/vigil.log" ||
    fail "no 'DOWN: HTTP_GET ... (retry 2 of 2)' line"
grep -qE '\[10\.0\.2\.12\]:80 DOWN: TCP_CHECK connect: .*\(retry 2 of 2\) \(VS \[10\.0\.1\.100\]:81\)' "$T/vigil.log" ||
    fail "no 'DOWN: TCP_CHECK connect: ... (retry 2 of 2)' line"
for vs in 10.0.1.100:80 10.0.1.100:81; do
    got=$(split http://$vs/ 10)
    echo "$vs: $got"
    [ "$got" = "rs1=10 rs2=0 other=0" ] || fail "$vs: client traffic still reaches rs2 (or fails): $got"
done

# ---- restarted --------------------------------------------------------------------------
back=$(awk -v d=$DELAY -v m=$MARGIN 'BEGIN { print d + m }')
step "rs2's httpd restarted: it comes back within $DELAY s (+ $MARGIN s)"
t0=$(now)
start_httpd rs2 2
wait_until 10 in_table 10.0.1.100:80 10.0.2.12:80 || fail "rs2 not back in VIP:80 after 10 s"
t_http=$(elapsed "$t0")
wait_until 10 in_table 10.0.1.100:81 10.0.2.12:80 || fail "rs2 not back in VIP:81 after 10 s"
t_tcp=$(elapsed "$t0")
echo "back in VIP:80 after ${t_http} s, VIP:81 after ${t_tcp} s, bound ${back} s"
le "$t_http" "$back" || fail "HTTP_GET: rs2 back after ${t_http} s > ${back} s"
le "$t_tcp" "$back" || fail "TCP_CHECK: rs2 back after ${t_tcp} s > ${back} s"
for vs in 10.0.1.100:80 10.0.1.100:81; do
    got=$(split http://$vs/ 10)
    echo "$vs: $got"
    [ "$got" = "rs1=5 rs2=5 other=0" ] || fail "$vs rr split after the restart: $got"
done

# ---- shutdown -----------------------------------------------------------------------------
step "SIGTERM: vigil removes the services it put in the table"
kill -TERM "$vigil_pid"
wait_until 10 not kill -0 "$vigil_pid" 2>/dev/null || fail "vigil ignored SIGTERM"
[ -z "$(in_ns director ipvsadm -Ln | grep -E '^(TCP|UDP)')" ] || fail "services left behind: $(in_ns director ipvsadm -Ln)"
echo "== all passed"
