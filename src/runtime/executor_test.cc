#include "runtime/executor.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "runtime/function.h"
#include "runtime/model.h"
#include "runtime/resource_mgr.h"
#include "test_util.h"

namespace tfmodel::runtime {
namespace {

using ::testing::HasSubstr;
using tfmodel::testing::AttrB;
using tfmodel::testing::AttrS;
using tfmodel::testing::AttrShape;
using tfmodel::testing::AttrTensor;
using tfmodel::testing::AttrType;

std::atomic<int> g_forwarded{0};

// Test-only kernels (unique op names so they never clash with the real math kernels).
void RegisterTestKernels() {
  static bool done = [] {
    auto& r = const_cast<KernelRegistry&>(KernelRegistry::Global());
    r.Register("TestAdd", [](const KernelInit&) -> absl::StatusOr<std::unique_ptr<OpKernel>> {
      return MakeKernel([](KernelContext* ctx) -> absl::Status {
        const Tensor& a = ctx->input(0);
        const Tensor& b = ctx->input(1);
        if (a.dtype() != DType::kFloat || b.dtype() != DType::kFloat)
          return ctx->Error("float only");
        bool scalar_b = b.NumElements() == 1;
        if (!scalar_b && a.shape() != b.shape()) return ctx->Error("shape mismatch");
        Tensor out = ctx->ForwardInput(0);
        if (out.valid()) {
          ++g_forwarded;
        } else {
          out = Tensor::Empty(DType::kFloat, a.shape());
        }
        const float* pa = a.valid() ? a.data<float>() : out.data<float>();
        for (int64_t i = 0; i < out.NumElements(); ++i) {
          out.data<float>()[i] = pa[i] + b.data<float>()[scalar_b ? 0 : i];
        }
        ctx->set_output(0, std::move(out));
        return absl::OkStatus();
      });
    });
    r.Register("TestNeg", [](const KernelInit&) -> absl::StatusOr<std::unique_ptr<OpKernel>> {
      return MakeKernel([](KernelContext* ctx) -> absl::Status {
        const Tensor& a = ctx->input(0);
        Tensor* out = ctx->allocate_output(0, DType::kFloat, a.shape());
        for (int64_t i = 0; i < a.NumElements(); ++i) out->data<float>()[i] = -a.data<float>()[i];
        return absl::OkStatus();
      });
    });
    r.Register("TestLess", [](const KernelInit&) -> absl::StatusOr<std::unique_ptr<OpKernel>> {
      return MakeKernel([](KernelContext* ctx) -> absl::Status {
        ctx->set_output(0, Tensor::Scalar<bool>(ctx->input(0).data<float>()[0] <
                                                ctx->input(1).data<float>()[0]));
        return absl::OkStatus();
      });
    });
    return true;
  }();
  (void)done;
}

class GraphBuilder {
 public:
  tensorflow::NodeDef* Node(const std::string& name, const std::string& op,
                            std::vector<std::string> inputs = {}) {
    auto* n = g.add_node();
    n->set_name(name);
    n->set_op(op);
    for (auto& i : inputs) n->add_input(i);
    return n;
  }
  tensorflow::NodeDef* Const(const std::string& name, const Tensor& t) {
    auto* n = Node(name, "Const");
    (*n->mutable_attr())["value"] = AttrTensor(t);
    (*n->mutable_attr())["dtype"] = AttrType(t.dtype());
    return n;
  }
  tensorflow::NodeDef* Placeholder(const std::string& name, DType dtype) {
    auto* n = Node(name, "Placeholder");
    (*n->mutable_attr())["dtype"] = AttrType(dtype);
    return n;
  }
  tensorflow::GraphDef g;
};

Tensor F(std::vector<float> v) { return Tensor::FromVector<float>(v); }
std::vector<float> Vals(const Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.NumElements());
}

class ExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override { RegisterTestKernels(); }
  absl::StatusOr<std::vector<Tensor>> RunOnce(const tensorflow::GraphDef& g,
                                              std::vector<std::pair<std::string, Tensor>> feeds,
                                              std::vector<std::string> fetches,
                                              std::vector<std::string> targets = {}) {
    std::vector<std::string> names;
    std::vector<Tensor> vals;
    for (auto& [n, t] : feeds) {
      names.push_back(n);
      vals.push_back(t);
    }
    TFM_ASSIGN_OR_RETURN(auto ex, Executor::Create(g, &g.library(), names, fetches, targets));
    RunContext rc;
    rc.resources = &rm_;
    std::vector<Tensor> out;
    TFM_RETURN_IF_ERROR(ex->Run(rc, vals, &out));
    return out;
  }
  ResourceMgr rm_;
};

