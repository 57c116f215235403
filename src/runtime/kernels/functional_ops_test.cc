// If / Case / While (control flow v2) on graphs written the way TF2 writes them: the
// branches, conditions and bodies are library functions with "node:out_arg:index" names.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/substitute.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "runtime/model.h"
#include "test_util.h"

namespace tfmodel::runtime {
namespace {

using ::testing::HasSubstr;

// Functions shared by the tests below.
constexpr char kLibrary[] = R"pb(
  library {
    # (i, acc) -> i < 5
    function {
      signature {
        name: "cond_lt5"
        input_arg { name: "i" type: DT_INT32 }
        input_arg { name: "acc" type: DT_FLOAT }
        output_arg { name: "ok" type: DT_BOOL }
      }
      node_def {
        name: "five"
        op: "Const"
        attr {
          key: "dtype"
          value { type: DT_INT32 }
        }
        attr {
          key: "value"
          value {
            tensor {
              dtype: DT_INT32
              tensor_shape {}
              int_val: 5
            }
          }
        }
      }
      node_def {
        name: "less"
        op: "Less"
        input: "i"
        input: "five:output:0"
        attr {
          key: "T"
          value { type: DT_INT32 }
        }
      }
      ret { key: "ok" value: "less:z:0" }
    }
    # (i, acc) -> (i + 1, acc * 2)
    function {
      signature {
        name: "body_double"
        input_arg { name: "i" type: DT_INT32 }
        input_arg { name: "acc" type: DT_FLOAT }
        output_arg { name: "i_next" type: DT_INT32 }
        output_arg { name: "acc_next" type: DT_FLOAT }
      }
      node_def {
        name: "one"
        op: "Const"
        attr {
          key: "dtype"
          value { type: DT_INT32 }
        }
        attr {
          key: "value"
          value {
            tensor {
              dtype: DT_INT32
              tensor_shape {}
              int_val: 1
            }
          }
        }
      }
      node_def {
        name: "two"
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
              float_val: 2
            }
          }
        }
      }
      node_def {
        name: "inc"
        op: "AddV2"
        input: "i"
        input: "one:output:0"
        attr {
          key: "T"
          value { type: DT_INT32 }
        }
      }
      node_def {
        name: "dbl"
        op: "Mul"
        input: "acc"
        input: "two:output:0"
        attr {
          key: "T"
          value { type: DT_FLOAT }
        }
      }
      ret { key: "i_next" value: "inc:z:0" }
      ret { key: "acc_next" value: "dbl:z:0" }
    }
    # (i, acc) -> (i + 1, If(i < 2, acc + 1, acc * 10))  (an If nested in a While body)
    function {
      signature {
        name: "body_nested"
        input_arg { name: "i" type: DT_INT32 }
        input_arg { name: "acc" type: DT_FLOAT }
        output_arg { name: "i_next" type: DT_INT32 }
        output_arg { name: "acc_next" type: DT_FLOAT }
      }
      node_def {
        name: "one"
        op: "Const"
        attr {
          key: "dtype"
          value { type: DT_INT32 }
        }
        attr {
          key: "value"
          value {
            tensor {
              dtype: DT_INT32
              tensor_shape {}
              int_val: 1
            }
          }
        }
      }
      node_def {
        name: "two"
        op: "Const"
        attr {
          key: "dtype"
          value { type: DT_INT32 }
        }
        attr {
          key: "value"
          value {
            tensor {
              dtype: DT_INT32
              tensor_shape {}
              int_val: 2
            }
          }
        }
      }
      node_def {
        name: "small"
        op: "Less"
        input: "i"
        input: "two:output:0"
        attr {
          key: "T"
          value { type: DT_INT32 }
        }
      }
      node_def {
        name: "pick"
        op: "StatelessIf"
        input: "small:z:0"
        input: "acc"
        attr {
          key: "Tcond"
          value { type: DT_BOOL }
        }
        attr {
          key: "Tin"
          value { list { type: DT_FLOAT } }
        }
        attr {
          key: "Tout"
          value { list { type: DT_FLOAT } }
        }
        attr {
          key: "then_branch"
          value { func { name: "plus_one" } }
        }
        attr {
          key: "else_branch"
          value { func { name: "times_ten" } }
        }
      }
      node_def {
        name: "inc"
        op: "AddV2"
        input: "i"
        input: "one:output:0"
        attr {
          key: "T"
          value { type: DT_INT32 }
        }
      }
      ret { key: "i_next" value: "inc:z:0" }
      ret { key: "acc_next" value: "pick:output:0" }
    }
    function {
      signature {
        name: "negate"
        input_arg { name: "x" type: DT_FLOAT }
        output_arg { name: "y" type: DT_FLOAT }
      }
      node_def {
        name: "neg"
        op: "Neg"
        input: "x"
        attr {
          key: "T"
          value { type: DT_FLOAT }
        }
      }
      ret { key: "y" value: "neg:y:0" }
    }
    function {
      signature {
        name: "two_outputs"
        input_arg { name: "x" type: DT_FLOAT }
        output_arg { name: "y" type: DT_FLOAT }
        output_arg { name: "z" type: DT_FLOAT }
      }
      ret { key: "y" value: "x" }
      ret { key: "z" value: "x" }
    }
  }
)pb";

