// Tests for the sparse kernels. Expected values come from TF's own tests and docs
// (sparse_ops_test.py testFillNumber / testFillString, sparse_reshape_op_test.py,
// tf.sparse.segment_sum docs, sparse_to_dense_op_py_test.py) and for CountUpTo from
// count_up_to_op semantics.
#include "gmock/gmock.h"
#include "graph/graph_builder.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "runtime/model.h"
#include "test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrB;
using testing::AttrI;
using testing::Attrs;
using testing::AttrType;
using testing::ExpectTensorEq;
using testing::ExpectTensorNear;
using ::testing::HasSubstr;
using testing::RunKernel;

Tensor I64(const std::vector<int64_t>& v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor I64(const std::vector<int64_t>& v) { return Tensor::FromVector(v); }
Tensor I32(const std::vector<int32_t>& v) { return Tensor::FromVector(v); }
Tensor F32(const std::vector<float>& v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor Strs(const std::vector<std::string>& v) { return Tensor::FromVector<std::string>(v); }

std::vector<Tensor> RunOk(const std::string& op, const std::vector<Tensor>& in,
                          const Attrs& a = {}) {
  auto r = RunKernel(op, in, a);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : std::vector<Tensor>(4);
}

std::string Err(const std::string& op, const std::vector<Tensor>& in, const Attrs& a = {}) {
  auto r = RunKernel(op, in, a);
  EXPECT_FALSE(r.ok()) << op << " unexpectedly succeeded";
  return r.ok() ? "" : std::string(r.status().message());
}

// TF's _SparseTensorValue_5x6.
Tensor Indices5x6() { return I64({0, 0, 1, 0, 1, 3, 1, 4, 3, 2, 3, 3}, TensorShape{6, 2}); }

TEST(SparseFillEmptyRows, FillNumber) {
  auto out = RunOk("SparseFillEmptyRows", {Indices5x6(), I64({0, 10, 13, 14, 32, 33}), I64({5, 6}),
                                           Tensor::Scalar<int64_t>(-1)});
  ExpectTensorEq(out[0], I64({0, 0, 1, 0, 1, 3, 1, 4, 2, 0, 3, 2, 3, 3, 4, 0}, TensorShape{8, 2}));
  ExpectTensorEq(out[1], I64({0, 10, 13, 14, -1, 32, 33, -1}));
  ExpectTensorEq(out[2], Tensor::FromVector<bool>({false, false, true, false, true}));
  ExpectTensorEq(out[3], I64({0, 1, 2, 3, 5, 6}));
}

TEST(SparseFillEmptyRows, FillString) {
  auto out = RunOk("SparseFillEmptyRows", {Indices5x6(), Strs({"a", "b", "c", "d", "e", "f"}),
                                           I64({5, 6}), Tensor::StringScalar("")});
  ExpectTensorEq(out[1], Strs({"a", "b", "c", "d", "", "e", "f", ""}));
  ExpectTensorEq(out[2], Tensor::FromVector<bool>({false, false, true, false, true}));
}

TEST(SparseFillEmptyRows, NoEmptyRowsPassesThrough) {
  Tensor ix = I64({0, 0, 1, 0, 1, 3, 1, 4}, TensorShape{4, 2});
  auto out = RunOk("SparseFillEmptyRows",
                   {ix, F32({0, 10, 13, 14}, TensorShape{4}), I64({2, 6}), Tensor::Scalar(-1.f)});
  ExpectTensorEq(out[0], ix);
  ExpectTensorEq(out[1], F32({0, 10, 13, 14}, TensorShape{4}));
  ExpectTensorEq(out[2], Tensor::FromVector<bool>({false, false}));
  ExpectTensorEq(out[3], I64({0, 1, 2, 3}));
}

TEST(SparseFillEmptyRows, UnorderedRowsAndAllEmpty) {
  // Rows out of order are placed by row (stable within a row); the reverse map says where.
  auto out = RunOk("SparseFillEmptyRows", {I64({1, 0, 0, 0}, TensorShape{2, 2}), I64({7, 8}),
                                           I64({3, 2}), Tensor::Scalar<int64_t>(0)});
  ExpectTensorEq(out[0], I64({0, 0, 1, 0, 2, 0}, TensorShape{3, 2}));
  ExpectTensorEq(out[1], I64({8, 7, 0}));
  ExpectTensorEq(out[3], I64({1, 0}));
  // A batch whose sparse feature is missing everywhere: one default per row.
  out = RunOk("SparseFillEmptyRows", {Tensor(DType::kInt64, TensorShape{0, 2}), Strs({}),
                                      I64({2, 1}), Tensor::StringScalar("")});
  ExpectTensorEq(out[0], I64({0, 0, 1, 0}, TensorShape{2, 2}));
  ExpectTensorEq(out[1], Strs({"", ""}));
  ExpectTensorEq(out[2], Tensor::FromVector<bool>({true, true}));
  EXPECT_EQ(out[3].shape(), TensorShape{0});
}

TEST(SparseFillEmptyRows, Errors) {
  EXPECT_THAT(Err("SparseFillEmptyRows", {I64({0, 0, 5, 0}, TensorShape{2, 2}), I64({1, 2}),
                                          I64({5, 6}), Tensor::Scalar<int64_t>(0)}),
              HasSubstr("indices(1, 0) is invalid: 5 >= 5"));
  EXPECT_THAT(Err("SparseFillEmptyRows", {I64({0, 0}, TensorShape{1, 2}), I64({1, 2}), I64({5, 6}),
                                          Tensor::Scalar<int64_t>(0)}),
              HasSubstr("The length of `values` (2) must match the first dimension of "
                        "`indices` (1)."));
  EXPECT_THAT(
      Err("SparseFillEmptyRows", {I64({0, 0}, TensorShape{1, 2}), I64({1}), I64({5, 6}), I64({0})}),
      HasSubstr("default_value must be a scalar, saw: [1]"));
  EXPECT_THAT(Err("SparseFillEmptyRows",
                  {I64({0, 0}, TensorShape{1, 2}), I64({1}), I64({}), Tensor::Scalar<int64_t>(0)}),
              HasSubstr("Dense shape cannot be empty."));
  EXPECT_THAT(Err("SparseFillEmptyRows", {I64({0, 0}, TensorShape{1, 2}), I64({1}), I64({0, 6}),
                                          Tensor::Scalar<int64_t>(0)}),
              HasSubstr("Received SparseTensor with dense_shape[0] = 0 but indices.shape[0] = 1"));
}

TEST(SparseReshape, InferredDimAndUpRank) {
  auto out = RunOk("SparseReshape", {Indices5x6(), I64({5, 6}), I64({3, -1})});
  ExpectTensorEq(out[0], I64({0, 0, 0, 6, 0, 9, 1, 0, 2, 0, 2, 1}, TensorShape{6, 2}));
  ExpectTensorEq(out[1], I64({3, 10}));
  out = RunOk("SparseReshape", {Indices5x6(), I64({5, 6}), I64({2, 3, 5})});
  ExpectTensorEq(out[0],
                 I64({0, 0, 0, 0, 1, 1, 0, 1, 4, 0, 2, 0, 1, 1, 0, 1, 1, 1}, TensorShape{6, 3}));
  ExpectTensorEq(out[1], I64({2, 3, 5}));
  out = RunOk("SparseReshape", {Indices5x6(), I64({5, 6}), I64({-1, 6})});
  ExpectTensorEq(out[0], Indices5x6());
  ExpectTensorEq(out[1], I64({5, 6}));
  // Down to rank 1 (as embedding_lookup_sparse flattens ids).
  out = RunOk("SparseReshape", {Indices5x6(), I64({5, 6}), I64({-1})});
  ExpectTensorEq(out[0], I64({0, 6, 9, 10, 20, 21}, TensorShape{6, 1}));
  ExpectTensorEq(out[1], I64({30}));
}

TEST(SparseReshape, Errors) {
  EXPECT_THAT(Err("SparseReshape", {Indices5x6(), I64({5, 6}), I64({-1, -1})}),
              HasSubstr("only one output dimension may be -1, not both 0 and 1"));
  EXPECT_THAT(Err("SparseReshape", {Indices5x6(), I64({5, 6}), I64({4, -1})}),
              HasSubstr("Input to reshape is a SparseTensor with 30 dense values, but the "
                        "requested shape requires a multiple of 4"));
  EXPECT_THAT(Err("SparseReshape", {Indices5x6(), I64({5, 6}), I64({7})}),
              HasSubstr("Input to reshape is a tensor with 30 dense values, but the requested "
                        "shape has 7"));
  EXPECT_THAT(Err("SparseReshape", {Indices5x6(), I64({5, 6}), I64({-2, 15})}),
              HasSubstr("size 0 must be non-negative, not -2"));
  EXPECT_THAT(Err("SparseReshape", {Indices5x6(), I64({30}), I64({6, 5})}),
              HasSubstr("Input tensor rank must match input shape length"));
  EXPECT_THAT(Err("SparseReshape", {I64({0, 0}), I64({5, 6}), I64({30})}),
              HasSubstr("Input indices should be a matrix but received shape [2]"));
}

Tensor C3x4() { return I32({1, 2, 3, 4, -1, -2, -3, -4, 5, 6, 7, 8}); }
Tensor C3x4f() { return F32({1, 2, 3, 4, -1, -2, -3, -4, 5, 6, 7, 8}, TensorShape{3, 4}); }

TEST(SparseSegment, SumFromTfDocs) {
  Tensor c = *C3x4().Reshaped(TensorShape{3, 4});
  auto out = RunOk("SparseSegmentSum", {c, I32({0, 1}), I32({0, 0})});
  ExpectTensorEq(out[0], *I32({0, 0, 0, 0}).Reshaped(TensorShape{1, 4}));
  out = RunOk("SparseSegmentSum", {c, I32({0, 1}), I32({0, 1})});
  ExpectTensorEq(out[0], *I32({1, 2, 3, 4, -1, -2, -3, -4}).Reshaped(TensorShape{2, 4}));
  out = RunOk("SparseSegmentSumWithNumSegments",
              {c, I32({0, 1}), I32({0, 2}), Tensor::Scalar<int32_t>(4)});
  ExpectTensorEq(
      out[0],
      *I32({1, 2, 3, 4, 0, 0, 0, 0, -1, -2, -3, -4, 0, 0, 0, 0}).Reshaped(TensorShape{4, 4}));
  out = RunOk("SparseSegmentSum", {c, I64({0, 1, 2}), I64({0, 0, 1})});
  ExpectTensorEq(out[0], *I32({0, 0, 0, 0, 5, 6, 7, 8}).Reshaped(TensorShape{2, 4}));
  // float data, int64 indices with int32 segment ids, a repeated row.
  out = RunOk("SparseSegmentSum", {C3x4f(), I64({2, 2, 0}), I32({0, 0, 0})});
  ExpectTensorEq(out[0], F32({11, 14, 17, 20}, TensorShape{1, 4}));
  // Empty input: zero rows (or num_segments rows of zeros).
  out = RunOk("SparseSegmentSum", {C3x4f(), I32({}), I32({})});
  EXPECT_EQ(out[0].shape(), (TensorShape{0, 4}));
  out = RunOk("SparseSegmentSumWithNumSegments",
              {C3x4f(), I32({}), I32({}), Tensor::Scalar<int64_t>(2)});
  ExpectTensorEq(out[0], F32({0, 0, 0, 0, 0, 0, 0, 0}, TensorShape{2, 4}));
}

TEST(SparseSegment, MeanAndSqrtN) {
  auto out = RunOk("SparseSegmentMean", {C3x4f(), I32({0, 2}), I32({0, 0})});
  ExpectTensorEq(out[0], F32({3, 4, 5, 6}, TensorShape{1, 4}));
  out = RunOk("SparseSegmentSqrtN", {C3x4f(), I32({0, 2}), I32({0, 0})});
  const float r2 = std::sqrt(2.0f);
  ExpectTensorNear(out[0], F32({6 / r2, 8 / r2, 10 / r2, 12 / r2}, TensorShape{1, 4}));
  out = RunOk("SparseSegmentMeanWithNumSegments",
              {C3x4f(), I32({1}), I32({1}), Tensor::Scalar<int32_t>(3)});
  ExpectTensorEq(out[0], F32({0, 0, 0, 0, -1, -2, -3, -4, 0, 0, 0, 0}, TensorShape{3, 4}));
  // 12 rows in one segment: the "num >= 10" path divides at the end.
  std::vector<float> v(12);
  for (int i = 0; i < 12; ++i) v[i] = static_cast<float>(i + 1);
  Tensor data = F32(v, TensorShape{12});
  std::vector<int32_t> idx(12), seg(12, 0);
  for (int i = 0; i < 12; ++i) idx[i] = i;
  out = RunOk("SparseSegmentMean", {data, I32(idx), I32(seg)});
  ExpectTensorEq(out[0], F32({6.5f}, TensorShape{1}));
  out = RunOk("SparseSegmentSqrtN", {data, I32(idx), I32(seg)});
  ExpectTensorNear(out[0], F32({static_cast<float>(78 / std::sqrt(12.0))}, TensorShape{1}));
  out = RunOk("SparseSegmentSum", {data, I32(idx), I32(seg)});
  ExpectTensorEq(out[0], F32({78}, TensorShape{1}));
  // Mean is not defined for integers in TF.
  EXPECT_THAT(Err("SparseSegmentMean", {*C3x4().Reshaped(TensorShape{3, 4}), I32({0}), I32({0})}),
              HasSubstr("unsupported dtype int32"));
}

TEST(SparseSegment, Errors) {
  EXPECT_THAT(Err("SparseSegmentSum", {C3x4f(), I32({0, 1}), I32({1, 0})}),
              HasSubstr("segment ids are not increasing"));
  EXPECT_THAT(Err("SparseSegmentSum", {C3x4f(), I32({0, 5}), I32({0, 1})}),
              HasSubstr("Bad: indices[1] == 5 out of range [0, 3)"));
  EXPECT_THAT(Err("SparseSegmentSum", {C3x4f(), I32({0, -1}), I32({0, 0})}),
              HasSubstr("Bad: indices[1] == -1 out of range [0, 3)"));
  EXPECT_THAT(Err("SparseSegmentSumWithNumSegments",
                  {C3x4f(), I32({0, 1}), I32({0, 3}), Tensor::Scalar<int32_t>(2)}),
              HasSubstr("segment ids must be < num_segments"));
  EXPECT_THAT(Err("SparseSegmentSum", {C3x4f(), I32({0, 1}), I32({-1, 0})}),
              HasSubstr("Segment id -1 out of range [0, 1), possibly because 'segment_ids' "
                        "input is not sorted."));
  EXPECT_THAT(Err("SparseSegmentSum", {C3x4f(), I32({0}), I32({-2})}),
              HasSubstr("segment ids must be >= 0"));
  EXPECT_THAT(Err("SparseSegmentSum", {C3x4f(), I32({0, 1}), I32({0})}),
              HasSubstr("segment_ids and indices should have same size."));
  EXPECT_THAT(Err("SparseSegmentSumWithNumSegments", {C3x4f(), I32({0}), I32({0}), I32({1, 2})}),
              HasSubstr("num_segments should be a scalar, not shape [2]"));
}

TEST(SparseToDense, FromTfTests) {
  auto out = RunOk("SparseToDense",
                   {I32({1, 3}), I32({5}), Tensor::Scalar<int32_t>(1), Tensor::Scalar<int32_t>(0)});
  ExpectTensorEq(out[0], I32({0, 1, 0, 1, 0}));
  out = RunOk("SparseToDense",
              {I64({1, 3}), I64({5}), Tensor::StringScalar("a"), Tensor::StringScalar("b")});
  ExpectTensorEq(out[0], Strs({"b", "a", "b", "a", "b"}));
  out = RunOk("SparseToDense", {I32({1, 3}), I32({5}), I32({1, 2}), Tensor::Scalar<int32_t>(-1)});
  ExpectTensorEq(out[0], I32({-1, 1, -1, 2, -1}));
  out = RunOk("SparseToDense", {*I32({1, 3, 2, 0}).Reshaped(TensorShape{2, 2}), I32({3, 4}),
                                Tensor::Scalar<int32_t>(1), Tensor::Scalar<int32_t>(-1)});
  ExpectTensorEq(out[0],
                 *I32({-1, -1, -1, -1, -1, -1, -1, 1, 1, -1, -1, -1}).Reshaped(TensorShape{3, 4}));
  // Unsorted indices are fine without validation.
  out = RunOk("SparseToDense",
              {*I32({2, 1}).Reshaped(TensorShape{2, 1}), I32({5}), Tensor::Scalar<int32_t>(1),
               Tensor::Scalar<int32_t>(0)},
              {{"validate_indices", AttrB(false)}});
  ExpectTensorEq(out[0], I32({0, 1, 1, 0, 0}));
}

TEST(SparseToDense, Errors) {
  Tensor one = Tensor::Scalar<int32_t>(1), zero = Tensor::Scalar<int32_t>(0);
  EXPECT_THAT(Err("SparseToDense", {*I32({1, 3, 2, 0}).Reshaped(TensorShape{2, 2}), I32({3, 4}),
                                    I32({1, 2, 3}), zero}),
              HasSubstr("sparse_values has incorrect shape [3], should be [] or [2]"));
  EXPECT_THAT(Err("SparseToDense", {I32({1, 3}), I32({5}), one, I32({0})}),
              HasSubstr("default_value should be a scalar."));
  EXPECT_THAT(Err("SparseToDense", {I32({1, 3}), I32({5, 1}), one, zero}),
              HasSubstr("output_shape has incorrect number of elements: 2 should be: 1"));
  Tensor ix = *I32({1, 10}).Reshaped(TensorShape{2, 1});
  EXPECT_THAT(Err("SparseToDense", {ix, I32({5}), one, zero}),
              HasSubstr("indices[1] = [10] is out of bounds: need 0 <= index < [5]"));
  EXPECT_THAT(Err("SparseToDense", {ix, I32({5}), one, zero}, {{"validate_indices", AttrB(false)}}),
              HasSubstr("Indices are not valid (out of bounds).  Shape: [5]"));
  EXPECT_THAT(Err("SparseToDense", {*I32({1, 1}).Reshaped(TensorShape{2, 1}), I32({5}), one, zero}),
              HasSubstr("indices[1] = [1] is repeated"));
  EXPECT_THAT(
      Err("SparseToDense", {*I32({2, 1}).Reshaped(TensorShape{2, 1}), I32({5}), one, zero}),
      HasSubstr("indices[1] = [1] is out of order. Many sparse ops require sorted indices."));
}

TEST(SparseTensorDenseMatMul, WithAndWithoutAdjoint) {
  // A = [[1, 0, 0], [0, 0, 2]] (2x3), B = [[1, 2], [3, 4], [5, 6]] (3x2).
  Tensor ai = I64({0, 0, 1, 2}, TensorShape{2, 2});
  Tensor av = F32({1, 2}, TensorShape{2});
  Tensor b = F32({1, 2, 3, 4, 5, 6}, TensorShape{3, 2});
  auto out = RunOk("SparseTensorDenseMatMul", {ai, av, I64({2, 3}), b});
  ExpectTensorEq(out[0], F32({1, 2, 10, 12}, TensorShape{2, 2}));
  // A^T (3x2) times B^T-free [[1,2,3],[4,5,6]]^T... use adjoint_b: B' = [[1,3,5],[2,4,6]]^T.
  Tensor bt = F32({1, 3, 5, 2, 4, 6}, TensorShape{2, 3});
  out = RunOk("SparseTensorDenseMatMul", {ai, av, I64({2, 3}), bt}, {{"adjoint_b", AttrB(true)}});
  ExpectTensorEq(out[0], F32({1, 2, 10, 12}, TensorShape{2, 2}));
  // adjoint_a: A^T is 3x2, times [[1], [1]] -> [[1], [0], [2]].
  out = RunOk("SparseTensorDenseMatMul", {ai, av, I64({2, 3}), F32({1, 1}, TensorShape{2, 1})},
              {{"adjoint_a", AttrB(true)}});
  ExpectTensorEq(out[0], F32({1, 0, 2}, TensorShape{3, 1}));
  EXPECT_THAT(Err("SparseTensorDenseMatMul", {ai, av, I64({2, 3}), bt}),
              HasSubstr("Cannot multiply A and B because inner dimension does not match: 3 vs. 2"));
  EXPECT_THAT(
      Err("SparseTensorDenseMatMul", {I64({0, 0, 1, 7}, TensorShape{2, 2}), av, I64({2, 3}), b}),
      HasSubstr("k (7) from index[1,1] out of bounds (>=3)"));
}

TEST(SparseReorder, SortsRowMajor) {
  auto out = RunOk("SparseReorder", {I64({1, 0, 0, 1, 0, 0}, TensorShape{3, 2}),
                                     Strs({"x", "y", "z"}), I64({2, 2})});
  ExpectTensorEq(out[0], I64({0, 0, 0, 1, 1, 0}, TensorShape{3, 2}));
  ExpectTensorEq(out[1], Strs({"z", "y", "x"}));
  EXPECT_THAT(
      Err("SparseReorder", {I64({1, 0, 0, 2}, TensorShape{2, 2}), Strs({"x", "y"}), I64({2, 2})}),
      HasSubstr("indices[0] = [0,2] is out of bounds: need 0 <= index < [2,2]"));
  EXPECT_THAT(Err("SparseReorder", {I64({1, 0}), Strs({"x"}), I64({2, 2})}),
              HasSubstr("Input indices should be a matrix but received shape [2]"));
}

TEST(SparseConcat, TfDocExample) {
  // tf.sparse.concat doc: concat_dim 1 of a [2,3] and a [2,4] sparse tensor.
  auto out =
      RunOk("SparseConcat",
            {I64({0, 2, 1, 0, 1, 1}, TensorShape{3, 2}), I64({0, 1, 0, 2}, TensorShape{2, 2}),
             Strs({"a", "b", "c"}), Strs({"d", "e"}), I64({2, 3}), I64({2, 4})},
            {{"concat_dim", AttrI(1)}, {"N", AttrI(2)}});
  ExpectTensorEq(out[0], I64({0, 2, 0, 4, 0, 5, 1, 0, 1, 1}, TensorShape{5, 2}));
  ExpectTensorEq(out[1], Strs({"a", "d", "e", "b", "c"}));
  ExpectTensorEq(out[2], I64({2, 7}));
  // concat_dim 0 (given as -2).
  out = RunOk("SparseConcat",
              {I64({0, 2, 1, 0, 1, 1}, TensorShape{3, 2}), I64({0, 1, 0, 2}, TensorShape{2, 2}),
               Strs({"a", "b", "c"}), Strs({"d", "e"}), I64({2, 3}), I64({1, 3})},
              {{"concat_dim", AttrI(-2)}, {"N", AttrI(2)}});
  ExpectTensorEq(out[0], I64({0, 2, 1, 0, 1, 1, 2, 1, 2, 2}, TensorShape{5, 2}));
  ExpectTensorEq(out[1], Strs({"a", "b", "c", "d", "e"}));
  ExpectTensorEq(out[2], I64({3, 3}));
  EXPECT_THAT(Err("SparseConcat",
                  {I64({0, 2}, TensorShape{1, 2}), I64({0, 1}, TensorShape{1, 2}), Strs({"a"}),
                   Strs({"d"}), I64({2, 3}), I64({3, 4})},
                  {{"concat_dim", AttrI(1)}, {"N", AttrI(2)}}),
              HasSubstr("Input shapes must match: expected 2 for dimension 0 but got 3 at "
                        "position 1"));
  EXPECT_THAT(Err("SparseConcat",
                  {I64({0, 2}, TensorShape{1, 2}), I64({0, 1}, TensorShape{1, 2}), Strs({"a"}),
                   Strs({"d"}), I64({2, 3}), I64({2, 4})},
                  {{"concat_dim", AttrI(2)}, {"N", AttrI(2)}}),
              HasSubstr("Concat dimension must be in range [-2, 2), got 2"));
}

// CountUpTo on a ref variable and ResourceCountUpTo on a resource variable.
TEST(CountUpTo, RefAndResourceVariables) {
  GraphBuilder b;
  b.Variable("v", Tensor::Scalar<int32_t>(0));
  b.Op("count", "CountUpTo", {"v"}, {{"limit", AttrI(2)}, {"T", AttrType(DType::kInt32)}});
  b.Op("h", "VarHandleOp", {},
       {{"dtype", AttrType(DType::kInt64)}, {"shape", testing::AttrShape(PartialShape{})}});
  std::string init = b.Const("h_init", Tensor::Scalar<int64_t>(5));
  b.Op("h_assign", "AssignVariableOp", {"h", init}, {{"dtype", AttrType(DType::kInt64)}});
  b.Op("rcount", "ResourceCountUpTo", {"h"}, {{"limit", AttrI(6)}, {"T", AttrType(DType::kInt64)}});
  TFM_ASSERT_OK_AND_ASSIGN(auto model, Model::LoadGraph(b.graph()));
  TFM_ASSERT_OK(model->Run({}, {}, {"v/Assign", "h_assign"}).status());
  for (int32_t want : {0, 1}) {
    TFM_ASSERT_OK_AND_ASSIGN(auto out, model->Run({}, {"count:0"}));
    ExpectTensorEq(out[0], Tensor::Scalar<int32_t>(want));
  }
  auto over = model->Run({}, {"count:0"});
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(over.status().message(), HasSubstr("Reached limit of 2"));
  TFM_ASSERT_OK_AND_ASSIGN(auto v, model->Run({}, {"v/read:0"}));
  ExpectTensorEq(v[0], Tensor::Scalar<int32_t>(2));

  TFM_ASSERT_OK_AND_ASSIGN(auto r, model->Run({}, {"rcount:0"}));
  ExpectTensorEq(r[0], Tensor::Scalar<int64_t>(5));
  auto rover = model->Run({}, {"rcount:0"});
  ASSERT_FALSE(rover.ok());
  EXPECT_THAT(rover.status().message(), HasSubstr("Reached limit of 6"));
}

}  // namespace
}  // namespace tfmodel::runtime
