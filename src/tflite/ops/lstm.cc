// LSTM (one step), UNIDIRECTIONAL_SEQUENCE_LSTM and BIDIRECTIONAL_SEQUENCE_LSTM with
// TFLite's kernels' semantics: float and hybrid (int8 weights) cells (lstm_cell.h) and the
// full-integer cell (lstm_integer.h); CIFG, peephole, projection with clipping, layer
// normalization, time-major or batch-major sequences, reversed backward direction and
// merge_outputs. State: recurrent.h (every run starts from the variables' initial values).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "tflite/ops/lstm_cell.h"
#include "tflite/ops/lstm_integer.h"
#include "tflite/ops/lstm_layout.h"
#include "tflite/ops/ops.h"
#include "tflite/ops/recurrent.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;
using lstm::Dims;
using lstm::DirectionLayout;
using rnn::DeclaredDims;
using rnn::Operand;
using rnn::OperandKind;

const char* const kGateNames[4] = {"input", "forget", "cell", "output"};

// The operands of one float or hybrid direction.
struct Direction {
  DirectionLayout layout;
  Dims dims;
  bool cifg = false;
  Operand input_w[4], aux_w[4], recurrent_w[4], peephole[4], bias[4], layer_norm[4];
  Operand projection_w, projection_b;
};

struct Options {
  rnn::Activation activation = rnn::Activation::kTanh;
  float cell_clip = 0.0f, proj_clip = 0.0f;
  bool time_major = true;
  bool asymmetric = false;
  bool merge_outputs = false;
};

struct LstmState : OpState {
  B code = B::LSTM;
  Options options;
  Direction fw, bw;  // bw: BIDIRECTIONAL_SEQUENCE_LSTM only
  int aux_input = -1;
  std::shared_ptr<const lstm::IntegerLstm> integer;
};

// n_input, n_cell (input-to-output weights [n_cell, n_input]) and n_output
// (recurrent-to-output weights [n_cell, n_output]).
absl::StatusOr<Dims> ReadDims(const OpBuilder& b, const DirectionLayout& l) {
  Dims d;
  const std::vector<int64_t> wx = DeclaredDims(b, l.input_weights[lstm::kOutputGate]);
  const std::vector<int64_t> wh = DeclaredDims(b, l.recurrent_weights[lstm::kOutputGate]);
  if (wx.size() != 2 || wh.size() != 2 || wx[0] <= 0 || wx[1] <= 0 || wh[1] <= 0 ||
      wh[0] != wx[0]) {
    return b.Error(
        "input-to-output weights must be [n_cell, n_input] and recurrent-to-output "
        "weights [n_cell, n_output] with known sizes");
  }
  d.n_cell = wx[0];
  d.n_input = wx[1];
  d.n_output = wh[1];
  return d;
}

// Absent gate weights (CIFG), peepholes and projection bias must come in TFLite's
// all-or-none combinations.
absl::Status CheckOptionalGroups(const OpBuilder& b, const Direction& d, bool layer_norm) {
  if (d.input_w[0].present() != d.recurrent_w[0].present()) {
    return b.Error(
        "input-to-input and recurrent-to-input weights must both be given or both "
        "be absent (CIFG)");
  }
  const bool any_peephole =
      d.peephole[0].present() || d.peephole[1].present() || d.peephole[3].present();
  const bool all_peephole =
      (d.peephole[0].present() || d.cifg) && d.peephole[1].present() && d.peephole[3].present();
  if (any_peephole && !all_peephole) return b.Error("peephole weights must be all or none");
  if (d.cifg && d.peephole[0].present()) return b.Error("CIFG LSTM with an input peephole");
  if (d.cifg && d.bias[0].present()) return b.Error("CIFG LSTM with an input gate bias");
  if (!d.cifg && !d.bias[0].present()) return b.Error("input gate bias is missing");
  if (d.projection_b.present() && !d.projection_w.present()) {
    return b.Error("projection bias without projection weights");
  }
  if (!d.projection_w.present() && d.dims.n_output != d.dims.n_cell) {
    return b.Error(absl::StrCat("output size ", d.dims.n_output, " differs from ", d.dims.n_cell,
                                " units without projection weights"));
  }
  if (layer_norm && d.cifg == d.layer_norm[0].present()) {
    return b.Error(
        "input layer norm coefficients must be given exactly when there is an "
        "input gate");
  }
  return absl::OkStatus();
}

