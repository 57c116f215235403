// Where an LSTM direction's tensors are among its operator's inputs (TFLite's
// kernels/lstm_shared.h for LSTM and UNIDIRECTIONAL_SEQUENCE_LSTM; the forward and backward
// halves of BIDIRECTIONAL_SEQUENCE_LSTM's 48 inputs), and the LSTM variants built on it:
// float and hybrid (tflite/ops/lstm_cell.h) and full-integer (tflite/ops/lstm_integer.h).
#ifndef TFMODEL_TFLITE_OPS_LSTM_LAYOUT_H_
#define TFMODEL_TFLITE_OPS_LSTM_LAYOUT_H_

#include <cstdint>

namespace tfmodel::tflite::lstm {

// Operator input indices, per gate (input, forget, cell, output); -1 = not in this layout.
struct DirectionLayout {
  int input_weights[4];
  int recurrent_weights[4];
  int peephole[4];  // cell gate: -1
  int bias[4];
  int projection_weights;
  int projection_bias;
  int output_state;  // variable: h
  int cell_state;    // variable: c
  int layer_norm[4];
  int aux_weights[4];
};

// LSTM and UNIDIRECTIONAL_SEQUENCE_LSTM: 24 inputs (20 in files without layer norm).
inline constexpr DirectionLayout kFullLayout = {
    {1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, -1, 11},  {12, 13, 14, 15}, 16, 17,
    18,           19,           {20, 21, 22, 23}, {-1, -1, -1, -1}};

// BIDIRECTIONAL_SEQUENCE_LSTM: input 0, forward 1-17, backward 18-34, states 35-38,
// auxiliary input 39 with forward (40-43) and backward (44-47) auxiliary weights.
inline constexpr DirectionLayout kForwardLayout = {
    {1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, -1, 11},  {12, 13, 14, 15}, 16, 17,
    35,           36,           {-1, -1, -1, -1}, {40, 41, 42, 43}};
inline constexpr DirectionLayout kBackwardLayout = {
    {18, 19, 20, 21}, {22, 23, 24, 25}, {26, 27, -1, 28}, {29, 30, 31, 32}, 33, 34, 37, 38,
    {-1, -1, -1, -1}, {44, 45, 46, 47}};
inline constexpr int kBidirectionalAuxInput = 39;

// Sizes of one LSTM direction.
struct Dims {
  int64_t n_input = 0;   // input depth
  int64_t n_aux = 0;     // auxiliary input depth (0: none)
  int64_t n_cell = 0;    // units
  int64_t n_output = 0;  // h depth (n_cell without projection)
};

}  // namespace tfmodel::tflite::lstm

#endif  // TFMODEL_TFLITE_OPS_LSTM_LAYOUT_H_
