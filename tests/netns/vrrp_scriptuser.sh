#!/usr/bin/env bash
# VRRP drill: script_user. a (150) has global_defs script_user nobody: its notify_master
# runs as nobody; its vrrp_script says `user daemon` and runs as daemon. b (100) has
# enable_script_security and two notify_backup candidates: one in a directory anyone may
# write (refused, never run, the log says why) and a safe one (run, as root: no script_user).
#   Usage: vrrp_scriptuser.sh VIGIL_BINARY
set -euo pipefail
VIGIL=${1:?vigil binary}
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/vrrp_lib.sh"
vrrp_need
need_cmd getent
getent passwd nobody >/dev/null || skip "no user nobody"
getent passwd daemon >/dev/null || skip "no user daemon"
vrrp_topo

chmod 755 "$WORK"  # the scripts' users must reach them
mkdir -m 1777 "$WORK/out"
# id.sh TAG: records who ran it.
printf '#!/bin/sh\necho "$(id -u) $(id -g)" >"%s/out/$1"\n' "$WORK" >"$WORK/id.sh"
chmod 755 "$WORK/id.sh"
mkdir -m 777 "$WORK/open"  # anyone may replace what is in here
cp "$WORK/id.sh" "$WORK/open/id.sh"

vrrp_conf a 150 3 0.1 "    notify_master \"$WORK/id.sh master-a\"
    track_script {
        chk
    }"
sed -i "s|^    router_id node-a|&\n    script_user nobody|" "$WORK/a.conf"
cat >>"$WORK/a.conf" <<CONF
vrrp_script chk {
    script "$WORK/id.sh chk-a"
    interval 0.5
    user daemon
}
CONF
vrrp_conf b 100 3 0.1 "    notify_backup \"$WORK/open/id.sh unsafe-b\"
    notify \"$WORK/id.sh notify-b\""
sed -i "s|^    router_id node-b|&\n    enable_script_security|" "$WORK/b.conf"

uid_of() { getent passwd "$1" | cut -d: -f3; }
gid_of() { getent passwd "$1" | cut -d: -f4; }
ran_as() {  # TAG USER
  [[ -f $WORK/out/$1 && $(cat "$WORK/out/$1") == "$(uid_of "$2") $(gid_of "$2")" ]]
}
who() { cat "$WORK/out/$1" 2>/dev/null || echo "(did not run)"; }

vigil_start a
vigil_start b
wait_for 5 has_vip a || fail "a did not become master"
wait_for 3 ran_as master-a nobody || fail "a's notify_master ran as $(who master-a), not nobody"
echo "a's notify_master ran as nobody ($(who master-a))"
wait_for 3 ran_as chk-a daemon || fail "a's vrrp_script ran as $(who chk-a), not daemon"
echo "a's vrrp_script (user daemon) ran as daemon ($(who chk-a))"
wait_for 3 ran_as notify-b root || fail "b's notify ran as $(who notify-b), not root"
echo "b's notify (no script_user) ran as root"
sleep 0.5
[[ ! -e $WORK/out/unsafe-b ]] || fail "b ran a script anyone could replace, despite enable_script_security"
log_has b "enable_script_security refuses it" || fail "b did not say why it refused the unsafe script"
echo "PASS: script_user, vrrp_script user, enable_script_security"
