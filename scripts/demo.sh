#!/usr/bin/env bash
# `make demo`: writes the project's own example model, describes it, serves it over TF
# Serving's REST and gRPC APIs, and shows a working curl request.
# TFMODEL_DEMO_EXIT=1 stops the server after the check instead of keeping it running.
set -euo pipefail
build="${1:-build}"
bin="$build/tfmodel"
out="${TFMODEL_DEMO_DIR:-$build/demo}"
rest_port="${TFMODEL_DEMO_REST_PORT:-8501}"
grpc_port="${TFMODEL_DEMO_GRPC_PORT:-8500}"

"$bin" make-example "$out" --overwrite
echo
echo "== tfmodel inspect $out/half_plus_two/1"
"$bin" inspect "$out/half_plus_two/1"

echo "== tfmodel serve (REST :$rest_port, gRPC :$grpc_port)"
"$bin" serve --model_name=half_plus_two --model_base_path="$(realpath "$out/half_plus_two")" \
  --rest_api_port="$rest_port" --port="$grpc_port" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if curl -sf "http://localhost:$rest_port/v1/models/half_plus_two" 2>/dev/null | grep -q AVAILABLE; then
    break
  fi
  sleep 0.1
done
curl_line="curl -s -d '{\"instances\": [[1.0], [2.0], [5.0]]}' http://localhost:$rest_port/v1/models/half_plus_two:predict"
echo
echo "\$ $curl_line"
eval "$curl_line"
echo
if [[ "${TFMODEL_DEMO_EXIT:-0}" == "1" ]]; then
  exit 0
fi
echo "The server keeps running; try the curl line above. Ctrl-C stops it."
wait $server
