// Quantized (int8/uint8) CONCATENATION, MEAN, SUM and PAD, and the guard that refuses
// type-generic kernels on quantized operands whose quantization they would ignore. Expected
// integers are worked out by hand from TFLite's reference-kernel arithmetic.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util.h"
#include "tflite_test_util.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::TfLiteModelBuilder;
using TT = fb::TensorType;

template <typename T>
std::vector<int> Ints(const Tensor& t) {
  std::vector<int> v;
  for (int64_t i = 0; i < t.NumElements(); ++i) v.push_back(t.data<T>()[i]);
  return v;
}

template <typename T>
Tensor Q(std::vector<T> v, TensorShape shape) {
  return Tensor::FromVector<T>(v, shape);
}

fb::BuiltinOptionsUnion ConcatOptions(
    int axis, fb::ActivationFunctionType act = fb::ActivationFunctionType::NONE) {
  fb::ConcatenationOptionsT o;
  o.axis = axis;
  o.fused_activation_function = act;
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  return u;
}

fb::BuiltinOptionsUnion ReducerOptions(bool keep_dims) {
  fb::ReducerOptionsT o;
  o.keep_dims = keep_dims;
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  return u;
}

TEST(TfLiteQuantizedLayoutTest, ConcatenationRequantizesUint8Inputs) {
  // Output scale 0.5, zero point 10. a shares it (copied). b (0.25, 3): factor 0.5, bias
  // -1.5: 8 -> 2.5 -> 3 -> 13, 0 -> -1.5 -> -2 (half away from zero) -> 8. c (1.0, 100):
  // factor 2, bias -200: 0 -> -190 -> clamped 0, 255 -> 320 -> clamped 255.
  TfLiteModelBuilder b;
  int a = b.Tensor<uint8_t>("a", TT::UINT8, {1, 2}, {0.5f}, {10});
  int bb = b.Tensor<uint8_t>("b", TT::UINT8, {1, 2}, {0.25f}, {3});
  int c = b.Tensor<uint8_t>("c", TT::UINT8, {1, 2}, {1.0f}, {100});
  int y = b.Tensor<uint8_t>("y", TT::UINT8, {1, 6}, {0.5f}, {10});
  b.Op(B::CONCATENATION, {a, bb, c}, {y}, ConcatOptions(-1));
  auto m = b.Build({a, bb, c}, {y});
  ASSERT_NE(m, nullptr);
  auto out = m->Run({{"a", Q<uint8_t>({10, 20}, {1, 2})},
                     {"b", Q<uint8_t>({8, 0}, {1, 2})},
                     {"c", Q<uint8_t>({0, 255}, {1, 2})}},
                    {"y"}, {});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape(), (TensorShape{1, 6}));
  EXPECT_THAT(Ints<uint8_t>((*out)[0]), ElementsAre(10, 20, 13, 8, 0, 255));
}

TEST(TfLiteQuantizedLayoutTest, ConcatenationInt8InterleavesRowsAndAppliesRelu) {
  // axis 1 of [2,1] and [2,2]; b (0.5, 0) -> output (1.0, 0): 3 -> 1.5 -> 2, 4 -> 2,
  // 5 -> 2.5 -> 3, 6 -> 3; a is copied; RELU clamps a's -2 to the zero point 0.
  TfLiteModelBuilder b;
  int a = b.Tensor<int8_t>("a", TT::INT8, {2, 1}, {1.0f}, {0});
  int bb = b.Tensor<int8_t>("b", TT::INT8, {2, 2}, {0.5f}, {0});
  int y = b.Tensor<int8_t>("y", TT::INT8, {2, 3}, {1.0f}, {0});
  b.Op(B::CONCATENATION, {a, bb}, {y}, ConcatOptions(1, fb::ActivationFunctionType::RELU));
  auto m = b.Build({a, bb}, {y});
  ASSERT_NE(m, nullptr);
  auto out = m->Run({{"a", Q<int8_t>({-2, 7}, {2, 1})}, {"b", Q<int8_t>({3, 4, 5, 6}, {2, 2})}},
                    {"y"}, {});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape(), (TensorShape{2, 3}));
  EXPECT_THAT(Ints<int8_t>((*out)[0]), ElementsAre(0, 2, 2, 7, 3, 3));
  // Shapes that differ outside the axis are an error naming the operator.
  auto bad = m->Run({{"a", Q<int8_t>({1, 2, 3}, {3, 1})}, {"b", Q<int8_t>({3, 4, 5, 6}, {2, 2})}},
                    {"y"}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("CONCATENATION"));
}

// A one-operator reduce model x (quantized) -> y over constant int32 axes.
template <typename T>
absl::StatusOr<std::vector<Tensor>> RunReduce(B code, TT type, std::vector<int32_t> in_shape,
                                              float in_scale, int64_t in_zp,
                                              std::vector<int32_t> axes, bool keep_dims,
                                              float out_scale, int64_t out_zp,
                                              const std::vector<T>& x) {
  TfLiteModelBuilder b;
  int xi = b.Tensor<T>("x", type, in_shape, {in_scale}, {in_zp});
  int ai =
      b.Tensor<int32_t>("axes", TT::INT32, {static_cast<int32_t>(axes.size())}, {}, {}, 0, axes);
  int yi = b.Tensor<T>("y", type, {}, {out_scale}, {out_zp});
  b.Op(code, {xi, ai}, {yi}, ReducerOptions(keep_dims));
  TFM_ASSIGN_OR_RETURN(auto m, b.Load({xi}, {yi}));
  std::vector<int64_t> dims(in_shape.begin(), in_shape.end());
  return m->Run({{"x", Tensor::FromVector<T>(x, TensorShape(dims))}}, {"y"}, {});
}

TEST(TfLiteQuantizedLayoutTest, MeanInt8SpatialKeepDims) {
  // Channel 0: sum(q - (-128)) = 0 + 28 + 128 + 155 = 311; times 0.5 (multiplier 2^30,
  // shift 0) = 155.5 -> 156; / 4 rounded half away = 39 (real mean 38.875 -> 39).
  // Channel 1: 4 * 138 = 552 -> 276 -> 69.
  auto out = RunReduce<int8_t>(B::MEAN, TT::INT8, {1, 2, 2, 2}, 0.5f, -128, {1, 2}, true, 1.0f, 0,
                               {-128, 10, -100, 10, 0, 10, 27, 10});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape(), (TensorShape{1, 1, 1, 2}));
  EXPECT_THAT(Ints<int8_t>((*out)[0]), ElementsAre(39, 69));
}

TEST(TfLiteQuantizedLayoutTest, MeanUint8SpatialKeepDims) {
  // bias = 3 - round(1 * 1.0 / 0.5) = 1; multiplier 1 / (4 * 0.5) = 0.5; raw sum 7 -> 3.5
  // -> 4; + 1 = 5 (real values -1, 0, 1, 3: mean 0.75 -> 1.5 + 3 = 4.5).
  auto out = RunReduce<uint8_t>(B::MEAN, TT::UINT8, {1, 2, 2, 1}, 1.0f, 1, {2, 1}, true, 0.5f, 3,
                                {0, 1, 2, 4});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape(), (TensorShape{1, 1, 1, 1}));
  EXPECT_THAT(Ints<uint8_t>((*out)[0]), ElementsAre(5));
}

TEST(TfLiteQuantizedLayoutTest, MeanInt8GeneralRescales) {
  // factor 0.5 / 0.25 = 2, bias -1 * 2: row 0 mean 7/3 -> 4.667 - 2 = 2.667 -> 3, -2 -> 1;
  // row 1 mean -10/3 -> -6.667 - 2 = -8.667 -> -9, -2 -> -11.
  auto out = RunReduce<int8_t>(B::MEAN, TT::INT8, {2, 3}, 0.5f, 1, {-1}, false, 0.25f, -2,
                               {1, 2, 4, -3, -3, -4});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape(), (TensorShape{2}));
  EXPECT_THAT(Ints<int8_t>((*out)[0]), ElementsAre(1, -11));
}

