// The signatures of a TFLite model, found in this order:
//   1. TF Serving's "signature_defs_metadata" metadata entry (a FlexBuffer map of signature
//      key -> serialized SignatureDef; tensors by name in subgraph 0),
//   2. the model's own signature_defs,
//   3. one "serving_default" signature whose aliases are subgraph 0's input/output tensor
//      names without ":0".
// Without a shape_signature a TFLite input may be resized, so its signature shape is
// unknown; DeclaredShape() gives the shape the file declares.
#ifndef TFMODEL_TFLITE_SIGNATURES_H_
#define TFMODEL_TFLITE_SIGNATURES_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/model.h"
#include "tensorflow/core/protobuf/meta_graph.pb.h"
#include "tflite/plan.h"

namespace tfmodel {
class TfLiteFile;
}

namespace tfmodel::tflite {

// Which subgraph tensors a signature's aliases refer to.
struct SignatureBinding {
  int subgraph = 0;
  std::map<std::string, int> inputs;   // alias -> tensor index
  std::map<std::string, int> outputs;  // alias -> tensor index
};

struct ModelSignatures {
  std::map<std::string, runtime::Signature> signatures;
  std::map<std::string, SignatureBinding> bindings;
  tensorflow::MetaGraphDef meta_graph;  // "serve" tag and the SignatureDefs
};

absl::StatusOr<ModelSignatures> BuildSignatures(const TfLiteFile& file,
                                                const std::vector<SubgraphPlan>& plans);

// The tensor named `name` ("x", "x:0") in a subgraph.
absl::StatusOr<int> FindTensor(const SubgraphPlan& plan, const std::string& name);

// shape_signature (-1 = any size) when the tensor has one, else its shape.
PartialShape DeclaredShape(const SubgraphPlan& plan, int tensor);

}  // namespace tfmodel::tflite

#endif  // TFMODEL_TFLITE_SIGNATURES_H_
