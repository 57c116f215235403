#include "tflite/ops/lstm_cell.h"

#include <algorithm>
#include <cmath>

namespace tfmodel::tflite::lstm {
namespace {

using rnn::Activation;

struct QuantizedInputs {
  const rnn::QuantizedRow* x;
  const rnn::QuantizedRow* aux;
  const rnn::QuantizedRow* h;
};

// One gate's activation (TFLite's CalculateLstmGateFloat / CalculateLstmGateHybrid).
void ComputeGate(const CellParams& p, const GateParams& g, Activation act, const float* x,
                 const float* aux, const float* h, const float* c, const QuantizedInputs& q,
                 float* out) {
  const int64_t n = p.n_cell;
  if (g.layer_norm) {
    std::fill_n(out, n, 0.0f);
  } else {
    std::copy_n(g.bias, n, out);
  }
  g.input.Accumulate(x, q.x, out);
  if (aux && g.aux.present()) g.aux.Accumulate(aux, q.aux, out);
  g.recurrent.Accumulate(h, q.h, out);
  if (g.peephole && c) {
    for (int64_t i = 0; i < n; ++i) out[i] += g.peephole[i] * c[i];
  }
  if (g.layer_norm) {
    MeanStddevNormalize(out, n);
    for (int64_t i = 0; i < n; ++i) out[i] = g.layer_norm[i] * out[i];
    for (int64_t i = 0; i < n; ++i) out[i] += g.bias[i];
  }
  rnn::Apply(act, out, n);
}

// h_new from c_new and the output gate (CalculateLstmOutputFloat / ...Hybrid).
void ComputeOutput(const CellParams& p, const float* c, const float* output_gate, float* h,
                   CellScratch* s) {
  const int64_t n = p.n_cell;
  s->hidden.assign(c, c + n);
  rnn::Apply(p.activation, s->hidden.data(), n);
  for (int64_t i = 0; i < n; ++i) s->hidden[i] = output_gate[i] * s->hidden[i];
  if (!p.projection.present()) {
    std::copy_n(s->hidden.data(), p.n_output, h);
    return;
  }
  if (p.projection_bias) {
    std::copy_n(p.projection_bias, p.n_output, h);
  } else {
    std::fill_n(h, p.n_output, 0.0f);
  }
  if (p.projection.q) {
    rnn::QuantizeRow(s->hidden.data(), n, p.asymmetric_quantize_inputs, &s->qhidden);
  }
  p.projection.Accumulate(s->hidden.data(), &s->qhidden, h);
  if (p.proj_clip > 0.0f) {
    for (int64_t i = 0; i < p.n_output; ++i) {
      h[i] = std::max(std::min(p.proj_clip, h[i]), -p.proj_clip);
    }
  }
}

}  // namespace

void MeanStddevNormalize(float* v, int64_t n) {
  if (n <= 0) return;
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += v[i];
  const float mean = sum / static_cast<float>(n);
  float sum_diff_sq = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    const float d = v[i] - mean;
    sum_diff_sq += d * d;
  }
  const float variance = sum_diff_sq / static_cast<float>(n);
  const float stddev_inv = 1.0f / std::sqrt(variance + 1e-8f);
  for (int64_t i = 0; i < n; ++i) v[i] = (v[i] - mean) * stddev_inv;
}

void CellStep(const CellParams& p, const float* x, const float* aux, float* h, float* c, float* out,
              CellScratch* s) {
  const int64_t n = p.n_cell;
  for (auto& g : s->gate) g.resize(static_cast<size_t>(n));
  QuantizedInputs q{nullptr, nullptr, nullptr};
  if (p.gates[kForgetGate].input.q) {  // hybrid: quantize each source row once
    const bool asym = p.asymmetric_quantize_inputs;
    rnn::QuantizeRow(x, p.n_input, asym, &s->qx);
    if (aux) rnn::QuantizeRow(aux, p.n_aux, asym, &s->qaux);
    rnn::QuantizeRow(h, p.n_output, asym, &s->qh);
    q = {&s->qx, &s->qaux, &s->qh};
  }
  float* ig = s->gate[kInputGate].data();
  float* fg = s->gate[kForgetGate].data();
  float* cg = s->gate[kCellGate].data();
  float* og = s->gate[kOutputGate].data();
  if (!p.cifg) ComputeGate(p, p.gates[kInputGate], Activation::kSigmoid, x, aux, h, c, q, ig);
  ComputeGate(p, p.gates[kForgetGate], Activation::kSigmoid, x, aux, h, c, q, fg);
  ComputeGate(p, p.gates[kCellGate], p.activation, x, aux, h, nullptr, q, cg);
  // c = f * c + i * g (CIFG: i = 1 - f), then clipping.
  for (int64_t i = 0; i < n; ++i) c[i] = fg[i] * c[i];
  for (int64_t i = 0; i < n; ++i) c[i] += cg[i] * (p.cifg ? 1.0f - fg[i] : ig[i]);
  if (p.cell_clip > 0.0f) {
    for (int64_t i = 0; i < n; ++i) c[i] = std::max(std::min(p.cell_clip, c[i]), -p.cell_clip);
  }
  ComputeGate(p, p.gates[kOutputGate], Activation::kSigmoid, x, aux, h, c, q, og);
  ComputeOutput(p, c, og, h, s);
  std::copy_n(h, p.n_output, out);
}

}  // namespace tfmodel::tflite::lstm
