// The Open Inference Protocol (KServe v2) over the servable manager, independent of the
// transport (REST in v2_rest_api.cc, gRPC in v2_grpc_service.cc):
//  - datatype names ("FP32", "BYTES", ...) <-> TF dtypes;
//  - the raw tensor layout (gRPC raw_*_contents and the REST binary tensor data
//    extension): row-major, little-endian, no padding; BOOL one byte; BYTES elements each
//    a 4-byte little-endian length then the bytes;
//  - model metadata and inference over a loaded servable's serving_default signature:
//    input names are the signature's input aliases, outputs its output aliases;
//  - the REST JSON bodies (inference request/response, metadata, errors).
// Requests run the servable's precompiled signature (Servable::RunPredict), as predict does.
#ifndef TFMODEL_SERVING_V2_PROTOCOL_H_
#define TFMODEL_SERVING_V2_PROTOCOL_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/tensor.h"
#include "core/version.h"
#include "serving/json_tensor.h"
#include "serving/manager.h"
#include "serving/servable.h"

namespace tfmodel::serving::v2 {

inline constexpr char kServerName[] = "tfmodel";
inline constexpr const char* kServerVersion = kVersion;  // core/version.h
inline constexpr char kBinaryDataExtension[] = "binary_tensor_data";
inline constexpr char kPlatform[] = "tensorflow_savedmodel";
// REST binary tensor data extension: the JSON part's size in a request or response body.
inline constexpr char kHeaderContentLength[] = "Inference-Header-Content-Length";

// "FP32" -> kFloat, ...; InvalidArgument naming the datatype for an unknown one.
absl::StatusOr<DType> DTypeFromDatatype(absl::string_view datatype);
// kFloat -> "FP32", ...; "" for a dtype the protocol has no name for.
absl::string_view DatatypeName(DType dtype);

// A request's shape for input `name`: dims must be non-negative and the element count
// bounded.
absl::StatusOr<TensorShape> ShapeFromDims(absl::string_view name, absl::Span<const int64_t> dims);

// A tensor from raw bytes (layout above); the byte count must match the shape exactly.
absl::StatusOr<Tensor> TensorFromRaw(absl::string_view name, DType dtype, const TensorShape& shape,
                                     absl::string_view raw);
// Appends the raw bytes of `t`; InvalidArgument for a dtype the protocol cannot carry.
absl::Status AppendRaw(absl::string_view name, const Tensor& t, std::string* out);

// The model spec a v2 path or request names: `version` empty = latest available.
absl::StatusOr<tensorflow::serving::ModelSpec> SpecFor(absl::string_view name,
                                                       absl::string_view version);

struct TensorMetadata {
  std::string name;
  std::string datatype;
  std::vector<int64_t> shape;  // -1 = unknown size; unknown rank is [-1]
};
struct ModelMetadata {
  std::string name;
  std::vector<std::string> versions;  // the available versions, ascending
  std::string platform;
  std::vector<TensorMetadata> inputs, outputs;
};

// Readiness: every configured model can serve (and there is at least one).
bool ServerReady(const ServableManager& manager);
// NotFound for a model that is not configured; otherwise whether the version (latest when
// `version` is empty) is loaded and available.
absl::StatusOr<bool> ModelReady(const ServableManager& manager, absl::string_view name,
                                absl::string_view version);
absl::StatusOr<ModelMetadata> GetModelMetadata(const ServableManager& manager,
                                               absl::string_view name, absl::string_view version);

struct RequestedOutput {
  std::string name;
  bool binary = false;  // REST: return as binary data
};

// An inference request once its tensors are read.
struct InferRequest {
  std::string id;
  bool has_id = false;
  std::map<std::string, Tensor> inputs;  // by signature input alias
  std::vector<RequestedOutput> outputs;  // empty = all, in the signature's order
  bool binary_data_output = false;       // REST: every output as binary unless it says no
};

// Checks an input's name and datatype against the signature's inputs (and that it is not
// given twice in `seen`).
absl::Status CheckInput(const Servable& servable, const InputDTypeMap& signature,
                        const std::map<std::string, Tensor>& seen, absl::string_view name,
                        DType dtype);

// Runs serving_default; outputs in the requested order (or all, by alias).
absl::StatusOr<std::vector<std::pair<std::string, Tensor>>> RunInfer(const Servable& servable,
                                                                     const InferRequest& request);

// ---- REST JSON ----

// An inference request body: `json` is the JSON object, `binary` the bytes after it (the
// binary tensor data extension; empty without it). Inputs are read in the signature's
// dtypes, which the request's datatypes must equal.
absl::Status ParseInferRequestJson(absl::string_view json, absl::string_view binary,
                                   const Servable& servable, const InputDTypeMap& signature,
                                   InferRequest* request);

// The response body: JSON, then (when some output is binary) the binary data; *json_size
// is the JSON part's length.
absl::StatusOr<std::string> MakeInferResponse(
    const Servable& servable, const InferRequest& request,
    const std::vector<std::pair<std::string, Tensor>>& outputs, size_t* json_size);

std::string ModelMetadataJson(const ModelMetadata& metadata);
std::string ServerMetadataJson();

}  // namespace tfmodel::serving::v2

#endif  // TFMODEL_SERVING_V2_PROTOCOL_H_
