// Tests for bitwise_ops.cc, special_math.cc, scan_ops.cc and linalg_ops.cc. Reference
// values: closed forms (lgamma(5) = log 24, igamma(1, x) = 1 - e^-x, zeta(2, 1) = pi^2/6,
// ...), hand-computed 2x2 algebra, and TF's documented shift/bitcast rules.
#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrB;
using testing::AttrType;
using testing::ExpectTensorEq;
using testing::ExpectTensorNear;
using ::testing::HasSubstr;
using testing::RunError;
using testing::RunKernel;
using testing::RunOne;

constexpr float kInf = std::numeric_limits<float>::infinity();

Tensor F(std::vector<float> v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor F(std::vector<float> v) { return Tensor::FromVector(v); }
Tensor D(std::vector<double> v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor I(std::vector<int32_t> v) { return Tensor::FromVector(v); }
template <typename T>
Tensor V(std::vector<T> v) {
  return Tensor::FromVector(v);
}

// ---- bitwise ----

TEST(BitwiseTest, AndOrXorBroadcast) {
  ExpectTensorEq(RunOne("BitwiseAnd", {I({12, 10}), I({10, 6})}), I({8, 2}));
  ExpectTensorEq(RunOne("BitwiseOr", {I({12, 10}), I({10, 6})}), I({14, 14}));
  ExpectTensorEq(RunOne("BitwiseXor", {I({12, 10}), Tensor::Scalar<int32_t>(6)}), I({10, 12}));
  EXPECT_THAT(RunError("BitwiseAnd", {F({1}), F({1})}), HasSubstr("unsupported dtype float"));
  EXPECT_THAT(RunError("BitwiseAnd", {I({1, 2}), I({1, 2, 3})}), HasSubstr("Incompatible shapes"));
}

TEST(BitwiseTest, ShiftsClampTheAmount) {
  ExpectTensorEq(RunOne("LeftShift", {V<int8_t>({1, 1, 3}), V<int8_t>({7, 10, -2})}),
                 V<int8_t>({-128, -128, 3}));
  ExpectTensorEq(RunOne("RightShift", {V<int8_t>({-8, -8, 64}), V<int8_t>({1, 100, -1})}),
                 V<int8_t>({-4, -1, 64}));
  ExpectTensorEq(RunOne("RightShift", {V<uint8_t>({255}), V<uint8_t>({20})}), V<uint8_t>({1}));
  ExpectTensorEq(RunOne("LeftShift", {V<int64_t>({1}), V<int64_t>({40})}),
                 V<int64_t>({int64_t{1} << 40}));
}

TEST(BitwiseTest, InvertAndPopulationCount) {
  ExpectTensorEq(RunOne("Invert", {V<uint8_t>({0, 15})}), V<uint8_t>({255, 240}));
  ExpectTensorEq(RunOne("Invert", {I({0, -1})}), I({-1, 0}));
  ExpectTensorEq(RunOne("PopulationCount", {I({-1, 7, 0})}), V<uint8_t>({32, 3, 0}));
  ExpectTensorEq(RunOne("PopulationCount", {V<int8_t>({-1})}), V<uint8_t>({8}));
}

TEST(BitcastTest, ShapesFollowTheSizeRatio) {
  ExpectTensorEq(RunOne("Bitcast", {F({1.0f})}, {{"type", AttrType(DType::kInt32)}}),
                 I({1065353216}));
  Tensor bytes = RunOne("Bitcast", {F({1.0f, 2.0f})}, {{"type", AttrType(DType::kUInt8)}});
  EXPECT_EQ(bytes.shape(), (TensorShape{2, 4}));
  EXPECT_EQ(bytes.data<uint8_t>()[3], 0x3f);
  ExpectTensorEq(RunOne("Bitcast", {Tensor::FromVector<int32_t>({1, 2}, {1, 2})},
                        {{"type", AttrType(DType::kInt64)}}),
                 V<int64_t>({(int64_t{2} << 32) | 1}));
  EXPECT_THAT(RunError("Bitcast", {I({1, 2, 3})}, {{"type", AttrType(DType::kInt64)}}),
              HasSubstr("Cannot bitcast from int32 to int64"));
  EXPECT_THAT(RunError("Bitcast", {I({1})}, {{"type", AttrType(DType::kString)}}),
              HasSubstr("Cannot bitcast to string"));
}

// ---- special functions ----

TEST(SpecialMathTest, UnaryClosedForms) {
  ExpectTensorNear(RunOne("Lgamma", {F({5.0f, 1.0f})}), F({std::log(24.0f), 0.0f}), 1e-5);
  ExpectTensorNear(RunOne("Digamma", {F({1.0f})}), F({-0.5772157f}), 1e-6);
  ExpectTensorNear(RunOne("Erfinv", {F({0.5f, 0.0f})}), F({0.4769363f, 0.0f}), 1e-6);
  ExpectTensorNear(RunOne("Ndtri", {D({0.975}, {1})}), D({1.959963984540054}, {1}), 1e-12);
  ExpectTensorNear(RunOne("BesselI0e", {F({0.0f})}), F({1.0f}));
  ExpectTensorNear(RunOne("BesselI1e", {F({0.0f})}), F({0.0f}));
  ExpectTensorNear(RunOne("BesselJ0", {F({0.0f})}), F({1.0f}));
  EXPECT_THAT(RunError("Lgamma", {I({1})}), HasSubstr("unsupported dtype int32"));
}

TEST(SpecialMathTest, BinaryAndTernary) {
  ExpectTensorNear(RunOne("Igamma", {F({1.0f}), F({1.0f})}), F({1.0f - std::exp(-1.0f)}), 1e-6);
  ExpectTensorNear(RunOne("Igammac", {F({1.0f}), F({1.0f})}), F({std::exp(-1.0f)}), 1e-6);
  ExpectTensorNear(RunOne("Zeta", {D({2.0}, {1}), D({1.0}, {1})}), D({M_PI * M_PI / 6}, {1}),
                   1e-12);
  ExpectTensorNear(RunOne("Polygamma", {F({0.0f}), F({1.0f})}), F({-0.5772157f}), 1e-6);
  ExpectTensorNear(RunOne("Betainc", {F({1.0f}), F({1.0f}), F({0.3f})}), F({0.3f}), 1e-6);
}

TEST(SpecialMathTest, XlogyFamilyIsZeroWhereXIsZero) {
  const float e = std::exp(1.0f);
  ExpectTensorNear(RunOne("Xlogy", {F({0, 2, 0}), F({0, e, std::nanf("")})}), F({0, 2, 0}), 1e-6);
  ExpectTensorNear(RunOne("Xdivy", {F({0, 1}), F({0, 2})}), F({0, 0.5f}));
  ExpectTensorNear(RunOne("Xlog1py", {F({0, 1}), F({-1, e - 1})}), F({0, 1}), 1e-6);
  // Broadcasting [2, 1] x [2].
  ExpectTensorNear(RunOne("Xlogy", {F({0, 1}, {2, 1}), F({1, e})}), F({0, 0, 0, 1}, {2, 2}), 1e-6);
  Tensor c = RunOne("Xlogy", {V<complex64>({{2, 0}}), V<complex64>({{1, 0}})});
  EXPECT_EQ(c.data<complex64>()[0], complex64(0, 0));
  EXPECT_THAT(RunError("Xlogy", {F({1}), D({1}, {1})}), HasSubstr("same dtype"));
}

TEST(SpecialMathTest, InverseHyperbolic) {
  ExpectTensorNear(RunOne("Atanh", {F({0.5f, 0.0f})}), F({0.5493061f, 0.0f}), 1e-6);
  ExpectTensorNear(RunOne("Asinh", {F({1.0f})}), F({0.8813736f}), 1e-6);
  ExpectTensorNear(RunOne("Acosh", {F({2.0f})}), F({1.3169579f}), 1e-6);
}

TEST(ReductionTest, ComplexSumMeanProd) {
  Tensor c = V<complex64>({{1, 2}, {3, -1}});
  Tensor axis = Tensor::Scalar<int32_t>(0);
  EXPECT_EQ(RunOne("Sum", {c, axis}).data<complex64>()[0], complex64(4, 1));
  EXPECT_EQ(RunOne("Mean", {c, axis}).data<complex64>()[0], complex64(2, 0.5f));
  EXPECT_EQ(RunOne("Prod", {c, axis}).data<complex64>()[0], complex64(5, 5));
  EXPECT_THAT(RunError("Max", {c, axis}), HasSubstr("unsupported dtype complex64"));
}

TEST(MatMulComplexTest, AdjointConjugatesTransposeDoesNot) {
  Tensor x = Tensor::FromVector<complex64>({{1, 1}}, {1, 1});
  Tensor y = Tensor::FromVector<complex64>({{2, 0}}, {1, 1});
  EXPECT_EQ(RunOne("BatchMatMulV2", {x, y}, {{"adj_x", AttrB(true)}}).data<complex64>()[0],
            complex64(2, -2));
  EXPECT_EQ(RunOne("MatMul", {x, y}, {{"transpose_a", AttrB(true)}}).data<complex64>()[0],
            complex64(2, 2));
}

// ---- scans ----

TEST(ScanOpsTest, CumulativeLogsumexp) {
  const float l2 = std::log(2.0f);
  Tensor x = F({0, 0});
  Tensor axis = Tensor::Scalar<int32_t>(0);
  ExpectTensorNear(RunOne("CumulativeLogsumexp", {x, axis}), F({0, l2}), 1e-6);
  ExpectTensorNear(RunOne("CumulativeLogsumexp", {x, axis}, {{"exclusive", AttrB(true)}}),
                   F({-kInf, 0}));
  ExpectTensorNear(RunOne("CumulativeLogsumexp", {x, axis}, {{"reverse", AttrB(true)}}), F({l2, 0}),
                   1e-6);
  ExpectTensorNear(RunOne("CumulativeLogsumexp", {F({-kInf, 1000}), axis}), F({-kInf, 1000}));
  EXPECT_THAT(RunError("CumulativeLogsumexp", {I({1}), axis}), HasSubstr("unsupported dtype"));
}

TEST(ScanOpsTest, CumsumComplexAndAxisChecks) {
  Tensor c = RunOne("Cumsum", {V<complex64>({{1, 1}, {2, -1}}), Tensor::Scalar<int32_t>(0)});
  EXPECT_EQ(c.data<complex64>()[1], complex64(3, 0));
  EXPECT_THAT(RunError("Cumsum", {F({1}), I({0})}), HasSubstr("axis must be a scalar"));
  EXPECT_THAT(RunError("Cumsum", {F({1}), Tensor::Scalar<int32_t>(1)}),
              HasSubstr("Expected scan axis in the range [-1, 1), but got 1"));
}

// ---- linear algebra ----

TEST(LinalgTest, InverseAndDeterminant) {
  Tensor a = F({4, 7, 2, 6}, {2, 2});
  ExpectTensorNear(RunOne("MatrixInverse", {a}), F({0.6f, -0.7f, -0.2f, 0.4f}, {2, 2}), 1e-6);
  ExpectTensorNear(RunOne("MatrixInverse", {a}, {{"adjoint", AttrB(true)}}),
                   F({0.6f, -0.2f, -0.7f, 0.4f}, {2, 2}), 1e-6);
  EXPECT_THAT(RunError("MatrixInverse", {F({1, 2, 2, 4}, {2, 2})}),
              HasSubstr("Input is not invertible."));
  EXPECT_THAT(RunError("MatrixInverse", {F({1, 2}, {1, 2})}), HasSubstr("must be square"));
  ExpectTensorNear(RunOne("MatrixDeterminant", {a}), F({10}, {}), 1e-5);
  ExpectTensorNear(RunOne("MatrixDeterminant", {F({}, {3, 0, 0})}), F({1, 1, 1}, {3}));
  auto r = RunKernel("LogMatrixDeterminant", {F({0, 1, 1, 0, 1, 2, 2, 4}, {2, 2, 2})});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectTensorNear((*r)[0], F({-1, 0}, {2}));
  ExpectTensorNear((*r)[1], F({0, -kInf}, {2}));
}

TEST(LinalgTest, CholeskyReadsTheLowerTriangle) {
  ExpectTensorNear(RunOne("Cholesky", {F({4, 999, 2, 5}, {2, 2})}), F({2, 0, 1, 2}, {2, 2}), 1e-6);
  EXPECT_THAT(RunError("Cholesky", {F({1, 2, 2, 1}, {2, 2})}),
              HasSubstr("Cholesky decomposition was not successful"));
}

TEST(LinalgTest, QrFactorsAndFollowsHouseholderSigns) {
  auto r = RunKernel("Qr", {F({3, 4}, {2, 1})});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectTensorNear((*r)[0], F({-0.6f, -0.8f}, {2, 1}), 1e-6);
  ExpectTensorNear((*r)[1], F({-5}, {1, 1}), 1e-6);
  r = RunKernel("Qr", {F({1, 2, 3, 4, 5, 6}, {3, 2})}, {{"full_matrices", AttrB(true)}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].shape(), (TensorShape{3, 3}));
  EXPECT_EQ((*r)[1].shape(), (TensorShape{3, 2}));
  // Q R reproduces the input; R is upper triangular.
  Tensor qr = RunOne("MatMul", {(*r)[0], (*r)[1]});
  ExpectTensorNear(qr, F({1, 2, 3, 4, 5, 6}, {3, 2}), 1e-5);
  EXPECT_NEAR((*r)[1].data<float>()[2], 0.0f, 1e-6);
  EXPECT_NEAR((*r)[1].data<float>()[4], 0.0f, 1e-6);
}

TEST(LinalgTest, Solves) {
  ExpectTensorNear(RunOne("MatrixSolve", {F({2, 0, 0, 4}, {2, 2}), F({2, 8}, {2, 1})}),
                   F({1, 2}, {2, 1}), 1e-6);
  EXPECT_THAT(RunError("MatrixSolve", {F({1, 1, 1, 1}, {2, 2}), F({1, 1}, {2, 1})}),
              HasSubstr("not invertible"));
  Tensor m = F({2, 0, 1, 1}, {2, 2});
  ExpectTensorNear(RunOne("MatrixTriangularSolve", {m, F({2, 3}, {2, 1})}), F({1, 2}, {2, 1}),
                   1e-6);
  // Upper: only [[2, 0], [., 1]] is read.
  ExpectTensorNear(
      RunOne("MatrixTriangularSolve", {m, F({2, 3}, {2, 1})}, {{"lower", AttrB(false)}}),
      F({1, 3}, {2, 1}), 1e-6);
  // Batch dims broadcast: one matrix, two right-hand sides.
  ExpectTensorNear(RunOne("MatrixTriangularSolve", {m, F({2, 3, 4, 6}, {2, 2, 1})}),
                   F({1, 2, 2, 4}, {2, 2, 1}), 1e-6);
  EXPECT_THAT(RunError("MatrixSolve", {m, F({1, 2, 3}, {3, 1})}), HasSubstr("same number of rows"));
}

TEST(LinalgTest, EigenAndSingularValues) {
  auto r = RunKernel("SelfAdjointEigV2", {F({2, 1, 1, 2}, {2, 2})});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectTensorNear((*r)[0], F({1, 3}), 1e-6);
  // A v = lambda v for the second eigenpair.
  const float* v = (*r)[1].data<float>();
  EXPECT_NEAR(2 * v[1] + 1 * v[3], 3 * v[1], 1e-5);
  r = RunKernel("Svd", {F({3, 0, 0, -2}, {2, 2})}, {{"compute_uv", AttrB(false)}});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectTensorNear((*r)[0], F({3, 2}), 1e-6);
}

}  // namespace
}  // namespace tfmodel::runtime
