// An OpenAPI 3.0 document of one model's TF Serving REST API, generated from its
// signatures (GET /v1/models/NAME[/versions/N|/labels/L]/openapi.json):
//  - paths: the model status GET, /metadata, /example, :predict (every signature), and
//    :classify / :regress when a signature has that method;
//  - per signature, request and response schemas: "instances" (rows, when the inputs
//    share a leading batch dimension) or "inputs" (columnar), each input a nested array
//    as deep as its rank (minItems = maxItems where a dimension is known) of the item type
//    its dtype maps to, {"b64": ...} objects for strings (only those for aliases ending
//    in "_bytes"); a single input either bare or by alias; "predictions" / "outputs" alike;
//    classify/regress requests as tf.Example objects with the features the graph parses;
//  - the request example of each signature is serving/signature_example.h's body.
#ifndef TFMODEL_SERVING_OPENAPI_H_
#define TFMODEL_SERVING_OPENAPI_H_

#include <string>

#include "absl/status/statusor.h"
#include "serving/servable.h"

namespace tfmodel::serving {

// `path_prefix`: the model's REST path the document's paths start with, e.g.
// "/v1/models/half_plus_two" or ".../versions/123".
absl::StatusOr<std::string> MakeOpenApiDocument(const Servable& servable,
                                                const std::string& path_prefix);

// A path segment with every byte outside [A-Za-z0-9._~-] %XX-encoded.
std::string UrlEscapeSegment(absl::string_view s);

}  // namespace tfmodel::serving

#endif  // TFMODEL_SERVING_OPENAPI_H_
