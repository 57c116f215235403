#!/usr/bin/env bash
# `make bench`: runtime latency vs OpenCV DNN (same process), 1 and 2 threads.
set -euo pipefail
build="${1:-build}"
testdata="${TFMODEL_TESTDATA:-../shared/testdata}"
for t in 1 2; do
  "$build/bench/runtime_bench" --testdata "$testdata" --threads "$t"
  echo
done
