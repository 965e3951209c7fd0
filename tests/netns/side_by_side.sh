#!/usr/bin/env bash
# Two vigil daemons, each in its own network namespace with its own pid file, run side by
# side; a third with an already-used pid file is refused; SIGTERM stops each cleanly and
# removes its pid file.   Usage: side_by_side.sh VIGIL_BINARY
set -euo pipefail
vigil=${1:?vigil binary}
source "$(dirname "$0")/../lib.sh"
need_root

tmp=$(mktemp -d)
trap 'cleanup; rm -rf "$tmp"' EXIT
for n in a b; do
  mkns "vigil-sbs-$n-$$"
  ip -n "vigil-sbs-$n-$$" link add eth0 type veth peer name eth0p
  ip -n "vigil-sbs-$n-$$" link set eth0 up
  cat >"$tmp/$n.conf" <<CONF
global_defs {
    router_id node-$n
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        192.0.2.10/24
    }
}
CONF
done

for n in a b; do
  ip netns exec "vigil-sbs-$n-$$" "$vigil" -n -l -f "$tmp/$n.conf" -p "$tmp/$n.pid" >"$tmp/$n.log" 2>&1 &
  track_pid $!
done
wait_for 10 test -s "$tmp/a.pid" || fail "vigil a did not write its pid file"
wait_for 10 test -s "$tmp/b.pid" || fail "vigil b did not write its pid file"
pa=$(cat "$tmp/a.pid")
pb=$(cat "$tmp/b.pid")
[[ $pa != "$pb" ]] || fail "both pid files name $pa"
kill -0 "$pa" && kill -0 "$pb" || fail "a daemon died"
echo "two daemons side by side: pids $pa and $pb"

# A third one on a's pid file must refuse and exit non-zero, leaving a running.
if ip netns exec "vigil-sbs-a-$$" "$vigil" -n -f "$tmp/a.conf" -p "$tmp/a.pid" >"$tmp/c.log" 2>&1; then
  fail "a second daemon on the same pid file was not refused"
fi
kill -0 "$pa" || fail "the refused start disturbed the running daemon"
[[ $(cat "$tmp/a.pid") == "$pa" ]] || fail "the refused start rewrote the pid file"
echo "second daemon on the same pid file refused: $(head -n 1 "$tmp/c.log")"

for n in a b; do
  pid=$(cat "$tmp/$n.pid")
  kill -TERM "$pid"
  wait_for 10 bash -c "! kill -0 $pid 2>/dev/null" || fail "vigil $n ignored SIGTERM"
  [[ ! -e $tmp/$n.pid ]] || fail "vigil $n left its pid file behind"
done
echo "PASS: side by side, refusal, clean SIGTERM"
