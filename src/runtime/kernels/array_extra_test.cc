// Tests for matrix_diag_ops.cc, roll_reverse_ops.cc, fingerprint_op.cc and LinSpace
// (sequence_ops.cc). Expected values are the examples of TF's API docs
// (tf.linalg.diag, tf.linalg.diag_part, tf.linalg.band_part, tf.roll,
// tf.reverse_sequence) and FarmHash's Fingerprint64("a").
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrI;
using testing::AttrS;
using testing::ExpectTensorEq;
using testing::ExpectTensorNear;
using ::testing::HasSubstr;
using testing::RunError;
using testing::RunOne;

Tensor F(std::vector<float> v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor I(std::vector<int32_t> v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor I(std::vector<int32_t> v) { return Tensor::FromVector(v); }
Tensor Sc(int32_t v) { return Tensor::Scalar<int32_t>(v); }

// ---- MatrixDiag family ----

TEST(MatrixDiagTest, V1AndRectangular) {
  ExpectTensorEq(RunOne("MatrixDiag", {I({1, 2})}), I({1, 0, 0, 2}, {2, 2}));
  // tf.linalg.diag([1, 2], k=-1, num_rows=3, num_cols=4).
  ExpectTensorEq(RunOne("MatrixDiagV3", {I({1, 2}), Sc(-1), Sc(3), Sc(4), Sc(0)}),
                 I({0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0}, {3, 4}));
  // ... with num_cols inferred and padding 9.
  ExpectTensorEq(RunOne("MatrixDiagV3", {I({1, 2}), Sc(-1), Sc(3), Sc(-1), Sc(9)}),
                 I({9, 9, 1, 9, 9, 2}, {3, 2}));
}

TEST(MatrixDiagTest, TridiagonalBandWithAlignments) {
  const std::vector<int32_t> want = {1, 8, 0, 4, 2, 9, 0, 5, 3, 6, 2, 0, 9, 7, 3, 0, 1, 9};
  Tensor right_left = I({0, 8, 9, 1, 2, 3, 4, 5, 0, 0, 2, 3, 6, 7, 9, 9, 1, 0}, {2, 3, 3});
  ExpectTensorEq(RunOne("MatrixDiagV3", {right_left, I({-1, 1}), Sc(-1), Sc(-1), Sc(0)}),
                 I(want, {2, 3, 3}));
  Tensor left_right = I({8, 9, 0, 1, 2, 3, 0, 4, 5, 2, 3, 0, 6, 7, 9, 0, 9, 1}, {2, 3, 3});
  ExpectTensorEq(RunOne("MatrixDiagV3", {left_right, I({-1, 1}), Sc(-1), Sc(-1), Sc(0)},
                        {{"align", AttrS("LEFT_RIGHT")}}),
                 I(want, {2, 3, 3}));
}

TEST(MatrixDiagTest, DiagPartDocExamples) {
  Tensor in =
      I({1, 2, 3, 4, 5, 6, 7, 8, 9, 8, 7, 6, 5, 4, 3, 2, 1, 2, 3, 4, 5, 6, 7, 8}, {2, 3, 4});
  ExpectTensorEq(RunOne("MatrixDiagPart", {in}), I({1, 6, 7, 5, 2, 7}, {2, 3}));
  ExpectTensorEq(RunOne("MatrixDiagPartV3", {in, Sc(1), Sc(0)}), I({2, 7, 6, 4, 3, 8}, {2, 3}));
  ExpectTensorEq(
      RunOne("MatrixDiagPartV3", {in, I({-1, 2}), Sc(0)}),
      I({0, 3, 8, 2, 7, 6, 1, 6, 7, 5, 8, 0, 0, 3, 4, 4, 3, 8, 5, 2, 7, 1, 6, 0}, {2, 4, 3}));
  EXPECT_THAT(RunError("MatrixDiagPartV3", {in, I({2, -1}), Sc(0)}),
              HasSubstr("lower_diag_index must not be larger than upper_diag_index: 2 > -1"));
  // TF checks the lower index first (a scalar k is both).
  EXPECT_THAT(RunError("MatrixDiagPartV3", {in, Sc(5), Sc(0)}),
              HasSubstr("lower_diag_index is out of bound: 5"));
  EXPECT_THAT(RunError("MatrixDiagPartV3", {in, I({0, 5}), Sc(0)}),
              HasSubstr("upper_diag_index is out of bound: 5"));
  EXPECT_THAT(RunError("MatrixDiagPart", {I({1, 2})}), HasSubstr("at least 2-dim"));
}

TEST(MatrixDiagTest, SetDiag) {
  Tensor in = I({7, 7, 7, 7, 7, 7}, {2, 3});
  ExpectTensorEq(RunOne("MatrixSetDiag", {in, I({1, 2})}), I({1, 7, 7, 7, 2, 7}, {2, 3}));
  // Super- and main diagonal (both of length 2 in a 2x3 matrix).
  ExpectTensorEq(RunOne("MatrixSetDiagV3", {in, I({4, 5, 1, 2}, {2, 2}), I({0, 1})}),
                 I({1, 4, 7, 7, 2, 5}, {2, 3}));
  // k = -1 in a 3x2 matrix under RIGHT_LEFT: the subdiagonal is left-aligned.
  ExpectTensorEq(RunOne("MatrixSetDiagV3", {I({0, 0, 0, 0, 0, 0}, {3, 2}), I({8, 9}), Sc(-1)}),
                 I({0, 0, 8, 0, 0, 9}, {3, 2}));
  EXPECT_THAT(RunError("MatrixSetDiag", {in, I({1, 2, 3})}),
              HasSubstr("diagonal must have shape [2]"));
}

TEST(MatrixBandPartTest, DocExample) {
  Tensor in = I({0, 1, 2, 3, -1, 0, 1, 2, -2, -1, 0, 1, -3, -2, -1, 0}, {4, 4});
  ExpectTensorEq(RunOne("MatrixBandPart", {in, Sc(1), Sc(-1)}),
                 I({0, 1, 2, 3, -1, 0, 1, 2, 0, -1, 0, 1, 0, 0, -1, 0}, {4, 4}));
  ExpectTensorEq(RunOne("MatrixBandPart", {in, Sc(2), Sc(1)}),
                 I({0, 1, 0, 0, -1, 0, 1, 0, -2, -1, 0, 1, 0, -2, -1, 0}, {4, 4}));
  ExpectTensorEq(RunOne("MatrixBandPart", {in, Sc(0), Sc(0)}),
                 I({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {4, 4}));
  EXPECT_THAT(
      RunError("MatrixBandPart", {in, Sc(5), Sc(0)}),
      HasSubstr("num_lower must be negative or less or equal to number of rows (4) got: 5"));
}

// ---- Roll / Reverse / ReverseSequence ----

TEST(RollTest, DocExamples) {
  ExpectTensorEq(RunOne("Roll", {I({0, 1, 2, 3, 4}), Sc(2), Sc(0)}), I({3, 4, 0, 1, 2}));
  Tensor m = I({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {2, 5});
  ExpectTensorEq(RunOne("Roll", {m, I({1, -2}), I({0, 1})}),
                 I({7, 8, 9, 5, 6, 2, 3, 4, 0, 1}, {2, 5}));
  ExpectTensorEq(RunOne("Roll", {m, I({2, -3}), I({1, 1})}),
                 I({1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 5}));
  ExpectTensorEq(RunOne("Roll", {I({}, {0}), Sc(3), Sc(0)}), I({}, {0}));
  EXPECT_THAT(RunError("Roll", {m, Sc(1), Sc(2)}), HasSubstr("axis 2 is out of range"));
  EXPECT_THAT(RunError("Roll", {m, I({1, 2}), Sc(0)}),
              HasSubstr("shift and axis must have the same size"));
}

TEST(ReverseTest, BoolDims) {
  ExpectTensorEq(
      RunOne("Reverse", {I({1, 2, 3, 4}, {2, 2}), Tensor::FromVector<bool>({false, true})}),
      I({2, 1, 4, 3}, {2, 2}));
  EXPECT_THAT(RunError("Reverse", {I({1, 2}), Tensor::FromVector<bool>({true, true})}),
              HasSubstr("'dims' must have the same number of values as 'input' has dimensions"));
}

TEST(ReverseSequenceTest, PerBatchLengths) {
  ExpectTensorEq(RunOne("ReverseSequence", {I({1, 2, 3, 4, 5, 6, 7, 8}, {2, 4}), I({3, 0})},
                        {{"seq_dim", AttrI(1)}}),
                 I({3, 2, 1, 4, 5, 6, 7, 8}, {2, 4}));
  ExpectTensorEq(RunOne("ReverseSequence",
                        {I({1, 2, 3, 4, 5, 6}, {3, 2}), Tensor::FromVector<int64_t>({2, 3})},
                        {{"seq_dim", AttrI(0)}, {"batch_dim", AttrI(1)}}),
                 I({3, 6, 1, 4, 5, 2}, {3, 2}));
  EXPECT_THAT(
      RunError("ReverseSequence", {I({1, 2, 3, 4}, {2, 2}), I({3, 0})}, {{"seq_dim", AttrI(1)}}),
      HasSubstr("seq_lens(0) > input.dims(1)"));
  EXPECT_THAT(
      RunError("ReverseSequence", {I({1, 2, 3, 4}, {2, 2}), I({1, 1})}, {{"seq_dim", AttrI(0)}}),
      HasSubstr("seq_dim == batch_dim == 0"));
}

// ---- LinSpace / Fingerprint ----

TEST(LinSpaceTest, EndpointsIncluded) {
  ExpectTensorNear(
      RunOne("LinSpace", {Tensor::Scalar<float>(10), Tensor::Scalar<float>(12), Sc(3)}),
      F({10, 11, 12}, {3}));
  ExpectTensorEq(RunOne("LinSpace", {Tensor::Scalar<double>(1), Tensor::Scalar<double>(0),
                                     Tensor::Scalar<int64_t>(1)}),
                 Tensor::FromVector<double>({1}));
  Tensor t = RunOne("LinSpace", {Tensor::Scalar<float>(0), Tensor::Scalar<float>(0.3f), Sc(4)});
  EXPECT_EQ(t.data<float>()[3], 0.3f);  // the last value is exactly stop
  EXPECT_THAT(RunError("LinSpace", {Tensor::Scalar<float>(0), Tensor::Scalar<float>(1), Sc(0)}),
              HasSubstr("Requires num > 0: 0"));
}

TEST(FingerprintTest, FarmHash64LittleEndian) {
  Tensor m = Tensor::StringScalar("farmhash64");
  // Fingerprint64("a") = 0xb3454265b6df75e3.
  Tensor want =
      Tensor::FromVector<uint8_t>({0xe3, 0x75, 0xdf, 0xb6, 0x65, 0x42, 0x45, 0xb3}, {1, 8});
  ExpectTensorEq(RunOne("Fingerprint", {Tensor::FromVector<std::string>({"a"}), m}), want);
  // A numeric row hashes its bytes: uint8 'a' is the same as the string "a".
  ExpectTensorEq(RunOne("Fingerprint", {Tensor::FromVector<uint8_t>({97}, {1, 1}), m}), want);
  // Rows of several strings hash the concatenated per-string fingerprints.
  Tensor two = RunOne("Fingerprint", {Tensor::FromVector<std::string>({"a", "a"}, {1, 2}), m});
  std::vector<uint8_t> cat(16);
  for (int i = 0; i < 16; ++i) cat[i] = want.data<uint8_t>()[i % 8];
  ExpectTensorEq(two, RunOne("Fingerprint", {Tensor::FromVector<uint8_t>(cat, {1, 16}), m}));
  EXPECT_THAT(RunError("Fingerprint", {I({1}), Tensor::StringScalar("md5")}),
              HasSubstr("Unsupported fingerprint method: md5"));
  EXPECT_THAT(RunError("Fingerprint", {Sc(1), m}), HasSubstr("at least one dimension"));
}

// ---- gradient shape helpers ----

TEST(GradShapeTest, BroadcastGradientArgs) {
  auto run = [](std::vector<int32_t> a, std::vector<int32_t> b) {
    auto r = testing::RunKernel("BroadcastGradientArgs", {I(a), I(b)});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : std::vector<Tensor>(2);
  };
  auto r = run({2, 3}, {3});
  ExpectTensorEq(r[0], I({}));
  ExpectTensorEq(r[1], I({0}));
  r = run({2, 1, 3}, {1, 4, 1});
  ExpectTensorEq(r[0], I({1}));
  ExpectTensorEq(r[1], I({0, 2}));
  r = run({1, 1}, {1});  // dims that are 1 on both sides reduce on both
  ExpectTensorEq(r[0], I({0, 1}));
  ExpectTensorEq(r[1], I({0, 1}));
  r = run({1, 1}, {1, 1});  // identical shapes: nothing to reduce
  ExpectTensorEq(r[0], I({}));
  EXPECT_THAT(RunError("BroadcastGradientArgs", {I({2}), I({3})}),
              HasSubstr("Incompatible shapes: [2] vs. [3]"));
}

TEST(GradShapeTest, ConcatOffsetDocExample) {
  auto r = testing::RunKernel("ConcatOffset", {Sc(1), I({2, 2, 7}), I({2, 3, 7}), I({2, 5, 7})});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectTensorEq((*r)[0], I({0, 0, 0}));
  ExpectTensorEq((*r)[1], I({0, 2, 0}));
  ExpectTensorEq((*r)[2], I({0, 5, 0}));
  EXPECT_THAT(RunError("ConcatOffset", {Sc(1), I({2, 2}), I({3, 2})}),
              HasSubstr("All dimensions except 1 must match"));
  EXPECT_THAT(RunError("ConcatOffset", {Sc(2), I({2, 2})}),
              HasSubstr("Concat dim is out of range"));
}

}  // namespace
}  // namespace tfmodel::runtime
