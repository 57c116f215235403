// Tests for the random kernels: Philox known-answer vectors, value ranges, seed
// determinism and nondeterminism with seed = seed2 = 0.
#include <array>
#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "test_util.h"

namespace tfmodel::runtime {

std::array<uint32_t, 4> PhiloxBlockForTest(std::array<uint32_t, 4> counter, uint32_t k0,
                                           uint32_t k1);

namespace {

using testing::AttrI;
using testing::Attrs;
using testing::AttrType;
using ::testing::HasSubstr;
using testing::RunKernel;

TEST(PhiloxTest, KnownAnswerVectors) {
  // Random123's kat_vectors for philox4x32-10.
  auto z = PhiloxBlockForTest({0, 0, 0, 0}, 0, 0);
  EXPECT_EQ(z, (std::array<uint32_t, 4>{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}));
  auto f = PhiloxBlockForTest({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, 0xffffffffu,
                              0xffffffffu);
  EXPECT_EQ(f, (std::array<uint32_t, 4>{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}));
  auto p = PhiloxBlockForTest({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}, 0xa4093822u,
                              0x299f31d0u);
  EXPECT_EQ(p, (std::array<uint32_t, 4>{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}));
}

Tensor Shape(std::vector<int32_t> v) { return Tensor::FromVector(v); }

Tensor RunOne(const std::string& op, const std::vector<Tensor>& in, const Attrs& attrs) {
  auto r = RunKernel(op, in, attrs);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? (*r)[0] : Tensor();
}

Attrs Seeded(DType dtype, int64_t seed, int64_t seed2) {
  return {{"dtype", AttrType(dtype)}, {"seed", AttrI(seed)}, {"seed2", AttrI(seed2)}};
}

TEST(RandomUniformTest, RangeMantissaAndSeeds) {
  Tensor a = RunOne("RandomUniform", {Shape({10, 101})}, Seeded(DType::kFloat, 1, 2));
  ASSERT_EQ(a.shape(), TensorShape({10, 101}));
  double sum = 0;
  for (float u : a.flat<float>()) {
    EXPECT_GE(u, 0.0f);
    EXPECT_LT(u, 1.0f);
    EXPECT_LT(1.0f + u, 2.0f);
    // 23 random mantissa bits: u * 2^23 is an integer.
    EXPECT_EQ(std::ldexp(u, 23), std::floor(std::ldexp(u, 23)));
    sum += u;
  }
  EXPECT_NEAR(sum / a.NumElements(), 0.5, 0.05);
  // A fresh kernel with the same seeds repeats the sequence; other seeds do not.
  Tensor b = RunOne("RandomUniform", {Shape({10, 101})}, Seeded(DType::kFloat, 1, 2));
  testing::ExpectTensorEq(b, a);
  Tensor c = RunOne("RandomUniform", {Shape({10, 101})}, Seeded(DType::kFloat, 1, 3));
  EXPECT_NE(std::memcmp(a.raw_data(), c.raw_data(), a.TotalBytes()), 0);
  // seed = seed2 = 0: nondeterministic.
  Tensor d = RunOne("RandomUniform", {Shape({64})}, Seeded(DType::kFloat, 0, 0));
  Tensor e = RunOne("RandomUniform", {Shape({64})}, Seeded(DType::kFloat, 0, 0));
  EXPECT_NE(std::memcmp(d.raw_data(), e.raw_data(), d.TotalBytes()), 0);
}

TEST(RandomUniformTest, FirstValuesFollowPhilox) {
  // Element i of the first block is the mantissa of Philox(counter {0,0,seed2}, key seed).
  Tensor a = RunOne("RandomUniform", {Shape({4})}, Seeded(DType::kFloat, 0x12345678, 7));
  auto block = PhiloxBlockForTest({0, 0, 7, 0}, 0x12345678u, 0);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(a.data<float>()[i], static_cast<float>(block[i] & 0x7fffff) / 8388608.0f);
  }
}

TEST(RandomUniformTest, DoubleAndHalf) {
  Tensor d = RunOne("RandomUniform", {Shape({257})}, Seeded(DType::kDouble, 3, 4));
  for (double u : d.flat<double>()) {
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
  }
  Tensor h = RunOne("RandomUniform", {Shape({33})}, Seeded(DType::kHalf, 3, 4));
  for (int64_t i = 0; i < h.NumElements(); ++i) {
    float v = h.data<Half>()[i].ToFloat();
    EXPECT_GE(v, 0.0f);
    EXPECT_LT(v, 1.0f);
  }
}

TEST(RandomNormalTest, MomentsAndTruncation) {
  Tensor n = RunOne("RandomStandardNormal", {Shape({20000})}, Seeded(DType::kFloat, 5, 6));
  double sum = 0, sq = 0;
  for (float v : n.flat<float>()) {
    sum += v;
    sq += double(v) * v;
  }
  const double mean = sum / n.NumElements();
  EXPECT_NEAR(mean, 0.0, 0.05);
  EXPECT_NEAR(sq / n.NumElements() - mean * mean, 1.0, 0.05);

  Tensor t = RunOne("TruncatedNormal", {Shape({4001})}, Seeded(DType::kFloat, 5, 6));
  double tsum = 0;
  for (float v : t.flat<float>()) {
    EXPECT_LT(std::fabs(v), 2.0f);
    tsum += v;
  }
  EXPECT_NEAR(tsum / t.NumElements(), 0.0, 0.08);
  Tensor td = RunOne("TruncatedNormal", {Shape({301})}, Seeded(DType::kDouble, 5, 6));
  for (double v : td.flat<double>()) EXPECT_LT(std::fabs(v), 2.0);
  Tensor nd = RunOne("RandomStandardNormal", {Shape({3})}, Seeded(DType::kDouble, 5, 6));
  EXPECT_EQ(nd.dtype(), DType::kDouble);
}

TEST(RandomUniformIntTest, RangeAndErrors) {
  Attrs a = {{"seed", AttrI(9)}, {"seed2", AttrI(1)}};
  Tensor x = RunOne("RandomUniformInt",
                    {Shape({1000}), Tensor::Scalar<int32_t>(-3), Tensor::Scalar<int32_t>(4)}, a);
  bool seen_lo = false, seen_hi = false;
  for (int32_t v : x.flat<int32_t>()) {
    EXPECT_GE(v, -3);
    EXPECT_LT(v, 4);
    seen_lo |= v == -3;
    seen_hi |= v == 3;
  }
  EXPECT_TRUE(seen_lo && seen_hi);
  Tensor y = RunOne(
      "RandomUniformInt",
      {Shape({5}), Tensor::Scalar<int64_t>(INT64_MIN), Tensor::Scalar<int64_t>(INT64_MAX)}, a);
  EXPECT_EQ(y.dtype(), DType::kInt64);
  auto r = RunKernel("RandomUniformInt",
                     {Shape({2}), Tensor::Scalar<int32_t>(4), Tensor::Scalar<int32_t>(4)}, a);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("Need minval < maxval: 4 >= 4"));
  r = RunKernel("RandomUniform", {Shape({-1})}, Seeded(DType::kFloat, 1, 1));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("node 'k' (RandomUniform)"));
  r = RunKernel("RandomUniform", {Shape({1})}, Seeded(DType::kInt32, 1, 1));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("dtype must be a floating type"));
}

}  // namespace
}  // namespace tfmodel::runtime
