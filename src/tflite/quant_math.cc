#include "tflite/quant_math.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tfmodel::tflite {

int32_t SaturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  if (a == b && a == std::numeric_limits<int32_t>::min()) {
    return std::numeric_limits<int32_t>::max();
  }
  const int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  const int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
  return static_cast<int32_t>((ab + nudge) / (1LL << 31));
}

int32_t RoundingDivideByPOT(int32_t x, int exponent) {
  if (exponent <= 0) return x;
  if (exponent > 31) exponent = 31;
  const int32_t mask = static_cast<int32_t>((1LL << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

void QuantizeMultiplier(double real_multiplier, int32_t* quantized, int* shift) {
  if (real_multiplier == 0.0 || !std::isfinite(real_multiplier)) {
    *quantized = 0;
    *shift = 0;
    return;
  }
  const double q = std::frexp(real_multiplier, shift);
  int64_t q_fixed = static_cast<int64_t>(std::round(q * (1LL << 31)));
  if (q_fixed == (1LL << 31)) {
    q_fixed /= 2;
    ++*shift;
  }
  if (*shift < -31) {
    *shift = 0;
    q_fixed = 0;
  }
  if (*shift > 30) {  // out of TFLite's supported range; saturate
    *shift = 30;
    q_fixed = (1LL << 31) - 1;
  }
  *quantized = static_cast<int32_t>(q_fixed);
}

int32_t MultiplyByQuantizedMultiplier(int32_t x, int32_t quantized, int shift) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  // x * 2^left saturates like TFLite's (x * (1 << left)) on int32 would overflow; clamp.
  int64_t shifted = static_cast<int64_t>(x) * (1LL << left);
  shifted = std::clamp<int64_t>(shifted, std::numeric_limits<int32_t>::min(),
                                std::numeric_limits<int32_t>::max());
  return RoundingDivideByPOT(
      SaturatingRoundingDoublingHighMul(static_cast<int32_t>(shifted), quantized), right);
}

void QuantizedActivationRange(tflite_fb::ActivationFunctionType act, float scale, int32_t zp,
                              int32_t qmin, int32_t qmax, int32_t* lo, int32_t* hi) {
  using Act = tflite_fb::ActivationFunctionType;
  auto q = [&](float f) {
    const double r = std::round(static_cast<double>(f) / scale) + zp;
    return static_cast<int32_t>(std::clamp(r, -2147483648.0, 2147483647.0));
  };
  *lo = qmin;
  *hi = qmax;
  switch (act) {
    case Act::RELU:
      *lo = std::max(qmin, q(0.0f));
      break;
    case Act::RELU6:
      *lo = std::max(qmin, q(0.0f));
      *hi = std::min(qmax, q(6.0f));
      break;
    case Act::RELU_N1_TO_1:
      *lo = std::max(qmin, q(-1.0f));
      *hi = std::min(qmax, q(1.0f));
      break;
    default:
      break;
  }
}

}  // namespace tfmodel::tflite
