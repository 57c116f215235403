// The TF-op lowering functions, one section per tflite/convert/<family>.cc. The table in
// lowering_table.cc maps TF op names to them.
#ifndef TFMODEL_TFLITE_CONVERT_LOWERINGS_H_
#define TFMODEL_TFLITE_CONVERT_LOWERINGS_H_

#include "absl/status/status.h"
#include "tensorflow/core/framework/node_def.pb.h"
#include "tflite/convert/lowering.h"

namespace tfmodel::tflite {

// arithmetic.cc
absl::Status LowerElementwise(Lowering& l, const tensorflow::NodeDef& n);  // shared table
absl::Status LowerRelu(Lowering& l, const tensorflow::NodeDef& n);         // Relu, Relu6
absl::Status LowerAdd(Lowering& l, const tensorflow::NodeDef& n);          // BiasAdd*, Add, AddV2
absl::Status LowerSubMulDiv(Lowering& l, const tensorflow::NodeDef& n);
absl::Status LowerSoftmax(Lowering& l, const tensorflow::NodeDef& n);

// conv.cc
absl::Status LowerMatMul(Lowering& l, const tensorflow::NodeDef& n);  // MatMul, BatchMatMul*
absl::Status LowerConv2D(Lowering& l, const tensorflow::NodeDef& n);  // + DepthwiseConv2dNative
absl::Status LowerFusedBatchNorm(Lowering& l, const tensorflow::NodeDef& n);
absl::Status LowerPool(Lowering& l, const tensorflow::NodeDef& n);  // MaxPool, AvgPool

// shape_ops.cc
absl::Status LowerReshape(Lowering& l, const tensorflow::NodeDef& n);
absl::Status LowerSqueeze(Lowering& l, const tensorflow::NodeDef& n);
absl::Status LowerConcat(Lowering& l, const tensorflow::NodeDef& n);  // ConcatV2, Concat
absl::Status LowerPad(Lowering& l, const tensorflow::NodeDef& n);     // Pad, PadV2
absl::Status LowerStridedSlice(Lowering& l, const tensorflow::NodeDef& n);
// Transpose ExpandDims Tile Slice Fill SplitV GatherNd Select SelectV2
absl::Status LowerDirect(Lowering& l, const tensorflow::NodeDef& n);
absl::Status LowerShape(Lowering& l, const tensorflow::NodeDef& n);
absl::Status LowerCast(Lowering& l, const tensorflow::NodeDef& n);
absl::Status LowerGather(Lowering& l, const tensorflow::NodeDef& n);  // Gather, GatherV2
absl::Status LowerSplit(Lowering& l, const tensorflow::NodeDef& n);
absl::Status LowerPack(Lowering& l, const tensorflow::NodeDef& n);
absl::Status LowerUnpack(Lowering& l, const tensorflow::NodeDef& n);

// reduce.cc
absl::Status LowerReduce(Lowering& l, const tensorflow::NodeDef& n);
absl::Status LowerRandom(Lowering& l, const tensorflow::NodeDef& n);

// custom.cc: any op, as a custom operator holding its NodeDef (--allow_custom_ops).
absl::Status LowerAsCustomOp(Lowering& l, const tensorflow::NodeDef& n);

}  // namespace tfmodel::tflite

#endif  // TFMODEL_TFLITE_CONVERT_LOWERINGS_H_
