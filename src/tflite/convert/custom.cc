// A TF op with no TFLite lowering kept as a custom operator (--allow_custom_ops): its
// options are a FlexBuffer vector [op name, serialized NodeDef], which tfmodel's
// interpreter runs with the TF kernel (tflite/ops/custom.cc).
#include "core/status.h"
#include "flatbuffers/flexbuffers.h"
#include "tflite/convert/lowerings.h"

namespace tfmodel::tflite {

absl::Status LowerAsCustomOp(Lowering& l, const tensorflow::NodeDef& n) {
  TFM_ASSIGN_OR_RETURN(std::vector<int> ins, l.DataInputTensors(n));
  std::vector<int> outs;
  const int num_out = l.NumOutputs(n);
  for (int k = 0; k < num_out; ++k) outs.push_back(l.OutputTensor(n, k));
  tensorflow::NodeDef copy = n;
  copy.clear_input();
  copy.clear_device();
  flexbuffers::Builder fbb;
  fbb.Vector([&]() {
    fbb.String(n.op());
    const std::string bytes = copy.SerializeAsString();
    fbb.String(bytes.data(), bytes.size());
  });
  fbb.Finish();
  l.AddCustomOp(n.op(), std::move(ins), std::move(outs), fbb.GetBuffer());
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite
