#!/bin/sh
# ipvs_bench_guest.sh - runs INSIDE the VM (root, dash), started by bench/ipvs_bench.sh:
#   vm-run.sh -s DIR REPO sh bench/ipvs_bench_guest.sh VIGIL DIR RUNS
# DIR holds bench.conf and bench-one.conf. Prints figures; exits 1 only when the two
# programs did not build the same table.
set -u
V=${1:?usage: ipvs_bench_guest.sh VIGIL DIR RUNS}
D=${2:?}
RUNS=${3:-3}
T=/tmp/ipvs-bench
mkdir -p "$T"

fail() { echo "FAIL: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }
# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.3f s", ms / 1000 }'; }

# vigil and its libraries into the guest's RAM, where ipvsadm is (not read over 9p).
cp -r "$(dirname "$(dirname "$V")")" /tmp/vigil-bundle || fail "copy the bundle"
V=/tmp/vigil-bundle/bin/vigil
# Modules first, so that no run pays for loading them.
modprobe ip_vs && for s in rr wrr wlc lc sh mh; do modprobe ip_vs_$s; done || fail "modprobe"
ipvsadm -C

rules=$(grep -c real_server "$D/bench.conf")
svcs=$(grep -c '^virtual_server' "$D/bench.conf")
echo "kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) vCPU; $svcs services, $rules destinations"

# 1. vigil ipvs apply from an empty table.
: > "$T/vigil_apply"
i=0
while [ $i -lt "$RUNS" ]; do
    ipvsadm -C
    t0=$(now_ms)
    "$V" ipvs apply -v -f "$D/bench.conf" > "$T/out" 2>&1 || { cat "$T/out"; fail "vigil ipvs apply"; }
    t1=$(now_ms)
    echo $((t1 - t0)) >> "$T/vigil_apply"
    i=$((i + 1))
done
apply_counts=$(tail -n 2 "$T/out" | tr '\n' ' ')
ipvsadm -Sn > "$T/rules" || fail "ipvsadm -Sn"
[ "$(wc -l < "$T/rules")" -eq $((svcs + rules)) ] || fail "vigil's table has $(wc -l < "$T/rules") rules"

# 3. full dump, while the table is there.
: > "$T/vigil_show"; : > "$T/ipvsadm_list"
i=0
while [ $i -lt "$RUNS" ]; do
    t0=$(now_ms); "$V" ipvs show > "$T/show.vigil" || fail "vigil ipvs show"; t1=$(now_ms)
    ipvsadm -Ln --exact > "$T/show.ipvsadm" || fail "ipvsadm -Ln"; t2=$(now_ms)
    echo $((t1 - t0)) >> "$T/vigil_show"; echo $((t2 - t1)) >> "$T/ipvsadm_list"
    i=$((i + 1))
done
cmp -s "$T/show.vigil" "$T/show.ipvsadm" || fail "vigil ipvs show differs from ipvsadm -Ln --exact"

# 4. one destination's weight: exactly one write.
t0=$(now_ms)
"$V" ipvs apply -v -f "$D/bench-one.conf" > "$T/one" 2>&1 || { cat "$T/one"; fail "apply bench-one.conf"; }
t1=$(now_ms)
one_ms=$((t1 - t0))
grep -qxF "1 operation (1 netlink write)" "$T/one" || { cat "$T/one"; fail "the one-destination change was not one write"; }

# 4b. a running vigil (ipvs watch: the ReconcileService over the non-blocking client, as the
# daemon runs it; no process start-up, no configuration parse): after ipvsadm -C, an
# on-demand repair (SIGUSR1) rebuilds the whole table from empty; then the one-destination
# change from its cached kernel view is exactly one netlink request, no dump.
cp "$D/bench.conf" "$T/watch.conf"
"$V" ipvs watch -f "$T/watch.conf" --interval 0 > "$T/watch" 2>&1 &
wpid=$!
wait_runs() {  # (its own counter: dash has no local variables)
    w=0
    while [ "$(grep -c '^run: ' "$T/watch")" -lt "$1" ]; do
        w=$((w + 1)); [ $w -gt 3000 ] && { cat "$T/watch"; fail "vigil ipvs watch: no run $1"; }
        sleep 0.1  # polling costs the guest's only CPU: the run's own time is its "; T ms"
    done
}
run_ms() { grep '^run: ' "$T/watch" | tail -n 1 | sed 's/.*; \([0-9]*\) ms$/\1/'; }
run_text() { grep '^run: ' "$T/watch" | tail -n 1 | sed 's/; [0-9]* ms$//'; }
wait_runs 1
: > "$T/watch_repair"
i=0
while [ $i -lt "$RUNS" ]; do
    ipvsadm -C
    kill -USR1 $wpid
    wait_runs $((i + 2))
    run_ms >> "$T/watch_repair"
    i=$((i + 1))
done
repair_line=$(run_text)
case $repair_line in "run: dump, $((svcs + rules)) operations, "*) ;; *) cat "$T/watch"; fail "repair: $repair_line" ;; esac
cp "$D/bench-one.conf" "$T/watch.conf"
kill -HUP $wpid
wait_runs $((RUNS + 2))
watch_ms=$(run_ms)
kill -TERM $wpid; wait $wpid
watch_line=$(run_text)
[ "$watch_line" = "run: cache, 1 operation, 1 netlink request" ] || { cat "$T/watch"; fail "watch: $watch_line"; }

# process start-up alone (dynamic loading of vigil's libraries), for context
t0=$(now_ms); "$V" --version > /dev/null; t1=$(now_ms); startup_ms=$((t1 - t0))

# 2. the same rules through ipvsadm -R.
: > "$T/ipvsadm_restore"
i=0
while [ $i -lt "$RUNS" ]; do
    ipvsadm -C
    t0=$(now_ms)
    ipvsadm -R < "$T/rules" || fail "ipvsadm -R"
    t1=$(now_ms)
    echo $((t1 - t0)) >> "$T/ipvsadm_restore"
    i=$((i + 1))
done
ipvsadm -Sn > "$T/rules.restored"
cmp -s "$T/rules" "$T/rules.restored" || fail "ipvsadm -R did not rebuild the same table"

va=$(median < "$T/vigil_apply"); ir=$(median < "$T/ipvsadm_restore")
vs=$(median < "$T/vigil_show"); il=$(median < "$T/ipvsadm_list")
echo
echo "IPVS benchmark, qemu TCG (emulated CPU: absolute times are slow, ratios are what count)"
echo "medians of $RUNS runs; $svcs services + $rules destinations = $((svcs + rules)) rules"
printf '%-44s %12s   %s\n' "apply from empty: vigil ipvs apply" "$(secs "$va")" "$apply_counts"
printf '%-44s %12s   ipvsadm -R / vigil = %sx\n' "apply from empty: ipvsadm -R (same rules)" "$(secs "$ir")" "$(ratio "$ir" "$va")"
printf '%-44s %12s\n' "full dump: vigil ipvs show" "$(secs "$vs")"
printf '%-44s %12s   ipvsadm -Ln / vigil = %sx (same text)\n' "full dump: ipvsadm -Ln --exact" "$(secs "$il")" "$(ratio "$il" "$vs")"
printf '%-44s %12s   %s\n' "one destination's weight: vigil ipvs apply" "$(secs "$one_ms")" "$(grep -F 'netlink' "$T/one" | tr '\n' ' ')"
wr=$(median < "$T/watch_repair")
printf '%-44s %12s   ipvsadm -R / vigil = %sx; %s\n' "from empty, running vigil (-C, USR1; its ms)" "$(secs "$wr")" "$(ratio "$ir" "$wr")" "$repair_line"
printf '%-44s %12s   %s\n' "one weight, running vigil (HUP; its ms)" "$(secs "$watch_ms")" "$watch_line"
printf '%-44s %12s\n' "for context: vigil --version (start-up)" "$(secs "$startup_ms")"
echo "  runs (ms): vigil apply $(tr '\n' ' ' < "$T/vigil_apply")| running vigil $(tr '\n' ' ' < "$T/watch_repair")| ipvsadm -R $(tr '\n' ' ' < "$T/ipvsadm_restore")| vigil show $(tr '\n' ' ' < "$T/vigil_show")| ipvsadm -Ln $(tr '\n' ' ' < "$T/ipvsadm_list")"
