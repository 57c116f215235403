// The TFLite interpreter on hand-built models: the prepare/eval plumbing (fused activations
// in place, operator-local temporaries and constants, options), input checks, and
// unsupported operators reported together.
#include "tflite/interpreter.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "test_util.h"
#include "tflite_test_util.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;
using ::testing::ElementsAre;
using testing::ExpectTensorNear;
using ::testing::HasSubstr;
using testing::TfLiteModelBuilder;
using TT = fb::TensorType;

std::vector<float> Floats(const Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.NumElements());
}

TEST(TfLiteInterpreterTest, AddWithFusedRelu6) {
  TfLiteModelBuilder b;
  int x = b.Tensor<float>("x", TT::FLOAT32, {4});
  int c = b.Const("c", {4}, {1, -10, 5, 0.5f});
  int y = b.Tensor<float>("y", TT::FLOAT32, {4});
  fb::AddOptionsT o;
  o.fused_activation_function = fb::ActivationFunctionType::RELU6;
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  b.Op(B::ADD, {x, c}, {y}, std::move(u));
  auto m = b.Build({x}, {y});
  ASSERT_NE(m, nullptr);
  auto xv = Tensor::FromVector<float>({1, 2, 3, -4});
  TFM_ASSERT_OK_AND_ASSIGN(auto out, m->Run({{"x", xv}}, {"y"}, {}));
  EXPECT_THAT(Floats(out[0]), ElementsAre(2, 0, 6, 0));
  // The input is not modified by the in-place activation.
  EXPECT_THAT(Floats(xv), ElementsAre(1, 2, 3, -4));
}

TEST(TfLiteInterpreterTest, SoftmaxBetaScalesTheLogits) {
  TfLiteModelBuilder b;
  int x = b.Tensor<float>("x", TT::FLOAT32, {1, 2});
  int y = b.Tensor<float>("y", TT::FLOAT32, {1, 2});
  fb::SoftmaxOptionsT o;
  o.beta = 2.0f;
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  b.Op(B::SOFTMAX, {x}, {y}, std::move(u));
  auto m = b.Build({x}, {y});
  ASSERT_NE(m, nullptr);
  TFM_ASSERT_OK_AND_ASSIGN(
      auto out, m->Run({{"x", Tensor::FromVector<float>({0, 1}, TensorShape{1, 2})}}, {"y"}, {}));
  // softmax([0, 2]) = [1, e^2] / (1 + e^2).
  const float e2 = std::exp(2.0f);
  ExpectTensorNear(out[0],
                   Tensor::FromVector<float>({1 / (1 + e2), e2 / (1 + e2)}, TensorShape{1, 2}));
}

TEST(TfLiteInterpreterTest, ReshapeFromTheNewShapeOption) {
  TfLiteModelBuilder b;
  int x = b.Tensor<float>("x", TT::FLOAT32, {2, 3});
  int y = b.Tensor<float>("y", TT::FLOAT32, {3, 2});
  fb::ReshapeOptionsT o;
  o.new_shape = {3, -1};
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  b.Op(B::RESHAPE, {x}, {y}, std::move(u));
  auto m = b.Build({x}, {y});
  ASSERT_NE(m, nullptr);
  TFM_ASSERT_OK_AND_ASSIGN(
      auto out,
      m->Run({{"x", Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, TensorShape{2, 3})}}, {"y"}, {}));
  EXPECT_EQ(out[0].shape(), (TensorShape{3, 2}));
  EXPECT_THAT(Floats(out[0]), ElementsAre(1, 2, 3, 4, 5, 6));
}

TEST(TfLiteInterpreterTest, FullyConnectedKeepNumDimsWithBias) {
  TfLiteModelBuilder b;
  int x = b.Tensor<float>("x", TT::FLOAT32, {1, 2, 3});
  // Weights [out=2, in=3].
  int w = b.Const("w", {2, 3}, {1, 0, -1, 0.5f, 0.5f, 0.5f});
  int bias = b.Const("b", {2}, {10, -1});
  int y = b.Tensor<float>("y", TT::FLOAT32, {1, 2, 2});
  fb::FullyConnectedOptionsT o;
  o.keep_num_dims = true;
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  b.Op(B::FULLY_CONNECTED, {x, w, bias}, {y}, std::move(u));
  auto m = b.Build({x}, {y});
  ASSERT_NE(m, nullptr);
  auto xv = Tensor::FromVector<float>({1, 2, 3, 4, 6, 8}, TensorShape{1, 2, 3});
  TFM_ASSERT_OK_AND_ASSIGN(auto out, m->Run({{"x", xv}}, {"y"}, {}));
  EXPECT_EQ(out[0].shape(), (TensorShape{1, 2, 2}));
  // Row [1,2,3]: 1-3+10 = 8, 3-1 = 2; row [4,6,8]: 4-8+10 = 6, 9-1 = 8.
  EXPECT_THAT(Floats(out[0]), ElementsAre(8, 2, 6, 8));
}

