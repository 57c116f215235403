// The float and hybrid LSTM cell of TFLite's lstm_eval.cc, for one batch row and one time
// step. Gates (input i, forget f, cell g, output o), each
//   pre = bias + W_x x + W_aux aux + W_h h_prev (+ w_peephole * c)    (i, f: c_prev; o: c_new)
//   with layer norm: pre = normalize(pre without bias) * ln + bias
//   i, f, o = sigmoid(pre); g = activation(pre)
//   c_new = clip(f * c_prev + i * g)         CIFG (no input gate): i = 1 - f
//   h_new = clip(W_proj (o * activation(c_new)) + b_proj)   without projection: o * act(c)
// Hybrid cells (int8 weights) quantize x, aux and h_prev per row before the products, and
// the projection's input likewise; peephole weights are dequantized.
#ifndef TFMODEL_TFLITE_OPS_LSTM_CELL_H_
#define TFMODEL_TFLITE_OPS_LSTM_CELL_H_

#include <cstdint>
#include <vector>

#include "tflite/ops/recurrent.h"

namespace tfmodel::tflite::lstm {

enum GateIndex { kInputGate = 0, kForgetGate = 1, kCellGate = 2, kOutputGate = 3 };

struct GateParams {
  rnn::Matrix input;                  // [n_cell, n_input]
  rnn::Matrix aux;                    // [n_cell, n_aux], absent without an auxiliary input
  rnn::Matrix recurrent;              // [n_cell, n_output]
  const float* peephole = nullptr;    // [n_cell]
  const float* layer_norm = nullptr;  // [n_cell]
  const float* bias = nullptr;        // [n_cell]
};

struct CellParams {
  int64_t n_input = 0, n_aux = 0, n_cell = 0, n_output = 0;
  bool cifg = false;  // no input gate
  GateParams gates[4];
  rnn::Matrix projection;                  // [n_output, n_cell] or absent
  const float* projection_bias = nullptr;  // [n_output]
  rnn::Activation activation = rnn::Activation::kTanh;
  float cell_clip = 0.0f;  // 0 = none
  float proj_clip = 0.0f;
  bool asymmetric_quantize_inputs = false;  // hybrid cells
};

// Buffers reused across steps.
struct CellScratch {
  std::vector<float> gate[4];
  std::vector<float> hidden;
  rnn::QuantizedRow qx, qaux, qh, qhidden;
};

// One step: x [n_input], aux [n_aux] (or null), h [n_output] and c [n_cell] updated in
// place; out [n_output] receives the new h.
void CellStep(const CellParams& p, const float* x, const float* aux, float* h, float* c, float* out,
              CellScratch* s);

// TFLite's MeanStddevNormalization of one row: (v - mean) / sqrt(variance + 1e-8).
void MeanStddevNormalize(float* v, int64_t n);

}  // namespace tfmodel::tflite::lstm

#endif  // TFMODEL_TFLITE_OPS_LSTM_CELL_H_