constexpr char kNodes[] = R"pb(
  node {
    name: "x"
    op: "Placeholder"
    attr {
      key: "dtype"
      value { type: DT_FLOAT }
    }
  }
  node {
    name: "pred"
    op: "Placeholder"
    attr {
      key: "dtype"
      value { type: DT_INT32 }
    }
  }
  node {
    name: "index"
    op: "Placeholder"
    attr {
      key: "dtype"
      value { type: DT_INT32 }
    }
  }
  node {
    name: "start"
    op: "Placeholder"
    attr {
      key: "dtype"
      value { type: DT_INT32 }
    }
  }
  node {
    name: "if"
    op: "If"
    input: "pred"
    input: "x"
    attr {
      key: "Tcond"
      value { type: DT_INT32 }
    }
    attr {
      key: "Tin"
      value { list { type: DT_FLOAT } }
    }
    attr {
      key: "Tout"
      value { list { type: DT_FLOAT } }
    }
    attr {
      key: "then_branch"
      value { func { name: "times_ten" } }
    }
    attr {
      key: "else_branch"
      value { func { name: "negate" } }
    }
  }
  node {
    name: "case"
    op: "Case"
    input: "index"
    input: "x"
    attr {
      key: "Tin"
      value { list { type: DT_FLOAT } }
    }
    attr {
      key: "Tout"
      value { list { type: DT_FLOAT } }
    }
    attr {
      key: "branches"
      value {
        list {
          func { name: "plus_one" }
          func { name: "plus_two" }
          func { name: "times_ten" }
        }
      }
    }
  }
  node {
    name: "loop"
    op: "While"
    input: "start"
    input: "x"
    attr {
      key: "T"
      value { list { type: DT_INT32 type: DT_FLOAT } }
    }
    attr {
      key: "cond"
      value { func { name: "cond_lt5" } }
    }
    attr {
      key: "body"
      value { func { name: "body_double" } }
    }
    attr {
      key: "parallel_iterations"
      value { i: 10 }
    }
  }
  node {
    name: "nested"
    op: "StatelessWhile"
    input: "start"
    input: "x"
    attr {
      key: "T"
      value { list { type: DT_INT32 type: DT_FLOAT } }
    }
    attr {
      key: "cond"
      value { func { name: "cond_lt5" } }
    }
    attr {
      key: "body"
      value { func { name: "body_nested" } }
    }
  }
)pb";

