#!/usr/bin/env bash
# build-initramfs.sh - build the kernel and initramfs that vm-run.sh boots under qemu.
#
# Usage: tests/vm/build-initramfs.sh [-f] [-q] [OUTDIR]
#   OUTDIR  default: $VIGIL_VM_IMAGES, else <repo>/build/vm
#   -f      rebuild even if the inputs did not change
#   -q      say nothing when the images are up to date (a rebuild is still reported)
#
# Environment:
#   VIGIL_VM_KVER        kernel version (default: newest /boot/vmlinuz-*-amd64 that has
#                        /lib/modules/<version>)
#   VIGIL_VM_EXTRA_BINS  extra host binaries to put in the image with their libraries, space
#                        separated (e.g. "/usr/sbin/keepalived"). Prefer bundle-bin.sh for
#                        binaries that change often (the project's own).
#
# Produces in OUTDIR (atomically replaced, safe to run concurrently: an flock serializes):
#   vmlinux         the uncompressed kernel (ELF with a PVH note: qemu boots it directly,
#                   about twice as fast under TCG as the bzImage); absent if extraction
#                   failed, then vm-run.sh boots the bzImage
#   vmlinuz         symlink to /boot/vmlinuz-<kver> (fallback)
#   initramfs.img   lz4 (legacy format) cpio: /init, busybox, dash, bash, ipvsadm, iproute2,
#                   nft, ss, a few coreutils/util-linux tools, ~400 kernel modules
#   kver            the kernel version
#   inputs.txt      the cache key: this script, init, and size+mtime of every host file
#                   copied in. The images are rebuilt only when it changes.
#
# Needs (Debian 12, all installed by scripts/setup.sh): linux-image-amd64 busybox-static
# dash ipvsadm iproute2 nftables cpio lz4 kmod python3 (stdlib lzma, to extract vmlinux).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
FORCE=0 QUIET=0
while getopts "fqh" o; do
    case $o in
        f) FORCE=1 ;; q) QUIET=1 ;;
        *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
OUT=${1:-${VIGIL_VM_IMAGES:-$REPO/build/vm}}
EXTRA_BINS=${VIGIL_VM_EXTRA_BINS:-}

die() { echo "build-initramfs: $*" >&2; exit 1; }
say() { echo "build-initramfs: $*" >&2; }

KVER=${VIGIL_VM_KVER:-}
if [ -z "$KVER" ]; then
    for k in $(ls /boot/vmlinuz-*-amd64 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V); do
        [ -d "/lib/modules/$k" ] && KVER=$k
    done
fi
[ -n "$KVER" ] || die "no /boot/vmlinuz-*-amd64 with modules (install linux-image-amd64: scripts/setup.sh)"
MODDIR=/lib/modules/$KVER
[ -f "/boot/vmlinuz-$KVER" ] || die "no /boot/vmlinuz-$KVER"
[ -d "$MODDIR" ] || die "no $MODDIR"
for t in busybox dash ipvsadm ip nft cpio lz4 depmod modprobe python3; do
    command -v "$t" >/dev/null || die "'$t' not found (run scripts/setup.sh)"
done

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
exec 9> "$OUT/.lock"
flock 9

# ---------------------------------------------------------------- what goes in
# Host programs, copied with every library ldd lists.
#   /bin/sh is dash, not busybox ash: Debian's busybox-static is built with
#   FEATURE_SH_STANDALONE/PREFER_APPLETS, so its ash runs its own applet even when a real
#   binary comes first in PATH ('ip netns' would hit busybox's ip and fail). The same goes
#   for applets that exec others ('busybox timeout 3 ip ...'), hence the real coreutils /
#   util-linux tools below. coreutils date: busybox date has no %N.
BINS="
  /usr/bin/dash /usr/bin/bash
  /usr/sbin/ipvsadm /usr/sbin/ip /usr/bin/ss /usr/sbin/nft
  /usr/bin/date /usr/bin/timeout /usr/bin/env /usr/bin/nice /usr/bin/nohup /usr/sbin/chroot
  /usr/bin/xargs /usr/bin/setsid /usr/bin/nsenter /usr/bin/unshare /usr/bin/flock
  $EXTRA_BINS
"
# Kernel modules copied in (with their dependencies and soft dependencies). Whole trees:
# every IPVS scheduler, nf_tables/xtables, conntrack, bridge netfilter, tc/netem.
MODS_COPY="
  virtio_pci virtio_mmio virtio_console virtio_net 9pnet_virtio 9p overlay
  veth bridge macvlan ipvlan dummy tun ifb vrf 8021q bonding vxlan ipip ip_gre ip6_tunnel
  sit fou fou6 crc32c_generic crc32c-intel
