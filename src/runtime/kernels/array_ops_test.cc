// Tests for the array/shape kernels (shape_ops, array_ops, gather_ops, pad_ops,
// sequence_ops). Expected values are hand-computed with numpy semantics.
#include <numeric>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrB;
using testing::AttrF;
using testing::AttrFList;
using testing::AttrI;
using testing::AttrIList;
using testing::AttrS;
using testing::Attrs;
using testing::AttrType;
using testing::ExpectTensorEq;
using testing::ExpectTensorNear;
using ::testing::HasSubstr;
using testing::RunKernel;

Tensor F(std::vector<float> v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor F(std::vector<float> v) { return Tensor::FromVector(v); }
Tensor I(std::vector<int32_t> v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor I(std::vector<int32_t> v) { return Tensor::FromVector(v); }
Tensor L(std::vector<int64_t> v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor L(std::vector<int64_t> v) { return Tensor::FromVector(v); }
Tensor S(std::vector<std::string> v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor I32(int32_t v) { return Tensor::Scalar<int32_t>(v); }
Tensor I64(int64_t v) { return Tensor::Scalar<int64_t>(v); }

// 0, 1, ..., n-1 as floats in `shape`.
Tensor Iota(TensorShape s) {
  std::vector<float> v(static_cast<size_t>(s.NumElements()));
  std::iota(v.begin(), v.end(), 0.0f);
  return F(v, s);
}

std::vector<Tensor> RunAll(const std::string& op, const std::vector<Tensor>& in,
                           const Attrs& attrs = {}) {
  auto r = RunKernel(op, in, attrs);
  EXPECT_TRUE(r.ok()) << op << ": " << r.status();
  if (!r.ok()) return {};
  return *r;
}

Tensor Run1(const std::string& op, const std::vector<Tensor>& in, const Attrs& attrs = {}) {
  auto out = RunAll(op, in, attrs);
  return out.empty() ? Tensor() : out[0];
}

// The error message of a run expected to fail with InvalidArgument.
std::string Err(const std::string& op, const std::vector<Tensor>& in, const Attrs& attrs = {}) {
  auto r = RunKernel(op, in, attrs);
  EXPECT_FALSE(r.ok()) << op << " unexpectedly succeeded";
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  return std::string(r.status().message());
}

// --- Reshape / Squeeze / ExpandDims ---------------------------------------------------

TEST(ReshapeTest, InfersMinusOneAndSharesBuffer) {
  Tensor x = Iota({2, 3});
  Tensor y = Run1("Reshape", {x, I({3, -1})});
  ExpectTensorEq(y, Iota({3, 2}));
  EXPECT_TRUE(y.SharesBufferWith(x));
  ExpectTensorEq(Run1("Reshape", {x, L({-1})}), Iota({6}));
  ExpectTensorEq(Run1("Reshape", {F({7}), I({}, {0})}), F({7}, {}));
}

TEST(ReshapeTest, ZeroSizedInference) {
  Tensor x = Tensor(DType::kFloat, {0, 3});
  Tensor y = Run1("Reshape", {x, I({-1, 0})});
  EXPECT_EQ(y.shape(), TensorShape({3, 0}));
}

TEST(ReshapeTest, Errors) {
  Tensor x = Iota({2, 3});
  EXPECT_THAT(Err("Reshape", {x, I({-1, -1})}),
              HasSubstr("Only one input size may be -1, not both 0 and 1"));
  EXPECT_THAT(
      Err("Reshape", {x, I({2, 2})}),
      HasSubstr("Input to reshape is a tensor with 6 values, but the requested shape has 4"));
  EXPECT_THAT(Err("Reshape", {x, I({4, -1})}), HasSubstr("requires a multiple of 4"));
  EXPECT_THAT(Err("Reshape", {x, I({-2, 3})}), HasSubstr("Size 0 must be non-negative, not -2"));
  EXPECT_THAT(Err("Reshape", {x, I({6}, {1, 1})}), HasSubstr("sizes input must be 1-D"));
  EXPECT_THAT(Err("Reshape", {x, F({6})}), HasSubstr("node 'k' (Reshape)"));
}

TEST(SqueezeTest, AllAndSelectedDims) {
  Tensor x = Iota({1, 2, 1, 3});
  Tensor y = Run1("Squeeze", {x});
  ExpectTensorEq(y, Iota({2, 3}));
  EXPECT_TRUE(y.SharesBufferWith(x));
  ExpectTensorEq(Run1("Squeeze", {x}, {{"squeeze_dims", AttrIList({-2})}}), Iota({1, 2, 3}));
  ExpectTensorEq(Run1("Squeeze", {x}, {{"axis", AttrIList({0})}}), Iota({2, 1, 3}));
  EXPECT_THAT(Err("Squeeze", {x}, {{"squeeze_dims", AttrIList({1})}}),
              HasSubstr("Can not squeeze dim[1], expected a dimension of 1, got 2"));
  EXPECT_THAT(Err("Squeeze", {x}, {{"squeeze_dims", AttrIList({4})}}),
              HasSubstr("Tried to squeeze dim index 4 for tensor with 4 dimensions"));
}

TEST(ExpandDimsTest, NegativeAndErrors) {
  Tensor x = Iota({2, 3});
  Tensor y = Run1("ExpandDims", {x, I32(-1)});
  ExpectTensorEq(y, Iota({2, 3, 1}));
  EXPECT_TRUE(y.SharesBufferWith(x));
  ExpectTensorEq(Run1("ExpandDims", {x, I64(0)}), Iota({1, 2, 3}));
  ExpectTensorEq(Run1("ExpandDims", {x, I32(-3)}), Iota({1, 2, 3}));
  ExpectTensorEq(Run1("ExpandDims", {x, I({1})}), Iota({2, 1, 3}));
  EXPECT_THAT(Err("ExpandDims", {x, I32(3)}),
              HasSubstr("Tried to expand dim index 3 for tensor with 2 dimensions."));
  EXPECT_THAT(Err("ExpandDims", {x, I32(-4)}), HasSubstr("Tried to expand dim index -4"));
}

// --- Shape family ---------------------------------------------------------------------

TEST(ShapeTest, OutTypes) {
  Tensor x = Iota({2, 3, 0});
  ExpectTensorEq(Run1("Shape", {x}), I({2, 3, 0}));
  ExpectTensorEq(Run1("Shape", {x}, {{"out_type", AttrType(DType::kInt64)}}), L({2, 3, 0}));
  ExpectTensorEq(Run1("Size", {Iota({2, 3})}), I32(6));
  ExpectTensorEq(Run1("Size", {Iota({2, 3})}, {{"out_type", AttrType(DType::kInt64)}}), I64(6));
  ExpectTensorEq(Run1("Rank", {Iota({2, 3})}), I32(2));
  ExpectTensorEq(Run1("Rank", {F({1}, {})}), I32(0));
  auto outs = RunAll("ShapeN", {Iota({2}), F({1}, {})}, {{"out_type", AttrType(DType::kInt64)}});
  ASSERT_EQ(outs.size(), 2u);
  ExpectTensorEq(outs[0], L({2}));
  ExpectTensorEq(outs[1], L({}, {0}));
  EXPECT_THAT(Err("Shape", {x}, {{"out_type", AttrType(DType::kFloat)}}),
              HasSubstr("out_type must be int32 or int64"));
}

TEST(FillTest, ValuesAndStrings) {
  ExpectTensorEq(Run1("Fill", {I({2, 2}), Tensor::Scalar<float>(1.5f)}),
                 F({1.5, 1.5, 1.5, 1.5}, {2, 2}));
  ExpectTensorEq(Run1("Fill", {L({3}), Tensor::StringScalar("ab")}), S({"ab", "ab", "ab"}, {3}));
  EXPECT_THAT(Err("Fill", {I({2, -1}), I32(0)}), HasSubstr("dims[1] must be non-negative"));
  EXPECT_THAT(Err("Fill", {I({2}), I({1, 2})}), HasSubstr("value must be a scalar"));
}

TEST(ZerosOnesLikeTest, AllTypes) {
  ExpectTensorEq(Run1("ZerosLike", {F({1, 2})}), F({0, 0}));
  ExpectTensorEq(Run1("ZerosLike", {S({"a", "b"}, {2})}), S({"", ""}, {2}));
  ExpectTensorEq(Run1("OnesLike", {I({5, 6, 7})}), I({1, 1, 1}));
  Tensor h = Run1("OnesLike", {Tensor(DType::kHalf, {2})});
  EXPECT_EQ(h.data<Half>()[1].bits, 0x3c00);
  ExpectTensorEq(Run1("OnesLike", {Tensor(DType::kBool, {1})}), Tensor::FromVector<bool>({true}));
  EXPECT_THAT(Err("OnesLike", {S({"a"}, {1})}), HasSubstr("unsupported dtype string"));
}

TEST(BroadcastTest, ToAndArgs) {
  ExpectTensorEq(Run1("BroadcastTo", {F({1, 2, 3}), I({2, 3})}), F({1, 2, 3, 1, 2, 3}, {2, 3}));
  ExpectTensorEq(Run1("BroadcastTo", {F({1, 2}, {2, 1}), L({2, 3})}),
                 F({1, 1, 1, 2, 2, 2}, {2, 3}));
  ExpectTensorEq(Run1("BroadcastTo", {S({"x"}, {}), I({2})}), S({"x", "x"}, {2}));
  EXPECT_THAT(Err("BroadcastTo", {F({1, 2}), I({3})}),
              HasSubstr("Unable to broadcast tensor of shape [2] to tensor of shape [3]"));
  ExpectTensorEq(Run1("BroadcastArgs", {I({2, 1}), I({3})}), I({2, 3}));
  ExpectTensorEq(Run1("BroadcastArgs", {L({5, 1, 4}), L({3, 1})}), L({5, 3, 4}));
  EXPECT_THAT(Err("BroadcastArgs", {I({2}), I({3})}),
              HasSubstr("Incompatible shapes: [2] vs. [3]"));
}

TEST(InvertPermutationTest, ValuesAndErrors) {
  ExpectTensorEq(Run1("InvertPermutation", {I({3, 4, 0, 2, 1})}), I({2, 4, 3, 0, 1}));
  ExpectTensorEq(Run1("InvertPermutation", {L({1, 0})}), L({1, 0}));
  EXPECT_THAT(Err("InvertPermutation", {I({0, 0})}), HasSubstr("0 is duplicated in the input."));
  EXPECT_THAT(Err("InvertPermutation", {I({0, 5})}), HasSubstr("5 is not between 0 and 2"));
}

// --- Concat / Split / Pack ------------------------------------------------------------

TEST(ConcatTest, V2NegativeAxisStringsAndEmpty) {
  Tensor a = F({1, 2, 3, 4}, {2, 2});
  Tensor b = F({5, 6}, {2, 1});
  ExpectTensorEq(Run1("ConcatV2", {a, b, I32(-1)}), F({1, 2, 5, 3, 4, 6}, {2, 3}));
  ExpectTensorEq(Run1("ConcatV2", {a, a, I64(0)}), F({1, 2, 3, 4, 1, 2, 3, 4}, {4, 2}));
  ExpectTensorEq(Run1("ConcatV2", {a, Tensor(DType::kFloat, {2, 0}), I32(1)}), a);
  ExpectTensorEq(Run1("ConcatV2", {S({"a"}, {1}), S({"b", "c"}, {2}), I32(0)}),
                 S({"a", "b", "c"}, {3}));
  ExpectTensorEq(Run1("Concat", {I32(1), a, b}), F({1, 2, 5, 3, 4, 6}, {2, 3}));
}

TEST(ConcatTest, Errors) {
  Tensor a = F({1, 2, 3, 4}, {2, 2});
  EXPECT_THAT(
      Err("ConcatV2", {a, F({1, 2}), I32(0)}),
      HasSubstr("Ranks of all input tensors should match: shape[0] = [2,2] vs. shape[1] = [2]"));
  EXPECT_THAT(Err("ConcatV2", {a, F({1, 2, 3}, {1, 3}), I32(0)}),
              HasSubstr("Dimension 1 in both shapes must be equal"));
  EXPECT_THAT(Err("ConcatV2", {a, a, I32(2)}),
              HasSubstr("Expected concatenating dimensions in the range [-2, 2), but got 2"));
  EXPECT_THAT(Err("ConcatV2", {F({1}, {}), F({1}, {}), I32(0)}),
              HasSubstr("Can't concatenate scalars"));
}

TEST(SplitTest, SplitAndSplitV) {
  Tensor x = Iota({2, 6});
  auto outs = RunAll("Split", {I32(-1), x}, {{"num_split", AttrI(3)}});
  ASSERT_EQ(outs.size(), 3u);
  ExpectTensorEq(outs[1], F({2, 3, 8, 9}, {2, 2}));
  outs = RunAll("Split", {I32(0), x}, {{"num_split", AttrI(2)}});
  ASSERT_EQ(outs.size(), 2u);
  ExpectTensorEq(outs[1], F({6, 7, 8, 9, 10, 11}, {1, 6}));
  EXPECT_THAT(Err("Split", {I32(1), x}, {{"num_split", AttrI(4)}}),
              HasSubstr("should evenly divide the split dimension, but got split_dim 1 (size = 6) "
                        "and num_split 4"));
  EXPECT_THAT(Err("Split", {I32(2), x}, {{"num_split", AttrI(2)}}),
              HasSubstr("is required but got 2"));

  outs = RunAll("SplitV", {x, I({1, -1, 2}), I32(1)}, {{"num_split", AttrI(3)}});
  ASSERT_EQ(outs.size(), 3u);
  ExpectTensorEq(outs[0], F({0, 6}, {2, 1}));
  ExpectTensorEq(outs[1], F({1, 2, 3, 7, 8, 9}, {2, 3}));
  ExpectTensorEq(outs[2], F({4, 5, 10, 11}, {2, 2}));
  EXPECT_THAT(Err("SplitV", {x, I({-1, -1}), I32(1)}, {{"num_split", AttrI(2)}}),
              HasSubstr("There can only be one -1 in the input."));
  EXPECT_THAT(Err("SplitV", {x, I({2, 2}), I32(1)}, {{"num_split", AttrI(2)}}),
              HasSubstr("Determined shape must either match input shape along split_dim"));
}

TEST(PackTest, PackUnpackAxes) {
  Tensor a = F({1, 2}), b = F({3, 4});
  ExpectTensorEq(Run1("Pack", {a, b}), F({1, 2, 3, 4}, {2, 2}));
  ExpectTensorEq(Run1("Pack", {a, b}, {{"axis", AttrI(-1)}}), F({1, 3, 2, 4}, {2, 2}));
  ExpectTensorEq(Run1("Pack", {S({"p"}, {1}), S({"q"}, {1})}, {{"axis", AttrI(1)}}),
                 S({"p", "q"}, {1, 2}));
  EXPECT_THAT(Err("Pack", {a, b}, {{"axis", AttrI(2)}}), HasSubstr("axis = 2 not in [-2, 2)"));
  EXPECT_THAT(Err("Pack", {a, F({1, 2, 3})}), HasSubstr("Shapes of all inputs must match"));

  auto outs = RunAll("Unpack", {Iota({2, 3})}, {{"num", AttrI(3)}, {"axis", AttrI(-1)}});
  ASSERT_EQ(outs.size(), 3u);
  ExpectTensorEq(outs[2], F({2, 5}));
  EXPECT_THAT(Err("Unpack", {Iota({2, 3})}, {{"num", AttrI(2)}, {"axis", AttrI(1)}}),
              HasSubstr("Input shape axis 1 must equal 2, got shape [2,3]"));
}

// --- Slice / StridedSlice ---------------------------------------------------------------

TEST(SliceTest, ValuesAndErrors) {
  Tensor x = Iota({3, 4});
  ExpectTensorEq(Run1("Slice", {x, I({1, 1}), I({-1, 2})}), F({5, 6, 9, 10}, {2, 2}));
  ExpectTensorEq(Run1("Slice", {x, L({0, 4}), L({3, 0})}), Tensor(DType::kFloat, {3, 0}));
  EXPECT_THAT(Err("Slice", {x, I({0, 3}), I({1, 2})}),
              HasSubstr("Expected size[1] in [0, 1], but got 2"));
  EXPECT_THAT(Err("Slice", {x, I({4, 0}), I({1, 1})}),
              HasSubstr("Expected begin[0] in [0, 3], but got 4"));
  EXPECT_THAT(Err("Slice", {x, I({0}), I({1})}),
              HasSubstr("Expected begin and size arguments to be 1-D tensors of size 2"));
}

struct SS {
  std::vector<int32_t> begin, end, strides;
  int64_t begin_mask = 0, end_mask = 0, ellipsis_mask = 0, new_axis_mask = 0, shrink = 0;
};

absl::StatusOr<std::vector<Tensor>> RunSS(const Tensor& x, const SS& s) {
  return RunKernel("StridedSlice", {x, I(s.begin), I(s.end), I(s.strides)},
                   {{"begin_mask", AttrI(s.begin_mask)},
                    {"end_mask", AttrI(s.end_mask)},
                    {"ellipsis_mask", AttrI(s.ellipsis_mask)},
                    {"new_axis_mask", AttrI(s.new_axis_mask)},
                    {"shrink_axis_mask", AttrI(s.shrink)}});
}

Tensor SSOk(const Tensor& x, const SS& s) {
  auto r = RunSS(x, s);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? (*r)[0] : Tensor();
}

TEST(StridedSliceTest, MaskCombinations) {
  Tensor x = Iota({2, 3, 4});
  // x[1:, ::-1, 1:3]
  ExpectTensorEq(SSOk(x, {{1, 0, 1}, {2, 0, 3}, {1, -1, 1}, 2, 2}),
                 F({21, 22, 17, 18, 13, 14}, {1, 3, 2}));
  // x[..., 0]
  ExpectTensorEq(SSOk(x, {{0, 0}, {0, 1}, {1, 1}, 0, 0, 1, 0, 2}),
                 F({0, 4, 8, 12, 16, 20}, {2, 3}));
  // x[:, tf.newaxis, -1]
  ExpectTensorEq(SSOk(x, {{0, 0, -1}, {0, 0, 0}, {1, 1, 1}, 1, 1, 0, 2, 4}),
                 F({8, 9, 10, 11, 20, 21, 22, 23}, {2, 1, 4}));
  // x[-1, -2:, ::-2]
  ExpectTensorEq(SSOk(x, {{-1, -2, 0}, {0, 0, 0}, {1, 1, -2}, 4, 6, 0, 0, 1}),
                 F({19, 17, 23, 21}, {2, 2}));
  // x[0, 1:100, -100:2] (clamping)
  ExpectTensorEq(SSOk(x, {{0, 1, -100}, {1, 100, 2}, {1, 1, 1}, 0, 0, 0, 0, 1}),
                 F({4, 5, 8, 9}, {2, 2}));
  // x[:, 2:1] is empty
  EXPECT_EQ(SSOk(x, {{0, 2}, {0, 1}, {1, 1}, 1, 1}).shape(), TensorShape({2, 0, 4}));
  // x[tf.newaxis, ..., tf.newaxis, 1]
  ExpectTensorEq(SSOk(x, {{0, 0, 0, 1}, {0, 0, 0, 2}, {1, 1, 1, 1}, 0, 0, 2, 5, 8}),
                 F({1, 5, 9, 13, 17, 21}, {1, 2, 3, 1}));
  // x[1] with stride: x[1, ::2, 3:0:-2]
  ExpectTensorEq(SSOk(x, {{1, 0, 3}, {2, 0, 0}, {1, 2, -2}, 2, 2, 0, 0, 1}),
                 F({15, 13, 23, 21}, {2, 2}));
  // Identity slice shares the buffer: x[:]
  Tensor id = SSOk(x, {{0}, {0}, {1}, 1, 1});
  ExpectTensorEq(id, x);
  EXPECT_TRUE(id.SharesBufferWith(x));
}

TEST(StridedSliceTest, OneDimClampingAndTypes) {
  Tensor y = Iota({5});
  // y[10:-10:-1]
  ExpectTensorEq(SSOk(y, {{10}, {-10}, {-1}}), F({4, 3, 2, 1, 0}));
  // y[-1] -> scalar
  ExpectTensorEq(SSOk(y, {{-1}, {0}, {1}, 0, 0, 0, 0, 1}), F({4}, {}));
  // y[3:1] -> empty; y[::3]
  EXPECT_EQ(SSOk(y, {{3}, {1}, {1}}).shape(), TensorShape({0}));
  ExpectTensorEq(SSOk(y, {{0}, {0}, {3}, 1, 1}), F({0, 3}));
  ExpectTensorEq(SSOk(S({"a", "b", "c"}, {3}), {{0}, {0}, {-1}, 1, 1}), S({"c", "b", "a"}, {3}));
  auto r = RunKernel("StridedSlice", {y, L({1}), L({3}), L({1})}, {});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectTensorEq((*r)[0], F({1, 2}));
}

TEST(StridedSliceTest, Errors) {
  Tensor x = Iota({2, 3});
  auto msg = [&](const SS& s) {
    auto r = RunSS(x, s);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : std::string(r.status().message());
  };
  EXPECT_THAT(msg({{5}, {6}, {1}, 0, 0, 0, 0, 1}),
              HasSubstr("slice index 5 of dimension 0 out of bounds"));
  EXPECT_THAT(msg({{-3}, {0}, {1}, 0, 0, 0, 0, 1}),
              HasSubstr("slice index -1 of dimension 0 out of bounds"));
  EXPECT_THAT(msg({{0}, {1}, {0}}), HasSubstr("strides[0] must be non-zero"));
  EXPECT_THAT(msg({{0, 0}, {1, 1}, {1, 1}, 0, 0, 3}),
              HasSubstr("Multiple ellipses in slice spec not allowed"));
  EXPECT_THAT(msg({{0, 0, 0}, {1, 1, 1}, {1, 1, 1}}),
              HasSubstr("Index out of range using input dim 2; input has only 2 dims"));
  EXPECT_THAT(msg({{0}, {1}, {-1}, 0, 0, 0, 0, 1}),
              HasSubstr("only stride 1 allowed on non-range indexing."));
  auto r = RunKernel("StridedSlice", {x, I({0, 0}), I({1}), I({1, 1})}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("Expected begin, end, and strides to be 1D equal size tensors"));
}

// --- Transpose / Tile / Reverse -------------------------------------------------------

TEST(TransposeTest, Perms) {
  ExpectTensorEq(Run1("Transpose", {Iota({2, 3}), I({1, 0})}), F({0, 3, 1, 4, 2, 5}, {3, 2}));
  // [2,3,2] with perm [2,0,1]: out[k,i,j] = x[i,j,k]
  ExpectTensorEq(Run1("Transpose", {Iota({2, 3, 2}), L({2, 0, 1})}),
                 F({0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11}, {2, 2, 3}));
  ExpectTensorEq(Run1("Transpose", {S({"a", "b"}, {1, 2}), I({1, 0})}), S({"a", "b"}, {2, 1}));
  EXPECT_THAT(Err("Transpose", {Iota({2, 3}), I({0, 0})}), HasSubstr("0 is duplicated in perm"));
  EXPECT_THAT(Err("Transpose", {Iota({2, 3}), I({0, 2})}), HasSubstr("2 is out of range [0 .. 2)"));
  EXPECT_THAT(Err("Transpose", {Iota({2, 3}), I({0})}),
              HasSubstr("transpose expects a vector of size 2"));
}

TEST(TileTest, Multiples) {
  Tensor x = F({1, 2, 3, 4}, {2, 2});
  ExpectTensorEq(Run1("Tile", {x, I({1, 2})}), F({1, 2, 1, 2, 3, 4, 3, 4}, {2, 4}));
  ExpectTensorEq(Run1("Tile", {x, L({2, 1})}), F({1, 2, 3, 4, 1, 2, 3, 4}, {4, 2}));
  ExpectTensorEq(Run1("Tile", {x, I({0, 1})}), Tensor(DType::kFloat, {0, 2}));
  ExpectTensorEq(Run1("Tile", {S({"a", "b"}, {2}), I({2})}), S({"a", "b", "a", "b"}, {4}));
  EXPECT_THAT(Err("Tile", {x, I({1, -1})}), HasSubstr("Expected multiples[1] >= 0, but got -1"));
  EXPECT_THAT(Err("Tile", {x, I({1})}),
              HasSubstr("Expected multiples argument to be a vector of length 2"));
}

TEST(ReverseV2Test, Axes) {
  Tensor x = Iota({2, 3});
  ExpectTensorEq(Run1("ReverseV2", {x, I({-1})}), F({2, 1, 0, 5, 4, 3}, {2, 3}));
  ExpectTensorEq(Run1("ReverseV2", {x, L({0, 1})}), F({5, 4, 3, 2, 1, 0}, {2, 3}));
  ExpectTensorEq(Run1("ReverseV2", {x, I({}, {0})}), x);
  EXPECT_THAT(Err("ReverseV2", {x, I({2})}), HasSubstr("is out of valid range [-2, 2)"));
  EXPECT_THAT(Err("ReverseV2", {x, I({1, -1})}), HasSubstr("axis 1 specified more than once."));
}

// --- Gather ---------------------------------------------------------------------------

TEST(GatherTest, V1V2AxisBatchDims) {
  Tensor p = Iota({3, 2});
  ExpectTensorEq(Run1("Gather", {p, I({2, 0})}), F({4, 5, 0, 1}, {2, 2}));
  ExpectTensorEq(Run1("GatherV2", {p, L({1, 1, 0}, {3}), I32(-1)}),
                 F({1, 1, 0, 3, 3, 2, 5, 5, 4}, {3, 3}));
  ExpectTensorEq(Run1("GatherV2", {p, I32(2), I32(0)}), F({4, 5}));
  ExpectTensorEq(Run1("GatherV2", {S({"a", "b", "c"}, {3}), I({2, 2}), I32(0)}),
                 S({"c", "c"}, {2}));
  // batch_dims=1: out[b, j] = p[b, idx[b, j]]
  ExpectTensorEq(
      Run1("GatherV2", {Iota({2, 3}), I({2, 0, 1, 1}, {2, 2}), I32(1)}, {{"batch_dims", AttrI(1)}}),
      F({2, 0, 4, 4}, {2, 2}));
  ExpectTensorEq(Run1("GatherV2", {Iota({2, 3}), I({2, 0, 1, 1}, {2, 2}), I32(1)},
                      {{"batch_dims", AttrI(-1)}}),
                 F({2, 0, 4, 4}, {2, 2}));
}

TEST(GatherTest, Errors) {
  Tensor p = Iota({3, 2});
  EXPECT_THAT(Err("GatherV2", {p, I({0, -1}), I32(0)}),
              HasSubstr("indices[1] = -1 is not in [0, 3)"));
  EXPECT_THAT(Err("GatherV2", {p, I({0, 1, 2, 3}, {2, 2}), I32(0)}),
              HasSubstr("indices[1,1] = 3 is not in [0, 3)"));
  EXPECT_THAT(Err("GatherV2", {p, I({0}), I32(2)}),
              HasSubstr("Expected axis in the range [-2, 2), but got 2"));
  EXPECT_THAT(
      Err("GatherV2", {Iota({2, 3}), I({0, 0, 0}, {3, 1}), I32(1)}, {{"batch_dims", AttrI(1)}}),
      HasSubstr("params.shape[0]: 2 should be equal to indices.shape[0]: 3"));
  EXPECT_THAT(
      Err("GatherV2", {Iota({2, 3}), I({0, 0}, {2, 1}), I32(0)}, {{"batch_dims", AttrI(1)}}),
      HasSubstr("batch_dims (1) must be less than or equal to axis (0)"));
}

TEST(GatherNdTest, ValuesAndErrors) {
  Tensor p = Iota({2, 2, 2});
  ExpectTensorEq(Run1("GatherNd", {p, I({1, 0, 0, 1}, {2, 2})}), F({4, 5, 2, 3}, {2, 2}));
  ExpectTensorEq(Run1("GatherNd", {p, L({1, 1, 1}, {1, 3})}), F({7}, {1}));
  ExpectTensorEq(Run1("GatherNd", {S({"a", "b", "c", "d"}, {2, 2}), I({1, 0}, {1, 2})}),
                 S({"c"}, {1}));
  EXPECT_THAT(Err("GatherNd", {p, I({0, 2}, {1, 2})}),
              HasSubstr("indices[0] = [0, 2] does not index into param shape [2,2,2]"));
  EXPECT_THAT(Err("GatherNd", {p, I({0, 0, 0, 0}, {1, 4})}),
              HasSubstr("indices.shape[-1] must be <= params.rank"));
}

// --- Pads, space/batch/depth ----------------------------------------------------------

TEST(PadTest, ConstantAndMirror) {
  Tensor x = F({1, 2, 3, 4}, {2, 2});
  ExpectTensorEq(Run1("Pad", {x, I({1, 0, 0, 1}, {2, 2})}), F({0, 0, 0, 1, 2, 0, 3, 4, 0}, {3, 3}));
  ExpectTensorEq(Run1("PadV2", {x, L({0, 0, 1, 1}, {2, 2}), Tensor::Scalar<float>(9)}),
                 F({9, 1, 2, 9, 9, 3, 4, 9}, {2, 4}));
  ExpectTensorEq(Run1("PadV2", {S({"a"}, {1}), I({1, 1}, {1, 2}), Tensor::StringScalar("-")}),
                 S({"-", "a", "-"}, {3}));
  EXPECT_THAT(Err("Pad", {x, I({0, -1, 0, 0}, {2, 2})}),
              HasSubstr("paddings must be non-negative: 0 -1"));
  EXPECT_THAT(Err("Pad", {x, I({0, 0}, {1, 2})}),
              HasSubstr("The first dimension of paddings must be the rank of inputs"));

  Tensor v = F({1, 2, 3});
  Tensor p = I({2, 2}, {1, 2});
  ExpectTensorEq(Run1("MirrorPad", {v, p}, {{"mode", AttrS("REFLECT")}}), F({3, 2, 1, 2, 3, 2, 1}));
  ExpectTensorEq(Run1("MirrorPad", {v, p}, {{"mode", AttrS("SYMMETRIC")}}),
                 F({2, 1, 1, 2, 3, 3, 2}));
  ExpectTensorEq(Run1("MirrorPad", {x, I({1, 0, 0, 1}, {2, 2})}, {{"mode", AttrS("REFLECT")}}),
                 F({3, 4, 3, 1, 2, 1, 3, 4, 3}, {3, 3}));
  EXPECT_THAT(
      Err("MirrorPad", {v, I({3, 0}, {1, 2})}, {{"mode", AttrS("REFLECT")}}),
      HasSubstr("paddings must be no greater than the dimension size: 3, 0 greater than 2"));
  EXPECT_THAT(Err("MirrorPad", {v, p}, {{"mode", AttrS("EDGE")}}),
              HasSubstr("mode must be REFLECT or SYMMETRIC"));
}

TEST(SpaceBatchTest, TfDocExamplesAndRoundTrip) {
  Tensor x = Iota({1, 4, 4, 1});  // values 0..15
  Tensor s2b = Run1("SpaceToBatchND", {x, I({2, 2}), I({0, 0, 0, 0}, {2, 2})});
  ExpectTensorEq(s2b, F({0, 2, 8, 10, 1, 3, 9, 11, 4, 6, 12, 14, 5, 7, 13, 15}, {4, 2, 2, 1}));
  ExpectTensorEq(Run1("BatchToSpaceND", {s2b, I({2, 2}), I({0, 0, 0, 0}, {2, 2})}), x);

  Tensor y = Iota({2, 2, 4, 1});
  Tensor pads = I({0, 0, 2, 0}, {2, 2});
  Tensor b = Run1("SpaceToBatchND", {y, I({2, 2}), pads});
  EXPECT_EQ(b.shape(), TensorShape({8, 1, 3, 1}));
  // Batch 0 (block offset 0,0) of image 0: padded row 0 cols 0,2,4 -> pad, y[0,0,0], y[0,0,2].
  EXPECT_EQ(b.data<float>()[0], 0);
  EXPECT_EQ(b.data<float>()[1], 0);
  EXPECT_EQ(b.data<float>()[2], 2);
  ExpectTensorEq(Run1("BatchToSpaceND", {b, I({2, 2}), pads}), y);
  EXPECT_THAT(Err("SpaceToBatchND", {y, I({3, 2}), I({0, 0, 0, 0}, {2, 2})}),
              HasSubstr("padded_shape[0]=2 is not divisible by block_shape[0]=3"));
  EXPECT_THAT(
      Err("BatchToSpaceND", {y, I({2, 2}), I({0, 0, 0, 0}, {2, 2})}),
      HasSubstr("Input batch dimension (2) is not divisible by product of block sizes (4)"));
}

TEST(DepthSpaceTest, TfDocExample) {
  Tensor x = F({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, {1, 2, 2, 4});
  Tensor y = Run1("DepthToSpace", {x}, {{"block_size", AttrI(2)}});
  ExpectTensorEq(y, F({1, 2, 5, 6, 3, 4, 7, 8, 9, 10, 13, 14, 11, 12, 15, 16}, {1, 4, 4, 1}));
  ExpectTensorEq(Run1("SpaceToDepth", {y}, {{"block_size", AttrI(2)}}), x);
  EXPECT_THAT(Err("DepthToSpace", {F({1, 2, 3}, {1, 1, 1, 3})}, {{"block_size", AttrI(2)}}),
              HasSubstr("Input depth dimension 3 should be divisible by: 4"));
  EXPECT_THAT(Err("SpaceToDepth", {x}, {{"block_size", AttrI(1)}}),
              HasSubstr("must be at least minimum 2"));
}

// --- Sequence ops ---------------------------------------------------------------------

TEST(RangeTest, IntFloatNegative) {
  ExpectTensorEq(Run1("Range", {I32(3), I32(18), I32(3)}), I({3, 6, 9, 12, 15}));
  ExpectTensorEq(Run1("Range", {I64(5), I64(0), I64(-2)}), L({5, 3, 1}));
  ExpectTensorNear(Run1("Range", {Tensor::Scalar<float>(3), Tensor::Scalar<float>(1),
                                  Tensor::Scalar<float>(-0.5)}),
                   F({3, 2.5, 2, 1.5}));
  ExpectTensorEq(Run1("Range", {I32(2), I32(2), I32(1)}), I({}, {0}));
  EXPECT_THAT(Err("Range", {I32(0), I32(5), I32(0)}), HasSubstr("Requires delta != 0: 0"));
  EXPECT_THAT(Err("Range", {I32(5), I32(0), I32(1)}),
              HasSubstr("Requires start <= limit when delta > 0: 5/0"));
}

TEST(WhereTest, Coordinates) {
  Tensor b = Tensor::FromVector<bool>({true, false, false, true}, {2, 2});
  ExpectTensorEq(Run1("Where", {b}), L({0, 0, 1, 1}, {2, 2}));
  ExpectTensorEq(Run1("Where", {F({0, -1, 0, 2})}), L({1, 3}, {2, 1}));
  EXPECT_EQ(Run1("Where", {F({0, 0})}).shape(), TensorShape({0, 1}));
}

TEST(UniqueTest, NumericAndStrings) {
  auto outs = RunAll("Unique", {I({1, 1, 2, 4, 4, 4, 7, 8, 8})});
  ASSERT_EQ(outs.size(), 2u);
  ExpectTensorEq(outs[0], I({1, 2, 4, 7, 8}));
  ExpectTensorEq(outs[1], I({0, 0, 1, 2, 2, 2, 3, 4, 4}));
  outs = RunAll("Unique", {S({"b", "a", "b"}, {3})}, {{"out_idx", AttrType(DType::kInt64)}});
  ASSERT_EQ(outs.size(), 2u);
  ExpectTensorEq(outs[0], S({"b", "a"}, {2}));
  ExpectTensorEq(outs[1], L({0, 1, 0}));
  EXPECT_THAT(Err("Unique", {Iota({2, 2})}), HasSubstr("unique expects a 1D vector"));
}

TEST(BucketizeTest, Boundaries) {
  ExpectTensorEq(Run1("Bucketize", {I({-5, 10000, 150, 10, 5, 100}, {2, 3})},
                      {{"boundaries", AttrFList({0, 10, 100})}}),
                 I({0, 3, 2, 2, 1, 3}, {2, 3}));
  ExpectTensorEq(Run1("Bucketize", {F({-0.5, 0.5})}, {{"boundaries", AttrFList({0})}}), I({0, 1}));
  EXPECT_THAT(Err("Bucketize", {F({1})}, {{"boundaries", AttrFList({2, 1})}}),
              HasSubstr("Expected sorted boundaries"));
}

TEST(TopKTest, TiesAndErrors) {
  auto outs = RunAll("TopKV2", {F({1, 3, 3, 2, 5, 4, 6, 4}, {2, 4}), I32(2)});
  ASSERT_EQ(outs.size(), 2u);
  ExpectTensorEq(outs[0], F({3, 3, 6, 5}, {2, 2}));
  ExpectTensorEq(outs[1], I({1, 2, 2, 0}, {2, 2}));
  outs = RunAll("TopKV2", {I({4, 4, 4}), I32(3)});
  ASSERT_EQ(outs.size(), 2u);
  ExpectTensorEq(outs[1], I({0, 1, 2}));
  EXPECT_THAT(Err("TopKV2", {F({1, 2}), I32(3)}),
              HasSubstr("input must have at least k columns. Had 2, needed 3"));
  EXPECT_THAT(Err("TopKV2", {F({1, 2}), I32(-1)}), HasSubstr("Need k >= 0, got -1"));
}

TEST(OneHotTest, AxesAndNegativeIndices) {
  Tensor idx = I({0, 2, -1, 1});
  Tensor on = Tensor::Scalar<float>(5), off = Tensor::Scalar<float>(0);
  ExpectTensorEq(Run1("OneHot", {idx, I32(3), on, off}),
                 F({5, 0, 0, 0, 0, 5, 0, 0, 0, 0, 5, 0}, {4, 3}));
  ExpectTensorEq(Run1("OneHot", {idx, I32(3), on, off}, {{"axis", AttrI(0)}}),
                 F({5, 0, 0, 0, 0, 0, 0, 5, 0, 5, 0, 0}, {3, 4}));
  ExpectTensorEq(
      Run1("OneHot", {L({1}), I32(2), Tensor::StringScalar("y"), Tensor::StringScalar("n")}),
      S({"n", "y"}, {1, 2}));
  EXPECT_THAT(Err("OneHot", {idx, I32(3), on, off}, {{"axis", AttrI(2)}}),
              HasSubstr("Expected axis to be -1 or between [0, 1]"));
  EXPECT_THAT(Err("OneHot", {idx, I32(-1), on, off}),
              HasSubstr("depth must be non-negative, got: -1"));
}

TEST(ArrayKernelsTest, DtypeAgnosticCopies) {
  // int64, int8, bool and complex go through the same byte-moving paths.
  ExpectTensorEq(Run1("Transpose", {L({1, 2, 3, 4, 5, 6}, {2, 3}), I({1, 0})}),
                 L({1, 4, 2, 5, 3, 6}, {3, 2}));
  ExpectTensorEq(
      Run1("ConcatV2", {Tensor::FromVector<int8_t>({1}), Tensor::FromVector<int8_t>({-2}), I32(0)}),
      Tensor::FromVector<int8_t>({1, -2}));
  ExpectTensorEq(Run1("ReverseV2", {Tensor::FromVector<bool>({true, false}), I({0})}),
                 Tensor::FromVector<bool>({false, true}));
  Tensor c = Run1("Tile", {Tensor::FromVector<complex128>({complex128(1, 2)}), I({2})});
  ASSERT_EQ(c.NumElements(), 2);
  EXPECT_EQ(c.data<complex128>()[1], complex128(1, 2));
}

}  // namespace
}  // namespace tfmodel::runtime
