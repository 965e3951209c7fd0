# Shared by the checker drills (check_*.sh). Sourced, not run.
#
# Topology: two network namespaces made by the test, joined by a veth pair created inside
# them (no interface ever appears in the root namespace, so drills may run in parallel):
#   director  192.0.2.1/24  2001:db8::1/64   runs `vigil -C -n -l` (checkers only)
#   servers   192.0.2.2/24  2001:db8::2/64   runs the real servers (nginx, dnsmasq, ...)
#
# How the desired IPVS table is observed: vigil's log (-l, on stderr, kept in $log). Every
# table change is one line "IPVS: N changes: delete dest 192.0.2.2:80 from TCP ..." (or
# "add dest ..."), and every state change one line "[192.0.2.2]:80 DOWN: <reason>". On this
# machine the kernel has no IPVS, so vigil drives its in-memory table (FakeIpvs) and says so;
# the log lines are the same either way.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

need_root
need_cmd ip

tmp=$(mktemp -d /tmp/vigil-check.XXXXXX)
chmod 755 "$tmp"
dir_ns="vigil-chk-d-$$"
srv_ns="vigil-chk-s-$$"
log="$tmp/vigil.log"

# Everything started inside our namespaces dies with the test, by pid.
check_cleanup() {
  local ns pid
  for ns in "$dir_ns" "$srv_ns"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
  done
  cleanup
  if [[ ${VIGIL_KEEP_LOG:-} != 1 ]]; then rm -rf "$tmp"; else echo "kept $tmp"; fi
}
trap check_cleanup EXIT

mkns "$dir_ns"
mkns "$srv_ns"
# No duplicate address detection: addresses usable at once, neighbours resolved at once.
for ns in "$dir_ns" "$srv_ns"; do
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip -n "$dir_ns" link add eth0 type veth peer name eth0 netns "$srv_ns"
ip -n "$dir_ns" addr add 192.0.2.1/24 dev eth0
ip -n "$srv_ns" addr add 192.0.2.2/24 dev eth0
ip -n "$dir_ns" addr add 2001:db8::1/64 dev eth0 nodad
ip -n "$srv_ns" addr add 2001:db8::2/64 dev eth0 nodad
ip -n "$dir_ns" link set eth0 up
ip -n "$srv_ns" link set eth0 up
wait_for 5 bash -c "! ip -n $dir_ns addr | grep -q tentative && ! ip -n $srv_ns addr | grep -q tentative" ||
  fail "IPv6 addresses stayed tentative"

in_dir() { ip netns exec "$dir_ns" "$@"; }
in_srv() { ip netns exec "$srv_ns" "$@"; }

# start_vigil CONFIG_FILE [OPTION...]: vigil -C in the director namespace, logging to $log.
start_vigil() {
  local conf=$1
  shift
  # ip netns exec execs the command: $! is vigil itself (a shell function would be a subshell)
  ip netns exec "$dir_ns" "$vigil" -C -n -l ${VIGIL_DEBUG:+-D} "$@" -f "$conf" -p "$tmp/vigil.pid" >"$log" 2>&1 &
  vigil_pid=$!
  track_pid "$vigil_pid"
  wait_for 10 grep -q "checkers: " "$log" || { cat "$log"; fail "vigil -C did not start"; }
}

stop_vigil() {
  kill -TERM "$vigil_pid" 2>/dev/null || true
  wait_for 10 bash -c "! kill -0 $vigil_pid 2>/dev/null" || fail "vigil ignored SIGTERM"
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# after SECONDS REGEX WHAT COMMAND...: runs COMMAND, then waits for one more log line
# matching REGEX than there were before it ran; prints how long that took.
after() {
  local limit=$1 re=$2 what=$3 t0 before
  shift 3
  before=$(grep -cE -- "$re" "$log" || true)
  t0=$(now)
  "$@"
  if ! wait_for "$limit" bash -c "(( \$(grep -cE -- '$re' '$log' || true) > $before ))"; then
    echo "---- vigil log ----"
    tail -n 40 "$log"
    fail "no '$what' within ${limit}s"
  fi
  echo "  ok: $what after $(since "$t0")s (bound ${limit}s)"
}

# expect_seen SECONDS REGEX WHAT: the line is there already, or comes within SECONDS.
expect_seen() {
  local limit=$1 re=$2 what=${3:-$2}
  wait_for "$limit" grep -qE -- "$re" "$log" || { tail -n 40 "$log"; fail "never saw '$what'"; }
  echo "  ok: $what"
}

# The bound on leaving the table: delay_loop + (retry + 1) x connect_timeout +
# retry x delay_before_retry, plus slack for the loop and the log writer.
leave_bound() { awk -v d="$1" -v t="$2" -v r="$3" -v b="$4" 'BEGIN { printf "%d", d + (r + 1) * t + r * b + 2.5 }'; }