TEST(TfLiteInterpreterTest, Int8WeightsOfAFloatFullyConnectedAreDequantized) {
  TfLiteModelBuilder b;
  int x = b.Tensor<float>("x", TT::FLOAT32, {1, 2});
  // Per-channel scales on the output dimension: w = [[2, -1], [0.5, 1]].
  int w = b.Tensor<int8_t>("w", TT::INT8, {2, 2}, {0.5f, 0.25f}, {0, 0}, 0, {4, -2, 2, 4});
  int y1 = b.Tensor<float>("y1", TT::FLOAT32, {1, 2});
  int y2 = b.Tensor<float>("y2", TT::FLOAT32, {1, 2});
  b.Op(B::FULLY_CONNECTED, {x, w, -1}, {y1});
  b.Op(B::FULLY_CONNECTED, {y1, w, -1}, {y2});  // shares the dequantized weights
  auto m = b.Build({x}, {y2});
  ASSERT_NE(m, nullptr);
  TFM_ASSERT_OK_AND_ASSIGN(
      auto out,
      m->Run({{"x", Tensor::FromVector<float>({1, 2}, TensorShape{1, 2})}}, {"y1", "y2"}, {}));
  EXPECT_THAT(Floats(out[0]), ElementsAre(0, 2.5f));      // [2-2, 0.5+2]
  EXPECT_THAT(Floats(out[1]), ElementsAre(-2.5f, 2.5f));  // [0-2.5, 0+2.5]
}

TEST(TfLiteInterpreterTest, DequantizeOfFloat16WeightsRunsOnceAtLoad) {
  // TFLite's float16 layout: fp16 constant -> DEQUANTIZE -> float weights of a FULLY_CONNECTED.
  TfLiteModelBuilder b;
  int x = b.Tensor<float>("x", TT::FLOAT32, {1, 2});
  std::vector<uint16_t> half;
  for (float f : {2.0f, -1.0f, 0.5f, 1.0f}) half.push_back(Half::FromFloat(f).bits);
  int w16 = b.Tensor<uint16_t>("w16", TT::FLOAT16, {2, 2}, {}, {}, 0, half);
  int w = b.Tensor<float>("w", TT::FLOAT32, {2, 2});
  int y = b.Tensor<float>("y", TT::FLOAT32, {1, 2});
  b.Op(B::DEQUANTIZE, {w16}, {w});
  b.Op(B::FULLY_CONNECTED, {x, w, -1}, {y});
  auto file = TfLiteFile::FromBytes(b.Bytes({x}, {y}), "fp16.tflite");
  ASSERT_TRUE(file.ok()) << file.status();
  std::vector<SubgraphPlan> plans;
  TFM_ASSERT_OK(BuildPlans(**file, &plans));
  // One step left (the FULLY_CONNECTED); the dequantized weights are a constant.
  ASSERT_EQ(plans[0].steps.size(), 1u);
  EXPECT_THAT(plans[0].steps[0].label, HasSubstr("FULLY_CONNECTED"));
  ASSERT_TRUE(plans[0].constants.count(w));
  EXPECT_THAT(Floats(plans[0].constants.at(w)), ElementsAre(2, -1, 0.5f, 1));
  auto m = b.Build({x}, {y});
  ASSERT_NE(m, nullptr);
  TFM_ASSERT_OK_AND_ASSIGN(
      auto out, m->Run({{"x", Tensor::FromVector<float>({1, 2}, TensorShape{1, 2})}}, {"y", "w"}));
  EXPECT_THAT(Floats(out[0]), ElementsAre(0, 2.5f));
  EXPECT_THAT(Floats(out[1]), ElementsAre(2, -1, 0.5f, 1));  // a folded tensor can be fetched
}

TEST(TfLiteInterpreterTest, Conv2DFilterIsRelaidOut) {
  TfLiteModelBuilder b;
  int x = b.Tensor<float>("x", TT::FLOAT32, {1, 2, 2, 1});
  // OHWI [2, 2, 2, 1]: channel 0 sums, channel 1 takes the top-left element.
  int w = b.Const("w", {2, 2, 2, 1}, {1, 1, 1, 1, 1, 0, 0, 0});
  int bias = b.Const("b", {2}, {0, 100});
  int y = b.Tensor<float>("y", TT::FLOAT32, {1, 1, 1, 2});
  fb::Conv2DOptionsT o;
  o.padding = fb::Padding::VALID;
  o.stride_h = o.stride_w = 1;
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  b.Op(B::CONV_2D, {x, w, bias}, {y}, std::move(u));
  auto m = b.Build({x}, {y});
  ASSERT_NE(m, nullptr);
  auto xv = Tensor::FromVector<float>({1, 2, 3, 4}, TensorShape{1, 2, 2, 1});
  TFM_ASSERT_OK_AND_ASSIGN(auto out, m->Run({{"x", xv}}, {"y"}, {}));
  EXPECT_THAT(Floats(out[0]), ElementsAre(10, 101));
}

