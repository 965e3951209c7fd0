#!/usr/bin/env bash
# `vigil ipvs apply|show` against `ipvsadm -R|-Ln` on one table in the real kernel IPVS of
# the test VM (tests/vm: Debian's 6.1 kernel under qemu, TCG on our machines): SERVICES
# virtual services x DESTS destinations, all in one boot:
#   1. vigil ipvs apply -f bench.conf, from an empty table      (median of RUNS)
#   2. the same rules through ipvsadm -R (its input: ipvsadm -Sn of the table vigil made)
#   3. a full dump: vigil ipvs show vs ipvsadm -Ln             (same text, both timed)
#   4. one destination's weight changed in the configuration: apply is 1 netlink write
#   5. a running `vigil ipvs watch`: after ipvsadm -C, SIGUSR1 rebuilds the table from empty
#      (the daemon's path: no start-up, no parse); SIGHUP with the one-weight file is exactly
#      one netlink request (cached kernel view, no dump)
# Not a test: prints absolute figures and ratios, asserts only that both sides made the same
# table. Usage: bench/ipvs_bench.sh [VIGIL_BINARY] [SERVICES] [DESTS] [RUNS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/tests/vm/vm_lib.sh"
vigil=${1:-$root/build/release/vigil}
services=${2:-1000}
dests=${3:-20}
runs=${4:-3}
[[ -x $vigil ]] || { echo "no vigil binary at $vigil (cmake --preset release && cmake --build --preset release)" >&2; exit 1; }
vm_need

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$VM_BUNDLE" "$vigil" "$tmp/bundle" > /dev/null
"$VM_BUILD_IMAGES" > /dev/null

# bench.conf; bench-one.conf differs in the weight of one destination (the 7th service's
# 5th real server). Schedulers, persistence and methods vary so that every kind of rule is
# in the table.
python3 - "$services" "$dests" "$tmp" <<'EOF'
import sys
services, dests, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
scheds = ["wrr", "rr", "wlc", "lc", "sh", "mh"]
def conf(changed):
    lines = []
    for v in range(services):
        vip = f"10.{(v >> 8) & 255}.{v & 255}.1"
        lines.append(f"virtual_server {vip} 80 {{")
        lines.append(f"  lvs_sched {scheds[v % len(scheds)]}")
        lines.append("  lvs_method " + ("DR" if v % 5 == 4 else "NAT"))
        if v % 3 == 0:
            lines.append("  persistence_timeout 300")
        for r in range(dests):
            rip = f"172.{16 + (v >> 11)}.{(v >> 3) & 255}.{((v & 7) << 5) + r + 1}"
            w = 1 + r % 5
            if changed and v == 6 and r == 4:
                w += 10
            port = 80 if v % 5 == 4 else 8080
            lines.append(f"  real_server {rip} {port} {{ weight {w} }}")
        lines.append("}")
    return "\n".join(lines) + "\n"
open(f"{out}/bench.conf", "w").write(conf(False))
open(f"{out}/bench-one.conf", "w").write(conf(True))
EOF

echo "ipvs_bench: $services services x $dests destinations, $runs runs; booting the VM (TCG: slow, minutes)"
"$VM_RUN" -t 1800 -m 1024 -s "$tmp" "$root" sh bench/ipvs_bench_guest.sh "$tmp/bundle/bin/vigil" "$tmp" "$runs"
