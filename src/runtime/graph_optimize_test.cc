// The load-time fusion pass (graph/graph_optimize.h) on hand-built graphs: which chains
// fuse, which are left alone, and that a fused graph computes what the unfused one does
// (the executor with and without ExecutorOptions::optimize_graph).
#include "graph/graph_optimize.h"

#include <cmath>

#include "gmock/gmock.h"
#include "graph/graph_builder.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "runtime/executor.h"
#include "runtime/graph_rewrite_test_util.h"
#include "test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrF;
using testing::AttrIList;
using testing::AttrS;
using testing::AttrType;
using testing::ExpectTensorNear;

// Deterministic values in [-1, 1] (a different sequence per `seed`).
Tensor Wave(const TensorShape& s, int seed) {
  Tensor t(DType::kFloat, s);
  for (int64_t i = 0; i < t.NumElements(); ++i) {
    t.data<float>()[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i) + seed));
  }
  return t;
}

AttrMap T() { return {{"T", AttrType(DType::kFloat)}}; }

AttrMap ConvAttrs(const std::string& fmt = "NHWC") {
  AttrMap a = T();
  a["strides"] = fmt == "NHWC" ? AttrIList({1, 2, 2, 1}) : AttrIList({1, 1, 2, 2});
  a["padding"] = AttrS("SAME");
  a["data_format"] = AttrS(fmt);
  return a;
}

// Fused and unfused runs agree on every fetch.
void ExpectSameResults(const tensorflow::GraphDef& g, const Tensor& x,
                       const std::vector<std::string>& fetches) {
  std::vector<Tensor> a = RunGraph(g, x, fetches, false), b = RunGraph(g, x, fetches, true);
  ASSERT_EQ(a.size(), fetches.size());
  ASSERT_EQ(b.size(), fetches.size());
  for (size_t i = 0; i < a.size(); ++i) ExpectTensorNear(b[i], a[i], 1e-5, 1e-5);
}

const tensorflow::NodeDef* Find(const tensorflow::GraphDef& g, const std::string& name) {
  for (const auto& n : g.node()) {
    if (n.name() == name) return &n;
  }
  return nullptr;
}

std::vector<std::string> FusedOps(const tensorflow::NodeDef& n) {
  std::vector<std::string> out;
  for (const auto& s : n.attr().at("fused_ops").list().s()) out.push_back(s);
  return out;
}

// x [1,5,5,3] -> Conv2D(w [3,3,3,4], stride 2, SAME) -> BiasAdd(b [4]) -> `act`.
GraphBuilder ConvBiasAct(const std::string& act, const std::string& conv_op = "Conv2D") {
  GraphBuilder b;
  b.Placeholder("x", DType::kFloat, PartialShape{1, 5, 5, 3});
  const int64_t oc = conv_op == "Conv2D" ? 4 : 6;  // depthwise: 3 channels x multiplier 2
  b.Const("w", Wave(conv_op == "Conv2D" ? TensorShape{3, 3, 3, 4} : TensorShape{3, 3, 3, 2}, 1));
  b.Const("b", Wave(TensorShape{oc}, 2));
  AttrMap ca = ConvAttrs();
  b.Op("conv", conv_op, {"x", "w"}, ca);
  b.Op("bias", "BiasAdd", {"conv", "b"}, T());
  if (!act.empty()) {
    AttrMap aa = T();
    if (act == "LeakyRelu") aa["alpha"] = AttrF(0.3f);
    b.Op("act", act, {"bias"}, aa);
  }
  return b;
}

TEST(GraphOptimizeTest, ConvBiasActivationsFuseAndMatch) {
  const Tensor x = Wave(TensorShape{1, 5, 5, 3}, 0);
  for (const std::string act : {"Relu", "Relu6", "Elu", "LeakyRelu", "Sigmoid", "Tanh"}) {
    SCOPED_TRACE(act);
    GraphBuilder b = ConvBiasAct(act);
    auto r = FuseBiasActivation(b.graph(), {"x", "act"});
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->num_fused, 1);
    EXPECT_EQ(Find(r->graph, "conv"), nullptr);
    EXPECT_EQ(Find(r->graph, "bias"), nullptr);
    const tensorflow::NodeDef* f = Find(r->graph, "act");
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->op(), "_FusedConv2D");
    EXPECT_THAT(f->input(), ::testing::ElementsAre("x", "w", "b"));
    EXPECT_THAT(FusedOps(*f), ::testing::ElementsAre("BiasAdd", act));
    EXPECT_EQ(f->attr().at("num_args").i(), 1);
    EXPECT_EQ(f->attr().at("padding").s(), "SAME");
    if (act == "LeakyRelu") {
      EXPECT_FLOAT_EQ(f->attr().at("leakyrelu_alpha").f(), 0.3f);
    }
    ExpectSameResults(b.graph(), x, {"act:0"});
  }
}

