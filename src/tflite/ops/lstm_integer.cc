#include "tflite/ops/lstm_integer.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "tflite/lstm_math.h"
#include "tflite/ops/lstm_cell.h"
#include "tflite/ops/recurrent.h"
#include "tflite/quant_math.h"

namespace tfmodel::tflite::lstm {

// A float scale as a fixed-point multiplier and shift.
struct Multiplier {
  int32_t m = 0;
  int shift = 0;
};

// One gate's prepared integer parameters.
struct IntegerGate {
  const int8_t* input_w = nullptr;      // [n_cell, n_input]
  const int8_t* recurrent_w = nullptr;  // [n_cell, n_output]
  std::vector<int32_t> input_bias;      // bias (without layer norm) - input zp * row sums
  std::vector<int32_t> recurrent_bias;  // - output state zp * row sums
  Multiplier input_scale, recurrent_scale;
  const int16_t* peephole = nullptr;  // [n_cell]
  Multiplier peephole_scale;
  const int16_t* layer_norm = nullptr;  // [n_cell]
  const int32_t* layer_norm_bias = nullptr;
  Multiplier layer_norm_scale;
  int32_t variance_guard = 1;
};

struct IntegerLstm {
  Dims dims;
  bool cifg = false;
  IntegerGate gates[4];
  const int8_t* projection = nullptr;  // [n_output, n_cell]
  std::vector<int32_t> projection_bias;
  Multiplier projection_scale;
  Multiplier hidden_scale;
  int32_t hidden_zp = 0;
  int32_t output_state_zp = 0;
  int cell_scale = 0;  // cell state scale = 2^cell_scale
  int16_t cell_clip = 0;
  int8_t proj_clip = 0;
  int output_state_input = -1;
  int cell_state_input = -1;
  std::vector<Tensor> keep;  // constants the pointers above point into
};

namespace {

const char* const kGate[4] = {"input", "forget", "cell", "output"};

Multiplier Quantize(float real) {
  Multiplier r;
  QuantizeMultiplier(static_cast<double>(real), &r.m, &r.shift);
  return r;
}

// A constant operand of the expected kind and shape (absent: index -1).
absl::StatusOr<rnn::Operand> Read(OpBuilder& b, int index, std::vector<int64_t> dims,
                                  rnn::OperandKind kind, const std::string& what, bool required) {
  // An index outside the layout reads as an absent input.
  const size_t i = index < 0 ? b.inputs().size() : static_cast<size_t>(index);
  return rnn::ReadOperand(b, i, std::move(dims), kind, what.c_str(), required);
}

// bias[r] (when given) + zero_point * sum of row r of w.
std::vector<int32_t> EffectiveBias(const rnn::Operand& w, const rnn::Operand* bias,
                                   int32_t zero_point) {
  const int64_t rows = w.dims[0];
  std::vector<int32_t> out(static_cast<size_t>(rows), 0);
  for (int64_t r = 0; r < rows; ++r) {
    const int32_t base = bias && bias->present() ? bias->constant.data<int32_t>()[r] : 0;
    out[r] = base + zero_point * w.row_sums[r];
  }
  return out;
}

// The scale (and zero point) of the operator's intermediate tensor k.
absl::Status IntermediateQuant(const OpBuilder& b, int k, float* scale, int32_t* zp) {
  const auto* inter = b.op().intermediates();
  if (!inter || inter->size() != 5) {
    return b.Unsupported(
        absl::StrCat("full-integer LSTM with ", inter ? inter->size() : 0,
                     " intermediate tensors (TFLite's 8x8->16 integer LSTM has 5)"));
  }
  const QuantParams q = b.Quant(inter->Get(k));
  if (!q.present() || !(q.scale[0] > 0) || !std::isfinite(q.scale[0])) {
    return b.Error(absl::StrCat("intermediate tensor ", k, " has no quantization scale"));
  }
  *scale = q.scale[0];
  *zp = static_cast<int32_t>(q.zero_point[0]);
  return absl::OkStatus();
}

// Scale and zero point of input i (a non-constant int8/int16 activation or state).
absl::Status ActivationQuant(const OpBuilder& b, size_t i, const char* what, float* scale,
                             int32_t* zp) {
  const QuantParams q = b.InputQuant(i);
  if (!q.present() || q.scale.size() != 1 || !(q.scale[0] > 0) || !std::isfinite(q.scale[0])) {
    return b.Error(absl::StrCat(what, " (input ", i, ") needs one valid quantization scale"));
  }
  *scale = q.scale[0];
  *zp = static_cast<int32_t>(q.zero_point[0]);
  return absl::OkStatus();
}

struct Scales {
  float input = 1, output_state = 1, intermediate[5] = {1, 1, 1, 1, 1};
  int32_t input_zp = 0, hidden_zp = 0;
};

// Reads one gate's operands and computes its effective scales and biases.
absl::Status PrepareGate(OpBuilder& b, const DirectionLayout& l, int g, bool layer_norm,
                         bool peephole, const Scales& s, IntegerLstm* p) {
  const int64_t nc = p->dims.n_cell, ni = p->dims.n_input, no = p->dims.n_output;
  const std::string gate = kGate[g];
  using K = rnn::OperandKind;
  TFM_ASSIGN_OR_RETURN(rnn::Operand wx, Read(b, l.input_weights[g], {nc, ni}, K::kInt8,
                                             gate + " input weights", true));
  TFM_ASSIGN_OR_RETURN(rnn::Operand wh, Read(b, l.recurrent_weights[g], {nc, no}, K::kInt8,
                                             gate + " recurrent weights", true));
  TFM_ASSIGN_OR_RETURN(rnn::Operand bias,
                       Read(b, l.bias[g], {nc}, K::kInt32, gate + " gate bias", true));
  IntegerGate& q = p->gates[g];
  const float inter = s.intermediate[g];
  q.input_w = wx.constant.data<int8_t>();
  q.recurrent_w = wh.constant.data<int8_t>();
  q.input_scale = Quantize(wx.scale * s.input / inter);
  q.recurrent_scale = Quantize(wh.scale * s.output_state / inter);
  q.input_bias = EffectiveBias(wx, layer_norm ? nullptr : &bias, -s.input_zp);
  q.recurrent_bias = EffectiveBias(wh, nullptr, -p->output_state_zp);
  if (peephole && l.peephole[g] >= 0) {
    TFM_ASSIGN_OR_RETURN(rnn::Operand w,
                         Read(b, l.peephole[g], {nc}, K::kInt16, gate + " peephole weights", true));
    q.peephole = w.constant.data<int16_t>();
    q.peephole_scale =
        Quantize(std::pow(2.0f, static_cast<float>(p->cell_scale)) * w.scale / inter);
    p->keep.push_back(w.constant);
  }
  if (layer_norm) {
    TFM_ASSIGN_OR_RETURN(rnn::Operand w, Read(b, l.layer_norm[g], {nc}, K::kInt16,
                                              gate + " layer norm coefficients", true));
    q.layer_norm = w.constant.data<int16_t>();
    q.layer_norm_bias = bias.constant.data<int32_t>();
    q.layer_norm_scale = Quantize(w.scale);
    q.variance_guard = std::max(1, static_cast<int32_t>(10000 * w.scale));
    p->keep.push_back(w.constant);
  }
  p->keep.push_back(wx.constant);
  p->keep.push_back(wh.constant);
  p->keep.push_back(bias.constant);
  return absl::OkStatus();
}

// out[r] = sat16(out[r] + rescale(bias[r] + sum_c w[r][c] x[c])), TFLite's int8 x int8 ->
// int16 MatrixBatchVectorMultiplyAccumulate for one row.
void MatMulAccumulate(const int8_t* w, const int32_t* bias, Multiplier m, const int8_t* x,
                      int64_t rows, int64_t cols, int16_t* out) {
  for (int64_t r = 0; r < rows; ++r) {
    const int8_t* wr = w + r * cols;
    int32_t acc = bias[r];
    for (int64_t c = 0; c < cols; ++c) acc += static_cast<int32_t>(wr[c]) * x[c];
    acc = MultiplyByQuantizedMultiplier(acc, m.m, m.shift) + out[r];
    out[r] = SaturateInt16(acc);
  }
}

// Pre-activation of gate g in `out` (int16, the gate's intermediate scale), then the
// activation: sigmoid, or tanh for the cell gate (Q3.12 in, Q0.15 out).
void GateStep(const IntegerLstm& p, int g, const int8_t* x, const int8_t* h, const int16_t* c,
              int16_t* out) {
  const IntegerGate& q = p.gates[g];
  const int64_t n = p.dims.n_cell;
  std::fill_n(out, n, int16_t{0});
  MatMulAccumulate(q.input_w, q.input_bias.data(), q.input_scale, x, n, p.dims.n_input, out);
  MatMulAccumulate(q.recurrent_w, q.recurrent_bias.data(), q.recurrent_scale, h, n, p.dims.n_output,
                   out);
  if (q.peephole) {
    for (int64_t i = 0; i < n; ++i) {
      const int32_t prod = MultiplyByQuantizedMultiplier(
          static_cast<int32_t>(q.peephole[i]) * c[i], q.peephole_scale.m, q.peephole_scale.shift);
      out[i] = SaturateInt16(static_cast<int32_t>(out[i]) + prod);
    }
  }
  if (q.layer_norm) {
    IntegerLayerNorm(out, q.layer_norm, q.layer_norm_bias, q.layer_norm_scale.m,
                     q.layer_norm_scale.shift, q.variance_guard, static_cast<int>(n), out);
  }
  for (int64_t i = 0; i < n; ++i) {
    out[i] = g == kCellGate ? FixedTanh16(out[i], 3) : FixedLogistic16(out[i], 3);
  }
}

struct Scratch {
  std::vector<int16_t> gate[4];
  std::vector<int16_t> tanh_c;
  std::vector<int8_t> hidden;
};

// One time step of one batch row: h (int8 [n_output]) and c (int16 [n_cell]) are updated in
// place; out receives the new h.
void Step(const IntegerLstm& p, const int8_t* x, int8_t* h, int16_t* c, int8_t* out, Scratch* s) {
  const int64_t n = p.dims.n_cell;
  int16_t* ig = s->gate[kInputGate].data();
  int16_t* fg = s->gate[kForgetGate].data();
  int16_t* cg = s->gate[kCellGate].data();
  int16_t* og = s->gate[kOutputGate].data();
  GateStep(p, kForgetGate, x, h, c, fg);
  GateStep(p, kCellGate, x, h, c, cg);
  if (p.cifg) {
    for (int64_t i = 0; i < n; ++i) ig[i] = static_cast<int16_t>(32767 - fg[i]);
  } else {
    GateStep(p, kInputGate, x, h, c, ig);
  }
  // c = f * c (Q0.15 x cell) + i * g (Q0.15 x Q0.15 rescaled to the cell scale).
  const int ig_shift = 30 + p.cell_scale;
  for (int64_t i = 0; i < n; ++i) {
    const int16_t kept =
        static_cast<int16_t>(RoundingDivideByPOT(static_cast<int32_t>(fg[i]) * c[i], 15));
    const int16_t added =
        static_cast<int16_t>(RoundingDivideByPOT(static_cast<int32_t>(ig[i]) * cg[i], ig_shift));
    c[i] = SaturateInt16(static_cast<int32_t>(kept) + added);
    if (p.cell_clip > 0) c[i] = std::clamp<int16_t>(c[i], -p.cell_clip, p.cell_clip);
  }
  GateStep(p, kOutputGate, x, h, c, og);
  // hidden = o * tanh(c), to int8 with the hidden intermediate's scale and zero point.
  for (int64_t i = 0; i < n; ++i) {
    const int16_t t = FixedTanh16(c[i], 15 + p.cell_scale);
    int32_t v = MultiplyByQuantizedMultiplier(static_cast<int32_t>(og[i]) * t, p.hidden_scale.m,
                                              p.hidden_scale.shift);
    v += p.hidden_zp;
    s->hidden[i] = static_cast<int8_t>(std::clamp(v, -128, 127));
  }
  const int64_t no = p.dims.n_output;
  if (p.projection) {
    for (int64_t r = 0; r < no; ++r) {
      const int8_t* wr = p.projection + r * n;
      int32_t acc = p.projection_bias[r];
      for (int64_t k = 0; k < n; ++k) acc += static_cast<int32_t>(wr[k]) * s->hidden[k];
      acc = MultiplyByQuantizedMultiplier(acc, p.projection_scale.m, p.projection_scale.shift) +
            p.output_state_zp;
      int8_t v = static_cast<int8_t>(std::clamp(acc, -128, 127));
      if (p.proj_clip > 0) v = std::clamp<int8_t>(v, -p.proj_clip, p.proj_clip);
      out[r] = v;
    }
  } else {
    std::copy_n(s->hidden.data(), no, out);
  }
  std::copy_n(out, no, h);
}

// Cell state scale, clipping values, intermediates and the input / output state scales.
absl::Status PrepareScales(OpBuilder& b, const DirectionLayout& l, bool layer_norm, float cell_clip,
                           float proj_clip, Scales* s, IntegerLstm* p) {
  if (b.input_type(l.output_state) != DType::kInt8 || b.input_type(l.cell_state) != DType::kInt16) {
    return b.Unsupported(absl::StrCat(
        "full-integer LSTM with ", DTypeName(b.input_type(l.output_state)), " output state and ",
        DTypeName(b.input_type(l.cell_state)), " cell state (expected int8 and int16)"));
  }
  if (b.output_type(0) != DType::kInt8) return b.Error("output must be int8");
  TFM_RETURN_IF_ERROR(ActivationQuant(b, 0, "input", &s->input, &s->input_zp));
  TFM_RETURN_IF_ERROR(
      ActivationQuant(b, l.output_state, "output state", &s->output_state, &p->output_state_zp));
  float cell_scale = 1;
  int32_t cell_zp = 0;
  TFM_RETURN_IF_ERROR(ActivationQuant(b, l.cell_state, "cell state", &cell_scale, &cell_zp));
  if (!CheckedLog2(cell_scale, &p->cell_scale)) {
    return b.Unsupported(absl::StrCat("cell state scale ", cell_scale, " is not a power of two"));
  }
  // tanh(c) reads the cell state as a fixed-point value with 15 + cell_scale integer bits.
  if (p->cell_scale < -15 || p->cell_scale > -9) {
    return b.Unsupported(absl::StrCat("cell state scale 2^", p->cell_scale,
                                      " (TFLite's integer LSTM needs 2^-15 .. 2^-9)"));
  }
  for (int k = 0; k < 4; ++k) {
    int32_t zp = 0;
    if (layer_norm) {
      TFM_RETURN_IF_ERROR(IntermediateQuant(b, k, &s->intermediate[k], &zp));
    } else {
      s->intermediate[k] = std::pow(2.0f, -12.0f);  // Q3.12
    }
  }
  TFM_RETURN_IF_ERROR(IntermediateQuant(b, 4, &s->intermediate[4], &s->hidden_zp));
  p->hidden_zp = s->hidden_zp;
  p->hidden_scale = Quantize(std::pow(2.0f, -15.0f) / s->intermediate[4] * std::pow(2.0f, -15.0f));
  if (cell_clip > 0) {
    p->cell_clip = static_cast<int16_t>(std::clamp(cell_clip / cell_scale, -32768.0f, 32767.0f));
  }
  if (proj_clip > 0) {
    const QuantParams oq = b.OutputQuant(0);
    if (!oq.present() || !(oq.scale[0] > 0)) return b.Error("output has no quantization scale");
    p->proj_clip = static_cast<int8_t>(std::clamp(proj_clip / oq.scale[0], -128.0f, 127.0f));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const IntegerLstm>> PrepareIntegerLstm(
    OpBuilder& b, const DirectionLayout& l, const Dims& dims, float cell_clip, float proj_clip) {
  auto p = std::make_shared<IntegerLstm>();
  p->dims = dims;
  p->output_state_input = l.output_state;
  p->cell_state_input = l.cell_state;
  if (!b.has_input(l.output_state) || !b.has_input(l.cell_state)) {
    return b.Error("the output state and cell state inputs are required");
  }
  const bool layer_norm = b.inputs().size() == 24 && l.layer_norm[kForgetGate] >= 0 &&
                          b.has_input(l.layer_norm[kForgetGate]);
  p->cifg = !b.has_input(l.input_weights[kInputGate]);
  const bool peephole = b.has_input(l.peephole[kOutputGate]);
  Scales s;
  TFM_RETURN_IF_ERROR(PrepareScales(b, l, layer_norm, cell_clip, proj_clip, &s, p.get()));
  for (int g = 0; g < 4; ++g) {
    if (g == kInputGate && p->cifg) {
      if (b.has_input(l.recurrent_weights[g]) || b.has_input(l.bias[g])) {
        return b.Error("CIFG LSTM (no input-to-input weights) with other input gate tensors");
      }
      continue;
    }
    TFM_RETURN_IF_ERROR(PrepareGate(b, l, g, layer_norm, peephole, s, p.get()));
  }
  const int64_t nc = dims.n_cell, no = dims.n_output;
  TFM_ASSIGN_OR_RETURN(rnn::Operand proj,
                       Read(b, l.projection_weights, {no, nc}, rnn::OperandKind::kInt8,
                            "projection weights", false));
  TFM_ASSIGN_OR_RETURN(
      rnn::Operand proj_bias,
      Read(b, l.projection_bias, {no}, rnn::OperandKind::kInt32, "projection bias", false));
  if (proj.present()) {
    p->projection = proj.constant.data<int8_t>();
    p->projection_scale = Quantize(proj.scale * s.intermediate[4] / s.output_state);
    // The hidden value carries its zero point (q = v / scale + zp); the projection removes it.
    p->projection_bias = EffectiveBias(proj, &proj_bias, -s.hidden_zp);
    p->keep.push_back(proj.constant);
    if (proj_bias.present()) p->keep.push_back(proj_bias.constant);
  } else if (proj_bias.present()) {
    return b.Error("projection bias without projection weights");
  } else if (no != nc) {
    return b.Error(absl::StrCat("output size ", no, " differs from ", nc,
                                " units without projection weights"));
  }
  return std::shared_ptr<const IntegerLstm>(std::move(p));
}

absl::Status RunIntegerLstm(const IntegerLstm& p, const std::vector<const Tensor*>& in,
                            const Tensor& input, bool time_major, Tensor* out) {
  if (input.dtype() != DType::kInt8 || (input.rank() != 2 && input.rank() != 3) ||
      input.dim(input.rank() - 1) != p.dims.n_input) {
    return absl::InvalidArgumentError(
        absl::StrCat("input is ", DTypeName(input.dtype()), " ", input.shape().ToString(),
                     ", expected int8 of rank 2 or 3 with depth ", p.dims.n_input));
  }
  const bool sequence = input.rank() == 3;
  const int64_t times = sequence ? (time_major ? input.dim(0) : input.dim(1)) : 1;
  const int64_t batches = sequence ? (time_major ? input.dim(1) : input.dim(0)) : input.dim(0);
  const int64_t no = p.dims.n_output, nc = p.dims.n_cell;
  TFM_ASSIGN_OR_RETURN(
      std::vector<int8_t> h,
      rnn::ReadState<int8_t>(in, p.output_state_input, DType::kInt8, batches * no, "output state"));
  TFM_ASSIGN_OR_RETURN(
      std::vector<int16_t> c,
      rnn::ReadState<int16_t>(in, p.cell_state_input, DType::kInt16, batches * nc, "cell state"));
  std::vector<int64_t> dims(input.shape().dim_sizes().begin(), input.shape().dim_sizes().end());
  dims.back() = no;
  Tensor r(DType::kInt8, TensorShape(dims));
  Scratch s;
  for (auto& g : s.gate) g.assign(static_cast<size_t>(nc), 0);
  s.hidden.assign(static_cast<size_t>(nc), 0);
  const bool tm = !sequence || time_major;
  for (int64_t b = 0; b < batches; ++b) {
    for (int64_t t = 0; t < times; ++t) {
      const int64_t row = rnn::SequenceRow(tm, batches, times, b, t);
      Step(p, input.data<int8_t>() + row * p.dims.n_input, &h[b * no], &c[b * nc],
           r.data<int8_t>() + row * no, &s);
    }
  }
  *out = std::move(r);
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite::lstm
