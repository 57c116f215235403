#!/bin/sh
# The image's entrypoint, with tensorflow/serving's conventions: MODEL_NAME (default
# "model") served from MODEL_BASE_PATH/MODEL_NAME (default /models/model), gRPC on 8500,
# REST on 8501. Extra arguments go to `tfmodel serve` (e.g. --model_config_file=... which
# then takes precedence over MODEL_NAME).
set -e
MODEL_NAME=${MODEL_NAME:-model}
MODEL_BASE_PATH=${MODEL_BASE_PATH:-/models}
for a in "$@"; do
  case "$a" in
    --model_config_file=*) exec /usr/local/bin/tfmodel serve --port=8500 --rest_api_port=8501 "$@" ;;
  esac
done
exec /usr/local/bin/tfmodel serve --port=8500 --rest_api_port=8501 \
  --model_name="${MODEL_NAME}" --model_base_path="${MODEL_BASE_PATH}/${MODEL_NAME}" "$@"
