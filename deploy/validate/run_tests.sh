#!/usr/bin/env bash
# The deployment manifests' test (a CTest case): installs the pinned validator packages
# (package-lock.json) when missing, validates every manifest under deploy/ against the
# Kubernetes schemas, checks that broken manifests are rejected, then runs the real binary
# with the Deployment's and the KServe runtime's arguments (serve_check.mjs).
#   run_tests.sh TFMODEL_BINARY   (the model comes from $TFMODEL_TESTDATA)
# Exits 77 (CTest's skip) when the testdata is missing, 1 then if CI=true.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
deploy=$(dirname "$here")
binary=$1
testdata=${TFMODEL_TESTDATA:-$deploy/../../shared/testdata}
model=$testdata/tf_serving/saved_model_half_plus_two_cpu
if [[ ! -d "$model" ]]; then
  echo "testdata missing: $model"
  if [[ "${CI:-}" == "true" ]]; then exit 1; fi
  exit 77
fi

if [[ ! -d "$here/node_modules/kubernetes-models" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
fi

node "$here/validate.mjs" "$deploy"

# Broken copies must be rejected, naming what is wrong.
bad=$(mktemp -d)
trap 'rm -rf "$bad"' EXIT
expect_invalid() {  # expect_invalid MESSAGE: validate $bad, want exit 1 and MESSAGE
  local out
  if out=$(node "$here/validate.mjs" "$bad" 2>&1); then
    echo "FAIL: a broken manifest passed validation (wanted: $1)"; exit 1
  fi
  if ! grep -qF -- "$1" <<<"$out"; then
    echo "FAIL: wanted '$1' in:"; echo "$out"; exit 1
  fi
  echo "ok rejected: $1"
  rm -rf "${bad:?}"/*
}
mkdir -p "$bad/k"
sed 's/replicas: 2/replicas: two/' "$deploy/kubernetes/deployment.yaml" >"$bad/k/d.yaml"
expect_invalid "spec/replicas must be integer"
cp "$deploy/kubernetes/configmap.yaml" "$deploy/kubernetes/pvc.yaml" "$bad/"
sed 's/port: http$/port: htttp/' "$deploy/kubernetes/deployment.yaml" >"$bad/d.yaml"
expect_invalid "probe uses port 'htttp', not declared"
sed 's/name: kserve-container/name: server/' "$deploy/kserve/cluster_serving_runtime.yaml" \
  >"$bad/r.yaml"
expect_invalid "KServe runs the container named 'kserve-container'"
cp "$deploy/kserve/cluster_serving_runtime.yaml" "$bad/"
sed 's/runtime: kserve-tfmodel/runtime: kserve-tfmodell/' "$deploy/kserve/inference_service.yaml" \
  >"$bad/i.yaml"
expect_invalid "runtime 'kserve-tfmodell' is not defined"

node "$here/serve_check.mjs" "$deploy" "$binary" "$model"
