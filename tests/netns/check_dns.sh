#!/usr/bin/env bash
# DNS_CHECK against dnsmasq (Debian's dnsmasq-base) in a namespace: an A query that it
# answers (NOERROR), and one for a name it refuses. dnsmasq is stopped (the ICMP port
# unreachable fails the check at once): the server leaves the desired table within its
# retries; restarted: it comes back.   Usage: check_dns.sh VIGIL_BINARY
set -euo pipefail
vigil=${1:?vigil binary}
source "$(dirname "$0")/check_lib.sh"
need_cmd dnsmasq

start_dns() {
  ip netns exec "$srv_ns" dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-poll --user=root --group=root \
    --listen-address=192.0.2.2 --bind-interfaces --port=53 --pid-file="$tmp/dnsmasq.pid" \
    --address=/www.example.com/192.0.2.80 --local=/example.com/ >/dev/null 2>&1 &
  dns_pid=$!
  track_pid "$dns_pid"
  wait_for 5 test -s "$tmp/dnsmasq.pid" || fail "dnsmasq did not start"
}
start_dns

delay=1 timeout=1 retry=2 dbr=0.5
cat >"$tmp/k.conf" <<CONF
virtual_server 10.0.0.100 53 {
  protocol UDP
  delay_loop $delay
  real_server 192.0.2.2 53 {
    DNS_CHECK {
      type A
      name www.example.com
      connect_timeout $timeout
      retry $retry
      delay_before_retry $dbr
    }
  }
}
virtual_server 10.0.0.101 53 {
  protocol UDP
  delay_loop $delay
  # a name dnsmasq answers NXDOMAIN for (--local=/example.com/)
  real_server 192.0.2.2 53 {
    DNS_CHECK {
      type AAAA
      name missing.example.com
      connect_timeout $timeout
    }
  }
}
CONF
start_vigil "$tmp/k.conf"
bound=$(leave_bound $delay $timeout $retry $dbr)
expect_seen 10 '\[192\.0\.2\.2\]:53 DOWN: DNS_CHECK \[192\.0\.2\.2\]:53: NXDOMAIN' "NXDOMAIN fails the check"
sleep $((delay * 2 + 1))
! grep -qE 'delete dest 192\.0\.2\.2:53 from UDP 10\.0\.0\.100:53' "$log" || fail "the answered query failed"
echo "  ok: A www.example.com answered NOERROR: in the table"

after "$bound" 'delete dest 192\.0\.2\.2:53 from UDP 10\.0\.0\.100:53' "DNS server left the table" kill -TERM "$dns_pid"
expect_seen 1 'DOWN: DNS_CHECK \[192\.0\.2\.2\]:53: port unreachable \(ICMP\) \(retry 2 of 2\)' "  reason: ICMP port unreachable"
after $((delay + timeout + 3)) 'add dest 192\.0\.2\.2:53 to UDP 10\.0\.0\.100:53' "DNS server back" start_dns
stop_vigil
echo "PASS: check_dns"
