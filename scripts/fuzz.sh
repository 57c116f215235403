#!/usr/bin/env bash
# Builds and runs tfmodel's libFuzzer targets (src/**/*_fuzz.cc) with ASan + UBSan in their
# own build folder, build-fuzz/ (CMake -DTFMODEL_FUZZ=ON with clang; the normal and ASan
# builds are untouched). Not part of CI or `make test`: run it by hand, e.g.
#   scripts/fuzz.sh                     # every target for 60 s
#   scripts/fuzz.sh 1800                # every target for 30 min (the campaign's bar)
#   scripts/fuzz.sh 300 npy_fuzz graph_fuzz
#   FUZZ_BUILD_ONLY=1 scripts/fuzz.sh   # build the targets and seed corpora, run nothing
#   FUZZ_NO_BUILD=1 scripts/fuzz.sh 60 npy_fuzz   # run what is built, build nothing
# Needs clang (apt-get install -y clang; not installed by scripts/setup.sh). Seeds: model
# files from ../shared/testdata (or $TFMODEL_TESTDATA), hand-made ones from
# scripts/fuzz_seeds.py, and the reproducers of fixed findings (tests/fuzz_seeds/<target>/).
# Corpora grow in build-fuzz/fuzz/<target>/corpus; a crash leaves crash-* / oom-* /
# timeout-* in build-fuzz/fuzz/<target>/ and makes the script exit non-zero.
# Each run's last lines (execs, cov, ft) go to build-fuzz/fuzz/<target>/run.log.
set -euo pipefail

SECONDS_PER_TARGET="${1:-60}"
shift || true
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
OUT="$BUILD/fuzz"
TESTDATA="${TFMODEL_TESTDATA:-$ROOT/../shared/testdata}"
JOBS="${FUZZ_JOBS:-2}"
# Fuzz targets bound tensors to 64 MB (src/core/fuzz_util.h): one allocation above
# MALLOC_LIMIT_MB or a process above RSS_LIMIT_MB is an unbounded allocation, i.e. a finding.
MALLOC_LIMIT_MB="${FUZZ_MALLOC_LIMIT_MB:-512}"
RSS_LIMIT_MB="${FUZZ_RSS_LIMIT_MB:-2048}"

if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ not found; install it with: apt-get install -y clang" >&2
  exit 1
