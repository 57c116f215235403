#include "tflite/fixed_point.h"

#include <cmath>
#include <limits>

namespace tfmodel::tflite::fixed {
namespace {

constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
constexpr int32_t kMin = std::numeric_limits<int32_t>::min();

// (a + b) / 2 rounded half away from zero, without overflow.
int32_t RoundingHalfSum(int32_t a, int32_t b) {
  const int64_t sum = static_cast<int64_t>(a) + b;
  return static_cast<int32_t>((sum + (sum >= 0 ? 1 : -1)) / 2);
}

// exp(a) for a in [-1/4, 0), 0 integer bits: a Taylor expansion around -1/8 in x = a + 1/8.
int32_t ExpOnQuarterInterval(int32_t a) {
  constexpr int32_t kExpMinusOneEighth = 1895147668;  // exp(-1/8)
  constexpr int32_t kOneThird = 715827883;
  const int32_t x = a + (1 << 28);
  const int32_t x2 = MulHigh(x, x);
  const int32_t x3 = MulHigh(x2, x);
  const int32_t x4 = MulHigh(x2, x2);
  const int32_t x4_over_4 = RoundingDivideByPOT(x4, 2);
  const int32_t poly = RoundingDivideByPOT(MulHigh(x4_over_4 + x3, kOneThird) + x2, 1);
  return kExpMinusOneEighth + MulHigh(kExpMinusOneEighth, x + poly);
}

}  // namespace

int32_t SaturatingRoundingMultiplyByPOT(int32_t x, int exponent) {
  if (exponent < 0) return RoundingDivideByPOT(x, -exponent);
  if (exponent == 0) return x;
  const int32_t threshold = static_cast<int32_t>((1LL << (31 - exponent)) - 1);
  if (x > threshold) return kMax;
  if (x < -threshold) return kMin;
  return static_cast<int32_t>(static_cast<int64_t>(x) * (1LL << exponent));
}

int32_t ExpOnNegativeValues(int32_t a, int integer_bits) {
  const int frac_bits = 31 - integer_bits;
  const int32_t one_quarter = 1 << (frac_bits - 2);
  const int32_t a_mod_quarter_minus_quarter = (a & (one_quarter - 1)) - one_quarter;
  int32_t result = ExpOnQuarterInterval(Rescale(a_mod_quarter_minus_quarter, integer_bits, 0));
  const int64_t remainder = static_cast<int64_t>(a_mod_quarter_minus_quarter) - a;
  // exp(-2^k) for k = -2..4 in Q0.31, applied for each set bit of the whole quarters.
  constexpr int32_t kExpOfMinusPowerOfTwo[] = {1672461947, 1302514674, 790015084, 290630308,
                                               39332535,   720401,     242};
  for (int k = -2; k <= 4; ++k) {
    if (integer_bits <= k) break;
    if (remainder & (1LL << (frac_bits + k))) {
      result = MulHigh(result, kExpOfMinusPowerOfTwo[k + 2]);
    }
  }
  if (integer_bits > 5) {
    const int64_t minus_32 = -(1LL << (36 - integer_bits));
    if (a < minus_32) result = 0;
  }
  return a == 0 ? kMax : result;
}

int32_t OneOverOnePlusX(int32_t a) {
  // Newton-Raphson on the half denominator d = (1 + a) / 2 in [1/2, 1), with values of 2
  // integer bits, starting from 48/17 - 32/17 * d.
  constexpr int32_t k48Over17 = 1515870810;
  constexpr int32_t kMinus32Over17 = -1010580540;
  constexpr int32_t kOneQ2 = 1 << 29;
  const int32_t half_denominator = RoundingHalfSum(a, kMax);
  int32_t x = k48Over17 + MulHigh(half_denominator, kMinus32Over17);
  for (int i = 0; i < 3; ++i) {
    const int32_t one_minus_dx = kOneQ2 - MulHigh(half_denominator, x);
    x = x + Rescale(MulHigh(x, one_minus_dx), 4, 2);
  }
  // x approximates 1 / d = 2 / (1 + a); halving it is a change to 1 integer bit.
  return Rescale(x, 1, 0);
}

int32_t GetReciprocal(int32_t x, int x_integer_bits, int* num_bits_over_unit) {
  const uint32_t ux = static_cast<uint32_t>(x);
  int headroom_plus_one = 0;
  while (headroom_plus_one < 32 && !(ux & (0x80000000u >> headroom_plus_one))) {
    ++headroom_plus_one;
  }
  if (headroom_plus_one >= 32) headroom_plus_one = 31;  // x == 0: not reachable from callers
  *num_bits_over_unit = x_integer_bits - headroom_plus_one;
  const int32_t shifted_minus_one =
      static_cast<int32_t>((ux << headroom_plus_one) - (static_cast<uint32_t>(1) << 31));
  return OneOverOnePlusX(shifted_minus_one);
}

int CalculateInputRadius(int integer_bits, int input_left_shift, int total_signed_bits) {
  const double max_input_rescaled = 1.0 * ((1 << integer_bits) - 1) *
                                    static_cast<double>(1LL << (total_signed_bits - integer_bits)) /
                                    static_cast<double>(1LL << input_left_shift);
  return static_cast<int>(std::floor(max_input_rescaled));
}

}  // namespace tfmodel::tflite::fixed