TEST(TfLiteQuantizedLayoutTest, MeanSameQuantizationTruncates) {
  // 5 / 3 -> 1 and -5 / 3 -> -1 (integer division), keep_dims.
  auto out = RunReduce<int8_t>(B::MEAN, TT::INT8, {2, 3}, 1.0f, 0, {1}, true, 1.0f, 0,
                               {1, 2, 2, -1, -2, -2});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape(), (TensorShape{2, 1}));
  EXPECT_THAT(Ints<int8_t>((*out)[0]), ElementsAre(1, -1));
  auto axis = RunReduce<int8_t>(B::MEAN, TT::INT8, {2, 3}, 1.0f, 0, {2}, true, 1.0f, 0,
                                {1, 2, 2, -1, -2, -2});
  ASSERT_FALSE(axis.ok());
  EXPECT_THAT(axis.status().message(), HasSubstr("(MEAN): axis 2 is out of range"));
}

TEST(TfLiteQuantizedLayoutTest, SumRescalesAndSaturates) {
  // factor 0.5, bias -10 * 0.5 * 3 = -15: sum 60 -> 15, + 5 = 20 (reals 0 + 5 + 10 = 15).
  auto out =
      RunReduce<uint8_t>(B::SUM, TT::UINT8, {1, 3}, 0.5f, 10, {1}, false, 1.0f, 5, {10, 20, 30});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape(), (TensorShape{1}));
  EXPECT_THAT(Ints<uint8_t>((*out)[0]), ElementsAre(20));
  // Same quantization (1.0, 0) but a sum beyond int8: 100 + 100 saturates at 127.
  auto sat = RunReduce<int8_t>(B::SUM, TT::INT8, {2}, 1.0f, 0, {0}, false, 1.0f, 0, {100, 100});
  ASSERT_TRUE(sat.ok()) << sat.status();
  EXPECT_THAT(Ints<int8_t>((*sat)[0]), ElementsAre(127));
}

// PAD / PADV2 of a quantized [1,2] tensor by one element on each side of dimension 1.
absl::StatusOr<std::vector<Tensor>> RunPad(bool v2, float out_scale, int64_t out_zp,
                                           float value_scale = 0.5f) {
  TfLiteModelBuilder b;
  int xi = b.Tensor<int8_t>("x", TT::INT8, {1, 2}, {0.5f}, {-3});
  int pi = b.Tensor<int32_t>("p", TT::INT32, {2, 2}, {}, {}, 0, {0, 0, 1, 1});
  int yi = b.Tensor<int8_t>("y", TT::INT8, {1, 4}, {out_scale}, {out_zp});
  if (v2) {
    int vi = b.Tensor<int8_t>("v", TT::INT8, {}, {value_scale}, {-3}, 0, {7});
    b.Op(B::PADV2, {xi, pi, vi}, {yi});
  } else {
    b.Op(B::PAD, {xi, pi}, {yi});
  }
  TFM_ASSIGN_OR_RETURN(auto m, b.Load({xi}, {yi}));
  return m->Run({{"x", Q<int8_t>({5, 6}, {1, 2})}}, {"y"}, {});
}

TEST(TfLiteQuantizedLayoutTest, PadUsesTheZeroPoint) {
  auto pad = RunPad(false, 0.5f, -3);
  ASSERT_TRUE(pad.ok()) << pad.status();
  EXPECT_THAT(Ints<int8_t>((*pad)[0]), ElementsAre(-3, 5, 6, -3));
  auto v2 = RunPad(true, 0.5f, -3);
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_THAT(Ints<int8_t>((*v2)[0]), ElementsAre(7, 5, 6, 7));
  auto differ = RunPad(false, 0.25f, -3);
  ASSERT_FALSE(differ.ok());
  EXPECT_TRUE(absl::IsUnimplemented(differ.status())) << differ.status();
  EXPECT_THAT(differ.status().message(), HasSubstr("operator 0 (PAD)"));
  auto value = RunPad(true, 0.5f, -3, 0.25f);
  ASSERT_FALSE(value.ok());
  EXPECT_THAT(value.status().message(), HasSubstr("(PADV2): the quantized pad value"));
}

