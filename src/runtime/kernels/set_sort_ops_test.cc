// Tests for set_ops.cc, sort_ops.cc and data_format_ops.cc. Expected values come from
// the examples in TF's docs (tf.unique_with_counts, tf.compat.v1.setdiff1d,
// tf.math.in_top_k, tf.nn.nth_element) and hand computation.
#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrB;
using testing::AttrI;
using testing::AttrS;
using testing::AttrType;
using testing::ExpectTensorEq;
using ::testing::HasSubstr;
using testing::RunError;
using testing::RunKernel;
using testing::RunOne;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

Tensor F(std::vector<float> v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor I(std::vector<int32_t> v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor I(std::vector<int32_t> v) { return Tensor::FromVector(v); }
Tensor L(std::vector<int64_t> v) { return Tensor::FromVector(v); }
Tensor B(std::vector<bool> v) { return Tensor::FromVector(v); }

std::vector<Tensor> RunAll(const std::string& op, const std::vector<Tensor>& in,
                           const testing::Attrs& a = {}) {
  auto r = RunKernel(op, in, a);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : std::vector<Tensor>(3);
}

// ---- Unique family ----

TEST(UniqueTest, WithCountsDocExample) {
  auto out = RunAll("UniqueWithCounts", {I({1, 1, 2, 4, 4, 4, 7, 8, 8})});
  ExpectTensorEq(out[0], I({1, 2, 4, 7, 8}));
  ExpectTensorEq(out[1], I({0, 0, 1, 2, 2, 2, 3, 4, 4}));
  ExpectTensorEq(out[2], I({2, 1, 3, 1, 2}));
  out = RunAll("UniqueWithCountsV2", {I({3, 3}), L({})}, {{"out_idx", AttrType(DType::kInt64)}});
  ExpectTensorEq(out[1], L({0, 0}));
  ExpectTensorEq(out[2], L({2}));
}

TEST(UniqueTest, AlongAnAxis) {
  auto out = RunAll("UniqueV2", {I({1, 2, 3, 4, 1, 2}, {3, 2}), I({0})});
  ExpectTensorEq(out[0], I({1, 2, 3, 4}, {2, 2}));
  ExpectTensorEq(out[1], I({0, 1, 0}));
  out = RunAll("UniqueV2", {I({1, 1, 2, 3, 3, 4}, {2, 3}), L({-1})});
  ExpectTensorEq(out[0], I({1, 2, 3, 4}, {2, 2}));
  ExpectTensorEq(out[1], I({0, 0, 1}));
  EXPECT_THAT(RunError("UniqueV2", {I({1, 2}), I({2})}),
              HasSubstr("axis has to be between [-1, 1)"));
  EXPECT_THAT(RunError("UniqueV2", {I({1, 2}), I({0, 0})}),
              HasSubstr("axis does not support input tensors larger than 1 elements"));
}

TEST(UniqueTest, NumericEquality) {
  // 0.0 and -0.0 are one value; each NaN is its own.
  auto out = RunAll("Unique", {F({0.0f, -0.0f, kNaN, kNaN}, {4})});
  EXPECT_EQ(out[0].NumElements(), 3);
  ExpectTensorEq(out[1], I({0, 0, 1, 2}));
  out = RunAll("Unique", {F({}, {0})});
  ExpectTensorEq(out[0], F({}, {0}));
}

TEST(ListDiffTest, DocExample) {
  auto out = RunAll("ListDiff", {I({1, 2, 3, 4, 5, 6}), I({1, 3, 5})});
  ExpectTensorEq(out[0], I({2, 4, 6}));
  ExpectTensorEq(out[1], I({1, 3, 5}));
  out = RunAll(
      "ListDiff",
      {Tensor::FromVector<std::string>({"a", "b", "a"}), Tensor::FromVector<std::string>({"b"})},
      {{"out_idx", AttrType(DType::kInt64)}});
  ExpectTensorEq(out[0], Tensor::FromVector<std::string>({"a", "a"}));
  ExpectTensorEq(out[1], L({0, 2}));
  EXPECT_THAT(RunError("ListDiff", {I({1}, {1, 1}), I({1})}), HasSubstr("x should be a 1D vector"));
}

// ---- InTopK / NthElement ----

TEST(InTopKTest, CountsStrictlyLargerScores) {
  Tensor p = F({0.1f, 0.8f, 0.1f, 0.3f, 0.3f, 0.4f}, {2, 3});
  ExpectTensorEq(RunOne("InTopKV2", {p, I({1, 0}), Tensor::Scalar<int32_t>(1)}), B({true, false}));
  ExpectTensorEq(RunOne("InTopKV2", {p, I({1, 0}), Tensor::Scalar<int32_t>(2)}), B({true, true}));
  // Ties do not push the target out: 0.3 vs 0.3 with k = 2.
  ExpectTensorEq(RunOne("InTopK", {p, L({0, 1})}, {{"k", AttrI(2)}}), B({true, true}));
  // Out-of-range targets and non-finite scores give false.
  ExpectTensorEq(RunOne("InTopKV2", {p, I({3, -1}), Tensor::Scalar<int32_t>(3)}),
                 B({false, false}));
  ExpectTensorEq(RunOne("InTopKV2", {F({kNaN, 1}, {1, 2}), I({1}), Tensor::Scalar<int32_t>(2)}),
                 B({false}));
  EXPECT_THAT(RunError("InTopKV2", {p, I({1}), Tensor::Scalar<int32_t>(1)}),
              HasSubstr("First dimension of predictions 2 must match length of targets 1"));
}

TEST(NthElementTest, SmallestAndLargest) {
  Tensor x = I({1, 5, 3, 4, 2, 6}, {2, 3});
  ExpectTensorEq(RunOne("NthElement", {x, Tensor::Scalar<int32_t>(1)}), I({3, 4}));
  ExpectTensorEq(RunOne("NthElement", {x, Tensor::Scalar<int32_t>(0)}, {{"reverse", AttrB(true)}}),
                 I({5, 6}));
  ExpectTensorEq(RunOne("NthElement", {F({kNaN, 1, 2}, {3}), Tensor::Scalar<int32_t>(0)}),
                 F({1}, {}));
  EXPECT_THAT(RunError("NthElement", {x, Tensor::Scalar<int32_t>(3)}),
              HasSubstr("Input must have at least n+1 columns"));
  EXPECT_THAT(RunError("NthElement", {x, Tensor::Scalar<int32_t>(-1)}), HasSubstr("Need n >= 0"));
}

// ---- data formats ----

TEST(DataFormatTest, DimMap) {
  ExpectTensorEq(RunOne("DataFormatDimMap", {I({0, 1, 2, 3, -1})}), I({0, 2, 3, 1, 1}));
  ExpectTensorEq(RunOne("DataFormatDimMap", {L({1})},
                        {{"src_format", AttrS("NCHW")}, {"dst_format", AttrS("NHWC")}}),
                 L({3}));
  EXPECT_THAT(RunError("DataFormatDimMap", {I({4})}), HasSubstr("out of range [-4, 4)"));
  EXPECT_THAT(RunError("DataFormatDimMap", {I({0})}, {{"dst_format", AttrS("NCHH")}}),
              HasSubstr("must determine a permutation"));
}

TEST(DataFormatTest, VecPermute) {
  ExpectTensorEq(RunOne("DataFormatVecPermute", {I({1, 2, 3, 4})}), I({1, 4, 2, 3}));
  ExpectTensorEq(RunOne("DataFormatVecPermute", {I({0, 0, 1, 1, 2, 2, 3, 3}, {4, 2})}),
                 I({0, 0, 3, 3, 1, 1, 2, 2}, {4, 2}));
  ExpectTensorEq(RunOne("DataFormatVecPermute", {L({7, 8})}), L({7, 8}));
  ExpectTensorEq(RunOne("DataFormatVecPermute", {I({1, 2, 3, 4, 5})},
                        {{"src_format", AttrS("NDHWC")}, {"dst_format", AttrS("NCDHW")}}),
                 I({1, 5, 2, 3, 4}));
  EXPECT_THAT(RunError("DataFormatVecPermute", {I({1, 2, 3})}),
              HasSubstr("the first dim must be 4 or 2"));
}

}  // namespace
}  // namespace tfmodel::runtime
