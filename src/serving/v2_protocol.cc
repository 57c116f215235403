#include "serving/v2_protocol.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status.h"
#include "serving/echo_text.h"
#include "serving/json_util.h"

namespace tfmodel::serving::v2 {
namespace {

struct DatatypeEntry {
  const char* name;
  DType dtype;
};
constexpr DatatypeEntry kDatatypes[] = {
    {"BOOL", DType::kBool},     {"UINT8", DType::kUInt8},   {"UINT16", DType::kUInt16},
    {"UINT32", DType::kUInt32}, {"UINT64", DType::kUInt64}, {"INT8", DType::kInt8},
    {"INT16", DType::kInt16},   {"INT32", DType::kInt32},   {"INT64", DType::kInt64},
    {"FP16", DType::kHalf},     {"FP32", DType::kFloat},    {"FP64", DType::kDouble},
    {"BF16", DType::kBFloat16}, {"BYTES", DType::kString},
};

// The datatype for an error message: the protocol's name, else TF's.
std::string DatatypeText(DType dtype) {
  absl::string_view n = DatatypeName(dtype);
  return n.empty() ? DTypeName(dtype) : std::string(n);
}

std::string JoinAliases(const InputDTypeMap& m) {
  std::vector<std::string> names;
  for (const auto& [alias, dtype] : m) names.push_back(alias);
  return absl::StrJoin(names, ", ");
}

TensorMetadata MetadataOf(const std::string& alias, const runtime::TensorSpec& spec) {
  TensorMetadata m;
  m.name = alias;
  m.datatype = std::string(DatatypeName(spec.dtype));
  if (m.datatype.empty()) m.datatype = DTypeEnumName(spec.dtype);
  if (spec.shape.unknown_rank()) {
    m.shape = {-1};
  } else {
    for (int64_t d : spec.shape.dims()) m.shape.push_back(d < 0 ? -1 : d);
  }
  return m;
}

const runtime::Signature* DefaultSignature(const Servable& servable) {
  const auto& sigs = servable.model().signatures();
  auto it = sigs.find(kDefaultSignatureKey);
  return it == sigs.end() ? nullptr : &it->second;
}

// ---- JSON request pieces ----

const rapidjson::Value* Member(const rapidjson::Value& obj, const char* key) {
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

absl::Status ReadString(const rapidjson::Value& obj, const char* key, absl::string_view what,
                        std::string* out) {
  const rapidjson::Value* v = Member(obj, key);
  if (v == nullptr) return absl::InvalidArgumentError(absl::StrCat(what, " has no \"", key, "\""));
  if (!v->IsString()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": \"", key, "\" must be a string, not ", JsonText(*v)));
  }
  out->assign(v->GetString(), v->GetStringLength());
  return absl::OkStatus();
}

// A parameter of an optional "parameters" object: nullptr when absent.
absl::StatusOr<const rapidjson::Value*> Parameter(const rapidjson::Value& obj, const char* key,
                                                  absl::string_view what) {
  const rapidjson::Value* params = Member(obj, "parameters");
  if (params == nullptr) return nullptr;
  if (!params->IsObject()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": \"parameters\" must be an object, not ", JsonText(*params)));
  }
  return Member(*params, key);
}

absl::StatusOr<bool> BoolParameter(const rapidjson::Value& obj, const char* key,
                                   absl::string_view what) {
  TFM_ASSIGN_OR_RETURN(const rapidjson::Value* v, Parameter(obj, key, what));
  if (v == nullptr) return false;
  if (!v->IsBool()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": parameter \"", key, "\" must be a boolean, not ", JsonText(*v)));
  }
  return v->GetBool();
}

absl::StatusOr<TensorShape> ReadShape(const rapidjson::Value& in, const std::string& name,
                                      const std::string& what) {
  const rapidjson::Value* v = Member(in, "shape");
  if (v == nullptr || !v->IsArray()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " needs \"shape\": a list of dimension sizes"));
  }
  std::vector<int64_t> dims;
  for (const auto& d : v->GetArray()) {
    if (!d.IsInt64()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": shape ", JsonText(*v), " holds a value that is not an integer"));
    }
    dims.push_back(d.GetInt64());
  }
  return ShapeFromDims(name, dims);
}