// Int8 peephole weights of a hybrid cell become float (TFLite multiplies them by their
// scale before use).
void DequantizePeephole(Operand* o) {
  if (!o->present() || o->dtype != DType::kInt8) return;
  Tensor f(DType::kFloat, o->constant.shape());
  for (int64_t i = 0; i < f.NumElements(); ++i) {
    f.data<float>()[i] = o->scale * static_cast<float>(o->constant.data<int8_t>()[i]);
  }
  o->constant = std::move(f);
  o->dtype = DType::kFloat;
}

absl::StatusOr<Direction> ReadDirection(OpBuilder& b, const DirectionLayout& l, int64_t n_aux,
                                        bool layer_norm) {
  Direction d;
  d.layout = l;
  TFM_ASSIGN_OR_RETURN(d.dims, ReadDims(b, l));
  d.dims.n_aux = n_aux;
  const int64_t nc = d.dims.n_cell, ni = d.dims.n_input, no = d.dims.n_output;
  const auto W = OperandKind::kFloatOrInt8;
  const auto F = OperandKind::kFloat;
  for (int g = 0; g < 4; ++g) {
    const bool gate_required = g != lstm::kInputGate;
    const std::string gate = kGateNames[g];
    TFM_ASSIGN_OR_RETURN(d.input_w[g],
                         rnn::ReadOperand(b, l.input_weights[g], {nc, ni}, W,
                                          (gate + " input weights").c_str(), gate_required));
    TFM_ASSIGN_OR_RETURN(d.recurrent_w[g],
                         rnn::ReadOperand(b, l.recurrent_weights[g], {nc, no}, W,
                                          (gate + " recurrent weights").c_str(), gate_required));
    if (l.peephole[g] >= 0) {
      TFM_ASSIGN_OR_RETURN(d.peephole[g], rnn::ReadOperand(b, l.peephole[g], {nc}, W,
                                                           (gate + " peephole").c_str(), false));
      DequantizePeephole(&d.peephole[g]);
    }
    TFM_ASSIGN_OR_RETURN(
        d.bias[g], rnn::ReadOperand(b, l.bias[g], {nc}, F, (gate + " gate bias").c_str(), false));
    if (gate_required && !d.bias[g].present()) return b.Error(gate + " gate bias is missing");
    if (layer_norm && l.layer_norm[g] >= 0) {
      TFM_ASSIGN_OR_RETURN(
          d.layer_norm[g],
          rnn::ReadOperand(b, l.layer_norm[g], {nc}, F, (gate + " layer norm coefficients").c_str(),
                           gate_required));
    }
    if (n_aux > 0 && l.aux_weights[g] >= 0) {
      TFM_ASSIGN_OR_RETURN(d.aux_w[g],
                           rnn::ReadOperand(b, l.aux_weights[g], {nc, n_aux}, W,
                                            (gate + " auxiliary input weights").c_str(), false));
    }
  }
  d.cifg = !d.input_w[0].present();
  TFM_ASSIGN_OR_RETURN(d.projection_w, rnn::ReadOperand(b, l.projection_weights, {no, nc}, W,
                                                        "projection weights", false));
  TFM_ASSIGN_OR_RETURN(d.projection_b,
                       rnn::ReadOperand(b, l.projection_bias, {no}, F, "projection bias", false));
  TFM_RETURN_IF_ERROR(CheckOptionalGroups(b, d, layer_norm));
  // Weights are all float or all int8 (hybrid).
  const DType wt = d.input_w[lstm::kForgetGate].dtype;
  for (const Operand* o :
       {&d.input_w[0], &d.input_w[1], &d.input_w[2], &d.input_w[3], &d.recurrent_w[0],
        &d.recurrent_w[1], &d.recurrent_w[2], &d.recurrent_w[3], &d.aux_w[0], &d.aux_w[1],
        &d.aux_w[2], &d.aux_w[3], &d.projection_w}) {
    if (o->present() && o->dtype != wt) {
      return b.Error(absl::StrCat(o->name, " is ", DTypeName(o->dtype),
                                  " but the forget input "
                                  "weights are ",
                                  DTypeName(wt)));
    }
  }
  if (b.has_input(l.output_state) == false || b.has_input(l.cell_state) == false) {
    return b.Error("the output state and cell state inputs are required");
  }
  return d;
}

