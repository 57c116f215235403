// Prepare and eval functions of the TFLite builtins, one section per tflite/ops/<family>.cc.
// They are wired to builtin codes by the table in tflite/op_registry.cc. Prepare functions
// returning TfSteps run with EvalTfSteps (tflite/tf_steps.h).
#ifndef TFMODEL_TFLITE_OPS_OPS_H_
#define TFMODEL_TFLITE_OPS_OPS_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "tflite/op_builder.h"
#include "tflite/op_registry.h"
#include "tflite/plan.h"

namespace tfmodel::tflite {

using PrepareResult = absl::StatusOr<std::shared_ptr<const OpState>>;

// elementwise.cc: the shared one-to-one table (tflite/elementwise.h); ADD SUB MUL DIV.
PrepareResult PrepareElementwise(OpBuilder& b);
PrepareResult PrepareBinaryArithmetic(OpBuilder& b);

// activations.cc
PrepareResult PrepareReluN1To1(OpBuilder& b);
PrepareResult PrepareLeakyRelu(OpBuilder& b);
PrepareResult PrepareSoftmax(OpBuilder& b);

// conv.cc (float): FULLY_CONNECTED, CONV_2D / DEPTHWISE_CONV_2D, BATCH_MATMUL.
PrepareResult PrepareFullyConnected(OpBuilder& b);
PrepareResult PrepareConv2D(OpBuilder& b);
PrepareResult PrepareBatchMatMul(OpBuilder& b);

// pooling.cc (float): MAX_POOL_2D, AVERAGE_POOL_2D.
PrepareResult PreparePool2D(OpBuilder& b);

// reshape.cc
PrepareResult PrepareReshape(OpBuilder& b);
PrepareResult PrepareSqueeze(OpBuilder& b);
PrepareResult PrepareExpandDims(OpBuilder& b);
PrepareResult PrepareShape(OpBuilder& b);
PrepareResult PrepareTranspose(OpBuilder& b);
PrepareResult PrepareCast(OpBuilder& b);

// indexing.cc
PrepareResult PrepareConcatenation(OpBuilder& b);
PrepareResult PreparePack(OpBuilder& b);
PrepareResult PrepareUnpack(OpBuilder& b);
PrepareResult PrepareSplit(OpBuilder& b);
PrepareResult PrepareSplitV(OpBuilder& b);
PrepareResult PrepareSlice(OpBuilder& b);
PrepareResult PrepareStridedSlice(OpBuilder& b);
PrepareResult PrepareGather(OpBuilder& b);
PrepareResult PrepareGatherNd(OpBuilder& b);
PrepareResult PreparePad(OpBuilder& b);  // PAD, PADV2
PrepareResult PrepareTile(OpBuilder& b);
PrepareResult PrepareFill(OpBuilder& b);
PrepareResult PrepareSelect(OpBuilder& b);  // SELECT, SELECT_V2

// reduce.cc
PrepareResult PrepareReduce(OpBuilder& b);  // MEAN SUM REDUCE_MAX/MIN/PROD/ANY/ALL
PrepareResult PrepareArgMinMax(OpBuilder& b);

// random.cc: RANDOM_UNIFORM, RANDOM_STANDARD_NORMAL.
PrepareResult PrepareRandom(OpBuilder& b);

// quantize.cc
PrepareResult PrepareQuantize(OpBuilder& b);
absl::Status EvalQuantize(const OpState& state, const std::vector<const Tensor*>& in,
                          std::vector<Tensor>* out);
PrepareResult PrepareDequantize(OpBuilder& b);
absl::Status EvalDequantize(const OpState& state, const std::vector<const Tensor*>& in,
                            std::vector<Tensor>* out);

// quantized_conv.cc (int8/uint8)
PrepareResult PrepareQuantizedFullyConnected(OpBuilder& b);
absl::Status EvalQuantizedFullyConnected(const OpState& state, const std::vector<const Tensor*>& in,
                                         std::vector<Tensor>* out);
PrepareResult PrepareQuantizedConv2D(OpBuilder& b);  // CONV_2D, DEPTHWISE_CONV_2D
absl::Status EvalQuantizedConv2D(const OpState& state, const std::vector<const Tensor*>& in,
                                 std::vector<Tensor>* out);

// quantized_add.cc (int8/uint8): ADD, SUB, MUL with broadcasting.
PrepareResult PrepareQuantizedAdd(OpBuilder& b);
absl::Status EvalQuantizedAdd(const OpState& state, const std::vector<const Tensor*>& in,
                              std::vector<Tensor>* out);

// lstm.cc: LSTM, UNIDIRECTIONAL_SEQUENCE_LSTM, BIDIRECTIONAL_SEQUENCE_LSTM.
PrepareResult PrepareUnidirectionalLstm(OpBuilder& b);  // also LSTM
absl::Status EvalUnidirectionalLstm(const OpState& state, const std::vector<const Tensor*>& in,
                                    std::vector<Tensor>* out);
PrepareResult PrepareBidirectionalLstm(OpBuilder& b);
absl::Status EvalBidirectionalLstm(const OpState& state, const std::vector<const Tensor*>& in,
                                   std::vector<Tensor>* out);

// rnn.cc: RNN, UNIDIRECTIONAL_SEQUENCE_RNN (float, hybrid int8 weights).
PrepareResult PrepareRnn(OpBuilder& b);
absl::Status EvalRnn(const OpState& state, const std::vector<const Tensor*>& in,
                     std::vector<Tensor>* out);

// svdf.cc: SVDF (float, hybrid int8 weights).
PrepareResult PrepareSvdf(OpBuilder& b);
absl::Status EvalSvdf(const OpState& state, const std::vector<const Tensor*>& in,
                      std::vector<Tensor>* out);

// densify.cc: DENSIFY (sparse constant -> dense tensor).
PrepareResult PrepareDensify(OpBuilder& b);
absl::Status EvalDensify(const OpState& state, const std::vector<const Tensor*>& in,
                         std::vector<Tensor>* out);

// quantized_pooling.cc (int8/uint8): AVERAGE_POOL_2D, MAX_POOL_2D.
PrepareResult PrepareQuantizedPool2D(OpBuilder& b);
absl::Status EvalQuantizedPool2D(const OpState& state, const std::vector<const Tensor*>& in,
                                 std::vector<Tensor>* out);

// quantized_activations.cc (int8/uint8): SOFTMAX; LOGISTIC and TANH by lookup table.
PrepareResult PrepareQuantizedSoftmax(OpBuilder& b);
absl::Status EvalQuantizedSoftmax(const OpState& state, const std::vector<const Tensor*>& in,
                                  std::vector<Tensor>* out);
PrepareResult PrepareQuantizedLookupTable(OpBuilder& b);
absl::Status EvalQuantizedLookupTable(const OpState& state, const std::vector<const Tensor*>& in,
                                      std::vector<Tensor>* out);

// quantized_concatenation.cc (int8/uint8): CONCATENATION, requantizing inputs.
PrepareResult PrepareQuantizedConcatenation(OpBuilder& b);
absl::Status EvalQuantizedConcatenation(const OpState& state, const std::vector<const Tensor*>& in,
                                        std::vector<Tensor>* out);

// quantized_reduce.cc (int8/uint8): MEAN, SUM.
PrepareResult PrepareQuantizedMeanOrSum(OpBuilder& b);
absl::Status EvalQuantizedMeanOrSum(const OpState& state, const std::vector<const Tensor*>& in,
                                    std::vector<Tensor>* out);

// resize.cc: RESIZE_BILINEAR (float, uint8, int8), RESIZE_NEAREST_NEIGHBOR (any type).
PrepareResult PrepareResize(OpBuilder& b);
absl::Status EvalResize(const OpState& state, const std::vector<const Tensor*>& in,
                        std::vector<Tensor>* out);

// custom.cc: CUSTOM operators running TF kernels.
PrepareResult PrepareFlexOp(OpBuilder& b);  // options hold [op name, NodeDef]
PrepareResult PrepareParseExample(OpBuilder& b);
PrepareResult PrepareParseExampleV2(OpBuilder& b);
PrepareResult PrepareEdgeTpuOp(OpBuilder& b);  // always Unimplemented: explains Edge TPU ops

// detection_postprocess.cc: TFLite_Detection_PostProcess (SSD box decoding + NMS).
PrepareResult PrepareDetectionPostProcess(OpBuilder& b);
absl::Status EvalDetectionPostProcess(const OpState& state, const std::vector<const Tensor*>& in,
                                      std::vector<Tensor>* out);

// control_flow.cc: WHILE, IF, CALL_ONCE (run other subgraphs).
PrepareResult PrepareWhile(OpBuilder& b);
absl::Status EvalWhile(const OpState& state, const std::vector<const Tensor*>& in,
                       std::vector<Tensor>* out);
PrepareResult PrepareIf(OpBuilder& b);
absl::Status EvalIf(const OpState& state, const std::vector<const Tensor*>& in,
                    std::vector<Tensor>* out);
PrepareResult PrepareCallOnce(OpBuilder& b);
absl::Status EvalCallOnce(const OpState& state, const std::vector<const Tensor*>& in,
                          std::vector<Tensor>* out);

// resource_ops.cc: hash tables and resource variables (tflite/resources.h). EvalHandle
// serves HASHTABLE and VAR_HANDLE.
PrepareResult PrepareHashtable(OpBuilder& b);
PrepareResult PrepareVarHandle(OpBuilder& b);
absl::Status EvalHandle(const OpState& state, const std::vector<const Tensor*>& in,
                        std::vector<Tensor>* out);
PrepareResult PrepareHashtableImport(OpBuilder& b);
absl::Status EvalHashtableImport(const OpState& state, const std::vector<const Tensor*>& in,
                                 std::vector<Tensor>* out);
PrepareResult PrepareHashtableFind(OpBuilder& b);
absl::Status EvalHashtableFind(const OpState& state, const std::vector<const Tensor*>& in,
                               std::vector<Tensor>* out);
PrepareResult PrepareHashtableSize(OpBuilder& b);
absl::Status EvalHashtableSize(const OpState& state, const std::vector<const Tensor*>& in,
                               std::vector<Tensor>* out);
PrepareResult PrepareAssignVariable(OpBuilder& b);
absl::Status EvalAssignVariable(const OpState& state, const std::vector<const Tensor*>& in,
                                std::vector<Tensor>* out);
PrepareResult PrepareReadVariable(OpBuilder& b);
absl::Status EvalReadVariable(const OpState& state, const std::vector<const Tensor*>& in,
                              std::vector<Tensor>* out);

}  // namespace tfmodel::tflite

#endif  // TFMODEL_TFLITE_OPS_OPS_H_