// One entry of "inputs"; `binary` is the rest of the binary part, consumed in input order.
absl::Status ReadInput(const rapidjson::Value& in, size_t index, const Servable& servable,
                       const InputDTypeMap& signature, absl::string_view* binary,
                       std::map<std::string, Tensor>* inputs) {
  std::string what = absl::StrCat("input ", index);
  if (!in.IsObject()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " must be an object, not ", JsonText(in)));
  }
  std::string name, datatype;
  TFM_RETURN_IF_ERROR(ReadString(in, "name", what, &name));
  what = absl::StrCat("input '", EchoText(name), "'");
  TFM_RETURN_IF_ERROR(ReadString(in, "datatype", what, &datatype));
  TFM_ASSIGN_OR_RETURN(const DType dtype, DTypeFromDatatype(datatype));
  TFM_RETURN_IF_ERROR(CheckInput(servable, signature, *inputs, name, dtype));
  TFM_ASSIGN_OR_RETURN(const TensorShape shape, ReadShape(in, name, what));
  TFM_ASSIGN_OR_RETURN(const rapidjson::Value* size, Parameter(in, "binary_data_size", what));
  const rapidjson::Value* data = Member(in, "data");
  Tensor t;
  if (size != nullptr) {
    if (data != nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " has both \"data\" and a \"binary_data_size\" parameter"));
    }
    if (!size->IsUint64()) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": \"binary_data_size\" must be a non-negative integer, not ", JsonText(*size)));
    }
    const uint64_t n = size->GetUint64();
    if (n > binary->size()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": \"binary_data_size\" is ", n, " bytes, but only ", binary->size(),
                       " bytes of binary data are left in the request body"));
    }
    TFM_ASSIGN_OR_RETURN(t, TensorFromRaw(name, dtype, shape, binary->substr(0, n)));
    binary->remove_prefix(n);
  } else {
    if (data == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " has neither \"data\" nor a \"binary_data_size\" parameter"));
    }
    auto read = JsonValuesToTensor(*data, dtype, shape);
    if (!read.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": ", read.status().message()));
    }
    t = *std::move(read);
  }
  inputs->emplace(name, std::move(t));
  return absl::OkStatus();
}

absl::Status ReadOutputs(const rapidjson::Value& doc, InferRequest* request) {
  const rapidjson::Value* outs = Member(doc, "outputs");
  if (outs == nullptr) return absl::OkStatus();
  if (!outs->IsArray()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"outputs\" must be a list of objects, not ", JsonText(*outs)));
  }
  for (rapidjson::SizeType i = 0; i < outs->Size(); ++i) {
    const rapidjson::Value& o = (*outs)[i];
    std::string what = absl::StrCat("requested output ", i);
    if (!o.IsObject()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " must be an object, not ", JsonText(o)));
    }
    RequestedOutput out;
    TFM_RETURN_IF_ERROR(ReadString(o, "name", what, &out.name));
    TFM_ASSIGN_OR_RETURN(const rapidjson::Value* b, Parameter(o, "binary_data", what));
    if (b != nullptr && !b->IsBool()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": parameter \"binary_data\" must be a boolean, not ", JsonText(*b)));
    }
    out.binary = b != nullptr ? b->GetBool() : request->binary_data_output;
    request->outputs.push_back(std::move(out));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DType> DTypeFromDatatype(absl::string_view datatype) {
  for (const auto& e : kDatatypes) {
    if (datatype == e.name) return e.dtype;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown datatype '", EchoText(datatype),
                   "' (the protocol's are BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, "
                   "INT32, INT64, FP16, FP32, FP64, BF16 and BYTES)"));
}

absl::string_view DatatypeName(DType dtype) {
  for (const auto& e : kDatatypes) {
    if (dtype == e.dtype) return e.name;
  }
  return "";
}

absl::StatusOr<TensorShape> ShapeFromDims(absl::string_view name, absl::Span<const int64_t> dims) {
  absl::Status s = TensorShape::Validate(dims);
  if (!s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("input '", EchoText(name), "': shape [",
                                                   absl::StrJoin(dims, ","), "]: ", s.message()));
  }
  return TensorShape(dims);
}

