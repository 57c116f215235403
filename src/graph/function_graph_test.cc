// Inlining function calls: names, argument and return wiring, nesting, control edges.
#include "graph/function_graph.h"

#include <map>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace tfmodel {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

tensorflow::GraphDef Parse(const std::string& text) {
  tensorflow::GraphDef g;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &g));
  return g;
}

std::map<std::string, const tensorflow::NodeDef*> ByName(const tensorflow::GraphDef& g) {
  std::map<std::string, const tensorflow::NodeDef*> m;
  for (const auto& n : g.node()) m[n.name()] = &n;
  return m;
}

// outer(x, v) = (inner(x, v), x);  inner(x, v) = x * read(v)
constexpr char kGraph[] = R"pb(
  node {
    name: "x"
    op: "Placeholder"
    attr {
      key: "dtype"
      value { type: DT_FLOAT }
    }
  }
  node {
    name: "v"
    op: "VarHandleOp"
    attr {
      key: "dtype"
      value { type: DT_FLOAT }
    }
  }
  node { name: "dep" op: "NoOp" }
  node {
    name: "call"
    op: "StatefulPartitionedCall"
    input: "x"
    input: "v"
    input: "^dep"
    attr {
      key: "f"
      value { func { name: "outer" } }
    }
  }
  node {
    name: "use"
    op: "Neg"
    input: "call:1"
    attr {
      key: "T"
      value { type: DT_FLOAT }
    }
  }
  node {
    name: "loop"
    op: "While"
    input: "x"
    attr {
      key: "cond"
      value { func { name: "kept_cond" } }
    }
    attr {
      key: "body"
      value { func { name: "kept_body" } }
    }
  }
  library {
    function {
      signature {
        name: "outer"
        input_arg { name: "x" type: DT_FLOAT }
        input_arg { name: "v" type: DT_RESOURCE }
        output_arg { name: "prod" type: DT_FLOAT }
        output_arg { name: "same" type: DT_FLOAT }
        control_output: "side"
      }
      node_def { name: "in" op: "inner" input: "x" input: "v" }
      node_def { name: "side" op: "NoOp" input: "^in" }
      node_def { name: "src" op: "NoOp" }
      ret { key: "prod" value: "in:y:0" }
      ret { key: "same" value: "x" }
      control_ret { key: "side" value: "side" }
    }
    function {
      signature {
        name: "inner"
        input_arg { name: "x" type: DT_FLOAT }
        input_arg { name: "v" type: DT_RESOURCE }
        output_arg { name: "y" type: DT_FLOAT }
      }
      node_def {
        name: "rd"
        op: "ReadVariableOp"
        input: "v"
        attr {
          key: "dtype"
          value { type: DT_FLOAT }
        }
      }
      node_def {
        name: "mul"
        op: "Mul"
        input: "x"
        input: "rd:value:0"
        attr {
          key: "T"
          value { type: DT_FLOAT }
        }
      }
      node_def {
        name: "k"
        op: "Const"
        attr {
          key: "dtype"
          value { type: DT_FLOAT }
        }
        attr {
          key: "value"
          value {
            tensor {
              dtype: DT_FLOAT
              tensor_shape {}
              float_val: 1
            }
          }
        }
      }
      ret { key: "y" value: "mul:z:0" }
    }
    function { signature { name: "kept_cond" } }
    function { signature { name: "kept_body" } }
    function { signature { name: "unused" } }
  }
)pb";

TEST(InlineFunctionCalls, NestedCallsBecomeGraphNodes) {
  InlineReport report;
  auto out = InlineFunctionCalls(Parse(kGraph), &report);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(report.calls_inlined, 2);  // outer, then inner inside it
  auto nodes = ByName(*out);
  // The inner body, named by the call path, reads the graph's own variable.
  ASSERT_TRUE(nodes.count("call/in/rd"));
  EXPECT_THAT(nodes["call/in/rd"]->input(), ElementsAre("v"));
  EXPECT_THAT(nodes["call/in/mul"]->input(), ElementsAre("x", "call/in/rd:0"));
  // A source node inside the body inherits the call's control inputs.
  EXPECT_THAT(nodes["call/src"]->input(), ElementsAre("^dep"));
  EXPECT_THAT(nodes["call/side"]->input(), ElementsAre("^call/in"));
  // The call keeps its name and output positions: IdentityN over the returns, plus the
  // control outputs and the call's own control inputs.
  EXPECT_EQ(nodes["call"]->op(), "IdentityN");
  EXPECT_THAT(nodes["call"]->input(), ElementsAre("call/in:0", "x", "^call/side", "^dep"));
  EXPECT_EQ(nodes["call/in"]->op(), "Identity");
  EXPECT_THAT(nodes["call/in"]->input(), ElementsAre("call/in/mul:0"));
  EXPECT_THAT(nodes["use"]->input(), ElementsAre("call:1"));
  // Functional control flow stays, with the functions it needs; the rest are dropped.
  EXPECT_EQ(nodes["loop"]->op(), "While");
  std::vector<std::string> kept;
  for (const auto& f : out->library().function()) kept.push_back(f.signature().name());
  EXPECT_THAT(kept, UnorderedElementsAre("kept_cond", "kept_body"));
}

