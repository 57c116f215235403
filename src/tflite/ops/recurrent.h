// Shared pieces of TFLite's recurrent builtins (LSTM, RNN, SVDF; tflite/ops/lstm*.cc,
// rnn.cc, svdf.cc):
//   - operands that are constants prepared at load or inputs read per run (float16 models
//     feed LSTM weights through DEQUANTIZE operators), checked against the declared shape;
//   - weight matrices that are float, or int8 with one scale ("hybrid" models: int8 weights,
//     float activations), multiplied as TFLite's portable tensor_utils do;
//   - the per-row int8 quantization hybrid kernels apply to their float inputs
//     (symmetric, or asymmetric with `asymmetric_quantize_inputs`);
//   - activations as TFLite's ApplyActivationToVector.
//
// State: TFLite keeps RNN/LSTM/SVDF state in variable tensors across invocations of one
// interpreter. tfmodel starts every run from the variables' initial values (zeros, or the
// zero point) and drops the updated state at the end, so runs are independent and
// deterministic and one loaded model serves concurrent requests. Streaming models that
// rely on state carried between invocations are not supported.
#ifndef TFMODEL_TFLITE_OPS_RECURRENT_H_
#define TFMODEL_TFLITE_OPS_RECURRENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "format/tflite.h"
#include "tflite/op_builder.h"

namespace tfmodel::tflite::rnn {

enum class Activation { kNone, kRelu, kReluN1To1, kRelu6, kTanh, kSigmoid, kSignBit };

// The fused activation of a recurrent operator (SIGN_BIT is not one TFLite applies there).
absl::StatusOr<Activation> FusedActivation(const OpBuilder& b, tflite_fb::ActivationFunctionType a);
// v[i] = activation(v[i]), i < n.
void Apply(Activation a, float* v, int64_t n);

// The shape a file declares for input i (the constant's shape for constants; empty when
// the input is absent).
std::vector<int64_t> DeclaredDims(const OpBuilder& b, size_t i);

// An operator input: a constant (prepared at load) or a tensor read per run.
struct Operand {
  int index = -1;  // operator input index; -1 = the optional input is absent
  std::string name;
  Tensor constant;            // valid when the input is a constant
  std::vector<int64_t> dims;  // expected shape
  DType dtype = DType::kInvalid;
  float scale = 1.0f;             // int8 weights: value = scale * q (zero point 0)
  std::vector<int32_t> row_sums;  // int8 matrices: sum of each row

  bool present() const { return index >= 0; }
  int64_t size() const;
};

enum class OperandKind {
  kFloat,        // float32
  kFloatOrInt8,  // float32, or constant int8 with one scale (hybrid weights)
  kInt8,         // constant int8 (full-integer weights)
  kInt16,        // constant int16 (integer peephole / layer norm)
  kInt32,        // constant int32 (integer biases)
};

// Reads operator input i, expected to have shape `dims` (every entry known); absent
// optional inputs give an Operand with index -1 when !required.
absl::StatusOr<Operand> ReadOperand(OpBuilder& b, size_t i, std::vector<int64_t> dims,
                                    OperandKind kind, const char* what, bool required);

// The operand's tensor in a run: the constant, or the input after checking dtype and shape.
absl::StatusOr<const Tensor*> Resolve(const Operand& o, const std::vector<const Tensor*>& in);
// Its float data in a run (null when absent).
absl::StatusOr<const float*> FloatData(const Operand& o, const std::vector<const Tensor*>& in);

// A float row quantized to int8 as TFLite's hybrid kernels do (BatchQuantizeFloats on one
// row): symmetric (scale = max|x| / 127, zero point 0) or asymmetric (min/max including 0).
struct QuantizedRow {
  std::vector<int8_t> q;
  float scale = 1.0f;
  int32_t zero_point = 0;
  bool zero = true;  // every input was 0: the products are skipped, as in TFLite
};
void QuantizeRow(const float* x, int64_t n, bool asymmetric, QuantizedRow* out);

// A weight matrix [rows, cols] resolved for a run.
struct Matrix {
  int64_t rows = 0, cols = 0;
  const float* f = nullptr;   // float weights
  const int8_t* q = nullptr;  // int8 weights (hybrid)
  float scale = 1.0f;
  const int32_t* row_sums = nullptr;

  bool present() const { return f != nullptr || q != nullptr; }
  // out[r] += sum_c W[r][c] x[c]. Hybrid matrices use `qx`, x quantized (QuantizeRow):
  // out[r] += (sum_c q[r][c] (qx[c] - zero point)) * qx.scale * scale.
  void Accumulate(const float* x, const QuantizedRow* qx, float* out) const;
};
absl::StatusOr<Matrix> ResolveMatrix(const Operand& o, const std::vector<const Tensor*>& in);

// The initial value of a state input (a variable tensor) as `n` elements of T; the input
// must hold exactly n elements of dtype `dt`.
template <typename T>
absl::StatusOr<std::vector<T>> ReadState(const std::vector<const Tensor*>& in, int index, DType dt,
                                         int64_t n, const char* what);

// Where row (batch b, time t) of a [time, batch, depth] (time_major) or [batch, time, depth]
// sequence starts, in rows.
inline int64_t SequenceRow(bool time_major, int64_t batches, int64_t times, int64_t b, int64_t t) {
  return time_major ? t * batches + b : b * times + t;
}

}  // namespace tfmodel::tflite::rnn

#endif  // TFMODEL_TFLITE_OPS_RECURRENT_H_