absl::StatusOr<Tensor> TensorFromRaw(absl::string_view name, DType dtype, const TensorShape& shape,
                                     absl::string_view raw) {
  const int64_t n = shape.NumElements();
  if (dtype == DType::kString) {
    std::vector<std::string> values;
    absl::string_view rest = raw;
    while (!rest.empty()) {
      uint32_t len = 0;
      if (rest.size() < 4) break;
      for (int i = 3; i >= 0; --i) len = (len << 8) | static_cast<unsigned char>(rest[i]);
      rest.remove_prefix(4);
      if (len > rest.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("input '", EchoText(name), "': BYTES element ", values.size(), " says ",
                         len, " bytes, but only ", rest.size(), " remain in its raw data"));
      }
      values.emplace_back(rest.substr(0, len));
      rest.remove_prefix(len);
      if (static_cast<int64_t>(values.size()) > n) break;
    }
    if (!rest.empty() || static_cast<int64_t>(values.size()) != n) {
      return absl::InvalidArgumentError(
          absl::StrCat("input '", EchoText(name), "': raw BYTES data of ", raw.size(),
                       " bytes does not hold exactly ", n, " length-prefixed elements for shape ",
                       shape.ToString()));
    }
    Tensor t(DType::kString, shape);
    std::string* out = t.data<std::string>();
    for (int64_t i = 0; i < n; ++i) out[i] = std::move(values[i]);
    return t;
  }
  const size_t elem = DTypeSize(dtype);
  if (elem == 0 || DatatypeName(dtype).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("input '", EchoText(name), "': dtype ", DTypeName(dtype),
                     " has no raw layout in the Open Inference Protocol"));
  }
  if (raw.size() != static_cast<uint64_t>(n) * elem) {
    return absl::InvalidArgumentError(absl::StrCat(
        "input '", EchoText(name), "': raw data has ", raw.size(), " bytes, but shape ",
        shape.ToString(), " of ", DatatypeText(dtype), " needs ", static_cast<uint64_t>(n) * elem));
  }
  Tensor t(dtype, shape);
  if (dtype == DType::kBool) {
    bool* out = t.data<bool>();
    for (int64_t i = 0; i < n; ++i) out[i] = raw[i] != 0;
  } else if (n > 0) {
    std::memcpy(t.raw_data(), raw.data(), raw.size());
  }
  return t;
}

absl::Status AppendRaw(absl::string_view name, const Tensor& t, std::string* out) {
  if (t.dtype() == DType::kString) {
    for (const std::string& s : t.flat<std::string>()) {
      if (s.size() > UINT32_MAX) {
        return absl::InvalidArgumentError(absl::StrCat(
            "output '", EchoText(name), "': a BYTES element of ", s.size(), " bytes is too long"));
      }
      const uint32_t len = static_cast<uint32_t>(s.size());
      for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((len >> (8 * i)) & 0xff));
      out->append(s);
    }
    return absl::OkStatus();
  }
  if (DatatypeName(t.dtype()).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("output '", EchoText(name), "' has dtype ", DTypeName(t.dtype()),
                     ", which the Open Inference Protocol cannot carry"));
  }
  if (t.dtype() == DType::kBool) {
    for (bool b : t.flat<bool>()) out->push_back(b ? 1 : 0);
  } else {
    out->append(static_cast<const char*>(t.raw_data()), t.TotalBytes());
  }
  return absl::OkStatus();
}

absl::StatusOr<tensorflow::serving::ModelSpec> SpecFor(absl::string_view name,
                                                       absl::string_view version) {
  tensorflow::serving::ModelSpec spec;
  spec.set_name(std::string(name));
  if (!version.empty()) {
    int64_t v;
    if (!absl::SimpleAtoi(version, &v) || v < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("model version '", EchoText(version),
                       "' is not a version number (a non-negative integer)"));
    }
    spec.mutable_version()->set_value(v);
  }
  return spec;
}

bool ServerReady(const ServableManager& manager) {
  return !manager.ModelNames().empty() && manager.ModelsNotReady().empty();
}

absl::StatusOr<bool> ModelReady(const ServableManager& manager, absl::string_view name,
                                absl::string_view version) {
  TFM_ASSIGN_OR_RETURN(auto spec, SpecFor(name, version));
  const auto names = manager.ModelNames();
  if (std::find(names.begin(), names.end(), spec.name()) == names.end()) {
    return absl::NotFoundError(absl::StrCat("model '", EchoText(name), "' is not served"));
  }
  return manager.GetServable(spec).ok();
}

