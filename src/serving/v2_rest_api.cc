#include "serving/v2_rest_api.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/status.h"
#include "serving/echo_text.h"
#include "serving/json_tensor.h"
#include "serving/json_util.h"
#include "serving/v2_protocol.h"

namespace tfmodel::serving {
namespace {

// What a /v2 path names.
struct V2Path {
  enum Kind { kNone, kServerMetadata, kLive, kReady, kModelMetadata, kModelReady, kInfer };
  Kind kind = kNone;
  std::string name, version;
};

// Paths are split on '/'; segments compare exactly (the protocol's strings are
// case-sensitive).
V2Path ParseV2Path(absl::string_view path) {
  V2Path p;
  std::vector<absl::string_view> seg = absl::StrSplit(path, '/');
  // "/v2/..." splits into "", "v2", ...
  if (seg.size() < 2 || !seg[0].empty() || seg[1] != "v2") return p;
  seg.erase(seg.begin(), seg.begin() + 2);
  if (seg.empty()) {
    p.kind = V2Path::kServerMetadata;
    return p;
  }
  if (seg.size() == 2 && seg[0] == "health") {
    if (seg[1] == "live") p.kind = V2Path::kLive;
    if (seg[1] == "ready") p.kind = V2Path::kReady;
    return p;
  }
  if (seg.size() < 2 || seg[0] != "models" || seg[1].empty()) return p;
  p.name = UrlUnescape(seg[1]);
  size_t i = 2;
  if (seg.size() >= 4 && seg[2] == "versions" && !seg[3].empty()) {
    p.version = UrlUnescape(seg[3]);
    i = 4;
  }
  if (i == seg.size()) {
    p.kind = V2Path::kModelMetadata;
  } else if (i + 1 == seg.size() && seg[i] == "ready") {
    p.kind = V2Path::kModelReady;
  } else if (i + 1 == seg.size() && seg[i] == "infer") {
    p.kind = V2Path::kInfer;
  }
  return p;
}

void SetJson(int status, std::string body, HttpResponse* r) {
  r->status = status;
  r->headers.emplace_back("Content-Type", "application/json");
  r->body = std::move(body);
}

void SetError(const absl::Status& s, HttpResponse* r) {
  SetJson(HttpStatusFromCode(s.code()), MakeJsonFromStatus(s), r);
}

// {"<key>": <value>} plus an optional "name".
std::string BoolJson(const char* key, bool value, const std::string* name = nullptr) {
  JsonOut out;
  JsonWriter& w = out.w();
  w.StartObject();
  if (name != nullptr) {
    w.Key("name");
    w.String(name->data(), name->size());
  }
  w.Key(key);
  w.Bool(value);
  w.EndObject();
  return out.Take();
}

absl::string_view Header(const HttpRequest& request, absl::string_view key) {
  for (const auto& [k, v] : request.headers) {
    if (absl::EqualsIgnoreCase(k, key)) return v;
  }
  return {};
}

}  // namespace

absl::Status V2RestApi::Infer(const std::string& name, const std::string& version,
                              const HttpRequest& request, HttpResponse* response) const {
  TFM_ASSIGN_OR_RETURN(auto spec, v2::SpecFor(name, version));
  // The version the request resolves to is held for the whole request.
  TFM_ASSIGN_OR_RETURN(auto servable, manager_->GetServable(spec));
  TFM_ASSIGN_OR_RETURN(const InputDTypeMap* signature, servable->InputDTypes(""));
  absl::string_view json = request.body, binary;
  const absl::string_view header = Header(request, v2::kHeaderContentLength);
  if (!header.empty()) {
    uint64_t n;
    if (!absl::SimpleAtoi(header, &n) || n > request.body.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          v2::kHeaderContentLength, " is '", EchoText(header),
          "', which is not a length within the ", request.body.size(), "-byte request body"));
    }
    json = json.substr(0, n);
    binary = absl::string_view(request.body).substr(n);
  }
  v2::InferRequest infer;
  TFM_RETURN_IF_ERROR(v2::ParseInferRequestJson(json, binary, *servable, *signature, &infer));
  TFM_ASSIGN_OR_RETURN(auto outputs, v2::RunInfer(*servable, infer));
  size_t json_size = 0;
  TFM_ASSIGN_OR_RETURN(response->body,
                       v2::MakeInferResponse(*servable, infer, outputs, &json_size));
  response->status = 200;
  if (json_size == response->body.size()) {
    response->headers.emplace_back("Content-Type", "application/json");
  } else {
    response->headers.emplace_back("Content-Type", "application/octet-stream");
    response->headers.emplace_back(v2::kHeaderContentLength, absl::StrCat(json_size));
  }
  return absl::OkStatus();
}

HttpResponse V2RestApi::Handle(const HttpRequest& request, absl::string_view path,
                               std::string* model_name, std::string* api,
                               absl::Status* result) const {
  HttpResponse r;
  const V2Path p = ParseV2Path(path);
  if (p.kind == V2Path::kNone) {
    SetError(absl::NotFoundError(absl::StrCat("no Open Inference Protocol endpoint at ",
                                              EchoText(request.method), " ", EchoText(path))),
             &r);
    return r;
  }
  const char* want_method = p.kind == V2Path::kInfer ? "POST" : "GET";
  if (request.method != want_method) {
    SetJson(405,
            MakeJsonFromStatus(absl::InvalidArgumentError(absl::StrCat(
                EchoText(path), " takes ", want_method, ", not ", EchoText(request.method)))),
            &r);
    r.headers.emplace_back("Allow", want_method);
    return r;
  }
  *model_name = p.name;
  switch (p.kind) {
    case V2Path::kServerMetadata:
      SetJson(200, v2::ServerMetadataJson(), &r);
      break;
    case V2Path::kLive:
      SetJson(200, BoolJson("live", true), &r);
      break;
    case V2Path::kReady: {
      // 200 when ready; the protocol answers "not ready" with a 4xx status.
      const bool ready = v2::ServerReady(*manager_);
      SetJson(ready ? 200 : 400, BoolJson("ready", ready), &r);
      break;
    }
    case V2Path::kModelReady: {
      *api = "v2_model_ready";
      auto ready = v2::ModelReady(*manager_, p.name, p.version);
      *result = ready.status();
      if (!ready.ok()) {
        SetError(ready.status(), &r);
      } else {
        SetJson(*ready ? 200 : 400, BoolJson("ready", *ready, &p.name), &r);
      }
      break;
    }
    case V2Path::kModelMetadata: {
      *api = "v2_model_metadata";
      auto m = v2::GetModelMetadata(*manager_, p.name, p.version);
      *result = m.status();
      if (!m.ok()) {
        SetError(m.status(), &r);
      } else {
        SetJson(200, v2::ModelMetadataJson(*m), &r);
      }
      break;
    }
    case V2Path::kInfer: {
      *api = "v2_infer";
      absl::Status s = Infer(p.name, p.version, request, &r);
      *result = s;
      if (!s.ok()) {
        r = HttpResponse();
        SetError(s, &r);
      }
      break;
    }
    case V2Path::kNone:
      break;
  }
  return r;
}

}  // namespace tfmodel::serving
