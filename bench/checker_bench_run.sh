#!/bin/sh
# checker_bench_run.sh - one side of bench/checker_bench.sh; POSIX sh, so that it runs the
# same on the host and inside the VM (dash, root). Not run by hand.
#   checker_bench_run.sh TARGET DIR RUNS WARMUP WINDOW CONF WHO...
# In a network namespace of its own (lo only: every 127.x.y.z address is local), starts
# `TARGET serve 8001 8002` (bench/check_target.cpp), then RUNS rounds; in each round every
# WHO in turn ("vigil:PATH" = `vigil -C -n -f CONF`, "keepalived:PATH" = `keepalived -C -n
# -f CONF`, its checker child measured; "floor:PATH" = `PATH synfloor N`, bench/check_target's
# bare half-open prober at the CONF's TCP_CHECK count a second) runs WARMUP s, then is measured over WINDOW s:
#   result WHO RUN cpu_pct user_pct sys_pct RSS_KiB tcp_per_s http_per_s answered_per_s
# cpu_pct is (utime + stime) over the window / WINDOW (100 = one core); the rates are what
# the listeners saw in the window: tcp_per_s counts the TCP listener's accepts, which a
# half-open (SYN) probe never makes, so answered_per_s counts, from the namespace's own TCP
# MIB (/proc/net/snmp), the SYNs the listeners answered: PassiveOpens (handshakes completed,
# connect() probes and HTTP_GETs) + AttemptFails (half-open connections reset, SYN probes;
# also connects refused, of which this bench has none). VIGIL_ARGS (environment) are added
# to vigil's command line (e.g. --tcp-check=connect). Scratch files in DIR.
set -u
TARGET=${1:?}; D=${2:?}; RUNS=${3:?}; WARMUP=${4:?}; WINDOW=${5:?}; CONF=${6:?}
shift 6
VIGIL_ARGS=${VIGIL_ARGS:-}
NS=chkbench$$
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)

fail() { echo "FAIL: $*" >&2; exit 1; }
in_ns() { ip netns exec "$NS" "$@"; }
ticks() { awk '{ sub(/^.*\) /, ""); print $12, $13 }' "/proc/$1/stat"; }  # utime stime
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
counts() { tail -n 1 "$D/target.out"; }  # "<monotonic s> <tcp total> <http total>"
# "<uptime s> <SYNs answered by the namespace's listeners so far>" (see above), timed on
# its own: the target's line may be up to a second old.
answered() {
    in_ns sh -c 'cut -d" " -f1 /proc/uptime; cat /proc/net/snmp' | awk 'NR == 1 { t = $1; next }
        $1 == "Tcp:" { if (!h) { for (i = 2; i <= NF; i++) n[$i] = i; h = 1 }
        else print t, $n["PassiveOpens"] + $n["AttemptFails"] }'
}
wait_file() { i=0; while [ ! -s "$1" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; [ -s "$1" ]; }

cleanup() {
    for p in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    ip netns del "$NS" 2>/dev/null
}
trap cleanup EXIT INT TERM
ip netns add "$NS" || fail "ip netns add"
in_ns ip link set lo up
# 10,000 probes a second leave ~10,000 TIME_WAIT sockets a second on loopback.
in_ns sh -c 'echo 1 > /proc/sys/net/ipv4/tcp_tw_reuse; echo "1024 65535" > /proc/sys/net/ipv4/ip_local_port_range;
    echo 65535 > /proc/sys/net/core/somaxconn' 2>/dev/null
ip netns exec "$NS" "$TARGET" serve 8001 8002 > "$D/target.out" &
wait_file "$D/target.out" || fail "check_target did not start"

run=1
while [ $run -le "$RUNS" ]; do
    for who in "$@"; do
        name=${who%%:*}; bin=${who#*:}
        rm -f "$D/$name.pid" "$D/$name.cpid" "$D/$name.vpid"
        case $name in
            vigil)
                # shellcheck disable=SC2086 # VIGIL_ARGS: words
                ip netns exec "$NS" "$bin" -C -n $VIGIL_ARGS -f "$CONF" -p "$D/vigil.pid" > "$D/vigil.log" 2>&1 &
                pid=$!; main=$pid ;;
            keepalived)
                ip netns exec "$NS" "$bin" -C -n -f "$CONF" -p "$D/keepalived.pid" -c "$D/keepalived.cpid" \
                    -r "$D/keepalived.vpid" > "$D/keepalived.log" 2>&1 &
                main=$!
                wait_file "$D/keepalived.cpid" || fail "keepalived's checker did not start: $(cat "$D/keepalived.log")"
                pid=$(cat "$D/keepalived.cpid") ;;
            floor)
                # bench/check_target.cpp's synfloor: the least a half-open check costs, as many
                # SYNs a second as CONF has TCP_CHECKs.
                ip netns exec "$NS" "$bin" synfloor "$(grep -c TCP_CHECK "$CONF")" > "$D/floor.log" 2>&1 &
                pid=$!; main=$pid ;;
            *) fail "unknown checker $name" ;;
        esac
        sleep "$WARMUP"
        kill -0 "$pid" 2>/dev/null || fail "$name exited during warm-up: $(tail -n 5 "$D/$name.log")"
        t0=$(ticks "$pid"); c0=$(counts); a0=$(answered)
        sleep "$WINDOW"
        t1=$(ticks "$pid"); c1=$(counts); a1=$(answered); r=$(rss "$pid")
        echo "$t0 $t1 $c0 $c1 $a0 $a1" | awk -v who="$name" -v run="$run" -v hz="$HZ" -v w="$WINDOW" -v rss="$r" '{
            u = ($3 - $1) * 100 / hz / w; s = ($4 - $2) * 100 / hz / w; dt = $8 - $5
            printf "result %s %d %.1f %.1f %.1f %d %.0f %.0f %.0f\n", who, run, u + s, u, s, rss, ($9 - $6) / dt,
                ($10 - $7) / dt, ($14 - $12) / ($13 - $11) }'
        kill -TERM "$main" 2>/dev/null
        i=0; while kill -0 "$main" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
        kill -9 "$main" "$pid" 2>/dev/null
        wait "$main" 2>/dev/null
        sleep 1
    done
    run=$((run + 1))
done
