#include "tflite/lstm_math.h"

#include <cmath>
#include <limits>

#include "tflite/quant_math.h"

namespace tfmodel::tflite {
namespace {

// int16 fixed point as gemmlowp computes it: additions wrap (int16 arithmetic), products
// are rounding doubling high multiplies, shifts by powers of two round or saturate.
using Raw = int16_t;

Raw Wrap(int32_t v) { return static_cast<Raw>(v); }

Raw HighMul(Raw a, Raw b) {
  if (a == b && a == std::numeric_limits<Raw>::min()) return std::numeric_limits<Raw>::max();
  const int32_t ab = static_cast<int32_t>(a) * static_cast<int32_t>(b);
  const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  return Wrap((ab + nudge) / (1 << 15));
}

Raw DivideByPOT(Raw x, int exponent) {
  if (exponent <= 0) return x;
  const int32_t mask = (1 << exponent) - 1;
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return Wrap((x >> exponent) + (remainder > threshold ? 1 : 0));
}

// x * 2^exponent: saturating for positive exponents, rounding for negative ones.
Raw MulByPOT(Raw x, int exponent) {
  if (exponent <= 0) return DivideByPOT(x, -exponent);
  const int32_t threshold = (1 << (15 - exponent)) - 1;
  if (x > threshold) return std::numeric_limits<Raw>::max();
  if (x < -threshold) return std::numeric_limits<Raw>::min();
  return Wrap(x * (1 << exponent));
}

// A value with `from` integer bits re-expressed with `to` integer bits.
Raw Rescale(Raw x, int from, int to) { return MulByPOT(x, from - to); }

Raw SaturatingAdd(Raw a, Raw b) { return SaturateInt16(static_cast<int32_t>(a) + b); }

Raw RoundingHalfSum(Raw a, Raw b) {
  const int32_t sum = static_cast<int32_t>(a) + b;
  return Wrap((sum + (sum >= 0 ? 1 : -1)) / 2);
}

// gemmlowp writes its constants as 32-bit fixed-point raws; int16 uses their top half.
Raw Constant(int32_t raw32) { return Wrap(RoundingDivideByPOT(raw32, 16)); }

Raw One(int integer_bits) {
  return integer_bits == 0 ? std::numeric_limits<Raw>::max() : Raw(1 << (15 - integer_bits));
}

// exp(a) for a Q0.15 value a in [-1/4, 0): a Taylor expansion around -1/8.
Raw ExpOnQuarterInterval(Raw a) {
  const Raw exp_minus_one_eighth = Constant(1895147668);
  const Raw one_third = Constant(715827883);
  const Raw x = Wrap(a + (1 << 12));  // a + 1/8
  const Raw x2 = HighMul(x, x);
  const Raw x3 = HighMul(x2, x);
  const Raw x4 = HighMul(x2, x2);
  const Raw x4_over_4 = MulByPOT(x4, -2);
  const Raw poly = MulByPOT(Wrap(HighMul(Wrap(x4_over_4 + x3), one_third) + x2), -1);
  return SaturatingAdd(exp_minus_one_eighth, HighMul(exp_minus_one_eighth, Wrap(x + poly)));
}

// exp(a) for a <= 0 with `ib` integer bits, as a Q0.15 value.
Raw ExpOnNegativeValues(Raw a, int ib) {
  const int fb = 15 - ib;
  const Raw quarter = Raw(1 << (fb - 2));
  const Raw mask = Wrap(quarter - 1);
  const Raw a_mod_quarter_minus_quarter = Wrap((a & mask) - quarter);
  Raw result = ExpOnQuarterInterval(Rescale(a_mod_quarter_minus_quarter, ib, 0));
  const Raw remainder = Wrap(a_mod_quarter_minus_quarter - a);
  // exp(-2^e) for e = -2 .. 4, as 32-bit Q0.31 raws.
  static constexpr int32_t kExpMinusPOT[] = {1672461947, 1302514674, 790015084, 290630308,
                                             39332535,   720401,     242};
  for (int k = 0; k < 7; ++k) {
    const int e = k - 2;
    if (ib > e && (remainder & (1 << (fb + e))) != 0) {
      result = HighMul(result, Constant(kExpMinusPOT[k]));
    }
  }
  if (ib > 5) {
    const Raw minus_32 = Constant(-(1 << (36 - ib)));
    if (a < minus_32) result = 0;
  }
  if (a == 0) result = One(0);
  return result;
}

// Newton-Raphson reciprocal of (1 + x) / 2 for a Q0.15 x in (0, 1), as a Q2.13 value.
Raw ReciprocalOfHalfOnePlusX(Raw x) {
  const Raw half_denominator = RoundingHalfSum(x, One(0));
  const Raw c48_over_17 = Constant(1515870810);
  const Raw c_minus_32_over_17 = Constant(-1010580540);
  Raw r = Wrap(c48_over_17 + HighMul(half_denominator, c_minus_32_over_17));
  for (int i = 0; i < 3; ++i) {
    const Raw half_denominator_times_r = HighMul(half_denominator, r);
    const Raw one_minus = Wrap(One(2) - half_denominator_times_r);
    r = Wrap(r + Rescale(HighMul(r, one_minus), 4, 2));
  }
  return r;
}

// (1 - x) / (1 + x) and 1 / (1 + x) for a Q0.15 x in (0, 1), as Q0.15 values.
Raw OneMinusXOverOnePlusX(Raw x) {
  return Rescale(Wrap(ReciprocalOfHalfOnePlusX(x) - One(2)), 2, 0);
}
Raw OneOverOnePlusX(Raw x) { return Rescale(ReciprocalOfHalfOnePlusX(x), 1, 0); }

}  // namespace

int16_t FixedTanh16(int16_t raw, int integer_bits) {
  if (integer_bits < 0 || integer_bits > 6) return 0;
  if (raw == 0) return 0;
  const bool negative = raw < 0;
  const Raw n = negative ? raw : Wrap(-raw);
  // -tanh(n) for n < 0 is (1 - exp(2n)) / (1 + exp(2n)); 2n has one more integer bit.
  const Raw t = OneMinusXOverOnePlusX(ExpOnNegativeValues(n, integer_bits + 1));
  return negative ? Wrap(-t) : t;
}

int16_t FixedLogistic16(int16_t raw, int integer_bits) {
  if (integer_bits < 0 || integer_bits > 6) return 0;
  if (raw == 0) return Raw(1 << 14);  // 0.5
  const bool positive = raw > 0;
  const Raw abs_value = positive ? raw : Wrap(-raw);
  const Raw of_abs = OneOverOnePlusX(ExpOnNegativeValues(Wrap(-abs_value), integer_bits));
  return positive ? of_abs : Wrap(One(0) - of_abs);
}

void InvSqrtQuantizedMultiplier(int32_t input, int reverse_shift, int32_t* multiplier, int* shift) {
  if (input <= 1) {
    *multiplier = std::numeric_limits<int32_t>::max();
    *shift = 0;
    return;
  }
  *shift = 11;
  while (input >= (1 << 29)) {
    input /= 4;
    ++*shift;
  }
  const int leading_zeros = __builtin_clz(static_cast<uint32_t>(input));
  const int left_shift_bit_pairs = (leading_zeros - 1) / 2 - 1;
  *shift -= left_shift_bit_pairs;
  input <<= 2 * left_shift_bit_pairs;
  // Newton-Raphson on 1/sqrt in Q3.28 (int32, 3 integer bits), five iterations from 1.
  auto mul = [](int32_t a, int32_t b) { return SaturatingRoundingDoublingHighMul(a, b); };
  auto rescale_left = [](int32_t x, int bits) {  // saturating x * 2^bits
    const int64_t v = static_cast<int64_t>(x) * (int64_t{1} << bits);
    if (v > std::numeric_limits<int32_t>::max()) return std::numeric_limits<int32_t>::max();
    if (v < std::numeric_limits<int32_t>::min()) return std::numeric_limits<int32_t>::min();
    return static_cast<int32_t>(v);
  };
  const int32_t half_input = RoundingDivideByPOT(input >> 1, 1);
  const int32_t half_three = (1 << 28) + (1 << 27);  // 1.5
  int32_t x = 1 << 28;                               // 1.0
  for (int i = 0; i < 5; ++i) {
    const int32_t x3 = rescale_left(mul(mul(x, x), x), 6);  // Q9 -> Q3
    const int32_t diff = static_cast<int32_t>(static_cast<uint32_t>(mul(half_three, x)) -
                                              static_cast<uint32_t>(mul(half_input, x3)));
    x = rescale_left(diff, 3);  // Q6 -> Q3
  }
  x = mul(x, 1518500250);  // times sqrt(2) / 2 (Q0.31)
  *multiplier = x;
  if (*shift < 0) {
    *multiplier = static_cast<int32_t>(static_cast<uint32_t>(*multiplier) << -*shift);
    *shift = 0;
  }
  *shift *= reverse_shift;
}

bool CheckedLog2(float x, int* log2) {
  const float x_log2 = std::log(x) * (1.0f / std::log(2.0f));
  const float rounded = std::round(x_log2);
  if (!std::isfinite(rounded) || std::abs(rounded) > 64) return false;
  *log2 = static_cast<int>(rounded);
  return std::abs(x_log2 - rounded) < 1e-3f;
}

void IntegerLayerNorm(const int16_t* in, const int16_t* weights, const int32_t* bias,
                      int32_t scale_a, int scale_b, int32_t variance_limit, int n, int16_t* out) {
  if (n <= 0) return;
  constexpr int64_t kTwoToPower20 = 1 << 20;
  int64_t sum = 0;
  int64_t sum_sq = 0;
  for (int j = 0; j < n; ++j) {
    sum += in[j];
    sum_sq += static_cast<int32_t>(in[j]) * in[j];
  }
  const int32_t mean = static_cast<int32_t>(sum * 1024 / n);
  const int64_t temp = kTwoToPower20 / n;
  const int64_t variance = sum_sq * temp - static_cast<int64_t>(mean) * mean;
  int32_t variance2 = static_cast<int32_t>(variance / kTwoToPower20);
  if (variance2 < 1) variance2 = variance_limit;
  int32_t inv_a;
  int inv_b;
  InvSqrtQuantizedMultiplier(variance2, -1, &inv_a, &inv_b);
  for (int j = 0; j < n; ++j) {
    const int32_t shifted = 1024 * static_cast<int32_t>(in[j]) - mean;
    const int32_t rescaled = MultiplyByQuantizedMultiplier(shifted, inv_a, inv_b);
    // TFLite forms this product and sum in int32 (wrapping on overflow).
    const int32_t weighted =
        static_cast<int32_t>(static_cast<uint32_t>(rescaled) * static_cast<uint32_t>(weights[j]) +
                             static_cast<uint32_t>(bias[j]));
    const int64_t val3 = weighted;
    const int32_t val4 = static_cast<int32_t>((val3 > 0 ? val3 + 512 : val3 - 512) / 1024);
    const int32_t val5 = MultiplyByQuantizedMultiplier(val4, scale_a, scale_b + 12);
    out[j] = SaturateInt16(val5);
  }
}

}  // namespace tfmodel::tflite
