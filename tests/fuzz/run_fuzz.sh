#!/usr/bin/env bash
# Builds the fuzz preset (clang 16, libFuzzer, ASan+UBSan) and runs one fuzz target.
#   tests/fuzz/run_fuzz.sh TARGET SECONDS      e.g. fuzz_conf 300, fuzz_advert 30, fuzz_bfd 30, fuzz_tcp_syn 30
# Seeds: Debian's keepalived samples, the repo's example and malformed corpus (fuzz_conf),
# or the target's corpus directory. Exits non-zero on a crash (the reproducer is kept in
# build/fuzz/artifacts/).
set -euo pipefail
target=${1:?target}
seconds=${2:-30}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target "$target" -- -j2 >/dev/null
bin=$(find build/fuzz -name "$target" -type f -perm -u+x | head -n 1)
corpus=build/fuzz/corpus-$target
mkdir -p "$corpus" build/fuzz/artifacts
case $target in
  fuzz_conf)
    cp -f keepalived.conf.example "$corpus/" 2>/dev/null || true
    cp -f /usr/share/doc/keepalived/samples/keepalived.conf.* "$corpus/" 2>/dev/null || true
    find tests/conf -name '*.conf' -exec cp -f {} "$corpus/" \; 2>/dev/null || true
    ;;
  fuzz_advert)
    cp -f vrrpd/tests/fuzz_corpus/advert/* "$corpus/" 2>/dev/null || true
    ;;
  fuzz_genl)
    cp -f ipvs_glue/tests/fuzz_corpus/* "$corpus/" 2>/dev/null || true
    ;;
  fuzz_bfd)
    # Start, then a valid Down packet from a peer (opcode 4 = a packet follows).
    printf '\x00\x04\x20\x40\x03\x18\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\xc3\x50\x00\x00\xc3\x50\x00\x00\x00\x00' \
      >"$corpus/start-down"
    ;;
  fuzz_tcp_syn)
    # An IPv4 SYN-ACK from 127.0.0.1:8001 to port 40000 (IP header, then TCP), and its TCP part.
    printf '\x45\x00\x00\x28\x00\x00\x40\x00\x40\x06\x00\x00\x7f\x00\x00\x01\x7f\x00\x00\x01\x1f\x41\x9c\x40\x00\x00\x00\x01\x12\x34\x56\x79\x50\x12\xff\xff\x00\x00\x00\x00' \
      >"$corpus/synack-v4"
    tail -c 20 "$corpus/synack-v4" >"$corpus/synack-tcp"
    ;;
esac
sym=$(command -v llvm-symbolizer-16 || command -v llvm-symbolizer || true)
[[ -n $sym ]] && export ASAN_SYMBOLIZER_PATH=$sym
echo "fuzz: $target for ${seconds}s (corpus $(ls "$corpus" | wc -l) files)"
"$bin" "$corpus" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -timeout=10 \
  -artifact_prefix=build/fuzz/artifacts/ -print_final_stats=1 2>&1 | \
  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==|SUMMARY|.*deadly signal|.*Test unit written)' || true
status=${PIPESTATUS[0]}
if [[ $status -ne 0 ]]; then
  echo "fuzz: $target FAILED (exit $status); see build/fuzz/artifacts/" >&2
  exit 1
fi
echo "fuzz: $target passed ${seconds}s with no crash"