TEST(TfLiteQuantizedLayoutTest, RawKernelsNeedSharedQuantization) {
  // RESHAPE with the same quantization on both sides runs on the raw integers.
  {
    TfLiteModelBuilder b;
    int x = b.Tensor<int8_t>("x", TT::INT8, {2, 2}, {0.5f}, {1});
    int s = b.Tensor<int32_t>("s", TT::INT32, {1}, {}, {}, 0, {4});
    int y = b.Tensor<int8_t>("y", TT::INT8, {4}, {0.5f}, {1});
    b.Op(B::RESHAPE, {x, s}, {y});
    auto m = b.Build({x}, {y});
    ASSERT_NE(m, nullptr);
    auto out = m->Run({{"x", Q<int8_t>({1, -2, 3, -4}, {2, 2})}}, {"y"}, {});
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_THAT(Ints<int8_t>((*out)[0]), ElementsAre(1, -2, 3, -4));
  }
  // Different quantization: refused, naming the operator and both quantizations.
  {
    TfLiteModelBuilder b;
    int x = b.Tensor<int8_t>("x", TT::INT8, {2, 2}, {0.5f}, {1});
    int s = b.Tensor<int32_t>("s", TT::INT32, {1}, {}, {}, 0, {4});
    int y = b.Tensor<int8_t>("y", TT::INT8, {4}, {0.25f}, {1});
    b.Op(B::RESHAPE, {x, s}, {y});
    b.ExpectLoadError({x}, {y}, "operator 0 (RESHAPE): quantized operands with different");
    b.ExpectLoadError({x}, {y}, "output 0: scale 0.25 zero point 1");
  }
  // RELU has no quantized kernel: max(q, 0) would ignore the zero point.
  {
    TfLiteModelBuilder b;
    int x = b.Tensor<int8_t>("x", TT::INT8, {2}, {0.5f}, {-5});
    int y = b.Tensor<int8_t>("y", TT::INT8, {2}, {0.5f}, {-5});
    b.Op(B::RELU, {x}, {y});
    b.ExpectLoadError({x}, {y}, "operator 0 (RELU): quantized (int8/uint8) operands");
  }
  // ARG_MAX only orders the values: fine whatever the quantization.
  {
    TfLiteModelBuilder b;
    int x = b.Tensor<uint8_t>("x", TT::UINT8, {1, 3}, {0.5f}, {7});
    int a = b.Tensor<int32_t>("a", TT::INT32, {}, {}, {}, 0, {1});
    int y = b.Tensor<int32_t>("y", TT::INT32, {1});
    b.Op(B::ARG_MAX, {x, a}, {y});
    auto m = b.Build({x}, {y});
    ASSERT_NE(m, nullptr);
    auto out = m->Run({{"x", Q<uint8_t>({3, 9, 1}, {1, 3})}}, {"y"}, {});
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_THAT(Ints<int32_t>((*out)[0]), ElementsAre(1));
  }
  // int8 without quantization parameters is a plain integer: RELU runs the TF kernel.
  {
    TfLiteModelBuilder b;
    int x = b.Tensor<int8_t>("x", TT::INT8, {2});
    int y = b.Tensor<int8_t>("y", TT::INT8, {2});
    b.Op(B::MAXIMUM, {x, x}, {y});
    auto m = b.Build({x}, {y});
    ASSERT_NE(m, nullptr);
  }
}

}  // namespace
}  // namespace tfmodel::tflite
