// Batch norm folding (graph/fold_batch_norm.h) on hand-built graphs: what folds, what is
// left alone, a hand-computed fold, and that the folded (and then fused) graph computes
// what the original does through the executor.
#include "graph/fold_batch_norm.h"

#include <cmath>

#include "format/tensor_proto.h"
#include "gmock/gmock.h"
#include "graph/graph_builder.h"
#include "graph/graph_optimize.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "runtime/executor.h"
#include "runtime/graph_rewrite_test_util.h"
#include "test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrB;
using testing::AttrF;
using testing::AttrIList;
using testing::AttrS;
using testing::AttrType;
using testing::ExpectTensorNear;

Tensor Wave(const TensorShape& s, int seed, float lo = -1, float hi = 1) {
  Tensor t(DType::kFloat, s);
  for (int64_t i = 0; i < t.NumElements(); ++i) {
    const double u = 0.5 + 0.5 * std::sin(0.37 * static_cast<double>(i) + seed);
    t.data<float>()[i] = static_cast<float>(lo + (hi - lo) * u);
  }
  return t;
}

const tensorflow::NodeDef* Find(const tensorflow::GraphDef& g, const std::string& name) {
  for (const auto& n : g.node()) {
    if (n.name() == name) return &n;
  }
  return nullptr;
}

// x [1,5,5,3] -> conv (Conv2D w [3,3,3,4] or DepthwiseConv2dNative w [3,3,3,2]) ->
// `bn_op` (inference) -> Relu.
GraphBuilder ConvBn(const std::string& conv_op, const std::string& bn_op = "FusedBatchNormV3",
                    const std::string& fmt = "NHWC") {
  GraphBuilder b;
  b.Placeholder("x", DType::kFloat,
                fmt == "NHWC" ? PartialShape{1, 5, 5, 3} : PartialShape{1, 3, 5, 5});
  const bool dw = conv_op == "DepthwiseConv2dNative";
  const int64_t depth = dw ? 6 : 4;
  b.Const("w", Wave(dw ? TensorShape{3, 3, 3, 2} : TensorShape{3, 3, 3, 4}, 1));
  b.Op("w/read", "Identity", {"w"}, {{"T", AttrType(DType::kFloat)}});
  b.Const("scale", Wave(TensorShape{depth}, 2, 0.5f, 2.0f));
  b.Const("offset", Wave(TensorShape{depth}, 3));
  b.Const("mean", Wave(TensorShape{depth}, 4));
  b.Const("var", Wave(TensorShape{depth}, 5, 0.1f, 3.0f));
  AttrMap ca = {{"T", AttrType(DType::kFloat)},
                {"strides", fmt == "NHWC" ? AttrIList({1, 1, 1, 1}) : AttrIList({1, 1, 1, 1})},
                {"padding", AttrS("SAME")},
                {"data_format", AttrS(fmt)}};
  b.Op("conv", conv_op, {"x", "w/read"}, ca);
  AttrMap ba = {{"T", AttrType(DType::kFloat)},
                {"epsilon", AttrF(0.001f)},
                {"is_training", AttrB(false)},
                {"data_format", AttrS(fmt)}};
  if (bn_op == "FusedBatchNormV3") ba["U"] = AttrType(DType::kFloat);
  b.Op("bn", bn_op, {"conv", "scale", "offset", "mean", "var"}, ba);
  b.Op("relu", "Relu", {"bn"}, {{"T", AttrType(DType::kFloat)}});
  return b;
}

void ExpectSameResults(const tensorflow::GraphDef& g, const Tensor& x, const std::string& fetch) {
  std::vector<Tensor> a = RunGraph(g, x, {fetch}, false), b = RunGraph(g, x, {fetch}, true);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  ExpectTensorNear(b[0], a[0], 1e-5, 1e-5);
}

