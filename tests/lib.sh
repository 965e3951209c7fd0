# Shared helpers for the shell-level tests (netns, interop). Sourced, not run.
# Exit 77 means SKIPPED (ctest SKIP_RETURN_CODE); the reason is printed loudly.

skip() {
  echo "SKIPPED: $*"
  exit 77
}

need_root() {
  [[ $(id -u) -eq 0 ]] || skip "needs root (network namespaces)"
  ip netns add vigil-probe-$$ 2>/dev/null || skip "cannot create network namespaces here"
  ip netns del vigil-probe-$$
}

need_cmd() {
  command -v "$1" >/dev/null 2>&1 || skip "'$1' not installed (run scripts/setup.sh)"
}

# Namespaces created through mkns are deleted on exit, whatever happens.
_vigil_ns=()
_vigil_pids=()
cleanup() {
  for p in "${_vigil_pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for n in "${_vigil_ns[@]}"; do ip netns del "$n" 2>/dev/null || true; done
}
trap cleanup EXIT

mkns() {
  local name=$1
  ip netns add "$name"
  _vigil_ns+=("$name")
  ip -n "$name" link set lo up
}

track_pid() { _vigil_pids+=("$1"); }

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# wait_for SECONDS COMMAND...: polls every 50 ms.
wait_for() {
  local limit=$1
  shift
  local deadline=$((SECONDS + limit))
  while ((SECONDS < deadline)); do
    "$@" && return 0
    sleep 0.05
  done
  return 1
}