TEST(GraphOptimizeTest, ConvBiasReluHandComputed) {
  // 1x1 conv of one pixel [1, -2] with w [[1, 0], [0, 1]] (identity), bias [0.5, 0.5],
  // Relu: [1.5, 0]. With Relu6 and a big input, clipped at 6.
  GraphBuilder b;
  b.Placeholder("x", DType::kFloat, PartialShape{1, 1, 1, 2});
  b.Const("w", Tensor::FromVector<float>({1, 0, 0, 1}, TensorShape{1, 1, 2, 2}));
  b.Const("b", Tensor::FromVector<float>({0.5f, 0.5f}, TensorShape{2}));
  AttrMap ca = T();
  ca["strides"] = AttrIList({1, 1, 1, 1});
  ca["padding"] = AttrS("VALID");
  b.Op("conv", "Conv2D", {"x", "w"}, ca);
  b.Op("bias", "BiasAdd", {"conv", "b"}, T());
  b.Op("relu", "Relu6", {"bias"}, T());
  auto out = RunGraph(b.graph(), Tensor::FromVector<float>({10, -2}, TensorShape{1, 1, 1, 2}),
                      {"relu:0"}, true);
  ASSERT_EQ(out.size(), 1u);
  ExpectTensorNear(out[0], Tensor::FromVector<float>({6, 0}, TensorShape{1, 1, 1, 2}));
  out = RunGraph(b.graph(), Tensor::FromVector<float>({1, -2}, TensorShape{1, 1, 1, 2}), {"relu:0"},
                 true);
  ASSERT_EQ(out.size(), 1u);
  ExpectTensorNear(out[0], Tensor::FromVector<float>({1.5f, 0}, TensorShape{1, 1, 1, 2}));
}

TEST(GraphOptimizeTest, DepthwiseAndNchwFuse) {
  const Tensor x = Wave(TensorShape{1, 5, 5, 3}, 0);
  GraphBuilder b = ConvBiasAct("Relu6", "DepthwiseConv2dNative");
  auto r = FuseBiasActivation(b.graph(), {"x", "act"});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(Find(r->graph, "act")->op(), "_FusedDepthwiseConv2dNative");
  ExpectSameResults(b.graph(), x, {"act:0"});

  // NCHW conv with an NCHW BiasAdd.
  GraphBuilder c;
  c.Placeholder("x", DType::kFloat, PartialShape{1, 3, 5, 5});
  c.Const("w", Wave(TensorShape{3, 3, 3, 4}, 1));
  c.Const("b", Wave(TensorShape{4}, 2));
  c.Op("conv", "Conv2D", {"x", "w"}, ConvAttrs("NCHW"));
  AttrMap ba = T();
  ba["data_format"] = AttrS("NCHW");
  c.Op("bias", "BiasAdd", {"conv", "b"}, ba);
  c.Op("act", "Elu", {"bias"}, T());
  r = FuseBiasActivation(c.graph(), {"x", "act"});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(Find(r->graph, "act")->attr().at("data_format").s(), "NCHW");
  ExpectSameResults(c.graph(), Wave(TensorShape{1, 3, 5, 5}, 0), {"act:0"});
  // An NHWC BiasAdd on an NCHW conv adds along another axis: not fused.
  c.node("bias")->mutable_attr()->erase("data_format");
  EXPECT_FALSE(FuseBiasActivation(c.graph(), {"x", "act"}).has_value());
}

// x [2,3] -> MatMul(w) -> Add/AddV2 of a constant (on either side) -> `act`.
GraphBuilder MatMulAdd(const std::string& add_op, bool const_first, const Tensor& bias,
                       bool transpose_b = false) {
  GraphBuilder b;
  b.Placeholder("x", DType::kFloat, PartialShape{2, 3});
  b.Const("w", Wave(transpose_b ? TensorShape{4, 3} : TensorShape{3, 4}, 3));
  b.Const("c", bias);
  b.Op("c_read", "Identity", {"c"}, T());
  AttrMap ma = T();
  ma["transpose_b"] = tfmodel::AttrB(transpose_b);
  b.Op("mm", "MatMul", {"x", "w"}, ma);
  if (const_first) {
    b.Op("add", add_op, {"c_read", "mm"}, T());
  } else {
    b.Op("add", add_op, {"mm", "c_read"}, T());
  }
  b.Op("act", "Tanh", {"add"}, T());
  return b;
}

