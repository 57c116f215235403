// Quantized (uint8/int8) CONCATENATION. Inputs quantized like the output are copied as they
// are; the others are requantized as TFLite's ConcatenationWithScaling does, in float:
//   q_out = round(q_in * (s_in / s_out) - zp_in * (s_in / s_out)) + zp_out
// (rounding half away from zero), then clamped to the output type and the fused activation.
// TFLite itself rescales only uint8 inputs and refuses int8 inputs whose quantization differs
// from the output's; tfmodel rescales both.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "tflite/ops/ops.h"
#include "tflite/quant_check.h"
#include "tflite/quant_math.h"

namespace tfmodel::tflite {
namespace {

struct QuantizedConcatState : OpState {
  int axis = 0;
  DType type = DType::kInvalid;
  struct Input {
    bool copy = true;  // same quantization as the output
    float scale = 1, bias = 0;
  };
  std::vector<Input> inputs;
  int32_t out_zp = 0, lo = 0, hi = 0;
  std::string op;  // for errors
};

}  // namespace

PrepareResult PrepareQuantizedConcatenation(OpBuilder& b) {
  if (b.outputs().empty() || b.inputs().empty()) return b.Error("needs inputs and an output");
  const auto* o = b.op().builtin_options_as_ConcatenationOptions();
  auto s = std::make_shared<QuantizedConcatState>();
  s->axis = o ? o->axis() : 0;
  s->type = b.output_type(0);
  s->op = b.label();
  const QuantParams qo = b.OutputQuant(0);
  if (qo.scale.size() != 1 || !(qo.scale[0] > 0)) {
    return b.Error("the quantized output needs one positive scale");
  }
  s->out_zp = static_cast<int32_t>(qo.zero_point[0]);
  for (size_t i = 0; i < b.inputs().size(); ++i) {
    if (!b.has_input(i)) return b.Error(absl::StrCat("input ", i, " is missing"));
    if (b.input_type(i) != s->type) {
      return b.Error(absl::StrCat("input ", i, " is ", DTypeName(b.input_type(i)),
                                  ", the output is ", DTypeName(s->type)));
    }
    const QuantParams qi = b.InputQuant(i);
    if (qi.scale.size() != 1 || !(qi.scale[0] > 0)) {
      return b.Error(absl::StrCat("quantized input ", i, " needs one positive scale"));
    }
    QuantizedConcatState::Input in;
    in.copy = SameQuantParams(qi, qo);
    if (!in.copy) {
      in.scale = qi.scale[0] * (1.0f / qo.scale[0]);
      in.bias = -static_cast<float>(qi.zero_point[0]) * in.scale;
    }
    s->inputs.push_back(in);
  }
  int32_t qmin, qmax;
  QRange(s->type, &qmin, &qmax);
  QuantizedActivationRange(
      o ? o->fused_activation_function() : tflite_fb::ActivationFunctionType::NONE, qo.scale[0],
      s->out_zp, qmin, qmax, &s->lo, &s->hi);
  return s;
}

absl::Status EvalQuantizedConcatenation(const OpState& state, const std::vector<const Tensor*>& in,
                                        std::vector<Tensor>* out) {
  const auto& s = static_cast<const QuantizedConcatState&>(state);
  if (in.size() != s.inputs.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(s.op, ": expected ", s.inputs.size(), " inputs"));
  }
  const Tensor& x0 = *in[0];
  const int rank = x0.rank();
  const int axis = s.axis < 0 ? s.axis + rank : s.axis;
  if (axis < 0 || axis >= rank) {
    return absl::InvalidArgumentError(
        absl::StrCat(s.op, ": axis ", s.axis, " is out of range for rank ", rank));
  }
  const auto d0 = x0.shape().dim_sizes();
  std::vector<int64_t> dims(d0.begin(), d0.end());
  int64_t concat = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const Tensor& x = *in[i];
    if (x.dtype() != s.type) {
      return absl::InvalidArgumentError(absl::StrCat(
          s.op, ": input ", i, " is ", DTypeName(x.dtype()), ", expected ", DTypeName(s.type)));
    }
    bool ok = x.rank() == rank;
    for (int d = 0; ok && d < rank; ++d) ok = d == axis || x.dim(d) == dims[d];
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          s.op, ": input ", i, " has shape ", x.shape().ToString(),
          ", which does not match input 0's ", x0.shape().ToString(), " outside axis ", axis));
    }
    concat += x.dim(axis);
  }
  dims[axis] = concat;
  TFM_RETURN_IF_ERROR(TensorShape::Validate(dims));
  const TensorShape shape(dims);
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= dims[d];
  for (int d = axis + 1; d < rank; ++d) inner *= dims[d];
  Tensor r = Tensor::Empty(s.type, shape);
  int32_t qmin, qmax;
  QRange(s.type, &qmin, &qmax);
  int64_t pos = 0;
  for (int64_t k = 0; k < outer; ++k) {
    for (size_t i = 0; i < in.size(); ++i) {
      const Tensor& x = *in[i];
      const QuantizedConcatState::Input& p = s.inputs[i];
      const int64_t n = x.dim(axis) * inner;
      for (int64_t j = 0; j < n; ++j) {
        int32_t v = LoadQ(x, k * n + j);
        if (!p.copy) {
          v = static_cast<int32_t>(std::round(static_cast<float>(v) * p.scale + p.bias)) + s.out_zp;
          v = std::clamp(v, qmin, qmax);
        }
        StoreQ(&r, pos++, std::clamp(v, s.lo, s.hi));
      }
    }
  }
  (*out)[0] = std::move(r);
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite
