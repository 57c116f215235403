// Example request bodies generated from a model's signatures (GET
// /v1/models/NAME[/versions/N|/labels/L]/example, like simple_tensorflow_serving's
// gen_json): a predict body that the same model's :predict accepts, or a classify/regress
// body of tf.Examples carrying the features the signature's graph parses.
//
// Predict bodies use the row format ("instances") when every input has a known rank of at
// least 1 and the same leading (batch) dimension, known or unknown; otherwise the
// columnar format ("inputs"). Unknown dimensions become 1 (a batch of one row); a known
// leading dimension N gives N rows. Values by dtype: floats alternate 0.0 and 1.0, ints
// are 0, bools false, strings "" ({"b64": ""} for inputs whose alias ends in "_bytes");
// a string input the graph parses as a serialized tf.Example gets one, base64-encoded.
#ifndef TFMODEL_SERVING_SIGNATURE_EXAMPLE_H_
#define TFMODEL_SERVING_SIGNATURE_EXAMPLE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "graph/example_features.h"
#include "runtime/model.h"
#include "serving/json_util.h"
#include "serving/servable.h"

namespace tfmodel::serving {

// Most values one generated example may hold (all inputs together).
inline constexpr int64_t kMaxExampleValues = int64_t{1} << 22;

struct PredictLayout {
  bool row = false;   // "instances" (else "inputs")
  int64_t batch = 1;  // rows, for the row format
};
PredictLayout ChoosePredictLayout(const runtime::Signature& sig);

// The signature a request names ("" = serving_default), or TF Serving's error for an
// unknown one (InvalidArgument, naming the model, its version and the signatures it has).
absl::StatusOr<const runtime::Signature*> FindSignature(const Servable& servable,
                                                        const std::string& signature_name);

// The tf.Example features each input of `sig` is parsed into (empty for inputs that are
// not serialized Examples), by alias.
std::map<std::string, std::vector<ExampleFeature>> SignatureExampleFeatures(
    const runtime::Signature& sig, const tensorflow::MetaGraphDef& meta_graph);

// Writes a predict request body for `sig` (one JSON object; "signature_name" is included
// unless the signature is serving_default). Errors for inputs JSON cannot carry (complex,
// resource, variant dtypes) and for examples over kMaxExampleValues.
absl::Status WritePredictExample(const runtime::Signature& sig,
                                 const tensorflow::MetaGraphDef& meta_graph, JsonWriter* w);

// Writes a classify or regress request body ("examples": one tf.Example with the
// signature's features). InvalidArgument when the signature's method is not that API's
// or its input is not a serialized tf.Example.
absl::Status WriteClassifyRegressExample(const runtime::Signature& sig, bool classify,
                                         const tensorflow::MetaGraphDef& meta_graph, JsonWriter* w);

// The whole answer of GET .../example?signature_name=S&method=M (M: "" or "predict",
// "classify", "regress").
absl::StatusOr<std::string> MakeExampleRequest(const Servable& servable,
                                               const std::string& signature_name,
                                               absl::string_view method);

}  // namespace tfmodel::serving

#endif  // TFMODEL_SERVING_SIGNATURE_EXAMPLE_H_
