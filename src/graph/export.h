// Exporting: what SavedModelBuilder does. Turns a graph (from a MetaGraphDef + checkpoint,
// a frozen GraphDef, or another SavedModel) into a SavedModel proto with signatures and the
// variable values to write beside it.
#ifndef TFMODEL_GRAPH_EXPORT_H_
#define TFMODEL_GRAPH_EXPORT_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "format/checkpoint.h"
#include "tensorflow/core/protobuf/meta_graph.pb.h"
#include "tensorflow/core/protobuf/saved_model.pb.h"

namespace tfmodel {

// One signature as given on the command line or in a file.
struct SignatureSpec {
  std::string key;
  std::string method = "tensorflow/serving/predict";
  std::vector<std::pair<std::string, std::string>> inputs;   // alias -> tensor name
  std::vector<std::pair<std::string, std::string>> outputs;  // alias -> tensor name
};

// "serving_default: inputs x=X:0,k=keys:0; outputs y=pred:0; method predict"
// (method: predict | classify | regress | a full method name; default predict).
absl::StatusOr<SignatureSpec> ParseSignatureSpec(const std::string& text);
// A file: JSON {"key": {"inputs": {"x": "X:0"}, "outputs": {...}, "method_name": "..."}} or a
// text-format tensorflow.serving.SignatureDefMap / map of SignatureDef.
absl::StatusOr<std::vector<SignatureSpec>> ReadSignatureFile(const std::string& path);

struct ExportOptions {
  std::vector<std::string> tags = {"serve"};
  std::vector<SignatureSpec> signatures;
  bool clear_devices = false;
  std::string main_op;                   // node run after restore (saved_model_main_op)
  std::string legacy_init_op;            // node run after restore (legacy_init_op)
  std::vector<std::string> asset_files;  // paths; become AssetFileDefs + Const placeholders
  int64_t unfreeze_min_bytes = -1;       // >= 0: Consts this big become variables
  bool keep_unused_variables = false;    // keep variables no signature needs (optimizer slots)
};

struct ExportResult {
  tensorflow::SavedModel saved_model;
  std::vector<std::pair<std::string, Tensor>> variables;  // checkpoint key -> value
  std::vector<std::string> assets;                        // files to copy into assets/
  int nodes = 0;
};

// `source`: graph_def, saver_def and collections are used when present. `checkpoint` may be
// null when the graph has no variables (e.g. a frozen graph).
absl::StatusOr<ExportResult> BuildExport(const tensorflow::MetaGraphDef& source,
                                         const CheckpointReader* checkpoint,
                                         const ExportOptions& options);

// Checks a SignatureDef like TF's signature_def_utils: classify needs input "inputs"
// (DT_STRING) and outputs "classes" (DT_STRING) and/or "scores" (DT_FLOAT); regress needs
// exactly input "inputs" and output "outputs"; predict needs at least one input and output.
absl::Status ValidateSignature(const std::string& key, const tensorflow::SignatureDef& sig);

// The output dtype of a node, from its attrs (T, dtype, out_type, DstT, ...).
DType GuessOutputDType(const tensorflow::NodeDef& node, int index);

}  // namespace tfmodel

#endif  // TFMODEL_GRAPH_EXPORT_H_
