#!/usr/bin/env bash
# `make bench`: runtime latency vs OpenCV DNN (same process), 1 and 2 threads.
set -euo pipefail
build="${1:-build}"
testdata="${TFMODEL_TESTDATA:-../shared/testdata}"
for t in 1 2; do
  "$build/bench/runtime_bench" --testdata "$testdata" --threads "$t"
  echo
done
# Independent reader: OpenCV DNN loads graphs written by `tfmodel freeze` (see bench/README.md).
if [[ -x "$build/bench/opencv_check" ]]; then
  "$build/bench/opencv_check" --testdata "$testdata" --tfmodel "$build/tfmodel"
fi
# Serving: REST (wrk) and gRPC (grpc_load) on half_plus_two vs a static nginx (bench/serve/).
echo
bash "$(dirname "$0")/serve/run.sh" "$build"
