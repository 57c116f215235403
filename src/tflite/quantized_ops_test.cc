// Quantized (int8/uint8) TFLite builtins on hand-built one-operator models: pooling,
// SOFTMAX, LOGISTIC, TANH, with expected integers worked out by hand from TFLite's
// reference-kernel arithmetic; plus the Q-format helpers they use.
#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util.h"
#include "tflite/fixed_point.h"
#include "tflite_test_util.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using testing::TfLiteModelBuilder;
using TT = fb::TensorType;

template <typename T>
std::vector<int> Ints(const Tensor& t) {
  std::vector<int> v;
  for (int64_t i = 0; i < t.NumElements(); ++i) v.push_back(t.data<T>()[i]);
  return v;
}

fb::BuiltinOptionsUnion PoolOptions(int fh, int fw, int stride, fb::Padding padding,
                                    fb::ActivationFunctionType act) {
  fb::Pool2DOptionsT o;
  o.filter_height = fh;
  o.filter_width = fw;
  o.stride_h = o.stride_w = stride;
  o.padding = padding;
  o.fused_activation_function = act;
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  return u;
}

// A one-operator model x -> y with the given tensor types and quantization.
template <typename T>
absl::StatusOr<std::vector<Tensor>> RunOne(B code, TT type, std::vector<int32_t> in_shape,
                                           float in_scale, int64_t in_zp,
                                           std::vector<int32_t> out_shape, float out_scale,
                                           int64_t out_zp, const std::vector<T>& x,
                                           fb::BuiltinOptionsUnion options = {}) {
  TfLiteModelBuilder b;
  int xi = b.Tensor<T>("x", type, in_shape, {in_scale}, {in_zp});
  int yi = b.Tensor<T>("y", type, out_shape, {out_scale}, {out_zp});
  b.Op(code, {xi}, {yi}, std::move(options));
  TFM_ASSIGN_OR_RETURN(auto m, b.Load({xi}, {yi}));
  std::vector<int64_t> dims(in_shape.begin(), in_shape.end());
  return m->Run({{"x", Tensor::FromVector<T>(x, TensorShape(dims))}}, {"y"}, {});
}

TEST(TfLiteQuantizedOpsTest, AveragePoolRoundsHalfAwayFromZero) {
  // 2x2 windows, stride 2: sums 11 and -11 over 4 elements -> 2.75 -> 3 and -3.
  auto out =
      RunOne<int8_t>(B::AVERAGE_POOL_2D, TT::INT8, {1, 2, 4, 1}, 0.5f, 0, {1, 1, 2, 1}, 0.5f, 0,
                     {1, 2, -1, -2, 3, 5, -3, -5},
                     PoolOptions(2, 2, 2, fb::Padding::VALID, fb::ActivationFunctionType::NONE));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(Ints<int8_t>((*out)[0]), ElementsAre(3, -3));
}

TEST(TfLiteQuantizedOpsTest, AveragePoolSameCountsOnlyInBoundsElements) {
  // 3x3 input 0..8, 2x2 windows, stride 2, SAME: windows {0,1,3,4}, {2,5}, {6,7}, {8}
  // -> 8/4 = 2, 7/2 = 3.5 -> 4, 13/2 = 6.5 -> 7, 8.
  auto out =
      RunOne<uint8_t>(B::AVERAGE_POOL_2D, TT::UINT8, {1, 3, 3, 1}, 0.1f, 3, {1, 2, 2, 1}, 0.1f, 3,
                      {0, 1, 2, 3, 4, 5, 6, 7, 8},
                      PoolOptions(2, 2, 2, fb::Padding::SAME, fb::ActivationFunctionType::NONE));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape(), (TensorShape{1, 2, 2, 1}));
  // With zero point 3, RELU would clamp below 3; NONE keeps 2.
  EXPECT_THAT(Ints<uint8_t>((*out)[0]), ElementsAre(2, 4, 7, 8));
  auto relu =
      RunOne<uint8_t>(B::AVERAGE_POOL_2D, TT::UINT8, {1, 3, 3, 1}, 0.1f, 3, {1, 2, 2, 1}, 0.1f, 3,
                      {0, 1, 2, 3, 4, 5, 6, 7, 8},
                      PoolOptions(2, 2, 2, fb::Padding::SAME, fb::ActivationFunctionType::RELU));
  ASSERT_TRUE(relu.ok()) << relu.status();
  EXPECT_THAT(Ints<uint8_t>((*relu)[0]), ElementsAre(3, 4, 7, 8));
}

