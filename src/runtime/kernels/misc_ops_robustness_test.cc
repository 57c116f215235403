// Bad-input sweep for the kernels of the general-purpose op families (assert_ops,
// bitwise_ops, conv3d, einsum, fake_quant, fused_ops, linalg_*, matrix_diag_ops, scan_ops,
// segment_ops, scatter_ops, set_ops, sort_ops, special_math, stitch_ops, ...): every op
// is built and run on many combinations of ill-fitting inputs (wrong dtypes, ranks and
// counts, empty tensors, negative and huge scalars) with and without plausible attrs.
// Each run must return, OK or an error; a crash, hang or (under the sanitizers) a memory
// error fails the test binary. Results are not checked here: the per-family tests do that.
// SWEEP_TRACE=1 in the environment prints each case before running it (to find the one
// that crashed).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "kernel_test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrB;
using testing::AttrF;
using testing::AttrI;
using testing::AttrIList;
using testing::AttrS;
using testing::Attrs;
using testing::AttrShape;
using testing::AttrSList;
using testing::AttrType;
using testing::RunKernel;

const char* const kOps[] = {"Acosh",
                            "Asinh",
                            "Assert",
                            "Atanh",
                            "AvgPool3D",
                            "BesselI0",
                            "BesselI0e",
                            "BesselI1",
                            "BesselI1e",
                            "BesselJ0",
                            "BesselJ1",
                            "BesselK0",
                            "BesselK0e",
                            "BesselK1",
                            "BesselK1e",
                            "BesselY0",
                            "BesselY1",
                            "Betainc",
                            "Bitcast",
                            "BitwiseAnd",
                            "BitwiseOr",
                            "BitwiseXor",
                            "BroadcastGradientArgs",
                            "CheckNumerics",
                            "CheckNumericsV2",
                            "Cholesky",
                            "ConcatOffset",
                            "Conv3D",
                            "Conv3DBackpropInputV2",
                            "Cumprod",
                            "Cumsum",
                            "CumulativeLogsumexp",
                            "DataFormatDimMap",
                            "DataFormatVecPermute",
                            "DebugIdentity",
                            "DebugIdentityV2",
                            "DebugIdentityV3",
                            "DebugNanCount",
                            "Digamma",
                            "Dilation2D",
                            "DynamicPartition",
                            "DynamicStitch",
                            "Einsum",
                            "EnsureShape",
                            "Erfinv",
                            "FakeQuantWithMinMaxArgs",
                            "FakeQuantWithMinMaxVars",
                            "FakeQuantWithMinMaxVarsPerChannel",
                            "Fingerprint",
                            "FusedPadConv2D",
                            "FusedResizeAndPadConv2D",
                            "GuaranteeConst",
                            "Igamma",
                            "Igammac",
                            "InTopK",
                            "InTopKV2",
                            "Invert",
                            "LRN",
                            "LeftShift",
                            "Lgamma",
                            "LinSpace",
                            "ListDiff",
                            "LogMatrixDeterminant",
                            "MatrixBandPart",
                            "MatrixDeterminant",
                            "MatrixDiag",
                            "MatrixDiagPart",
                            "MatrixDiagPartV2",
                            "MatrixDiagPartV3",
                            "MatrixDiagV2",
                            "MatrixDiagV3",
                            "MatrixInverse",
                            "MatrixSetDiag",
                            "MatrixSetDiagV2",
                            "MatrixSetDiagV3",
                            "MatrixSolve",
                            "MatrixTriangularSolve",
                            "MaxPool3D",
                            "Ndtri",
                            "NthElement",
                            "ParallelDynamicStitch",
                            "Polygamma",
                            "PopulationCount",
                            "Print",
                            "PrintV2",
                            "Qr",
                            "QuantizeAndDequantize",
                            "QuantizeAndDequantizeV2",
                            "QuantizeAndDequantizeV3",
                            "QuantizeAndDequantizeV4",
                            "Reverse",
                            "ReverseSequence",
                            "RightShift",
                            "Roll",
                            "ScatterNd",
                            "ScatterNdNonAliasingAdd",
                            "SegmentMax",
                            "SegmentMean",
                            "SegmentMin",
                            "SegmentProd",
                            "SegmentSum",
                            "SelfAdjointEigV2",
                            "SoftmaxCrossEntropyWithLogits",
                            "SparseSoftmax",
                            "SparseSoftmaxCrossEntropyWithLogits",
                            "StringFormat",
                            "Svd",
                            "TensorScatterAdd",
                            "TensorScatterMax",
                            "TensorScatterMin",
                            "TensorScatterSub",
                            "TensorScatterUpdate",
                            "Timestamp",
                            "Unique",
                            "UniqueV2",
                            "UniqueWithCounts",
                            "UniqueWithCountsV2",
                            "UnsortedSegmentMax",
                            "UnsortedSegmentMin",
                            "UnsortedSegmentProd",
                            "UnsortedSegmentSum",
                            "Xdivy",
                            "Xlog1py",
                            "Xlogy",
                            "Zeta",
                            "_FusedBatchNormEx",
                            "_FusedConv2D",
                            "_FusedDepthwiseConv2dNative",
                            "_FusedMatMul"};

// Inputs that fit almost nothing.
std::vector<Tensor> Kinds() {
  return {
      Tensor::Scalar<float>(1.5f),
      Tensor::FromVector<float>({}, TensorShape{0}),
      Tensor::FromVector<float>({1, -2, 3, 0.5f, -0.25f, 6}, {2, 3}),
      Tensor::Scalar<int32_t>(-1),
      Tensor::FromVector<int32_t>({5, -7}, {2}),
      Tensor::Scalar<int64_t>(-(int64_t{1} << 40)),
      Tensor::Scalar<bool>(true),
      Tensor::StringScalar("a"),
      Tensor::FromVector<float>({1, 2, 3, 4, 5, 6, 7, 8}, {1, 2, 2, 2, 1}),
      Tensor::FromVector<int32_t>({0, 1, 1, 0}, {2, 2}),
      Tensor::FromVector<float>({4, 2, 2, 3}, {2, 2}),
      Tensor::FromVector<int32_t>({}, TensorShape{0}),
      Tensor::FromVector<int64_t>({2, 0, 3}, {3}),
      Tensor::FromVector<double>({1, 0, 0, 1}, {1, 2, 2}),
      Tensor::FromVector<float>({}, TensorShape{2, 0, 3}),
  };
}

// Attrs that let most factories succeed, so that Compute sees the bad inputs.
Attrs PlausibleAttrs(const std::string& op) {
  Attrs a;
  const bool three_d = op.find("3D") != std::string::npos;
  a["strides"] =
      AttrIList(three_d ? std::vector<int64_t>{1, 1, 1, 1, 1} : std::vector<int64_t>{1, 1, 1, 1});
  a["ksize"] = AttrIList({1, 1, 1, 1, 1});
  a["rates"] = AttrIList({1, 1, 1, 1});
  a["padding"] = AttrS("SAME");
  a["num_partitions"] = AttrI(2);
  a["fused_ops"] = AttrSList({"BiasAdd", "Relu"});
  a["num_args"] = AttrI(1);
  a["equation"] = AttrS("ij,jk->ik");
  a["shape"] = AttrShape(PartialShape({2, -1}));
  a["type"] = AttrType(DType::kUInt8);
  a["T"] = AttrType(DType::kFloat);
  a["template"] = AttrS("x=%s y=%s");
  a["message"] = AttrS("m");
  a["num_bits"] = AttrI(8);
  a["range_given"] = AttrB(true);
  a["axis"] = AttrI(-1);
  a["min"] = AttrF(-1);
  a["max"] = AttrF(1);
  a["src_format"] = AttrS("NHWC");
  a["dst_format"] = AttrS("NCHW");
  a["mode"] = AttrS("REFLECT");
  a["seq_dim"] = AttrI(1);
  a["batch_dim"] = AttrI(0);
  a["k"] = AttrI(1);
  a["summarize"] = AttrI(-1);
  a["num_side_inputs"] = AttrI(1);
  a["activation_mode"] = AttrS("Relu");
  a["compute_uv"] = AttrB(true);
  a["full_matrices"] = AttrB(true);
  a["lower"] = AttrB(false);
  a["adjoint"] = AttrB(true);
  return a;
}

void Run(const std::string& op, const std::vector<Tensor>& in, const Attrs& attrs) {
  if (std::getenv("SWEEP_TRACE")) {
    std::string d;
    for (const Tensor& t : in) d += std::string(DTypeName(t.dtype())) + t.shape().ToString() + " ";
    std::fprintf(stderr, "%s attrs=%zu: %s\n", op.c_str(), attrs.size(), d.c_str());
  }
  (void)RunKernel(op, in, attrs);
}

void Sweep(const std::string& op, const Attrs& attrs) {
  const std::vector<Tensor> kinds = Kinds();
  const int n = static_cast<int>(kinds.size());
  Run(op, {}, attrs);
  for (int i = 0; i < n; ++i) {
    Run(op, {kinds[i]}, attrs);
    for (int j = 0; j < n; ++j) {
      Run(op, {kinds[i], kinds[j]}, attrs);
      for (int k = 0; k < n; ++k) Run(op, {kinds[i], kinds[j], kinds[k]}, attrs);
    }
    // Longer input lists (fused ops, V3 diagonals, batch norm): one kind repeated, and
    // the kind followed by scalars.
    for (int count = 4; count <= 6; ++count) {
      Run(op, std::vector<Tensor>(count, kinds[i]), attrs);
      std::vector<Tensor> mixed(count, kinds[3]);
      mixed[0] = kinds[i];
      Run(op, mixed, attrs);
    }
  }
}

class RobustnessTest : public ::testing::TestWithParam<const char*> {};

TEST_P(RobustnessTest, BadInputsReturn) {
  const std::string op = GetParam();
  Sweep(op, {});
  Sweep(op, PlausibleAttrs(op));
  SUCCEED();
}

INSTANTIATE_TEST_SUITE_P(MiscOps, RobustnessTest, ::testing::ValuesIn(kOps),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

}  // namespace
}  // namespace tfmodel::runtime
