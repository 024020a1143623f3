#!/usr/bin/env bash
# The referee: libvirt 12.8 and QEMU 11.1 from Debian unstable, run in a root
# built with mmdebstrap inside the repository (.referee/, git-ignored), so the
# tests can ask the libvirt that implements pciBus, accel and iommufd for its
# verdict on a domain. See docs/referee.md.
#
#   bash scripts/referee.sh start    build the root if needed, start virtlogd and
#                                    libvirtd, print the connection URI on stdout
#   bash scripts/referee.sh stop     stop both daemons by their recorded PIDs, unmount
#   bash scripts/referee.sh status   say what runs; exit 0 when the daemon answers
#   bash scripts/referee.sh uri      print the URI (no check)
#   bash scripts/referee.sh build    build the root only
#
# Exit codes: 0 done; 1 failed; 77 the referee cannot run on this machine
# (not root, no chroot/mount, no package registry): the reason is on stderr,
# and callers skip with it. Everything but the URI goes to stderr.
# Every subcommand is idempotent: start twice reuses the running daemon,
# stop twice is a no-op.
set -u -o pipefail

UNAVAILABLE=77
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASE=${REFEREE_DIR:-$REPO/.referee}
ROOT=$BASE/root
RUN=$BASE/run
SUITE=sid
MIRROR=${REFEREE_MIRROR:-http://deb.debian.org/debian}
# What the root needs: the monolithic daemon with the QEMU driver, the clients
# (virsh, virt-xml-validate), QEMU for aarch64 and x86 with their UEFI firmware
# (aarch64 with ACPI needs UEFI), and xmllint for schema checks. Also what
# ordinary domains use, so that libvirt judges them instead of refusing for
# want of a program: SPICE (a QEMU module package), swtpm for <tpm>, and QEMU
# for the other architectures of the corpora (ppc64, s390x, riscv64, loongarch64).
PACKAGES=libvirt-daemon,libvirt-daemon-driver-qemu,libvirt-clients,qemu-system-arm,qemu-efi-aarch64,qemu-system-x86,ovmf,libxml2-utils
PACKAGES=$PACKAGES,qemu-system-modules-spice,swtpm-tools,qemu-system-ppc,qemu-system-s390x,qemu-system-misc
# Written last by a successful build; names what was built, so a changed
# package list rebuilds.
STAMP=$ROOT/.referee-stamp
STAMP_TEXT="suite=$SUITE packages=$PACKAGES"
SOCKET=$ROOT/run/libvirt/libvirt-sock
URI="qemu:///system?socket=$SOCKET"

say() { echo "referee: $*" >&2; }
unavailable() { say "unavailable: $*"; exit $UNAVAILABLE; }
fail() { say "error: $*"; exit 1; }

# Mount points at or below a directory, deepest first (for unmounting).
mounts_under() {
  awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

unmount_all() {
  local m
  for m in $(mounts_under "$ROOT"); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || say "could not unmount $m"
  done
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# The PID recorded for NAME, when that process is still the one we started
# (it runs NAME chrooted into this root), else nothing: a recycled PID is
# never signalled.
recorded_pid() {
  local f=$RUN/$1.pid pid
  [ -r "$f" ] || return 0
  pid=$(cat "$f")
  if pid_alive "$pid" && [ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$ROOT" ] \
      && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$1"; then
    echo "$pid"
  fi
}

need_root() {
  [ "$(id -u)" = 0 ] || unavailable "needs root (mmdebstrap --mode=root, chroot, mount); running as uid $(id -u)"
  command -v chroot >/dev/null 2>&1 || unavailable "no chroot command"
  command -v mount >/dev/null 2>&1 || unavailable "no mount command"
}

ensure_mmdebstrap() {
  command -v mmdebstrap >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || unavailable "mmdebstrap missing and no apt-get to install it"
  say "installing mmdebstrap"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || unavailable "apt-get update failed (no package registry?)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >&2 \
    || unavailable "apt-get install mmdebstrap failed"
}

build() {
  need_root
  if [ -r "$STAMP" ] && [ "$(cat "$STAMP")" = "$STAMP_TEXT" ]; then
    say "root present: $ROOT"
    return 0
  fi
  ensure_mmdebstrap
  [ -z "$(recorded_pid libvirtd)$(recorded_pid virtlogd)" ] || fail "daemons running from an outdated root; run stop first"
  unmount_all
  [ -z "$(mounts_under "$ROOT")" ] && [ -z "$(mounts_under "$ROOT.tmp")" ] || fail "something is still mounted below $ROOT"
  rm -rf --one-file-system "$ROOT" "$ROOT.tmp"
  mkdir -p "$BASE"
  say "building the Debian $SUITE root in $ROOT (about a minute, 800 MB)"
  local started=$SECONDS
  # Check-Valid-Until: the registry's copy of unstable's Release file can be
  # past its Valid-Until date, and apt refuses it otherwise.
  if ! mmdebstrap --mode=root --variant=apt --quiet \
      --aptopt='Acquire::Check-Valid-Until "false"' \
      --include="$PACKAGES" "$SUITE" "$ROOT.tmp" "$MIRROR" >"$BASE/build.log" 2>&1; then
    tail -n 20 "$BASE/build.log" >&2
    rm -rf --one-file-system "$ROOT.tmp"
    if grep -qiE 'could not resolve|failed to fetch|temporary failure|unable to connect|network is unreachable' "$BASE/build.log"; then
      unavailable "the Debian package registry ($MIRROR) cannot be reached; see $BASE/build.log"
    fi
    fail "mmdebstrap failed; see $BASE/build.log"
  fi
  mv "$ROOT.tmp" "$ROOT"
  echo "$STAMP_TEXT" >"$STAMP"
  say "root built in $((SECONDS - started)) s: $(chroot "$ROOT" /usr/sbin/libvirtd --version 2>/dev/null)"
}

# The stand-ins a machine without KVM or VFIO needs: /proc, a few device
# nodes, a non-empty /sys/kernel/iommu_groups and /dev/vfio/vfio so libvirt
# believes the host can do VFIO. Never the real /sys or /dev.
prepare() {
  mountpoint -q "$ROOT/proc" || mount --bind /proc "$ROOT/proc" || unavailable "cannot bind-mount /proc into the root"
  mkdir -p "$ROOT/run/libvirt" "$ROOT/sys/kernel/iommu_groups/0" "$ROOT/dev/vfio" "$ROOT/tmp/referee"
  [ -e "$ROOT/dev/vfio/vfio" ] || touch "$ROOT/dev/vfio/vfio"
  [ -e "$ROOT/dev/iommu" ] || touch "$ROOT/dev/iommu"
  local n name ma mi
  for n in null:1:3 zero:1:5 random:1:8 urandom:1:9; do
    IFS=: read -r name ma mi <<<"$n"
    [ -c "$ROOT/dev/$name" ] && continue
    rm -f "$ROOT/dev/$name"
    mknod -m 666 "$ROOT/dev/$name" c "$ma" "$mi" || unavailable "cannot create /dev/$name in the root (mknod refused)"
  done
}

# True when the daemon answers on its socket (asked with the root's virsh).
answers() {
  chroot "$ROOT" virsh -q -c qemu:///system version >/dev/null 2>&1
}

start_daemon() {
  local name=$1 pid
  pid=$(recorded_pid "$name")
  if [ -n "$pid" ]; then
    say "$name already running (pid $pid)"
    return 0
  fi
  mkdir -p "$RUN"
  # setsid: the daemon outlives this script and is not killed with the
  # caller's process group; it is stopped by the PID recorded here. It must
  # not keep the subcommand lock (fd 9) open, or the next stop would wait forever.
  setsid chroot "$ROOT" "/usr/sbin/$name" </dev/null >>"$RUN/$name.log" 2>&1 9>&- &
  echo $! >"$RUN/$name.pid"
  say "$name started (pid $!)"
}

start() {
  need_root
  if [ ${#SOCKET} -ge 108 ]; then
    fail "socket path too long for a unix socket (${#SOCKET} >= 108): $SOCKET; set REFEREE_DIR to a shorter folder"
  fi
  build
  prepare
  start_daemon virtlogd
  local had; had=$(recorded_pid libvirtd)
  [ -n "$had" ] || rm -f "$SOCKET"
  start_daemon libvirtd
  local i pid
  for i in $(seq 1 120); do
    if answers; then
      say "libvirtd answers: $(chroot "$ROOT" virsh -q -c qemu:///system version 2>/dev/null | grep -i 'running hypervisor' | sed 's/^ *//')"
      echo "$URI"
      return 0
    fi
    pid=$(recorded_pid libvirtd)
    if [ -z "$pid" ]; then
      tail -n 20 "$RUN/libvirtd.log" >&2
      fail "libvirtd exited; see $RUN/libvirtd.log"
    fi
    sleep 0.5
  done
  fail "libvirtd did not answer on $SOCKET within 60 s; see $RUN/libvirtd.log"
}

stop_daemon() {
  local name=$1 pid i
  pid=$(recorded_pid "$name")
  if [ -z "$pid" ]; then
    rm -f "$RUN/$name.pid"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 50); do
    pid_alive "$pid" || break
    sleep 0.2
  done
  if pid_alive "$pid"; then
    say "$name (pid $pid) ignored SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null
    sleep 0.2
  fi
  rm -f "$RUN/$name.pid"
  say "$name stopped (pid $pid)"
}

stop() {
  stop_daemon libvirtd
  stop_daemon virtlogd
  [ -d "$ROOT" ] && unmount_all
  return 0
}

status() {
  local pid rc=1
  if [ -r "$STAMP" ]; then say "root: $ROOT ($(cat "$STAMP"))"; else say "root: not built ($ROOT)"; fi
  for name in virtlogd libvirtd; do
    pid=$(recorded_pid "$name")
    if [ -n "$pid" ]; then say "$name: running (pid $pid)"; else say "$name: not running"; fi
  done
  if [ -n "$(recorded_pid libvirtd)" ] && answers; then
    say "daemon answers on $SOCKET"
    echo "$URI"
    rc=0
  fi
  return $rc
}

# One subcommand at a time per root: two test files starting the referee at
# once must not both build it or start two daemons.
lock() {
  need_root
  mkdir -p "$BASE"
  exec 9>"$BASE/lock"
  flock 9
}

case "${1:-}" in
  start) lock; start ;;
  stop) lock; stop ;;
  status) status ;;
  uri) echo "$URI" ;;
  build) lock; build ;;
  root) echo "$ROOT" ;;
  *) echo "usage: bash scripts/referee.sh start|stop|status|uri|root|build" >&2; exit 2 ;;
esac
