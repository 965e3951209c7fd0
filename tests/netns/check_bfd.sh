#!/usr/bin/env bash
# BFD_CHECK: the director's vigil -C runs a BFD session (50 ms x 3) to the real server, where
# a BFD-only vigil answers. The real server is in the table only while the session is Up:
# killed, it leaves within the Detection Time (plus the loop); restarted, it comes back.
#   Usage: check_bfd.sh VIGIL_BINARY
set -euo pipefail
vigil=${1:?vigil binary}
source "$(dirname "$0")/check_lib.sh"

cat >"$tmp/k.conf" <<CONF
bfd_instance SRV {
  neighbor_ip 192.0.2.2
  source_ip 192.0.2.1
  min_rx 50
  min_tx 50
  multiplier 3
}
virtual_server 10.0.0.100 80 {
  delay_loop 5
  real_server 192.0.2.2 80 {
    BFD_CHECK {
      name SRV
    }
  }
}
CONF
cat >"$tmp/srv.conf" <<CONF
bfd_instance DIRECTOR {
  neighbor_ip 192.0.2.1
  source_ip 192.0.2.2
  min_rx 50
  min_tx 50
  multiplier 3
}
CONF
start_peer() {
  ip netns exec "$srv_ns" "$vigil" -n -l -f "$tmp/srv.conf" -p "$tmp/srv.pid" >>"$tmp/srv.log" 2>&1 &
  peer_pid=$!
  track_pid "$peer_pid"
  disown "$peer_pid"  # no "Killed" notice
}
start_peer
start_vigil "$tmp/k.conf"
expect_seen 10 '\(SRV\) Entering Up state' "BFD session Up"
expect_seen 5 'add dest 192\.0\.2\.2:80 to TCP 10\.0\.0\.100:80' "server in the table once the session is Up"
after 2 'delete dest 192\.0\.2\.2:80 from TCP 10\.0\.0\.100:80' "server left the table on the BFD failure" \
  kill -9 "$peer_pid"
expect_seen 1 '\[192\.0\.2\.2\]:80 DOWN: BFD_CHECK reports down' "  reason"
after 10 'add dest 192\.0\.2\.2:80 to TCP 10\.0\.0\.100:80' "server back when the session is Up again" start_peer
stop_vigil
echo "PASS: check_bfd"
