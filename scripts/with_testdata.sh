#!/usr/bin/env bash
# Runs a command with the testdata folder resolved, for CTest tests that are not GoogleTest
# binaries: with_testdata.sh COMMAND [ARGS...]
# TFMODEL_TESTDATA (else TFMODEL_DEFAULT_TESTDATA) names the folder; it is exported, and an
# argument starting with @TESTDATA@ gets the folder in its place. A missing folder skips the
# test (exit 77), or fails it under CI=true, as tests/test_util.h does.
set -euo pipefail
dir="${TFMODEL_TESTDATA:-${TFMODEL_DEFAULT_TESTDATA:-}}"
if [[ -z "$dir" || ! -d "$dir" ]]; then
  if [[ "${CI:-}" == "true" ]]; then
    echo "testdata folder missing: '${dir}'" >&2
    exit 1
  fi
  echo "testdata folder missing: '${dir}'; skipping" >&2
  exit 77
fi
export TFMODEL_TESTDATA="$dir"
args=()
for a in "$@"; do args+=("${a/#@TESTDATA@/$dir}"); done
exec "${args[@]}"
