// The Open Inference Protocol's (KServe v2) HTTP/REST endpoints, answered beside TF
// Serving's /v1/ API on the REST port (RestApiHandler hands every /v2 path here):
//   GET  /v2                                              server metadata
//   GET  /v2/health/live, /v2/health/ready                liveness, readiness
//   GET  /v2/models/NAME[/versions/V]                     model metadata
//   GET  /v2/models/NAME[/versions/V]/ready               model readiness
//   POST /v2/models/NAME[/versions/V]/infer               inference (JSON, or JSON plus
//                                                         binary tensor data)
// Paths are case-sensitive, as the protocol says. Errors are {"error": "..."} with 400
// for a bad request, 404 for an unknown model, version or path.
#ifndef TFMODEL_SERVING_V2_REST_API_H_
#define TFMODEL_SERVING_V2_REST_API_H_

#include <string>

#include "serving/manager.h"
#include "serving/rest_api.h"

namespace tfmodel::serving {

class V2RestApi {
 public:
  explicit V2RestApi(ServableManager* manager) : manager_(manager) {}

  // `path` is the request target without its query. Fills *model_name, *api and *result
  // for the request metrics when the request names a model.
  HttpResponse Handle(const HttpRequest& request, absl::string_view path, std::string* model_name,
                      std::string* api, absl::Status* result) const;

 private:
  absl::Status Infer(const std::string& name, const std::string& version,
                     const HttpRequest& request, HttpResponse* response) const;

  ServableManager* manager_;
};

}  // namespace tfmodel::serving

#endif  // TFMODEL_SERVING_V2_REST_API_H_