absl::StatusOr<ModelMetadata> GetModelMetadata(const ServableManager& manager,
                                               absl::string_view name, absl::string_view version) {
  TFM_ASSIGN_OR_RETURN(auto spec, SpecFor(name, version));
  TFM_ASSIGN_OR_RETURN(auto servable, manager.GetServable(spec));
  ModelMetadata m;
  m.name = servable->name();
  m.platform = kPlatform;
  tensorflow::serving::GetModelStatusRequest sreq;
  sreq.mutable_model_spec()->set_name(servable->name());
  tensorflow::serving::GetModelStatusResponse sresp;
  if (manager.GetModelStatus(sreq, &sresp).ok()) {
    std::vector<int64_t> versions;
    for (const auto& v : sresp.model_version_status()) {
      if (v.state() == tensorflow::serving::ModelVersionStatus::AVAILABLE) {
        versions.push_back(v.version());
      }
    }
    std::sort(versions.begin(), versions.end());
    for (int64_t v : versions) m.versions.push_back(absl::StrCat(v));
  }
  const runtime::Signature* sig = DefaultSignature(*servable);
  if (sig == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("model '", EchoText(name), "' has no \"",
                                                      kDefaultSignatureKey, "\" signature"));
  }
  for (const auto& [alias, spec] : sig->inputs) m.inputs.push_back(MetadataOf(alias, spec));
  for (const auto& [alias, spec] : sig->outputs) m.outputs.push_back(MetadataOf(alias, spec));
  return m;
}

