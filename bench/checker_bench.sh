#!/usr/bin/env bash
# The checkers under load, side by side with keepalived's checker. Not a test: prints
# figures and ratios. Needs root (network namespaces) and g++.
#   bench/checker_bench.sh [VIGIL] [host|jitter|vm|all]      (default: all)
#
# Real servers: loopback addresses 127.1.I.J:8001 (TCP_CHECK; 100 per virtual server) and
# 127.2.I.J:8002 (HTTP_GET, url / status 200), served by bench/check_target.cpp (one epoll
# thread: accept-and-close, and a 200 answer), all at delay_loop 1 s, connect_timeout 2.
#   host    on this machine, in a namespace: `vigil -C -n` (no kernel IPVS here: its in-memory
#           table) with TCP_N TCP_CHECKs, then with HTTP_N HTTP_GETs: CPU % of one core over
#           WINDOW s after WARMUP s, RSS, and the check rates the listeners saw; RUNS rounds,
#           medians. keepalived cannot be measured here: its checker exits without IPVS.
#   jitter  on this machine: `vigil -n` (VRRP and checkers in one process, on one loop) with
#           one VRRPv3 instance at advert_int 0.01 on a veth, alone and then with the TCP_N
#           TCP_CHECKs and HTTP_N HTTP_GETs; the adverts' kernel receive times in the peer
#           namespace: p50/p99/max of |interval - 10 ms|; loaded once more under SCHED_RR.
#   vm      in the VM (tests/vm: Debian's kernel with IPVS, under TCG), one boot: vigil -C
#           and keepalived -C on the same configuration, both on the real kernel table,
#           alternating, RUNS rounds, medians; VM_TCP_N TCP_CHECKs, then VM_HTTP_N HTTP_GETs
#           (TCG is ~30x slower than the host, so fewer by default: see bench/README.md).
# The TCP cases also run the floor (`check_target synfloor N`): the same number of bare SYNs a
# second to the same listeners, batched, with nothing else done: the kernel's share of a
# half-open check, which no checker sending packets can go below. The per-check ratios
# against it say how much of vigil's CPU is vigil's own, and floor/keepalived how low any
# half-open checker could get against keepalived's.
# (Backgrounded programs are started with `ip netns exec`, which execs them: $! is theirs.)
# Environment: TCP_N (10000) HTTP_N (2000) RUNS (3) WARMUP (5) WINDOW (10) JITTER_SECS (20)
#              VM_TCP_N (500) VM_HTTP_N (100) VM_CPUS (1) KEEPALIVED (/usr/sbin/keepalived)
#              VIGIL_ARGS (""): added to vigil's command line, e.g. --tcp-check=connect
# The TCP rate: the listener's accepts ("accepts/s") count connect() probes only; a
# half-open (SYN) probe is never accepted, so "answered/s" (the namespace's PassiveOpens +
# AttemptFails: handshakes completed + half-open connections reset) is the rate of checks
# the listener answered, either way. See checker_bench_run.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
vigil=$(realpath "${1:-$root/build/release/vigil}")
what=${2:-all}
export VIGIL_ARGS=${VIGIL_ARGS:-}
TCP_N=${TCP_N:-10000} HTTP_N=${HTTP_N:-2000} RUNS=${RUNS:-3} WARMUP=${WARMUP:-5} WINDOW=${WINDOW:-10}
JITTER_SECS=${JITTER_SECS:-20} VM_TCP_N=${VM_TCP_N:-500} VM_HTTP_N=${VM_HTTP_N:-100} VM_CPUS=${VM_CPUS:-1}
KEEPALIVED=${KEEPALIVED:-/usr/sbin/keepalived}
[[ -x $vigil ]] || { echo "no vigil binary at $vigil (cmake --preset release && cmake --build build/release --target vigil)" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "needs root (network namespaces)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/checker-bench.XXXXXX)
chmod 755 "$tmp"
cleanup() {
  local ns p
  for ns in chkjit-a chkjit-b; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
g++ -O2 -std=c++17 -o "$tmp/check_target" "$root/bench/check_target.cpp"

# gen TCP_N HTTP_N FILE [vrrp]: the configuration.
gen() {
  python3 - "$@" <<'EOF'
import sys
tcp, http, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
vrrp = len(sys.argv) > 4
L = ["global_defs {", "  router_id bench", "}"]
if vrrp:
    L += ["vrrp_instance VI_1 {", "  version 3", "  state MASTER", "  interface vr0",
          "  virtual_router_id 51", "  priority 200", "  advert_int 0.01",
          "  virtual_ipaddress {", "    192.0.2.100/32", "  }", "}"]
def vs(prefix, n, port, check):
    for i in range((n + 99) // 100):
        L.append(f"virtual_server 10.{prefix}.{i}.1 80 {{")
        L.extend(["  delay_loop 1", "  lvs_sched rr", "  lvs_method NAT", "  protocol TCP"])
        for j in range(min(100, n - 100 * i)):
            L.append(f"  real_server 127.{prefix // 10}.{i}.{j + 1} {port} {{")
            L.extend(check)
            L.append("  }")
        L.append("}")
vs(10, tcp, 8001, ["    TCP_CHECK {", "      connect_timeout 2", "    }"])
vs(20, http, 8002, ["    HTTP_GET {", "      url {", "        path /", "        status_code 200", "      }",
                    "      connect_timeout 2", "    }"])
open(out, "w").write("\n".join(L) + "\n")
EOF
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# summary FILE WHO: "cpu_pct user_pct sys_pct rss_kib tcp/s http/s answered/s", medians over the runs.
summary() {
  local f=$1 who=$2 col out=""
  for col in 4 5 6 7 8 9 10; do out+="$(awk -v w="$who" -v c=$col '$1 == "result" && $2 == w { print $c }' "$f" | median) "; done
  echo "$out"
}
load() { cut -d' ' -f1-3 /proc/loadavg; }
# CPU per check in us (cpu in % of a core, rate in checks/s), and a ratio of two figures.
per_check() { awk -v c="$1" -v r="$2" 'BEGIN { printf "%.1f", (r > 0 ? c * 1e4 / r : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

host_bench() {
  echo "== host: vigil -C -n $VIGIL_ARGS (in-memory IPVS), $RUNS runs, ${WARMUP} s warm-up, ${WINDOW} s window; load before: $(load)"
  local kind n_tcp n_http
  for kind in tcp http; do
    if [[ $kind == tcp ]]; then n_tcp=$TCP_N n_http=0; else n_tcp=0 n_http=$HTTP_N; fi
    gen "$n_tcp" "$n_http" "$tmp/$kind.conf"
    local floor=()
    [[ $kind == tcp ]] && floor=("floor:$tmp/check_target")
    sh "$root/bench/checker_bench_run.sh" "$tmp/check_target" "$tmp" "$RUNS" "$WARMUP" "$WINDOW" "$tmp/$kind.conf" \
      "${floor[@]}" "vigil:$vigil" | tee "$tmp/host-$kind.out"
    read -r cpu usr sys rss rtcp rhttp rans < <(summary "$tmp/host-$kind.out" vigil)
    local rate=$rans seen="$rtcp accepts/s, $rans answered/s"
    [[ $kind == http ]] && rate=$rhttp seen="$rhttp answers/s"
    printf 'host %-4s %5d checks: vigil -C cpu %s %% of one core (user %s, sys %s), RSS %s KiB, checks/s seen: %s; %s us CPU per check (load after: %s)\n' \
      "$kind" "$((n_tcp + n_http))" "$cpu" "$usr" "$sys" "$rss" "$seen" \
      "$(awk -v c="$cpu" -v r="$rate" 'BEGIN { printf "%.1f", (r > 0 ? c * 1e4 / r : 0) }')" "$(load)"
    if [[ $kind == tcp ]]; then
      local fcpu fusr fsys frss ftcp fhttp fans
      read -r fcpu fusr fsys frss ftcp fhttp fans < <(summary "$tmp/host-$kind.out" floor)
      printf 'host tcp  floor (check_target synfloor: bare SYNs, same rate): cpu %s %% (sys %s), %s answered/s, %s us per check; vigil/floor per check %s\n' \
        "$fcpu" "$fsys" "$fans" "$(per_check "$fcpu" "$fans")" "$(ratio "$(per_check "$cpu" "$rans")" "$(per_check "$fcpu" "$fans")")"
    fi
  done
}

jitter_bench() {
  echo "== jitter: vigil -n (VRRP + checkers on one loop), VRRPv3 advert_int 0.01, ${JITTER_SECS} s of adverts; load before: $(load)"
  ip netns add chkjit-a && ip netns add chkjit-b
  ip -n chkjit-a link set lo up && ip -n chkjit-b link set lo up
  ip -n chkjit-a link add vr0 type veth peer name cap0 netns chkjit-b
  ip -n chkjit-a addr add 192.0.2.1/24 dev vr0 && ip -n chkjit-a link set vr0 up
  ip -n chkjit-b addr add 192.0.2.2/24 dev cap0 && ip -n chkjit-b link set cap0 up
  ip netns exec chkjit-a sh -c 'echo 1 > /proc/sys/net/ipv4/tcp_tw_reuse; echo "1024 65535" > /proc/sys/net/ipv4/ip_local_port_range; echo 65535 > /proc/sys/net/core/somaxconn'
  ip netns exec chkjit-a "$tmp/check_target" serve 8001 8002 > "$tmp/jit-target.out" &
  local label n_tcp n_http pid
  local rt
  for label in alone loaded loaded-rt; do
    if [[ $label == alone ]]; then n_tcp=0 n_http=0; else n_tcp=$TCP_N n_http=$HTTP_N; fi
    # loaded-rt: the same under SCHED_RR (chrt -r 10, what keepalived's vrrp_rt_priority
    # does), to tell the loop's own latency from waiting for a CPU on a busy machine.
    rt=(); [[ $label == loaded-rt ]] && rt=(chrt -r 10)
    gen "$n_tcp" "$n_http" "$tmp/jit-$label.conf" vrrp
    # shellcheck disable=SC2086 # VIGIL_ARGS: words
    ip netns exec chkjit-a "${rt[@]}" "$vigil" -n $VIGIL_ARGS -f "$tmp/jit-$label.conf" -p "$tmp/jit.pid" > "$tmp/jit-$label.log" 2>&1 &
    pid=$!
    sleep "$WARMUP"
    local t0 t1
    t0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
    ip netns exec chkjit-b "$tmp/check_target" adverts cap0 "$JITTER_SECS" 10 > "$tmp/jit-$label.out"
    t1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
    printf 'jitter %-9s (%5d TCP + %4d HTTP checks): %s; vigil cpu %s %%\n' "$label" "$n_tcp" "$n_http" \
      "$(cat "$tmp/jit-$label.out")" "$(awk -v a="$t0" -v b="$t1" -v s="$JITTER_SECS" 'BEGIN { printf "%.1f", (b - a) / s }')"
    kill -TERM "$pid"; wait "$pid" || true
    sleep 1
  done
  echo "(load after: $(load))"
}

vm_bench() {
  source "$root/tests/vm/vm_lib.sh"
  vm_need
  echo "== vm: vigil -C vs keepalived -C on the real kernel IPVS, $VM_TCP_N TCP_CHECK + $VM_HTTP_N HTTP_GET, $VM_CPUS vCPU (TCG), $RUNS runs alternating; load before: $(load)"
  "$VM_BUNDLE" "$vigil" "$tmp/bundle" > /dev/null
  "$VM_BUNDLE" "$KEEPALIVED" "$tmp/bundle" > /dev/null
  "$VM_BUNDLE" "$tmp/check_target" "$tmp/bundle" > /dev/null
  "$VM_BUILD_IMAGES" > /dev/null
  gen "$VM_TCP_N" 0 "$tmp/vm-tcp.conf"
  gen 0 "$VM_HTTP_N" "$tmp/vm-http.conf"
  cat > "$tmp/vm_guest.sh" <<EOF
#!/bin/sh
modprobe ip_vs && modprobe ip_vs_rr || exit 1
echo "guest: kernel \$(uname -r), \$(grep -c ^processor /proc/cpuinfo) vCPU"
mkdir -p /tmp/cb
export VIGIL_ARGS='$VIGIL_ARGS'
for kind in tcp http; do
  floor=
  [ \$kind = tcp ] && floor="floor:$tmp/bundle/bin/check_target"
  sh "$root/bench/checker_bench_run.sh" "$tmp/bundle/bin/check_target" /tmp/cb "$RUNS" "$WARMUP" "$WINDOW" \
    "$tmp/vm-\$kind.conf" \$floor "vigil:$tmp/bundle/bin/vigil" "keepalived:$tmp/bundle/bin/keepalived" |
    sed "s/^result /result-\$kind /"
done
EOF
  "$VM_RUN" -t 1800 -m 1024 -c "$VM_CPUS" -s "$tmp" "$root" sh "$tmp/vm_guest.sh" | tee "$tmp/vm.out"
  local kind vc vu vs vr vt vh va kc ku ks kr kt kh ka
  for kind in tcp http; do
    sed -n "s/^result-$kind /result /p" "$tmp/vm.out" > "$tmp/vm-$kind.out"
    read -r vc vu vs vr vt vh va < <(summary "$tmp/vm-$kind.out" vigil)
    read -r kc ku ks kr kt kh ka < <(summary "$tmp/vm-$kind.out" keepalived)
    printf 'vm %-4s vigil -C      cpu %5s %% (user %s, sys %s), RSS %s KiB, %s TCP accepts/s + %s HTTP/s seen, %s answered/s\n' \
      "$kind" "$vc" "$vu" "$vs" "$vr" "$vt" "$vh" "$va"
    printf 'vm %-4s keepalived -C cpu %5s %% (user %s, sys %s), RSS %s KiB, %s TCP accepts/s + %s HTTP/s seen, %s answered/s (checker child)\n' \
      "$kind" "$kc" "$ku" "$ks" "$kr" "$kt" "$kh" "$ka"
    printf 'vm %-4s vigil/keepalived: cpu %s, user cpu %s, RSS %s\n' "$kind" \
      "$(awk -v a="$vc" -v b="$kc" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')" \
      "$(awk -v a="$vu" -v b="$ku" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')" \
      "$(awk -v a="$vr" -v b="$kr" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
    if [[ $kind == tcp ]]; then
      local fc fu fs fr ft fh fa vpc kpc fpc
      read -r fc fu fs fr ft fh fa < <(summary "$tmp/vm-$kind.out" floor)
      vpc=$(per_check "$vc" "$va") kpc=$(per_check "$kc" "$ka") fpc=$(per_check "$fc" "$fa")
      printf 'vm tcp  floor (check_target synfloor: bare SYNs, same rate): cpu %s %% (sys %s), %s answered/s\n' "$fc" "$fs" "$fa"
      printf 'vm tcp  CPU per check answered: vigil %s us, keepalived %s us, floor %s us; vigil/keepalived %s, floor/keepalived %s, vigil/floor %s\n' \
        "$vpc" "$kpc" "$fpc" "$(ratio "$vpc" "$kpc")" "$(ratio "$fpc" "$kpc")" "$(ratio "$vpc" "$fpc")"
    fi
  done
  echo "(load after: $(load))"
}

case $what in
  host) host_bench ;;
  jitter) jitter_bench ;;
  vm) vm_bench ;;
  all) host_bench; jitter_bench; vm_bench ;;
  *) echo "usage: checker_bench.sh [VIGIL] [host|jitter|vm|all]" >&2; exit 2 ;;
esac
