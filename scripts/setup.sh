#!/usr/bin/env bash
# Installs every Debian package vigil's build, tests, benchmarks and demo need.
# Idempotent: packages already present are not touched; `apt-get update` runs at most once
# per invocation and only when something is missing.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config g++ clang-16 libclang-rt-16-dev
  libboost-dev libboost-program-options-dev
  libnl-3-dev libnl-route-3-dev libnl-genl-3-dev
  libssl-dev libcurl4-openssl-dev libsystemd-dev
  libnftables-dev  # no_accept: vigil's nftables table
  libgtest-dev libgmock-dev
  # tests, drills, benchmarks
  keepalived ipvsadm iproute2 nftables procps psmisc time python3 man-db groff-base
  qemu-system-x86 linux-image-amd64 busybox-static cpio lz4 dash kmod
  # checkers: HTTP_GET's regex (PCRE2); real servers for the check_* drills
  libpcre2-dev nginx openssl dnsmasq-base python3-aiosmtpd socat
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
# Debian starts keepalived on install; the tests run their own instances.
if command -v systemctl >/dev/null 2>&1; then
  $SUDO systemctl disable --now keepalived nginx >/dev/null 2>&1 || true
fi
pkill -x keepalived 2>/dev/null || true
pkill -x nginx 2>/dev/null || true
