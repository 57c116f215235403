#!/usr/bin/env bash
# Cost of --auth_token_file on REST predict (not a test): two `tfmodel serve` on
# half_plus_two_cpu, one without auth and one with a token file of TOKENS tokens (the
# client presents the last one, so every configured digest is compared), loaded in
# alternating wrk rounds at 16 connections. Prints each round and the medians of
# requests/s and server CPU per request. See bench/README.md ("Auth on vs off").
#   bench/serve/auth.sh [build_dir] [seconds_per_round] [rounds] [tokens]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:-build}" && pwd)"
secs="${2:-5}"
rounds="${3:-5}"
ntokens="${4:-10}"
testdata="${TFMODEL_TESTDATA:-$here/../../../shared/testdata}"
model="$testdata/tf_serving/saved_model_half_plus_two_cpu"
body='{"instances": [1.0, 2.0, 5.0]}'
command -v wrk >/dev/null || { echo "auth.sh: wrk missing (scripts/setup.sh --bench)"; exit 1; }
[[ -d "$model" ]] || { echo "auth.sh: no test model at $model (set TFMODEL_TESTDATA)"; exit 1; }

tmp="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

for i in $(seq 1 "$ntokens"); do printf 'bench-token-%04d-%s\n' "$i" "$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"; done > "$tmp/tokens.txt"
token="$(tail -n 1 "$tmp/tokens.txt")"

start() {  # name extra_flags... ; sets port_<name> and pid_<name>
  local name="$1"; shift
  local rest grpc
  rest="$(free_port)"; grpc="$(free_port)"
  "$build/tfmodel" serve --model_name=half_plus_two --model_base_path="$model" \
    --port="$grpc" --rest_api_port="$rest" ${TFMODEL_SERVE_FLAGS:-} "$@" >"$tmp/$name.log" 2>&1 &
  pids+=($!)
  eval "port_$name=$rest pid_$name=$!"
  for _ in $(seq 1 200); do
    curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$rest/healthz" | grep -q 200 && return 0
    sleep 0.1
  done
  echo "auth.sh: server $name never answered"; cat "$tmp/$name.log"; exit 1
}
start off
start on --auth_token_file="$tmp/tokens.txt"

url_off="http://127.0.0.1:$port_off/v1/models/half_plus_two:predict"
url_on="http://127.0.0.1:$port_on/v1/models/half_plus_two:predict"
echo "off: $(curl -s -X POST -d "$body" "$url_off" | tr -d '\n ')"
echo "on:  $(curl -s -X POST -H "Authorization: Bearer $token" -d "$body" "$url_on" | tr -d '\n ')"
echo "on, no token: HTTP $(curl -s -o /dev/null -w '%{http_code}' -X POST -d "$body" "$url_on")"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz="$(getconf CLK_TCK)"
run() {  # url pid auth_header -> "rps cpu_us errors"
  local before after out line
  before="$(cpu_ticks "$2")"
  out="$(BODY="$body" AUTH="$3" wrk -t2 -c16 -d"${secs}s" -s "$here/post.lua" "$1" 2>&1)"
  after="$(cpu_ticks "$2")"
  line="$(echo "$out" | grep '^RESULT')" || { echo "$out" >&2; exit 1; }
  eval "$(echo "$line" | sed 's/^RESULT //')"
  awk -v r="$requests" -v d="$duration_us" -v a="$before" -v b="$after" -v hz="$hz" -v e="$errors" \
    'BEGIN { printf "%.0f %.1f %d", r / (d / 1e6), (b - a) * 1e6 / hz / r, e }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "load before: $(uptime | sed 's/.*load average: //')"
off_rps=(); on_rps=(); off_cpu=(); on_cpu=(); ratios=()
for ((r = 1; r <= rounds; ++r)); do
  read -r a_rps a_cpu a_err <<<"$(run "$url_off" "$pid_off" "")"
  read -r b_rps b_cpu b_err <<<"$(run "$url_on" "$pid_on" "Bearer $token")"
  echo "round $r: off $a_rps req/s ($a_cpu µs CPU/req, $a_err errors), on $b_rps req/s ($b_cpu µs CPU/req, $b_err errors)"
  off_rps+=("$a_rps"); on_rps+=("$b_rps"); off_cpu+=("$a_cpu"); on_cpu+=("$b_cpu")
  ratios+=("$(awk -v a="$b_rps" -v b="$a_rps" 'BEGIN { printf "%.3f", a / b }')")
done
echo "load after: $(uptime | sed 's/.*load average: //')"
echo
echo "| auth | requests/s (median of $rounds) | server CPU / request (median) |"
echo "|---|---|---|"
echo "| off | $(printf '%s\n' "${off_rps[@]}" | median) | $(printf '%s\n' "${off_cpu[@]}" | median) µs |"
echo "| bearer token ($ntokens configured) | $(printf '%s\n' "${on_rps[@]}" | median) | $(printf '%s\n' "${on_cpu[@]}" | median) µs |"
echo
echo "on / off requests/s per round: ${ratios[*]} (median $(printf '%s\n' "${ratios[@]}" | median))"