TEST(FoldBatchNormTest, ConvAndDepthwiseFoldThenFuse) {
  for (const std::string conv : {"Conv2D", "DepthwiseConv2dNative"}) {
    for (const std::string bn : {"FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"}) {
      SCOPED_TRACE(conv + " " + bn);
      GraphBuilder b = ConvBn(conv, bn);
      auto r = FoldBatchNorms(b.graph(), {"x", "relu", "relu:0"});
      ASSERT_TRUE(r.has_value());
      EXPECT_EQ(r->num_folded, 1);
      const tensorflow::NodeDef* add = Find(r->graph, "bn");
      ASSERT_NE(add, nullptr);
      EXPECT_EQ(add->op(), "BiasAdd");
      EXPECT_THAT(add->input(), ::testing::ElementsAre("conv", "bn/_tfmodel_folded_bias"));
      EXPECT_EQ(Find(r->graph, "conv")->input(1), "conv/_tfmodel_folded_filter");
      // The folded graph then fuses into one convolution with bias and Relu.
      auto f = FuseBiasActivation(r->graph, {"x", "relu", "relu:0"});
      ASSERT_TRUE(f.has_value());
      EXPECT_EQ(Find(f->graph, "relu")->op(), "_Fused" + conv);
      ExpectSameResults(b.graph(), Wave(TensorShape{1, 5, 5, 3}, 0), "relu:0");
    }
  }
}

TEST(FoldBatchNormTest, FoldedValuesHandComputed) {
  // 1x1 conv, one input channel, two output channels: w = [2, -1]; scale [3, 1], offset
  // [0.5, 0], mean [1, -2], variance [0.25, 4] - epsilon 0.001 each.
  GraphBuilder b;
  b.Placeholder("x", DType::kFloat, PartialShape{1, 1, 1, 1});
  b.Const("w", Tensor::FromVector<float>({2, -1}, TensorShape{1, 1, 1, 2}));
  b.Const("scale", Tensor::FromVector<float>({3, 1}, TensorShape{2}));
  b.Const("offset", Tensor::FromVector<float>({0.5f, 0}, TensorShape{2}));
  b.Const("mean", Tensor::FromVector<float>({1, -2}, TensorShape{2}));
  b.Const("var", Tensor::FromVector<float>({0.249f, 3.999f}, TensorShape{2}));
  b.Op("conv", "Conv2D", {"x", "w"},
       {{"T", AttrType(DType::kFloat)},
        {"strides", AttrIList({1, 1, 1, 1})},
        {"padding", AttrS("VALID")}});
  b.Op("bn", "FusedBatchNormV3", {"conv", "scale", "offset", "mean", "var"},
       {{"T", AttrType(DType::kFloat)}, {"epsilon", AttrF(0.001f)}, {"is_training", AttrB(false)}});
  auto r = FoldBatchNorms(b.graph(), {"x"});
  ASSERT_TRUE(r.has_value());
  // s = scale / sqrt(var + eps) = [6, 0.5]; filter [12, -0.5]; bias = offset - mean * s =
  // [0.5 - 6, 0 + 1] = [-5.5, 1].
  auto filter =
      TensorFromProto(Find(r->graph, "conv/_tfmodel_folded_filter")->attr().at("value").tensor());
  ASSERT_TRUE(filter.ok());
  EXPECT_NEAR(filter->data<float>()[0], 12, 1e-4);
  EXPECT_NEAR(filter->data<float>()[1], -0.5, 1e-5);
  auto bias =
      TensorFromProto(Find(r->graph, "bn/_tfmodel_folded_bias")->attr().at("value").tensor());
  ASSERT_TRUE(bias.ok());
  EXPECT_NEAR(bias->data<float>()[0], -5.5, 1e-4);
  EXPECT_NEAR(bias->data<float>()[1], 1, 1e-5);
  // x = 1.5: conv [3, -1.5]; bn [(3 - 1) * 6 + 0.5, (-1.5 + 2) * 0.5] = [12.5, 0.25].
  std::vector<Tensor> out = RunGraph(
      b.graph(), Tensor::FromVector<float>({1.5f}, TensorShape{1, 1, 1, 1}), {"bn:0"}, true);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NEAR(out[0].data<float>()[0], 12.5, 1e-4);
  EXPECT_NEAR(out[0].data<float>()[1], 0.25, 1e-5);
}