fi
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$ROOT}"
export CCACHE_NOHASHDIR=1
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [ ! -f "$BUILD/build.ninja" ] && [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Fuzz -DTFMODEL_FUZZ=ON \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ "${launcher[@]}" \
    -DTFMODEL_BUILD_TESTS=OFF -DTFMODEL_BUILD_BENCH=OFF >/dev/null
fi
[ "${FUZZ_NO_BUILD:-0}" = 1 ] || cmake --build "$BUILD" -j "$JOBS" --target fuzzers

TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  mapfile -t TARGETS < <(find "$ROOT/src" -name '*_fuzz.cc' -printf '%f\n' | sed 's/\.cc$//' | sort)
fi

# ---- seed corpora ----
SEEDS="$OUT/seeds"
rm -rf "$SEEDS"
mkdir -p "$SEEDS"
python3_bin=/usr/bin/python3
[ -x "$python3_bin" ] || python3_bin=python3
"$python3_bin" "$ROOT/scripts/fuzz_seeds.py" "$SEEDS"
copy_seeds() {  # target, max bytes, find expression...
  local target="$1" max="$2"
  shift 2
  mkdir -p "$SEEDS/$target"
  [ -d "$TESTDATA" ] || return 0
  find "$TESTDATA" "$@" -size -"$max"c -print0 | sort -z | while IFS= read -r -d '' f; do
    cp "$f" "$SEEDS/$target/$(echo "${f#"$TESTDATA"/}" | tr '/' '_')"
  done
}
prefixed_seeds() {  # target, prefix byte (octal escape), find expression...
  local target="$1" prefix="$2"
  shift 2
  mkdir -p "$SEEDS/$target"
  [ -d "$TESTDATA" ] || return 0
  find "$TESTDATA" "$@" -size -262144c -print0 | sort -z | while IFS= read -r -d '' f; do
    { printf "$prefix"; cat "$f"; } >"$SEEDS/$target/td_$(echo "${f#"$TESTDATA"/}" | tr '/' '_')"
  done
}
copy_seeds graph_fuzz 1048576 -name '*.pb' ! -name saved_model.pb ! -name fingerprint.pb \
  ! -name saved_model_config.pb ! -name keras_metadata.pb
copy_seeds saved_model_fuzz 1048576 -name saved_model.pb
copy_seeds model_fuzz 1048576 -name '*.tflite'
copy_seeds npy_fuzz 262144 -name '*.npy'
prefixed_seeds json_tensor_fuzz '\000' -path '*requests*' -name '*.json'
prefixed_seeds config_fuzz '\000' -name '*model_config*.txt'
prefixed_seeds config_fuzz '\001' -name 'batching_config.txt'
prefixed_seeds config_fuzz '\002' -name 'monitoring_config.txt'
prefixed_seeds config_fuzz '\003' -name 'tf_serving_warmup_requests'
# Checkpoints: TF-written indexes (mode 0), data shards (mode 1) and V1 files (mode 3).
mkdir -p "$SEEDS/checkpoint_fuzz"
if [ -d "$TESTDATA" ]; then
  n=0
  while IFS= read -r f; do
    n=$((n + 1))
    { printf '\x00'; cat "$f"; } >"$SEEDS/checkpoint_fuzz/index$n"
    d="${f%.index}.data-00000-of-00001"
    [ -f "$d" ] && [ "$(stat -c %s "$d")" -lt 262144 ] &&
      { printf '\x01'; cat "$d"; } >"$SEEDS/checkpoint_fuzz/data$n"
  done < <(find "$TESTDATA" -name '*.index' | sort)
  for f in "$TESTDATA"/tf_serving/session_bundle_half_plus_two/00000123/export-00000-of-00001 \
           "$TESTDATA"/tf_serving/bad_half_plus_two/00000123/export; do
    [ -f "$f" ] && { printf '\x03'; cat "$f"; } >"$SEEDS/checkpoint_fuzz/v1_$(basename "$(dirname "$(dirname "$f")")")"
  done
fi
# Reproducers of fixed findings stay in the corpus for good.
for d in "$ROOT"/tests/fuzz_seeds/*/; do
  [ -d "$d" ] || continue
  mkdir -p "$SEEDS/$(basename "$d")"
  cp "$d"* "$SEEDS/$(basename "$d")/"
done

[ "${FUZZ_BUILD_ONLY:-0}" = 1 ] && { echo "fuzz.sh: built; seeds in $SEEDS"; exit 0; }

# ---- run ----
max_len() {
  case "$1" in
    graph_fuzz | saved_model_fuzz | model_fuzz | checkpoint_fuzz) echo 1048576 ;;
    *) echo 65536 ;;
  esac
}
failed=()
for t in "${TARGETS[@]}"; do
  dir="$OUT/$t"
  mkdir -p "$dir/corpus" "$SEEDS/$t"
  echo "fuzz.sh: running $t for ${SECONDS_PER_TARGET}s"
  if ! (cd "$dir" && ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}" \
        UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
        "$BUILD/$t" -max_total_time="$SECONDS_PER_TARGET" -max_len="$(max_len "$t")" \
        -timeout=25 -rss_limit_mb="$RSS_LIMIT_MB" -malloc_limit_mb="$MALLOC_LIMIT_MB" \
        -print_final_stats=1 "$dir/corpus" "$SEEDS/$t" >"$dir/run.log" 2>&1); then
    failed+=("$t")
    echo "fuzz.sh: $t FAILED: see $dir/run.log and $dir/crash-* / oom-* / timeout-*" >&2
  fi
  grep -E '^#[0-9]+.*(DONE|INITED)|stat::number_of_executed_units|stat::average_exec_per_sec' \
    "$dir/run.log" | tail -4 || true
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: findings in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: done; no findings"
