// TF1 control flow built with GraphBuilder the way tf.cond / tf.while_loop / tf.map_fn
// lay it out (Switch/Merge, Enter/Merge/LoopCond/Switch/NextIteration/Exit, TensorArrays
// entered into the loop frame), run through runtime::Model with the real kernels, and
// checked against values computed by hand.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "graph/graph_builder.h"
#include "gtest/gtest.h"
#include "runtime/model.h"
#include "test_util.h"

namespace tfmodel {
namespace {

using ::testing::HasSubstr;

AttrMap T(DType t) { return {{"T", AttrType(t)}}; }

AttrMap EnterAttrs(const std::string& frame, bool is_constant, DType t) {
  return {{"T", AttrType(t)},
          {"frame_name", AttrS(frame)},
          {"is_constant", AttrB(is_constant)},
          {"parallel_iterations", AttrI(10)}};
}

std::unique_ptr<runtime::Model> Load(const GraphBuilder& b) {
  auto m = runtime::Model::LoadGraph(b.graph());
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? std::move(*m) : nullptr;
}

// y = x > 0 ? x * 2 : -x
TEST(ControlFlow, CondSwitchMerge) {
  GraphBuilder b;
  b.Placeholder("x", DType::kFloat, PartialShape{});
  b.Const("zero", Tensor::Scalar<float>(0));
  b.Const("two", Tensor::Scalar<float>(2));
  b.Binary("pred", "Greater", "x", "zero");
  b.Op("sw", "Switch", {"x", "pred"}, T(DType::kFloat));
  b.Op("neg", "Neg", {"sw:0"}, T(DType::kFloat));
  b.Binary("dbl", "Mul", "sw:1", "two");
  b.Op("y", "Merge", {"neg", "dbl"}, {{"T", AttrType(DType::kFloat)}, {"N", AttrI(2)}});
  auto m = Load(b);
  ASSERT_NE(m, nullptr);
  for (auto [x, want, branch] :
       std::vector<std::tuple<float, float, int>>{{3, 6, 1}, {-2.5f, 2.5f, 0}, {0, 0, 0}}) {
    auto out = m->Run({{"x:0", Tensor::Scalar<float>(x)}}, {"y:0", "y:1"});
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ((*out)[0].scalar<float>(), want) << "x=" << x;
    EXPECT_EQ((*out)[1].scalar<int32_t>(), branch) << "x=" << x;
  }
}

// Loop variables (name prefix p): Enter -> Merge(enter, next) -> Switch(merge, cond) ->
// Identity(switch:1) in the body, Exit(switch:0) after it.
struct LoopVar {
  std::string id;    // the body's value
  std::string exit;  // the value after the loop
};

void LoopHead(GraphBuilder& b, const std::string& p, const std::string& init,
              const std::string& frame, DType t) {
  b.Op(p + "_enter", "Enter", {init}, EnterAttrs(frame, false, t));
  b.Op(p + "_merge", "Merge", {p + "_enter", p + "_next"}, {{"T", AttrType(t)}, {"N", AttrI(2)}});
}
LoopVar LoopTail(GraphBuilder& b, const std::string& p, const std::string& loop_cond, DType t) {
  b.Op(p + "_switch", "Switch", {p + "_merge", loop_cond}, T(t));
  b.Op(p + "_id", "Identity", {p + "_switch:1"}, T(t));
  b.Op(p + "_exit", "Exit", {p + "_switch:0"}, T(t));
  return {p + "_id:0", p + "_exit:0"};
}
void LoopNext(GraphBuilder& b, const std::string& p, const std::string& value, DType t) {
  b.Op(p + "_next", "NextIteration", {value}, T(t));
}

// acc = 1; i = 1; while i <= n: acc *= i; i += 1   (factorial)
TEST(ControlFlow, WhileLoopFactorial) {
  GraphBuilder b;
  const DType i32 = DType::kInt32;
  b.Placeholder("n", i32, PartialShape{});
  b.Const("one", Tensor::Scalar<int32_t>(1));
  LoopHead(b, "i", "one", "fact", i32);
  LoopHead(b, "acc", "one", "fact", i32);
  b.Op("n_enter", "Enter", {"n"}, EnterAttrs("fact", true, i32));
  b.Binary("le", "LessEqual", "i_merge", "n_enter", i32);
  b.Op("cond", "LoopCond", {"le"});
  LoopVar i = LoopTail(b, "i", "cond", i32);
  LoopVar acc = LoopTail(b, "acc", "cond", i32);
  b.Op("body_one", "Const", {"^i_id"},
       {{"dtype", AttrType(i32)}, {"value", AttrTensor(Tensor::Scalar<int32_t>(1))}});
  LoopNext(b, "i", b.Binary("i_inc", "Add", i.id, "body_one", i32), i32);
  LoopNext(b, "acc", b.Binary("acc_mul", "Mul", acc.id, i.id, i32), i32);
  auto m = Load(b);
  ASSERT_NE(m, nullptr);
  for (auto [n, fact] : std::vector<std::pair<int, int>>{{0, 1}, {1, 1}, {5, 120}, {10, 3628800}}) {
    auto out = m->Run({{"n:0", Tensor::Scalar<int32_t>(n)}}, {acc.exit, i.exit});
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ((*out)[0].scalar<int32_t>(), fact) << "n=" << n;
    EXPECT_EQ((*out)[1].scalar<int32_t>(), std::max(n, 0) + 1) << "n=" << n;
  }
}

// total = 0; for i in [0, n): for j in [0, i): total += i * j
// The inner loop's trip count depends on the outer iteration.
TEST(ControlFlow, NestedWhileLoops) {
  GraphBuilder b;
  const DType i32 = DType::kInt32;
  b.Placeholder("n", i32, PartialShape{});
  b.Const("zero", Tensor::Scalar<int32_t>(0));
  // Outer loop.
  LoopHead(b, "i", "zero", "outer", i32);
  LoopHead(b, "total", "zero", "outer", i32);
  b.Op("n_enter", "Enter", {"n"}, EnterAttrs("outer", true, i32));
  b.Binary("i_lt", "Less", "i_merge", "n_enter", i32);
  b.Op("outer_cond", "LoopCond", {"i_lt"});
  LoopVar i = LoopTail(b, "i", "outer_cond", i32);
  LoopVar total = LoopTail(b, "total", "outer_cond", i32);
  // Inner loop inside the outer body.
  b.Op("j0", "Const", {"^i_id"},
       {{"dtype", AttrType(i32)}, {"value", AttrTensor(Tensor::Scalar<int32_t>(0))}});
  LoopHead(b, "j", "j0", "inner", i32);
  LoopHead(b, "t", total.id, "inner", i32);
  b.Op("i_inner", "Enter", {i.id}, EnterAttrs("inner", true, i32));
  b.Binary("j_lt", "Less", "j_merge", "i_inner", i32);
  b.Op("inner_cond", "LoopCond", {"j_lt"});
  LoopVar j = LoopTail(b, "j", "inner_cond", i32);
  LoopVar t = LoopTail(b, "t", "inner_cond", i32);
  b.Op("inner_one", "Const", {"^j_id"},
       {{"dtype", AttrType(i32)}, {"value", AttrTensor(Tensor::Scalar<int32_t>(1))}});
  LoopNext(b, "j", b.Binary("j_inc", "Add", j.id, "inner_one", i32), i32);
  b.Binary("ij", "Mul", "i_inner", j.id, i32);
  LoopNext(b, "t", b.Binary("t_add", "Add", t.id, "ij", i32), i32);
  // Back in the outer body.
  b.Op("outer_one", "Const", {"^i_id"},
       {{"dtype", AttrType(i32)}, {"value", AttrTensor(Tensor::Scalar<int32_t>(1))}});
  LoopNext(b, "i", b.Binary("i_inc", "Add", i.id, "outer_one", i32), i32);
  LoopNext(b, "total", t.exit, i32);
  auto m = Load(b);
  ASSERT_NE(m, nullptr);
  auto expected = [](int n) {
    int s = 0;
    for (int a = 0; a < n; ++a) s += a * (a * (a - 1) / 2);
    return s;
  };
  EXPECT_EQ(expected(5), 35);  // 2*1 + 3*3 + 4*6
  for (int n : {0, 1, 2, 5, 8}) {
    auto out = m->Run({{"n:0", Tensor::Scalar<int32_t>(n)}}, {total.exit, i.exit});
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ((*out)[0].scalar<int32_t>(), expected(n)) << "n=" << n;
    EXPECT_EQ((*out)[1].scalar<int32_t>(), n) << "n=" << n;
  }
}

// tf.map_fn(lambda r: r * r + 1, x): unstack x into a TensorArray, loop over rows writing
// into a second TensorArray, stack it.
GraphBuilder MapGraph() {
  GraphBuilder b;
  const DType i32 = DType::kInt32, f32 = DType::kFloat;
  b.Placeholder("x", f32, PartialShape{-1, 2});
  b.Op("shape", "Shape", {"x"}, {{"T", AttrType(f32)}, {"out_type", AttrType(i32)}});
  b.Const("s_begin", Tensor::FromVector<int32_t>({0}));
  b.Const("s_end", Tensor::FromVector<int32_t>({1}));
  b.Const("s_stride", Tensor::FromVector<int32_t>({1}));
  b.Op("k", "StridedSlice", {"shape", "s_begin", "s_end", "s_stride"},
       {{"T", AttrType(i32)},
        {"Index", AttrType(i32)},
        {"begin_mask", AttrI(0)},
        {"end_mask", AttrI(0)},
        {"ellipsis_mask", AttrI(0)},
        {"new_axis_mask", AttrI(0)},
        {"shrink_axis_mask", AttrI(1)}});
  AttrMap ta = {{"dtype", AttrType(f32)},
                {"element_shape", AttrShape(PartialShape())},
                {"dynamic_size", AttrB(false)},
                {"clear_after_read", AttrB(true)},
                {"identical_element_shapes", AttrB(true)},
                {"tensor_array_name", AttrS("")}};
  b.Op("ta_in", "TensorArrayV3", {"k"}, ta);
  b.Op("ta_out", "TensorArrayV3", {"k"}, ta);
  b.Const("zero", Tensor::Scalar<int32_t>(0));
  b.Const("one", Tensor::Scalar<int32_t>(1));
  b.Op("rows", "Range", {"zero", "k", "one"}, {{"Tidx", AttrType(i32)}});
  b.Op("scatter", "TensorArrayScatterV3", {"ta_in", "rows", "x", "ta_in:1"}, T(f32));
  // Loop over i with the output flow as the second loop variable.
  LoopHead(b, "i", "zero", "map", i32);
  LoopHead(b, "flow", "ta_out:1", "map", f32);
  b.Op("k_enter", "Enter", {"k"}, EnterAttrs("map", true, i32));
  b.Binary("lt", "Less", "i_merge", "k_enter", i32);
  b.Op("cond", "LoopCond", {"lt"});
  LoopVar i = LoopTail(b, "i", "cond", i32);
  LoopVar flow = LoopTail(b, "flow", "cond", f32);
  b.Op("ta_in_enter", "Enter", {"ta_in"}, EnterAttrs("map", true, DType::kResource));
  b.Op("scatter_enter", "Enter", {"scatter"}, EnterAttrs("map", true, f32));
  b.Op("ta_out_enter", "Enter", {"ta_out"}, EnterAttrs("map", true, DType::kResource));
  b.Op("row", "TensorArrayReadV3", {"ta_in_enter", i.id, "scatter_enter"},
       {{"dtype", AttrType(f32)}});
  b.Binary("sq", "Mul", "row", "row");
  b.Op("body_one", "Const", {"^i_id"},
       {{"dtype", AttrType(f32)}, {"value", AttrTensor(Tensor::Scalar<float>(1))}});
  b.Binary("fx", "Add", "sq", "body_one");
  b.Op("write", "TensorArrayWriteV3", {"ta_out_enter", i.id, "fx", flow.id}, T(f32));
  b.Op("i_one", "Const", {"^i_id"},
       {{"dtype", AttrType(i32)}, {"value", AttrTensor(Tensor::Scalar<int32_t>(1))}});
  LoopNext(b, "i", b.Binary("i_inc", "Add", i.id, "i_one", i32), i32);
  LoopNext(b, "flow", "write", f32);
  b.Op("size", "TensorArraySizeV3", {"ta_out", flow.exit});
  b.Op("out_rows", "Range", {"zero", "size", "one"}, {{"Tidx", AttrType(i32)}});
  b.Op("stack", "TensorArrayGatherV3", {"ta_out", "out_rows", flow.exit},
       {{"dtype", AttrType(f32)}, {"element_shape", AttrShape(PartialShape{2})}});
  return b;
}

TEST(ControlFlow, TensorArrayMap) {
  GraphBuilder b = MapGraph();
  auto m = Load(b);
  ASSERT_NE(m, nullptr);
  Tensor x = Tensor::FromVector<float>({1, -2, 0.5f, 3, 4, 0}, TensorShape{3, 2});
  auto out = m->Run({{"x:0", x}}, {"stack:0", "size:0"});
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ((*out)[0].shape(), (TensorShape{3, 2}));
  const std::vector<float> want = {2, 5, 1.25f, 10, 17, 1};
  for (int k = 0; k < 6; ++k) EXPECT_EQ((*out)[0].data<float>()[k], want[k]) << k;
  EXPECT_EQ((*out)[1].scalar<int32_t>(), 3);
  // Each run gets fresh TensorArrays (no "already written" from the previous run).
  Tensor x2 = Tensor::FromVector<float>({2, 2}, TensorShape{1, 2});
  out = m->Run({{"x:0", x2}}, {"stack:0"});
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ((*out)[0].shape(), (TensorShape{1, 2}));
  EXPECT_EQ((*out)[0].data<float>()[0], 5);
  // Zero rows: the stack uses the gather's element shape.
  out = m->Run({{"x:0", Tensor(DType::kFloat, TensorShape{0, 2})}}, {"stack:0"});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape(), (TensorShape{0, 2}));
}

TEST(ControlFlow, TensorArrayErrorsInsideLoopNameTheNode) {
  GraphBuilder b = MapGraph();
  // Read each row twice: the second read of a clear_after_read array fails.
  b.Op("row2", "TensorArrayReadV3", {"ta_in_enter", "i_id", "scatter_enter"},
       {{"dtype", AttrType(DType::kFloat)}});
  b.node("sq")->set_input(1, "row2");
  auto m = Load(b);
  ASSERT_NE(m, nullptr);
  auto out = m->Run({{"x:0", Tensor::FromVector<float>({1, 2}, TensorShape{1, 2})}}, {"stack:0"});
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("(TensorArrayReadV3)"));
  EXPECT_THAT(out.status().message(),
              HasSubstr("twice because it was cleared after a previous read"));
}

}  // namespace
}  // namespace tfmodel