TEST(GraphOptimizeTest, MatMulAddConstantFuses) {
  const Tensor x = Wave(TensorShape{2, 3}, 0);
  for (bool first : {false, true}) {
    for (const char* op : {"Add", "AddV2"}) {
      SCOPED_TRACE(std::string(op) + (first ? " const first" : ""));
      GraphBuilder b = MatMulAdd(op, first, Wave(TensorShape{4}, 4), /*transpose_b=*/first);
      auto r = FuseBiasActivation(b.graph(), {"x", "act"});
      ASSERT_TRUE(r.has_value());
      const tensorflow::NodeDef* f = Find(r->graph, "act");
      EXPECT_EQ(f->op(), "_FusedMatMul");
      EXPECT_THAT(f->input(), ::testing::ElementsAre("x", "w", "c_read"));
      EXPECT_THAT(FusedOps(*f), ::testing::ElementsAre("BiasAdd", "Tanh"));
      ExpectSameResults(b.graph(), x, {"act:0"});
    }
  }
  // A scalar-like [1] constant broadcasts: not a per-channel bias, left alone.
  EXPECT_FALSE(
      FuseBiasActivation(MatMulAdd("Add", false, Wave(TensorShape{1}, 4)).graph(), {"x", "act"})
          .has_value());
  // A [2, 4] constant is not rank 1.
  EXPECT_FALSE(
      FuseBiasActivation(MatMulAdd("Add", false, Wave(TensorShape{2, 4}, 4)).graph(), {"x", "act"})
          .has_value());
}

TEST(GraphOptimizeTest, BiasWithoutActivationAndSharedBias) {
  const Tensor x = Wave(TensorShape{1, 5, 5, 3}, 0);
  // No activation: Conv2D + BiasAdd fuse under the BiasAdd's name.
  GraphBuilder b = ConvBiasAct("");
  auto r = FuseBiasActivation(b.graph(), {"x", "bias"});
  ASSERT_TRUE(r.has_value());
  EXPECT_THAT(FusedOps(*Find(r->graph, "bias")), ::testing::ElementsAre("BiasAdd"));
  ExpectSameResults(b.graph(), x, {"bias:0"});
  // The BiasAdd feeds the activation and another node: the activation stays separate.
  b = ConvBiasAct("Relu");
  b.Op("other", "Neg", {"bias"}, T());
  r = FuseBiasActivation(b.graph(), {"x", "act", "other"});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(Find(r->graph, "bias")->op(), "_FusedConv2D");
  EXPECT_THAT(FusedOps(*Find(r->graph, "bias")), ::testing::ElementsAre("BiasAdd"));
  EXPECT_EQ(Find(r->graph, "act")->op(), "Relu");
  ExpectSameResults(b.graph(), x, {"act:0", "other:0"});
  // The BiasAdd is fetched: same.
  b = ConvBiasAct("Relu");
  r = FuseBiasActivation(b.graph(), {"x", "act", "bias"});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(Find(r->graph, "act")->op(), "Relu");
  ExpectSameResults(b.graph(), x, {"act:0", "bias:0"});
}

TEST(GraphOptimizeTest, NonFusionCasesLeftAlone) {
  const Tensor x = Wave(TensorShape{1, 5, 5, 3}, 0);
  // The conv output has a second consumer.
  GraphBuilder b = ConvBiasAct("Relu");
  b.Op("other", "Neg", {"conv"}, T());
  EXPECT_FALSE(FuseBiasActivation(b.graph(), {"x", "act", "other"}).has_value());
  ExpectSameResults(b.graph(), x, {"act:0", "other:0"});
  // The conv output is fetched.
  b = ConvBiasAct("Relu");
  EXPECT_FALSE(FuseBiasActivation(b.graph(), {"x", "act", "conv"}).has_value());
  ExpectSameResults(b.graph(), x, {"act:0", "conv:0"});
  // A node depends on the conv by a control edge.
  b = ConvBiasAct("Relu");
  b.Op("after", "NoOp", {"^conv"});
  EXPECT_FALSE(FuseBiasActivation(b.graph(), {"x", "act", "after"}).has_value());
  // double is not fused.
  GraphBuilder d;
  d.Placeholder("x", DType::kDouble, PartialShape{1, 2});
  d.Const("w", Tensor::FromVector<double>({1, 2}, TensorShape{2, 1}));
  d.Const("b", Tensor::FromVector<double>({1}, TensorShape{1}));
  d.Op("mm", "MatMul", {"x", "w"}, {{"T", AttrType(DType::kDouble)}});
  d.Op("bias", "BiasAdd", {"mm", "b"}, {{"T", AttrType(DType::kDouble)}});
  EXPECT_FALSE(FuseBiasActivation(d.graph(), {"x", "bias"}).has_value());
}

TEST(GraphOptimizeTest, ControlInputsMoveToFusedNode) {
  GraphBuilder b = ConvBiasAct("Relu");
  b.Op("dep1", "NoOp", {});
  b.Op("dep2", "NoOp", {});
  b.AddControlInput("conv", "dep1");
  b.AddControlInput("act", "dep2");
  auto r = FuseBiasActivation(b.graph(), {"x", "act"});
  ASSERT_TRUE(r.has_value());
  EXPECT_THAT(Find(r->graph, "act")->input(),
              ::testing::ElementsAre("x", "w", "b", "^dep1", "^dep2"));
  ExpectSameResults(b.graph(), Wave(TensorShape{1, 5, 5, 3}, 0), {"act:0"});
}

TEST(GraphOptimizeTest, ChainsFuseThroughAWholeNetwork) {
  // Two conv layers, then a dense layer: three fused nodes, same result.
  GraphBuilder b = ConvBiasAct("Relu6");
  b.Const("w2", Wave(TensorShape{1, 1, 4, 4}, 5));
  b.Const("b2", Wave(TensorShape{4}, 6));
  AttrMap ca = ConvAttrs();
  b.Op("conv2", "Conv2D", {"act", "w2"}, ca);
  b.Op("bias2", "BiasAdd", {"conv2", "b2"}, T());
  b.Op("act2", "Relu", {"bias2"}, T());
  b.Const("shape", Tensor::FromVector<int32_t>({1, 16}, TensorShape{2}));
  b.Op("flat", "Reshape", {"act2", "shape"}, {{"T", AttrType(DType::kFloat)}});
  b.Const("w3", Wave(TensorShape{16, 3}, 7));
  b.Const("b3", Wave(TensorShape{3}, 8));
  b.Op("mm", "MatMul", {"flat", "w3"}, T());
  b.Op("logits", "BiasAdd", {"mm", "b3"}, T());
  auto r = FuseBiasActivation(b.graph(), {"x", "logits"});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->num_fused, 3);
  ExpectSameResults(b.graph(), Wave(TensorShape{1, 5, 5, 3}, 0), {"logits:0"});
}

// x -> conv(stride 1, 3 -> 3 channels) -> BiasAdd -> Add(residual) -> [Relu], residual
// of shape `res_shape` (a Const) or x itself when empty.
GraphBuilder Residual(const std::string& add_op, const TensorShape* res_shape, bool act,
                      bool residual_first) {
  GraphBuilder b;
  b.Placeholder("x", DType::kFloat, PartialShape{1, 5, 5, 3});
  b.Const("w", Wave(TensorShape{3, 3, 3, 3}, 1));
  b.Const("b", Wave(TensorShape{3}, 2));
  AttrMap ca = ConvAttrs();
  ca["strides"] = AttrIList({1, 1, 1, 1});
  b.Op("conv", "Conv2D", {"x", "w"}, ca);
  b.Op("bias", "BiasAdd", {"conv", "b"}, T());
  std::string res = "x";
  if (res_shape != nullptr) res = b.Const("res", Wave(*res_shape, 5));
  if (residual_first) {
    b.Op("add", add_op, {res, "bias"}, T());
  } else {
    b.Op("add", add_op, {"bias", res}, T());
  }
  if (act) b.Op("act", "Relu", {"add"}, T());
  return b;
}

TEST(GraphOptimizeTest, ResidualAddJoinsConvFusion) {
  const Tensor x = Wave(TensorShape{1, 5, 5, 3}, 0);
  for (bool act : {true, false}) {
    for (bool first : {false, true}) {
      SCOPED_TRACE(std::string(act ? "relu" : "no act") + (first ? " residual first" : ""));
      GraphBuilder b = Residual(first ? "Add" : "AddV2", nullptr, act, first);
      const std::string last = act ? "act" : "add";
      auto r = FuseBiasActivation(b.graph(), {"x", last});
      ASSERT_TRUE(r.has_value());
      const tensorflow::NodeDef* f = Find(r->graph, last);
      EXPECT_EQ(f->op(), "_FusedConv2D");
      EXPECT_THAT(f->input(), ::testing::ElementsAre("x", "w", "b", "x"));
      EXPECT_EQ(f->attr().at("num_args").i(), 2);
      if (act) {
        EXPECT_THAT(FusedOps(*f), ::testing::ElementsAre("BiasAdd", "Add", "Relu"));
      } else {
        EXPECT_THAT(FusedOps(*f), ::testing::ElementsAre("BiasAdd", "Add"));
      }
      ExpectSameResults(b.graph(), x, {last + ":0"});
    }
  }
  // Residuals that broadcast ([3], [1,1,1,3]) fuse too; the kernel then runs op by op.
  for (const TensorShape& s : {TensorShape{3}, TensorShape{1, 1, 1, 3}, TensorShape{1, 5, 5, 3}}) {
    SCOPED_TRACE(s.ToString());
    GraphBuilder b = Residual("AddV2", &s, true, false);
    auto r = FuseBiasActivation(b.graph(), {"x", "act"});
    ASSERT_TRUE(r.has_value());
    EXPECT_THAT(FusedOps(*Find(r->graph, "act")), ::testing::ElementsAre("BiasAdd", "Add", "Relu"));
    ExpectSameResults(b.graph(), x, {"act:0"});
  }
  // The residual Add is fetched: it ends the fused chain (keeping its name), the Relu
  // stays separate.
  GraphBuilder b = Residual("AddV2", nullptr, true, false);
  auto r = FuseBiasActivation(b.graph(), {"x", "act", "add"});
  ASSERT_TRUE(r.has_value());
  ASSERT_NE(Find(r->graph, "add"), nullptr);
  EXPECT_THAT(FusedOps(*Find(r->graph, "add")), ::testing::ElementsAre("BiasAdd", "Add"));
  EXPECT_EQ(Find(r->graph, "act")->op(), "Relu");
  EXPECT_EQ(Find(r->graph, "bias"), nullptr);
  ExpectSameResults(b.graph(), x, {"act:0", "add:0"});
}

TEST(GraphOptimizeTest, ConstantFiltersAreMarkedAndReusedAcrossRuns) {
  GraphBuilder b = ConvBiasAct("Relu");
  b.Const("w2", Wave(TensorShape{3, 3, 3, 2}, 9));
  b.Op("dw", "DepthwiseConv2dNative", {"x", "w2"}, ConvAttrs());  // not fused: fetched
  b.Placeholder("wf", DType::kFloat, PartialShape{3, 3, 3, 4});
  b.Op("conv_fed", "Conv2D", {"x", "wf"}, ConvAttrs());
  auto r = FuseBiasActivation(b.graph(), {"x", "act", "dw", "wf", "conv_fed"});
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(Find(r->graph, "act")->attr().at(kConstantFilterAttr).b());
  EXPECT_TRUE(Find(r->graph, "dw")->attr().at(kConstantFilterAttr).b());
  EXPECT_EQ(Find(r->graph, "conv_fed")->attr().count(kConstantFilterAttr), 0u);

  // The kept weights serve later runs: every run still matches the unfused graph.
  ExecutorOptions plain;
  plain.optimize_graph = false;
  TFM_ASSERT_OK_AND_ASSIGN(auto fused,
                           Executor::Create(b.graph(), nullptr, {"x:0"}, {"act:0", "dw:0"}, {}));
  TFM_ASSERT_OK_AND_ASSIGN(
      auto unfused, Executor::Create(b.graph(), nullptr, {"x:0"}, {"act:0", "dw:0"}, {}, plain));
  EXPECT_LT(fused->num_nodes(), unfused->num_nodes());
  for (int seed = 0; seed < 3; ++seed) {
    const Tensor x = Wave(TensorShape{1, 5, 5, 3}, 10 + seed);
    std::vector<Tensor> a, c;
    RunContext ctx;
    TFM_ASSERT_OK(fused->Run(ctx, {x}, &a));
    TFM_ASSERT_OK(unfused->Run(ctx, {x}, &c));
    ASSERT_EQ(a.size(), 2u);
    ExpectTensorNear(a[0], c[0], 1e-5, 1e-5);
    ExpectTensorNear(a[1], c[1], 1e-5, 1e-5);
  }
}

}  // namespace
}  // namespace tfmodel::runtime