TEST(TfLiteQuantizedOpsTest, MaxPoolWithFusedRelu6) {
  // uint8 scale 0.1, zero point 0: RELU6 clamps to q(6) = 60.
  auto out =
      RunOne<uint8_t>(B::MAX_POOL_2D, TT::UINT8, {1, 2, 2, 2}, 0.1f, 0, {1, 1, 1, 2}, 0.1f, 0,
                      {10, 1, 70, 2, 30, 3, 20, 4},
                      PoolOptions(2, 2, 1, fb::Padding::VALID, fb::ActivationFunctionType::RELU6));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(Ints<uint8_t>((*out)[0]), ElementsAre(60, 4));
  auto i8 = RunOne<int8_t>(
      B::MAX_POOL_2D, TT::INT8, {1, 1, 3, 1}, 1.0f, 0, {1, 1, 2, 1}, 1.0f, 0, {-100, -128, -7},
      PoolOptions(1, 2, 1, fb::Padding::VALID, fb::ActivationFunctionType::NONE));
  ASSERT_TRUE(i8.ok()) << i8.status();
  EXPECT_THAT(Ints<int8_t>((*i8)[0]), ElementsAre(-100, -7));
}

TEST(TfLiteQuantizedOpsTest, PoolErrorsNameTheOperator) {
  auto bad = RunOne<int8_t>(
      B::AVERAGE_POOL_2D, TT::INT8, {1, 2, 2, 1}, 1.0f, 0, {1, 1, 1, 1}, 1.0f, 0, {1, 2, 3, 4},
      PoolOptions(0, 2, 1, fb::Padding::VALID, fb::ActivationFunctionType::NONE));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("operator 0 (AVERAGE_POOL_2D)"));
  EXPECT_THAT(bad.status().message(), HasSubstr("must be positive"));
  auto rank =
      RunOne<int8_t>(B::MAX_POOL_2D, TT::INT8, {4}, 1.0f, 0, {4}, 1.0f, 0, {1, 2, 3, 4},
                     PoolOptions(1, 1, 1, fb::Padding::VALID, fb::ActivationFunctionType::NONE));
  ASSERT_FALSE(rank.ok());
  EXPECT_THAT(rank.status().message(), HasSubstr("MAX_POOL_2D): input must be 4-D"));
}

TEST(TfLiteQuantizedOpsTest, SoftmaxInt8EqualLogitsAndOneHot) {
  // Four equal logits: each exp is 1, the Q12.19 sum is 4 * 2^19 = 2^21, its reciprocal
  // 1/4 -> 64/256 each -> -128 + 64 = -64.
  auto eq =
      RunOne<int8_t>(B::SOFTMAX, TT::INT8, {1, 4}, 0.1f, 0, {1, 4}, 1.0f / 256, -128, {7, 7, 7, 7});
  ASSERT_TRUE(eq.ok()) << eq.status();
  EXPECT_THAT(Ints<int8_t>((*eq)[0]), ElementsAre(-64, -64, -64, -64));
  // Scale 1: input_multiplier 2^26 -> left shift 27, radius floor(31 * 2^26 / 2^27) = 15; a
  // difference of -100 is below -15 and gives exactly 0; the maximum alone gives 256/256,
  // saturated to 127. Rows are independent.
  auto hot = RunOne<int8_t>(B::SOFTMAX, TT::INT8, {2, 2}, 1.0f, 0, {2, 2}, 1.0f / 256, -128,
                            {0, -100, 5, 5});
  ASSERT_TRUE(hot.ok()) << hot.status();
  EXPECT_THAT(Ints<int8_t>((*hot)[0]), ElementsAre(127, -128, 0, 0));
}

