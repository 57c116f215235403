// Tests for fake_quant.cc. Expected values are worked out by hand from TF's
// fake_quant_ops_functor.h / quantize_and_dequantize_op.h formulas, with ranges chosen so
// that the scale is exact (0.25, 0.5, 0.01, 1/128): see the comments at each case.
#include "gmock/gmock.h"
#include "graph/graph_builder.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "runtime/model.h"
#include "test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrB;
using testing::AttrF;
using testing::AttrI;
using testing::AttrS;
using testing::AttrType;
using testing::ExpectTensorNear;
using ::testing::HasSubstr;
using testing::RunError;
using testing::RunOne;

Tensor F(std::vector<float> v) { return Tensor::FromVector(v); }
Tensor F(std::vector<float> v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor D(std::vector<double> v) { return Tensor::FromVector(v); }
Tensor Fs(float v) { return Tensor::Scalar<float>(v); }

TEST(FakeQuantTest, ArgsOnAnExactGrid) {
  // [0, 63.75] with 8 bits: scale 63.75 / 255 = 0.25, zero point 0. Values round half up
  // on the grid: 0.125 -> 0.25, 0.37 -> 0.25; outside values clamp.
  Tensor out = RunOne("FakeQuantWithMinMaxArgs", {F({-0.1f, 0.1f, 0.125f, 0.37f, 63.8f})},
                      {{"min", AttrF(0)}, {"max", AttrF(63.75f)}});
  ExpectTensorNear(out, F({0, 0, 0.25f, 0.25f, 63.75f}), 1e-6);
}

TEST(FakeQuantTest, NudgesTheRangeSoZeroIsOnTheGrid) {
  // [-0.2, 63.55]: scale 0.25, zero_point_from_min = 0.8 rounds to 1, so the nudged range
  // is [-0.25, 63.5] and 0 stays exactly 0.
  Tensor out = RunOne("FakeQuantWithMinMaxVars",
                      {F({-0.3f, 0.0f, 63.6f, 0.1f, 0.2f}), Fs(-0.2f), Fs(63.55f)});
  ExpectTensorNear(out, F({-0.25f, 0.0f, 63.5f, 0.0f, 0.25f}), 1e-5);
  // Same with the Args form.
  out = RunOne("FakeQuantWithMinMaxArgs", {F({-0.3f, 0.0f, 63.6f})},
               {{"min", AttrF(-0.2f)}, {"max", AttrF(63.55f)}});
  ExpectTensorNear(out, F({-0.25f, 0.0f, 63.5f}), 1e-5);
}

TEST(FakeQuantTest, NarrowRangeAndFewBits) {
  // narrow_range, 8 bits: grid [1, 255]; [0, 63.5] gives scale 0.25, zero point 1.
  Tensor out = RunOne("FakeQuantWithMinMaxArgs", {F({-1, 0.3f, 63.6f})},
                      {{"min", AttrF(0)}, {"max", AttrF(63.5f)}, {"narrow_range", AttrB(true)}});
  ExpectTensorNear(out, F({0, 0.25f, 63.5f}), 1e-6);
  // 4 bits: grid [0, 15]; [0, 7.5] gives scale 0.5.
  out = RunOne("FakeQuantWithMinMaxVars", {F({0.74f, 0.76f, 9.0f}), Fs(0), Fs(7.5f)},
               {{"num_bits", AttrI(4)}});
  ExpectTensorNear(out, F({0.5f, 1.0f, 7.5f}), 1e-6);
}

TEST(FakeQuantTest, VarsZeroRangeGivesZeros) {
  ExpectTensorNear(RunOne("FakeQuantWithMinMaxVars", {F({1, -2, 3}), Fs(0), Fs(0)}), F({0, 0, 0}));
}

TEST(FakeQuantTest, PerChannelUsesTheLastDim) {
  // Channel 0: [0, 63.75] (scale 0.25, zp 0); channel 1: [-0.2, 63.55] (nudged to
  // [-0.25, 63.5]).
  Tensor x = F({0.37f, -0.3f, 70.0f, 63.6f}, {2, 2});
  Tensor out =
      RunOne("FakeQuantWithMinMaxVarsPerChannel", {x, F({0.0f, -0.2f}), F({63.75f, 63.55f})});
  ExpectTensorNear(out, F({0.25f, -0.25f, 63.75f, 63.5f}, {2, 2}), 1e-5);
  EXPECT_THAT(RunError("FakeQuantWithMinMaxVarsPerChannel", {x, F({0}), F({1, 2})}),
              HasSubstr("min has incorrect size, expected 2 was 1"));
}

TEST(FakeQuantTest, Errors) {
  EXPECT_THAT(RunError("FakeQuantWithMinMaxArgs", {F({1})}, {{"num_bits", AttrI(1)}}),
              HasSubstr("num_bits must be between 2 and 16, inclusive"));
  EXPECT_THAT(RunError("FakeQuantWithMinMaxArgs", {F({1})}, {{"min", AttrF(1)}, {"max", AttrF(1)}}),
              HasSubstr("min has to be smaller than max, was: 1 >= 1"));
  EXPECT_THAT(RunError("FakeQuantWithMinMaxVars", {F({1}), F({0}), Fs(1)}),
              HasSubstr("`min` must be rank 0 but is rank 1"));
  EXPECT_THAT(RunError("FakeQuantWithMinMaxVars", {Tensor::FromVector<double>({1}), Fs(0), Fs(1)}),
              HasSubstr("inputs must be float"));
}

// ---- QuantizeAndDequantize ----

TEST(QuantizeAndDequantizeTest, RangeFromInput) {
  // min -1, max 0.8, signed 8 bits: the min side limits the scale: 128, step 1/128.
  // 0.3 -> 38.4 -> 38/128; 0.8 -> 102.4 -> 102/128; 2.5/128 rounds half to even -> 2/128.
  Tensor x = F({-1.0f, -0.5f, 0.0f, 0.3f, 0.8f, 2.5f / 128});
  testing::Attrs a = {{"range_given", AttrB(false)}};
  Tensor out = RunOne("QuantizeAndDequantizeV2", {x, Fs(0), Fs(0)}, a);
  ExpectTensorNear(out, F({-1, -0.5f, 0, 38.0f / 128, 102.0f / 128, 2.0f / 128}), 1e-7);
  a["round_mode"] = AttrS("HALF_UP");
  out = RunOne("QuantizeAndDequantizeV4", {x, Fs(0), Fs(0)}, a);
  ExpectTensorNear(out, F({-1, -0.5f, 0, 38.0f / 128, 102.0f / 128, 3.0f / 128}), 1e-7);
  // V3 takes num_bits as an input; double works too.
  Tensor xd = D({-1.0, 0.3, 0.8});
  out =
      RunOne("QuantizeAndDequantizeV3",
             {xd, Tensor::Scalar<double>(0), Tensor::Scalar<double>(0), Tensor::Scalar<int32_t>(8)},
             {{"range_given", AttrB(false)}});
  ExpectTensorNear(out, D({-1.0, 38.0 / 128, 102.0 / 128}), 1e-12);
}

TEST(QuantizeAndDequantizeTest, GivenRangeClamps) {
  // [-1, 1] signed 8 bits: the max side limits (127 < 128), step 1/127, and the min end
  // moves to -128/127.
  Tensor out = RunOne("QuantizeAndDequantizeV2", {F({2.0f, -2.0f, 0.5f}), Fs(-1), Fs(1)},
                      {{"range_given", AttrB(true)}});
  ExpectTensorNear(out, F({1.0f, -128.0f / 127, 64.0f / 127}), 1e-6);
  EXPECT_THAT(
      RunError("QuantizeAndDequantizeV2", {F({1}), Fs(1), Fs(-1)}, {{"range_given", AttrB(true)}}),
      HasSubstr("Invalid range: input_min 1 > input_max -1"));
  EXPECT_THAT(
      RunError("QuantizeAndDequantizeV2", {F({1}), Fs(0), Fs(1)}, {{"round_mode", AttrS("UP")}}),
      HasSubstr("Round mode string must be 'HALF_UP' or 'HALF_TO_EVEN', is 'UP'"));
  EXPECT_THAT(RunError("QuantizeAndDequantizeV2", {F({1}), Fs(0), Fs(1)}, {{"num_bits", AttrI(0)}}),
              HasSubstr("num_bits is out of range: 0"));
}

TEST(QuantizeAndDequantizeTest, PerChannelAxis) {
  // axis 1 of [2, 2]: channel 0 range [-1, 0.5] (scale 128), channel 1 [-0.5, 2]
  // (max side: 127 / 2 = 63.5).
  Tensor x = F({-1.0f, 2.0f, 0.5f, -0.5f}, {2, 2});
  Tensor out = RunOne("QuantizeAndDequantizeV2", {x, F({0, 0}), F({0, 0})},
                      {{"range_given", AttrB(false)}, {"axis", AttrI(1)}});
  ExpectTensorNear(out, F({-1.0f, 2.0f, 64.0f / 128, -32.0f / 63.5f}, {2, 2}), 1e-6);
  EXPECT_THAT(RunError("QuantizeAndDequantizeV2", {x, F({0}), F({0})}, {{"axis", AttrI(3)}}),
              HasSubstr("Shape must be at least rank 4 but is rank 2"));
}

// ---- a QAT MLP built with the graph builder ----

TEST(FakeQuantGraphTest, QuantizedMlpMatchesHandComputation) {
  GraphBuilder b;
  const AttrMap t = {{"T", AttrType(DType::kFloat)}};
  std::string x = b.Placeholder("x", DType::kFloat, PartialShape{-1, 3});
  // Inputs on [0, 63.75] (step 0.25).
  std::string xq = b.Op("xq", "FakeQuantWithMinMaxArgs", {x},
                        {{"min", AttrF(0)}, {"max", AttrF(63.75f)}, {"num_bits", AttrI(8)}});
  // Weights on [-1.27, 1.27] with narrow_range: grid [1, 255], step 0.01, zero point 128.
  std::string w = b.Const("w", F({0.504f, -0.306f, 1.5f, 0.0149f, -0.2051f, -2.0f}, {3, 2}));
  std::string wq = b.Op("wq", "FakeQuantWithMinMaxVars",
                        {w, b.Const("wmin", Fs(-1.27f)), b.Const("wmax", Fs(1.27f))},
                        {{"narrow_range", AttrB(true)}, {"num_bits", AttrI(8)}});
  std::string mm = b.Op("mm", "MatMul", {xq, wq}, t);
  std::string ba = b.Op("ba", "BiasAdd", {mm, b.Const("bias", F({0.5f, 4.0f}))}, t);
  std::string relu = b.Op("relu", "Relu", {ba}, t);
  // Activations on [0, 7.65] (step 0.03).
  b.Op("out", "FakeQuantWithMinMaxArgs", {relu}, {{"min", AttrF(0)}, {"max", AttrF(7.65f)}});
  TFM_ASSERT_OK_AND_ASSIGN(auto model, Model::LoadGraph(b.graph()));
  Tensor input = F({0.1f, 1.3f, 2.6f, 3.0f, -1.0f, 70.0f}, {2, 3});
  TFM_ASSERT_OK_AND_ASSIGN(auto outs,
                           model->Run({{"x:0", input}}, {"xq:0", "wq:0", "relu:0", "out:0"}));
  // By hand: xq = [[0, 1.25, 2.5], [3, 0, 63.75]]; wq = [[0.50, -0.31], [1.27, 0.01],
  // [-0.21, -1.27]]; xq.wq + b = [[1.5625, 0.8375], [-11.3875, -77.8925]];
  // relu = [[1.5625, 0.8375], [0, 0]]; quantized to 0.03 steps: 1.56 and 0.84.
  ExpectTensorNear(outs[0], F({0, 1.25f, 2.5f, 3, 0, 63.75f}, {2, 3}), 1e-6);
  ExpectTensorNear(outs[1], F({0.50f, -0.31f, 1.27f, 0.01f, -0.21f, -1.27f}, {3, 2}), 1e-6);
  ExpectTensorNear(outs[2], F({1.5625f, 0.8375f, 0, 0}, {2, 2}), 1e-4);
  ExpectTensorNear(outs[3], F({1.56f, 0.84f, 0, 0}, {2, 2}), 1e-5);
}

}  // namespace
}  // namespace tfmodel::runtime
