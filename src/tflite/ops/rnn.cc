// RNN (one step, [batch, input]) and UNIDIRECTIONAL_SEQUENCE_RNN ([time, batch, input] when
// time_major, else [batch, time, input]) with TFLite's basic RNN cell (RnnBatchStep):
//
//   h_t = activation(bias + W x_t + R h_{t-1}),   output_t = h_t
//
// Inputs: 0 input, 1 weights W [units, input], 2 recurrent weights R [units, units],
// 3 bias [units], 4 hidden state (variable) [batch, units]. Float, or hybrid: int8 W and R
// with one scale each, x and h quantized to int8 per batch row before each product
// (symmetric, or asymmetric with asymmetric_quantize_inputs), as TFLite's hybrid kernel.
// State: recurrent.h (every run starts from the variable's initial value).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status.h"
#include "tflite/ops/ops.h"
#include "tflite/ops/recurrent.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;

constexpr int kHiddenState = 4;

struct RnnState : OpState {
  bool sequence = false;
  bool time_major = true;
  bool asymmetric = false;
  rnn::Activation activation = rnn::Activation::kTanh;
  int64_t units = 0, input_size = 0;
  rnn::Operand w, r, bias;
};

absl::Status ReadOptions(const OpBuilder& b, RnnState* s) {
  fb::ActivationFunctionType act = fb::ActivationFunctionType::NONE;
  if (s->sequence) {
    const auto* o = b.op().builtin_options_as_SequenceRNNOptions();
    if (!o) return b.Error("missing SequenceRNNOptions");
    s->time_major = o->time_major();
    s->asymmetric = o->asymmetric_quantize_inputs();
    act = o->fused_activation_function();
  } else {
    const auto* o = b.op().builtin_options_as_RNNOptions();
    if (!o) return b.Error("missing RNNOptions");
    s->asymmetric = o->asymmetric_quantize_inputs();
    act = o->fused_activation_function();
  }
  TFM_ASSIGN_OR_RETURN(s->activation, rnn::FusedActivation(b, act));
  if (s->activation == rnn::Activation::kSignBit) {
    return b.Unsupported("fused activation SIGN_BIT is not one TFLite's RNN applies");
  }
  return absl::OkStatus();
}

}  // namespace

PrepareResult PrepareRnn(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(5, 1));
  auto s = std::make_shared<RnnState>();
  s->sequence = b.code() == B::UNIDIRECTIONAL_SEQUENCE_RNN;
  TFM_RETURN_IF_ERROR(ReadOptions(b, s.get()));
  if (b.input_type(0) != DType::kFloat || b.output_type(0) != DType::kFloat) {
    return b.Unsupported(absl::StrCat("input ", DTypeName(b.input_type(0)), " / output ",
                                      DTypeName(b.output_type(0)),
                                      ": tfmodel runs float32 (and hybrid int8-weight) RNNs"));
  }
  const std::vector<int64_t> wd = rnn::DeclaredDims(b, 1);
  if (wd.size() != 2 || wd[0] <= 0 || wd[1] <= 0) {
    return b.Error("weights (input 1) must be a 2-D [units, input] tensor of known shape");
  }
  s->units = wd[0];
  s->input_size = wd[1];
  using K = rnn::OperandKind;
  TFM_ASSIGN_OR_RETURN(s->w, rnn::ReadOperand(b, 1, wd, K::kFloatOrInt8, "weights", true));
  TFM_ASSIGN_OR_RETURN(s->r, rnn::ReadOperand(b, 2, {s->units, s->units}, K::kFloatOrInt8,
                                              "recurrent weights", true));
  TFM_ASSIGN_OR_RETURN(s->bias, rnn::ReadOperand(b, 3, {s->units}, K::kFloat, "bias", true));
  if (b.input_type(kHiddenState) != DType::kFloat) {
    return b.Error("hidden state (input 4) must be float32");
  }
  const std::vector<int64_t>& x = b.SignatureShape(b.inputs()[0]);
  const size_t rank = s->sequence ? 3 : 2;
  if (!x.empty() && (x.size() != rank || (x.back() >= 0 && x.back() != s->input_size))) {
    return b.Error(absl::StrCat("input has shape [", absl::StrJoin(x, ","), "], expected rank ",
                                rank, " with last dimension ", s->input_size));
  }
  return s;
}

absl::Status EvalRnn(const OpState& state, const std::vector<const Tensor*>& in,
                     std::vector<Tensor>* out) {
  const auto& s = static_cast<const RnnState&>(state);
  const Tensor& x = *in[0];
  const int rank = s.sequence ? 3 : 2;
  if (x.dtype() != DType::kFloat || x.rank() != rank || x.dim(rank - 1) != s.input_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("input is ", DTypeName(x.dtype()), " ", x.shape().ToString(),
                     ", expected float32 of rank ", rank, " with last dimension ", s.input_size));
  }
  const int64_t times = s.sequence ? x.dim(s.time_major ? 0 : 1) : 1;
  const int64_t batches = s.sequence ? x.dim(s.time_major ? 1 : 0) : x.dim(0);
  TFM_ASSIGN_OR_RETURN(rnn::Matrix w, rnn::ResolveMatrix(s.w, in));
  TFM_ASSIGN_OR_RETURN(rnn::Matrix r, rnn::ResolveMatrix(s.r, in));
  TFM_ASSIGN_OR_RETURN(const float* bias, rnn::FloatData(s.bias, in));
  TFM_ASSIGN_OR_RETURN(
      std::vector<float> hidden,
      rnn::ReadState<float>(in, kHiddenState, DType::kFloat, batches * s.units, "hidden state"));
  TensorShape shape = x.shape();
  shape.set_dim(rank - 1, s.units);
  Tensor y(DType::kFloat, shape);
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  rnn::QuantizedRow qx, qh;
  for (int64_t b = 0; b < batches; ++b) {
    float* h = hidden.data() + b * s.units;
    for (int64_t t = 0; t < times; ++t) {
      const int64_t row = rnn::SequenceRow(s.time_major || !s.sequence, batches, times, b, t);
      const float* xr = xd + row * s.input_size;
      float* o = yd + row * s.units;
      std::copy(bias, bias + s.units, o);
      if (w.q) rnn::QuantizeRow(xr, s.input_size, s.asymmetric, &qx);
      w.Accumulate(xr, &qx, o);
      if (r.q) rnn::QuantizeRow(h, s.units, s.asymmetric, &qh);
      r.Accumulate(h, &qh, o);
      rnn::Apply(s.activation, o, s.units);
      std::copy(o, o + s.units, h);
    }
  }
  (*out)[0] = std::move(y);
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite
