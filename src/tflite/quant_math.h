// TFLite's integer arithmetic for quantized (uint8/int8) tensors: fixed-point multipliers
// with TFLite's rounding, the quantized range of a fused activation, and element access
// that treats int8 and uint8 tensors alike (values widened to int32).
//
//   int32_t m; int shift;
//   QuantizeMultiplier(in_scale * w_scale / out_scale, &m, &shift);
//   int32_t q = MultiplyByQuantizedMultiplier(acc, m, shift) + out_zero_point;
#ifndef TFMODEL_TFLITE_QUANT_MATH_H_
#define TFMODEL_TFLITE_QUANT_MATH_H_

#include <algorithm>
#include <cstdint>
#include <limits>

#include "core/tensor.h"
#include "format/tflite.h"

namespace tfmodel::tflite {

// gemmlowp's primitives on int32: round(a * b / 2^31) with -2^31 * -2^31 saturated, and
// x / 2^exponent rounded to nearest (ties away from zero), exponent in [0, 31]. Inline:
// the 8-bit kernels call them once per output element.
inline int32_t SaturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  if (a == b && a == std::numeric_limits<int32_t>::min()) {
    return std::numeric_limits<int32_t>::max();
  }
  const int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  const int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
  return static_cast<int32_t>((ab + nudge) / (1LL << 31));
}
inline int32_t RoundingDivideByPOT(int32_t x, int exponent) {
  if (exponent <= 0) return x;
  if (exponent > 31) exponent = 31;
  const int32_t mask = static_cast<int32_t>((1LL << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// real_multiplier = quantized * 2^(shift - 31), quantized in [2^30, 2^31). 0, NaN and inf
// give 0; shifts outside TFLite's range saturate.
void QuantizeMultiplier(double real_multiplier, int32_t* quantized, int* shift);
// x * real_multiplier with TFLite's (gemmlowp's) rounding: a rounding doubling high
// multiply, then a rounding division by a power of two.
inline int32_t MultiplyByQuantizedMultiplier(int32_t x, int32_t quantized, int shift) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  // x * 2^left saturates like TFLite's (x * (1 << left)) on int32 would overflow; clamp.
  int64_t shifted = static_cast<int64_t>(x) * (1LL << left);
  shifted = std::clamp<int64_t>(shifted, std::numeric_limits<int32_t>::min(),
                                std::numeric_limits<int32_t>::max());
  return RoundingDivideByPOT(
      SaturatingRoundingDoublingHighMul(static_cast<int32_t>(shifted), quantized), right);
}

// TFLite's CalculateActivationRangeQuantized: the [lo, hi] a fused activation clamps to,
// within [qmin, qmax].
void QuantizedActivationRange(tflite_fb::ActivationFunctionType act, float scale, int32_t zp,
                              int32_t qmin, int32_t qmax, int32_t* lo, int32_t* hi);

inline bool IsQuantizedType(DType t) { return t == DType::kInt8 || t == DType::kUInt8; }

// Element i of an int8 or uint8 tensor.
inline int32_t LoadQ(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kInt8 ? static_cast<int32_t>(t.data<int8_t>()[i])
                                   : static_cast<int32_t>(t.data<uint8_t>()[i]);
}
// Stores v (already clamped to the type's range) as element i.
inline void StoreQ(Tensor* t, int64_t i, int32_t v) {
  if (t->dtype() == DType::kInt8) {
    t->data<int8_t>()[i] = static_cast<int8_t>(v);
  } else {
    t->data<uint8_t>()[i] = static_cast<uint8_t>(v);
  }
}
// The value range of int8 or uint8.
inline void QRange(DType t, int32_t* lo, int32_t* hi) {
  if (t == DType::kInt8) {
    *lo = -128;
    *hi = 127;
  } else {
    *lo = 0;
    *hi = 255;
  }
}

}  // namespace tfmodel::tflite

#endif  // TFMODEL_TFLITE_QUANT_MATH_H_