TEST(TfLiteQuantizedOpsTest, SoftmaxUint8MatchesTheRealSoftmax) {
  // Scale 0.1: logits [1, 0] -> [0.7311, 0.2689] -> 187.2 and 68.8 in 1/256 steps.
  auto out =
      RunOne<uint8_t>(B::SOFTMAX, TT::UINT8, {1, 2}, 0.1f, 100, {1, 2}, 1.0f / 256, 0, {110, 100});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(Ints<uint8_t>((*out)[0]), ElementsAre(187, 69));
  // beta = 2 doubles the logits: [0.8808, 0.1192] -> 225.5 and 30.5.
  fb::SoftmaxOptionsT o;
  o.beta = 2.0f;
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  auto beta = RunOne<uint8_t>(B::SOFTMAX, TT::UINT8, {1, 2}, 0.1f, 100, {1, 2}, 1.0f / 256, 0,
                              {110, 100}, std::move(u));
  ASSERT_TRUE(beta.ok()) << beta.status();
  const auto v = Ints<uint8_t>((*beta)[0]);
  EXPECT_NEAR(v[0], 225.5, 1);
  EXPECT_NEAR(v[1], 30.5, 1);
}

TEST(TfLiteQuantizedOpsTest, SoftmaxNeedsTheFixedOutputQuantization) {
  auto bad = RunOne<int8_t>(B::SOFTMAX, TT::INT8, {1, 2}, 0.1f, 0, {1, 2}, 0.1f, 0, {1, 2});
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::IsUnimplemented(bad.status()));
  EXPECT_THAT(bad.status().message(), HasSubstr("operator 0 (SOFTMAX): output quantization"));
}

TEST(TfLiteQuantizedOpsTest, LogisticUint8AndInt8) {
  // uint8 scale 0.5 zero point 128 -> reals -64, 0, 2, 63.5; sigmoid * 256 = 0, 128,
  // 225.48, 256 (saturated to 255).
  auto u = RunOne<uint8_t>(B::LOGISTIC, TT::UINT8, {4}, 0.5f, 128, {4}, 1.0f / 256, 0,
                           {0, 128, 132, 255});
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_THAT(Ints<uint8_t>((*u)[0]), ElementsAre(0, 128, 225, 255));
  // int8 zero point 0 -> reals 0, 2, -2; 128, 225.48, 30.52 -> minus 128.
  auto i = RunOne<int8_t>(B::LOGISTIC, TT::INT8, {3}, 0.5f, 0, {3}, 1.0f / 256, -128, {0, 4, -4});
  ASSERT_TRUE(i.ok()) << i.status();
  EXPECT_THAT(Ints<int8_t>((*i)[0]), ElementsAre(0, 97, -97));
  auto bad = RunOne<int8_t>(B::LOGISTIC, TT::INT8, {1}, 0.5f, 0, {1}, 0.5f, 0, {0});
  EXPECT_THAT(bad.status().message(), HasSubstr("operator 0 (LOGISTIC): output scale"));
}

TEST(TfLiteQuantizedOpsTest, TanhInt8) {
  // Scale 0.25 -> reals 0, 1, -1, 31.75; tanh * 128 = 0, 97.48, -97.48, 128 (-> 127).
  auto out = RunOne<int8_t>(B::TANH, TT::INT8, {4}, 0.25f, 0, {4}, 1.0f / 128, 0, {0, 4, -4, 127});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(Ints<int8_t>((*out)[0]), ElementsAre(0, 97, -97, 127));
}

// x [1, 1, W, 1] resized to [1, 1, out_w, 1] by `code` with the given options.
template <typename T>
absl::StatusOr<std::vector<T>> Resize1D(B code, TT type, const std::vector<T>& x, int out_w,
                                        bool align_corners, bool half_pixel) {
  TfLiteModelBuilder b;
  const int w = static_cast<int>(x.size());
  const bool q = type != TT::FLOAT32;
  std::vector<float> scale = q ? std::vector<float>{0.5f} : std::vector<float>{};
  std::vector<int64_t> zp = q ? std::vector<int64_t>{0} : std::vector<int64_t>{};
  int xi = b.Tensor<T>("x", type, {1, 1, w, 1}, scale, zp);
  int si = b.Tensor<int32_t>("size", TT::INT32, {2}, {}, {}, 0, {1, out_w});
  int yi = b.Tensor<T>("y", type, {1, 1, out_w, 1}, scale, zp);
  fb::BuiltinOptionsUnion u;
  if (code == B::RESIZE_BILINEAR) {
    fb::ResizeBilinearOptionsT o;
    o.align_corners = align_corners;
    o.half_pixel_centers = half_pixel;
    u.Set(o);
  } else {
    fb::ResizeNearestNeighborOptionsT o;
    o.align_corners = align_corners;
    o.half_pixel_centers = half_pixel;
    u.Set(o);
  }
  b.Op(code, {xi, si}, {yi}, std::move(u));
  TFM_ASSIGN_OR_RETURN(auto m, b.Load({xi}, {yi}));
  TFM_ASSIGN_OR_RETURN(
      auto out, m->Run({{"x", Tensor::FromVector<T>(x, TensorShape{1, 1, w, 1})}}, {"y"}, {}));
  if (out[0].shape() != TensorShape({1, 1, out_w, 1})) {
    return absl::InternalError("bad shape " + out[0].shape().ToString());
  }
  return std::vector<T>(out[0].template data<T>(), out[0].template data<T>() + out_w);
}

