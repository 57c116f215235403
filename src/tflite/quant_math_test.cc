#include "tflite/quant_math.h"

#include <limits>

#include "gtest/gtest.h"

namespace tfmodel::tflite {
namespace {

using Act = tflite_fb::ActivationFunctionType;

TEST(TfLiteQuantMathTest, QuantizeMultiplier) {
  int32_t q;
  int shift;
  QuantizeMultiplier(0.5, &q, &shift);  // 0.5 = 2^30 * 2^(0 - 31)
  EXPECT_EQ(q, 1 << 30);
  EXPECT_EQ(shift, 0);
  QuantizeMultiplier(3.0, &q, &shift);  // 0.75 * 2^2
  EXPECT_EQ(q, 3 << 29);
  EXPECT_EQ(shift, 2);
  QuantizeMultiplier(0.0, &q, &shift);
  EXPECT_EQ(q, 0);
  QuantizeMultiplier(std::numeric_limits<double>::quiet_NaN(), &q, &shift);
  EXPECT_EQ(q, 0);
  EXPECT_EQ(shift, 0);
  QuantizeMultiplier(1e-20, &q, &shift);  // below 2^-31: zero
  EXPECT_EQ(q, 0);
  QuantizeMultiplier(1e20, &q, &shift);  // above 2^30: saturated
  EXPECT_EQ(q, std::numeric_limits<int32_t>::max());
  EXPECT_EQ(shift, 30);
}

TEST(TfLiteQuantMathTest, MultiplyByQuantizedMultiplierRounding) {
  EXPECT_EQ(MultiplyByQuantizedMultiplier(100, 1 << 30, 0), 50);
  EXPECT_EQ(MultiplyByQuantizedMultiplier(3, 1 << 30, 0), 2);  // 1.5 -> 2
  // The high multiply's nudge (1 - 2^30 for negative products) rounds a negative tie
  // toward zero; the power-of-two division rounds it away from zero.
  EXPECT_EQ(MultiplyByQuantizedMultiplier(-3, 1 << 30, 0), -1);    // -1.5 -> -1
  EXPECT_EQ(MultiplyByQuantizedMultiplier(-22, 1 << 30, -1), -6);  // -5.5 -> -6
  EXPECT_EQ(MultiplyByQuantizedMultiplier(7, 3 << 29, 2), 21);
  // x * 2^shift saturates instead of overflowing.
  EXPECT_EQ(MultiplyByQuantizedMultiplier(std::numeric_limits<int32_t>::max(), 1 << 30, 2),
            1073741824);
}

TEST(TfLiteQuantMathTest, ActivationRange) {
  int32_t lo, hi;
  // uint8, scale 0.1, zero point 10: RELU6 is [q(0), q(6)] = [10, 70].
  QuantizedActivationRange(Act::RELU6, 0.1f, 10, 0, 255, &lo, &hi);
  EXPECT_EQ(lo, 10);
  EXPECT_EQ(hi, 70);
  QuantizedActivationRange(Act::RELU, 0.1f, 10, 0, 255, &lo, &hi);
  EXPECT_EQ(lo, 10);
  EXPECT_EQ(hi, 255);
  QuantizedActivationRange(Act::RELU_N1_TO_1, 0.5f, 0, -128, 127, &lo, &hi);
  EXPECT_EQ(lo, -2);
  EXPECT_EQ(hi, 2);
  // The range never leaves the type's.
  QuantizedActivationRange(Act::RELU6, 0.001f, 0, -128, 127, &lo, &hi);
  EXPECT_EQ(lo, 0);
  EXPECT_EQ(hi, 127);
  QuantizedActivationRange(Act::NONE, 1.0f, 0, -128, 127, &lo, &hi);
  EXPECT_EQ(lo, -128);
  EXPECT_EQ(hi, 127);
}

TEST(TfLiteQuantMathTest, LoadStoreInt8AndUint8) {
  Tensor i8 = Tensor::FromVector<int8_t>({-128, 127});
  Tensor u8 = Tensor::FromVector<uint8_t>({0, 255});
  EXPECT_EQ(LoadQ(i8, 0), -128);
  EXPECT_EQ(LoadQ(u8, 1), 255);
  StoreQ(&i8, 1, -5);
  StoreQ(&u8, 0, 200);
  EXPECT_EQ(i8.data<int8_t>()[1], -5);
  EXPECT_EQ(u8.data<uint8_t>()[0], 200);
  int32_t lo, hi;
  QRange(DType::kUInt8, &lo, &hi);
  EXPECT_EQ(lo, 0);
  EXPECT_EQ(hi, 255);
  EXPECT_TRUE(IsQuantizedType(DType::kInt8));
  EXPECT_FALSE(IsQuantizedType(DType::kInt16));
}

}  // namespace
}  // namespace tfmodel::tflite