"
MOD_TREES="net/netfilter net/ipv4/netfilter net/ipv6/netfilter net/bridge net/sched"
# Loaded by /init at boot (each insmod costs ~30 ms under TCG): only what the shares and
# consoles need. Everything else, ip_vs included, loads on first use (modprobe ip_vs,
# ipvsadm -s wlc, ip link add type veth, nft ...), as on a freshly booted host.
MODS_LOAD="virtio_pci virtio_console 9pnet_virtio 9p"

# ---------------------------------------------------------------- cache check
# The key names every host file that is copied in, with its size and mtime; the list of
# files comes from the previous build (a changed binary changes its own mtime, and a new
# library dependency needs a changed binary), so the check needs no ldd: ~20 ms.
header() {
    echo "format 1"
    echo "kver $KVER"
    echo "script $(sha256sum < "$HERE/build-initramfs.sh" | cut -c1-64)"
    echo "init $(sha256sum < "$HERE/init" | cut -c1-64)"
    echo "extra_bins $(printf "%s " $EXTRA_BINS)"
    echo "kernel $(stat -L -c '%n %s %Y' "/boot/vmlinuz-$KVER")"
    echo "moddep $(stat -L -c '%n %s %Y' "$MODDIR/modules.dep" "$MODDIR/modules.order" | tr '\n' ' ')"
}
if [ "$FORCE" = 0 ] && [ -f "$OUT/inputs.txt" ] && [ -f "$OUT/initramfs.img" ] && [ -f "$OUT/kver" ]; then
    now=$( {
        header
        grep '^file ' "$OUT/inputs.txt" | cut -d' ' -f2 | xargs -r stat -L -c 'file %n %s %Y' 2>/dev/null
    } ) || true
    if [ "$now" = "$(cat "$OUT/inputs.txt")" ]; then
        [ "$QUIET" = 1 ] || say "up to date: $OUT (kernel $KVER)"
        exit 0
    fi
    say "inputs changed, rebuilding:"
    diff <(cat "$OUT/inputs.txt") <(echo "$now") | grep '^[<>]' | head -5 | sed 's/^/    /' >&2 || true
fi

T0=$(date +%s.%N)
ROOT=$(mktemp -d "${TMPDIR:-/tmp}/vigil-initramfs.XXXXXX")
trap 'rm -rf "$ROOT" "$OUT"/*.tmp' EXIT
declare -A HOSTFILES=()

# merged-/usr layout like the Debian host, so ldd's paths just work
mkdir -p "$ROOT"/{usr/bin,usr/sbin,usr/local/bin,usr/lib/x86_64-linux-gnu,usr/lib64,etc,proc,sys,dev,run,tmp,root,mnt/host,mnt/ctl,var/tmp}
ln -s usr/bin "$ROOT/bin"; ln -s usr/sbin "$ROOT/sbin"
ln -s usr/lib "$ROOT/lib"; ln -s usr/lib64 "$ROOT/lib64"
ln -s ../run "$ROOT/var/run"

add_file() {  # add_file HOSTPATH [GUESTPATH]: copy, dereferenced
    local src=$1 dst=${2:-$1}
    HOSTFILES[$(readlink -f "$src")]=1
    [ -e "$ROOT$dst" ] && return 0
    mkdir -p "$ROOT$(dirname "$dst")"
    cp -L "$src" "$ROOT$dst"
}
add_bin() {   # add_bin PATH: a binary and every library ldd lists (incl. the ELF interpreter)
    local b=$1 lib
    [ -x "$b" ] || die "not an executable: $b (run scripts/setup.sh)"
    case $b in
        # hidden by guest mounts: install as /usr/local/bin/NAME
        /tmp/*|/run/*|/var/tmp/*|/home/*|/root/*|/mnt/*) add_file "$b" "/usr/local/bin/$(basename "$b")" ;;
        *) add_file "$b" ;;
    esac
    if ldd "$b" >/dev/null 2>&1; then
        for lib in $(ldd "$b" | awk '/=>/ && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
            add_file "$lib"
        done
    fi
}

add_file "$(command -v busybox)" /usr/bin/busybox
for b in $BINS; do add_bin "$b"; done
ln -s dash "$ROOT/usr/bin/sh"
# busybox applet links for everything not shipped as a real program
for a in $(busybox --list-full); do
    case $a in bin/*|sbin/*) t=usr/$a ;; *) t=$a ;; esac
    [ -e "$ROOT/$t" ] || [ -L "$ROOT/$t" ] || ln -s /usr/bin/busybox "$ROOT/$t"
done

echo "root:x:0:0:root:/root:/bin/sh" > "$ROOT/etc/passwd"
echo "nobody:x:65534:65534:nobody:/nonexistent:/bin/false" >> "$ROOT/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$ROOT/etc/group"
printf '127.0.0.1 localhost\n::1 localhost\n' > "$ROOT/etc/hosts"
echo "hosts: files" > "$ROOT/etc/nsswitch.conf"
echo vigilvm > "$ROOT/etc/hostname"
echo "$KVER" > "$ROOT/etc/vigilvm-kver"
install -m 0755 "$HERE/init" "$ROOT/init"

# ---------------------------------------------------------------- kernel modules
for d in $MOD_TREES; do
    [ -d "$MODDIR/kernel/$d" ] || continue
    for ko in $(find "$MODDIR/kernel/$d" -name '*.ko*'); do
        ko=${ko##*/}; MODS_COPY+=" ${ko%%.ko*}"
    done
