// libFuzzer target: REST request bodies -> tensors, as `tfmodel serve` parses them.
// The first byte picks the path:
//   0: :predict (row or columnar) against a one-input float signature, then the parsed
//      tensors are written back as a response in the request's format
//   1: :predict against a signature with inputs of several dtypes (string, int64, bool,
//      half, double, uint8, int32)
//   2: :classify / :regress (examples, context), then the Input -> serialized Examples
//      tensor the signature is fed with
// Built and run by scripts/fuzz.sh (-DTFMODEL_FUZZ=ON); not part of the library or CI.
#include <cstdint>
#include <string>

#include "core/fuzz_util.h"
#include "serving/json_tensor.h"
#include "serving/servable.h"

namespace {

using tfmodel::DType;
using tfmodel::serving::InputDTypeMap;

const InputDTypeMap& OneInput() {
  static const auto* m = new InputDTypeMap{{"x", DType::kFloat}};
  return *m;
}

const InputDTypeMap& ManyInputs() {
  static const auto* m = new InputDTypeMap{
      {"s", DType::kString}, {"i", DType::kInt64}, {"b", DType::kBool},  {"h", DType::kHalf},
      {"d", DType::kDouble}, {"u", DType::kUInt8}, {"n", DType::kInt32}, {"x", DType::kFloat}};
  return *m;
}

void Predict(const std::string& body, const InputDTypeMap& inputs) {
  tfmodel::serving::JsonPredictRequest req;
  auto getter = [&](const std::string& sig) -> absl::StatusOr<const InputDTypeMap*> {
    if (sig == "missing") return absl::NotFoundError("no such signature");
    return &inputs;
  };
  if (!tfmodel::serving::ParsePredictRequestJson(body, getter, &req).ok()) return;
  (void)tfmodel::serving::MakeJsonFromTensors(req.inputs, req.format);
}

void ClassifyRegress(const std::string& body) {
  std::string signature;
  tensorflow::serving::Input input;
  if (!tfmodel::serving::ParseClassifyRegressRequestJson(body, &signature, &input).ok()) return;
  (void)tfmodel::serving::InputToExampleTensor(input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tfmodel::fuzz::Init();
  tfmodel::fuzz::Input in;
  if (!tfmodel::fuzz::SplitSelector(data, size, &in)) return 0;
  switch (in.selector % 3) {
    case 0:
      Predict(in.rest, OneInput());
      break;
    case 1:
      Predict(in.rest, ManyInputs());
      break;
    default:
      ClassifyRegress(in.rest);
      break;
  }
  return 0;
}
