#!/usr/bin/env bash
# Interop with Debian's keepalived on configuration: keepalived.conf.example must be accepted
# by both `keepalived -t` and `vigil -t`, for each director (-i lb1, -i lb2), in a namespace
# that has the example's interfaces. And both must reject the same broken variants.
#   Usage: keepalived_accepts.sh VIGIL_BINARY SOURCE_DIR
set -euo pipefail
vigil=${1:?vigil binary}
src=${2:?source dir}
source "$(dirname "$0")/../lib.sh"
need_root
need_cmd keepalived

ns=vigil-interop-$$
mkns "$ns"
for i in eth0 eth1; do
  ip -n "$ns" link add "$i" type veth peer name "${i}p"
  ip -n "$ns" link set "$i" up
done
tmp=$(mktemp -d)
trap 'cleanup; rm -rf "$tmp"' EXIT

check() {  # check WANT(0|1) FILE ID
  local want=$1 file=$2 id=$3 k v
  k=0; ip netns exec "$ns" keepalived -t -l -f "$file" -i "$id" >"$tmp/k.log" 2>&1 || k=1
  v=0; ip netns exec "$ns" "$vigil" -t -f "$file" -i "$id" >"$tmp/v.log" 2>&1 || v=1
  echo "$(basename "$file") -i $id: keepalived=$k vigil=$v (want $want)"
  if [[ $k != "$want" || $v != "$want" ]]; then
    cat "$tmp/k.log" "$tmp/v.log" >&2
    fail "$(basename "$file") -i $id"
  fi
}

for id in lb1 lb2; do
  check 0 "$src/keepalived.conf.example" "$id"
done

# Broken variants: both must say no.
sed 's/virtual_router_id 51/virtual_router_id 256/' "$src/keepalived.conf.example" >"$tmp/bad-vrid.conf"
sed 's/lvs_sched wlc/lvs_sched nosuch/' "$src/keepalived.conf.example" >"$tmp/bad-sched.conf"
sed 's|10.1.0.1/24 dev eth1|10.1.0.300/24 dev eth1|' "$src/keepalived.conf.example" >"$tmp/bad-vip.conf"
for f in bad-vrid bad-sched bad-vip; do
  check 1 "$tmp/$f.conf" lb1
done
echo "PASS: keepalived and vigil agree"
