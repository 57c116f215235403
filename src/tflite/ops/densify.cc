// DENSIFY: a sparse constant (Tensor.sparsity) -> its dense tensor. The constant is densified
// when the file is read (format/tflite_sparsity.h, TFLite's sparse-to-dense walk), so the
// operator hands out that tensor. As in TFLite's kernel, the input must be a sparse
// constant of type float32, float16 or int8 and the output of the same type.
#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "tflite/ops/ops.h"

namespace tfmodel::tflite {
namespace {

struct DensifyState : OpState {
  Tensor dense;
};

}  // namespace

PrepareResult PrepareDensify(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(1, 1));
  const Tensor* c = b.ConstInput(0);
  if (!c || !b.IsSparse(b.inputs()[0])) {
    return b.Error("input 0 must be a sparse constant tensor (with sparsity parameters)");
  }
  const DType t = c->dtype();
  if (t != DType::kFloat && t != DType::kHalf && t != DType::kInt8) {
    return b.Unsupported(
        absl::StrCat("input is ", DTypeName(t), "; DENSIFY takes float32, float16 or int8"));
  }
  if (b.output_type(0) != t) {
    return b.Error(
        absl::StrCat("output is ", DTypeName(b.output_type(0)), ", input is ", DTypeName(t)));
  }
  // A declared output shape (-1 = any size) must be the dense shape.
  const std::vector<int64_t>& declared = b.SignatureShape(b.outputs()[0]);
  bool fits = declared.empty() || static_cast<int>(declared.size()) == c->rank();
  for (size_t d = 0; fits && !declared.empty() && d < declared.size(); ++d) {
    fits = declared[d] < 0 || declared[d] == c->dim(static_cast<int>(d));
  }
  if (!fits) {
    return b.Error(
        absl::StrCat("output shape does not match the dense shape ", c->shape().ToString()));
  }
  auto s = std::make_shared<DensifyState>();
  s->dense = *c;
  return s;
}

absl::Status EvalDensify(const OpState& state, const std::vector<const Tensor*>&,
                         std::vector<Tensor>* out) {
  (*out)[0] = static_cast<const DensifyState&>(state).dense;
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite
