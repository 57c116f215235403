#include "serving/openapi.h"

#include <set>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "serving/json_util.h"
#include "serving/signature_example.h"

namespace tfmodel::serving {
namespace {

constexpr char kJson[] = "application/json";
constexpr char kBytesSuffix[] = "_bytes";

bool Unreserved(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '~' ||
         c == '-';
}

// A components key (OpenAPI allows [A-Za-z0-9.\-_]).
std::string SchemaKey(absl::string_view s) {
  std::string out;
  for (char c : s) out.push_back(Unreserved(c) && c != '~' ? c : '_');
  return out;
}

class DocWriter {
 public:
  DocWriter(const Servable& servable, std::string prefix)
      : servable_(servable), prefix_(std::move(prefix)) {
    std::set<std::string> used;
    for (const auto& [key, sig] : servable.model().signatures()) {
      std::string k = SchemaKey(key);
      while (!used.insert(k).second) k += "_";
      keys_[key] = k;
    }
  }

  std::string Write() {
    w_.StartObject();
    Str("openapi", "3.0.3");
    w_.Key("info");
    w_.StartObject();
    Str("title", absl::StrCat("Model ", servable_.name(), " (tfmodel serve)"));
    Str("version", absl::StrCat(servable_.version()));
    Str("description",
        absl::StrCat("TensorFlow Serving REST API of model \"", servable_.name(), "\" version ",
                     servable_.version(), ", generated from its signatures."));
    w_.EndObject();
    w_.Key("paths");
    w_.StartObject();
    StatusPath();
    MetadataPath();
    ExamplePath();
    InferencePath("predict", "");
    InferencePath("classify", kClassifyMethodName);
    InferencePath("regress", kRegressMethodName);
    w_.EndObject();
    w_.Key("components");
    w_.StartObject();
    w_.Key("schemas");
    w_.StartObject();
    CommonSchemas();
    for (const auto& [key, sig] : servable_.model().signatures()) SignatureSchemas(sig);
    w_.EndObject();
    w_.EndObject();
    w_.EndObject();
    return out_.Take();
  }

 private:
  void Key(absl::string_view k) { w_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); }
  void String(absl::string_view s) {
    w_.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  }
  void Str(absl::string_view k, absl::string_view v) {
    Key(k);
    String(v);
  }
  void Ref(absl::string_view name) {
    w_.StartObject();
    Str("$ref", absl::StrCat("#/components/schemas/", name));
    w_.EndObject();
  }
  void JsonContent(absl::string_view schema_ref) {
    Key("content");
    w_.StartObject();
    Key(kJson);
    w_.StartObject();
    Key("schema");
    Ref(schema_ref);
    w_.EndObject();
    w_.EndObject();
  }
  void Response(absl::string_view code, absl::string_view description,
                absl::string_view schema_ref) {
    Key(code);
    w_.StartObject();
    Str("description", description);
    JsonContent(schema_ref);
    w_.EndObject();
  }
  void ErrorResponses() {
    Response("400", "The request is malformed or does not fit the signature.", "Error");
    Response("404", "No such model, version or label.", "Error");
    Key("default");
    w_.StartObject();
    Str("description", "Other errors (TF Serving's mapping of status codes).");
    JsonContent("Error");
    w_.EndObject();
  }

  void StatusPath() {
    Key(prefix_);
    w_.StartObject();
    Key("get");
    w_.StartObject();
    Str("operationId", "getModelStatus");
    Str("summary", "Model version status (states of the versions).");
    Key("responses");
    w_.StartObject();
    Response("200", "The status of the model's versions.", "ModelStatus");
    ErrorResponses();
    w_.EndObject();
    w_.EndObject();
    w_.EndObject();
  }

  void MetadataPath() {
    Key(absl::StrCat(prefix_, "/metadata"));
    w_.StartObject();
    Key("get");
    w_.StartObject();
    Str("operationId", "getModelMetadata");
    Str("summary", "The model's SignatureDefs.");
    Key("responses");
    w_.StartObject();
    Response("200", "The signature_def metadata.", "ModelMetadata");
    ErrorResponses();
    w_.EndObject();
    w_.EndObject();
    w_.EndObject();
  }

  void QueryParameter(absl::string_view name, absl::string_view description,
                      const std::vector<std::string>& values) {
    w_.StartObject();
    Str("name", name);
    Str("in", "query");
    Str("description", description);
    Key("schema");
    w_.StartObject();
    Str("type", "string");
    Key("enum");
    w_.StartArray();
    for (const auto& v : values) String(v);
    w_.EndArray();
    w_.EndObject();
    w_.EndObject();
  }

  void ExamplePath() {
    Key(absl::StrCat(prefix_, "/example"));
    w_.StartObject();
    Key("get");
    w_.StartObject();
    Str("operationId", "getExampleRequest");
    Str("summary", "A request body the signature accepts, with placeholder values.");
    Key("parameters");
    w_.StartArray();
    std::vector<std::string> names;
    for (const auto& [key, sig] : servable_.model().signatures()) names.push_back(key);
    QueryParameter("signature_name", "The signature (default serving_default).", names);
    QueryParameter("method", "The API the body is for (default predict).",
                   {"predict", "classify", "regress"});
    w_.EndArray();
    Key("responses");
    w_.StartObject();
    Key("200");
    w_.StartObject();
    Str("description", "A request body for :predict, :classify or :regress.");
    Key("content");
    w_.StartObject();
    Key(kJson);
    w_.StartObject();
    Key("schema");
    w_.StartObject();
    Str("type", "object");
    w_.EndObject();
    w_.EndObject();
    w_.EndObject();
    w_.EndObject();
    ErrorResponses();
    w_.EndObject();
    w_.EndObject();
    w_.EndObject();
  }

  // The signatures an API serves: every one for predict, those of `method` otherwise.
  std::vector<const runtime::Signature*> SignaturesFor(absl::string_view method) const {
    std::vector<const runtime::Signature*> out;
    for (const auto& [key, sig] : servable_.model().signatures()) {
      if (method.empty() || sig.method_name == method) out.push_back(&sig);
    }
    return out;
  }

  // The schema of a request or response: the one signature's, or oneOf all of them.
  void OneOf(const std::vector<const runtime::Signature*>& sigs, absl::string_view what) {
    if (sigs.size() == 1) {
      Ref(absl::StrCat(what, ".", keys_.at(sigs[0]->key)));
      return;
    }
    w_.StartObject();
    Key("oneOf");
    w_.StartArray();
    for (const auto* sig : sigs) Ref(absl::StrCat(what, ".", keys_.at(sig->key)));
    w_.EndArray();
    w_.EndObject();
  }

  void InferencePath(absl::string_view api, absl::string_view method) {
    const auto sigs = SignaturesFor(method);
    if (sigs.empty()) return;
    const std::string upper = absl::StrCat(absl::AsciiStrToUpper(api.substr(0, 1)), api.substr(1));
    Key(absl::StrCat(prefix_, ":", api));
    w_.StartObject();
    Key("post");
    w_.StartObject();
    Str("operationId", api);
    Str("summary", absl::StrCat("Runs a ", api, " request on a signature."));
    Key("requestBody");
    w_.StartObject();
    w_.Key("required");
    w_.Bool(true);
    Key("content");
    w_.StartObject();
    Key(kJson);
    w_.StartObject();
    Key("schema");
    OneOf(sigs, absl::StrCat(upper, "Request"));
    Key("examples");
    w_.StartObject();
    for (const auto* sig : sigs) {
      JsonOut example;
      const tensorflow::MetaGraphDef& mg = servable_.model().meta_graph();
      const absl::Status s =
          method.empty() ? WritePredictExample(*sig, mg, &example.w())
                         : WriteClassifyRegressExample(*sig, api == "classify", mg, &example.w());
      if (!s.ok()) continue;
      const std::string value = example.Take();
      Key(keys_.at(sig->key));
      w_.StartObject();
      Str("summary", absl::StrCat("signature ", sig->key));
      Key("value");
      w_.RawValue(value.data(), value.size(), rapidjson::kObjectType);
      w_.EndObject();
    }
    w_.EndObject();
    w_.EndObject();
    w_.EndObject();
    w_.EndObject();
    Key("responses");
    w_.StartObject();
    Key("200");
    w_.StartObject();
    Str("description", absl::StrCat("The ", api, " results."));
    Key("content");
    w_.StartObject();
    Key(kJson);
    w_.StartObject();
    Key("schema");
    if (method.empty()) {
      OneOf(sigs, "PredictResponse");
    } else {
      Ref(absl::StrCat(upper, "Response"));
    }
    w_.EndObject();
    w_.EndObject();
    w_.EndObject();
    ErrorResponses();
    w_.EndObject();
    w_.EndObject();
    w_.EndObject();
  }

  // The JSON item type of one element of `dtype`.
  void ItemSchema(DType dtype, bool bytes) {
    w_.StartObject();
    auto integer = [&](const char* format, int64_t lo, uint64_t hi) {
      Str("type", "integer");
      if (format) Str("format", format);
      Key("minimum");
      w_.Int64(lo);
      Key("maximum");
      w_.Uint64(hi);
    };
    switch (dtype) {
      case DType::kFloat:
      case DType::kHalf:
      case DType::kBFloat16:
        Str("type", "number");
        Str("format", "float");
        break;
      case DType::kDouble:
        Str("type", "number");
        Str("format", "double");
        break;
      case DType::kInt8:
        integer(nullptr, -128, 127);
        break;
      case DType::kUInt8:
        integer(nullptr, 0, 255);
        break;
      case DType::kInt16:
        integer(nullptr, -32768, 32767);
        break;
      case DType::kUInt16:
        integer(nullptr, 0, 65535);
        break;
      case DType::kInt32:
        integer("int32", INT32_MIN, INT32_MAX);
        break;
      case DType::kUInt32:
        integer(nullptr, 0, UINT32_MAX);
        break;
      case DType::kInt64:
        Str("type", "integer");
        Str("format", "int64");
        break;
      case DType::kUInt64:
        Str("type", "integer");
        Key("minimum");
        w_.Int(0);
        break;
      case DType::kBool:
        Str("type", "boolean");
        break;
      case DType::kString:
        if (bytes) {
          Str("$ref", "#/components/schemas/B64");
        } else {
          Key("oneOf");
          w_.StartArray();
          w_.StartObject();
          Str("type", "string");
          w_.EndObject();
          Ref("B64");
          w_.EndArray();
        }
        break;
      default:
        Str("description",
            absl::StrCat("dtype ", DTypeName(dtype), " (not representable in JSON requests)"));
        break;
    }
    w_.EndObject();
  }

  // A tensor of `spec` from dimension `from` on: arrays nested as deep as the rest of
  // its rank, sized where dimensions are known.
  void TensorSchema(const std::string& alias, const runtime::TensorSpec& spec, int from) {
    const bool bytes = spec.dtype == DType::kString && absl::EndsWith(alias, kBytesSuffix);
    if (spec.shape.unknown_rank()) {
      w_.StartObject();
      Str("description",
          absl::StrCat(DTypeName(spec.dtype), " values of any shape (unknown rank)"));
      w_.EndObject();
      return;
    }
    const int rank = spec.shape.rank();
    for (int d = from; d < rank; ++d) {
      w_.StartObject();
      Str("type", "array");
      if (spec.shape.dim(d) >= 0) {
        Key("minItems");
        w_.Int64(spec.shape.dim(d));
        Key("maxItems");
        w_.Int64(spec.shape.dim(d));
      }
      Key("items");
    }
    ItemSchema(spec.dtype, bytes);
    for (int d = from; d < rank; ++d) w_.EndObject();
  }

  // How a set of tensors is written: a bare value when there is one tensor (responses),
  // an object by alias, or, for requests, either when there is one tensor.
  enum class Form { kBareIfOne, kNamed, kEither };

  void NamedTensorsSchema(const std::map<std::string, runtime::TensorSpec>& specs, int from) {
    w_.StartObject();
    Str("type", "object");
    Key("properties");
    w_.StartObject();
    for (const auto& [alias, spec] : specs) {
      Key(alias);
      TensorSchema(alias, spec, from);
    }
    w_.EndObject();
    Key("required");
    w_.StartArray();
    for (const auto& [alias, spec] : specs) String(alias);
    w_.EndArray();
    w_.EndObject();
  }

  void TensorsSchema(const std::map<std::string, runtime::TensorSpec>& specs, int from, Form form) {
    if (specs.size() != 1 || form == Form::kNamed) {
      NamedTensorsSchema(specs, from);
    } else if (form == Form::kBareIfOne) {
      TensorSchema(specs.begin()->first, specs.begin()->second, from);
    } else {
      w_.StartObject();
      Key("anyOf");
      w_.StartArray();
      TensorSchema(specs.begin()->first, specs.begin()->second, from);
      NamedTensorsSchema(specs, from);
      w_.EndArray();
      w_.EndObject();
    }
  }

  void SignatureNameProperty(const runtime::Signature& sig) {
    Key("signature_name");
    w_.StartObject();
    Str("type", "string");
    Key("enum");
    w_.StartArray();
    String(sig.key);
    w_.EndArray();
    w_.EndObject();
  }

  void RequiredSignatureName(const runtime::Signature& sig) {
    if (sig.key == kDefaultSignatureKey) return;
    Key("required");
    w_.StartArray();
    String("signature_name");
    w_.EndArray();
  }

  void PredictRequestSchema(const runtime::Signature& sig) {
    const bool row = ChoosePredictLayout(sig).row;
    Key(absl::StrCat("PredictRequest.", keys_.at(sig.key)));
    w_.StartObject();
    Str("type", "object");
    Str("description",
        absl::StrCat("A predict request for signature ", sig.key,
                     row ? ": rows (\"instances\") or columns (\"inputs\")." : ": \"inputs\"."));
    Key("properties");
    w_.StartObject();
    SignatureNameProperty(sig);
    if (row) {
      Key("instances");
      w_.StartObject();
      Str("type", "array");
      Key("minItems");
      w_.Int(1);
      Key("items");
      TensorsSchema(sig.inputs, 1, Form::kEither);
      w_.EndObject();
    }
    Key("inputs");
    TensorsSchema(sig.inputs, 0, Form::kEither);
    w_.EndObject();
    RequiredSignatureName(sig);
    Key("oneOf");
    w_.StartArray();
    for (const char* k : {"instances", "inputs"}) {
      if (!row && k == std::string("instances")) continue;
      w_.StartObject();
      Key("required");
      w_.StartArray();
      String(k);
      w_.EndArray();
      w_.EndObject();
    }
    w_.EndArray();
    w_.EndObject();
  }

  void PredictResponseSchema(const runtime::Signature& sig) {
    Key(absl::StrCat("PredictResponse.", keys_.at(sig.key)));
    w_.StartObject();
    Str("type", "object");
    Str("description", absl::StrCat("The outputs of signature ", sig.key,
                                    ", as rows for \"instances\" requests or columns for "
                                    "\"inputs\" ones."));
    Key("properties");
    w_.StartObject();
    Key("predictions");
    w_.StartObject();
    Str("type", "array");
    Key("items");
    TensorsSchema(sig.outputs, 1, Form::kBareIfOne);
    w_.EndObject();
    Key("outputs");
    TensorsSchema(sig.outputs, 0, Form::kBareIfOne);
    w_.EndObject();
    w_.EndObject();
  }

  // A tf.Example as JSON: feature name -> a value or a list of values.
  void ExampleSchema(const std::vector<ExampleFeature>& features) {
    w_.StartObject();
    Str("type", "object");
    if (!features.empty()) {
      Key("properties");
      w_.StartObject();
      for (const ExampleFeature& f : features) {
        Key(f.name);
        w_.StartObject();
        Key("oneOf");
        w_.StartArray();
        ItemSchema(f.dtype, false);
        w_.StartObject();
        Str("type", "array");
        Key("items");
        ItemSchema(f.dtype, false);
        w_.EndObject();
        w_.EndArray();
        w_.EndObject();
      }
      w_.EndObject();
    }
    Key("additionalProperties");
    Ref("FeatureValue");
    w_.EndObject();
  }

