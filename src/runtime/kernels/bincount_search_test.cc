// Tests for the counting, searching and "no NaN" arithmetic kernels used by Keras
// CategoryEncoding and tf.Transform: Bincount / DenseBincount / SparseBincount /
// RaggedBincount (weights, binary_output, dropped and rejected bins), UpperBound /
// LowerBound (batched rows, out_type, NaN) and DivNoNan / MulNoNan (0 wherever y == 0,
// broadcasting, half). Expected values are hand-computed from TF's documentation.
#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrB;
using testing::Attrs;
using testing::AttrType;
using testing::ExpectTensorEq;
using ::testing::HasSubstr;
using testing::RunKernel;

Tensor I64(const std::vector<int64_t>& v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor I64(const std::vector<int64_t>& v) { return Tensor::FromVector(v); }
Tensor I32(const std::vector<int32_t>& v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor I32(const std::vector<int32_t>& v) { return Tensor::FromVector(v); }
Tensor F(const std::vector<float>& v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor F(const std::vector<float>& v) { return Tensor::FromVector(v); }
Tensor D(const std::vector<double>& v) { return Tensor::FromVector(v); }

std::vector<Tensor> RunOk(const std::string& op, const std::vector<Tensor>& in, const Attrs& a) {
  auto r = RunKernel(op, in, a);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : std::vector<Tensor>(1);
}

absl::Status RunErr(const std::string& op, const std::vector<Tensor>& in, const Attrs& a) {
  auto r = RunKernel(op, in, a);
  return r.ok() ? absl::OkStatus() : r.status();
}

Attrs BinAttrs(DType t, bool binary = false) {
  return {{"T", AttrType(t)}, {"binary_output", AttrB(binary)}};
}

// ---- Bincount ----

TEST(Bincount, CountsAndWeights) {
  auto out = RunOk("Bincount", {I32({1, 1, 2, 5}), Tensor::Scalar<int32_t>(4), I32({})},
                   {{"T", AttrType(DType::kInt32)}});
  ExpectTensorEq(out[0], I32({0, 2, 1, 0}));  // 5 >= size is dropped
  out = RunOk("Bincount", {I32({1, 1, 2, 3}), Tensor::Scalar<int32_t>(4), F({0.5, 1, 2, 3})},
              {{"T", AttrType(DType::kFloat)}});
  ExpectTensorEq(out[0], F({0, 1.5, 2, 3}));
  out = RunOk("Bincount", {I32({}), Tensor::Scalar<int32_t>(3), D({})},
              {{"T", AttrType(DType::kDouble)}});
  ExpectTensorEq(out[0], D({0, 0, 0}));
}

TEST(Bincount, Errors) {
  Attrs a = {{"T", AttrType(DType::kInt32)}};
  EXPECT_THAT(RunErr("Bincount", {I32({1, -1}), Tensor::Scalar<int32_t>(4), I32({})}, a).message(),
              HasSubstr("Input arr must be non-negative!"));
  EXPECT_THAT(RunErr("Bincount", {I32({1}), Tensor::Scalar<int32_t>(-1), I32({})}, a).message(),
              HasSubstr("size (-1) must be non-negative"));
  EXPECT_THAT(RunErr("Bincount", {I32({1, 2}), Tensor::Scalar<int32_t>(4), I32({1})}, a).message(),
              HasSubstr("same size"));
  EXPECT_THAT(RunErr("Bincount", {I32({1}), I32({4}), I32({})}, a).message(), HasSubstr("rank 0"));
}

// ---- DenseBincount ----

TEST(DenseBincount, RowsBinaryAndWeights) {
  const Tensor in = I64({1, 1, 3, 0, 2, 2}, {2, 3});
  auto out =
      RunOk("DenseBincount", {in, Tensor::Scalar<int64_t>(4), F({})}, BinAttrs(DType::kFloat));
  ExpectTensorEq(out[0], F({0, 2, 0, 1, 1, 0, 2, 0}, {2, 4}));
  out = RunOk("DenseBincount", {in, Tensor::Scalar<int64_t>(4), F({})},
              BinAttrs(DType::kFloat, true));
  ExpectTensorEq(out[0], F({0, 1, 0, 1, 1, 0, 1, 0}, {2, 4}));
  out = RunOk("DenseBincount", {in, Tensor::Scalar<int64_t>(3), I64({1, 2, 3, 4, 5, 6}, {2, 3})},
              BinAttrs(DType::kInt64));
  ExpectTensorEq(out[0], I64({0, 3, 0, 4, 0, 11}, {2, 3}));  // the 3 in row 0 is dropped
  out = RunOk("DenseBincount", {I32({0, 2, 2}), Tensor::Scalar<int32_t>(3), I32({})},
              BinAttrs(DType::kInt32));
  ExpectTensorEq(out[0], I32({1, 0, 2}));
}

TEST(DenseBincount, Errors) {
  EXPECT_THAT(RunErr("DenseBincount", {I64({1, -2}, {1, 2}), Tensor::Scalar<int64_t>(4), F({})},
                     BinAttrs(DType::kFloat))
                  .message(),
              HasSubstr("non-negative"));
  EXPECT_THAT(RunErr("DenseBincount", {I64({1}, {1, 1, 1}), Tensor::Scalar<int64_t>(4), F({})},
                     BinAttrs(DType::kFloat))
                  .message(),
              HasSubstr("at most rank 2"));
  EXPECT_EQ(RunErr("DenseBincount", {I64({1, 2}, {1, 2}), Tensor::Scalar<int64_t>(4), F({1})},
                   BinAttrs(DType::kFloat))
                .code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- SparseBincount ----

TEST(SparseBincount, PerRowAndFlat) {
  // [[1, 1, _, _], [], [3, _, _, _]] as a SparseTensor of dense shape [3, 4].
  const Tensor indices = I64({0, 0, 0, 1, 2, 0}, {3, 2});
  auto out = RunOk("SparseBincount",
                   {indices, I32({1, 1, 3}), I64({3, 4}), Tensor::Scalar<int32_t>(4), F({})},
                   BinAttrs(DType::kFloat));
  ExpectTensorEq(out[0], F({0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, {3, 4}));
  out = RunOk("SparseBincount",
              {indices, I32({1, 1, 3}), I64({3, 4}), Tensor::Scalar<int32_t>(4), F({})},
              BinAttrs(DType::kFloat, true));
  ExpectTensorEq(out[0], F({0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, {3, 4}));
  // Rank 1: one histogram, bins >= size dropped.
  out = RunOk("SparseBincount",
              {I64({0, 2, 4}, {3, 1}), I64({1, 7, 1}), I64({5}), Tensor::Scalar<int64_t>(3),
               D({0.25, 1, 0.5})},
              BinAttrs(DType::kDouble));
  ExpectTensorEq(out[0], D({0, 0.75, 0}));
}

TEST(SparseBincount, OutOfRangeBinOrRowFails) {
  const Tensor indices = I64({0, 0, 2, 0}, {2, 2});
  EXPECT_THAT(RunErr("SparseBincount",
                     {indices, I32({1, 4}), I64({3, 4}), Tensor::Scalar<int32_t>(4), F({})},
                     BinAttrs(DType::kFloat))
                  .message(),
              HasSubstr("`bin` (4)"));
  EXPECT_THAT(RunErr("SparseBincount",
                     {indices, I32({1, 1}), I64({2, 4}), Tensor::Scalar<int32_t>(4), F({})},
                     BinAttrs(DType::kFloat))
                  .message(),
              HasSubstr("`batch` (2)"));
  EXPECT_EQ(
      RunErr("SparseBincount", {indices, I32({1}), I64({3, 4}), Tensor::Scalar<int32_t>(4), F({})},
             BinAttrs(DType::kFloat))
          .code(),
      absl::StatusCode::kInvalidArgument);
}

// ---- RaggedBincount ----

TEST(RaggedBincount, PerRow) {
  // [[1, 1], [], [0]]
  auto out = RunOk("RaggedBincount",
                   {I64({0, 2, 2, 3}), I32({1, 1, 0}), Tensor::Scalar<int32_t>(2), I32({})},
                   BinAttrs(DType::kInt32));
  ExpectTensorEq(out[0], I32({0, 2, 0, 0, 1, 0}, {3, 2}));
  out = RunOk("RaggedBincount",
              {I64({0, 2, 2, 3}), I64({1, 5, 0}), Tensor::Scalar<int64_t>(2), F({2, 3, 4})},
              BinAttrs(DType::kFloat));
  ExpectTensorEq(out[0], F({0, 2, 0, 0, 4, 0}, {3, 2}));
}

TEST(RaggedBincount, BadSplitsFail) {
  for (const Tensor& splits : {I64({1, 2, 3}), I64({0, 2, 4}), I64({0, 3, 1, 3}), I64({})}) {
    auto s = RunErr("RaggedBincount", {splits, I32({1, 1, 0}), Tensor::Scalar<int32_t>(2), I32({})},
                    BinAttrs(DType::kInt32));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  }
  EXPECT_THAT(
      RunErr("RaggedBincount", {I64({0, 1}), I32({-1}), Tensor::Scalar<int32_t>(2), I32({})},
             BinAttrs(DType::kInt32))
          .message(),
      HasSubstr("non-negative"));
}

// ---- UpperBound / LowerBound ----

TEST(SearchSorted, BatchedBounds) {
  const Tensor sorted = I32({1, 2, 2, 3, 0, 5, 10, 15}, {2, 4});
  const Tensor values = I32({2, 0, 10, 20}, {2, 2});
  auto out = RunOk("UpperBound", {sorted, values}, {});
  ExpectTensorEq(out[0], I32({3, 0, 3, 4}, {2, 2}));
  out = RunOk("LowerBound", {sorted, values}, {{"out_type", AttrType(DType::kInt64)}});
  ExpectTensorEq(out[0], I64({1, 0, 2, 4}, {2, 2}));
  // NaN sorts after everything for UpperBound, before everything for LowerBound.
  out = RunOk("UpperBound", {F({1, 2}, {1, 2}), F({NAN, 1.5f}, {1, 2})}, {});
  ExpectTensorEq(out[0], I32({2, 1}, {1, 2}));
  out = RunOk("LowerBound", {F({1, 2}, {1, 2}), F({NAN, 2}, {1, 2})}, {});
  ExpectTensorEq(out[0], I32({0, 1}, {1, 2}));
  // Empty boundaries: every value is bucket 0.
  out = RunOk("UpperBound", {F({}, {1, 0}), F({3, 4}, {1, 2})}, {});
  ExpectTensorEq(out[0], I32({0, 0}, {1, 2}));
}

TEST(SearchSorted, Errors) {
  EXPECT_THAT(RunErr("UpperBound", {F({1, 2}), F({1}, {1, 1})}, {}).message(),
              HasSubstr("must be a matrix"));
  EXPECT_THAT(RunErr("UpperBound", {F({1, 2}, {1, 2}), F({1, 2}, {2, 1})}, {}).message(),
              HasSubstr("Leading dim_size of both tensors must match"));
  EXPECT_EQ(RunErr("LowerBound", {F({1, 2}, {1, 2}), I32({1}, {1, 1})}, {}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(RunKernel("UpperBound", {F({1}, {1, 1}), F({1}, {1, 1})},
                         {{"out_type", AttrType(DType::kFloat)}})
                   .ok());
}

// ---- DivNoNan / MulNoNan ----

TEST(NoNan, ZeroWhereDivisorIsZero) {
  auto out = RunOk("DivNoNan", {F({1, 2, NAN, INFINITY, 3}), F({0, 4, 0, 0, -1.5})}, {});
  ExpectTensorEq(out[0], F({0, 0.5, 0, 0, -2}));
  out = RunOk("DivNoNan", {F({1, 2, 3, 4}, {2, 2}), F({0, 2})}, {});
  ExpectTensorEq(out[0], F({0, 1, 0, 2}, {2, 2}));
  out = RunOk("DivNoNan", {D({5}), Tensor::Scalar<double>(0)}, {});
  ExpectTensorEq(out[0], D({0}));
  out = RunOk("MulNoNan", {F({INFINITY, 2, NAN}), F({0, 3, 2})}, {});
  ExpectTensorEq(out[0], F({0, 6, NAN}));
  Tensor h(DType::kHalf, TensorShape{2});
  h.data<Half>()[0] = Half::FromFloat(3);
  h.data<Half>()[1] = Half::FromFloat(1);
  Tensor hy(DType::kHalf, TensorShape{2});
  hy.data<Half>()[0] = Half::FromFloat(2);
  hy.data<Half>()[1] = Half::FromFloat(0);
  out = RunOk("DivNoNan", {h, hy}, {});
  ASSERT_EQ(out[0].dtype(), DType::kHalf);
  EXPECT_EQ(out[0].data<Half>()[0].ToFloat(), 1.5f);
  EXPECT_EQ(out[0].data<Half>()[1].ToFloat(), 0.0f);
}

TEST(NoNan, Errors) {
  EXPECT_THAT(RunErr("DivNoNan", {I32({1}), I32({1})}, {}).message(), HasSubstr("unsupported"));
  EXPECT_THAT(RunErr("DivNoNan", {F({1, 2, 3}), F({1, 2})}, {}).message(),
              HasSubstr("Incompatible shapes"));
  EXPECT_EQ(RunErr("MulNoNan", {F({1}), D({1})}, {}).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tfmodel::runtime
