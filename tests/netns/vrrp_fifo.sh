#!/usr/bin/env bash
# VRRP drill: notify_fifo. b (100) has vrrp_notify_fifo with vrrp_notify_fifo_script (a
# reader copying the lines to a file) and its VI_1 in a sync group G; a (150) has
# notify_fifo with no reader at all, which must not hold it back. Checked on b's side, in
# order: BACKUP at start; MASTER after SIGKILL of a; BACKUP when a comes back and preempts;
# each instance line followed by its group's. b's SIGTERM removes the FIFO it created.
#   Usage: vrrp_fifo.sh VIGIL_BINARY
set -euo pipefail
VIGIL=${1:?vigil binary}
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/vrrp_lib.sh"
vrrp_need
vrrp_topo

cat >"$WORK/reader.sh" <<SH
#!/bin/sh
# keepalived passes the FIFO's name last.
echo \$\$ >"$WORK/reader.pid"
while IFS= read -r line; do printf '%s\n' "\$line" >>"$WORK/b-lines"; done <"\$1"
SH
chmod +x "$WORK/reader.sh"
reader_alive() { [[ -s $WORK/reader.pid ]] && kill -0 "$(cat "$WORK/reader.pid")" 2>/dev/null; }
trap 'if reader_alive; then kill "$(cat "$WORK/reader.pid")" || true; fi; cleanup; rm -rf "$WORK"' EXIT

# vrrp_conf writes global_defs first: add the FIFO settings to it.
vrrp_conf a 150
sed -i "s|^    router_id node-a|&\n    notify_fifo $WORK/a.fifo|" "$WORK/a.conf"
EXTRA_INSTANCES="vrrp_sync_group G {
    group {
        VI_1
    }
}" vrrp_conf b 100
sed -i "s|^    router_id node-b|&\n    vrrp_notify_fifo $WORK/b.fifo\n    vrrp_notify_fifo_script $WORK/reader.sh|" "$WORK/b.conf"

lines_are() {  # the lines b's reader got, exactly
  local want
  want=$(printf '%s\n' "$@")
  [[ -f $WORK/b-lines && $(cat "$WORK/b-lines") == "$want" ]]
}
show() { cat "$WORK/b-lines" 2>/dev/null | sed 's/^/    /'; }

vigil_start a
wait_for 5 has_vip a || fail "a did not become master (its FIFO has no reader)"
[[ -p $WORK/a.fifo ]] || fail "a did not create its notify_fifo"
vigil_start b
[[ -p $WORK/b.fifo ]] || fail "b did not create its vrrp_notify_fifo"
wait_for 3 lines_are 'INSTANCE "VI_1" BACKUP 100' 'GROUP "G" BACKUP 0' ||
  fail "b's FIFO at start:$(echo; show)"
echo "b at start: BACKUP lines"

kill -KILL "$PID_a"
wait_for 3 has_vip b || fail "b did not take over"
wait_for 2 lines_are 'INSTANCE "VI_1" BACKUP 100' 'GROUP "G" BACKUP 0' \
  'INSTANCE "VI_1" MASTER 100' 'GROUP "G" MASTER 0' || fail "b's FIFO after the takeover:$(echo; show)"
echo "SIGKILL of a: b's FIFO says MASTER"

vigil_start a
wait_for 5 has_vip a || fail "a did not preempt"
wait_for 2 lines_are 'INSTANCE "VI_1" BACKUP 100' 'GROUP "G" BACKUP 0' \
  'INSTANCE "VI_1" MASTER 100' 'GROUP "G" MASTER 0' \
  'INSTANCE "VI_1" BACKUP 100' 'GROUP "G" BACKUP 0' || fail "b's FIFO after a preempted:$(echo; show)"
echo "a back: b's FIFO says BACKUP"

reader_alive || fail "b's FIFO script did not start"
kill -TERM "$PID_b"
wait_for 5 bash -c "! kill -0 $PID_b 2>/dev/null" || fail "b did not stop"
[[ ! -e $WORK/b.fifo ]] || fail "b left the FIFO it created"
# Gone, or a zombie: vigil signals it and exits without waiting, so init reaps it (when init
# reaps at all: in a container it may not).
reader_gone() {
  local st
  st=$(ps -o stat= -p "$(cat "$WORK/reader.pid")" 2>/dev/null || true)
  [[ -z $st || $st == Z* ]]
}
wait_for 2 reader_gone || fail "b's FIFO script outlived it"
echo "PASS: notify_fifo lines in order (instance then group), a FIFO without reader harmless"
