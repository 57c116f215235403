#!/usr/bin/env bash
# Installs the Debian packages tfmodel needs to build, test and benchmark.
# Idempotent: does nothing when everything is already installed.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc
  libabsl-dev libleveldb-dev libsnappy-dev libeigen3-dev libdnnl-dev ocl-icd-opencl-dev opencl-headers
  rapidjson-dev libjpeg62-turbo-dev libpng-dev libcurl4-openssl-dev
  libflatbuffers-dev flatbuffers-compiler libfarmhash-dev libre2-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev curl openssl python3
  python3-numpy python3-pytest
)
# Optional, used only by benchmarks (`make bench`).
# libarmnn*: Arm NN's TfLiteParser + CpuRef backend for bench/armnn_tflite_check.
BENCH_PACKAGES=(libopencv-dev wrk nginx-light libarmnntfliteparser-dev libarmnn-cpuref-backend22)

want=("${PACKAGES[@]}")
if [[ "${1:-}" == "--bench" ]]; then want+=("${BENCH_PACKAGES[@]}"); fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
apt_install() {
  echo "setup: installing $*"
  local sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo=sudo; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
if [[ ${#missing[@]} -gt 0 ]]; then apt_install "${missing[@]}"; fi

# Node.js and npm validate the Kubernetes/KServe manifests (deploy/validate). Checked by
# command rather than by package: a machine may have Node.js from elsewhere.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  apt_install nodejs npm
fi
