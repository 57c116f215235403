// Runs TensorFlow Lite models (.tflite) behind the same runtime::Model interface as
// SavedModels, so `tfmodel run` and the server use them unchanged.
//
//   TFM_ASSIGN_OR_RETURN(auto model, LoadTfLiteModel("model.tflite"));
//   auto out = model->RunSignature("serving_default", {{"x", x}});
//
// Loading verifies the file (format/tflite.h) and prepares every operator once
// (plan.h, op_registry.h): most builtins map onto the runtime's TF kernels (CONV_2D ->
// Conv2D with the OHWI filter relaid out to HWIO, fused activations as a following step,
// ...); quantized uint8/int8 FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D, ADD, QUANTIZE and
// DEQUANTIZE use tfmodel's own integer code with TFLite's reference-kernel arithmetic
// (quant_math.h). Custom operators whose options hold a serialized NodeDef (flex ops,
// TFLite's ParseExample) run the TF kernel. Running (interpreter.h) only calls the
// prepared eval functions. Signatures: signatures.h.
#ifndef TFMODEL_TFLITE_MODEL_H_
#define TFMODEL_TFLITE_MODEL_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "format/tflite.h"
#include "runtime/model.h"
#include "runtime/thread_pool.h"
#include "tflite/plan.h"
#include "tflite/signatures.h"

namespace tfmodel::tflite {

using runtime::LoadOptions;
using runtime::Model;

class TfLiteModel : public Model {
 public:
  static absl::StatusOr<std::unique_ptr<TfLiteModel>> Load(std::unique_ptr<TfLiteFile> file,
                                                           const LoadOptions& options = {});

  const std::map<std::string, runtime::Signature>& signatures() const override {
    return sigs_.signatures;
  }
  const tensorflow::MetaGraphDef& meta_graph() const override { return sigs_.meta_graph; }

  absl::StatusOr<std::map<std::string, Tensor>> RunSignature(
      const std::string& key, const std::map<std::string, Tensor>& inputs,
      const std::vector<std::string>& output_filter = {}) override;
  // By tensor names of subgraph 0 ("x" or "x:0"); TFLite models have no targets.
  absl::StatusOr<std::vector<Tensor>> Run(const std::vector<std::pair<std::string, Tensor>>& feeds,
                                          const std::vector<std::string>& fetches,
                                          const std::vector<std::string>& targets = {}) override;

  // The shapes the file declares for a signature's inputs, by alias: shape_signature
  // (-1 = any size) when present, else shape (which old converters write alone). The
  // signature itself leaves the latter unknown, since such inputs may be resized.
  absl::StatusOr<std::map<std::string, PartialShape>> DeclaredInputShapes(
      const std::string& key) const;

  const TfLiteFile& file() const { return *file_; }

 private:
  std::unique_ptr<TfLiteFile> file_;
  std::unique_ptr<runtime::IntraOpPool> pool_;  // before plans_: their kernels use it
  std::vector<SubgraphPlan> plans_;
  ModelSignatures sigs_;
};

absl::StatusOr<std::unique_ptr<Model>> LoadTfLiteModel(const std::string& path,
                                                       const LoadOptions& options = {});
absl::StatusOr<std::unique_ptr<Model>> LoadTfLiteModel(std::unique_ptr<TfLiteFile> file,
                                                       const LoadOptions& options = {});

}  // namespace tfmodel::tflite

#endif  // TFMODEL_TFLITE_MODEL_H_
