// TF Serving's REST API (g3doc/api_rest.md) over the servable manager, independent of
// the HTTP transport: routes /v1/models/... requests, converts JSON, maps errors to HTTP
// status codes, answers CORS preflights; also serves the Prometheus page and the static
// probes GET /healthz (the process is up: 200 "ok"), GET /readyz (200 when every
// configured model has an AVAILABLE version, else 503 naming the models that do not
// and why) and GET /health (simple_tensorflow_serving's "healthy").
#ifndef TFMODEL_SERVING_REST_API_H_
#define TFMODEL_SERVING_REST_API_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "serving/manager.h"
#include "serving/metrics.h"

namespace tfmodel::serving {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path, possibly with "?query"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct RestOptions {
  bool enable_cors = false;
  // Prometheus page path; empty = not served.
  std::string prometheus_path;
  // Requests that take longer answer 504 (TF Serving's --rest_api_timeout_in_ms).
  int64_t timeout_ms = 30000;
};

// HTTP status for an absl status code (TF Serving's ToHTTPStatusCode).
int HttpStatusFromCode(absl::StatusCode code);

// %XX decoding of a path segment (like curl_easy_unescape; '+' stays '+').
std::string UrlUnescape(absl::string_view s);

// The value of `key` in a URL query ("a=1&b=2", the target's part after '?'), with '+' as
// a space and %XX decoded; "" when absent or without a value.
std::string QueryParam(absl::string_view query, absl::string_view key);

class V2RestApi;
class BinaryPredict;

class RestApiHandler {
 public:
  RestApiHandler(ServableManager* manager, Metrics* metrics, RestOptions options);
  ~RestApiHandler();

  HttpResponse Handle(const HttpRequest& request) const;

  // The /v1/ API proper: fills `output` with the JSON answer (or error JSON). `query`: the
  // target's part after '?'. `binary`, when set, runs predict on a binary body or for a
  // binary answer (serving/binary_body.h).
  absl::Status ProcessRequest(const std::string& method, absl::string_view path,
                              const std::string& body, std::string* output, std::string* model_name,
                              std::string* api, absl::string_view query = {},
                              BinaryPredict* binary = nullptr) const;

 private:
  absl::Status Predict(const tensorflow::serving::ModelSpec& spec, const std::string& body,
                       std::string* output) const;
  absl::Status ClassifyOrRegress(bool classify, const tensorflow::serving::ModelSpec& spec,
                                 const std::string& body, std::string* output) const;
  absl::Status Status(const tensorflow::serving::ModelSpec& spec, std::string* output) const;
  absl::Status Metadata(const tensorflow::serving::ModelSpec& spec, std::string* output) const;
  HttpResponse Preflight(const HttpRequest& request) const;
  HttpResponse Readiness() const;
  void AddCorsHeaders(HttpResponse* response) const;

  ServableManager* manager_;
  Metrics* metrics_;
  RestOptions options_;
  // The Open Inference Protocol (/v2 paths).
  std::unique_ptr<V2RestApi> v2_;
};

}  // namespace tfmodel::serving

#endif  // TFMODEL_SERVING_REST_API_H_