TEST(InlineFunctionCalls, Errors) {
  auto g = Parse(kGraph);
  g.mutable_node(3)->add_input("x");  // one input too many
  auto s = InlineFunctionCalls(g).status();
  EXPECT_THAT(s.message(), HasSubstr("node 'call' passes 3 inputs to function 'outer'"));

  g = Parse(kGraph);
  auto* clash = g.add_node();
  clash->set_name("call/side");
  clash->set_op("NoOp");
  s = InlineFunctionCalls(g).status();
  EXPECT_THAT(s.message(), HasSubstr("already has a node named 'call/side'"));

  g = Parse(kGraph);
  (*g.mutable_node(3)->mutable_attr())["f"].mutable_func()->set_name("missing");
  s = InlineFunctionCalls(g).status();
  EXPECT_THAT(s.message(), HasSubstr("function 'missing' is not in the graph's library"));
}

// Keras' LSTM pair: lstm_gpu (CudnnRNN, prefers the GPU) and lstm_cpu (a While loop, prefers
// the CPU) implement one API. Inlining a call of either inlines the CPU one; forward/backward
// functions of a training graph and functions without the attrs are left alone.
constexpr char kImplementations[] = R"pb(
  node {
    name: "x"
    op: "Placeholder"
    attr {
      key: "dtype"
      value { type: DT_FLOAT }
    }
  }
  node {
    name: "call"
    op: "PartitionedCall"
    input: "x"
    attr {
      key: "f"
      value { func { name: "lstm_gpu" } }
    }
  }
  node {
    name: "loop"
    op: "StatelessIf"
    input: "x"
    input: "x"
    attr {
      key: "then_branch"
      value { func { name: "plain" } }
    }
    attr {
      key: "else_branch"
      value { func { name: "plain" } }
    }
  }
  library {
    function {
      signature {
        name: "lstm_gpu"
        input_arg { name: "a" type: DT_FLOAT }
        output_arg { name: "y" type: DT_FLOAT }
      }
      node_def { name: "rnn" op: "CudnnRNNV3" input: "a" }
      ret { key: "y" value: "rnn:output:0" }
      attr {
        key: "api_implements"
        value { s: "lstm_1" }
      }
      attr {
        key: "api_preferred_device"
        value { s: "GPU" }
      }
    }
    function {
      signature {
        name: "lstm_cpu"
        input_arg { name: "a" type: DT_FLOAT }
        output_arg { name: "y" type: DT_FLOAT }
      }
      node_def { name: "neg" op: "Neg" input: "a" }
      ret { key: "y" value: "neg:y:0" }
      attr {
        key: "api_implements"
        value { s: "lstm_1" }
      }
      attr {
        key: "api_preferred_device"
        value { s: "CPU" }
      }
    }
    function {
      signature {
        name: "lstm_gpu_forward"
        input_arg { name: "a" type: DT_FLOAT }
        output_arg { name: "y" type: DT_FLOAT }
      }
      node_def { name: "rnn" op: "CudnnRNNV3" input: "a" }
      ret { key: "y" value: "rnn:output:0" }
      attr {
        key: "api_implements"
        value { s: "lstm_1" }
      }
      attr {
        key: "api_preferred_device"
        value { s: "GPU" }
      }
      attr {
        key: "backward_function_name"
        value { s: "lstm_gpu_backward" }
      }
    }
    function {
      signature {
        name: "plain"
        input_arg { name: "a" type: DT_FLOAT }
        output_arg { name: "y" type: DT_FLOAT }
      }
      ret { key: "y" value: "a" }
    }
  }
)pb";

TEST(Implementations, CallsOfTheGpuVariantRunTheCpuVariant) {
  tensorflow::GraphDef g = Parse(kImplementations);
  EXPECT_EQ(SelectCpuImplementation(&g.library(), "lstm_gpu"), "lstm_cpu");
  EXPECT_EQ(SelectCpuImplementation(&g.library(), "lstm_cpu"), "lstm_cpu");
  EXPECT_EQ(SelectCpuImplementation(&g.library(), "lstm_gpu_forward"), "lstm_gpu_forward");
  EXPECT_EQ(SelectCpuImplementation(&g.library(), "plain"), "plain");
  EXPECT_EQ(SelectCpuImplementation(&g.library(), "missing"), "missing");
  EXPECT_THAT(ReachableFunctions(&g.library(), g.node()),
              UnorderedElementsAre("lstm_cpu", "plain"));
  auto inlined = InlineFunctionCalls(g);
  ASSERT_TRUE(inlined.ok()) << inlined.status();
  auto nodes = ByName(*inlined);
  ASSERT_EQ(nodes.count("call/neg"), 1u);
  EXPECT_EQ(nodes["call/neg"]->op(), "Neg");
  EXPECT_EQ(nodes.count("call/rnn"), 0u);
}

}  // namespace
}  // namespace tfmodel
