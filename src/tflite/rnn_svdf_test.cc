// RNN, UNIDIRECTIONAL_SEQUENCE_RNN and SVDF on hand-built models against values worked out
// by hand (the sums are written next to the expectations), float and hybrid (int8 weights).
#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tflite_test_util.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using testing::TfLiteModelBuilder;
using TT = fb::TensorType;
using A = fb::ActivationFunctionType;

std::vector<float> RunX(TfLiteModel& m, const std::vector<float>& x, std::vector<int64_t> shape) {
  auto out = m.Run({{"x", Tensor::FromVector<float>(x, TensorShape(shape))}}, {"y"}, {});
  EXPECT_TRUE(out.ok()) << out.status();
  if (!out.ok()) return {};
  return std::vector<float>((*out)[0].data<float>(),
                            (*out)[0].data<float>() + (*out)[0].NumElements());
}

void ExpectNear(const std::vector<float>& got, const std::vector<float>& want, float tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
}

// W = [[1, 2], [0, 1]], R = [[0.5, 0], [1, -1]], bias = [0, 1], RELU.
const std::vector<float> kW = {1, 2, 0, 1};
const std::vector<float> kR = {0.5f, 0, 1, -1};
const std::vector<float> kBias = {0, 1};

// Weights as float constants, or int8 with scale 0.5 (hybrid).
int Weights(TfLiteModelBuilder& b, const std::string& name, const std::vector<float>& w,
            bool hybrid) {
  if (!hybrid) return b.Const(name, {2, 2}, w);
  std::vector<int8_t> q;
  for (float v : w) q.push_back(static_cast<int8_t>(v * 2));
  return b.Tensor<int8_t>(name, TT::INT8, {2, 2}, {0.5f}, {0}, 0, q);
}

std::unique_ptr<TfLiteModel> BuildSequenceRnn(bool time_major, int batch, int time, bool hybrid,
                                              A act = A::RELU) {
  TfLiteModelBuilder b;
  const std::vector<int32_t> shape =
      time_major ? std::vector<int32_t>{time, batch, 2} : std::vector<int32_t>{batch, time, 2};
  const int x = b.Tensor<float>("x", TT::FLOAT32, shape);
  const int w = Weights(b, "w", kW, hybrid);
  const int r = Weights(b, "r", kR, hybrid);
  const int bias = b.Const("bias", {2}, kBias);
  const int h = b.Tensor<float>("h", TT::FLOAT32, {batch, 2});
  b.SetVariable(h);
  const int y = b.Tensor<float>("y", TT::FLOAT32, shape);
  fb::SequenceRNNOptionsT o;
  o.time_major = time_major;
  o.fused_activation_function = act;
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  b.Op(B::UNIDIRECTIONAL_SEQUENCE_RNN, {x, w, r, bias, h}, {y}, std::move(u));
  return b.Build({x}, {y});
}

// Sequence x = [1, 1], [0, 1], [-2, 0] from h = 0:
//   t0: bias + W x = [0 + 1 + 2, 1 + 0 + 1] = [3, 2]                      -> h = [3, 2]
//   t1: [0 + 2 + 1.5, 1 + 1 + (3 - 2)] = [3.5, 3]                           -> h = [3.5, 3]
//   t2: [0 - 2 + 1.75, 1 + 0 + (3.5 - 3)] = [-0.25, 1.5], RELU -> [0, 1.5]
const std::vector<float> kSeq = {1, 1, 0, 1, -2, 0};
const std::vector<float> kSeqOut = {3, 2, 3.5f, 3, 0, 1.5f};
// Sequence of zeros from h = 0: [0, 1]; R h = [0, -1] -> [0, 0]; then [0, 1].
const std::vector<float> kZeroSeqOut = {0, 1, 0, 0, 0, 1};

TEST(TfLiteRnnTest, SequenceTimeMajorBatchOne) {
  auto m = BuildSequenceRnn(/*time_major=*/true, 1, 3, false);
  ASSERT_TRUE(m);
  EXPECT_THAT(RunX(*m, kSeq, {3, 1, 2}), ElementsAreArray(kSeqOut));
}