absl::Status CheckInput(const Servable& servable, const InputDTypeMap& signature,
                        const std::map<std::string, Tensor>& seen, absl::string_view name,
                        DType dtype) {
  auto it = signature.find(std::string(name));
  if (it == signature.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unexpected input '", EchoText(name), "' for model '", servable.name(), "': its \"",
        kDefaultSignatureKey, "\" signature takes {", JoinAliases(signature), "}"));
  }
  if (seen.count(it->first)) {
    return absl::InvalidArgumentError(
        absl::StrCat("input '", EchoText(name), "' is given more than once"));
  }
  if (it->second != DType::kInvalid && it->second != dtype) {
    return absl::InvalidArgumentError(
        absl::StrCat("input '", it->first, "' has datatype ", DatatypeText(dtype), ", but model '",
                     servable.name(), "' expects ", DatatypeText(it->second)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::pair<std::string, Tensor>>> RunInfer(const Servable& servable,
                                                                     const InferRequest& request) {
  std::vector<std::string> filter;
  for (const auto& o : request.outputs) filter.push_back(o.name);
  TFM_ASSIGN_OR_RETURN(auto outputs,
                       servable.RunPredict(kDefaultSignatureKey, request.inputs, filter));
  std::vector<std::pair<std::string, Tensor>> result;
  if (filter.empty()) {
    for (auto& [alias, t] : outputs) result.emplace_back(alias, std::move(t));
    return result;
  }
  for (const auto& name : filter) {
    auto it = outputs.find(name);
    if (it == outputs.end()) {
      return absl::InternalError(absl::StrCat("output '", EchoText(name), "' was not computed"));
    }
    result.emplace_back(name, std::move(it->second));
  }
  return result;
}

absl::Status ParseInferRequestJson(absl::string_view json, absl::string_view binary,
                                   const Servable& servable, const InputDTypeMap& signature,
                                   InferRequest* request) {
  *request = InferRequest();
  JsonDom dom;
  JsonDocument& doc = *dom.doc();
  TFM_RETURN_IF_ERROR(ParseJson(json, &doc));
  if (Member(doc, "id") != nullptr) {
    TFM_RETURN_IF_ERROR(ReadString(doc, "id", "the request", &request->id));
    request->has_id = true;
  }
  TFM_ASSIGN_OR_RETURN(request->binary_data_output,
                       BoolParameter(doc, "binary_data_output", "the request"));
  const rapidjson::Value* inputs = Member(doc, "inputs");
  if (inputs == nullptr || !inputs->IsArray()) {
    return absl::InvalidArgumentError(
        "the request needs \"inputs\": a list of {\"name\", \"shape\", \"datatype\", \"data\"}");
  }
  for (rapidjson::SizeType i = 0; i < inputs->Size(); ++i) {
    TFM_RETURN_IF_ERROR(ReadInput((*inputs)[i], i, servable, signature, &binary, &request->inputs));
  }
  if (!binary.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(binary.size(),
                     " bytes of binary data after the JSON are not claimed by "
                     "any input's \"binary_data_size\""));
  }
  return ReadOutputs(doc, request);
}

absl::StatusOr<std::string> MakeInferResponse(
    const Servable& servable, const InferRequest& request,
    const std::vector<std::pair<std::string, Tensor>>& outputs, size_t* json_size) {
  std::string binary;
  JsonOut out;
  JsonWriter& w = out.w();
  w.StartObject();
  w.Key("model_name");
  w.String(servable.name().data(), servable.name().size());
  w.Key("model_version");
  const std::string version = absl::StrCat(servable.version());
  w.String(version.data(), version.size());
  if (request.has_id) {
    w.Key("id");
    w.String(request.id.data(), request.id.size());
  }
  w.Key("outputs");
  w.StartArray();
  for (size_t i = 0; i < outputs.size(); ++i) {
    const auto& [name, t] = outputs[i];
    const bool as_binary =
        request.outputs.empty() ? request.binary_data_output : request.outputs[i].binary;
    const absl::string_view datatype = DatatypeName(t.dtype());
    if (datatype.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("output '", name, "' has dtype ", DTypeName(t.dtype()),
                       ", which the Open Inference Protocol cannot carry"));
    }
    w.StartObject();
    w.Key("name");
    w.String(name.data(), name.size());
    w.Key("datatype");
    w.String(datatype.data(), datatype.size());
    w.Key("shape");
    w.SetFormatOptions(rapidjson::kFormatSingleLineArray);
    w.StartArray();
    for (int64_t d : t.shape().dim_sizes()) w.Int64(d);
    w.EndArray();
    if (as_binary) {
      const size_t before = binary.size();
      TFM_RETURN_IF_ERROR(AppendRaw(name, t, &binary));
      w.Key("parameters");
      w.StartObject();
      w.Key("binary_data_size");
      w.Uint64(binary.size() - before);
      w.EndObject();
    } else {
      w.Key("data");
      if (!WriteFlatJsonValues(t, &w)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "output '", name, "' of dtype ", DTypeName(t.dtype()), " cannot be written as JSON"));
      }
    }
    w.SetFormatOptions(rapidjson::kFormatDefault);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  std::string body = out.Take();
  *json_size = body.size();
  body.append(binary);
  return body;
}

std::string ModelMetadataJson(const ModelMetadata& m) {
  JsonOut out;
  JsonWriter& w = out.w();
  auto str = [&](const std::string& s) { w.String(s.data(), s.size()); };
  auto tensors = [&](const std::vector<TensorMetadata>& list) {
    w.StartArray();
    for (const auto& t : list) {
      w.StartObject();
      w.Key("name");
      str(t.name);
      w.Key("datatype");
      str(t.datatype);
      w.Key("shape");
      w.SetFormatOptions(rapidjson::kFormatSingleLineArray);
      w.StartArray();
      for (int64_t d : t.shape) w.Int64(d);
      w.EndArray();
      w.SetFormatOptions(rapidjson::kFormatDefault);
      w.EndObject();
    }
    w.EndArray();
  };
  w.StartObject();
  w.Key("name");
  str(m.name);
  w.Key("versions");
  w.StartArray();
  for (const auto& v : m.versions) str(v);
  w.EndArray();
  w.Key("platform");
  str(m.platform);
  w.Key("inputs");
  tensors(m.inputs);
  w.Key("outputs");
  tensors(m.outputs);
  w.EndObject();
  return out.Take();
}

std::string ServerMetadataJson() {
  JsonOut out;
  JsonWriter& w = out.w();
  w.StartObject();
  w.Key("name");
  w.String(kServerName);
  w.Key("version");
  w.String(kServerVersion);
  w.Key("extensions");
  w.StartArray();
  w.String(kBinaryDataExtension);
  w.EndArray();
  w.EndObject();
  return out.Take();
}

}  // namespace tfmodel::serving::v2