// DEPTHWISE_CONV_2D [1,2,2,4] filter (C=2, M=2) on a [1,2,2,2] input, VALID, no bias:
// out[c*2+m] = sum over h,w of x[h,w,c] * f[h,w,c*2+m], then the fused activation.
// With the input's channels declared the filter is constant and the fused oneDNN kernel
// runs; with them unknown (-1) the filter is relaid out per run. Both give the same.
std::vector<float> DepthwiseResult(bool channels_known, fb::ActivationFunctionType act) {
  TfLiteModelBuilder b;
  int x = b.Tensor<float>("x", TT::FLOAT32, {1, 2, 2, 2});
  if (!channels_known) b.SetShapeSignature(x, {1, 2, 2, -1});
  int f = b.Const("f", {1, 2, 2, 4}, {1, 2, 3, 4, -1, 0, 1, 0, 2, 2, 0, -2, 0.5f, 1, 1, 1});
  int y = b.Tensor<float>("y", TT::FLOAT32, {1, 1, 1, 4});
  fb::DepthwiseConv2DOptionsT o;
  o.padding = fb::Padding::VALID;
  o.stride_h = o.stride_w = 1;
  o.dilation_h_factor = o.dilation_w_factor = 1;
  o.depth_multiplier = 2;
  o.fused_activation_function = act;
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  b.Op(B::DEPTHWISE_CONV_2D, {x, f, -1}, {y}, std::move(u));
  auto m = b.Build({x}, {y});
  if (!m) return {};
  auto xv = Tensor::FromVector<float>({1, 2, 3, -1, 0, 1, 2, 4}, TensorShape{1, 2, 2, 2});
  auto out = m->Run({{"x", xv}}, {"y"}, {});
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? Floats((*out)[0]) : std::vector<float>{};
}

TEST(TfLiteInterpreterTest, DepthwiseConvWithConstantOrRuntimeFilterAgree) {
  // x[h,w,:] = (1,2) (3,-1) (0,1) (2,4); f[h,w,:] = (1,2,3,4) (-1,0,1,0) (2,2,0,-2) (.5,1,1,1).
  // c=0: 1*1 + 3*-1 + 0*2 + 2*.5 = -1 (m=0); 1*2 + 3*0 + 0*2 + 2*1 = 4 (m=1).
  // c=1: 2*3 + -1*1 + 1*0 + 4*1 = 9 (m=0); 2*4 + -1*0 + 1*-2 + 4*1 = 10 (m=1).
  for (bool known : {true, false}) {
    SCOPED_TRACE(known);
    EXPECT_THAT(DepthwiseResult(known, fb::ActivationFunctionType::NONE),
                ElementsAre(-1, 4, 9, 10));
    EXPECT_THAT(DepthwiseResult(known, fb::ActivationFunctionType::RELU6), ElementsAre(0, 4, 6, 6));
    EXPECT_THAT(DepthwiseResult(known, fb::ActivationFunctionType::RELU_N1_TO_1),
                ElementsAre(-1, 1, 1, 1));
  }
}

TEST(TfLiteInterpreterTest, ReluN1To1Clamps) {
  TfLiteModelBuilder b;
  int x = b.Tensor<float>("x", TT::FLOAT32, {3});
  int y = b.Tensor<float>("y", TT::FLOAT32, {3});
  b.Op(B::RELU_N1_TO_1, {x}, {y});
  auto m = b.Build({x}, {y});
  ASSERT_NE(m, nullptr);
  TFM_ASSERT_OK_AND_ASSIGN(auto out,
                           m->Run({{"x", Tensor::FromVector<float>({-3, 0.25f, 2})}}, {"y"}, {}));
  EXPECT_THAT(Floats(out[0]), ElementsAre(-1, 0.25f, 1));
}

