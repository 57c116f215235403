#!/bin/bash
# Alternating rounds for the load-time fusion work (bench/README.md, "Conv + bias +
# activation fusion"): a build without it (BEFORE, e.g. a copy of an older
# build/bench/runtime_bench), this build with TFMODEL_GRAPH_OPTIMIZE=0, this build as is,
# and ONNX Runtime (ORT_DIR: a writable copy of ../shared/bench/ort after `npm install`
# and ./convert_all.sh). mobilenet_v1 and resnet_blocks, batch 1, one thread.
#   BEFORE=/tmp/runtime_bench_old ORT_DIR=/tmp/ort ROUNDS=5 bench/fusion_rounds.sh > rounds.log
set -u
ROUNDS=${ROUNDS:-5}
BUILD=${BUILD:-build}
TD=${TFMODEL_TESTDATA:-../shared/testdata}
run() {  # label env-value binary model
  echo "r$r $4 $1 $(TFMODEL_GRAPH_OPTIMIZE=$2 $3 --testdata "$TD" --threads 1 --iters 500 \
    --filter "$4" | grep "| $4 ")"
}
for r in $(seq 1 "$ROUNDS"); do
  for m in mobilenet_v1 resnet_blocks; do
    [ -n "${BEFORE:-}" ] && run main 1 "$BEFORE" $m
    run off 0 "$BUILD/bench/runtime_bench" $m
    run on 1 "$BUILD/bench/runtime_bench" $m
  done
  if [ -n "${ORT_DIR:-}" ]; then
    (cd "$ORT_DIR" && node bench.js bench --threads 1 --models mobilenet_v1,resnet_blocks |
      grep "^| [mr]" | sed "s/^/r$r ort /")
  fi
  echo "r$r load $(uptime)"
done
