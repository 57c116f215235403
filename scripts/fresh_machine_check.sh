#!/usr/bin/env bash
# Proves the README's two commands on a clean Debian 12 machine: builds a fresh Debian 12
# root with debootstrap, clones the committed checkout into it, and runs `make demo` and
# `CI=true make test` inside it (chroot), with nothing installed by hand. Reports the time
# each command took. Needs root (debootstrap, chroot, bind mounts) and a Debian mirror.
#
#   scripts/fresh_machine_check.sh [--root DIR] [--keep] [--worktree]
#     --root DIR   where to build the root (default /var/tmp/tfmodel-fresh-root); it is
#                  deleted and made again unless --reuse is given
#     --reuse      reuse an existing root made by an earlier run (not fresh: only for
#                  iterating on a failure)
#     --keep       leave the root in place afterwards (default: delete it)
#     --worktree   copy the working tree (uncommitted changes included) instead of a clone
#                  of HEAD
#     --demo-only  run `make demo` only (a quick check of setup and configure)
#     --ccache DIR share a compiler cache with the root (e.g. ~/.cache/ccache): packages and
#                  setup stay fresh, only compiling is faster; say so when reporting times
# Exit status: 0 when both commands pass.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
root=/var/tmp/tfmodel-fresh-root
reuse=0
keep=0
worktree=0
demo_only=0
ccache_dir=""
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --root) root="$2"; shift 2 ;;
    --reuse) reuse=1; shift ;;
    --keep) keep=1; shift ;;
    --worktree) worktree=1; shift ;;
    --demo-only) demo_only=1; shift ;;
    --ccache) ccache_dir="$(realpath "$2")"; shift 2 ;;
    *) echo "fresh_machine_check: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [[ $(id -u) -ne 0 ]]; then
  echo "fresh_machine_check: needs root (debootstrap, chroot, mount)" >&2
  exit 2
fi
testdata="$(realpath "${TFMODEL_TESTDATA:-$here/../shared/testdata}")"
if [[ ! -f "$testdata/README.md" ]]; then
  echo "fresh_machine_check: testdata folder $testdata is missing" >&2
  exit 2
fi

# Never delete through a mount left by an earlier run (a bound /dev under the root).
remove_root() {
  local m
  for m in $(awk -v r="$root/" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r); do
    umount -l "$m" || true
  done
  if awk -v r="$root/" 'index($2, r) == 1' /proc/mounts | grep -q .; then
    echo "fresh_machine_check: mounts remain under $root; not deleting it" >&2
    return 1
  fi
  rm -rf --one-file-system "$root"
}

mounts=()
cleanup() {
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null || true; done
  if [[ $keep -eq 0 && $reuse -eq 0 ]]; then remove_root; fi
}
trap cleanup EXIT
bind() {  # bind SRC DST [ro]
  mkdir -p "$2"
  mount --bind "$1" "$2"
  mounts+=("$2")
  if [[ "${3:-}" == "ro" ]]; then mount -o remount,bind,ro "$2"; fi
}

mount_system() {
  bind /proc "$root/proc"
  bind /sys "$root/sys"
  bind /dev "$root/dev"
  bind /dev/pts "$root/dev/pts"
}

t0=$(date +%s)
if [[ $reuse -eq 0 || ! -x "$root/bin/bash" ]]; then
  if ! command -v debootstrap >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  fi
  remove_root
  echo "== debootstrap bookworm into $root"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 || {
    tail -20 "$root.debootstrap.log"; exit 1; }
  mount_system
  # make and git are what a person needs to clone and type `make`; everything else must
  # come from the project's own setup step.
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    make git >/dev/null
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
if [[ ${#mounts[@]} -eq 0 ]]; then mount_system; fi
echo "== root ready in $(( $(date +%s) - t0 )) s"

rm -rf "$root/work/main"
mkdir -p "$root/work"
if [[ $worktree -eq 1 ]]; then
  tar -C "$here" --exclude=./build --exclude=./build-asan --exclude='./build-*' -cf - . |
    (mkdir -p "$root/work/main" && tar -C "$root/work/main" -xf -)
else
  git clone -q --no-hardlinks "$here" "$root/work/main"
fi
bind "$testdata" "$root/work/shared/testdata" ro
# The synthetic benchmark graphs beside the testdata (../shared/bench), which golden and
# converter tests read, as on a developer's or CI machine.
if [[ -d "$testdata/../bench" ]]; then bind "$(realpath "$testdata/../bench")" "$root/work/shared/bench" ro; fi
# This machine's network may pass HTTPS through an egress proxy whose CA the host trusts
# (/usr/local/share/ca-certificates); the root trusts it too, as any machine on that network
# must, or npm (tests' pinned node packages) cannot reach its registry. The ca-certificates
# package that setup.sh's dependencies install adds it to the root's bundle.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  if [[ -x "$root/usr/sbin/update-ca-certificates" ]]; then
    chroot "$root" /usr/sbin/update-ca-certificates >/dev/null 2>&1 || true
  fi
fi
# debootstrap writes no /etc/hosts; every installed Debian system has one naming localhost.
if [[ ! -s "$root/etc/hosts" ]]; then
  printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
fi
if [[ -n "$ccache_dir" ]]; then bind "$ccache_dir" "$root/root/.cache/ccache"; fi

in_root() {
  chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 CI=true TFMODEL_DEMO_EXIT=1 TFMODEL_DEMO_REST_PORT=18601 TFMODEL_DEMO_GRPC_PORT=18600 \
    ${NODE_EXTRA_CA_CERTS:+NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt} \
    bash -c "cd /work/main && $1"
}

status=0
t=$(date +%s)
if in_root "make demo" >"$root.demo.log" 2>&1; then r=pass; else r=FAIL; status=1; fi
demo_s=$(( $(date +%s) - t ))
echo "== make demo: $r in ${demo_s} s (log $root.demo.log)"
tail -8 "$root.demo.log"
if [[ $status -eq 0 && $demo_only -eq 0 ]]; then
  t=$(date +%s)
  if in_root "make test" >"$root.test.log" 2>&1; then r=pass; else r=FAIL; status=1; fi
  test_s=$(( $(date +%s) - t ))
  echo "== make test: $r in ${test_s} s (log $root.test.log)"
  grep -E "tests passed|tests failed|Total Test time" "$root.test.log" || tail -20 "$root.test.log"
fi
exit $status