TEST_F(ExecutorTest, PrunesToFetches) {
  GraphBuilder b;
  b.Const("a", F({1, 2}));
  b.Const("b", F({10, 20}));
  b.Node("c", "TestAdd", {"a", "b"});
  b.Node("unused", "ZeroOut", {"c"});
  b.Node("unused2", "TestNeg", {"a"});
  TFM_ASSERT_OK_AND_ASSIGN(auto ex, Executor::Create(b.g, nullptr, {}, {"c:0"}, {}));
  EXPECT_THAT(ex->node_names(), ::testing::ElementsAre("a", "b", "c"));
  RunContext rc;
  std::vector<Tensor> out;
  TFM_ASSERT_OK(ex->Run(rc, {}, &out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Vals(out[0]), (std::vector<float>{11, 22}));
}

TEST_F(ExecutorTest, FeedCutsProducerAndFetchOfFeedReturnsIt) {
  GraphBuilder b;
  b.Node("bad", "ZeroOut");
  b.Node("x", "TestNeg", {"bad"});
  b.Const("one", F({1}));
  b.Node("y", "TestAdd", {"x", "one"});
  TFM_ASSERT_OK_AND_ASSIGN(auto out, RunOnce(b.g, {{"x:0", F({5, 6})}}, {"y:0", "x"}));
  EXPECT_EQ(Vals(out[0]), (std::vector<float>{6, 7}));
  EXPECT_EQ(Vals(out[1]), (std::vector<float>{5, 6}));
}

TEST_F(ExecutorTest, ControlDependenciesRun) {
  GraphBuilder b;
  auto* v = b.Node("v", "VariableV2");
  (*v->mutable_attr())["dtype"] = AttrType(DType::kFloat);
  (*v->mutable_attr())["shape"] = AttrShape(PartialShape{1});
  b.Const("init_val", F({3}));
  b.Node("init", "Assign", {"v", "init_val"});
  b.Const("one", F({1}));
  b.Node("inc", "AssignAdd", {"v", "one"});
  b.Node("read", "Identity", {"v", "^inc"});
  TFM_ASSERT_OK(RunOnce(b.g, {}, {}, {"init"}).status());
  TFM_ASSERT_OK_AND_ASSIGN(auto out, RunOnce(b.g, {}, {"read:0"}));
  EXPECT_EQ(Vals(out[0]), (std::vector<float>{4}));
  TFM_ASSERT_OK_AND_ASSIGN(out, RunOnce(b.g, {}, {"read:0", "v:0"}));
  EXPECT_EQ(Vals(out[0]), (std::vector<float>{5}));
  EXPECT_EQ(out[1].dtype(), DType::kFloat);  // a fetched ref is dereferenced
  EXPECT_EQ(Vals(out[1]), (std::vector<float>{5}));
}

TEST_F(ExecutorTest, UnknownFeedFetchTargetNameCloseNodes) {
  GraphBuilder b;
  b.Placeholder("input_x", DType::kFloat);
  b.Node("output_y", "TestNeg", {"input_x"});
  auto s = Executor::Create(b.g, nullptr, {"input_x:0"}, {"output_yy:0"}, {}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("unknown fetch 'output_yy:0'"));
  EXPECT_THAT(s.message(), HasSubstr("did you mean 'output_y'?"));
  s = Executor::Create(b.g, nullptr, {"inputx:0"}, {"output_y:0"}, {}).status();
  EXPECT_THAT(s.message(), HasSubstr("unknown feed 'inputx:0'"));
  EXPECT_THAT(s.message(), HasSubstr("'input_x'"));
  s = Executor::Create(b.g, nullptr, {}, {}, {"nothing_like_it"}).status();
  EXPECT_THAT(s.message(), HasSubstr("unknown target 'nothing_like_it'"));
}

TEST_F(ExecutorTest, ReportsAllUnsupportedOpsAtOnce) {
  GraphBuilder b;
  b.Const("a", F({1}));
  b.Node("z1", "ZeroOut", {"a"});
  b.Node("z2", "ZeroOut", {"z1"});
  b.Node("f", "FancyOp", {"z2"});
  b.Node("out", "TestNeg", {"f"});
  auto s = Executor::Create(b.g, nullptr, {}, {"out:0"}, {}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(s.message(), "unsupported ops: FancyOp (node f), ZeroOut (node z1, node z2)");
}

// Missing ops are collected from the whole call tree reachable from the fetches — calls,
// If branches, While bodies, direct calls — in one error naming each one's function.
TEST_F(ExecutorTest, ReportsUnsupportedOpsOfEveryReachableFunction) {
  GraphBuilder b;
  auto add_fn = [&](const std::string& name, std::vector<std::pair<std::string, std::string>> nodes,
                    std::map<std::string, std::string> func_attrs = {}) {
    auto* f = b.g.mutable_library()->add_function();
    f->mutable_signature()->set_name(name);
    for (const auto& [node, op] : nodes) {
      auto* n = f->add_node_def();
      n->set_name(node);
      n->set_op(op);
      for (const auto& [attr, fn] : func_attrs) {
        if (node == "ctl") (*n->mutable_attr())[attr].mutable_func()->set_name(fn);
      }
    }
  };
  add_fn("outer", {{"ctl", "If"}, {"w", "While"}},
         {{"then_branch", "then_fn"}, {"else_branch", "else_fn"}});
  // The While node in "outer" names its body through the same helper's attrs only on "ctl";
  // give it a body by hand.
  auto* outer = b.g.mutable_library()->mutable_function(0);
  (*outer->mutable_node_def(1)->mutable_attr())["body"].mutable_func()->set_name("body_fn");
  (*outer->mutable_node_def(1)->mutable_attr())["cond"].mutable_func()->set_name("cond_fn");
  add_fn("then_fn", {{"t", "MissingInThen"}});
  add_fn("else_fn", {{"call", "leaf_fn"}});  // a direct call of a library function
  add_fn("leaf_fn", {{"l", "MissingInLeaf"}, {"l2", "MissingInThen"}});
  add_fn("body_fn", {{"x", "TestNeg"}, {"y", "MissingInBody"}});
  add_fn("cond_fn", {{"c", "TestNeg"}});
  add_fn("unused_fn", {{"u", "MissingButUnreachable"}});
  b.Const("a", F({1}));
  auto* call = b.Node("call", "StatefulPartitionedCall", {"a"});
  (*call->mutable_attr())["f"].mutable_func()->set_name("outer");
  b.Node("top", "MissingAtTop", {"call"});
  b.Node("dangling", "MissingButPruned", {"a"});
  auto s = Executor::Create(b.g, &b.g.library(), {}, {"top:0"}, {}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(s.message(),
            "unsupported ops: MissingAtTop (node top), MissingInBody (node y in function "
            "'body_fn'), MissingInLeaf (node l in function 'leaf_fn'), MissingInThen (node l2 in "
            "function 'leaf_fn', node t in function 'then_fn')");
}

TEST_F(ExecutorTest, PlaceholderNotFedNamesIt) {
  GraphBuilder b;
  auto* p = b.Placeholder("x", DType::kFloat);
  (*p->mutable_attr())["shape"] = AttrShape(PartialShape{-1, 1});
  b.Node("y", "TestNeg", {"x"});
  auto s = RunOnce(b.g, {}, {"y:0"}).status();
  EXPECT_THAT(
      s.message(),
      HasSubstr(
          "You must feed a value for placeholder tensor 'x' with dtype float and shape [?,1]"));
  s = RunOnce(b.g, {{"x:0", Tensor::Scalar<int32_t>(1)}}, {"y:0"}).status();
  EXPECT_THAT(s.message(),
              HasSubstr("feed 'x:0' has dtype int32 but the placeholder expects float"));
}

TEST_F(ExecutorTest, CycleIsRejected) {
  GraphBuilder b;
  b.Node("a", "TestNeg", {"b"});
  b.Node("b", "TestNeg", {"a"});
  auto s = Executor::Create(b.g, nullptr, {}, {"a:0"}, {}).status();
  EXPECT_THAT(s.message(), HasSubstr("cycle"));
}

// tf.cond: y = pred ? -x : x + 1, with Switch/Merge and dead branches.
GraphBuilder CondGraph() {
  GraphBuilder b;
  b.Placeholder("x", DType::kFloat);
  b.Placeholder("pred", DType::kBool);
  b.Node("sw", "Switch", {"x", "pred"});
  b.Node("neg", "TestNeg", {"sw:1"});
  b.Const("one", F({1}));
  b.Node("inc", "TestAdd", {"sw:0", "one"});
  b.Node("m", "Merge", {"neg", "inc"});
  // Only runs on the true branch (control dep on a node of that branch).
  b.Node("after_neg", "Identity", {"x", "^neg"});
  return b;
}

TEST_F(ExecutorTest, CondWithDeadBranches) {
  GraphBuilder b = CondGraph();
  TFM_ASSERT_OK_AND_ASSIGN(
      auto out, RunOnce(b.g, {{"x:0", F({2, 3})}, {"pred:0", Tensor::Scalar<bool>(true)}},
                        {"m:0", "m:1", "after_neg:0"}));
  EXPECT_EQ(Vals(out[0]), (std::vector<float>{-2, -3}));
  EXPECT_EQ(out[1].scalar<int32_t>(), 0);
  EXPECT_EQ(Vals(out[2]), (std::vector<float>{2, 3}));
  TFM_ASSERT_OK_AND_ASSIGN(
      out,
      RunOnce(b.g, {{"x:0", F({2, 3})}, {"pred:0", Tensor::Scalar<bool>(false)}}, {"m:0", "m:1"}));
  EXPECT_EQ(Vals(out[0]), (std::vector<float>{3, 4}));
  EXPECT_EQ(out[1].scalar<int32_t>(), 1);
  // A node with a control input from a dead node is dead: fetching it is an error.
  auto s = RunOnce(b.g, {{"x:0", F({2})}, {"pred:0", Tensor::Scalar<bool>(false)}}, {"after_neg:0"})
               .status();
  EXPECT_THAT(s.message(), HasSubstr("fetched tensor 'after_neg:0' was not computed"));
  s = RunOnce(b.g, {{"x:0", F({2})}, {"pred:0", F({1})}}, {"m:0"}).status();
  EXPECT_THAT(s.message(),
              HasSubstr("feed 'pred:0' has dtype float but the placeholder expects bool"));
}

TEST_F(ExecutorTest, ReleasesIntermediatesAndForwardsBuffers) {
  GraphBuilder b;
  b.Placeholder("x", DType::kFloat);
  b.Const("one", F({1}));
  b.Node("a1", "TestNeg", {"x"});
  b.Node("a2", "TestAdd", {"a1", "one"});  // a1's last use: may reuse its buffer
  b.Node("a3", "TestAdd", {"a2", "one"});
  b.Node("a4", "TestAdd", {"a3", "a3"});  // same value twice: never forwarded
  g_forwarded = 0;
  TFM_ASSERT_OK_AND_ASSIGN(auto out, RunOnce(b.g, {{"x:0", F({1, 2})}}, {"a4:0", "a3:0"}));
  EXPECT_EQ(Vals(out[0]), (std::vector<float>{2, 0}));
  EXPECT_EQ(Vals(out[1]), (std::vector<float>{1, 0}));
  // a2 reuses a1's buffer and a3 reuses a2's; a4 may not reuse a3 (fetched, used twice).
  EXPECT_EQ(g_forwarded.load(), 2);
}

TEST_F(ExecutorTest, ConcurrentRunsOfOnePlan) {
  GraphBuilder b;
  b.Placeholder("x", DType::kFloat);
  b.Const("one", F({1}));
  std::string prev = "x";
  for (int i = 0; i < 20; ++i) {
    std::string n = absl::StrCat("n", i);
    if (i % 3 == 2) {
      b.Node(n, "TestNeg", {prev});
    } else {
      b.Node(n, "TestAdd", {prev, "one"});
    }
    prev = n;
  }
  TFM_ASSERT_OK_AND_ASSIGN(auto ex, Executor::Create(b.g, nullptr, {"x:0"}, {prev + ":0"}, {}));
  auto expect = [](float x) {
    for (int i = 0; i < 20; ++i) x = (i % 3 == 2) ? -x : x + 1;
    return x;
  };
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      RunContext rc;
      for (int r = 0; r < 300; ++r) {
        float x = static_cast<float>(t * 1000 + r);
        std::vector<Tensor> out;
        if (!ex->Run(rc, {F({x, -x})}, &out).ok() ||
            Vals(out[0]) != std::vector<float>{expect(x), expect(-x)}) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(ExecutorTest, ResourceVariables) {
  GraphBuilder b;
  auto* h = b.Node("v", "VarHandleOp");
  (*h->mutable_attr())["dtype"] = AttrType(DType::kFloat);
  (*h->mutable_attr())["shape"] = AttrShape(PartialShape{2});
  (*h->mutable_attr())["shared_name"] = AttrS("weights");
  b.Node("is_init", "VarIsInitializedOp", {"v"});
  b.Const("val", F({1, 2}));
  auto* a = b.Node("assign", "AssignVariableOp", {"v", "val"});
  (*a->mutable_attr())["dtype"] = AttrType(DType::kFloat);
  auto* aa = b.Node("add", "AssignAddVariableOp", {"v", "val"});
  (*aa->mutable_attr())["dtype"] = AttrType(DType::kFloat);
  auto* r = b.Node("read", "ReadVariableOp", {"v"});
  (*r->mutable_attr())["dtype"] = AttrType(DType::kFloat);
  b.Node("destroy", "DestroyResourceOp", {"v"});

  auto s = RunOnce(b.g, {}, {"read:0"}).status();
  EXPECT_THAT(s.message(), HasSubstr("Could not find variable weights"));
  TFM_ASSERT_OK_AND_ASSIGN(auto out, RunOnce(b.g, {}, {"is_init:0"}));
  EXPECT_FALSE(out[0].scalar<bool>());
  TFM_ASSERT_OK(RunOnce(b.g, {}, {}, {"assign"}).status());
  TFM_ASSERT_OK_AND_ASSIGN(out, RunOnce(b.g, {}, {"read:0"}));
  Tensor before = out[0];
  TFM_ASSERT_OK(RunOnce(b.g, {}, {}, {"add"}).status());
  TFM_ASSERT_OK_AND_ASSIGN(out, RunOnce(b.g, {}, {"read:0", "is_init:0"}));
  EXPECT_EQ(Vals(out[0]), (std::vector<float>{2, 4}));
  EXPECT_TRUE(out[1].scalar<bool>());
  EXPECT_EQ(Vals(before), (std::vector<float>{1, 2}));  // earlier reads are not mutated
  TFM_ASSERT_OK(RunOnce(b.g, {}, {}, {"destroy"}).status());
  TFM_ASSERT_OK_AND_ASSIGN(out, RunOnce(b.g, {}, {"is_init:0"}));
  EXPECT_FALSE(out[0].scalar<bool>());
}

TEST_F(ExecutorTest, AssignValidatesShapeAndUninitializedRead) {
  GraphBuilder b;
  auto* v = b.Node("v", "VariableV2");
  (*v->mutable_attr())["dtype"] = AttrType(DType::kFloat);
  (*v->mutable_attr())["shape"] = AttrShape(PartialShape{2});
  b.Const("three", F({1, 2, 3}));
  b.Node("bad_assign", "Assign", {"v", "three"});
  auto* ok = b.Node("loose_assign", "Assign", {"v", "three"});
  (*ok->mutable_attr())["validate_shape"] = AttrB(false);
  b.Node("read", "Identity", {"v"});
  b.Node("is_init", "IsVariableInitialized", {"v"});
  auto s = RunOnce(b.g, {}, {"read:0"}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("Attempting to use uninitialized value v"));
  s = RunOnce(b.g, {}, {}, {"bad_assign"}).status();
  EXPECT_THAT(s.message(), HasSubstr("Assign requires shapes of both tensors to match"));
  TFM_ASSERT_OK_AND_ASSIGN(auto out, RunOnce(b.g, {}, {"is_init:0"}));
  EXPECT_FALSE(out[0].scalar<bool>());
  TFM_ASSERT_OK_AND_ASSIGN(out, RunOnce(b.g, {}, {"loose_assign:0"}));
  EXPECT_EQ(Vals(out[0]), (std::vector<float>{1, 2, 3}));
  TFM_ASSERT_OK_AND_ASSIGN(out, RunOnce(b.g, {}, {"is_init:0"}));
  EXPECT_TRUE(out[0].scalar<bool>());
}

TEST_F(ExecutorTest, FunctionCalls) {
  GraphBuilder b;
  // AddOne(x: float, v: resource) -> (y: float) = x + 1 + read(v)
  auto* f = b.g.mutable_library()->add_function();
  f->mutable_signature()->set_name("AddOne");
  auto* in = f->mutable_signature()->add_input_arg();
  in->set_name("x");
  in->set_type(tensorflow::DT_FLOAT);
  auto* in2 = f->mutable_signature()->add_input_arg();
  in2->set_name("v");
  in2->set_type(tensorflow::DT_RESOURCE);
  auto* outa = f->mutable_signature()->add_output_arg();
  outa->set_name("y");
  outa->set_type(tensorflow::DT_FLOAT);
  auto* one = f->add_node_def();
  one->set_name("one");
  one->set_op("Const");
  (*one->mutable_attr())["value"] = AttrTensor(F({1}));
  (*one->mutable_attr())["dtype"] = AttrType(DType::kFloat);
  auto* rd = f->add_node_def();
  rd->set_name("rd");
  rd->set_op("ReadVariableOp");
  rd->add_input("v");
  (*rd->mutable_attr())["dtype"] = AttrType(DType::kFloat);
  auto* add = f->add_node_def();
  add->set_name("add");
  add->set_op("TestAdd");
  add->add_input("x");
  add->add_input("one:output:0");
  auto* add2 = f->add_node_def();
  add2->set_name("add2");
  add2->set_op("TestAdd");
  add2->add_input("add:z:0");
  add2->add_input("rd:value:0");
  (*f->mutable_ret())["y"] = "add2:z:0";

  auto* h = b.Node("v", "VarHandleOp");
  (*h->mutable_attr())["dtype"] = AttrType(DType::kFloat);
  (*h->mutable_attr())["shape"] = AttrShape(PartialShape{});
  b.Const("ten", Tensor::Scalar<float>(10));
  auto* asg = b.Node("assign", "AssignVariableOp", {"v", "ten"});
  (*asg->mutable_attr())["dtype"] = AttrType(DType::kFloat);
  b.Placeholder("x", DType::kFloat);
  auto* call = b.Node("call", "StatefulPartitionedCall", {"x", "v"});
  (*call->mutable_attr())["f"].mutable_func()->set_name("AddOne");
  b.Node("direct", "AddOne", {"call", "v"});
  TFM_ASSERT_OK(RunOnce(b.g, {}, {}, {"assign"}).status());
  TFM_ASSERT_OK_AND_ASSIGN(auto out, RunOnce(b.g, {{"x:0", F({1, 2})}}, {"call:0", "direct:0"}));
  EXPECT_EQ(Vals(out[0]), (std::vector<float>{12, 13}));
  EXPECT_EQ(Vals(out[1]), (std::vector<float>{23, 24}));

  // Errors inside a function name it and the node.
  f->mutable_node_def(2)->set_op("NotAnOp");
  auto s = RunOnce(b.g, {{"x:0", F({1})}}, {"call:0"}).status();
  EXPECT_THAT(s.message(), HasSubstr("unsupported ops: NotAnOp (node add in function 'AddOne')"));
}

TEST_F(ExecutorTest, ModelRunCachesPlansAndKeepsState) {
  GraphBuilder b;
  auto* v = b.Node("counter", "VariableV2");
  (*v->mutable_attr())["dtype"] = AttrType(DType::kInt64);
  (*v->mutable_attr())["shape"] = AttrShape(PartialShape{});
  b.Const("zero", Tensor::Scalar<int64_t>(0));
  b.Node("init", "Assign", {"counter", "zero"});
  b.Const("one", Tensor::Scalar<int64_t>(1));
  b.Node("incr", "AssignAdd", {"counter", "one"});
  TFM_ASSERT_OK_AND_ASSIGN(auto model, Model::LoadGraph(b.g));
  TFM_ASSERT_OK(model->Run({}, {}, {"init"}).status());
  for (int64_t i = 1; i <= 5; ++i) {
    TFM_ASSERT_OK_AND_ASSIGN(auto out, model->Run({}, {"incr:0"}));
    EXPECT_EQ(out[0].scalar<int64_t>(), i);
  }
  TFM_ASSERT_OK_AND_ASSIGN(auto out, model->Run({}, {"counter:0"}));
  EXPECT_EQ(out[0].scalar<int64_t>(), 5);
  EXPECT_TRUE(model->signatures().empty());
  auto s = model->RunSignature("serving_default", {}).status();
  EXPECT_THAT(s.message(), HasSubstr("signature 'serving_default' not found"));
}

// i = 0; acc = start; while (i < limit) { acc += i; i += 1 }  -> (i, acc)
GraphBuilder WhileGraph() {
  GraphBuilder b;
  b.Const("zero", Tensor::Scalar<float>(0));
  b.Placeholder("start", DType::kFloat);
  b.Placeholder("limit", DType::kFloat);
  b.Const("one", Tensor::Scalar<float>(1));
  auto enter = [&](const std::string& name, const std::string& in, bool constant) {
    auto* n = b.Node(name, "Enter", {in});
    (*n->mutable_attr())["frame_name"] = AttrS("loop");
    (*n->mutable_attr())["is_constant"] = AttrB(constant);
  };
  enter("i_enter", "zero", false);
  enter("acc_enter", "start", false);
  enter("limit_enter", "limit", true);
  enter("one_enter", "one", true);
  b.Node("i_merge", "Merge", {"i_enter", "i_next"});
  b.Node("acc_merge", "Merge", {"acc_enter", "acc_next"});
  b.Node("less", "TestLess", {"i_merge", "limit_enter"});
  b.Node("cond", "LoopCond", {"less"});
  b.Node("i_switch", "Switch", {"i_merge", "cond"});
  b.Node("acc_switch", "Switch", {"acc_merge", "cond"});
  b.Node("i_exit", "Exit", {"i_switch:0"});
  b.Node("acc_exit", "Exit", {"acc_switch:0"});
  b.Node("i_body", "TestAdd", {"i_switch:1", "one_enter"});
  b.Node("acc_body", "TestAdd", {"acc_switch:1", "i_switch:1"});
  b.Node("i_next", "NextIteration", {"i_body"});
  b.Node("acc_next", "NextIteration", {"acc_body"});
  b.Node("result", "TestAdd", {"acc_exit", "zero"});
  return b;
}

TEST_F(ExecutorTest, WhileLoop) {
  GraphBuilder b = WhileGraph();
  TFM_ASSERT_OK_AND_ASSIGN(auto ex, Executor::Create(b.g, nullptr, {"start:0", "limit:0"},
                                                     {"i_exit:0", "result:0"}, {}));
  EXPECT_TRUE(ex->has_loops());
  RunContext rc;
  std::vector<Tensor> out;
  TFM_ASSERT_OK(ex->Run(rc, {Tensor::Scalar<float>(100), Tensor::Scalar<float>(5)}, &out));
  EXPECT_EQ(out[0].scalar<float>(), 5);
  EXPECT_EQ(out[1].scalar<float>(), 110);  // 100 + 0+1+2+3+4
  // Zero iterations.
  TFM_ASSERT_OK(ex->Run(rc, {Tensor::Scalar<float>(7), Tensor::Scalar<float>(-1)}, &out));
  EXPECT_EQ(out[0].scalar<float>(), 0);
  EXPECT_EQ(out[1].scalar<float>(), 7);
  // Concurrent runs of a loop plan.
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      RunContext rc2;
      for (int r = 0; r < 50; ++r) {
        std::vector<Tensor> o;
        float n = static_cast<float>((t + r) % 10);
        if (!ex->Run(rc2, {Tensor::Scalar<float>(1), Tensor::Scalar<float>(n)}, &o).ok() ||
            o[1].scalar<float>() != 1 + n * (n - 1) / 2) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(ExecutorTest, WhileLoopInsideDeadBranchIsDead) {
  GraphBuilder b = WhileGraph();
  // Feed the loop's start value through a Switch whose taken branch skips the loop.
  b.Placeholder("pred", DType::kBool);
  b.Placeholder("s0", DType::kFloat);
  b.Node("gate", "Switch", {"s0", "pred"});
  for (auto& n : *b.g.mutable_node()) {
    if (n.name() == "acc_enter") n.set_input(0, "gate:1");
  }
  b.Node("out", "Merge", {"result", "gate:0"});
  TFM_ASSERT_OK_AND_ASSIGN(auto out, RunOnce(b.g,
                                             {{"s0:0", Tensor::Scalar<float>(3)},
                                              {"pred:0", Tensor::Scalar<bool>(true)},
                                              {"limit:0", Tensor::Scalar<float>(3)}},
                                             {"out:0"}));
  EXPECT_EQ(out[0].scalar<float>(), 6);  // 3 + 0+1+2
  TFM_ASSERT_OK_AND_ASSIGN(out, RunOnce(b.g,
                                        {{"s0:0", Tensor::Scalar<float>(3)},
                                         {"pred:0", Tensor::Scalar<bool>(false)},
                                         {"limit:0", Tensor::Scalar<float>(3)}},
                                        {"out:0", "out:1"}));
  EXPECT_EQ(out[0].scalar<float>(), 3);
  EXPECT_EQ(out[1].scalar<int32_t>(), 1);
}

TEST_F(ExecutorTest, SmallGraphPerCallOverhead) {
  GraphBuilder b;
  b.Placeholder("x", DType::kFloat);
  b.Const("one", F({1}));
  b.Node("a", "TestAdd", {"x", "one"});
  b.Node("n", "TestNeg", {"a"});
  b.Node("y", "Identity", {"n"});
  TFM_ASSERT_OK_AND_ASSIGN(auto ex, Executor::Create(b.g, nullptr, {"x:0"}, {"y:0"}, {}));
  RunContext rc;
  std::vector<Tensor> out;
  std::vector<Tensor> feeds = {F({1, 2, 3})};
  constexpr int kRuns = 20000;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRuns; ++i) TFM_ASSERT_OK(ex->Run(rc, feeds, &out));
  double us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() /
      kRuns;
  std::printf("per-call time of a 5-node graph: %.2f us\n", us);
  EXPECT_EQ(Vals(out[0]), (std::vector<float>{-2, -3, -4}));
  EXPECT_LT(us, 200.0);  // generous: sanitizer builds and a loaded machine
}

TEST(RegistryTest, ControlFlowOpsAreListed) {
  EXPECT_TRUE(KernelRegistry::Global().Has("Switch"));
  EXPECT_TRUE(KernelRegistry::Global().Has("Merge"));
  EXPECT_TRUE(KernelRegistry::Global().Has("NextIteration"));
  EXPECT_TRUE(KernelRegistry::Global().Has("StatefulPartitionedCall"));
}

}  // namespace
}  // namespace tfmodel::runtime
