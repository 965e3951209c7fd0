#!/usr/bin/env bash
# vm-run.sh - run one command as root inside a throw-away qemu VM that boots Debian's stock
# kernel (IPVS, netns, veth, bridge, nftables ... as modules), with DIR shared in over 9p.
#
# Usage: tests/vm/vm-run.sh [options] DIR CMD [ARG...]
#
#   DIR is mounted read-write (9p) in the guest at its own absolute path (and at /mnt/host),
#   so paths are the same inside and out; CMD runs in DIR. CMD's stdout and stderr are this
#   script's stdout and stderr (virtio consoles, byte exact), its exit status is this
#   script's exit status. The guest has no network device: build topologies with network
#   namespaces and veth pairs inside it.
#
# Options (each also settable through the environment variable in brackets):
#   -t SECS   wall-clock limit for the whole run, default 300          [VIGIL_VM_TIMEOUT]
#   -m MB     guest memory, default 512                                [VIGIL_VM_MEM]
#   -c N      guest CPUs, default 1                                    [VIGIL_VM_CPUS]
#   -s HOSTDIR[:GUESTPATH]  share another directory, read-write (repeatable; GUESTPATH
#             defaults to HOSTDIR)
#   -r        share DIR read-only                                      [VIGIL_VM_RO=1]
#   -v        verbose: kernel and /init console on stderr              [VIGIL_VM_VERBOSE=1]
#   -i        interactive: the terminal is CMD's stdin (e.g. CMD = sh) [VIGIL_VM_INTERACTIVE=1]
#   -k        keep the run's control directory (console log ...)      [VIGIL_VM_KEEP=1]
# Other environment:
#   VIGIL_VM_IMAGES  directory of the images (default <repo>/build/vm); build-initramfs.sh
#                    is run first, and rebuilds them only when its inputs changed
#   VIGIL_VM_ACCEL   auto | kvm | tcg (default auto: kvm if it looks usable, else tcg; if kvm
#                    fails before the guest starts, the run is retried once with tcg)
#   VIGIL_VM_APPEND  extra kernel command line arguments
#   VIGIL_VM_CPU     qemu -cpu model (default host with kvm, max with tcg)
#
# Exit status: CMD's; 124 if the run hit the time limit; 125 if the VM ended without
# reporting a status (kernel panic, /init failure, qemu failure: the tail of the guest
# console is then printed on stderr); 2 for a usage error.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
IMAGES=${VIGIL_VM_IMAGES:-$REPO/build/vm}
TIMEOUT=${VIGIL_VM_TIMEOUT:-300}
MEM=${VIGIL_VM_MEM:-512}
CPUS=${VIGIL_VM_CPUS:-1}
RO=${VIGIL_VM_RO:-0}
VERBOSE=${VIGIL_VM_VERBOSE:-0}
INTERACTIVE=${VIGIL_VM_INTERACTIVE:-0}
KEEP=${VIGIL_VM_KEEP:-0}
ACCEL=${VIGIL_VM_ACCEL:-auto}
EXTRA_SHARES=()

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while getopts "t:m:c:s:rvikh" o; do
    case $o in
        t) TIMEOUT=$OPTARG ;; m) MEM=$OPTARG ;; c) CPUS=$OPTARG ;;
        s) EXTRA_SHARES+=("$OPTARG") ;; r) RO=1 ;; v) VERBOSE=1 ;;
        i) INTERACTIVE=1 ;; k) KEEP=1 ;; *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || usage
DIR=$(cd "$1" 2>/dev/null && pwd -P) || { echo "vm-run: no such directory: $1" >&2; exit 2; }
shift
command -v qemu-system-x86_64 >/dev/null || { echo "vm-run: qemu-system-x86_64 not found (run scripts/setup.sh)" >&2; exit 125; }

# --- images (cached; built on first use)
# (its messages are shown only with -v or on failure: CMD's stderr stays CMD's own)
if ! build_log=$("$HERE/build-initramfs.sh" -q "$IMAGES" 2>&1); then
    printf '%s\n' "$build_log" >&2
    echo "vm-run: building the images failed" >&2
    exit 125
fi
[ "$VERBOSE" = 1 ] && [ -n "$build_log" ] && printf '%s\n' "$build_log" >&2
if [ -f "$IMAGES/vmlinux" ]; then
    KERNEL=$IMAGES/vmlinux      # PVH direct boot: no firmware, no decompression
else
    KERNEL=$IMAGES/vmlinuz
fi

