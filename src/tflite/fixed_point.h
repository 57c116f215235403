// Q-format fixed-point arithmetic on int32 as TFLite's reference kernels use it (gemmlowp's
// FixedPoint<int32_t, IntegerBits>): a raw int32 r with I integer bits stands for
// r / 2^(31 - I). Products use the saturating rounding doubling high multiply; exp, 1/(1+x)
// and the reciprocal follow gemmlowp's polynomial / Newton-Raphson evaluation bit for bit,
// so quantized SOFTMAX gives TFLite's exact integers.
#ifndef TFMODEL_TFLITE_FIXED_POINT_H_
#define TFMODEL_TFLITE_FIXED_POINT_H_

#include <cstdint>

#include "tflite/quant_math.h"

namespace tfmodel::tflite::fixed {

// Round(a * b / 2^31), saturating the one overflowing case (INT32_MIN * INT32_MIN).
inline int32_t MulHigh(int32_t a, int32_t b) { return SaturatingRoundingDoublingHighMul(a, b); }
// x / 2^exponent rounded to nearest, ties away from zero (quant_math.h).
using ::tfmodel::tflite::RoundingDivideByPOT;
// x * 2^exponent, saturating when exponent > 0, rounding when exponent < 0.
int32_t SaturatingRoundingMultiplyByPOT(int32_t x, int exponent);
// Changes a value's integer bits from `src_bits` to `dst_bits`.
inline int32_t Rescale(int32_t x, int src_bits, int dst_bits) {
  return SaturatingRoundingMultiplyByPOT(x, src_bits - dst_bits);
}

// exp(a) for a <= 0 given with `integer_bits` integer bits; result with 0 integer bits.
int32_t ExpOnNegativeValues(int32_t a, int integer_bits);
// 1 / (1 + a) for a in [0, 1) (0 integer bits in and out).
int32_t OneOverOnePlusX(int32_t a);
// The reciprocal of x (x_integer_bits integer bits, x > 0) as a Q0.31 value scaled by
// 2^-num_bits_over_unit, like TFLite's GetReciprocal.
int32_t GetReciprocal(int32_t x, int x_integer_bits, int* num_bits_over_unit);

// TFLite's CalculateInputRadius: the largest input difference that does not overflow once
// multiplied by 2^input_left_shift into a value with `integer_bits` integer bits.
int CalculateInputRadius(int integer_bits, int input_left_shift, int total_signed_bits = 31);

}  // namespace tfmodel::tflite::fixed

#endif  // TFMODEL_TFLITE_FIXED_POINT_H_