TEST(TfLiteQuantizedOpsTest, SubAndMulBroadcast) {
  {
    // int8 scale 0.5: [2, 3] - [1] = [1, 2] -> [2, 4].
    TfLiteModelBuilder b;
    int x = b.Tensor<int8_t>("x", TT::INT8, {2}, {0.5f}, {0});
    int c = b.Tensor<int8_t>("c", TT::INT8, {1}, {0.5f}, {0}, 0, {2});
    int y = b.Tensor<int8_t>("y", TT::INT8, {2}, {0.5f}, {0});
    b.Op(B::SUB, {x, c}, {y});
    auto m = b.Build({x}, {y});
    ASSERT_NE(m, nullptr);
    TFM_ASSERT_OK_AND_ASSIGN(auto out,
                             m->Run({{"x", Tensor::FromVector<int8_t>({4, 6})}}, {"y"}, {}));
    EXPECT_THAT(Ints<int8_t>(out[0]), ElementsAre(2, 4));
  }
  {
    // uint8 [2, 1] * [1, 2]: reals [1, 2] (scale 0.5, zero point 10) times [1, 2] (scale
    // 0.25) = [[1, 2], [2, 4]] -> scale 0.5: [2, 4, 4, 8].
    TfLiteModelBuilder b;
    int x = b.Tensor<uint8_t>("x", TT::UINT8, {2, 1}, {0.5f}, {10});
    int c = b.Tensor<uint8_t>("c", TT::UINT8, {1, 2}, {0.25f}, {0}, 0, {4, 8});
    int y = b.Tensor<uint8_t>("y", TT::UINT8, {2, 2}, {0.5f}, {0});
    b.Op(B::MUL, {x, c}, {y});
    auto m = b.Build({x}, {y});
    ASSERT_NE(m, nullptr);
    TFM_ASSERT_OK_AND_ASSIGN(
        auto out,
        m->Run({{"x", Tensor::FromVector<uint8_t>({12, 14}, TensorShape{2, 1})}}, {"y"}, {}));
    EXPECT_EQ(out[0].shape(), (TensorShape{2, 2}));
    EXPECT_THAT(Ints<uint8_t>(out[0]), ElementsAre(2, 4, 4, 8));
    // [3, 1] * [1, 2] broadcasts to [3, 2].
    TFM_ASSERT_OK_AND_ASSIGN(
        auto wider,
        m->Run({{"x", Tensor::FromVector<uint8_t>({12, 14, 10}, TensorShape{3, 1})}}, {"y"}, {}));
    EXPECT_EQ(wider[0].shape(), (TensorShape{3, 2}));
    EXPECT_THAT(Ints<uint8_t>(wider[0]), ElementsAre(2, 4, 4, 8, 0, 0));
  }
}

