// Tests for fused_ops.cc, conv3d.cc, pooling3d.cc, nn_misc_ops.cc and stitch_ops.cc.
// Expected values are hand-computed on small inputs; DynamicPartition / DynamicStitch use
// the examples of TF's op docs.
#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrF;
using testing::AttrI;
using testing::AttrIList;
using testing::AttrS;
using testing::AttrSList;
using testing::AttrType;
using testing::ExpectTensorEq;
using testing::ExpectTensorNear;
using ::testing::HasSubstr;
using testing::RunError;
using testing::RunKernel;
using testing::RunOne;

Tensor F(std::vector<float> v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor I(std::vector<int32_t> v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor I(std::vector<int32_t> v) { return Tensor::FromVector(v); }
Tensor Iota(TensorShape s) {
  Tensor t(DType::kFloat, s);
  for (int64_t i = 0; i < t.NumElements(); ++i) t.data<float>()[i] = static_cast<float>(i + 1);
  return t;
}

// ---- grappler fused ops ----

TEST(FusedOpsTest, FusedMatMulBiasRelu) {
  testing::Attrs a = {{"T", AttrType(DType::kFloat)},
                      {"fused_ops", AttrSList({"BiasAdd", "Relu"})},
                      {"num_args", AttrI(1)}};
  ExpectTensorEq(RunOne("_FusedMatMul",
                        {F({1, -2}, {1, 2}), F({1, 0, 0, 1}, {2, 2}), F({0.5f, 0.5f}, {2})}, a),
                 F({1.5f, 0}, {1, 2}));
  a["fused_ops"] = AttrSList({"BiasAdd", "LeakyRelu"});
  a["leakyrelu_alpha"] = AttrF(0.1f);
  ExpectTensorNear(RunOne("_FusedMatMul",
                          {F({1, -2}, {1, 2}), F({1, 0, 0, 1}, {2, 2}), F({0.5f, 0.5f}, {2})}, a),
                   F({1.5f, -0.15f}, {1, 2}), 1e-6);
  a["fused_ops"] = AttrSList({"BiasAdd", "GeluExact"});
  ExpectTensorNear(RunOne("_FusedMatMul", {F({1}, {1, 1}), F({1}, {1, 1}), F({0}, {1})}, a),
                   F({0.8413447f}, {1, 1}), 1e-6);
}

TEST(FusedOpsTest, FusedConvWithBatchNorm) {
  // conv = 2 * 3 = 6; batch norm (6 - 4) / sqrt(3 + 1) * 2 + 1 = 3; relu keeps it.
  testing::Attrs a = {
      {"T", AttrType(DType::kFloat)}, {"strides", AttrIList({1, 1, 1, 1})},
      {"padding", AttrS("VALID")},    {"fused_ops", AttrSList({"FusedBatchNorm", "Relu"})},
      {"num_args", AttrI(4)},         {"epsilon", AttrF(1.0f)}};
  ExpectTensorNear(RunOne("_FusedConv2D",
                          {F({2}, {1, 1, 1, 1}), F({3}, {1, 1, 1, 1}), F({2}, {1}), F({1}, {1}),
                           F({4}, {1}), F({3}, {1})},
                          a),
                   F({3}, {1, 1, 1, 1}), 1e-6);
  a["fused_ops"] = AttrSList({"BiasAdd", "Add", "Relu6"});
  a["num_args"] = AttrI(2);
  ExpectTensorNear(
      RunOne("_FusedConv2D",
             {F({2}, {1, 1, 1, 1}), F({3}, {1, 1, 1, 1}), F({1}, {1}), F({5}, {1, 1, 1, 1})}, a),
      F({6}, {1, 1, 1, 1}));
}

TEST(FusedOpsTest, BadFusedOpsFailAtBuild) {
  testing::Attrs a = {{"fused_ops", AttrSList({"BiasAdd", "Swoosh"})}, {"num_args", AttrI(1)}};
  EXPECT_THAT(RunError("_FusedMatMul", {F({1}, {1, 1}), F({1}, {1, 1}), F({1}, {1})}, a),
              HasSubstr("unsupported fused op 'Swoosh'"));
  a = {{"fused_ops", AttrSList({"BiasAdd"})}, {"num_args", AttrI(2)}};
  EXPECT_THAT(RunError("_FusedMatMul", {F({1}, {1, 1}), F({1}, {1, 1}), F({1}, {1})}, a),
              HasSubstr("fused_ops take 1 extra inputs but num_args is 2"));
}

TEST(FusedOpsTest, FusedBatchNormExAndPadConv) {
  testing::Attrs a = {{"T", AttrType(DType::kFloat)},     {"U", AttrType(DType::kFloat)},
                      {"epsilon", AttrF(0.0f)},           {"num_side_inputs", AttrI(1)},
                      {"activation_mode", AttrS("Relu")}, {"is_training", testing::AttrB(false)}};
  // (x - 0) / 1 * 1 + 0 + side, then relu: [1 - 3, 2 + 1] -> [0, 3].
  auto r = RunKernel("_FusedBatchNormEx",
                     {F({1, 2}, {1, 1, 1, 2}), F({1, 1}, {2}), F({0, 0}, {2}), F({0, 0}, {2}),
                      F({1, 1}, {2}), F({-3, 1}, {1, 1, 1, 2})},
                     a);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectTensorNear((*r)[0], F({0, 3}, {1, 1, 1, 2}));
  // REFLECT padding by 1 of [[1, 2], [3, 4]], then a 1x1 conv by 2.
  testing::Attrs p = {{"T", AttrType(DType::kFloat)},
                      {"mode", AttrS("REFLECT")},
                      {"strides", AttrIList({1, 1, 1, 1})},
                      {"padding", AttrS("VALID")}};
  ExpectTensorEq(RunOne("FusedPadConv2D",
                        {F({1, 2, 3, 4}, {1, 2, 2, 1}), I({0, 0, 1, 1, 1, 1, 0, 0}, {4, 2}),
                         F({2}, {1, 1, 1, 1})},
                        p),
                 F({8, 6, 8, 6, 4, 2, 4, 2, 8, 6, 8, 6, 4, 2, 4, 2}, {1, 4, 4, 1}));
}

// ---- 3-D convolution and pooling ----

TEST(Conv3DTest, ValidAndBackpropInput) {
  testing::Attrs a = {{"strides", AttrIList({1, 1, 1, 1, 1})}, {"padding", AttrS("VALID")}};
  Tensor x = Iota({1, 2, 2, 2, 1});
  Tensor ones = F({1, 1, 1, 1, 1, 1, 1, 1}, {2, 2, 2, 1, 1});
  ExpectTensorNear(RunOne("Conv3D", {x, ones}, a), F({36}, {1, 1, 1, 1, 1}));
  // Two output channels (weights 1 and -1); double takes the direct loops.
  Tensor w2 = F({1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1}, {2, 2, 2, 1, 2});
  ExpectTensorNear(RunOne("Conv3D", {x, w2}, a), F({36, -36}, {1, 1, 1, 1, 2}));
  Tensor xd = Tensor::FromVector<double>({1, 2, 3, 4, 5, 6, 7, 8}, {1, 2, 2, 2, 1});
  Tensor wd = Tensor::FromVector<double>({1, 1, 1, 1, 1, 1, 1, 1}, {2, 2, 2, 1, 1});
  ExpectTensorEq(RunOne("Conv3D", {xd, wd}, a), Tensor::FromVector<double>({36}, {1, 1, 1, 1, 1}));
  // SAME with stride 2 over a 2x2x2 input: one output per dim, the full window.
  a["padding"] = AttrS("SAME");
  a["strides"] = AttrIList({1, 2, 2, 2, 1});
  ExpectTensorNear(RunOne("Conv3D", {x, ones}, a), F({36}, {1, 1, 1, 1, 1}));
  // The transposed convolution spreads one gradient over the window.
  a["padding"] = AttrS("VALID");
  a["strides"] = AttrIList({1, 1, 1, 1, 1});
  ExpectTensorNear(
      RunOne("Conv3DBackpropInputV2", {I({1, 2, 2, 2, 1}), ones, F({1}, {1, 1, 1, 1, 1})}, a),
      F({1, 1, 1, 1, 1, 1, 1, 1}, {1, 2, 2, 2, 1}));
  EXPECT_THAT(RunError("Conv3D", {x, F({1, 1}, {1, 1, 1, 2, 1})}, a),
              HasSubstr("Input depth must equal the filter's in_channels"));
}

TEST(Pool3DTest, MaxAndAvg) {
  testing::Attrs a = {{"ksize", AttrIList({1, 2, 2, 2, 1})},
                      {"strides", AttrIList({1, 1, 1, 1, 1})},
                      {"padding", AttrS("VALID")}};
  Tensor x = Iota({1, 2, 2, 2, 1});
  ExpectTensorEq(RunOne("MaxPool3D", {x}, a), F({8}, {1, 1, 1, 1, 1}));
  ExpectTensorNear(RunOne("AvgPool3D", {x}, a), F({4.5f}, {1, 1, 1, 1, 1}));
  // SAME: the last window holds only element 8 (padding is not averaged).
  a["padding"] = AttrS("SAME");
  Tensor avg = RunOne("AvgPool3D", {x}, a);
  ASSERT_EQ(avg.shape(), (TensorShape{1, 2, 2, 2, 1}));
  EXPECT_FLOAT_EQ(avg.data<float>()[7], 8.0f);
  EXPECT_FLOAT_EQ(avg.data<float>()[6], 7.5f);
  EXPECT_THAT(RunError("MaxPool3D", {x},
                       {{"ksize", AttrIList({2, 1, 1, 1, 1})},
                        {"strides", AttrIList({1, 1, 1, 1, 1})},
                        {"padding", AttrS("VALID")}}),
              HasSubstr("not yet supported on the batch nor channel dimension"));
}

// ---- LRN, Dilation2D, losses, SparseSoftmax ----

TEST(NnMiscTest, Lrn) {
  ExpectTensorNear(RunOne("LRN", {F({1, 2, 3}, {1, 1, 1, 3})},
                          {{"depth_radius", AttrI(1)}, {"beta", AttrF(1.0f)}}),
                   F({1.0f / 6, 2.0f / 15, 3.0f / 14}, {1, 1, 1, 3}), 1e-6);
  EXPECT_THAT(RunError("LRN", {F({1}, {1})}), HasSubstr("in must be 4-dimensional"));
}

TEST(NnMiscTest, Dilation2D) {
  testing::Attrs a = {{"strides", AttrIList({1, 1, 1, 1})},
                      {"rates", AttrIList({1, 1, 1, 1})},
                      {"padding", AttrS("VALID")}};
  Tensor x = Iota({1, 3, 3, 1});
  ExpectTensorEq(RunOne("Dilation2D", {x, F({0, 0, 0, 0}, {2, 2, 1})}, a),
                 F({5, 6, 8, 9}, {1, 2, 2, 1}));
  ExpectTensorEq(RunOne("Dilation2D", {x, F({0, 0, 0, 10}, {2, 2, 1})}, a),
                 F({15, 16, 18, 19}, {1, 2, 2, 1}));
}

TEST(NnMiscTest, SoftmaxCrossEntropy) {
  const float l2 = std::log(2.0f);
  auto r = RunKernel("SoftmaxCrossEntropyWithLogits", {F({0, 0}, {1, 2}), F({1, 0}, {1, 2})});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectTensorNear((*r)[0], F({l2}, {1}), 1e-6);
  ExpectTensorNear((*r)[1], F({-0.5f, 0.5f}, {1, 2}), 1e-6);
  r = RunKernel("SparseSoftmaxCrossEntropyWithLogits", {F({0, 0}, {1, 2}), I({1})});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectTensorNear((*r)[0], F({l2}, {1}), 1e-6);
  ExpectTensorNear((*r)[1], F({0.5f, -0.5f}, {1, 2}), 1e-6);
  EXPECT_THAT(RunError("SparseSoftmaxCrossEntropyWithLogits", {F({0, 0}, {1, 2}), I({2})}),
              HasSubstr("Received a label value of 2 which is outside the valid range of [0, 2)."));
}

TEST(NnMiscTest, SparseSoftmax) {
  Tensor idx = Tensor::FromVector<int64_t>({0, 0, 0, 2, 1, 1}, {3, 2});
  ExpectTensorNear(
      RunOne("SparseSoftmax", {idx, F({1, 1, 5}, {3}), Tensor::FromVector<int64_t>({2, 3})}),
      F({0.5f, 0.5f, 1.0f}, {3}), 1e-6);
}

// ---- DynamicPartition / DynamicStitch ----

TEST(StitchTest, PartitionDocExample) {
  auto r = RunKernel("DynamicPartition", {I({10, 20, 30, 40, 50}), I({0, 0, 1, 1, 0})},
                     {{"num_partitions", AttrI(2)}});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectTensorEq((*r)[0], I({10, 20, 50}));
  ExpectTensorEq((*r)[1], I({30, 40}));
  EXPECT_THAT(RunError("DynamicPartition", {I({1, 2}), I({0, 2})}, {{"num_partitions", AttrI(2)}}),
              HasSubstr("partitions[1] = 2 is not in [0, 2)"));
}

TEST(StitchTest, StitchDocExample) {
  Tensor merged = RunOne(
      "DynamicStitch", {Tensor::Scalar<int32_t>(6), I({4, 1}), I({5, 2, 0, 3}, {2, 2}), I({61, 62}),
                        I({41, 42, 11, 12}, {2, 2}), I({51, 52, 21, 22, 1, 2, 31, 32}, {2, 2, 2})});
  ExpectTensorEq(merged, I({1, 2, 11, 12, 21, 22, 31, 32, 41, 42, 51, 52, 61, 62}, {7, 2}));
  // Later pairs win; unnamed rows are zero.
  ExpectTensorEq(RunOne("ParallelDynamicStitch", {I({0, 2}), I({2}), I({1, 2}), I({9})}),
                 I({1, 0, 9}));
  EXPECT_THAT(RunError("DynamicStitch", {I({-1}), I({1})}), HasSubstr("negative index"));
}

}  // namespace
}  // namespace tfmodel::runtime
