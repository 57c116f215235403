// Runs TensorFlow Lite models (.tflite) behind the same runtime::Model interface as
// SavedModels, so `tfmodel run` and the server use them unchanged.
//
//   TFM_ASSIGN_OR_RETURN(auto model, LoadTfLiteModel("model.tflite"));
//   auto out = model->RunSignature("serving_default", {{"x", x}});
//
// Each TFLite builtin operator is compiled once, at load, into steps: most map onto the
// runtime's TF kernels (CONV_2D -> Conv2D with the OHWI filter transposed to HWIO, fused
// activations as a following step, ...); quantized uint8/int8 FULLY_CONNECTED, CONV_2D,
// DEPTHWISE_CONV_2D, ADD, QUANTIZE and DEQUANTIZE use tfmodel's own integer code with TFLite's
// reference-kernel arithmetic (fixed-point multipliers, rounding). Custom operators whose
// options hold a serialized NodeDef (flex ops, TFLite's ParseExample) run the TF kernel.
//
// Signatures come from the model's signature_defs, else TF Serving's
// "signature_defs_metadata" entry, else one "serving_default" signature whose aliases are
// the subgraph's input/output tensor names (without ":0").
#ifndef TFMODEL_TFLITE_MODEL_H_
#define TFMODEL_TFLITE_MODEL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/model.h"

namespace tfmodel {
class TfLiteFile;
}

namespace tfmodel::tflite {

using runtime::LoadOptions;
using runtime::Model;

absl::StatusOr<std::unique_ptr<Model>> LoadTfLiteModel(const std::string& path,
                                                       const LoadOptions& options = {});
absl::StatusOr<std::unique_ptr<Model>> LoadTfLiteModel(std::unique_ptr<TfLiteFile> file,
                                                       const LoadOptions& options = {});

// TFLite's fixed-point helpers (exposed for tests).
namespace tflite_math {
// real_multiplier = quantized * 2^(shift - 31), quantized in [2^30, 2^31).
void QuantizeMultiplier(double real_multiplier, int32_t* quantized, int* shift);
int32_t MultiplyByQuantizedMultiplier(int32_t x, int32_t quantized, int shift);
}  // namespace tflite_math

}  // namespace tfmodel::tflite

#endif  // TFMODEL_TFLITE_MODEL_H_
