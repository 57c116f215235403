#!/usr/bin/env bash
# REST and gRPC serving benchmark (not a test): `tfmodel serve` on half_plus_two_cpu vs a
# static nginx answer of the same JSON, loopback, wrk (REST) and bench/serve/grpc_load (gRPC)
# at 1, 16 and 64 connections. Prints a Markdown table. See bench/README.md.
# The bar check (REST vs nginx at 16 connections) runs ROUNDS more alternating rounds of
# both and reports the medians and the median of the per-round ratios, since a shared
# machine's throughput drifts between points.
#   bench/serve/run.sh [build_dir] [seconds_per_point] [rounds]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:-build}" && pwd)"
secs="${2:-10}"
rounds="${3:-3}"
testdata="${TFMODEL_TESTDATA:-$here/../../../shared/testdata}"
model="$testdata/tf_serving/saved_model_half_plus_two_cpu"
conns=(1 16 64)
body='{"instances": [1.0, 2.0, 5.0]}'
answer='{
    "predictions": [2.5, 3.0, 4.5
    ]
}'

for tool in wrk nginx; do
  command -v "$tool" >/dev/null || PATH="$PATH:/usr/sbin"
  command -v "$tool" >/dev/null || { echo "run.sh: $tool missing (scripts/setup.sh --bench)"; exit 1; }
done
[[ -d "$model" ]] || { echo "run.sh: no test model at $model (set TFMODEL_TESTDATA)"; exit 1; }

tmp="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_http() {  # url
  for _ in $(seq 1 200); do
    if curl -s -o /dev/null -w '%{http_code}' "$1" | grep -q 200; then return 0; fi
    sleep 0.1
  done
  echo "run.sh: $1 never answered"; exit 1
}

# Static nginx: same JSON for POST, one worker per core, keep-alive, no logging.
ngx_port="$(free_port)"
mkdir -p "$tmp/nginx"
cat > "$tmp/nginx/nginx.conf" <<NGX
worker_processes auto;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$ngx_port;
    location / {
      default_type application/json;
      return 200 '$(printf '%s' "$answer" | tr '\n' ' ' | sed 's/ *$//')';
    }
  }
}
NGX
nginx -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx" >/dev/null 2>&1 &
ngx_pid=$!
pids+=($ngx_pid)

rest_port="$(free_port)"
grpc_port="$(free_port)"
"$build/tfmodel" serve --model_name=half_plus_two --model_base_path="$model" \
  --port="$grpc_port" --rest_api_port="$rest_port" ${TFMODEL_SERVE_FLAGS:-} \
  >"$tmp/serve.log" 2>&1 &
tfm_pid=$!
pids+=($tfm_pid)

# CPU time (clock ticks) used so far by a process and its children (nginx workers).
cpu_ticks() {
  local t=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$t"
}
hz="$(getconf CLK_TCK)"
cpu_per_req() {  # ticks_before ticks_after requests -> µs of server CPU per request
  awk -v a="$1" -v b="$2" -v r="$3" -v hz="$hz" 'BEGIN { printf "%.0f", (b - a) * 1e6 / hz / r }'
}

wait_http "http://127.0.0.1:$ngx_port/"
wait_http "http://127.0.0.1:$rest_port/v1/models/half_plus_two"
url="http://127.0.0.1:$rest_port/v1/models/half_plus_two:predict"
got="$(curl -s -X POST -d "$body" "$url")"
echo "tfmodel answer: $(echo "$got" | tr -d '\n ')"
echo "nginx answer:   $(curl -s -X POST -d "$body" "http://127.0.0.1:$ngx_port/v1/models/half_plus_two:predict" | tr -d '\n ')"

load_before="$(uptime | sed 's/.*load average: //')"
rows=()
run_wrk() {  # name url conns server_pid
  local threads=$(( $3 < 2 ? 1 : 2 ))
  local out before after
  before="$(cpu_ticks "$4")"
  out="$(BODY="$body" wrk -t"$threads" -c"$3" -d"${secs}s" --latency -s "$here/post.lua" "$2" 2>&1)"
  local line
  after="$(cpu_ticks "$4")"
  line="$(echo "$out" | grep '^RESULT')" || { echo "$out"; exit 1; }
  eval "$(echo "$line" | sed 's/^RESULT //')"
  local cpu
  cpu="$(cpu_per_req "$before" "$after" "$requests")"
  local rps
  rps="$(awk -v r="$requests" -v d="$duration_us" 'BEGIN { printf "%.0f", r / (d / 1e6) }')"
  rows+=("| $1 | $3 | $rps | $(awk -v v="$p50_us" 'BEGIN{printf "%.0f", v}') µs | $(awk -v v="$p99_us" 'BEGIN{printf "%.0f", v}') µs | $cpu µs | $errors |")
  eval "rps_${1//[^a-zA-Z0-9]/_}_$3=$rps"
}

for c in "${conns[@]}"; do
  run_wrk "nginx static (REST ceiling)" "http://127.0.0.1:$ngx_port/v1/models/half_plus_two:predict" "$c" "$ngx_pid"
  run_wrk "tfmodel REST predict" "$url" "$c" "$tfm_pid"
  if [[ -x "$build/bench/grpc_load" ]]; then
    before="$(cpu_ticks "$tfm_pid")"
    line="$("$build/bench/grpc_load" --target="127.0.0.1:$grpc_port" --model=half_plus_two \
      --connections="$c" --seconds="$secs")"
    after="$(cpu_ticks "$tfm_pid")"
    eval "$(echo "$line" | sed 's/^RESULT //')"
    rows+=("| tfmodel gRPC predict | $c | $rps | $p50_us µs | $p99_us µs | $(cpu_per_req "$before" "$after" "$requests") µs | $errors |")
  fi
done

echo
echo "Load (uptime) before the run: $load_before"
echo "Load (uptime) after the run: $(uptime | sed 's/.*load average: //')"
echo
echo "| server | connections | requests/s | p50 | p99 | server CPU / request | errors |"
echo "|---|---|---|---|---|---|---|"
for r in "${rows[@]}"; do echo "$r"; done
# Bar check: alternating rounds at 16 connections, medians.
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ngx_list=("${rps_nginx_static__REST_ceiling__16:-0}")
tfm_list=("${rps_tfmodel_REST_predict_16:-0}")
for ((r = 1; r < rounds; ++r)); do
  rows=()
  run_wrk "nginx static (REST ceiling)" "http://127.0.0.1:$ngx_port/v1/models/half_plus_two:predict" 16 "$ngx_pid"
  run_wrk "tfmodel REST predict" "$url" 16 "$tfm_pid"
  ngx_list+=("$rps_nginx_static__REST_ceiling__16")
  tfm_list+=("$rps_tfmodel_REST_predict_16")
done
ratios=()
for i in "${!ngx_list[@]}"; do
  ratios+=("$(awk -v a="${tfm_list[$i]}" -v b="${ngx_list[$i]}" 'BEGIN { printf "%.2f", a / b }')")
done
echo
echo "Bar check, 16 connections, ${#ngx_list[@]} alternating rounds:"
echo "  nginx requests/s:   ${ngx_list[*]} (median $(printf '%s\n' "${ngx_list[@]}" | median))"
echo "  tfmodel requests/s: ${tfm_list[*]} (median $(printf '%s\n' "${tfm_list[@]}" | median))"
echo "  ratio per round:    ${ratios[*]}"
echo "REST / nginx at 16 connections: median $(printf '%s\n' "${ratios[@]}" | median) (bar: >= 0.50)"
