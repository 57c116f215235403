// Documents generated from a model's signatures, served under its REST path:
//   GET /v1/models/NAME[/versions/N|/labels/L]/example[?signature_name=S&method=M]
//       a request body for :predict (or :classify / :regress), serving/signature_example.h
//   GET /v1/models/NAME[/versions/N|/labels/L]/openapi.json
//       an OpenAPI 3.0 document of the model's REST API, serving/openapi.h
#ifndef TFMODEL_SERVING_MODEL_DOCS_H_
#define TFMODEL_SERVING_MODEL_DOCS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "serving/manager.h"

namespace tfmodel::serving {

// The path suffixes after the model (and version or label) part; matched ignoring case.
inline constexpr const char* kModelDocPages[] = {"/example", "/openapi.json"};

// Answers a GET of `page` (one of kModelDocPages) for the version `spec` resolves to. The
// unknown-model/version errors are the manager's (as for metadata); an unknown signature
// is InvalidArgument naming the model and its signatures.
absl::Status ServeModelDoc(const ServableManager& manager,
                           const tensorflow::serving::ModelSpec& spec, absl::string_view page,
                           absl::string_view query, std::string* output);

}  // namespace tfmodel::serving

#endif  // TFMODEL_SERVING_MODEL_DOCS_H_
