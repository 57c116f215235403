// Converts a frozen TF GraphDef into a TFLite FlatBuffer (what TF's tflite_convert does for
// common models), without TensorFlow.
//
// Placeholders named in input_arrays become the subgraph inputs; everything that depends
// only on constants is folded (evaluated with the runtime's kernels); TF ops are lowered to
// TFLite builtins (MatMul with constant weights -> FULLY_CONNECTED with [out,in] weights,
// Conv2D -> CONV_2D with OHWI filters, DepthwiseConv2dNative -> DEPTHWISE_CONV_2D with
// [1,H,W,C*M] filters, ...); BiasAdd / Add of a constant vector, Relu / Relu6 and
// inference-mode FusedBatchNorm are fused into the producing op when it has no other
// consumer. Tensor shapes come from running the graph once (twice when the inputs have
// unknown dimensions, to find which dimensions vary: those are -1 in shape_signature).
// One signature_def ("serving_default" unless named) maps aliases to the inputs/outputs.
#ifndef TFMODEL_TFLITE_CONVERTER_H_
#define TFMODEL_TFLITE_CONVERTER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tensorflow/core/framework/graph.pb.h"

namespace tfmodel::tflite {

struct TfLiteConvertOptions {
  std::vector<std::string> input_arrays;   // tensor or node names ("X" or "X:0")
  std::vector<std::string> output_arrays;  // tensor or node names
  // Per input (same order); empty = from the placeholder's shape attr (unknown dims -> -1).
  std::vector<std::vector<int64_t>> input_shapes;
  // Signature aliases (same order as the arrays); empty = the node names.
  std::vector<std::string> input_aliases;
  std::vector<std::string> output_aliases;
  std::string signature_key = "serving_default";
  // Ops with no TFLite lowering become custom operators holding the TF NodeDef (tfmodel
  // runs them with its TF kernels) instead of failing the conversion.
  bool allow_custom_ops = false;
  // Dynamic-range quantization: constant float weights of FULLY_CONNECTED, CONV_2D,
  // DEPTHWISE_CONV_2D and BATCH_MATMUL with >= 1024 elements stored as symmetric int8 with a
  // scale per output channel.
  bool quantize_weights = false;
  // Float16 weights (tflite/convert/float16_weights.h): every constant float32 tensor an
  // operator reads stored as float16 behind a DEQUANTIZE. Not with quantize_weights.
  bool quantize_float16 = false;
  std::string description = "tfmodel converted.";
};

struct TfLiteConvertReport {
  std::vector<std::string> operators;  // builtin names in execution order
  int folded_nodes = 0;                // TF nodes evaluated at conversion time
  int fused_ops = 0;                   // BiasAdd / activations / batch norms fused
  int quantized_tensors = 0;
  int64_t float_weight_bytes = 0;  // before --quantize_weights / --quantize_float16
  int64_t quantized_weight_bytes = 0;
};

// The .tflite bytes.
absl::StatusOr<std::string> ConvertGraphToTfLite(const tensorflow::GraphDef& graph,
                                                 const TfLiteConvertOptions& options,
                                                 TfLiteConvertReport* report = nullptr);

}  // namespace tfmodel::tflite

#endif  // TFMODEL_TFLITE_CONVERTER_H_