# --- accelerator. /dev/kvm may exist and still be unusable: on hosts where it comes from
# the nested 'kvm_pvm' module, a stock kernel's ring-0 code is emulated instruction by
# instruction and dies on 'lock cmpxchg16b'. So auto = kvm only with VT-x/AMD-V and no PVM.
if [ "$ACCEL" = auto ]; then
    ACCEL=tcg AUTO=1
    if [ -r /dev/kvm ] && [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ] &&
       grep -qwE 'vmx|svm' /proc/cpuinfo; then
        ACCEL=kvm
    fi
else
    AUTO=0
fi
case $ACCEL in kvm|tcg) ;; *) echo "vm-run: bad VIGIL_VM_ACCEL=$ACCEL" >&2; exit 2 ;; esac

# --- the run's control directory, shared as 9p tag vigilvm_ctl
CTL=$(mktemp -d "${TMPDIR:-/tmp}/vigil-vm.XXXXXX")
QPID=
RELAYS=()
cleanup() {
    if [ -n "$QPID" ]; then kill "$QPID" 2>/dev/null || true; wait "$QPID" 2>/dev/null || true; fi
    [ ${#RELAYS[@]} -eq 0 ] || stop_relays
    if [ "$KEEP" = 1 ]; then echo "vm-run: control directory kept: $CTL" >&2; else rm -rf "$CTL"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

shq() { # single-quote each argument for a POSIX shell
    local a out=
    for a in "$@"; do out+="'${a//\'/\'\\\'\'}' "; done
    printf '%s' "$out"
}

VIRTFS=()
MOUNTS=
add_share() { # add_share TAG HOSTDIR GUESTPATH READONLY
    local ro=
    [ "$4" = 1 ] && ro=,readonly=on
    VIRTFS+=(-virtfs "local,path=${2//,/,,},mount_tag=$1,security_model=none,id=$1$ro")
    MOUNTS+="9p $1 $3"$'\n'
}
guest_path_ok() { # mounting over these would hide the guest's own files
    case $1 in
        /|/usr|/usr/bin|/usr/sbin|/usr/lib|/usr/lib64|/bin|/sbin|/lib|/lib64|/etc|/proc|/sys|/dev|/run|/tmp|/var|/mnt|/mnt/ctl|/mnt/host|/root) return 1 ;;
        /usr/lib/*|/lib/*|/usr/lib64/*|/lib64/*|/proc/*|/sys/*|/dev/*|/mnt/ctl/*|/etc/*) return 1 ;;
    esac
}
add_share vigilvm_host "$DIR" /mnt/host "$RO"
if guest_path_ok "$DIR"; then
    MOUNTS+="bind /mnt/host $DIR"$'\n'    # a 9p tag mounts only once: bind-mount the 2nd view
    GUEST_DIR=$DIR
else
    echo "vm-run: note: $DIR is mounted on /mnt/host only in the guest" >&2
    GUEST_DIR=/mnt/host
fi
n=0
for s in "${EXTRA_SHARES[@]}"; do
    h=${s%%:*} g=
    [[ $s != *:* ]] || g=${s#*:}
    h=$(cd "$h" 2>/dev/null && pwd -P) || { echo "vm-run: no such directory: $s" >&2; exit 2; }
    [ -n "$g" ] || g=$h
    guest_path_ok "$g" || { echo "vm-run: refusing guest path $g" >&2; exit 2; }
    n=$((n + 1))
    add_share "vigilvm_s$n" "$h" "$g" 0
done
printf '%s' "$MOUNTS" > "$CTL/mounts"
{
    echo "cd $(shq "$GUEST_DIR") || exit 125"
    echo "exec $(shq "$@")"
} > "$CTL/cmd.sh"

# --- consoles
#  ttyS0 (kernel log, /init messages) -> ctl/console.log (and stderr with -v)
#  hvc0 (CMD's stdout) -> our stdout; hvc1 (CMD's stderr) -> our stderr
# qemu writes into FIFOs (-chardev pipe,path=X opens X.in and X.out) and a 'cat' started here
# copies them to the stdout/stderr we inherited. (Letting qemu reopen /proc/self/fd/1 breaks
# when stdout is a regular file: the new open file description has its own offset, so the
# caller's later writes overwrite the output.)
start_relay() { # start_relay NAME CMD...: CMD reads the guest->host FIFO on its stdin
    local name=$1; shift
    rm -f "$CTL/$name.in" "$CTL/$name.out"
    mkfifo "$CTL/$name.in" "$CTL/$name.out"
    ( exec "$@" < "$CTL/$name.out" ) &   # blocks in open() until qemu opens the writer
    RELAYS+=($!)
}
stop_relays() { # after qemu is gone: unblock relays that never saw a writer, then reap them
    local f pid
    for f in "$CTL"/*.out; do
        [ -p "$f" ] && { exec 3<>"$f"; exec 3>&-; }
    done
    for pid in "${RELAYS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    RELAYS=()
}

run_qemu() { # run_qemu ACCEL: one boot; sets QRC
    local accel_args serial outdev debug=0 append
    case $1 in
        kvm) accel_args=(-accel kvm -cpu "${VIGIL_VM_CPU:-host}") ;;
        tcg) accel_args=(-accel tcg -cpu "${VIGIL_VM_CPU:-max}") ;;
    esac
    rm -f "$CTL/console.log" "$CTL/qemu.err" "$CTL/rc"
    if [ "$VERBOSE" = 1 ]; then
        start_relay ser tee "$CTL/console.log" >&2
        serial=(-chardev "pipe,id=ser,path=$CTL/ser" -serial chardev:ser)
        debug=1
    else
        serial=(-serial "file:$CTL/console.log")
    fi
    if [ "$INTERACTIVE" = 1 ]; then
        outdev=(-chardev stdio,id=out,signal=off)   # raw tty: ^C goes to the guest
    else
        start_relay out cat
        outdev=(-chardev "pipe,id=out,path=$CTL/out")
    fi
    start_relay err cat >&2
    append="console=ttyS0 panic=-1 quiet loglevel=3 mitigations=off tsc=reliable no_timer_check"
    append+=" cryptomgr.notests i8042.noaux i8042.nokbd i8042.nopnp"
    append+=" vigilvm.ctl=1 vigilvm.hvc=1 vigilvm.debug=$debug vigilvm.interactive=$INTERACTIVE"
    append+=" ${VIGIL_VM_APPEND:-}"
    local qemu=(qemu-system-x86_64 "${accel_args[@]}" -m "$MEM" -smp "$CPUS"
        -nodefaults -no-user-config -display none -no-reboot -nic none
        -kernel "$KERNEL" -initrd "$IMAGES/initramfs.img" -append "$append"
        "${serial[@]}"
        -device virtio-serial-pci,id=vser
        "${outdev[@]}" -device virtconsole,chardev=out,bus=vser.0,nr=0
        -chardev "pipe,id=err,path=$CTL/err" -device virtconsole,chardev=err,bus=vser.0,nr=1
        -virtfs "local,path=${CTL//,/,,},mount_tag=vigilvm_ctl,security_model=none,id=vigilvm_ctl"
        "${VIRTFS[@]}")
    # qemu's own messages go to a file, not into CMD's stderr; shown when the run fails
    set +e
    if [ "$INTERACTIVE" = 1 ]; then
        timeout --foreground -k 5 "$TIMEOUT" "${qemu[@]}" 2> "$CTL/qemu.err"
        QRC=$?
    else
        timeout -k 5 "$TIMEOUT" "${qemu[@]}" < /dev/null 2> "$CTL/qemu.err" &
        QPID=$!
        wait $QPID
        QRC=$?
        QPID=
    fi
    set -e
    stop_relays
}

run_qemu "$ACCEL"
if [ "$ACCEL" = kvm ] && [ "$AUTO" = 1 ] && [ ! -f "$CTL/rc" ] && [ ! -s "$CTL/console.log" ]; then
    # the guest never started (no console output at all): safe to run again under TCG
    echo "vm-run: kvm failed ($(head -c 200 "$CTL/qemu.err" | tr '\n' ' ')), retrying with tcg" >&2
    ACCEL=tcg
    run_qemu tcg
fi

if [ -f "$CTL/rc" ]; then
    exit "$(cat "$CTL/rc")"
fi
if [ -f "$CTL/console.log" ] && grep -aq '^VIGILVM_EXIT=' "$CTL/console.log"; then
    exit "$(grep -a '^VIGILVM_EXIT=' "$CTL/console.log" | tail -1 | tr -dc 0-9)"
fi
if [ $QRC -eq 124 ] || [ $QRC -eq 137 ]; then
    echo "vm-run: the VM timed out after ${TIMEOUT}s ($ACCEL)" >&2
    rc=124
else
    echo "vm-run: the VM ended without an exit status (qemu status $QRC, $ACCEL)" >&2
    rc=125
fi
if [ -s "$CTL/qemu.err" ]; then
    echo "vm-run: --- qemu said ---" >&2
    tail -n 20 "$CTL/qemu.err" >&2
fi
if [ -s "$CTL/console.log" ]; then
    echo "vm-run: --- last lines of the guest console ---" >&2
    tail -n 30 "$CTL/console.log" >&2
fi
exit $rc
