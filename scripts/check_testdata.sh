#!/usr/bin/env bash
# The conformance tests need TensorFlow-made models in $TFMODEL_TESTDATA.
# In CI (CI=true) a missing folder is a failure, never a silent skip.
set -u
dir="${TFMODEL_TESTDATA:-../shared/testdata}"
if [[ -f "$dir/README.md" ]]; then
  exit 0
fi
if [[ "${CI:-}" == "true" ]]; then
  echo "check_testdata: $dir is missing and CI=true: the conformance tests cannot run" >&2
  exit 1
fi
echo "check_testdata: warning: $dir is missing; conformance tests will be skipped" >&2
exit 0