TEST(TfLiteInterpreterTest, EveryUnsupportedOperatorIsListed) {
  TfLiteModelBuilder b;
  int x = b.Tensor<float>("x", TT::FLOAT32, {1, 4, 4, 1});
  int y = b.Tensor<float>("y", TT::FLOAT32, {1, 8, 8, 1});
  int z = b.Tensor<float>("z", TT::FLOAT32, {1, 8, 8, 1});
  b.Op(B::HARD_SWISH, {x}, {y});
  b.Op(B::CUSTOM, {y}, {z});
  b.SetCustom("MyOp", {});
  auto m = b.Load({x}, {z});
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(absl::IsUnimplemented(m.status()));
  EXPECT_THAT(m.status().message(),
              HasSubstr("operator 0 (HARD_SWISH): no tfmodel implementation"));
  EXPECT_THAT(m.status().message(),
              HasSubstr("operator 1 (MyOp): custom operator without a NodeDef in its options"));
}

TEST(TfLiteInterpreterTest, BadOperandsAreLoadErrors) {
  TfLiteModelBuilder b;
  int x = b.Tensor<float>("x", TT::FLOAT32, {2});
  int y = b.Tensor<float>("y", TT::FLOAT32, {2});
  b.Op(B::SUB, {x}, {y});  // needs two inputs
  b.ExpectLoadError({x}, {y}, "operator 0 (SUB): expects 2 inputs and 1 outputs, has 1 and 1");
  TfLiteModelBuilder c;
  int cx = c.Tensor<float>("x", TT::FLOAT32, {1, 2, 2, 1});
  int cw = c.Const("w", {1, 1, 1, 1}, {1});
  int cy = c.Tensor<float>("y", TT::FLOAT32, {1, 2, 2, 1});
  c.Op(B::CONV_2D, {cx, cw}, {cy});  // no Conv2DOptions
  c.ExpectLoadError({cx}, {cy}, "missing Conv2DOptions");
}

TEST(TfLiteInterpreterTest, InputsAreCheckedAgainstDtypeAndShapeSignature) {
  TfLiteModelBuilder b;
  int x = b.Tensor<float>("x", TT::FLOAT32, {1, 3});
  b.SetShapeSignature(x, {-1, 3});
  int y = b.Tensor<float>("y", TT::FLOAT32, {1, 3});
  b.Op(B::RELU, {x}, {y});
  auto m = b.Build({x}, {y});
  ASSERT_NE(m, nullptr);
  // Any batch size.
  TFM_ASSERT_OK_AND_ASSIGN(
      auto out, m->Run({{"x", Tensor::FromVector<float>({-1, 2, -3, 4, -5, 6}, TensorShape{2, 3})}},
                       {"y"}, {}));
  EXPECT_THAT(Floats(out[0]), ElementsAre(0, 2, 0, 4, 0, 6));
  auto bad_shape = m->Run({{"x", Tensor::FromVector<float>({1, 2}, TensorShape{1, 2})}}, {"y"}, {});
  EXPECT_THAT(bad_shape.status().message(),
              HasSubstr("input tensor 'x' has shape signature [-1,3], got [1,2]"));
  auto bad_type =
      m->Run({{"x", Tensor::FromVector<int32_t>({1, 2, 3}, TensorShape{1, 3})}}, {"y"}, {});
  EXPECT_THAT(bad_type.status().message(), HasSubstr("input tensor 'x' is float, got int32"));
  auto unfed = m->Run({}, {"y"}, {});
  EXPECT_THAT(unfed.status().message(), HasSubstr("input tensor 'x' was not fed"));
}

TEST(TfLiteInterpreterTest, DeclaredInputShapesFallBackToShape) {
  TfLiteModelBuilder b;
  int a = b.Tensor<float>("a", TT::FLOAT32, {1, 224, 224, 3});  // old converter: shape only
  int s = b.Tensor<uint8_t>("s", TT::UINT8, {1, 5}, {0.5f}, {128});
  b.SetShapeSignature(s, {-1, 5});
  int ya = b.Tensor<float>("ya", TT::FLOAT32, {1, 224, 224, 3});
  b.Op(B::RELU, {a}, {ya});
  auto m = b.Build({a, s}, {ya});
  ASSERT_NE(m, nullptr);
  // The signature leaves a resizable input's shape unknown ...
  EXPECT_TRUE(m->signatures().at("serving_default").inputs.at("a").shape.unknown_rank());
  // ... the declared shapes keep it.
  TFM_ASSERT_OK_AND_ASSIGN(auto shapes, m->DeclaredInputShapes("serving_default"));
  EXPECT_THAT(shapes.at("a").dims(), ElementsAre(1, 224, 224, 3));
  EXPECT_THAT(shapes.at("s").dims(), ElementsAre(-1, 5));
  EXPECT_FALSE(m->DeclaredInputShapes("nope").ok());
}

}  // namespace
}  // namespace tfmodel::tflite
