// SVDF (singular value decomposition filter) with TFLite's float and hybrid kernels
// (reference_ops::EvalFloatSVDF / EvalHybridSVDF). One invocation, input x [batch, input]:
//
//   state[b, f, M-1] = weights_feature[f] . x[b]          (f < filters, M = memory size)
//   s[b, f]          = weights_time[f] . state[b, f, :]
//   out[b, u]        = activation(bias[u] + sum_{k < rank} s[b, u * rank + k])
//
// then every state row shifts left by one (TFLite keeps that state for the next call).
// Inputs: 0 input, 1 weights_feature [filters, input], 2 weights_time [filters, M],
// 3 bias [filters / rank] (optional), 4 state (variable) [batch, M * filters].
// Hybrid: int8 weights_feature with one scale (x quantized per batch row, symmetric or
// asymmetric with asymmetric_quantize_inputs); int8 weights_time is dequantized, as in
// TFLite. The full-integer SVDF (int8 input, int16 state) is not supported.
// State: recurrent.h (every run starts from the variable's initial value).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "tflite/ops/ops.h"
#include "tflite/ops/recurrent.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;

constexpr int kState = 4;

struct SvdfState : OpState {
  int64_t rank = 1, filters = 0, units = 0, memory = 0, input_size = 0;
  bool asymmetric = false;
  rnn::Activation activation = rnn::Activation::kNone;
  rnn::Operand feature, bias;
  std::vector<float> time;  // weights_time as float [filters, memory]
};

}  // namespace

PrepareResult PrepareSvdf(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(3, 1));
  const auto* o = b.op().builtin_options_as_SVDFOptions();
  if (!o) return b.Error("missing SVDFOptions");
  auto s = std::make_shared<SvdfState>();
  s->rank = o->rank();
  s->asymmetric = o->asymmetric_quantize_inputs();
  TFM_ASSIGN_OR_RETURN(s->activation, rnn::FusedActivation(b, o->fused_activation_function()));
  if (s->activation == rnn::Activation::kSignBit) {
    return b.Unsupported("fused activation SIGN_BIT is not one TFLite's SVDF applies");
  }
  if (b.input_type(0) != DType::kFloat || b.output_type(0) != DType::kFloat) {
    return b.Unsupported(absl::StrCat("input ", DTypeName(b.input_type(0)), " / output ",
                                      DTypeName(b.output_type(0)),
                                      ": tfmodel runs float32 and hybrid (int8 weights) SVDF, not "
                                      "the full-integer kernel"));
  }
  if (!b.has_input(kState)) return b.Error("state (input 4) is missing");
  if (b.input_type(kState) != DType::kFloat) return b.Error("state (input 4) must be float32");
  const std::vector<int64_t> fd = rnn::DeclaredDims(b, 1);
  const std::vector<int64_t> td = rnn::DeclaredDims(b, 2);
  if (fd.size() != 2 || fd[0] <= 0 || fd[1] <= 0 || td.size() != 2 || td[1] <= 0) {
    return b.Error(
        "weights_feature (input 1) and weights_time (input 2) must be 2-D of known shape");
  }
  s->filters = fd[0];
  s->input_size = fd[1];
  s->memory = td[1];
  if (s->rank <= 0 || s->filters % s->rank != 0) {
    return b.Error(absl::StrCat("rank ", s->rank, " does not divide the ", s->filters, " filters"));
  }
  s->units = s->filters / s->rank;
  using K = rnn::OperandKind;
  TFM_ASSIGN_OR_RETURN(s->feature,
                       rnn::ReadOperand(b, 1, fd, K::kFloatOrInt8, "weights_feature", true));
  TFM_ASSIGN_OR_RETURN(rnn::Operand time, rnn::ReadOperand(b, 2, {s->filters, s->memory},
                                                           K::kFloatOrInt8, "weights_time", true));
  if (!time.constant.valid()) return b.Unsupported("weights_time (input 2) is not constant");
  s->time.resize(static_cast<size_t>(s->filters * s->memory));
  for (size_t k = 0; k < s->time.size(); ++k) {
    s->time[k] = time.dtype == DType::kInt8
                     ? static_cast<float>(time.constant.data<int8_t>()[k]) * time.scale
                     : time.constant.data<float>()[k];
  }
  TFM_ASSIGN_OR_RETURN(s->bias, rnn::ReadOperand(b, 3, {s->units}, K::kFloat, "bias", false));
  const std::vector<int64_t>& x = b.SignatureShape(b.inputs()[0]);
  if (!x.empty() && (x.size() != 2 || (x[1] >= 0 && x[1] != s->input_size))) {
    return b.Error(absl::StrCat("input must be [batch, ", s->input_size, "]"));
  }
  return s;
}

absl::Status EvalSvdf(const OpState& state, const std::vector<const Tensor*>& in,
                      std::vector<Tensor>* out) {
  const auto& s = static_cast<const SvdfState&>(state);
  const Tensor& x = *in[0];
  if (x.dtype() != DType::kFloat || x.rank() != 2 || x.dim(1) != s.input_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("input is ", DTypeName(x.dtype()), " ", x.shape().ToString(),
                     ", expected float32 [batch, ", s.input_size, "]"));
  }
  const int64_t batches = x.dim(0);
  TFM_ASSIGN_OR_RETURN(rnn::Matrix feature, rnn::ResolveMatrix(s.feature, in));
  TFM_ASSIGN_OR_RETURN(const float* bias, rnn::FloatData(s.bias, in));
  TFM_ASSIGN_OR_RETURN(
      std::vector<float> st,
      rnn::ReadState<float>(in, kState, DType::kFloat, batches * s.filters * s.memory, "state"));
  Tensor y(DType::kFloat, TensorShape({batches, s.units}));
  float* yd = y.data<float>();
  std::vector<float> act(static_cast<size_t>(s.filters));
  rnn::QuantizedRow qx;
  for (int64_t b = 0; b < batches; ++b) {
    const float* xr = x.data<float>() + b * s.input_size;
    float* sb = st.data() + b * s.filters * s.memory;
    // The newest activation goes into each filter's last memory slot.
    std::fill(act.begin(), act.end(), 0.0f);
    if (feature.q) rnn::QuantizeRow(xr, s.input_size, s.asymmetric, &qx);
    feature.Accumulate(xr, &qx, act.data());
    float* o = yd + b * s.units;
    for (int64_t u = 0; u < s.units; ++u) o[u] = bias ? bias[u] : 0.0f;
    for (int64_t f = 0; f < s.filters; ++f) {
      float* row = sb + f * s.memory;
      row[s.memory - 1] = act[f];
      const float* wt = s.time.data() + f * s.memory;
      float dot = 0.0f;
      for (int64_t m = 0; m < s.memory; ++m) dot += wt[m] * row[m];
      o[f / s.rank] += dot;
      // Shift left for the next invocation (dropped at the end of the run, recurrent.h).
      std::copy(row + 1, row + s.memory, row);
      row[s.memory - 1] = 0.0f;
    }
    rnn::Apply(s.activation, o, s.units);
  }
  (*out)[0] = std::move(y);
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite
