// Tests for the RaggedTensor kernels: RaggedTensorToTensor (row partition kinds, default
// broadcasting, truncation and padding), RaggedTensorToSparse, RaggedGather, RaggedRange
// and the variant round trip. Expected values are worked out by hand from TF's documented
// semantics (tf.RaggedTensor.to_tensor / to_sparse, tf.gather, tf.ragged.range); every
// malformed partition must be an InvalidArgument, never a crash.
#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrB;
using testing::AttrI;
using testing::Attrs;
using testing::AttrSList;
using testing::AttrType;
using testing::ExpectTensorEq;
using testing::ExpectTensorNear;
using ::testing::HasSubstr;
using testing::RunKernel;

Tensor I64(const std::vector<int64_t>& v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor I64(const std::vector<int64_t>& v) { return Tensor::FromVector(v); }
Tensor I32(const std::vector<int32_t>& v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor I32(const std::vector<int32_t>& v) { return Tensor::FromVector(v); }
Tensor F(const std::vector<float>& v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor F(const std::vector<float>& v) { return Tensor::FromVector(v); }
Tensor Strs(const std::vector<std::string>& v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor Strs(const std::vector<std::string>& v) { return Tensor::FromVector(v); }
Tensor UnknownShape() { return Tensor::Scalar<int64_t>(-1); }

std::vector<Tensor> RunOk(const std::string& op, const std::vector<Tensor>& in, const Attrs& a) {
  auto r = RunKernel(op, in, a);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : std::vector<Tensor>(4);
}

absl::Status RunErr(const std::string& op, const std::vector<Tensor>& in, const Attrs& a) {
  auto r = RunKernel(op, in, a);
  return r.ok() ? absl::OkStatus() : r.status();
}

Attrs ToTensorAttrs(const std::vector<std::string>& types) {
  return {{"row_partition_types", AttrSList(types)},
          {"num_row_partition_tensors", AttrI(static_cast<int64_t>(types.size()))}};
}

// ---- RaggedTensorToTensor ----

// [[1, 2], [], [3, 4, 5]]
const std::vector<int64_t> kSplits = {0, 2, 2, 5};

TEST(RaggedTensorToTensor, RowSplitsPadsToLongestRow) {
  auto out = RunOk("RaggedTensorToTensor",
                   {UnknownShape(), F({1, 2, 3, 4, 5}), Tensor::Scalar<float>(0), I64(kSplits)},
                   ToTensorAttrs({"ROW_SPLITS"}));
  ExpectTensorEq(out[0], F({1, 2, 0, 0, 0, 0, 3, 4, 5}, {3, 3}));
}

TEST(RaggedTensorToTensor, ShapeTruncatesAndPads) {
  // shape [2, 2] keeps the first two rows and columns.
  auto out = RunOk("RaggedTensorToTensor",
                   {I64({2, 2}), F({1, 2, 3, 4, 5}), Tensor::Scalar<float>(-1), I64(kSplits)},
                   ToTensorAttrs({"ROW_SPLITS"}));
  ExpectTensorEq(out[0], F({1, 2, -1, -1}, {2, 2}));
  // shape [4, -1]: an extra row of defaults; -1 takes the longest row (3).
  out = RunOk("RaggedTensorToTensor",
              {I32({4, -1}), F({1, 2, 3, 4, 5}), Tensor::Scalar<float>(7), I64(kSplits)},
              ToTensorAttrs({"ROW_SPLITS"}));
  ExpectTensorEq(out[0], F({1, 2, 7, 7, 7, 7, 3, 4, 5, 7, 7, 7}, {4, 3}));
  // shape [-1, 5]: wider than any row.
  out = RunOk("RaggedTensorToTensor",
              {I64({-1, 5}), F({1, 2, 3, 4, 5}), Tensor::Scalar<float>(0), I64(kSplits)},
              ToTensorAttrs({"ROW_SPLITS"}));
  ExpectTensorEq(out[0], F({1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 3, 4, 5, 0, 0}, {3, 5}));
}

TEST(RaggedTensorToTensor, FirstDimSizeAndValueRowIds) {
  // nrows 4, value_rowids [0, 0, 2, 2, 2]: [[1, 2], [], [3, 4, 5], []].
  auto out = RunOk("RaggedTensorToTensor",
                   {UnknownShape(), F({1, 2, 3, 4, 5}), Tensor::Scalar<float>(0),
                    Tensor::Scalar<int64_t>(4), I64({0, 0, 2, 2, 2})},
                   ToTensorAttrs({"FIRST_DIM_SIZE", "VALUE_ROWIDS"}));
  ExpectTensorEq(out[0], F({1, 2, 0, 0, 0, 0, 3, 4, 5, 0, 0, 0}, {4, 3}));
  // Truncated to 2 columns: value 5 is dropped.
  out = RunOk("RaggedTensorToTensor",
              {I32({-1, 2}), F({1, 2, 3, 4, 5}), Tensor::Scalar<float>(0),
               Tensor::Scalar<int32_t>(4), I32({0, 0, 2, 2, 2})},
              ToTensorAttrs({"FIRST_DIM_SIZE", "VALUE_ROWIDS"}));
  ExpectTensorEq(out[0], F({1, 2, 0, 0, 3, 4, 0, 0}, {4, 2}));
}

TEST(RaggedTensorToTensor, DefaultValueBroadcastsOverInnerDims) {
  // values [3, 2]: rows [[1, 2]] and [[3, 4], [5, 6]]; default [9, 8] fills a missing pair.
  auto out = RunOk("RaggedTensorToTensor",
                   {UnknownShape(), F({1, 2, 3, 4, 5, 6}, {3, 2}), F({9, 8}), I64({0, 1, 3})},
                   ToTensorAttrs({"ROW_SPLITS"}));
  ExpectTensorEq(out[0], F({1, 2, 9, 8, 3, 4, 5, 6}, {2, 2, 2}));
  // A [1]-shaped default broadcasts too.
  out = RunOk("RaggedTensorToTensor",
              {UnknownShape(), F({1, 2, 3, 4, 5, 6}, {3, 2}), F({5}), I64({0, 1, 3})},
              ToTensorAttrs({"ROW_SPLITS"}));
  ExpectTensorEq(out[0], F({1, 2, 5, 5, 3, 4, 5, 6}, {2, 2, 2}));
  // default rank must be below the values' rank.
  auto s = RunErr("RaggedTensorToTensor", {UnknownShape(), F({1, 2}), F({0}), I64({0, 1, 2})},
                  ToTensorAttrs({"ROW_SPLITS"}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("must be less than rt_input.flat_values.rank"));
  s = RunErr("RaggedTensorToTensor",
             {UnknownShape(), F({1, 2, 3, 4, 5, 6}, {3, 2}), F({1, 2, 3}), I64({0, 1, 3})},
             ToTensorAttrs({"ROW_SPLITS"}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

TEST(RaggedTensorToTensor, NestedRowSplits) {
  // [[[1], [2, 3]], [[4]]] -> [2, 2, 2].
  auto out = RunOk("RaggedTensorToTensor",
                   {UnknownShape(), F({1, 2, 3, 4}), Tensor::Scalar<float>(0), I64({0, 2, 3}),
                    I64({0, 1, 3, 4})},
                   ToTensorAttrs({"ROW_SPLITS", "ROW_SPLITS"}));
  ExpectTensorEq(out[0], F({1, 0, 2, 3, 4, 0, 0, 0}, {2, 2, 2}));
  // Truncating the middle dim to 1 drops [2, 3].
  out = RunOk("RaggedTensorToTensor",
              {I64({-1, 1, -1}), F({1, 2, 3, 4}), Tensor::Scalar<float>(0), I64({0, 2, 3}),
               I64({0, 1, 3, 4})},
              ToTensorAttrs({"ROW_SPLITS", "ROW_SPLITS"}));
  ExpectTensorEq(out[0], F({1, 0, 4, 0}, {2, 1, 2}));
}

TEST(RaggedTensorToTensor, StringsAndEmptyRows) {
  auto out = RunOk("RaggedTensorToTensor",
                   {UnknownShape(), Strs({"a", "b"}), Tensor::StringScalar(""), I64({0, 0, 2})},
                   ToTensorAttrs({"ROW_SPLITS"}));
  ExpectTensorEq(out[0], Strs({"", "", "a", "b"}, {2, 2}));
  // No values at all: [[], []] -> [2, 0].
  out = RunOk("RaggedTensorToTensor",
              {UnknownShape(), F({}), Tensor::Scalar<float>(0), I64({0, 0, 0})},
              ToTensorAttrs({"ROW_SPLITS"}));
  ExpectTensorEq(out[0], F({}, {2, 0}));
}

TEST(RaggedTensorToTensor, BadPartitionsAreInvalidArgument) {
  const Tensor v = F({1, 2, 3, 4, 5});
  const Tensor d = Tensor::Scalar<float>(0);
  struct Case {
    Tensor splits;
    const char* message;
  };
  for (const Case& c : {Case{I64({0, 3, 2, 5}), "non decreasing"},
                        Case{I64({1, 2, 5}), "first value of ragged splits must be 0"},
                        Case{I64({0, 2, 4}), "must match the length"},
                        Case{I64({0, 2, 9}), "must match the length"}, Case{I64({}), "empty"}}) {
    auto s = RunErr("RaggedTensorToTensor", {UnknownShape(), v, d, c.splits},
                    ToTensorAttrs({"ROW_SPLITS"}));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_THAT(s.message(), HasSubstr(c.message));
  }
  // Row ids out of range, negative, or unsorted.
  for (const Tensor& ids : {I64({0, 0, 2, 2, 4}), I64({-1, 0, 0, 1, 1}), I64({0, 2, 1, 1, 1})}) {
    auto s = RunErr("RaggedTensorToTensor", {UnknownShape(), v, d, Tensor::Scalar<int64_t>(4), ids},
                    ToTensorAttrs({"FIRST_DIM_SIZE", "VALUE_ROWIDS"}));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  }
  // Row ids describing fewer values than there are.
  auto s = RunErr("RaggedTensorToTensor",
                  {UnknownShape(), v, d, Tensor::Scalar<int64_t>(2), I64({0, 1})},
                  ToTensorAttrs({"FIRST_DIM_SIZE", "VALUE_ROWIDS"}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  // shape of the wrong rank, a scalar shape other than -1, dims below -1.
  for (const Tensor& shape : {I64({2, 2, 2}), Tensor::Scalar<int64_t>(3), I64({-2, 3})}) {
    s = RunErr("RaggedTensorToTensor", {shape, v, d, I64(kSplits)}, ToTensorAttrs({"ROW_SPLITS"}));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  }
  // Inner dim of shape contradicting the values.
  s = RunErr("RaggedTensorToTensor", {I64({-1, -1, 3}), F({1, 2, 3, 4}, {2, 2}), d, I64({0, 2})},
             ToTensorAttrs({"ROW_SPLITS"}));
  EXPECT_THAT(s.message(), HasSubstr("are incompatible"));
  // Bad attrs.
  EXPECT_FALSE(RunKernel("RaggedTensorToTensor", {UnknownShape(), v, d, I64(kSplits)},
                         ToTensorAttrs({"VALUE_ROWIDS"}))
                   .ok());
  EXPECT_FALSE(RunKernel("RaggedTensorToTensor", {UnknownShape(), v, d, I64(kSplits)},
                         ToTensorAttrs({"ROW_LENGTHS"}))
                   .ok());
}

// ---- RaggedTensorToSparse ----

TEST(RaggedTensorToSparse, RaggedRankOne) {
  auto out = RunOk("RaggedTensorToSparse", {I64(kSplits), F({1, 2, 3, 4, 5})},
                   {{"RAGGED_RANK", AttrI(1)}});
  ExpectTensorEq(out[0], I64({0, 0, 0, 1, 2, 0, 2, 1, 2, 2}, {5, 2}));
  ExpectTensorEq(out[1], F({1, 2, 3, 4, 5}));
  ExpectTensorEq(out[2], I64({3, 3}));
}

TEST(RaggedTensorToSparse, NestedWithInnerDims) {
  // [[[[1, 2]], [[3, 4], [5, 6]]], []] with values [3, 2].
  auto out =
      RunOk("RaggedTensorToSparse", {I32({0, 2, 2}), I32({0, 1, 3}), F({1, 2, 3, 4, 5, 6}, {3, 2})},
            {{"RAGGED_RANK", AttrI(2)}});
  ExpectTensorEq(out[0], I64({0,      0, 0, 0, /**/ 0, 0, 0, 1, /**/ 0, 1, 0, 0, /**/ 0, 1, 0, 1,
                              /**/ 0, 1, 1, 0, /**/ 0, 1, 1, 1},
                             {6, 4}));
  ExpectTensorEq(out[1], F({1, 2, 3, 4, 5, 6}));
  ExpectTensorEq(out[2], I64({2, 2, 2, 2}));
  auto s = RunErr("RaggedTensorToSparse", {I32({0, 2, 1}), F({1, 2})}, {{"RAGGED_RANK", AttrI(1)}});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

// ---- RaggedGather ----

Attrs GatherAttrs(int64_t params_rr, int64_t out_rr) {
  return {{"PARAMS_RAGGED_RANK", AttrI(params_rr)}, {"OUTPUT_RAGGED_RANK", AttrI(out_rr)}};
}

TEST(RaggedGather, VectorIndices) {
  auto out =
      RunOk("RaggedGather", {I64(kSplits), F({1, 2, 3, 4, 5}), I32({2, 0, 1})}, GatherAttrs(1, 1));
  ExpectTensorEq(out[0], I64({0, 3, 5, 5}));
  ExpectTensorEq(out[1], F({3, 4, 5, 1, 2}));
}

TEST(RaggedGather, MatrixIndicesAddARaggedDim) {
  auto out = RunOk("RaggedGather",
                   {I64(kSplits), Strs({"a", "b", "c", "d", "e"}), I64({2, 0, 0, 2}, {2, 2})},
                   GatherAttrs(1, 2));
  ExpectTensorEq(out[0], I64({0, 2, 4}));
  ExpectTensorEq(out[1], I64({0, 3, 5, 7, 10}));
  ExpectTensorEq(out[2], Strs({"c", "d", "e", "a", "b", "a", "b", "c", "d", "e"}));
}

TEST(RaggedGather, ScalarIndexDropsARaggedDim) {
  // params [[[1], [2, 3]], [[4]]]; params[0] = [[1], [2, 3]].
  auto out = RunOk("RaggedGather",
                   {I64({0, 2, 3}), I64({0, 1, 3, 4}), F({1, 2, 3, 4}), Tensor::Scalar<int32_t>(0)},
                   GatherAttrs(2, 1));
  ExpectTensorEq(out[0], I64({0, 1, 3}));
  ExpectTensorEq(out[1], F({1, 2, 3}));
}

TEST(RaggedGather, Errors) {
  auto s = RunErr("RaggedGather", {I64(kSplits), F({1, 2, 3, 4, 5}), I32({3})}, GatherAttrs(1, 1));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("is not in [0, 3)"));
  s = RunErr("RaggedGather", {I64(kSplits), F({1, 2, 3, 4, 5}), I32({-1})}, GatherAttrs(1, 1));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  s = RunErr("RaggedGather", {I64({0, 4, 2, 5}), F({1, 2, 3, 4, 5}), I32({0})}, GatherAttrs(1, 1));
  EXPECT_THAT(s.message(), HasSubstr("sorted"));
  s = RunErr("RaggedGather", {I64({0, 2, 9}), F({1, 2, 3, 4, 5}), I32({1})}, GatherAttrs(1, 1));
  EXPECT_THAT(s.message(), HasSubstr("past values"));
  s = RunErr("RaggedGather", {I64(kSplits), F({1, 2, 3, 4, 5}), I32({0})}, GatherAttrs(1, 2));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

// ---- RaggedRange ----

TEST(RaggedRange, VectorsAndBroadcastScalars) {
  auto out = RunOk("RaggedRange", {I32({0, 5, 2}), I32({3, 5, -3}), I32({1, 1, -2})}, {});
  ExpectTensorEq(out[0], I64({0, 3, 3, 6}));
  ExpectTensorEq(out[1], I32({0, 1, 2, 2, 0, -2}));
  out = RunOk("RaggedRange", {Tensor::Scalar<int64_t>(0), I64({2, 3}), Tensor::Scalar<int64_t>(1)},
              {{"Tsplits", AttrType(DType::kInt32)}});
  ExpectTensorEq(out[0], I32({0, 2, 5}));
  ExpectTensorEq(out[1], I64({0, 1, 0, 1, 2}));
  // Floats: ceil((1 - 0) / 0.3) = 4 values.
  out =
      RunOk("RaggedRange",
            {Tensor::Scalar<float>(0), Tensor::Scalar<float>(1), Tensor::Scalar<float>(0.3f)}, {});
  ExpectTensorEq(out[0], I64({0, 4}));
  ExpectTensorNear(out[1], F({0, 0.3f, 0.6f, 0.9f}), 1e-6);
}

TEST(RaggedRange, Errors) {
  auto s = RunErr("RaggedRange", {I32({0}), I32({3}), I32({0})}, {});
  EXPECT_THAT(s.message(), HasSubstr("Requires delta != 0"));
  s = RunErr("RaggedRange", {I32({0, 1}), I32({3, 4, 5}), I32({1})}, {});
  EXPECT_THAT(s.message(), HasSubstr("same shape"));
  s = RunErr("RaggedRange", {I32({0}, {1, 1}), I32({3}), I32({1})}, {});
  EXPECT_THAT(s.message(), HasSubstr("scalar or vector"));
  s = RunErr("RaggedRange",
             {Tensor::Scalar<int64_t>(0), Tensor::Scalar<int64_t>(int64_t{1} << 50),
              Tensor::Scalar<int64_t>(1)},
             {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  s = RunErr("RaggedRange",
             {Tensor::Scalar<float>(0), Tensor::Scalar<float>(INFINITY), Tensor::Scalar<float>(1)},
             {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

// ---- RaggedTensorToVariant / RaggedTensorFromVariant ----

TEST(RaggedVariant, BatchedRoundTrip) {
  auto enc = RunOk("RaggedTensorToVariant", {I64(kSplits), F({1, 2, 3, 4, 5})},
                   {{"RAGGED_RANK", AttrI(1)}, {"batched_input", AttrB(true)}});
  ASSERT_EQ(enc[0].dtype(), DType::kVariant);
  ASSERT_EQ(enc[0].shape().ToString(), "[3]");
  // Each row decodes alone (input ragged rank 0) ...
  auto row = RunOk("RaggedTensorFromVariant", {enc[0].Slice(2, 3)},
                   {{"input_ragged_rank", AttrI(0)},
                    {"output_ragged_rank", AttrI(1)},
                    {"Tvalues", AttrType(DType::kFloat)}});
  ExpectTensorEq(row[0], I64({0, 3}));
  ExpectTensorEq(row[1], F({3, 4, 5}));
  // ... and the vector restacks to the original.
  auto dec = RunOk("RaggedTensorFromVariant", {enc[0]},
                   {{"input_ragged_rank", AttrI(-1)},
                    {"output_ragged_rank", AttrI(1)},
                    {"Tvalues", AttrType(DType::kFloat)}});
  ExpectTensorEq(dec[0], I64(kSplits));
  ExpectTensorEq(dec[1], F({1, 2, 3, 4, 5}));
}

TEST(RaggedVariant, UnbatchedAndNested) {
  // [[[1], [2, 3]], [[4]]] encoded whole, then per row.
  std::vector<Tensor> in = {I32({0, 2, 3}), I32({0, 1, 3, 4}), F({1, 2, 3, 4})};
  Attrs a = {{"RAGGED_RANK", AttrI(2)},
             {"batched_input", AttrB(false)},
             {"Tsplits", AttrType(DType::kInt32)}};
  auto whole = RunOk("RaggedTensorToVariant", in, a);
  ASSERT_EQ(whole[0].rank(), 0);
  Attrs d = {{"input_ragged_rank", AttrI(2)},
             {"output_ragged_rank", AttrI(2)},
             {"Tvalues", AttrType(DType::kFloat)},
             {"Tsplits", AttrType(DType::kInt32)}};
  auto dec = RunOk("RaggedTensorFromVariant", {whole[0]}, d);
  ExpectTensorEq(dec[0], I32({0, 2, 3}));
  ExpectTensorEq(dec[1], I32({0, 1, 3, 4}));
  ExpectTensorEq(dec[2], F({1, 2, 3, 4}));
  a["batched_input"] = AttrB(true);
  auto rows = RunOk("RaggedTensorToVariant", in, a);
  d["input_ragged_rank"] = AttrI(1);
  // A one-element vector of row 0 ([[1], [2, 3]]) stacks to [[[1], [2, 3]]].
  auto first = RunOk("RaggedTensorFromVariant", {rows[0].Slice(0, 1)}, d);
  ExpectTensorEq(first[0], I32({0, 2}));
  ExpectTensorEq(first[1], I32({0, 1, 3}));
  ExpectTensorEq(first[2], F({1, 2, 3}));
  // Wrong ragged rank, dtype, or a variant that is not a ragged tensor.
  d["input_ragged_rank"] = AttrI(0);
  d["output_ragged_rank"] = AttrI(1);
  EXPECT_EQ(RunErr("RaggedTensorFromVariant", {rows[0]}, d).code(),
            absl::StatusCode::kInvalidArgument);
  d["input_ragged_rank"] = AttrI(1);
  d["output_ragged_rank"] = AttrI(2);
  d["Tvalues"] = AttrType(DType::kInt32);
  EXPECT_EQ(RunErr("RaggedTensorFromVariant", {rows[0]}, d).code(),
            absl::StatusCode::kInvalidArgument);
  Tensor foreign(DType::kVariant, TensorShape{1});
  foreign.data<Variant>()[0].type_name = "tensorflow::TensorList";
  d["Tvalues"] = AttrType(DType::kFloat);
  EXPECT_THAT(RunErr("RaggedTensorFromVariant", {foreign}, d).message(),
              HasSubstr("doesn't hold a RaggedTensorVariant"));
}

}  // namespace
}  // namespace tfmodel::runtime
