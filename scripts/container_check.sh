#!/usr/bin/env bash
# Builds the container image (deploy/container/Containerfile) with podman and checks that it
# serves half_plus_two the way tensorflow/serving's image does (MODEL_NAME, /models, 8501).
#
#   scripts/container_check.sh [--prebuilt BINARY] [--image NAME]
#
# No image registry is reachable here, so the base image debian:bookworm-slim is made with
# debootstrap (minbase) and imported when podman does not have it. --prebuilt skips the build
# stage and puts BINARY (stripped) into the runtime stage instead: same runtime image, minutes
# instead of a cold compile. Prints the image size.
set -euo pipefail
cd "$(dirname "$0")/.."
prebuilt=""
image=tfmodel:check
while [[ $# -gt 0 ]]; do
  case "$1" in
    --prebuilt) prebuilt=$(realpath "$2"); shift 2 ;;
    --image) image=$2; shift 2 ;;
    *) echo "usage: $0 [--prebuilt BINARY] [--image NAME]"; exit 2 ;;
  esac
done
testdata=${TFMODEL_TESTDATA:-../shared/testdata}
model=$(realpath "$testdata/tf_serving/saved_model_half_plus_two_cpu")

base=docker.io/library/debian:bookworm-slim
if ! podman image exists "$base"; then
  root=$(mktemp -d /var/tmp/tfmodel-base.XXXXXX)
  echo "== debootstrap bookworm (minbase) for $base"
  debootstrap --variant=minbase bookworm "$root" >/dev/null
  # Trimmed like Debian's -slim images: no apt caches, documentation or translations.
  rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
    "$root"/usr/share/man/* "$root"/usr/share/locale/* "$root"/usr/share/info/*
  tar -C "$root" -c . | podman import - "$base" >/dev/null
  rm -rf "$root"
fi

start=$(date +%s)
if [[ -n "$prebuilt" ]]; then
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' EXIT
  mkdir -p "$ctx/deploy/container"
  strip -o "$ctx/tfmodel" "$prebuilt"
  cp deploy/container/entrypoint.sh "$ctx/deploy/container/"
  # The runtime stage only, its binary from the context.
  sed -n '/^# Runtime stage/,$p' deploy/container/Containerfile |
    sed 's|^COPY --from=build /build/tfmodel |COPY tfmodel |' >"$ctx/Containerfile"
  podman build -q --isolation=chroot -f "$ctx/Containerfile" -t "$image" "$ctx"
else
  podman build -q --isolation=chroot -f deploy/container/Containerfile -t "$image" .
fi
echo "== built $image in $(($(date +%s) - start)) s; size: $(podman image inspect "$image" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}')"

port=$((20000 + RANDOM % 20000))
name=tfmodel-check-$$
rootfs=""
cleanup() {
  podman rm -f "$name" >/dev/null 2>&1 || true
  if [[ -n "$rootfs" ]]; then
    umount "$rootfs/models/half_plus_two" "$rootfs/proc" 2>/dev/null || true
    if ! mountpoint -q "$rootfs/proc" && ! mountpoint -q "$rootfs/models/half_plus_two"; then
      rm -rf "$rootfs"
    fi
  fi
  rm -rf "${ctx:-/nonexistent}"
}
trap cleanup EXIT
args=(--rest_api_port="$port" --port=$((port + 1)))
if podman run -d --rm --cgroups=disabled --name "$name" --network host \
    -v "$model:/models/half_plus_two:ro" -e MODEL_NAME=half_plus_two "$image" "${args[@]}" \
    >/dev/null 2>/tmp/container_check.$$.err; then
  how="podman run"
  stop() { podman stop -t 10 "$name" >/dev/null; }
  uid_of() { podman exec "$name" id -u; }
else
  # Some sandboxes forbid what the OCI runtime needs (setrlimit, cgroups). Then run the
  # image's own file system in a chroot, with the entrypoint, user and environment the image
  # declares.
  echo "== podman run failed here ($(tail -1 /tmp/container_check.$$.err)); running the image's root file system in a chroot instead"
  how="chroot of the image's file system"
  rootfs=$(mktemp -d /var/tmp/tfmodel-image.XXXXXX)
  chmod 755 "$rootfs"
  cid=$(podman create "$image")
  podman export "$cid" | tar -x -C "$rootfs"
  podman rm "$cid" >/dev/null
  mkdir -p "$rootfs/models/half_plus_two"
  mount --bind "$model" "$rootfs/models/half_plus_two"
  mount -o remount,ro,bind "$rootfs/models/half_plus_two"
  mount -t proc proc "$rootfs/proc"
  chroot_bin=$(command -v chroot)
  user=$(podman image inspect "$image" --format '{{.Config.User}}')
  entry=$(podman image inspect "$image" --format '{{index .Config.Entrypoint 0}}')
  env -i PATH=/usr/local/bin:/usr/bin:/bin MODEL_NAME=half_plus_two MODEL_BASE_PATH=/models \
    "$chroot_bin" --userspec="$user" "$rootfs" "$entry" "${args[@]}" >/tmp/container_check.$$.log 2>&1 &
  server=$!
  stop() { kill -TERM "$server"; wait "$server"; }
  uid_of() { awk '/^Uid:/ {print $2}' "/proc/$server/status"; }
fi
rm -f /tmp/container_check.$$.err
for _ in $(seq 100); do
  if curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; then break; fi
  sleep 0.2
done
got=$(curl -sS -d '{"instances": [1.0, 2.0, 5.0]}' \
  "http://127.0.0.1:$port/v1/models/half_plus_two:predict" || true)
echo "== predict ($how): $got"
if [[ "$(tr -d ' \n' <<<"$got")" != '{"predictions":[2.5,3.0,4.5]}' ]]; then
  echo "FAIL: unexpected answer"; cat /tmp/container_check.$$.log 2>/dev/null; exit 1
fi
uid=$(uid_of)
[[ "$uid" == 10001 ]] || { echo "FAIL: runs as uid $uid, want 10001"; exit 1; }
stop
rm -f /tmp/container_check.$$.log
echo "== ok: served as uid $uid ($how), stopped cleanly"