TEST(FoldBatchNormTest, BiasAddBeforeTheBatchNormFoldsToo) {
  for (const std::string conv : {"Conv2D", "DepthwiseConv2dNative"}) {
    SCOPED_TRACE(conv);
    GraphBuilder b = ConvBn(conv);
    const int64_t depth = conv == "Conv2D" ? 4 : 6;
    b.Const("b", Wave(TensorShape{depth}, 6));
    b.Op("bias", "BiasAdd", {"conv", "b"}, {{"T", AttrType(DType::kFloat)}});
    b.node("bn")->set_input(0, "bias");
    auto r = FoldBatchNorms(b.graph(), {"x", "relu"});
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(Find(r->graph, "bias"), nullptr);
    EXPECT_THAT(Find(r->graph, "bn")->input(),
                ::testing::ElementsAre("conv", "bn/_tfmodel_folded_bias"));
    ExpectSameResults(b.graph(), Wave(TensorShape{1, 5, 5, 3}, 0), "relu:0");
    // The BiasAdd read elsewhere: nothing folds.
    b.Op("other", "Relu", {"bias"}, {{"T", AttrType(DType::kFloat)}});
    EXPECT_FALSE(FoldBatchNorms(b.graph(), {"x", "relu", "other"}).has_value());
  }
}

TEST(FoldBatchNormTest, NchwFolds) {
  GraphBuilder b = ConvBn("Conv2D", "FusedBatchNormV3", "NCHW");
  auto r = FoldBatchNorms(b.graph(), {"x", "relu"});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(Find(r->graph, "bn")->attr().at("data_format").s(), "NCHW");
  ExpectSameResults(b.graph(), Wave(TensorShape{1, 3, 5, 5}, 0), "relu:0");
}

TEST(FoldBatchNormTest, LeftAloneWhenItCannotFold) {
  // Training mode (is_training defaults to true).
  GraphBuilder training = ConvBn("Conv2D");
  training.node("bn")->mutable_attr()->erase("is_training");
  EXPECT_FALSE(FoldBatchNorms(training.graph(), {"x", "relu"}).has_value());
  // Batch statistics read.
  GraphBuilder stats = ConvBn("Conv2D");
  stats.Op("m", "Identity", {"bn:1"}, {{"T", AttrType(DType::kFloat)}});
  EXPECT_FALSE(FoldBatchNorms(stats.graph(), {"x", "relu", "m"}).has_value());
  // The convolution's output read elsewhere too.
  GraphBuilder shared = ConvBn("Conv2D");
  shared.Op("other", "Relu", {"conv"}, {{"T", AttrType(DType::kFloat)}});
  EXPECT_FALSE(FoldBatchNorms(shared.graph(), {"x", "relu", "other"}).has_value());
  // A fed mean is not a constant.
  GraphBuilder fed = ConvBn("Conv2D");
  EXPECT_FALSE(FoldBatchNorms(fed.graph(), {"x", "relu", "mean"}).has_value());
  // The batch norm itself fetched or fed.
  EXPECT_FALSE(FoldBatchNorms(ConvBn("Conv2D").graph(), {"x", "bn"}).has_value());
  // A filter that is not a constant (a second placeholder).
  GraphBuilder var = ConvBn("Conv2D");
  var.Placeholder("w2", DType::kFloat, PartialShape{3, 3, 3, 4});
  var.node("conv")->set_input(1, "w2");
  EXPECT_FALSE(FoldBatchNorms(var.graph(), {"x", "relu", "w2"}).has_value());
  // A scale Const without a value.
  GraphBuilder wrong = ConvBn("Conv2D");
  wrong.node("scale")->mutable_attr()->erase("value");
  EXPECT_FALSE(FoldBatchNorms(wrong.graph(), {"x", "relu"}).has_value());
}

}  // namespace
}  // namespace tfmodel::runtime