TEST(TfLiteResizeTest, BilinearFloatUint8Int8) {
  // Width 2 -> 4, scale 0.5: source x = 0, 0.5, 1, 1.5 (clamped to the last pixel).
  auto f = Resize1D<float>(B::RESIZE_BILINEAR, TT::FLOAT32, {0, 10}, 4, false, false);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_THAT(*f, ElementsAre(0, 5, 10, 10));
  // uint8 interpolates in float and truncates: 4.5 -> 4.
  auto u = Resize1D<uint8_t>(B::RESIZE_BILINEAR, TT::UINT8, {0, 9}, 4, false, false);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_THAT(*u, ElementsAre(0, 4, 9, 9));
  // int8 works in 1/1024 steps and rounds half away from zero: 4.5 -> 5, -4.5 -> -5.
  auto i = Resize1D<int8_t>(B::RESIZE_BILINEAR, TT::INT8, {0, 9}, 4, false, false);
  ASSERT_TRUE(i.ok()) << i.status();
  EXPECT_THAT(*i, ElementsAre(0, 5, 9, 9));
  auto n = Resize1D<int8_t>(B::RESIZE_BILINEAR, TT::INT8, {-9, 0}, 4, false, false);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_THAT(*n, ElementsAre(-9, -5, 0, 0));
  // half_pixel_centers: source x = -0.25 (-> pixel 0), 0.25, 0.75, 1.25 (-> pixel 1).
  auto h = Resize1D<float>(B::RESIZE_BILINEAR, TT::FLOAT32, {0, 10}, 4, false, true);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_THAT(*h, ElementsAre(0, 2.5f, 7.5f, 10));
  // align_corners: scale (2 - 1) / (3 - 1) = 0.5 -> 0, 5, 10.
  auto a = Resize1D<float>(B::RESIZE_BILINEAR, TT::FLOAT32, {0, 10}, 3, true, false);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_THAT(*a, ElementsAre(0, 5, 10));
}

TEST(TfLiteResizeTest, NearestNeighbor) {
  // Width 3 -> 6, scale 0.5: floor(x / 2).
  auto f = Resize1D<float>(B::RESIZE_NEAREST_NEIGHBOR, TT::FLOAT32, {1, 2, 3}, 6, false, false);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_THAT(*f, ElementsAre(1, 1, 2, 2, 3, 3));
  // align_corners, 3 -> 5: scale 0.5, round(x / 2) half away from zero: 0, 1, 1, 2, 2.
  auto a = Resize1D<uint8_t>(B::RESIZE_NEAREST_NEIGHBOR, TT::UINT8, {1, 2, 3}, 5, true, false);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_THAT(*a, ElementsAre(1, 2, 2, 3, 3));
  // half_pixel_centers, 3 -> 2: scale 1.5, floor((x + 0.5) * 1.5) = 0, 2.
  auto h = Resize1D<int8_t>(B::RESIZE_NEAREST_NEIGHBOR, TT::INT8, {1, 2, 3}, 2, false, true);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_THAT(*h, ElementsAre(1, 3));
}

TEST(TfLiteResizeTest, BadSizeIsAnError) {
  auto z = Resize1D<float>(B::RESIZE_BILINEAR, TT::FLOAT32, {0, 10}, 0, false, false);
  ASSERT_FALSE(z.ok());
  EXPECT_THAT(z.status().message(), HasSubstr("operator 0 (RESIZE_BILINEAR): output size 1x0"));
}

TEST(TfLiteFixedPointTest, ExpAndReciprocal) {
  const double q31 = 2147483648.0;
  // exp(-1) and exp(-0.75) with 5 integer bits (-1 is -2^26), within gemmlowp's accuracy.
  EXPECT_NEAR(fixed::ExpOnNegativeValues(-(1 << 26), 5) / q31, std::exp(-1.0), 5e-7);
  EXPECT_NEAR(fixed::ExpOnNegativeValues(-(3 << 24), 5) / q31, std::exp(-0.75), 5e-7);
  EXPECT_EQ(fixed::ExpOnNegativeValues(0, 5), std::numeric_limits<int32_t>::max());
  // 1 / (1 + 0.5) = 2/3.
  EXPECT_NEAR(fixed::OneOverOnePlusX(1 << 30) / q31, 2.0 / 3.0, 1e-8);
  // 1 / 3 with 12 integer bits: 3 = 3 * 2^19 raw; 3 = 0.75 * 2^2 -> reciprocal of 1.5
  // scaled by 2^-2... i.e. 1/3 = (2/3) * 2^-1 with num_bits_over_unit = 12 - 11 = 1.
  int bits = 0;
  const int32_t r = fixed::GetReciprocal(3 << 19, 12, &bits);
  EXPECT_EQ(bits, 1);
  EXPECT_NEAR(r / q31 / 2, 1.0 / 3.0, 1e-8);
  EXPECT_EQ(fixed::CalculateInputRadius(5, 27), 15);
  EXPECT_EQ(fixed::SaturatingRoundingMultiplyByPOT(1 << 30, 2),
            std::numeric_limits<int32_t>::max());
  EXPECT_EQ(fixed::SaturatingRoundingMultiplyByPOT(-5, -1), -3);
}

}  // namespace
}  // namespace tfmodel::tflite
