#!/usr/bin/env bash
# PING_CHECK, ICMP and ICMPv6 echo between namespaces. The server stops answering echoes
# (net.ipv4.icmp_echo_ignore_all / net.ipv6.icmp.echo_ignore_all in its namespace): it
# leaves the desired table within its retries; answering again: it comes back.
#   Usage: check_ping.sh VIGIL_BINARY
set -euo pipefail
vigil=${1:?vigil binary}
source "$(dirname "$0")/check_lib.sh"
in_srv test -e /proc/sys/net/ipv6/icmp/echo_ignore_all || skip "no net.ipv6.icmp.echo_ignore_all in this kernel"

# IPv6 on a veth that has just come up loses its first packets for about a second
# (addrconf settling): let it settle, so that the first probe measures the server.
sleep 2
delay=1 timeout=1 retry=1 dbr=0.5
cat >"$tmp/k.conf" <<CONF
virtual_server 10.0.0.100 80 {
  delay_loop $delay
  real_server 192.0.2.2 80 {
    PING_CHECK {
      connect_timeout $timeout
      retry $retry
      delay_before_retry $dbr
    }
  }
}
virtual_server 2001:db8::100 80 {
  delay_loop $delay
  real_server 2001:db8::2 80 {
    PING_CHECK {
      connect_timeout $timeout
      retry $retry
      delay_before_retry $dbr
    }
  }
}
CONF
start_vigil "$tmp/k.conf"
bound=$(leave_bound $delay $timeout $retry $dbr)
sleep $((delay * 2 + 1))
! grep -qE 'DOWN' "$log" || { tail "$log"; fail "an answering host was marked down"; }
echo "  ok: ICMP and ICMPv6 echo answered: both in the table"

after "$bound" 'delete dest 192\.0\.2\.2:80 from TCP 10\.0\.0\.100:80' "IPv4 host left the table" \
  in_srv sysctl -qw net.ipv4.icmp_echo_ignore_all=1
expect_seen 1 '\[192\.0\.2\.2\]:80 DOWN: PING_CHECK \[192\.0\.2\.2\]: no echo reply' "  reason"
after "$bound" 'delete dest \[2001:db8::2\]:80 from TCP \[2001:db8::100\]:80' "IPv6 host left the table" \
  in_srv sysctl -qw net.ipv6.icmp.echo_ignore_all=1
after $((delay + timeout + 3)) 'add dest 192\.0\.2\.2:80 to TCP 10\.0\.0\.100:80' "IPv4 host back" \
  in_srv sysctl -qw net.ipv4.icmp_echo_ignore_all=0
after $((delay + timeout + 3)) 'add dest \[2001:db8::2\]:80 to TCP \[2001:db8::100\]:80' "IPv6 host back" \
  in_srv sysctl -qw net.ipv6.icmp.echo_ignore_all=0
stop_vigil
echo "PASS: check_ping"
