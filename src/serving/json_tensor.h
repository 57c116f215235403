// JSON <-> tensors in TF Serving's REST formats (api_rest.md):
//  - predict requests: row format {"instances": [...]} or columnar {"inputs": ...},
//    optional "signature_name"; {"b64": "..."} for binary strings;
//  - predict responses: {"predictions": ...} (row) or {"outputs": ...} (columnar);
//  - classify/regress requests: {"signature_name"?, "context"?, "examples": [...]} where
//    each example is an object of feature name -> value or list (tf.Example features);
//  - classify/regress responses {"results": ...}; errors {"error": "..."}.
// Error messages follow TF Serving's text so clients see the same answers; request values
// they quote are cut to a few hundred bytes (serving/echo_text.h). Parsing and the
// JSON -> tensor walk use no recursion, so nesting depth cannot exhaust the stack.
#ifndef TFMODEL_SERVING_JSON_TENSOR_H_
#define TFMODEL_SERVING_JSON_TENSOR_H_

#include <functional>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/tensor.h"
#include "rapidjson/document.h"
#include "serving/json_util.h"
#include "tensorflow_serving/apis/classification.pb.h"
#include "tensorflow_serving/apis/input.pb.h"
#include "tensorflow_serving/apis/regression.pb.h"

namespace tfmodel::serving {

enum class JsonPredictFormat { kInvalid, kRow, kColumnar };

// Input dtypes of a signature, by alias. Given the request's signature name ("" when the
// request names none), returns the signature's inputs (kept alive by the caller for the
// whole parse) or an error.
using InputDTypeMap = std::map<std::string, DType>;
using InputDTypeGetter =
    std::function<absl::StatusOr<const InputDTypeMap*>(const std::string& signature_name)>;

struct JsonPredictRequest {
  std::string signature_name;  // as given ("" if absent)
  JsonPredictFormat format = JsonPredictFormat::kInvalid;
  // By alias, in the signature's dtypes (values read straight from the JSON, no protos).
  std::map<std::string, Tensor> inputs;
};

// Parses a predict request body. `json` need not be NUL-terminated.
absl::Status ParsePredictRequestJson(absl::string_view json, const InputDTypeGetter& get_inputs,
                                     JsonPredictRequest* request);

// Writes output tensors (by alias) as a predict response in the given format.
absl::StatusOr<std::string> MakeJsonFromTensors(const std::map<std::string, Tensor>& tensors,
                                                JsonPredictFormat format);

// Parses a classify or regress request body into signature name + Input (serialized
// Examples; with "context" it becomes an ExampleListWithContext).
absl::Status ParseClassifyRegressRequestJson(absl::string_view json, std::string* signature_name,
                                             tensorflow::serving::Input* input);

absl::StatusOr<std::string> MakeJsonFromClassificationResult(
    const tensorflow::serving::ClassificationResult& result);
absl::StatusOr<std::string> MakeJsonFromRegressionResult(
    const tensorflow::serving::RegressionResult& result);

// The values of one tensor of `dtype` and `shape` from a JSON value that is a single
// value, a flat list or lists nested in any way, read in row-major order (the Open
// Inference Protocol's "data"), with predict's conversion rules per dtype plus numbers for
// half, bfloat16 and uint16. The value count must equal the shape's element count.
absl::StatusOr<Tensor> JsonValuesToTensor(const rapidjson::Value& data, DType dtype,
                                          const TensorShape& shape);

// Writes all elements of `t` as one flat JSON list, numbers formatted as in predict
// responses (strings as JSON strings). False for a dtype JSON cannot hold.
bool WriteFlatJsonValues(const Tensor& t, JsonWriter* w);

// True for the dtypes TF Serving's JSON predict API reads and writes (float, double,
// int8/16/32/64, uint8/32/64, bool, string).
bool JsonPredictDType(DType d);

// {"error": "<message>"} (pretty-printed like TF Serving); a message longer than
// kMaxErrorMessageBytes is shortened (serving/echo_text.h).
std::string MakeJsonFromStatus(const absl::Status& status);

}  // namespace tfmodel::serving

#endif  // TFMODEL_SERVING_JSON_TENSOR_H_
