#!/usr/bin/env bash
# `make demo`: writes the project's own example model and runs the main job on it.
set -euo pipefail
build="${1:-build}"
bin="$build/tfmodel"
out="${TFMODEL_DEMO_DIR:-$build/demo}"
"$bin" make-example "$out" --overwrite
echo
echo "== tfmodel inspect $out/half_plus_two/1"
"$bin" inspect "$out/half_plus_two/1"
