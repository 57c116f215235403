// The flat table TF op name -> lowering function. Adding a lowering: write LowerX in
// tflite/convert/<family>.cc, declare it in lowerings.h, add its line here. TF ops that map
// one-to-one onto a builtin go in the shared element-wise table (tflite/elementwise.h).
#include <string_view>

#include "tflite/convert/lowerings.h"
#include "tflite/elementwise.h"

namespace tfmodel::tflite {
namespace {

struct LoweringEntry {
  std::string_view tf_op;
  LowerFn lower;
};

constexpr LoweringEntry kLowerings[] = {
    {"Relu", LowerRelu},
    {"Relu6", LowerRelu},
    {"BiasAdd", LowerAdd},
    {"BiasAddV1", LowerAdd},
    {"Add", LowerAdd},
    {"AddV2", LowerAdd},
    {"Sub", LowerSubMulDiv},
    {"Mul", LowerSubMulDiv},
    {"RealDiv", LowerSubMulDiv},
    {"Div", LowerSubMulDiv},
    {"Softmax", LowerSoftmax},
    {"MatMul", LowerMatMul},
    {"BatchMatMul", LowerMatMul},
    {"BatchMatMulV2", LowerMatMul},
    {"BatchMatMulV3", LowerMatMul},
    {"Conv2D", LowerConv2D},
    {"DepthwiseConv2dNative", LowerConv2D},
    {"FusedBatchNorm", LowerFusedBatchNorm},
    {"FusedBatchNormV2", LowerFusedBatchNorm},
    {"FusedBatchNormV3", LowerFusedBatchNorm},
    {"MaxPool", LowerPool},
    {"AvgPool", LowerPool},
    {"Reshape", LowerReshape},
    {"Squeeze", LowerSqueeze},
    {"ConcatV2", LowerConcat},
    {"Concat", LowerConcat},
    {"Mean", LowerReduce},
    {"Sum", LowerReduce},
    {"Max", LowerReduce},
    {"Min", LowerReduce},
    {"Prod", LowerReduce},
    {"Any", LowerReduce},
    {"All", LowerReduce},
    {"Pad", LowerPad},
    {"PadV2", LowerPad},
    {"StridedSlice", LowerStridedSlice},
    {"Transpose", LowerDirect},
    {"ExpandDims", LowerDirect},
    {"Tile", LowerDirect},
    {"Slice", LowerDirect},
    {"Fill", LowerDirect},
    {"SplitV", LowerDirect},
    {"GatherNd", LowerDirect},
    {"Select", LowerDirect},
    {"SelectV2", LowerDirect},
    {"Shape", LowerShape},
    {"Cast", LowerCast},
    {"GatherV2", LowerGather},
    {"Gather", LowerGather},
    {"Split", LowerSplit},
    {"Pack", LowerPack},
    {"Unpack", LowerUnpack},
    {"RandomUniform", LowerRandom},
    {"RandomStandardNormal", LowerRandom},
};

}  // namespace

LowerFn FindLowering(const std::string& op) {
  for (const auto& e : kLowerings) {
    if (e.tf_op == op) return e.lower;
  }
  if (FindTfLiteElementwise(absl::string_view(op))) return LowerElementwise;
  return nullptr;
}

}  // namespace tfmodel::tflite
