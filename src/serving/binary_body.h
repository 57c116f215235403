// Binary bodies for REST predict (what TF Serving users ask for in tensorflow/serving#1991):
//   Content-Type: application/x-npy        the body is one .npy array, fed to the signature's
//                                          only input (?signature_name=, default
//                                          serving_default)
//   Content-Type: application/x-protobuf   a serialized tensorflow.serving.PredictRequest
//             or application/x-tensorproto (several inputs, output_filter); its model_spec
//                                          may be empty: the URL names the model and version
//   Accept: application/x-npy              the answer is the only output (or ?output=NAME)
//                                          as .npy; with several outputs and no ?output= the
//                                          answer stays JSON
//   Accept: application/x-protobuf         the answer is a serialized PredictResponse
// Any other request keeps the JSON path. Errors are always TF Serving's JSON error body.
// .npy object arrays (pickles) are refused here: a network client sends 'S' or 'U' arrays.
#ifndef TFMODEL_SERVING_BINARY_BODY_H_
#define TFMODEL_SERVING_BINARY_BODY_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/tensor.h"
#include "runtime/model.h"
#include "serving/manager.h"
#include "serving/rest_api.h"

namespace tfmodel::serving {

inline constexpr char kNpyMediaType[] = "application/x-npy";
inline constexpr char kProtobufMediaType[] = "application/x-protobuf";
inline constexpr char kTensorProtoMediaType[] = "application/x-tensorproto";

enum class BodyEncoding { kJson, kNpy, kPredictProto };

// The encoding a Content-Type names (parameters and case ignored); kJson for anything else,
// as TF Serving ignores the Content-Type of JSON bodies.
BodyEncoding ContentTypeEncoding(absl::string_view content_type);
// The answer an Accept header asks for: the first of npy / protobuf it lists, else kJson.
BodyEncoding AcceptEncoding(absl::string_view accept);

// Parses a .npy request body for input `alias` of signature `signature_key` and checks it
// against `spec`: truncated or corrupt data, trailing bytes, object (pickled) arrays,
// Fortran order, big-endian data, and a dtype or shape the signature does not accept are
// InvalidArgument errors naming the input, what it expects and what was sent.
absl::StatusOr<Tensor> ParseNpyInput(const std::string& body, const std::string& signature_key,
                                     const std::string& alias, const runtime::TensorSpec& spec);

// Checks a tensor against a signature input's dtype and (known) shape dims.
absl::Status CheckInputTensor(const Tensor& t, const std::string& signature_key,
                              const std::string& alias, const runtime::TensorSpec& spec,
                              absl::string_view what);

// One REST predict request on the binary path: built from the request's headers and query,
// run by RestApiHandler::ProcessRequest once the URL's model spec is known.
class BinaryPredict {
 public:
  explicit BinaryPredict(const HttpRequest& request);

  // Whether the body or the wanted answer is binary (else the JSON path runs unchanged).
  bool active() const { return in_ != BodyEncoding::kJson || accept_ != BodyEncoding::kJson; }

  // Decodes the body, runs the signature on the servable `spec` resolves to, and encodes the
  // answer into *output.
  absl::Status Predict(ServableManager* manager, const tensorflow::serving::ModelSpec& spec,
                       const std::string& body, std::string* output);

  // The Content-Type of a successful answer (set by Predict).
  const char* content_type() const;

 private:
  BodyEncoding in_ = BodyEncoding::kJson;
  BodyEncoding accept_ = BodyEncoding::kJson;
  BodyEncoding out_ = BodyEncoding::kJson;
  std::string signature_name_;  // ?signature_name=
  std::string output_;          // ?output=
};

}  // namespace tfmodel::serving

#endif  // TFMODEL_SERVING_BINARY_BODY_H_