  void ClassifyRegressRequestSchema(const runtime::Signature& sig, absl::string_view api) {
    const auto features = SignatureExampleFeatures(sig, servable_.model().meta_graph());
    const std::vector<ExampleFeature> none;
    const auto& fs = features.size() == 1 ? features.begin()->second : none;
    Key(absl::StrCat(api, "Request.", keys_.at(sig.key)));
    w_.StartObject();
    Str("type", "object");
    Str("description", absl::StrCat("A ", absl::AsciiStrToLower(api), " request for signature ",
                                    sig.key, ": tf.Examples as feature name -> value(s)."));
    Key("properties");
    w_.StartObject();
    SignatureNameProperty(sig);
    Key("context");
    ExampleSchema(fs);
    Key("examples");
    w_.StartObject();
    Str("type", "array");
    Key("minItems");
    w_.Int(1);
    Key("items");
    ExampleSchema(fs);
    w_.EndObject();
    w_.EndObject();
    Key("required");
    w_.StartArray();
    String("examples");
    if (sig.key != kDefaultSignatureKey) String("signature_name");
    w_.EndArray();
    w_.EndObject();
  }

  void SignatureSchemas(const runtime::Signature& sig) {
    PredictRequestSchema(sig);
    PredictResponseSchema(sig);
    if (sig.method_name == kClassifyMethodName) ClassifyRegressRequestSchema(sig, "Classify");
    if (sig.method_name == kRegressMethodName) ClassifyRegressRequestSchema(sig, "Regress");
  }

  void CommonSchemas();

  const Servable& servable_;
  const std::string prefix_;
  std::map<std::string, std::string> keys_;  // signature key -> components key part
  JsonOut out_;
  JsonWriter& w_ = out_.w();
};

// Schemas every document has, written as JSON text.
constexpr char kCommonSchemas[] = R"json({
"B64": {"type": "object", "description": "Binary string data, base64-encoded.",
  "properties": {"b64": {"type": "string", "format": "byte"}}, "required": ["b64"],
  "additionalProperties": false},
"Error": {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]},
"FeatureValue": {"description": "A tf.Example feature: one value or a list (floats, ints, strings or b64 objects).",
  "oneOf": [{"type": "number"}, {"type": "string"}, {"$ref": "#/components/schemas/B64"},
    {"type": "array", "items": {"oneOf": [{"type": "number"}, {"type": "string"},
      {"$ref": "#/components/schemas/B64"}]}}]},
"ClassifyResponse": {"type": "object", "properties": {"results": {"type": "array",
  "description": "Per example, its [label, score] pairs.",
  "items": {"type": "array", "items": {"type": "array", "minItems": 2, "maxItems": 2,
    "items": {"oneOf": [{"type": "string"}, {"type": "number"}]}}}}}, "required": ["results"]},
"RegressResponse": {"type": "object", "properties": {"results": {"type": "array",
  "items": {"type": "number"}}}, "required": ["results"]},
"ModelStatus": {"type": "object", "properties": {"model_version_status": {"type": "array",
  "items": {"type": "object", "properties": {"version": {"type": "string"},
    "state": {"type": "string", "enum": ["UNKNOWN", "START", "LOADING", "AVAILABLE", "UNLOADING", "END"]},
    "status": {"type": "object", "properties": {"error_code": {"type": "string"},
      "error_message": {"type": "string"}}}}}}}},
"ModelMetadata": {"type": "object", "properties": {
  "model_spec": {"type": "object", "properties": {"name": {"type": "string"},
    "signature_name": {"type": "string"}, "version": {"type": "string", "nullable": true}}},
  "metadata": {"type": "object", "properties": {"signature_def": {"type": "object"}}}}}
})json";

void DocWriter::CommonSchemas() {
  rapidjson::Document doc;
  doc.Parse(kCommonSchemas);
  for (const auto& m : doc.GetObject()) {
    w_.Key(m.name.GetString(), m.name.GetStringLength());
    m.value.Accept(w_);
  }
}

}  // namespace

std::string UrlEscapeSegment(absl::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    if (Unreserved(c)) {
      out.push_back(c);
    } else {
      const auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 15]);
    }
  }
  return out;
}

absl::StatusOr<std::string> MakeOpenApiDocument(const Servable& servable,
                                                const std::string& path_prefix) {
  std::string doc = DocWriter(servable, path_prefix).Write();
  doc.push_back('\n');
  return doc;
}

}  // namespace tfmodel::serving
