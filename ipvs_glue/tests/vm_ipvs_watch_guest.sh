#!/bin/sh
# vm_ipvs_watch_guest.sh - runs INSIDE the test VM (root, dash), started by vm_ipvs_test.sh:
#   vm-run.sh -s BUNDLE REPO sh ipvs_glue/tests/vm_ipvs_watch_guest.sh BUNDLE/bin/vigil
# `vigil ipvs watch` (ReconcileService over the non-blocking netlink client) against the real
# kernel: it programs the table; the operator's ipvsadm -d / -e, then -C, are repaired on
# demand (SIGUSR1) and by the periodic timer, each with one "ipvs drift repaired" line; a
# foreign service is left alone and reported; a one-destination weight change (SIGHUP with
# an edited file) is exactly one netlink request. Then vigil -C (the checkers on the same
# ReconcileService) puts a MISC_CHECKed server in the kernel and clears it on SIGTERM.
# Exit 0 pass, 1 fail.
set -u
V=${1:?usage: vm_ipvs_watch_guest.sh VIGIL}
T=/tmp/vm-ipvs-watch
mkdir -p "$T"
fail() {
    echo "FAIL: $*" >&2
    [ -f "$T/log" ] && sed 's/^/  | /' "$T/log" >&2
    exit 1
}
step() { echo "== $*"; }
# Waits (10 s at most) until the log has N lines starting with "run: ".
runs() { c=$(grep -c '^run: ' "$T/log" 2>/dev/null); echo "${c:-0}"; }
wait_runs() {
    i=0
    while [ "$(runs)" -lt "$1" ]; do
        i=$((i + 1)); [ $i -gt 100 ] && fail "no run number $1 within 10 s"
        sleep 0.1
    done
}
last_run() { grep '^run: ' "$T/log" | tail -n 1 | sed 's/; [0-9]* ms$//'; }

cat > "$T/k.conf" <<'CONF'
virtual_server 192.0.2.1 80 {
  lvs_sched rr
  real_server 10.0.0.2 80 { weight 2 }
  real_server 10.0.0.3 80 { weight 1 }
}
virtual_server 192.0.2.1 443 {
  lvs_sched mh
  real_server 10.0.0.2 443 {}
  real_server 10.0.0.3 443 {}
  real_server 10.0.0.4 443 {}
}
CONF
cat > "$T/want" <<'EOF2'
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  192.0.2.1:80 rr
  -> 10.0.0.2:80                  Masq    2      0          0         
  -> 10.0.0.3:80                  Masq    1      0          0         
TCP  192.0.2.1:443 mh
  -> 10.0.0.2:443                 Masq    1      0          0         
  -> 10.0.0.3:443                 Masq    1      0          0         
  -> 10.0.0.4:443                 Masq    1      0          0         
EOF2
expect_table() {  # vigil's services (the foreign one is checked apart)
    ipvsadm -Ln --exact | grep -vF '198.51.100.1:25' > "$T/a" || fail "ipvsadm -Ln"
    diff -u "$T/want" "$T/a" || fail "the table is not what the configuration says ($1)"
}

step "watch programs the table (the mh service staged under 'none', bound once)"
"$V" ipvs watch -f "$T/k.conf" --interval 2 > "$T/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
wait_runs 1
expect_table "first run"
last_run | grep -qxF "run: dump, 7 operations, 9 netlink requests" || fail "first run: $(last_run)"

step "ipvsadm -d and -e, a foreign service; SIGUSR1 repairs with one line"
ipvsadm -d -t 192.0.2.1:80 -r 10.0.0.3:80 && ipvsadm -e -t 192.0.2.1:443 -r 10.0.0.4:443 -m -w 7 &&
ipvsadm -A -t 198.51.100.1:25 -s rr || fail "ipvsadm"
kill -USR1 $pid
wait_runs 2
expect_table "after -d/-e"
[ "$(grep -c '^ipvs drift repaired: ' "$T/log")" -eq 1 ] || fail "expected one drift line"
grep -qF 'ipvs drift repaired: 2 changes: ' "$T/log" || fail "drift line"
grep -qF 'weight 7 -> 1' "$T/log" || fail "the drift line does not name the weight"
grep -qxF "ipvs: left alone (not vigil's): TCP 198.51.100.1:25" "$T/log" || fail "foreign service not reported"
ipvsadm -Ln | grep -qF '198.51.100.1:25' || fail "the foreign service was touched"

step "ipvsadm -C: the periodic repair (2 s) restores the table"
ipvsadm -C
n=$(runs)
wait_runs $((n + 1))
expect_table "after ipvsadm -C"
grep -F 'ipvs drift repaired: ' "$T/log" | tail -n 1 | grep -qF '7 changes: add service TCP 192.0.2.1:80' ||
    fail "the -C repair line"

step "one destination's weight (SIGHUP, cached state): exactly one netlink request"
sed -i 's/real_server 10.0.0.3 80 { weight 1 }/real_server 10.0.0.3 80 { weight 5 }/' "$T/k.conf"
n=$(runs)
kill -HUP $pid
wait_runs $((n + 1))
# A periodic tick may land first; the HUP's run is the one from the cache.
grep '^run: cache' "$T/log" | tail -n 1 | sed 's/; [0-9]* ms$//' | grep -qxF "run: cache, 1 operation, 1 netlink request" ||
    fail "weight change: $(grep '^run: ' "$T/log" | tail -n 2 | tr '\n' ' ')"
ipvsadm -Ln --exact | grep -qE '^  -> 10.0.0.3:80 +Masq +5 ' || fail "weight 5 not in the kernel"
kill -TERM $pid
wait $pid || fail "vigil ipvs watch exited $?"
trap - EXIT

step "vigil -C drives the kernel through the same service: a MISC_CHECK brings its server in, SIGTERM clears"
ipvsadm -C
cat > "$T/c.conf" <<'CONF'
virtual_server 192.0.2.9 80 {
  lvs_sched wrr
  delay_loop 1
  real_server 10.0.0.9 80 {
    weight 3
    MISC_CHECK {
      misc_path "/bin/true"
    }
  }
}
CONF
"$V" -C -n -l -f "$T/c.conf" -p "$T/vigil.pid" > "$T/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
i=0
until ipvsadm -Ln --exact | grep -qE '^  -> 10.0.0.9:80 +Masq +3 '; do
    i=$((i + 1)); [ $i -gt 100 ] && { ipvsadm -Ln; fail "vigil -C did not put 10.0.0.9 in the kernel within 10 s"; }
    sleep 0.1
done
grep -qF "IPVS: the checkers drive the kernel's table (generic netlink)" "$T/log" || fail "vigil -C not on the kernel"
kill -TERM $pid
wait $pid
trap - EXIT
[ -z "$(ipvsadm -Sn)" ] || { ipvsadm -Ln; fail "vigil -C left its services in the kernel"; }
echo "ok"
