#!/usr/bin/env bash
# TCP_CHECK across a veth, IPv4 and IPv6, both ways of probing:
#  - half-open (the default, --tcp-check=syn): both servers in the table, and their
#    listeners never accept a connection nor keep a half-open one (the director's kernel
#    resets each SYN-ACK); the IPv4 listener stopped: the server leaves the table
#    ("connect: Connection refused") and comes back when restarted; SYNs to the IPv6 one
#    dropped by nftables: it leaves ("timeout") and comes back when they are not;
#  - --tcp-check=connect: the listeners accept the probes' connections; stopped: leaves,
#    restarted: back.
#   Usage: check_tcp.sh VIGIL_BINARY
set -euo pipefail
vigil=${1:?vigil binary}
source "$(dirname "$0")/check_lib.sh"
need_cmd python3

# listen NAME ADDRESS: a listener in the server namespace on ADDRESS port 80 that appends a
# line to $tmp/NAME.accepts for every connection it accepts (and closes it).
cat >"$tmp/listen.py" <<'PY'
import socket, sys
addr, path = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, 80))
s.listen(128)
while True:
    c, peer = s.accept()
    with open(path, "a") as f:
        f.write(str(peer) + "\n")
    c.close()
PY
listen() {
  local name=$1 addr=$2
  ip netns exec "$srv_ns" python3 "$tmp/listen.py" "$addr" "$tmp/$name.accepts" &
  eval "${name}_pid=$!"
  track_pid "$!"
  wait_for 5 bash -c "ip netns exec $srv_ns ss -Htln | grep -q '$addr\]*:80 '" || fail "listener $name did not start"
}
accepts() { [[ -f $tmp/$1.accepts ]] && wc -l <"$tmp/$1.accepts" || echo 0; }
: >"$tmp/v4.accepts"
: >"$tmp/v6.accepts"
listen v4 192.0.2.2
listen v6 2001:db8::2
# The neighbours first: a new namespace's first IPv6 neighbour discovery takes about a
# second here, which fails a first check (connect() or half-open alike) at connect_timeout 1.
# (A connect() to a closed port of each: refused once the neighbour is known.)
in_dir python3 -c '
import socket, sys
for a in sys.argv[1:]:
    s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET)
    s.settimeout(5)
    try:
        s.connect((a, 9))
    except ConnectionRefusedError:
        pass
' 192.0.2.2 2001:db8::2 || fail "the servers' addresses are unreachable"

delay=1 timeout=1 retry=1 dbr=0.5
cat >"$tmp/k.conf" <<CONF
virtual_server 10.0.0.100 80 {
  delay_loop $delay
  real_server 192.0.2.2 80 {
    TCP_CHECK {
      connect_timeout $timeout
      retry $retry
      delay_before_retry $dbr
    }
  }
}
virtual_server 2001:db8::100 80 {
  delay_loop $delay
  real_server 2001:db8::2 80 {
    TCP_CHECK {
      connect_timeout $timeout
      retry $retry
      delay_before_retry $dbr
    }
  }
}
CONF
bound=$(leave_bound $delay $timeout $retry $dbr)

echo "half-open probes (default)"
start_vigil "$tmp/k.conf"
expect_seen 2 'TCP_CHECK: half-open \(SYN\) probes$' "half-open probes for both families"
sleep $((delay * 3))
! grep -qE 'delete dest|DOWN' "$log" || { tail -n 20 "$log"; fail "a listening server failed its check"; }
echo "  ok: both servers up for ${delay}x3 s"
[[ $(accepts v4) -eq 0 && $(accepts v6) -eq 0 ]] ||
  fail "the listeners accepted $(accepts v4) + $(accepts v6) connections: the probes were not half-open"
echo "  ok: the listeners accepted no connection"
halfopen=$(ip netns exec "$srv_ns" ss -Htn state syn-recv | wc -l)
[[ $halfopen -eq 0 ]] || fail "$halfopen half-open connections left on the servers"
echo "  ok: no half-open connection left on the servers"

after "$bound" 'delete dest 192\.0\.2\.2:80 from TCP 10\.0\.0\.100:80' "IPv4 server left the table" \
  kill -TERM "$v4_pid"
expect_seen 1 'DOWN: TCP_CHECK connect: Connection refused' "  reason: connection refused"
after $((delay + timeout + 3)) 'add dest 192\.0\.2\.2:80 to TCP 10\.0\.0\.100:80' "IPv4 server back" listen v4 192.0.2.2

drop_syns() {
  ip netns exec "$srv_ns" nft 'add table inet drill; add chain inet drill in { type filter hook input priority 0; };
    add rule inet drill in ip6 daddr 2001:db8::2 tcp dport 80 drop'
}
if command -v nft >/dev/null; then
  after "$bound" 'delete dest \[2001:db8::2\]:80 from TCP \[2001:db8::100\]:80' "IPv6 server left the table (SYNs dropped)" \
    drop_syns
  expect_seen 1 '\[2001:db8::2\]:80 DOWN: TCP_CHECK timeout' "  reason: timeout"
  after $((delay + timeout + 3)) 'add dest \[2001:db8::2\]:80 to TCP \[2001:db8::100\]:80' "IPv6 server back" \
    ip netns exec "$srv_ns" nft delete table inet drill
else
  echo "  (nft not installed: the dropped-SYN case is not run)"
fi
[[ $(accepts v4) -eq 0 && $(accepts v6) -eq 0 ]] || fail "the listeners accepted connections"
stop_vigil

echo "connect() probes (--tcp-check=connect)"
start_vigil "$tmp/k.conf" --tcp-check=connect
expect_seen 2 'TCP_CHECK: full connect\(\) probes' "connect() probes"
wait_for $((delay * 3)) bash -c "[[ \$(wc -l <'$tmp/v4.accepts') -gt 0 && \$(wc -l <'$tmp/v6.accepts') -gt 0 ]]" ||
  fail "the listeners accepted no connection: $(accepts v4) + $(accepts v6)"
echo "  ok: the listeners accepted the probes' connections"
after "$bound" 'delete dest 192\.0\.2\.2:80 from TCP 10\.0\.0\.100:80' "IPv4 server left the table" \
  kill -TERM "$v4_pid"
after $((delay + timeout + 3)) 'add dest 192\.0\.2\.2:80 to TCP 10\.0\.0\.100:80' "IPv4 server back" listen v4 192.0.2.2
! grep -qE 'delete dest \[2001' "$log" || fail "the IPv6 server failed a connect() check"
stop_vigil
echo "PASS: check_tcp"
