#!/usr/bin/env bash
# tfmodel: decode every TensorFlow-made protobuf file in the test corpus with our
# schemas and report any field our .proto files do not know (unknown fields are
# printed by protoc as bare numbers). Usage: proto/validate_testdata.sh [TESTDATA] [BENCH_GRAPHS]
set -u
here="$(cd "$(dirname "$0")" && pwd)"
td="${1:-${TFMODEL_TESTDATA:-$here/../../shared/testdata}}"
bench="${2:-$here/../../shared/bench/graphs}"
P=(--proto_path="$here")
# Extra roots (e.g. tensorflow_serving protos) are on the same proto path.
fail=0; n=0
check() { # type proto file
  local out
  if ! out=$(protoc "${P[@]}" --decode="$1" "$2" < "$3" 2>&1); then
    echo "DECODE FAIL $3 ($1): $out" | head -3; fail=1; return
  fi
  n=$((n+1))
  local bad
  bad=$(printf '%s\n' "$out" | grep -nE '^\s*[0-9]+[:{ ]' | head -5)
  if [ -n "$bad" ]; then echo "UNKNOWN FIELDS in $3 ($1):"; echo "$bad"; fail=1; fi
}
while IFS= read -r f; do check tensorflow.SavedModel tensorflow/core/protobuf/saved_model.proto "$f"; done < <(find "$td" -name saved_model.pb)
while IFS= read -r f; do check tensorflow.MetaGraphDef tensorflow/core/protobuf/meta_graph.proto "$f"; done < <(find "$td" -name '*.meta')
while IFS= read -r f; do check tensorflow.GraphDef tensorflow/core/framework/graph.proto "$f"; done < <(find "$td" -name frozen.pb; find "$bench" -name '*.pb' 2>/dev/null)
while IFS= read -r f; do check tensorflow.FingerprintDef tensorflow/core/protobuf/fingerprint.proto "$f"; done < <(find "$td" -name fingerprint.pb)
if [ -f "$here/tensorflow_serving/servables/tensorflow/saved_model_config.proto" ]; then
  while IFS= read -r f; do check tensorflow.serving.SavedModelConfig tensorflow_serving/servables/tensorflow/saved_model_config.proto "$f"; done < <(find "$td" -name saved_model_config.pb)
else
  echo "note: tensorflow_serving/servables/tensorflow/saved_model_config.proto not present; saved_model_config.pb skipped"
fi
while IFS= read -r f; do
  if protoc "${P[@]}" --encode=tensorflow.CheckpointState tensorflow/python/training/checkpoint_state.proto < "$f" > /tmp/.ckst.$$ 2>/tmp/.ckerr.$$; then
    check tensorflow.CheckpointState tensorflow/python/training/checkpoint_state.proto /tmp/.ckst.$$
  else echo "TEXT PARSE FAIL $f: $(cat /tmp/.ckerr.$$)"; fail=1; fi
done < <(find "$td" -type f -name checkpoint)
rm -f /tmp/.ckst.$$ /tmp/.ckerr.$$
# Values inside checkpoint tables: V2 .index (BundleHeaderProto under the empty
# key, BundleEntryProto otherwise) and V1 export-* files (SavedTensorSlices).
while IFS= read -r f; do
  d=$(mktemp -d)
  if ! python3 "$here/sstable_values.py" "$f" "$d" > /dev/null; then echo "TABLE READ FAIL $f"; fail=1; rm -rf "$d"; continue; fi
  for v in "$d"/*.val; do
    [ -e "$v" ] || continue
    case "$f" in
      *.index) if [ -s "${v%.val}.key" ]; then t=tensorflow.BundleEntryProto; else t=tensorflow.BundleHeaderProto; fi
               check "$t" tensorflow/core/protobuf/tensor_bundle.proto "$v" ;;
      *) check tensorflow.SavedTensorSlices tensorflow/core/util/saved_tensor_slice.proto "$v" ;;
    esac
  done
  rm -rf "$d"
done < <(find "$td" -name '*.index'; find "$td" -name 'export-?????-of-?????')
echo "checked $n protos; $([ $fail = 0 ] && echo OK || echo FAILURES)"
exit $fail