TEST(TfLiteRnnTest, SequenceBatchMajorTwoBatches) {
  auto m = BuildSequenceRnn(/*time_major=*/false, 2, 3, false);
  ASSERT_TRUE(m);
  std::vector<float> x = kSeq;
  x.insert(x.end(), 6, 0.0f);  // batch 1: zeros
  std::vector<float> want = kSeqOut;
  want.insert(want.end(), kZeroSeqOut.begin(), kZeroSeqOut.end());
  EXPECT_THAT(RunX(*m, x, {2, 3, 2}), ElementsAreArray(want));
}

TEST(TfLiteRnnTest, SequenceTimeMajorInterleavesBatches) {
  auto m = BuildSequenceRnn(/*time_major=*/true, 2, 3, false);
  ASSERT_TRUE(m);
  // [time, batch, 2]: batch 0 is kSeq, batch 1 zeros.
  const std::vector<float> x = {1, 1, 0, 0, 0, 1, 0, 0, -2, 0, 0, 0};
  EXPECT_THAT(RunX(*m, x, {3, 2, 2}),
              ElementsAreArray({3.f, 2.f, 0.f, 1.f, 3.5f, 3.f, 0.f, 0.f, 0.f, 1.5f, 0.f, 1.f}));
}

TEST(TfLiteRnnTest, SequenceTanh) {
  auto m = BuildSequenceRnn(true, 1, 2, false, A::TANH);
  ASSERT_TRUE(m);
  const float h0 = std::tanh(3.0f), h1 = std::tanh(2.0f);
  // t1: x = [0, 1]: [0 + 2 + 0.5 h0, 1 + 1 + h0 - h1]
  ExpectNear(RunX(*m, {1, 1, 0, 1}, {2, 1, 2}),
             {h0, h1, std::tanh(2 + 0.5f * h0), std::tanh(2 + h0 - h1)}, 1e-6f);
}

TEST(TfLiteRnnTest, HybridInt8WeightsCloseToFloat) {
  // Inputs and state are quantized per row to int8 (scale max|v| / 127) before each product.
  auto m = BuildSequenceRnn(true, 1, 3, /*hybrid=*/true);
  ASSERT_TRUE(m);
  ExpectNear(RunX(*m, kSeq, {3, 1, 2}), kSeqOut, 0.03f);
}

TEST(TfLiteRnnTest, SingleStepRnn) {
  TfLiteModelBuilder b;
  const int x = b.Tensor<float>("x", TT::FLOAT32, {2, 2});
  const int w = b.Const("w", {2, 2}, kW);
  const int r = b.Const("r", {2, 2}, kR);
  const int bias = b.Const("bias", {2}, kBias);
  const int h = b.Tensor<float>("h", TT::FLOAT32, {2, 2});
  b.SetVariable(h);
  const int y = b.Tensor<float>("y", TT::FLOAT32, {2, 2});
  fb::RNNOptionsT o;
  o.fused_activation_function = A::NONE;
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  b.Op(B::RNN, {x, w, r, bias, h}, {y}, std::move(u));
  auto m = b.Build({x}, {y});
  ASSERT_TRUE(m);
  // [1, 1] -> [3, 2]; [-1, 1] -> [0 - 1 + 2, 1 + 1] = [1, 2]; h = 0 so R adds nothing.
  EXPECT_THAT(RunX(*m, {1, 1, -1, 1}, {2, 2}), ElementsAreArray({3.f, 2.f, 1.f, 2.f}));
}

TEST(TfLiteRnnTest, WrongRecurrentShapeIsALoadError) {
  TfLiteModelBuilder b;
  const int x = b.Tensor<float>("x", TT::FLOAT32, {1, 2});
  const int w = b.Const("w", {2, 2}, kW);
  const int r = b.Const("r", {2, 1}, {1, 2});
  const int bias = b.Const("bias", {2}, kBias);
  const int h = b.Tensor<float>("h", TT::FLOAT32, {1, 2});
  b.SetVariable(h);
  const int y = b.Tensor<float>("y", TT::FLOAT32, {1, 2});
  fb::RNNOptionsT o;
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  b.Op(B::RNN, {x, w, r, bias, h}, {y}, std::move(u));
  b.ExpectLoadError({x}, {y}, "recurrent weights (input 2) has shape [2,1], expected [2,2]");
}

