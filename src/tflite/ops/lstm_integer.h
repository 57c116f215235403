// TFLite's full-integer LSTM ("8x8->16": int8 input, weights and output state, int16 cell
// state and gates, int32 biases) for LSTM and UNIDIRECTIONAL_SEQUENCE_LSTM, after
// lstm_eval.cc's EvalInteger8x8_16 and the PopulateQuantizedLstmParams8x8_16 /
// PopulatePrecomputedZPTimesWeightsWithBias preparation:
//   - the operator's 5 `intermediates` give the scales of the four gates' pre-activations
//     (with layer norm; Q3.12 = 2^-12 without) and of the hidden value o * tanh(c);
//   - effective scales (weight scale * input scale / gate scale, ...) are computed at load
//     in float as TFLite does, then turned into fixed-point multipliers;
//   - the zero points of the input and output state are folded into the biases.
// Per step and gate: int16 gate = sat(rescale(W_x x + b_x) + rescale(W_h h + b_h)
// [+ rescale(w_c * c)]), [integer layer norm], then sigmoid (Q3.12 -> Q0.15) or tanh;
// the cell update and output use gemmlowp's int16 fixed-point arithmetic (lstm_math.h).
//
// One difference from TFLite: the hidden value takes its zero point with a plus sign and
// the projection subtracts it again; TFLite's kernels disagree in sign on this when the
// hidden intermediate has a non-zero zero point and a projection follows (converters emit
// zero there).
#ifndef TFMODEL_TFLITE_OPS_LSTM_INTEGER_H_
#define TFMODEL_TFLITE_OPS_LSTM_INTEGER_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "tflite/op_builder.h"
#include "tflite/ops/lstm_layout.h"

namespace tfmodel::tflite::lstm {

struct IntegerLstm;

// Reads and checks an int8 LSTM direction laid out as `layout` (no auxiliary input).
absl::StatusOr<std::shared_ptr<const IntegerLstm>> PrepareIntegerLstm(OpBuilder& b,
                                                                      const DirectionLayout& layout,
                                                                      const Dims& dims,
                                                                      float cell_clip,
                                                                      float proj_clip);

// Runs the sequence `input` ([time, batch, n_input] when time_major, else [batch, time,
// n_input]; [batch, n_input] for `times` == 0) into `out` (same layout, n_output deep).
absl::Status RunIntegerLstm(const IntegerLstm& p, const std::vector<const Tensor*>& in,
                            const Tensor& input, bool time_major, Tensor* out);

}  // namespace tfmodel::tflite::lstm

#endif  // TFMODEL_TFLITE_OPS_LSTM_INTEGER_H_