absl::StatusOr<lstm::CellParams> ResolveCell(const Direction& d, const Options& o,
                                             const std::vector<const Tensor*>& in) {
  lstm::CellParams p;
  p.n_input = d.dims.n_input;
  p.n_aux = d.dims.n_aux;
  p.n_cell = d.dims.n_cell;
  p.n_output = d.dims.n_output;
  p.cifg = d.cifg;
  p.activation = o.activation;
  p.cell_clip = o.cell_clip;
  p.proj_clip = o.proj_clip;
  p.asymmetric_quantize_inputs = o.asymmetric;
  for (int g = 0; g < 4; ++g) {
    lstm::GateParams& gp = p.gates[g];
    TFM_ASSIGN_OR_RETURN(gp.input, rnn::ResolveMatrix(d.input_w[g], in));
    TFM_ASSIGN_OR_RETURN(gp.aux, rnn::ResolveMatrix(d.aux_w[g], in));
    TFM_ASSIGN_OR_RETURN(gp.recurrent, rnn::ResolveMatrix(d.recurrent_w[g], in));
    TFM_ASSIGN_OR_RETURN(gp.peephole, rnn::FloatData(d.peephole[g], in));
    TFM_ASSIGN_OR_RETURN(gp.layer_norm, rnn::FloatData(d.layer_norm[g], in));
    TFM_ASSIGN_OR_RETURN(gp.bias, rnn::FloatData(d.bias[g], in));
  }
  TFM_ASSIGN_OR_RETURN(p.projection, rnn::ResolveMatrix(d.projection_w, in));
  TFM_ASSIGN_OR_RETURN(p.projection_bias, rnn::FloatData(d.projection_b, in));
  return p;
}

// Runs one direction over a [time, batch, depth] / [batch, time, depth] sequence; its
// output rows are `out_depth` wide and this direction writes from `out_offset`.
absl::Status RunDirection(const Direction& d, const Options& o,
                          const std::vector<const Tensor*>& in, const Tensor& x, const Tensor* aux,
                          bool forward, float* out, int64_t out_depth, int64_t out_offset) {
  TFM_ASSIGN_OR_RETURN(lstm::CellParams p, ResolveCell(d, o, in));
  const bool sequence = x.rank() == 3;
  const int64_t times = sequence ? (o.time_major ? x.dim(0) : x.dim(1)) : 1;
  const int64_t batches = sequence ? (o.time_major ? x.dim(1) : x.dim(0)) : x.dim(0);
  TFM_ASSIGN_OR_RETURN(std::vector<float> h,
                       rnn::ReadState<float>(in, d.layout.output_state, DType::kFloat,
                                             batches * p.n_output, "output state"));
  TFM_ASSIGN_OR_RETURN(std::vector<float> c,
                       rnn::ReadState<float>(in, d.layout.cell_state, DType::kFloat,
                                             batches * p.n_cell, "cell state"));
  const bool time_major = !sequence || o.time_major;
  lstm::CellScratch scratch;
  for (int64_t b = 0; b < batches; ++b) {
    for (int64_t step = 0; step < times; ++step) {
      const int64_t t = forward ? step : times - 1 - step;
      const int64_t row = rnn::SequenceRow(time_major, batches, times, b, t);
      const float* aux_row = aux ? aux->data<float>() + row * p.n_aux : nullptr;
      lstm::CellStep(p, x.data<float>() + row * p.n_input, aux_row, &h[b * p.n_output],
                     &c[b * p.n_cell], out + row * out_depth + out_offset, &scratch);
    }
  }
  return absl::OkStatus();
}

// The input (or auxiliary input) of a run: float, rank 3 (rank 2 for LSTM), `depth` deep.
absl::Status CheckInput(const Tensor* x, int rank, int64_t depth, const char* what) {
  if (!x) return absl::InvalidArgumentError(absl::StrCat(what, " has no value"));
  if (x->rank() != rank || x->dim(rank - 1) != depth) {
    return absl::InvalidArgumentError(absl::StrCat(what, " has shape ", x->shape().ToString(),
                                                   ", expected rank ", rank, " with depth ",
                                                   depth));
  }
  return absl::OkStatus();
}

TensorShape WithDepth(const Tensor& x, int64_t depth) {
  std::vector<int64_t> dims(x.shape().dim_sizes().begin(), x.shape().dim_sizes().end());
  dims.back() = depth;
  return TensorShape(dims);
}