// A function y = x <op> c, for scalar float constant c.
std::string ConstOpFunction(const std::string& name, const std::string& op, float c) {
  // Not an R"pb(" literal: clang-format would reflow it and pad the substituted names.
  constexpr char kTemplate[] = R"fn(
    function {
      signature {
        name: "$0"
        input_arg { name: "x" type: DT_FLOAT }
        output_arg { name: "y" type: DT_FLOAT }
      }
      node_def {
        name: "c"
        op: "Const"
        attr { key: "dtype" value { type: DT_FLOAT } }
        attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: $2 } } }
      }
      node_def {
        name: "op"
        op: "$1"
        input: "x"
        input: "c:output:0"
        attr { key: "T" value { type: DT_FLOAT } }
      }
      ret { key: "y" value: "op:z:0" }
    })fn";
  return absl::Substitute(kTemplate, name, op, c);
}

// kLibrary's functions plus the constant-op branches, inside one `library { }`.
std::string Library() {
  std::string lib = kLibrary;
  size_t close = lib.rfind('}');
  return absl::StrCat(lib.substr(0, close), ConstOpFunction("plus_one", "AddV2", 1),
                      ConstOpFunction("plus_two", "AddV2", 2),
                      ConstOpFunction("times_ten", "Mul", 10), lib.substr(close));
}

absl::StatusOr<std::unique_ptr<Model>> LoadText(const std::string& text) {
  tensorflow::GraphDef g;
  if (!google::protobuf::TextFormat::ParseFromString(text, &g)) {
    return absl::InvalidArgumentError("bad test graph");
  }
  return Model::LoadGraph(std::move(g));
}

std::vector<float> Floats(const Tensor& t) {
  return {t.flat<float>().begin(), t.flat<float>().end()};
}

class FunctionalOpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = LoadText(Library() + kNodes);
    ASSERT_TRUE(m.ok()) << m.status();
    model_ = std::move(*m);
  }
  absl::StatusOr<std::vector<Tensor>> Run(std::vector<std::pair<std::string, Tensor>> feeds,
                                          std::vector<std::string> fetches) {
    return model_->Run(feeds, fetches);
  }
  std::unique_ptr<Model> model_;
};

TEST_F(FunctionalOpsTest, IfPicksTheBranchByTruthiness) {
  Tensor x = Tensor::FromVector<float>({1.5f, -2.0f});
  TFM_ASSERT_OK_AND_ASSIGN(auto yes,
                           Run({{"x:0", x}, {"pred:0", Tensor::Scalar<int32_t>(3)}}, {"if:0"}));
  EXPECT_EQ(Floats(yes[0]), (std::vector<float>{15.0f, -20.0f}));
  TFM_ASSERT_OK_AND_ASSIGN(auto no,
                           Run({{"x:0", x}, {"pred:0", Tensor::Scalar<int32_t>(0)}}, {"if:0"}));
  EXPECT_EQ(Floats(no[0]), (std::vector<float>{-1.5f, 2.0f}));
  // Rank >= 1: true when non-empty, whatever the values.
  TFM_ASSERT_OK_AND_ASSIGN(
      auto vec, Run({{"x:0", x}, {"pred:0", Tensor::FromVector<int32_t>({0})}}, {"if:0"}));
  EXPECT_EQ(Floats(vec[0]), (std::vector<float>{15.0f, -20.0f}));
  TFM_ASSERT_OK_AND_ASSIGN(
      auto empty, Run({{"x:0", x}, {"pred:0", Tensor(DType::kInt32, TensorShape({0}))}}, {"if:0"}));
  EXPECT_EQ(Floats(empty[0]), (std::vector<float>{-1.5f, 2.0f}));
}

TEST_F(FunctionalOpsTest, CaseRunsTheIndexedBranchAndTheLastWhenOutOfRange) {
  Tensor x = Tensor::FromVector<float>({1.0f});
  auto run = [&](int32_t i) -> float {
    auto out = Run({{"x:0", x}, {"index:0", Tensor::Scalar<int32_t>(i)}}, {"case:0"});
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? (*out)[0].flat<float>()[0] : -1;
  };
  EXPECT_EQ(run(0), 2.0f);
  EXPECT_EQ(run(1), 3.0f);
  EXPECT_EQ(run(2), 10.0f);
  EXPECT_EQ(run(7), 10.0f);
  EXPECT_EQ(run(-1), 10.0f);
  auto bad = Run({{"x:0", x}, {"index:0", Tensor::FromVector<int32_t>({1, 2})}}, {"case:0"});
  EXPECT_THAT(bad.status().message(),
              HasSubstr("node 'case' (Case): branch_index must be an int32 scalar"));
}

