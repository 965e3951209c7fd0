#!/usr/bin/env bash
# UDP_CHECK against a UDP echo server (socat) in a namespace: payload sent, reply required
# within length bounds. The echo server is stopped (ICMP port unreachable): the server
# leaves the desired table within its retries; restarted: it comes back.
#   Usage: check_udp.sh VIGIL_BINARY
set -euo pipefail
vigil=${1:?vigil binary}
source "$(dirname "$0")/check_lib.sh"
need_cmd socat

start_echo() {
  ip netns exec "$srv_ns" socat UDP4-RECVFROM:7,bind=192.0.2.2,fork PIPE &
  echo_pid=$!
  track_pid "$echo_pid"
  sleep 0.3
}
start_echo

delay=1 timeout=1 retry=2 dbr=0.5
cat >"$tmp/k.conf" <<CONF
virtual_server 10.0.0.100 7 {
  protocol UDP
  delay_loop $delay
  real_server 192.0.2.2 7 {
    UDP_CHECK {
      payload "76 69 67 69 6c"
      require_reply
      min_reply_length 5
      max_reply_length 5
      connect_timeout $timeout
      retry $retry
      delay_before_retry $dbr
    }
  }
}
virtual_server 10.0.0.101 7 {
  protocol UDP
  delay_loop $delay
  # the echo is 5 bytes: a 6-byte minimum fails
  real_server 192.0.2.2 7 {
    UDP_CHECK {
      payload "76 69 67 69 6c"
      require_reply
      min_reply_length 6
      connect_timeout $timeout
    }
  }
}
CONF
start_vigil "$tmp/k.conf"
bound=$(leave_bound $delay $timeout $retry $dbr)
expect_seen 10 'DOWN: UDP_CHECK \[192\.0\.2\.2\]:7: reply of 5 bytes, not 6\.\.255' "a reply out of bounds fails"
sleep $((delay * 2 + 1))
! grep -qE 'delete dest 192\.0\.2\.2:7 from UDP 10\.0\.0\.100:7' "$log" || fail "the echoed payload failed"
echo "  ok: 5-byte payload echoed: in the table"

after "$bound" 'delete dest 192\.0\.2\.2:7 from UDP 10\.0\.0\.100:7' "UDP server left the table" \
  kill -TERM "$echo_pid"
expect_seen 1 'DOWN: UDP_CHECK \[192\.0\.2\.2\]:7: port unreachable \(ICMP\)' "  reason: ICMP port unreachable"
after $((delay + timeout + 3)) 'add dest 192\.0\.2\.2:7 to UDP 10\.0\.0\.100:7' "UDP server back" start_echo
stop_vigil
echo "PASS: check_udp"