absl::StatusOr<Options> ReadOptions(const OpBuilder& b) {
  Options o;
  fb::ActivationFunctionType act = fb::ActivationFunctionType::TANH;
  if (b.code() == B::UNIDIRECTIONAL_SEQUENCE_LSTM) {
    const auto* p = b.op().builtin_options_as_UnidirectionalSequenceLSTMOptions();
    if (!p) return b.Error("missing UnidirectionalSequenceLSTMOptions");
    if (p->diagonal_recurrent_tensors()) return b.Unsupported("diagonal recurrent tensors");
    act = p->fused_activation_function();
    o.cell_clip = p->cell_clip(), o.proj_clip = p->proj_clip();
    o.time_major = p->time_major(), o.asymmetric = p->asymmetric_quantize_inputs();
  } else if (b.code() == B::BIDIRECTIONAL_SEQUENCE_LSTM) {
    const auto* p = b.op().builtin_options_as_BidirectionalSequenceLSTMOptions();
    if (!p) return b.Error("missing BidirectionalSequenceLSTMOptions");
    act = p->fused_activation_function();
    o.cell_clip = p->cell_clip(), o.proj_clip = p->proj_clip();
    o.time_major = p->time_major(), o.asymmetric = p->asymmetric_quantize_inputs();
    o.merge_outputs = p->merge_outputs();
  } else {
    const auto* p = b.op().builtin_options_as_LSTMOptions();
    if (!p) return b.Error("missing LSTMOptions");
    if (p->kernel_type() != fb::LSTMKernelType::FULL) {
      return b.Unsupported("the BASIC LSTM kernel (kernel_type BASIC)");
    }
    act = p->fused_activation_function();
    o.cell_clip = p->cell_clip(), o.proj_clip = p->proj_clip();
    o.asymmetric = p->asymmetric_quantize_inputs();
  }
  if (!(o.cell_clip >= 0) || !(o.proj_clip >= 0)) {
    return b.Error(absl::StrCat("cell_clip ", o.cell_clip, " and proj_clip ", o.proj_clip,
                                " must not be negative"));
  }
  TFM_ASSIGN_OR_RETURN(o.activation, rnn::FusedActivation(b, act));
  return o;
}

// Layer norm is used when a 24-input operator has forget-gate coefficients.
bool UsesLayerNorm(const OpBuilder& b) {
  return b.inputs().size() == 24 && b.has_input(lstm::kFullLayout.layer_norm[1]);
}

}  // namespace

PrepareResult PrepareUnidirectionalLstm(OpBuilder& b) {
  if (b.inputs().size() != 24 && b.inputs().size() != 20) {
    return b.Error(absl::StrCat("expects 20 or 24 inputs, has ", b.inputs().size()));
  }
  if (b.outputs().size() != 1) {
    return b.Unsupported(absl::StrCat(b.outputs().size(),
                                      " outputs (only the 1-output form "
                                      "with variable state inputs)"));
  }
  if (!b.has_input(0)) return b.Error("input 0 is missing");
  auto s = std::make_shared<LstmState>();
  s->code = b.code();
  TFM_ASSIGN_OR_RETURN(s->options, ReadOptions(b));
  const DType in_t = b.input_type(0);
  if (in_t == DType::kInt8) {
    TFM_ASSIGN_OR_RETURN(Dims dims, ReadDims(b, lstm::kFullLayout));
    TFM_ASSIGN_OR_RETURN(s->integer,
                         lstm::PrepareIntegerLstm(b, lstm::kFullLayout, dims, s->options.cell_clip,
                                                  s->options.proj_clip));
    return s;
  }
  if (in_t != DType::kFloat) return b.Unsupported(absl::StrCat("input of type ", DTypeName(in_t)));
  if (b.output_type(0) != DType::kFloat) return b.Error("output must be float32");
  TFM_ASSIGN_OR_RETURN(s->fw, ReadDirection(b, lstm::kFullLayout, 0, UsesLayerNorm(b)));
  return s;
}

absl::Status EvalUnidirectionalLstm(const OpState& state, const std::vector<const Tensor*>& in,
                                    std::vector<Tensor>* out) {
  const auto& s = static_cast<const LstmState&>(state);
  const int rank = s.code == B::LSTM ? 2 : 3;
  const bool time_major = s.code == B::LSTM || s.options.time_major;
  if (s.integer) {
    if (!in[0] || in[0]->rank() != rank) {
      return absl::InvalidArgumentError(absl::StrCat("input must have rank ", rank));
    }
    Tensor r;
    TFM_RETURN_IF_ERROR(lstm::RunIntegerLstm(*s.integer, in, *in[0], time_major, &r));
    (*out)[0] = std::move(r);
    return absl::OkStatus();
  }
  const lstm::Dims& d = s.fw.dims;
  TFM_RETURN_IF_ERROR(CheckInput(in[0], rank, d.n_input, "input"));
  Tensor r(DType::kFloat, WithDepth(*in[0], d.n_output));
  TFM_RETURN_IF_ERROR(
      RunDirection(s.fw, s.options, in, *in[0], nullptr, true, r.data<float>(), d.n_output, 0));
  (*out)[0] = std::move(r);
  return absl::OkStatus();
}

