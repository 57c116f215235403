// Tests for einsum.cc: expected values worked out by hand (small matrices), error texts
// from TF's EinsumOp (einsum_op_impl.h, einsum_op_util.cc).
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrS;
using testing::ExpectTensorEq;
using testing::ExpectTensorNear;
using ::testing::HasSubstr;
using testing::RunError;
using testing::RunOne;

Tensor F(std::vector<float> v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor I(std::vector<int32_t> v, TensorShape s) { return Tensor::FromVector(v, s); }

Tensor Einsum(const std::string& eq, const std::vector<Tensor>& in) {
  return RunOne("Einsum", in, {{"equation", AttrS(eq)}});
}
std::string EinsumError(const std::string& eq, const std::vector<Tensor>& in) {
  return RunError("Einsum", in, {{"equation", AttrS(eq)}});
}

const Tensor kA = F({1, 2, 3, 4, 5, 6}, {2, 3});
const Tensor kB = F({1, 2, 3, 4, 5, 6}, {3, 2});
const Tensor kSq = F({1, 2, 3, 4}, {2, 2});

TEST(EinsumTest, MatrixProducts) {
  ExpectTensorEq(Einsum("ij,jk->ik", {kA, kB}), F({22, 28, 49, 64}, {2, 2}));
  ExpectTensorEq(Einsum("ij,j->i", {kA, F({1, 1, 1}, {3})}), F({6, 15}, {2}));
  ExpectTensorEq(Einsum("i,i->", {F({1, 2}, {2}), F({3, 4}, {2})}), F({11}, {}));
  ExpectTensorEq(Einsum("i,j->ij", {F({1, 2}, {2}), F({3, 4, 5}, {3})}),
                 F({3, 4, 5, 6, 8, 10}, {2, 3}));
  ExpectTensorEq(Einsum("ij,ij->ij", {kA, kA}), F({1, 4, 9, 16, 25, 36}, {2, 3}));
  // A transposed operand: out = A^T * I.
  ExpectTensorEq(Einsum("ji,jk->ik", {kA, F({1, 0, 0, 1}, {2, 2})}), F({1, 4, 2, 5, 3, 6}, {3, 2}));
  // Output order differs from the natural one: (A B)^T.
  ExpectTensorEq(Einsum("ij,jk->ki", {kA, kB}), F({22, 49, 28, 64}, {2, 2}));
}

TEST(EinsumTest, SingleOperand) {
  ExpectTensorEq(Einsum("ij->ji", {kA}), F({1, 4, 2, 5, 3, 6}, {3, 2}));
  ExpectTensorEq(Einsum("ij->", {kA}), F({21}, {}));
  ExpectTensorEq(Einsum("ij->j", {kA}), F({5, 7, 9}, {3}));
  ExpectTensorEq(Einsum("ii->i", {kSq}), F({1, 4}, {2}));
  ExpectTensorEq(Einsum("ii->", {kSq}), F({5}, {}));
  // Diagonal then reduction: sum_i X[i, i, j].
  ExpectTensorEq(Einsum("iij->j", {F({0, 1, 2, 3, 4, 5, 6, 7}, {2, 2, 2})}), F({6, 8}, {2}));
  // A repeated output label writes a diagonal matrix.
  ExpectTensorEq(Einsum("i->ii", {F({1, 2}, {2})}), F({1, 0, 0, 2}, {2, 2}));
}

TEST(EinsumTest, BatchAndAttentionShapes) {
  Tensor a2 = F({1, 2, 3, 4, 5, 6, 2, 4, 6, 8, 10, 12}, {2, 2, 3});
  Tensor b2 = F({1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6}, {2, 3, 2});
  ExpectTensorEq(Einsum("bij,bjk->bik", {a2, b2}), F({22, 28, 49, 64, 44, 56, 98, 128}, {2, 2, 2}));
  // Attention scores: Q K^T per batch and head.
  Tensor q = F({1, 0, 0, 1}, {1, 1, 2, 2});
  Tensor k = F({1, 2, 3, 4}, {1, 1, 2, 2});
  ExpectTensorEq(Einsum("bhqd,bhkd->bhqk", {q, k}), F({1, 3, 2, 4}, {1, 1, 2, 2}));
  // EinsumDense-style projection with a free label on each side.
  ExpectTensorEq(Einsum("abc,cd->abd", {F({1, 2, 3, 4}, {1, 2, 2}), F({1, 0, 0, 1}, {2, 2})}),
                 F({1, 2, 3, 4}, {1, 2, 2}));
}

TEST(EinsumTest, EllipsisBroadcasting) {
  // A [2, 1, 2, 2] = {I, 2I}; B [3, 2, 2] = {b0, b1, b2}: out[i, j] = A[i] B[j].
  Tensor a = F({1, 0, 0, 1, 2, 0, 0, 2}, {2, 1, 2, 2});
  Tensor b = F({1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 1, 0}, {3, 2, 2});
  ExpectTensorEq(Einsum("...ij,...jk->...ik", {a, b}),
                 F({1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 1, 0, 2, 4, 6, 8, 10, 12, 14, 16, 0, 2, 2, 0},
                   {2, 3, 2, 2}));
  // Ellipsis in the middle, single operand.
  ExpectTensorEq(Einsum("i...j->j...i", {F({1, 2, 3, 4}, {2, 1, 2})}), F({1, 3, 2, 4}, {2, 1, 2}));
}

TEST(EinsumTest, ImplicitOutputTypesAndEmpty) {
  // numpy's implicit output: labels used once, sorted.
  ExpectTensorEq(Einsum("ij,jk", {kA, kB}), F({22, 28, 49, 64}, {2, 2}));
  ExpectTensorEq(Einsum("ba", {kA}), F({1, 4, 2, 5, 3, 6}, {3, 2}));
  ExpectTensorEq(Einsum("aB", {kA}), F({1, 4, 2, 5, 3, 6}, {3, 2}));  // upper case sorts first
  ExpectTensorEq(
      Einsum("ij,jk->ik", {I({1, 2, 3, 4, 5, 6}, {2, 3}), I({1, 2, 3, 4, 5, 6}, {3, 2})}),
      I({22, 28, 49, 64}, {2, 2}));
  Tensor h(DType::kHalf, {2});
  h.data<Half>()[0] = Half::FromFloat(1.5f);
  h.data<Half>()[1] = Half::FromFloat(2.0f);
  Tensor dot = Einsum("i,i->", {h, h});
  ASSERT_EQ(dot.dtype(), DType::kHalf);
  EXPECT_FLOAT_EQ(dot.data<Half>()[0].ToFloat(), 6.25f);
  // Empty contraction dimension gives zeros.
  ExpectTensorEq(Einsum("ij,jk->ik", {F({}, {2, 0}), F({}, {0, 3})}),
                 F({0, 0, 0, 0, 0, 0}, {2, 3}));
  ExpectTensorEq(Einsum("ij,jk->ik", {F({}, {0, 2}), kSq}), F({}, {0, 2}));
}

TEST(EinsumTest, Errors) {
  EXPECT_THAT(
      EinsumError("ij,jk->ik", {kA, kSq}),
      HasSubstr("Expected dimension 3 at axis 0 of the input shaped [2,2] but got dimension 2"));
  EXPECT_THAT(EinsumError("ij->ik", {kA}),
              HasSubstr("output label 'k' does not appear in any input"));
  EXPECT_THAT(EinsumError("i,i,i->i", {kA, kA, kA}),
              HasSubstr("Expecting 1 or 2 input subscripts in equation 'i,i,i->i' but got: 3"));
  EXPECT_THAT(EinsumError("i1->i", {kA}), HasSubstr("invalid character '1'"));
  EXPECT_THAT(EinsumError("i->i->i", {kA}), HasSubstr("Expecting exactly one '->'"));
  EXPECT_THAT(EinsumError("..i->i", {kA}), HasSubstr("invalid ellipsis"));
  EXPECT_THAT(EinsumError("...i->i", {kA}),
              HasSubstr("Output contains 1 broadcasting dimension(s) but no ellipsis"));
  EXPECT_THAT(EinsumError("ij->i", {F({1}, {1, 1, 1})}),
              HasSubstr("Expected input 0 to have rank 2 but got: 3"));
  EXPECT_THAT(EinsumError("ij,jk->ik", {kA, I({1, 2, 3, 4, 5, 6}, {3, 2})}),
              HasSubstr("inputs must have the same dtype"));
  EXPECT_THAT(EinsumError("ij,jk->ik", {kA}),
              HasSubstr("has 2 input subscripts but the node has 1"));
  EXPECT_THAT(EinsumError("...i,...i->...i", {F({1, 2, 3, 4, 5, 6}, {3, 2}), kSq}),
              HasSubstr("incompatible broadcasting dimensions"));
}

}  // namespace
}  // namespace tfmodel::runtime
