#!/usr/bin/env bash
# Builds and runs tfmodel's libFuzzer targets (src/format/checkpoint_fuzz.cc) with
# clang++ -fsanitize=fuzzer,address,undefined. Not part of CI: run it by hand, e.g.
#   scripts/fuzz.sh            # each target for 60 s
#   scripts/fuzz.sh 600        # each target for 10 min
# Needs clang (apt-get install -y clang) and a configured build/ (for the generated protos:
# the script runs `ninja -C build tfmodel_proto`). Seeds come from ../shared/testdata when
# present (or $TFMODEL_TESTDATA). Crashes are left in build/fuzz/<target>/ as crash-*.
set -euo pipefail

SECONDS_PER_TARGET="${1:-60}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$ROOT/build"
OUT="$BUILD/fuzz"
TESTDATA="${TFMODEL_TESTDATA:-$ROOT/../shared/testdata}"
CXX="${FUZZ_CXX:-clang++}"

if ! command -v "$CXX" >/dev/null; then
  echo "fuzz.sh: $CXX not found; install it with: apt-get install -y clang" >&2
  exit 1
fi
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -C "$BUILD" -j2 tfmodel_proto

mkdir -p "$OUT/bin"
SRCS=(
  "$ROOT/src/format/checkpoint.cc"
  "$ROOT/src/format/tensor_slice.cc"
  "$ROOT/src/format/sstable.cc"
  "$ROOT/src/format/tensor_proto.cc"
  "$ROOT/src/format/proto_io.cc"
  "$ROOT"/src/core/*.cc
)
# Unit tests are not part of the fuzzers.
FILTERED=()
for s in "${SRCS[@]}"; do
  case "$s" in *_test.cc) ;; *) FILTERED+=("$s") ;; esac
done

FLAGS=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=undefined
       -I"$ROOT/src" -isystem "$BUILD/gen")
LIBS=("$BUILD/libtfmodel_proto.a" -lleveldb -lsnappy
      $(pkg-config --libs protobuf absl_status absl_statusor absl_strings absl_str_format absl_synchronization)
      -lpthread)

build() {  # name, extra flags...
  local name="$1"; shift
  echo "fuzz.sh: building $name"
  "$CXX" "${FLAGS[@]}" "$@" "$ROOT/src/format/checkpoint_fuzz.cc" "${FILTERED[@]}" "${LIBS[@]}" \
    -o "$OUT/bin/$name"
}
build checkpoint_fuzz
build tensor_proto_fuzz -DTFM_FUZZ_TENSOR_PROTO

# Seeds: TF-written indexes (mode 0), data shards (mode 1) and V1 files (mode 3).
SEEDS="$OUT/checkpoint_fuzz/seeds"
mkdir -p "$SEEDS" "$OUT/checkpoint_fuzz/corpus" "$OUT/tensor_proto_fuzz/corpus"
if [ -d "$TESTDATA" ]; then
  n=0
  while IFS= read -r f; do
    n=$((n + 1))
    { printf '\x00'; cat "$f"; } >"$SEEDS/index$n"
    d="${f%.index}.data-00000-of-00001"
    [ -f "$d" ] && { printf '\x01'; cat "$d"; } >"$SEEDS/data$n"
  done < <(find "$TESTDATA" -name '*.index' | sort)
  for f in "$TESTDATA"/tf_serving/session_bundle_half_plus_two/00000123/export-00000-of-00001 \
           "$TESTDATA"/tf_serving/bad_half_plus_two/00000123/export; do
    [ -f "$f" ] && { printf '\x03'; cat "$f"; } >"$SEEDS/v1_$(basename "$(dirname "$(dirname "$f")")")"
  done
fi

run() {  # name, corpus dirs...
  local name="$1"; shift
  echo "fuzz.sh: running $name for ${SECONDS_PER_TARGET}s"
  (cd "$OUT/$name" && "$OUT/bin/$name" -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 \
      -rss_limit_mb=4096 -print_final_stats=1 "$@")
}
run checkpoint_fuzz "$OUT/checkpoint_fuzz/corpus" "$SEEDS"
run tensor_proto_fuzz "$OUT/tensor_proto_fuzz/corpus"
echo "fuzz.sh: done; no crashes"
