#!/usr/bin/env bash
# SMTP_CHECK against a real SMTP server (Debian's python3-aiosmtpd) in a namespace: banner,
# HELO, QUIT; a host block on a second port. The server is stopped: the real server leaves
# the desired table within its retries; restarted: it comes back.   Usage: check_smtp.sh VIGIL
set -euo pipefail
vigil=${1:?vigil binary}
source "$(dirname "$0")/check_lib.sh"
python=/usr/bin/python3
"$python" -c 'import aiosmtpd' 2>/dev/null || skip "python3-aiosmtpd not installed (run scripts/setup.sh)"

start_smtp() {  # PORT
  ip netns exec "$srv_ns" "$python" -m aiosmtpd -n -l "192.0.2.2:$1" >/dev/null 2>&1 &
  echo $! >"$tmp/smtp$1.pid"
  track_pid "$(cat "$tmp/smtp$1.pid")"
  wait_for 10 in_srv bash -c "exec 3<>/dev/tcp/192.0.2.2/$1" || fail "aiosmtpd did not listen on $1"
}
stop_smtp() { kill -KILL "$(cat "$tmp/smtp$1.pid")"; }  # a crash
start_smtp 25
start_smtp 2525

delay=1 timeout=1 retry=1 dbr=0.5
cat >"$tmp/k.conf" <<CONF
virtual_server 10.0.0.100 25 {
  delay_loop $delay
  real_server 192.0.2.2 25 {
    SMTP_CHECK {
      helo_name director.example.org
      connect_timeout $timeout
      retry $retry
      delay_before_retry $dbr
    }
  }
  # host blocks: these are checked instead of the real server's own port
  real_server 192.0.2.3 25 {
    SMTP_CHECK {
      connect_timeout $timeout
      retry $retry
      delay_before_retry $dbr
      host {
        connect_ip 192.0.2.2
        connect_port 2525
      }
    }
  }
}
CONF
start_vigil "$tmp/k.conf"
bound=$(leave_bound $delay $timeout $retry $dbr)
sleep $((delay * 2 + 1))
! grep -qE 'DOWN' "$log" || { tail "$log"; fail "a healthy SMTP server was marked down"; }
echo "  ok: both SMTP servers pass (banner 220, HELO 250, QUIT)"

after "$bound" 'delete dest 192\.0\.2\.2:25 from TCP 10\.0\.0\.100:25' "SMTP server left the table" stop_smtp 25
expect_seen 1 '\[192\.0\.2\.2\]:25 DOWN: SMTP_CHECK \[192\.0\.2\.2\]:25: connect: Connection refused' "  reason"
after "$bound" 'delete dest 192\.0\.2\.3:25 from TCP 10\.0\.0\.100:25' "host-block server left the table" stop_smtp 2525
after $((delay + timeout + 8)) 'add dest 192\.0\.2\.2:25 to TCP 10\.0\.0\.100:25' "SMTP server back" start_smtp 25
after $((delay + timeout + 8)) 'add dest 192\.0\.2\.3:25 to TCP 10\.0\.0\.100:25' "host-block server back" start_smtp 2525
stop_vigil
echo "PASS: check_smtp"