// SVDF: input 2, 4 filters, rank 2 (2 units), memory 3.
//   weights_feature = [[1, 0], [0, 1], [1, 1], [1, -1]]
//   weights_time    = [[7, 7, 2], [7, 7, 3], [7, 7, -1], [7, 7, 0.5]]  (state starts at 0, so
//                     only the last column meets a nonzero activation)
//   bias = [0.5, -0.5]
const std::vector<float> kFeature = {1, 0, 0, 1, 1, 1, 1, -1};
const std::vector<float> kTime = {7, 7, 2, 7, 7, 3, 7, 7, -1, 7, 7, 0.5f};

std::unique_ptr<TfLiteModel> BuildSvdf(A act, bool hybrid, int rank = 2) {
  TfLiteModelBuilder b;
  const int x = b.Tensor<float>("x", TT::FLOAT32, {2, 2});
  int f, t;
  if (hybrid) {
    std::vector<int8_t> fq, tq;
    for (float v : kFeature) fq.push_back(static_cast<int8_t>(v * 2));
    for (float v : kTime) tq.push_back(static_cast<int8_t>(v * 2));
    f = b.Tensor<int8_t>("feature", TT::INT8, {4, 2}, {0.5f}, {0}, 0, fq);
    t = b.Tensor<int8_t>("time", TT::INT8, {4, 3}, {0.5f}, {0}, 0, tq);
  } else {
    f = b.Const("feature", {4, 2}, kFeature);
    t = b.Const("time", {4, 3}, kTime);
  }
  const int bias = b.Const("bias", {2}, {0.5f, -0.5f});
  const int st = b.Tensor<float>("state", TT::FLOAT32, {2, 12});
  b.SetVariable(st);
  const int y = b.Tensor<float>("y", TT::FLOAT32, {2, 2});
  fb::SVDFOptionsT o;
  o.rank = rank;
  o.fused_activation_function = act;
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  b.Op(B::SVDF, {x, f, t, bias, st}, {y}, std::move(u));
  return b.Build({x}, {y});
}

// x = [1, 2]: feature activations [1, 2, 3, -1], times last column [2, 6, -3, -0.5];
//   units: 0.5 + 2 + 6 = 8.5, -0.5 - 3 - 0.5 = -4.
// x = [-1, 1]: activations [-1, 1, 0, -2] -> [-2, 3, 0, -1]; units 0.5 + 1 = 1.5, -0.5 - 1 = -1.5.
TEST(TfLiteSvdfTest, FloatRankTwo) {
  auto m = BuildSvdf(A::NONE, false);
  ASSERT_TRUE(m);
  EXPECT_THAT(RunX(*m, {1, 2, -1, 1}, {2, 2}), ElementsAreArray({8.5f, -4.f, 1.5f, -1.5f}));
}

TEST(TfLiteSvdfTest, FloatRelu) {
  auto m = BuildSvdf(A::RELU, false);
  ASSERT_TRUE(m);
  EXPECT_THAT(RunX(*m, {1, 2, -1, 1}, {2, 2}), ElementsAreArray({8.5f, 0.f, 1.5f, 0.f}));
}

TEST(TfLiteSvdfTest, HybridInt8WeightsCloseToFloat) {
  auto m = BuildSvdf(A::NONE, true);
  ASSERT_TRUE(m);
  ExpectNear(RunX(*m, {1, 2, -1, 1}, {2, 2}), {8.5f, -4.f, 1.5f, -1.5f}, 0.1f);
}

TEST(TfLiteSvdfTest, RankMustDivideFilters) {
  TfLiteModelBuilder b;
  const int x = b.Tensor<float>("x", TT::FLOAT32, {2, 2});
  const int f = b.Const("feature", {4, 2}, kFeature);
  const int t = b.Const("time", {4, 3}, kTime);
  const int st = b.Tensor<float>("state", TT::FLOAT32, {2, 12});
  b.SetVariable(st);
  const int y = b.Tensor<float>("y", TT::FLOAT32, {2, 2});
  fb::SVDFOptionsT o;
  o.rank = 3;
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  b.Op(B::SVDF, {x, f, t, -1, st}, {y}, std::move(u));
  b.ExpectLoadError({x}, {y}, "rank 3 does not divide the 4 filters");
}

TEST(TfLiteSvdfTest, WrongInputWidthIsARunError) {
  auto m = BuildSvdf(A::NONE, false);
  ASSERT_TRUE(m);
  auto out = m->Run({{"x", Tensor::FromVector<float>({1, 2, 3}, TensorShape{1, 3})}}, {"y"}, {});
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("SVDF"));
}

}  // namespace
}  // namespace tfmodel::tflite
