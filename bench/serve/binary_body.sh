#!/usr/bin/env bash
# JSON vs .npy request bodies for an image-sized tensor (not a test): one 224x224x3 float
# image sent as a JSON "instances" body and as an application/x-npy body (answer as JSON, and
# as .npy with Accept: application/x-npy) to `tfmodel serve` on
#   BENCH_MODEL=mobilenet (default): the wild MobileNetV1 0.25/224 float TFLite model
#                                    (input [1,224,224,3], answer 1001 floats)
#   BENCH_MODEL=regression:          tf2onnx's y = W*x + b SavedModel (any shape), so the
#                                    answer is image-sized too and the run is all transport
# Alternating rounds; reports requests/s and server CPU per request (user+system time of the
# server process), medians over the rounds. Prints a Markdown table. See bench/README.md.
#   [BENCH_MODEL=...] bench/serve/binary_body.sh [build_dir] [seconds_per_point] [rounds] [connections]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:-build}" && pwd)"
secs="${2:-10}"
rounds="${3:-3}"
conns="${4:-2}"
testdata="${TFMODEL_TESTDATA:-$here/../../../shared/testdata}"
bench_model="${BENCH_MODEL:-mobilenet}"
case "$bench_model" in
  mobilenet)
    src="$testdata/wild/mobilenet-v1-025-float-metadata/mobilenet_v1_0.25_224_1_metadata_1.tflite"
    link=model.tflite flags=--prefer_tflite_model ;;
  regression)
    src="$testdata/tf2onnx/regression/saved_model" link=. flags="" ;;
  *) echo "binary_body.sh: BENCH_MODEL is mobilenet or regression"; exit 1 ;;
esac
command -v wrk >/dev/null || { echo "binary_body.sh: wrk missing (scripts/setup.sh --bench)"; exit 1; }
[[ -e "$src" ]] || { echo "binary_body.sh: no model at $src (set TFMODEL_TESTDATA)"; exit 1; }

tmp="$(mktemp -d)"
srv=""
cleanup() {
  [[ -n "$srv" ]] && kill "$srv" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# The model base path: a version folder (or the file in it) linking to the testdata.
mkdir -p "$tmp/model"
if [[ "$link" == . ]]; then ln -s "$src" "$tmp/model/1"; else mkdir "$tmp/model/1" && ln -s "$src" "$tmp/model/1/$link"; fi
# The same pseudo-random image as JSON (9 significant digits, exact for float32) and .npy.
python3 - "$tmp" <<'PY'
import random, struct, sys
random.seed(7)
vals = [struct.unpack('<f', struct.pack('<f', random.uniform(-1, 1)))[0] for _ in range(224 * 224 * 3)]
rows = []
for h in range(224):
    px = ['[%s]' % ','.join('%.9g' % v for v in vals[(h * 224 + w) * 3:(h * 224 + w) * 3 + 3])
          for w in range(224)]
    rows.append('[' + ','.join(px) + ']')
open(sys.argv[1] + '/image.json', 'w').write('{"instances": [[' + ','.join(rows) + ']]}')
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 224, 224, 3), }"
header += ' ' * ((64 - (10 + len(header) + 1) % 64) % 64) + '\n'
with open(sys.argv[1] + '/image.npy', 'wb') as f:
    f.write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(header)) + header.encode())
    f.write(struct.pack('<%df' % len(vals), *vals))
PY

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
gport="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$build/tfmodel" serve --model_name=mnet --model_base_path="$tmp/model" $flags \
  --port="$gport" --rest_api_port="$port" ${TFMODEL_SERVE_FLAGS:-} >"$tmp/serve.log" 2>&1 &
srv=$!
for _ in $(seq 1 300); do
  curl -s "http://127.0.0.1:$port/v1/models/mnet" | grep -q AVAILABLE && break
  sleep 0.1
done
url="http://127.0.0.1:$port/v1/models/mnet:predict"
# Both encodings must give the same answer before anything is timed.
curl -s -o "$tmp/a.json" --data-binary @"$tmp/image.json" "$url"
curl -s -o "$tmp/b.json" --data-binary @"$tmp/image.npy" -H 'Content-Type: application/x-npy' "$url"
cmp -s "$tmp/a.json" "$tmp/b.json" || { echo "binary_body.sh: JSON and npy answers differ"; head -c 300 "$tmp/a.json" "$tmp/b.json"; exit 1; }
hz="$(getconf CLK_TCK)"
ticks() { awk '{print $14 + $15}' "/proc/$srv/stat"; }

declare -A rps cpu errs
modes=(json npy npy_npy)
run() {  # mode round
  local file ctype accept
  case "$1" in
    json) file="$tmp/image.json" ctype=application/json accept="" ;;
    npy) file="$tmp/image.npy" ctype=application/x-npy accept="" ;;
    npy_npy) file="$tmp/image.npy" ctype=application/x-npy accept=application/x-npy ;;
  esac
  local b a out line
  b="$(ticks)"
  out="$(BODY_FILE="$file" CONTENT_TYPE="$ctype" ACCEPT="$accept" \
    wrk -t1 -c"$conns" -d"${secs}s" --timeout 10s -s "$here/post_file.lua" "$url" 2>&1)"
  a="$(ticks)"
  line="$(echo "$out" | grep '^RESULT')" || { echo "$out"; exit 1; }
  eval "$(echo "$line" | sed 's/^RESULT //')"
  errs[$1]=$(( ${errs[$1]:-0} + errors ))
  [[ "$errors" == 0 ]] || echo "$1 round $2: $(echo "$out" | grep '^ERRORS')" >&2
  rps[$1,$2]="$(awk -v r="$requests" -v d="$duration_us" 'BEGIN { printf "%.1f", r / (d / 1e6) }')"
  cpu[$1,$2]="$(awk -v a="$b" -v b="$a" -v r="$requests" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) * 1e3 / hz / r }')"
}
load_before="$(uptime | sed 's/.*load average: //')"
for r in $(seq 1 "$rounds"); do
  for m in "${modes[@]}"; do run "$m" "$r"; done
done
median() { tr ' ' '\n' | sort -g | awk '{v[NR]=$1} END { print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2 }'; }
echo "model $bench_model; JSON body $(stat -c %s "$tmp/image.json") bytes, npy body $(stat -c %s "$tmp/image.npy") bytes;" \
  "$conns connections, $secs s per point, $rounds alternating rounds; load average before: $load_before"
echo
echo "| request body -> answer | req/s per round | median req/s | server CPU ms/req (median) | errors |"
echo "|---|---|---|---|---|"
for m in "${modes[@]}"; do
  rs="" cs=""
  for r in $(seq 1 "$rounds"); do rs+="${rps[$m,$r]} "; cs+="${cpu[$m,$r]} "; done
  case "$m" in
    json) name="JSON -> JSON" ;;
    npy) name="npy -> JSON" ;;
    npy_npy) name="npy -> npy" ;;
  esac
  echo "| $name | ${rs% } | $(echo "${rs% }" | median) | $(echo "${cs% }" | median) | ${errs[$m]:-0} |"
done
