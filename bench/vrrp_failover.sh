#!/usr/bin/env bash
# VRRP benchmark: vigil against Debian's keepalived, both pairs in the same run, in network
# namespaces (root; nothing in the root namespace). Crash failover (SIGKILL) and graceful
# handoff (SIGTERM) at VRRPv2 1 s, v3 0.1 s, v3 0.01 s, measured by a client probing the VIP
# every 0.5 ms; 1,000 instances over four veth pairs: SIGTERM handoff spread, steady-state
# CPU and RSS. Prints medians and vigil/keepalived ratios. Not a test: it takes ~10 minutes.
#   Usage: bench/vrrp_failover.sh [VIGIL_BINARY] [vrrp_bench.py options...]
#     e.g. bench/vrrp_failover.sh build/release/vigil --trials 7
#          bench/vrrp_failover.sh build/release/vigil --only many --instances 1000
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
vigil=${1:-$here/../build/release/vigil}
[[ $# -gt 0 ]] && shift
[[ $(id -u) -eq 0 ]] || { echo "needs root (network namespaces)" >&2; exit 77; }
command -v keepalived >/dev/null || { echo "keepalived not installed (apt-get install keepalived)" >&2; exit 77; }
[[ -x $vigil ]] || { echo "no vigil binary at $vigil (build the release preset)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
g++ -O2 -std=c++17 -o "$tmp/vrrp_probe" "$here/vrrp_probe.cpp"
echo "keepalived: $(keepalived --version 2>&1 | head -1); vigil: $("$vigil" --version 2>&1 | head -1)"
echo "kernel $(uname -r), $(nproc) CPU(s)"
python3 "$here/vrrp_bench.py" --vigil "$(realpath "$vigil")" --probe "$tmp/vrrp_probe" "$@"
