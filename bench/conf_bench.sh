#!/usr/bin/env bash
# `vigil -t` against `keepalived -t` on one generated configuration: 2,000 virtual servers x
# 20 real servers, each with a TCP_CHECK (40,000 real servers). Runs alternate between the
# two programs; reported: the median wall time and median peak RSS of each, and the ratios.
#   bench/conf_bench.sh [VIGIL_BINARY] [RUNS]
# Needs keepalived (scripts/setup.sh) and GNU time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
vigil=${1:-$root/build/release/vigil}
runs=${2:-7}
[[ -x $vigil ]] || { echo "no vigil binary at $vigil (cmake --preset release && cmake --build --preset release)" >&2; exit 1; }
command -v keepalived >/dev/null || { echo "keepalived is not installed (scripts/setup.sh)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "GNU time is not installed (scripts/setup.sh)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
conf=$tmp/bench.conf
python3 "$root/bench/gen_config.py" --vs 2000 --rs 20 -o "$conf"
echo "config: $(grep -c real_server "$conf") real servers, $(grep -c '^virtual_server' "$conf") virtual servers, $(du -h "$conf" | cut -f1)"

# Both must accept the file, or the comparison means nothing.
"$vigil" -t -f "$conf" >/dev/null 2>&1 || { echo "vigil rejects the benchmark config" >&2; exit 1; }
keepalived -t -f "$conf" >/dev/null 2>&1 || { echo "keepalived rejects the benchmark config" >&2; exit 1; }

measure() {  # prints "seconds kilobytes"
  /usr/bin/time -f '%e %M' -o "$tmp/t" "$@" >/dev/null 2>&1 || true
  cat "$tmp/t"
}
: >"$tmp/vigil"
: >"$tmp/keepalived"
for ((i = 0; i < runs; i++)); do
  measure "$vigil" -t -f "$conf" >>"$tmp/vigil"
  measure keepalived -t -f "$conf" >>"$tmp/keepalived"
done

median() {  # median of column $1 of file $2
  sort -g -k"$1","$1" "$2" | awk -v c="$1" '{v[NR]=$c} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'
}
vt=$(median 1 "$tmp/vigil");      vm=$(median 2 "$tmp/vigil")
kt=$(median 1 "$tmp/keepalived"); km=$(median 2 "$tmp/keepalived")
printf '%-12s %10s %12s\n' program "time (s)" "peak RSS (KiB)"
printf '%-12s %10s %12s\n' vigil "$vt" "$vm" keepalived "$kt" "$km"
awk -v vt="$vt" -v kt="$kt" -v vm="$vm" -v km="$km" -v n="$runs" 'BEGIN {
  printf "medians of %d alternating runs: time ratio vigil/keepalived = %.2f (target <= 0.50), memory ratio = %.2f (target <= 1.00)\n", n, vt / kt, vm / km
}'
