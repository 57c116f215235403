#include "serving/rest_api.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/status.h"
#include "google/protobuf/util/json_util.h"
#include "serving/binary_body.h"
#include "serving/echo_text.h"
#include "serving/json_tensor.h"
#include "serving/json_util.h"
#include "serving/model_docs.h"
#include "serving/v2_rest_api.h"

namespace tfmodel::serving {
namespace {

// The REST paths, matched by hand (no regex on the request path) with the same grammar
// as TF Serving's patterns; literal parts are case-insensitive:
//   POST /v1/models/NAME[/versions/DIGITS|/labels/LABEL]:(classify|regress|predict)
//   GET  /v1/models[/NAME][/versions/DIGITS|/labels/LABEL][/metadata]
//   GET  /v1/models/NAME[/versions/DIGITS|/labels/LABEL]/(example|openapi.json) (model_docs.h)
// NAME and LABEL are non-empty and contain neither '/' nor ':'.
struct RestPath {
  absl::string_view name, version, label, verb, doc;
  bool metadata = false;
};

bool ConsumeLiteral(absl::string_view* s, absl::string_view lit) {
  if (s->size() < lit.size() || !absl::EqualsIgnoreCase(s->substr(0, lit.size()), lit)) {
    return false;
  }
  s->remove_prefix(lit.size());
  return true;
}

absl::string_view ConsumeSegment(absl::string_view* s) {
  size_t n = 0;
  while (n < s->size() && (*s)[n] != '/' && (*s)[n] != ':') ++n;
  absl::string_view seg = s->substr(0, n);
  s->remove_prefix(n);
  return seg;
}

// The optional "/versions/N" or "/labels/L" part.
void ConsumeVersionOrLabel(absl::string_view* s, RestPath* p) {
  absl::string_view t = *s;
  if (ConsumeLiteral(&t, "/versions/")) {
    size_t n = 0;
    while (n < t.size() && absl::ascii_isdigit(static_cast<unsigned char>(t[n]))) ++n;
    if (n > 0) {
      p->version = t.substr(0, n);
      t.remove_prefix(n);
      *s = t;
    }
    return;
  }
  t = *s;
  if (ConsumeLiteral(&t, "/labels/")) {
    absl::string_view label = ConsumeSegment(&t);
    if (!label.empty()) {
      p->label = label;
      *s = t;
    }
  }
}

bool MatchPostPath(absl::string_view s, RestPath* p) {
  if (!ConsumeLiteral(&s, "/v1/models/")) return false;
  p->name = ConsumeSegment(&s);
  if (p->name.empty()) return false;
  ConsumeVersionOrLabel(&s, p);
  if (!ConsumeLiteral(&s, ":")) return false;
  for (absl::string_view verb : {"classify", "regress", "predict"}) {
    if (absl::EqualsIgnoreCase(s, verb)) {
      p->verb = verb;
      return true;
    }
  }
  return false;
}

bool MatchGetRest(absl::string_view s, RestPath* p) {
  ConsumeVersionOrLabel(&s, p);
  if (s.empty()) return true;
  if (absl::EqualsIgnoreCase(s, "/metadata")) {
    p->metadata = true;
    return true;
  }
  for (absl::string_view doc : kModelDocPages) {
    if (absl::EqualsIgnoreCase(s, doc)) p->doc = doc;
  }
  return !p->doc.empty();
}

bool MatchGetPath(absl::string_view s, RestPath* p) {
  if (!ConsumeLiteral(&s, "/v1/models")) return false;
  // With a model name first, then (as a regex would backtrack) without one.
  absl::string_view t = s;
  RestPath with_name;
  if (ConsumeLiteral(&t, "/")) {
    with_name.name = ConsumeSegment(&t);
    if (!with_name.name.empty() && MatchGetRest(t, &with_name)) {
      *p = with_name;
      return true;
    }
  }
  *p = RestPath();
  return MatchGetRest(s, p);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string UrlUnescape(absl::string_view s) {
  if (s.find('%') == absl::string_view::npos) return std::string(s);
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string QueryParam(absl::string_view query, absl::string_view key) {
  for (absl::string_view part : absl::StrSplit(query, '&')) {
    const size_t eq = part.find('=');
    std::string name(part.substr(0, eq));
    std::replace(name.begin(), name.end(), '+', ' ');
    if (UrlUnescape(name) != key) continue;
    if (eq == absl::string_view::npos) return "";
    std::string value(part.substr(eq + 1));
    std::replace(value.begin(), value.end(), '+', ' ');
    return UrlUnescape(value);
  }
  return "";
}

namespace {

absl::Status ToJson(const google::protobuf::Message& m, std::string* out) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  opts.always_print_primitive_fields = true;
  opts.preserve_proto_field_names = true;
  auto s = google::protobuf::util::MessageToJsonString(m, out, opts);
  if (!s.ok()) {
    return absl::InternalError(
        absl::StrCat("Failed to convert proto to json. Error: ", std::string(s.message())));
  }
  return absl::OkStatus();
}

}  // namespace

int HttpStatusFromCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    default:
      return 500;
  }
}

RestApiHandler::RestApiHandler(ServableManager* manager, Metrics* metrics, RestOptions options)
    : manager_(manager),
      metrics_(metrics),
      options_(std::move(options)),
      v2_(std::make_unique<V2RestApi>(manager)) {}

RestApiHandler::~RestApiHandler() = default;

absl::Status RestApiHandler::ProcessRequest(const std::string& method, absl::string_view path,
                                            const std::string& body, std::string* output,
                                            std::string* model_name, std::string* api,
                                            absl::string_view query, BinaryPredict* binary) const {
  output->clear();
  absl::Status status;
  bool matched = false;
  RestPath m;
  tensorflow::serving::ModelSpec spec;
  auto fill_spec = [&](absl::string_view name, absl::string_view version,
                       absl::string_view label) -> absl::Status {
    *model_name = UrlUnescape(name);
    spec.set_name(*model_name);
    if (!version.empty()) {
      int64_t v;
      if (!absl::SimpleAtoi(version, &v)) {
        return absl::InvalidArgumentError(
            absl::StrCat("Failed to convert version: ", EchoText(version), " to numeric."));
      }
      spec.mutable_version()->set_value(v);
    }
    if (!label.empty()) spec.set_version_label(UrlUnescape(label));
    return absl::OkStatus();
  };
  if (method == "POST" && MatchPostPath(path, &m)) {
    matched = true;
    const std::string verb(m.verb);
    *api = verb;
    status = fill_spec(m.name, m.version, m.label);
    if (status.ok()) {
      if (verb == "predict") {
        status =
            binary ? binary->Predict(manager_, spec, body, output) : Predict(spec, body, output);
      } else {
        status = ClassifyOrRegress(verb == "classify", spec, body, output);
      }
    }
  } else if (method == "GET" && MatchGetPath(path, &m)) {
    matched = true;
    const bool metadata = m.metadata;
    *api = !m.doc.empty() ? "get_model_doc" : metadata ? "get_model_metadata" : "get_model_status";
    status = fill_spec(m.name, m.version, m.label);
    if (status.ok()) {
      if (model_name->empty()) {
        status = absl::InvalidArgumentError("Missing model name in request.");
      } else if (!m.doc.empty()) {
        status = ServeModelDoc(*manager_, spec, m.doc, query, output);
      } else {
        status = metadata ? Metadata(spec, output) : Status(spec, output);
      }
    }
  }
  if (!matched) {
    status = absl::InvalidArgumentError(
        absl::StrCat("Malformed request: ", EchoText(method), " ", EchoText(path)));
  }
  if (!status.ok()) *output = MakeJsonFromStatus(status);
  return status;
}

absl::Status RestApiHandler::Predict(const tensorflow::serving::ModelSpec& spec,
                                     const std::string& body, std::string* output) const {
  // The version the request resolves to is held for the whole request.
  std::shared_ptr<const Servable> servable;
  JsonPredictRequest request;
  TFM_RETURN_IF_ERROR(ParsePredictRequestJson(
      body,
      [&](const std::string& signature_name) -> absl::StatusOr<const InputDTypeMap*> {
        TFM_ASSIGN_OR_RETURN(servable, manager_->GetServable(spec));
        return servable->InputDTypes(signature_name);
      },
      &request));
  const std::map<std::string, Tensor>& inputs = request.inputs;
  TFM_ASSIGN_OR_RETURN(auto outputs, servable->RunPredict(request.signature_name, inputs));
  TFM_ASSIGN_OR_RETURN(*output, MakeJsonFromTensors(outputs, request.format));
  return absl::OkStatus();
}

absl::Status RestApiHandler::ClassifyOrRegress(bool classify,
                                               const tensorflow::serving::ModelSpec& spec,
                                               const std::string& body, std::string* output) const {
  std::string signature_name;
  tensorflow::serving::Input input;
  TFM_RETURN_IF_ERROR(ParseClassifyRegressRequestJson(body, &signature_name, &input));
  TFM_ASSIGN_OR_RETURN(auto servable, manager_->GetServable(spec));
  if (classify) {
    tensorflow::serving::ClassificationResult result;
    TFM_RETURN_IF_ERROR(servable->Classify(signature_name, input, &result));
    TFM_ASSIGN_OR_RETURN(*output, MakeJsonFromClassificationResult(result));
  } else {
    tensorflow::serving::RegressionResult result;
    TFM_RETURN_IF_ERROR(servable->Regress(signature_name, input, &result));
    TFM_ASSIGN_OR_RETURN(*output, MakeJsonFromRegressionResult(result));
  }
  return absl::OkStatus();
}

absl::Status RestApiHandler::Status(const tensorflow::serving::ModelSpec& spec,
                                    std::string* output) const {
  tensorflow::serving::GetModelStatusRequest request;
  *request.mutable_model_spec() = spec;
  tensorflow::serving::GetModelStatusResponse response;
  TFM_RETURN_IF_ERROR(manager_->GetModelStatus(request, &response));
  return ToJson(response, output);
}

absl::Status RestApiHandler::Metadata(const tensorflow::serving::ModelSpec& spec,
                                      std::string* output) const {
  TFM_ASSIGN_OR_RETURN(auto servable, manager_->GetServable(spec));
  tensorflow::serving::GetModelMetadataRequest request;
  *request.mutable_model_spec() = spec;
  request.add_metadata_field("signature_def");
  tensorflow::serving::GetModelMetadataResponse response;
  TFM_RETURN_IF_ERROR(servable->GetMetadata(request, &response));
  // The Any in "metadata" is written as the SignatureDefMap itself (no "@type").
  std::string spec_json, map_json;
  TFM_RETURN_IF_ERROR(ToJson(response.model_spec(), &spec_json));
  tensorflow::serving::SignatureDefMap map;
  if (!response.metadata().at("signature_def").UnpackTo(&map)) {
    return absl::InternalError("Failed to unpack signature_def metadata");
  }
  TFM_RETURN_IF_ERROR(ToJson(map, &map_json));
  *output = absl::StrCat("{\n\"model_spec\":", spec_json,
                         ",\n\"metadata\": {\"signature_def\": ", map_json, "}\n}\n");
  return absl::OkStatus();
}

void RestApiHandler::AddCorsHeaders(HttpResponse* response) const {
  if (!options_.enable_cors) return;
  response->headers.emplace_back("Access-Control-Allow-Origin", "*");
  response->headers.emplace_back("Access-Control-Allow-Methods", "POST, GET");
  response->headers.emplace_back("Access-Control-Allow-Headers", "Content-Type");
}

HttpResponse RestApiHandler::Preflight(const HttpRequest& request) const {
  // As TF Serving: an OPTIONS request under /v1/ is a CORS preflight, answered 200 with no
  // body when its Origin is an http(s) origin, whether or not CORS support is on (only the
  // Access-Control-* headers depend on --rest_api_enable_cors_support).
  HttpResponse response;
  absl::string_view origin;
  for (const auto& [k, v] : request.headers) {
    if (absl::EqualsIgnoreCase(k, "Origin")) origin = v;
  }
  if (!absl::StrContains(origin, "http://") && !absl::StrContains(origin, "https://")) {
    response.status = 400;
    response.headers.emplace_back("Content-Type", "application/json");
    response.body = MakeJsonFromStatus(absl::FailedPreconditionError(
        "OPTIONS (CORS preflight) request without an http:// or https:// Origin header"));
  }
  AddCorsHeaders(&response);
  return response;
}

HttpResponse RestApiHandler::Readiness() const {
  HttpResponse response;
  response.headers.emplace_back("Content-Type", "application/json");
  const auto not_ready = manager_->ModelsNotReady();
  const bool no_models = manager_->ModelNames().empty();
  response.status = not_ready.empty() && !no_models ? 200 : 503;
  JsonOut out;
  JsonWriter& w = out.w();
  w.StartObject();
  w.Key("ready");
  w.Bool(response.status == 200);
  w.Key("models_not_ready");
  w.StartObject();
  for (const auto& [name, why] : not_ready) {
    w.Key(name.data(), name.size());
    const std::string text = EchoText(why, kMaxErrorMessageBytes);
    w.String(text.data(), text.size());
  }
  w.EndObject();
  if (no_models) {
    w.Key("error");
    w.String("no models are configured");
  }
  w.EndObject();
  response.body = out.Take();
  return response;
}

HttpResponse RestApiHandler::Handle(const HttpRequest& request) const {
  const absl::Time start = absl::Now();
  HttpResponse response;
  const absl::string_view path =
      absl::string_view(request.target).substr(0, request.target.find('?'));
  const bool v1 = path.size() >= 4 && absl::EqualsIgnoreCase(path.substr(0, 4), "/v1/");
  if (request.method == "OPTIONS" && v1) return Preflight(request);
  if (request.method == "GET") {
    if (!options_.prometheus_path.empty() && path == options_.prometheus_path) {
      response.headers.emplace_back("Content-Type", "text/plain; version=0.0.4");
      response.body = metrics_ ? metrics_->PrometheusText() : "";
      AddCorsHeaders(&response);
      return response;
    }
    if (path == "/healthz" || path == "/health") {
      // Liveness: the process answers. /health is simple_tensorflow_serving's spelling.
      response.headers.emplace_back("Content-Type", "text/plain");
      response.body = path == "/health" ? "healthy" : "ok";
      AddCorsHeaders(&response);
      return response;
    }
    if (path == "/readyz") {
      response = Readiness();
      AddCorsHeaders(&response);
      return response;
    }
  }
  if (path == "/v2" || absl::StartsWith(path, "/v2/")) {
    std::string model_name, api;
    absl::Status s;
    response = v2_->Handle(request, path, &model_name, &api, &s);
    AddCorsHeaders(&response);
    if (metrics_ && !model_name.empty() && !api.empty()) {
      metrics_->RecordRequest(model_name, api, "REST", absl::StatusCodeToString(s.code()),
                              absl::ToInt64Microseconds(absl::Now() - start));
    }
    return response;
  }
  if (!v1) {
    response.status = 404;
    response.headers.emplace_back("Content-Type", "text/plain");
    response.body = "Not Found";
    return response;
  }
  std::string model_name, api;
  BinaryPredict binary(request);
  const size_t q = request.target.find('?');
  const absl::string_view query = q == std::string::npos
                                      ? absl::string_view()
                                      : absl::string_view(request.target).substr(q + 1);
  absl::Status s = ProcessRequest(request.method, path, request.body, &response.body, &model_name,
                                  &api, query, binary.active() ? &binary : nullptr);
  const absl::Duration took = absl::Now() - start;
  if (s.ok() && options_.timeout_ms > 0 && took > absl::Milliseconds(options_.timeout_ms)) {
    s = absl::DeadlineExceededError(
        absl::StrCat("Request did not finish within ", options_.timeout_ms, " ms"));
    response.body = MakeJsonFromStatus(s);
  }
  response.status = HttpStatusFromCode(s.code());
  response.headers.emplace_back("Content-Type",
                                s.ok() ? binary.content_type() : "application/json");
  AddCorsHeaders(&response);
  if (metrics_ && !model_name.empty()) {
    metrics_->RecordRequest(model_name, api, "REST", absl::StatusCodeToString(s.code()),
                            absl::ToInt64Microseconds(took));
  }
  return response;
}

}  // namespace tfmodel::serving
