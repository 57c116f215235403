// Tests for assert_ops.cc and summarize.cc. Expected texts follow TF's kernels:
// logging_ops.cc (Assert / Print / PrintV2), check_numerics_op.cc, string_format_op.cc,
// and Tensor::SummarizeValue in framework/tensor.cc (worked out by hand below).
#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "runtime/kernels/summarize.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrI;
using testing::AttrS;
using testing::AttrShape;
using testing::ExpectTensorEq;
using ::testing::HasSubstr;
using testing::RunError;
using testing::RunKernel;
using testing::RunOne;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

Tensor F(std::vector<float> v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor I(std::vector<int32_t> v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor S(std::vector<std::string> v, TensorShape s) { return Tensor::FromVector(v, s); }

// ---- SummarizeTensor ----

TEST(SummarizeTest, LegacyForm) {
  EXPECT_EQ(SummarizeTensor(I({1, 2, 3, 4, 5}, {5}), 3, false), "1 2 3...");
  EXPECT_EQ(SummarizeTensor(I({1, 2, 3, 4, 5}, {5}), -1, false), "1 2 3 4 5");
  // TF's quirky nesting: the cut row gets "..." inside its brackets, then "..." at the end.
  EXPECT_EQ(SummarizeTensor(I({1, 2, 3, 4}, {2, 2}), 3, false), "[1 2][3...]...");
  EXPECT_EQ(SummarizeTensor(I({1, 2, 3, 4}, {2, 2}), 4, false), "[1 2][3 4]");
  EXPECT_EQ(SummarizeTensor(Tensor::Scalar<float>(0.1f), 3, false), "0.1");
  EXPECT_EQ(SummarizeTensor(I({}, {0}), 3, false), "");
  EXPECT_EQ(SummarizeTensor(S({"a\nb", "\xc3\xa9"}, {2}), 3, false), "a\\nb \xc3\xa9");
  EXPECT_EQ(SummarizeTensor(Tensor::FromVector<bool>({true, false}), 3, false), "1 0");
}

TEST(SummarizeTest, V2Form) {
  EXPECT_EQ(SummarizeTensor(I({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, {10}), 3, true),
            "[1 2 3 ... 8 9 10]");
  EXPECT_EQ(SummarizeTensor(I({1, 2, 3, 4}, {2, 2}), 3, true), "[[1 2]\n [3 4]]");
  EXPECT_EQ(SummarizeTensor(S({"a", "b"}, {2}), 3, true), "[\"a\" \"b\"]");
  EXPECT_EQ(SummarizeTensor(Tensor::Scalar<int32_t>(7), 3, true), "7");
  EXPECT_EQ(SummarizeTensor(I({}, {0}), 3, true), "[]");
}

TEST(SummarizeTest, FloatsLikeTfStrCat) {
  EXPECT_EQ(TfFloatString(0.5f), "0.5");
  EXPECT_EQ(TfFloatString(1.0f / 3.0f), "0.333333343");  // %.6g does not read back
  EXPECT_EQ(TfFloatString(1e10f), "1e+10");
  EXPECT_EQ(TfFloatString(kNaN), "nan");
  EXPECT_EQ(TfFloatString(-kInf), "-inf");
  EXPECT_EQ(TfDoubleString(0.1), "0.1");
}

// ---- Assert ----

TEST(AssertTest, PassesWhenTrue) {
  auto r = RunKernel("Assert", {Tensor::Scalar<bool>(true), S({"never shown"}, {1})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->empty());
}

TEST(AssertTest, FailsWithSummarizedData) {
  std::string msg = RunError(
      "Assert", {Tensor::Scalar<bool>(false), S({"x must be small"}, {}), I({1, 2, 3, 4, 5}, {5})});
  EXPECT_THAT(msg, HasSubstr("assertion failed: [x must be small] [1 2 3...]"));
  msg = RunError("Assert", {Tensor::Scalar<bool>(false), I({1, 2, 3, 4, 5}, {5})},
                 {{"summarize", AttrI(5)}});
  EXPECT_THAT(msg, HasSubstr("assertion failed: [1 2 3 4 5]"));
  // A one-element condition of any rank is accepted (TF's IsLegacyScalar).
  EXPECT_THAT(RunError("Assert", {Tensor::FromVector<bool>({false}, {1, 1})}),
              HasSubstr("assertion failed: "));
  EXPECT_THAT(RunError("Assert", {Tensor::FromVector<bool>({true, true})}),
              HasSubstr("In[0] should be a scalar: [2]"));
}

// ---- CheckNumerics ----

TEST(CheckNumericsTest, PassesFiniteThrough) {
  ExpectTensorEq(RunOne("CheckNumerics", {F({1, -2}, {2})}, {{"message", AttrS("m")}}),
                 F({1, -2}, {2}));
  ExpectTensorEq(RunOne("CheckNumerics", {F({}, {0})}, {{"message", AttrS("m")}}), F({}, {0}));
}

TEST(CheckNumericsTest, NamesTheAnomalies) {
  testing::Attrs a = {{"message", AttrS("logits")}};
  EXPECT_THAT(RunError("CheckNumerics", {F({1, kNaN}, {2})}, a),
              HasSubstr("logits : Tensor had NaN values"));
  EXPECT_THAT(RunError("CheckNumerics", {F({-kInf}, {1})}, a),
              HasSubstr("logits : Tensor had Inf values"));
  EXPECT_THAT(RunError("CheckNumerics", {F({kInf, kNaN}, {2})}, a),
              HasSubstr("logits : Tensor had Inf and NaN values"));
  EXPECT_THAT(RunError("CheckNumericsV2", {F({-kInf, kInf, kNaN}, {3})}, a),
              HasSubstr("logits : Tensor had -Inf, +Inf, and NaN values"));
  EXPECT_THAT(RunError("CheckNumericsV2", {F({kNaN, -kInf}, {2})}, a),
              HasSubstr("Tensor had -Inf and NaN values"));
  EXPECT_THAT(RunError("CheckNumericsV2", {F({kInf}, {1})}, a),
              HasSubstr("Tensor had +Inf values"));
  Tensor h(DType::kHalf, {1});
  h.data<Half>()[0] = Half::FromFloat(kInf);
  EXPECT_THAT(RunError("CheckNumerics", {h}, a), HasSubstr("Tensor had Inf values"));
  EXPECT_THAT(RunError("CheckNumerics", {I({1}, {1})}, a), HasSubstr("unsupported dtype int32"));
}

// ---- EnsureShape ----

TEST(EnsureShapeTest, ChecksCompatibility) {
  testing::Attrs a = {{"shape", AttrShape(PartialShape{-1, 3})}};
  ExpectTensorEq(RunOne("EnsureShape", {F({1, 2, 3, 4, 5, 6}, {2, 3})}, a),
                 F({1, 2, 3, 4, 5, 6}, {2, 3}));
  EXPECT_THAT(RunError("EnsureShape", {F({1, 2}, {1, 2})}, a),
              HasSubstr("Shape of tensor in0 [1,2] is not compatible with expected shape [?,3]."));
  // Unknown rank accepts anything.
  ExpectTensorEq(RunOne("EnsureShape", {F({1}, {1})}, {{"shape", AttrShape(PartialShape())}}),
                 F({1}, {1}));
}

// ---- Print / PrintV2 / StringFormat / Timestamp ----

TEST(PrintTest, PassesFirstInputThrough) {
  ExpectTensorEq(RunOne("Print", {F({1, 2}, {2}), I({3}, {1})}, {{"message", AttrS("x: ")}}),
                 F({1, 2}, {2}));
}

TEST(PrintV2Test, ValidatesStreamAndInput) {
  auto ok = RunKernel("PrintV2", {Tensor::StringScalar("hello")});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_TRUE(ok->empty());
  EXPECT_TRUE(RunKernel("PrintV2", {Tensor::StringScalar("x")},
                        {{"output_stream", AttrS("file:///tmp/never_written")}})
                  .ok());
  EXPECT_THAT(RunError("PrintV2", {Tensor::StringScalar("x")}, {{"output_stream", AttrS("tty")}}),
              HasSubstr("Unknown output stream: tty, Valid streams are: stdout stderr"));
  EXPECT_THAT(RunError("PrintV2", {S({"a", "b"}, {2})}), HasSubstr("scalar string"));
}

TEST(StringFormatTest, FormatsLikePrintV2) {
  Tensor out = RunOne("StringFormat", {I({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, {10}), S({"hi"}, {})},
                      {{"template", AttrS("x = {}, s = {}!")}, {"placeholder", AttrS("{}")}});
  ExpectTensorEq(out, Tensor::StringScalar("x = [1 2 3 ... 8 9 10], s = \"hi\"!"));
  out = RunOne("StringFormat", {I({1, 2, 3, 4}, {4})}, {{"summarize", AttrI(-1)}});
  ExpectTensorEq(out, Tensor::StringScalar("[1 2 3 4]"));
  EXPECT_THAT(RunError("StringFormat", {I({1}, {1})}, {{"template", AttrS("none")}}),
              HasSubstr("num placeholders in template and num inputs must match: 0 vs. 1"));
}

TEST(TimestampTest, SecondsSinceEpoch) {
  Tensor t = RunOne("Timestamp", {});
  ASSERT_EQ(t.dtype(), DType::kDouble);
  EXPECT_GT(t.scalar<double>(), 1.6e9);  // after 2020
}

// ---- debugger pass-throughs ----

TEST(DebugOpsTest, IdentitiesAndNanCount) {
  for (const char* op : {"DebugIdentity", "DebugIdentityV2", "DebugIdentityV3", "GuaranteeConst"}) {
    ExpectTensorEq(RunOne(op, {I({4, 5}, {2})}), I({4, 5}, {2}));
  }
  ExpectTensorEq(RunOne("DebugNanCount", {F({kNaN, 1, kNaN}, {3})}), Tensor::Scalar<int64_t>(2));
}

}  // namespace
}  // namespace tfmodel::runtime