done
deps() {  # deps MODULE: module files to insmod, in order (dependencies and softdeps first)
    modprobe -S "$KVER" --show-depends "$1" 2>/dev/null | awk '$1 == "insmod" {print $2}'
}
for m in $MODS_COPY; do
    for path in $(deps "$m"); do
        [ -e "$ROOT$path" ] && continue
        mkdir -p "$ROOT${path%/*}"
        cp "$path" "$ROOT$path"
        HOSTFILES[$path]=1
    done
done
for f in modules.order modules.builtin modules.builtin.modinfo; do
    [ -f "$MODDIR/$f" ] && cp "$MODDIR/$f" "$ROOT$MODDIR/"
done
depmod -b "$ROOT" "$KVER"   # guest modprobe and kernel auto-loading use these tables
: > "$ROOT/etc/modules-boot.list"
for m in $MODS_LOAD; do
    p=$(deps "$m")
    [ -n "$p" ] || die "module $m not found for $KVER"
    for path in $p; do
        grep -qxF "$path" "$ROOT/etc/modules-boot.list" || echo "$path" >> "$ROOT/etc/modules-boot.list"
    done
done

# ---------------------------------------------------------------- pack
( cd "$ROOT" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet ) \
    | lz4 -q -l -9 > "$OUT/initramfs.img.tmp"

# the kernel: extract the ELF vmlinux from the bzImage (xz payload on Debian), once per kernel
ln -sfn "/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
kstamp=$(stat -L -c '%n %s %Y' "/boot/vmlinuz-$KVER")
if [ ! -f "$OUT/vmlinux" ] || [ "$(cat "$OUT/vmlinux.stamp" 2>/dev/null)" != "$kstamp" ]; then
    rm -f "$OUT/vmlinux" "$OUT/vmlinux.stamp"
    if python3 - "/boot/vmlinuz-$KVER" "$OUT/vmlinux.tmp" <<'EOF'
import lzma, sys
data = open(sys.argv[1], 'rb').read()
i = data.find(b'\xfd7zXZ\x00')            # Debian amd64 kernels: CONFIG_KERNEL_XZ=y
if i < 0:
    sys.exit("no xz payload in the bzImage")
out = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data[i:])
if out[:4] != b'\x7fELF':
    sys.exit("the xz payload is not an ELF")
open(sys.argv[2], 'wb').write(out)
EOF
    then
        mv "$OUT/vmlinux.tmp" "$OUT/vmlinux"
        echo "$kstamp" > "$OUT/vmlinux.stamp"
    else
        echo "build-initramfs: warning: could not extract vmlinux; vm-run.sh will boot the bzImage (slower)" >&2
    fi
fi

mv "$OUT/initramfs.img.tmp" "$OUT/initramfs.img"
echo "$KVER" > "$OUT/kver"
{
    header
    printf '%s\n' "${!HOSTFILES[@]}" | LC_ALL=C sort | xargs stat -L -c 'file %n %s %Y'
} > "$OUT/inputs.txt.tmp"
mv "$OUT/inputs.txt.tmp" "$OUT/inputs.txt"

say "kernel $KVER; $(grep -c . "$ROOT/etc/modules-boot.list") modules loaded at boot, $(find "$ROOT/lib/modules" -name '*.ko*' | wc -l) available"
say "$OUT/initramfs.img: $(du -h "$OUT/initramfs.img" | cut -f1) ($(du -sh "$ROOT" | cut -f1) unpacked), built in $(awk "BEGIN {printf \"%.1f\", $(date +%s.%N) - $T0}") s"