PrepareResult PrepareBidirectionalLstm(OpBuilder& b) {
  if (b.inputs().size() != 48)
    return b.Error(absl::StrCat("expects 48 inputs, has ", b.inputs().size()));
  if (!b.has_input(0)) return b.Error("input 0 is missing");
  auto s = std::make_shared<LstmState>();
  s->code = b.code();
  TFM_ASSIGN_OR_RETURN(s->options, ReadOptions(b));
  if (b.input_type(0) != DType::kFloat) {
    return b.Unsupported(absl::StrCat("input of type ", DTypeName(b.input_type(0))));
  }
  const size_t want_outputs = s->options.merge_outputs ? 1 : 2;
  if (b.outputs().size() < want_outputs) {
    return b.Error(absl::StrCat("expects ", want_outputs, " outputs, has ", b.outputs().size()));
  }
  int64_t n_aux = 0;
  if (b.has_input(lstm::kBidirectionalAuxInput)) {
    s->aux_input = lstm::kBidirectionalAuxInput;
    const std::vector<int64_t> aux_dims = DeclaredDims(b, lstm::kBidirectionalAuxInput);
    if (aux_dims.empty() || aux_dims.back() <= 0) return b.Error("auxiliary input depth unknown");
    n_aux = aux_dims.back();
  }
  TFM_ASSIGN_OR_RETURN(s->fw, ReadDirection(b, lstm::kForwardLayout, n_aux, false));
  TFM_ASSIGN_OR_RETURN(s->bw, ReadDirection(b, lstm::kBackwardLayout, n_aux, false));
  if (s->fw.aux_w[1].present() != s->bw.aux_w[1].present()) {
    return b.Error("auxiliary weights must be given for both directions or neither");
  }
  return s;
}

absl::Status EvalBidirectionalLstm(const OpState& state, const std::vector<const Tensor*>& in,
                                   std::vector<Tensor>* out) {
  const auto& s = static_cast<const LstmState&>(state);
  const Options& o = s.options;
  TFM_RETURN_IF_ERROR(CheckInput(in[0], 3, s.fw.dims.n_input, "input"));
  const Tensor& x = *in[0];
  const Tensor* aux = s.aux_input >= 0 ? in[s.aux_input] : nullptr;
  // With auxiliary weights the auxiliary input feeds both directions (stacked with cross
  // links); without them it is the backward direction's input (stacked without links).
  const bool aux_weights = s.fw.aux_w[1].present();
  const Tensor* bw_input = aux && !aux_weights ? aux : &x;
  const Tensor* real_aux = aux && aux_weights ? aux : nullptr;
  if (real_aux) TFM_RETURN_IF_ERROR(CheckInput(real_aux, 3, s.fw.dims.n_aux, "auxiliary input"));
  TFM_RETURN_IF_ERROR(CheckInput(bw_input, 3, s.bw.dims.n_input, "backward input"));
  if (bw_input->shape().dim_sizes().first(2) != x.shape().dim_sizes().first(2) ||
      (real_aux && real_aux->shape().dim_sizes().first(2) != x.shape().dim_sizes().first(2))) {
    return absl::InvalidArgumentError("the inputs' time and batch sizes differ");
  }
  const int64_t fw_n = s.fw.dims.n_output, bw_n = s.bw.dims.n_output;
  Tensor fw_out(DType::kFloat, WithDepth(x, o.merge_outputs ? fw_n + bw_n : fw_n));
  const int64_t fw_depth = fw_out.dim(2);
  TFM_RETURN_IF_ERROR(
      RunDirection(s.fw, o, in, x, real_aux, true, fw_out.data<float>(), fw_depth, 0));
  if (o.merge_outputs) {
    TFM_RETURN_IF_ERROR(RunDirection(s.bw, o, in, *bw_input, real_aux, false, fw_out.data<float>(),
                                     fw_depth, fw_n));
  } else {
    Tensor bw_out(DType::kFloat, WithDepth(x, bw_n));
    TFM_RETURN_IF_ERROR(
        RunDirection(s.bw, o, in, *bw_input, real_aux, false, bw_out.data<float>(), bw_n, 0));
    (*out)[1] = std::move(bw_out);
  }
  (*out)[0] = std::move(fw_out);
  // Outputs beyond the merged one (a file may still list the backward output).
  for (size_t k = o.merge_outputs ? 1 : 2; k < out->size(); ++k) {
    (*out)[k] = Tensor(DType::kFloat, TensorShape{0});
  }
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite
