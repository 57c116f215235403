// WHILE, IF and CALL_ONCE on hand-built multi-subgraph models, the way TF's converter lays
// them out (the main subgraph first, cond / body / branch / initializer subgraphs after it),
// and the load-time checks of the subgraphs they call.
#include <thread>

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

fb::BuiltinOptionsUnion WhileOpts(int cond, int body) {
  fb::WhileOptionsT o;
  o.cond_subgraph_index = cond;
  o.body_subgraph_index = body;
  return testing::Options(o);
}

fb::BuiltinOptionsUnion IfOpts(int then_index, int else_index) {
  fb::IfOptionsT o;
  o.then_subgraph_index = then_index;
  o.else_subgraph_index = else_index;
  return testing::Options(o);
}

fb::BuiltinOptionsUnion ConcatOpts(int axis) {
  fb::ConcatenationOptionsT o;
  o.axis = axis;
  return testing::Options(o);
}

// Subgraph 1: (i, acc, n) -> i <= n.
void TriangularCond(TfLiteModelBuilder& b) {
  b.AddSubgraph();
  int i = b.Tensor<int32_t>("i", TT::INT32, {});
  int acc = b.Tensor<int32_t>("acc", TT::INT32, {});
  int n = b.Tensor<int32_t>("n", TT::INT32, {});
  int go = b.Tensor<uint8_t>("go", TT::BOOL, {});
  b.Op(B::LESS_EQUAL, {i, n}, {go});
  b.SetSubgraphIO({i, acc, n}, {go});
}

// Subgraph 2: (i, acc, n) -> (i + 1, acc + i, n).
void TriangularBody(TfLiteModelBuilder& b) {
  b.AddSubgraph();
  int i = b.Tensor<int32_t>("i", TT::INT32, {});
  int acc = b.Tensor<int32_t>("acc", TT::INT32, {});
  int n = b.Tensor<int32_t>("n", TT::INT32, {});
  int one = b.Tensor<int32_t>("one", TT::INT32, {}, {}, {}, 0, {1});
  int i2 = b.Tensor<int32_t>("i_next", TT::INT32, {});
  int acc2 = b.Tensor<int32_t>("acc_next", TT::INT32, {});
  b.Op(B::ADD, {i, one}, {i2});
  b.Op(B::ADD, {acc, i}, {acc2});
  b.SetSubgraphIO({i, acc, n}, {i2, acc2, n});
}

// sum(1..n) by a loop: main(n) -> WHILE(1, 0, n) -> (i, acc, n).
std::unique_ptr<TfLiteModel> TriangularModel() {
  TfLiteModelBuilder b;
  int n = b.Tensor<int32_t>("n", TT::INT32, {});
  int i0 = b.Tensor<int32_t>("i0", TT::INT32, {}, {}, {}, 0, {1});
  int acc0 = b.Tensor<int32_t>("acc0", TT::INT32, {}, {}, {}, 0, {0});
  int i = b.Tensor<int32_t>("i", TT::INT32, {});
  int acc = b.Tensor<int32_t>("acc", TT::INT32, {});
  int n_out = b.Tensor<int32_t>("n_out", TT::INT32, {});
  b.Op(B::WHILE, {i0, acc0, n}, {i, acc, n_out}, WhileOpts(1, 2));
  TriangularCond(b);
  TriangularBody(b);
  auto m = b.Load({n}, {acc, i});
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? std::move(*m) : nullptr;
}

TEST(TfLiteControlFlowTest, WhileLoopSumsTheFirstNIntegers) {
  auto m = TriangularModel();
  ASSERT_NE(m, nullptr);
  for (int n : {10, 1, 100}) {
    TFM_ASSERT_OK_AND_ASSIGN(auto out, m->Run({{"n", Tensor::Scalar<int32_t>(n)}}, {"acc", "i"}));
    EXPECT_EQ(out[0].scalar<int32_t>(), n * (n + 1) / 2) << n;
    EXPECT_EQ(out[1].scalar<int32_t>(), n + 1) << n;
  }
}

TEST(TfLiteControlFlowTest, WhileWhoseCondIsFalseAtOnceGivesItsInputs) {
  auto m = TriangularModel();
  ASSERT_NE(m, nullptr);
  TFM_ASSERT_OK_AND_ASSIGN(auto out, m->Run({{"n", Tensor::Scalar<int32_t>(0)}}, {"acc", "i"}));
  EXPECT_EQ(out[0].scalar<int32_t>(), 0);
  EXPECT_EQ(out[1].scalar<int32_t>(), 1);
}

TEST(TfLiteControlFlowTest, WhileLoopValuesMayChangeShape) {
  // x doubles in length each iteration while the counter is below 3: [2] -> [16].
  TfLiteModelBuilder b;
  int x = b.Tensor<float>("x", TT::FLOAT32, {2});
  b.SetShapeSignature(x, {-1});
  int c0 = b.Tensor<int32_t>("c0", TT::INT32, {}, {}, {}, 0, {0});
  int c = b.Tensor<int32_t>("c", TT::INT32, {});
  int y = b.Tensor<float>("y", TT::FLOAT32, {-1});
  b.SetShapeSignature(y, {-1});
  b.Op(B::WHILE, {c0, x}, {c, y}, WhileOpts(1, 2));
  b.AddSubgraph();  // cond: c < 3
  {
    int ci = b.Tensor<int32_t>("c", TT::INT32, {});
    int xi = b.Tensor<float>("x", TT::FLOAT32, {-1});
    b.SetShapeSignature(xi, {-1});
    int three = b.Tensor<int32_t>("three", TT::INT32, {}, {}, {}, 0, {3});
    int go = b.Tensor<uint8_t>("go", TT::BOOL, {});
    b.Op(B::LESS, {ci, three}, {go});
    b.SetSubgraphIO({ci, xi}, {go});
  }
  b.AddSubgraph();  // body: (c + 1, concat(x, x))
  {
    int ci = b.Tensor<int32_t>("c", TT::INT32, {});
    int xi = b.Tensor<float>("x", TT::FLOAT32, {-1});
    b.SetShapeSignature(xi, {-1});
    int one = b.Tensor<int32_t>("one", TT::INT32, {}, {}, {}, 0, {1});
    int cn = b.Tensor<int32_t>("c_next", TT::INT32, {});
    int xn = b.Tensor<float>("x_next", TT::FLOAT32, {-1});
    b.SetShapeSignature(xn, {-1});
    b.Op(B::ADD, {ci, one}, {cn});
    b.Op(B::CONCATENATION, {xi, xi}, {xn}, ConcatOpts(0));
    b.SetSubgraphIO({ci, xi}, {cn, xn});
  }
  auto m = b.Build({x}, {y, c});
  ASSERT_NE(m, nullptr);
  TFM_ASSERT_OK_AND_ASSIGN(auto out,
                           m->Run({{"x", Tensor::FromVector<float>({1.5f, -2})}}, {"y", "c"}));
  ASSERT_EQ(out[0].NumElements(), 16);
  EXPECT_EQ(out[0].data<float>()[14], 1.5f);
  EXPECT_EQ(out[0].data<float>()[15], -2.0f);
  EXPECT_EQ(out[1].scalar<int32_t>(), 3);
}

// main(c, a, b) -> IF(c, a, b): then = a + b, else = a * b.
std::unique_ptr<runtime::Model> IfModel() {
  TfLiteModelBuilder b;
  int c = b.Tensor<uint8_t>("c", TT::BOOL, {});
  int x = b.Tensor<float>("a", TT::FLOAT32, {2});
  int y = b.Tensor<float>("b", TT::FLOAT32, {2});
  int r = b.Tensor<float>("r", TT::FLOAT32, {2});
  b.Op(B::IF, {c, x, y}, {r}, IfOpts(1, 2));
  for (B code : {B::ADD, B::MUL}) {
    b.AddSubgraph();
    int p = b.Tensor<float>("p", TT::FLOAT32, {2});
    int q = b.Tensor<float>("q", TT::FLOAT32, {2});
    int s = b.Tensor<float>("s", TT::FLOAT32, {2});
    b.Op(code, {p, q}, {s});
    b.SetSubgraphIO({p, q}, {s});
  }
  return b.Build({c, x, y}, {r});
}

TEST(TfLiteControlFlowTest, IfRunsTheBranchTheConditionPicks) {
  auto m = IfModel();
  ASSERT_NE(m, nullptr);
  auto a = Tensor::FromVector<float>({2, 3});
  auto bv = Tensor::FromVector<float>({4, 5});
  TFM_ASSERT_OK_AND_ASSIGN(auto t,
                           m->Run({{"c", Tensor::Scalar<bool>(true)}, {"a", a}, {"b", bv}}, {"r"}));
  EXPECT_THAT(std::vector<float>(t[0].data<float>(), t[0].data<float>() + 2), ElementsAre(6, 8));
  TFM_ASSERT_OK_AND_ASSIGN(
      auto e, m->Run({{"c", Tensor::Scalar<bool>(false)}, {"a", a}, {"b", bv}}, {"r"}));
  EXPECT_THAT(std::vector<float>(e[0].data<float>(), e[0].data<float>() + 2), ElementsAre(8, 15));
}

TEST(TfLiteControlFlowTest, RecursionIsRefusedAtLoad) {
  // The body (subgraph 2) runs a WHILE whose body is subgraph 2 again.
  TfLiteModelBuilder b;
  int n = b.Tensor<int32_t>("n", TT::INT32, {});
  int r = b.Tensor<int32_t>("r", TT::INT32, {});
  b.Op(B::WHILE, {n}, {r}, WhileOpts(1, 2));
  b.AddSubgraph();
  {
    int v = b.Tensor<int32_t>("v", TT::INT32, {});
    int go = b.Tensor<uint8_t>("go", TT::BOOL, {});
    b.Op(B::LESS, {v, v}, {go});
    b.SetSubgraphIO({v}, {go});
  }
  b.AddSubgraph();
  {
    int v = b.Tensor<int32_t>("v", TT::INT32, {});
    int w = b.Tensor<int32_t>("w", TT::INT32, {});
    b.Op(B::WHILE, {v}, {w}, WhileOpts(1, 2));
    b.SetSubgraphIO({v}, {w});
  }
  b.ExpectLoadError({n}, {r}, "recursion");
}

TEST(TfLiteControlFlowTest, MissingSubgraphIsALoadError) {
  TfLiteModelBuilder b;
  int n = b.Tensor<int32_t>("n", TT::INT32, {});
  int r = b.Tensor<int32_t>("r", TT::INT32, {});
  b.Op(B::WHILE, {n}, {r}, WhileOpts(1, 7));
  b.ExpectLoadError({n}, {r}, "runs subgraph 1, but the file has 1 subgraphs");
}

TEST(TfLiteControlFlowTest, CondThatGivesNoBoolIsALoadError) {
  TfLiteModelBuilder b;
  int n = b.Tensor<int32_t>("n", TT::INT32, {});
  int r = b.Tensor<int32_t>("r", TT::INT32, {});
  b.Op(B::WHILE, {n}, {r}, WhileOpts(1, 1));
  b.AddSubgraph();
  int v = b.Tensor<int32_t>("v", TT::INT32, {});
  b.SetSubgraphIO({v}, {v});
  b.ExpectLoadError({n}, {r}, "cond subgraph 1 output 0 ('v') is int32, expected bool");
}

TEST(TfLiteControlFlowTest, BranchWithTheWrongArityIsALoadError) {
  TfLiteModelBuilder b;
  int c = b.Tensor<uint8_t>("c", TT::BOOL, {});
  int x = b.Tensor<float>("x", TT::FLOAT32, {1});
  int r = b.Tensor<float>("r", TT::FLOAT32, {1});
  b.Op(B::IF, {c, x}, {r}, IfOpts(1, 1));
  b.AddSubgraph();
  int p = b.Tensor<float>("p", TT::FLOAT32, {1});
  int q = b.Tensor<float>("q", TT::FLOAT32, {1});
  b.SetSubgraphIO({p, q}, {p});
  b.ExpectLoadError({c, x}, {r}, "then subgraph 1 takes 2 inputs and gives 1 outputs");
}

TEST(TfLiteControlFlowTest, NonScalarConditionIsARunError) {
  // A [2] bool condition passes the load (its shape may be dynamic) but not the run.
  TfLiteModelBuilder b;
  int c = b.Tensor<uint8_t>("c", TT::BOOL, {2});
  int x = b.Tensor<float>("x", TT::FLOAT32, {1});
  int r = b.Tensor<float>("r", TT::FLOAT32, {1});
  b.Op(B::IF, {c, x}, {r}, IfOpts(1, 1));
  b.AddSubgraph();
  int p = b.Tensor<float>("p", TT::FLOAT32, {1});
  b.SetSubgraphIO({p}, {p});
  auto m = b.Build({c, x}, {r});
  ASSERT_NE(m, nullptr);
  Tensor two(DType::kBool, TensorShape{2});
  auto out = m->Run({{"c", two}, {"x", Tensor::FromVector<float>({1})}}, {"r"});
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("the condition must be a single bool"));
  EXPECT_THAT(out.status().message(), HasSubstr("operator 0 (IF)"));
}

}  // namespace
}  // namespace tfmodel::tflite