TEST_F(FunctionalOpsTest, WhileLoops) {
  TFM_ASSERT_OK_AND_ASSIGN(auto out, Run({{"x:0", Tensor::FromVector<float>({1.0f, 3.0f})},
                                          {"start:0", Tensor::Scalar<int32_t>(0)}},
                                         {"loop:0", "loop:1"}));
  EXPECT_EQ(out[0].scalar<int32_t>(), 5);
  EXPECT_EQ(Floats(out[1]), (std::vector<float>{32.0f, 96.0f}));
  // The condition is false at once: the inputs come out unchanged.
  TFM_ASSERT_OK_AND_ASSIGN(auto none, Run({{"x:0", Tensor::FromVector<float>({1.0f})},
                                           {"start:0", Tensor::Scalar<int32_t>(9)}},
                                          {"loop:0", "loop:1"}));
  EXPECT_EQ(none[0].scalar<int32_t>(), 9);
  EXPECT_EQ(Floats(none[1]), (std::vector<float>{1.0f}));
}

TEST_F(FunctionalOpsTest, IfNestedInWhileBody) {
  // acc: 0 -> +1 (i=0) -> +1 (i=1) -> *10 (i=2) -> *10 (i=3) -> *10 (i=4) = 2000
  TFM_ASSERT_OK_AND_ASSIGN(auto out, Run({{"x:0", Tensor::FromVector<float>({0.0f})},
                                          {"start:0", Tensor::Scalar<int32_t>(0)}},
                                         {"nested:0", "nested:1"}));
  EXPECT_EQ(out[0].scalar<int32_t>(), 5);
  EXPECT_EQ(Floats(out[1]), (std::vector<float>{2000.0f}));
}

// An If on a bool placeholder `p` and float `x` whose then_branch is `then_fn`.
std::string IfWithThenBranch(const std::string& then_fn) {
  constexpr char kTemplate[] = R"fn(
    node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
    node { name: "p" op: "Placeholder" attr { key: "dtype" value { type: DT_BOOL } } }
    node {
      name: "if"
      op: "If"
      input: "p"
      input: "x"
      attr { key: "Tin" value { list { type: DT_FLOAT } } }
      attr { key: "Tout" value { list { type: DT_FLOAT } } }
      attr { key: "then_branch" value { func { name: "$0" } } }
      attr { key: "else_branch" value { func { name: "negate" } } }
    })fn";
  return Library() + absl::Substitute(kTemplate, then_fn);
}

TEST(FunctionalOpsErrors, BadBranchesFailAtLoad) {
  const std::vector<std::pair<std::string, Tensor>> feeds = {{"x:0", Tensor::Scalar<float>(1)},
                                                             {"p:0", Tensor::Scalar<bool>(true)}};
  auto m = LoadText(IfWithThenBranch("no_such_fn"));
  ASSERT_TRUE(m.ok()) << m.status();
  auto s = (*m)->Run(feeds, {"if:0"});
  EXPECT_THAT(s.status().message(), HasSubstr("node 'if' (If): attr 'then_branch'"));
  EXPECT_THAT(s.status().message(), HasSubstr("no_such_fn"));

  auto m2 = LoadText(IfWithThenBranch("two_outputs"));
  ASSERT_TRUE(m2.ok()) << m2.status();
  auto s2 = (*m2)->Run(feeds, {"if:0"});
  EXPECT_THAT(s2.status().message(),
              HasSubstr("then_branch 'two_outputs' returns 2 values but the node has 1 outputs"));
}

}  // namespace
}  // namespace tfmodel::runtime
