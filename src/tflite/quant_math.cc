#include "tflite/quant_math.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tfmodel::tflite {

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
