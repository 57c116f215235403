// The integer arithmetic of TFLite's full-integer ("8x8->16") LSTM and int16-state SVDF:
// gemmlowp's int16 fixed-point tanh and logistic, TFLite's integer layer normalization and
// inverse square root, and the saturating int16 element-wise steps of the cell update.
//
// Fixed-point values are int16 raw numbers with a number of integer bits m: the value is
// raw * 2^(m - 15) (Q m.(15-m)). The gates of the LSTM are Q3.12 before their activation and
// Q0.15 after it; the cell state is Q(15 + log2(cell scale)).
#ifndef TFMODEL_TFLITE_LSTM_MATH_H_
#define TFMODEL_TFLITE_LSTM_MATH_H_

#include <cstdint>

namespace tfmodel::tflite {

// tanh of a Q(integer_bits) value as a Q0.15 value (gemmlowp::tanh on int16);
// integer_bits in [0, 6] (other values return 0).
int16_t FixedTanh16(int16_t raw, int integer_bits);
// logistic of a Q(integer_bits) value as a Q0.15 value (gemmlowp::logistic on int16);
// integer_bits in [0, 6].
int16_t FixedLogistic16(int16_t raw, int integer_bits);

// TFLite's GetInvSqrtQuantizedMultiplierExp: 1/sqrt(input) as a quantized multiplier and
// shift (times -1 when reverse_shift is -1).
void InvSqrtQuantizedMultiplier(int32_t input, int reverse_shift, int32_t* multiplier, int* shift);

// TFLite's CheckedLog2: true when x is (within 1e-3 in the log) a power of two, whose
// exponent is stored in *log2.
bool CheckedLog2(float x, int* log2);

// One row of TFLite's integer layer normalization (PortableApplyLayerNorm): the int16 gate
// values are normalized, scaled by the int16 coefficients, shifted by the int32 bias and
// rescaled by (scale_a, scale_b) to Q3.12. variance_limit replaces a variance below 1.
void IntegerLayerNorm(const int16_t* in, const int16_t* weights, const int32_t* bias,
                      int32_t scale_a, int scale_b, int32_t variance_limit, int n, int16_t* out);

// x clamped to the int16 range.
inline int16_t SaturateInt16(int64_t x) {
  return static_cast<int16_t>(x < -32768 ? -32768 : (x > 32767 ? 32767 : x));
}

}  // namespace tfmodel::tflite

#endif  // TFMODEL_TFLITE_LSTM_MATH_H_
