#include "serving/model_docs.h"

#include "absl/strings/match.h"
#include "core/status.h"
#include "serving/openapi.h"
#include "serving/rest_api.h"
#include "serving/signature_example.h"

namespace tfmodel::serving {

absl::Status ServeModelDoc(const ServableManager& manager,
                           const tensorflow::serving::ModelSpec& spec, absl::string_view page,
                           absl::string_view query, std::string* output) {
  TFM_ASSIGN_OR_RETURN(auto servable, manager.GetServable(spec));
  if (absl::EqualsIgnoreCase(page, "/example")) {
    TFM_ASSIGN_OR_RETURN(*output, MakeExampleRequest(*servable, QueryParam(query, "signature_name"),
                                                     QueryParam(query, "method")));
    return absl::OkStatus();
  }
  // The document's paths name the model (and the version or label) as the request did.
  std::string prefix = absl::StrCat("/v1/models/", UrlEscapeSegment(spec.name()));
  if (spec.has_version()) {
    absl::StrAppend(&prefix, "/versions/", spec.version().value());
  } else if (!spec.version_label().empty()) {
    absl::StrAppend(&prefix, "/labels/", UrlEscapeSegment(spec.version_label()));
  }
  TFM_ASSIGN_OR_RETURN(*output, MakeOpenApiDocument(*servable, prefix));
  return absl::OkStatus();
}

}  // namespace tfmodel::serving
