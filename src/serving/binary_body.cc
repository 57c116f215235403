#include "serving/binary_body.h"

#include <map>
#include <memory>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/status.h"
#include "format/npy.h"
#include "format/tensor_proto.h"
#include "serving/echo_text.h"
#include "serving/json_tensor.h"
#include "serving/servable.h"
#include "tensorflow_serving/apis/predict.pb.h"

namespace tfmodel::serving {
namespace {

constexpr char kNpyMagic[] = "\x93NUMPY";

// The media type of a header value: before any ';', trimmed, lower case.
std::string MediaType(absl::string_view v) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(v.substr(0, v.find(';'))));
}

absl::string_view Header(const HttpRequest& r, absl::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (absl::EqualsIgnoreCase(k, name)) return v;
  }
  return {};
}

// numpy's name for a dtype, for messages ("float32"); "" when numpy has none.
const char* NumpyName(DType t) {
  switch (t) {
    case DType::kBool:
      return "bool";
    case DType::kInt8:
      return "int8";
    case DType::kInt16:
      return "int16";
    case DType::kInt32:
      return "int32";
    case DType::kInt64:
      return "int64";
    case DType::kUInt8:
      return "uint8";
    case DType::kUInt16:
      return "uint16";
    case DType::kUInt32:
      return "uint32";
    case DType::kUInt64:
      return "uint64";
    case DType::kHalf:
      return "float16";
    case DType::kFloat:
      return "float32";
    case DType::kDouble:
      return "float64";
    case DType::kComplex64:
      return "complex64";
    case DType::kComplex128:
      return "complex128";
    case DType::kString:
      return "bytes_ or str_";
    default:
      return "";
  }
}

std::string DTypeText(DType t) {
  const char* np = NumpyName(t);
  return *np ? absl::StrCat(DTypeName(t), " (numpy ", np, ")") : DTypeName(t);
}

std::string ShapeText(const TensorShape& s) {
  return absl::StrCat("[", absl::StrJoin(s.dim_sizes(), ","), "]");
}

// Where the data of a .npy body starts and its header's descr; an error for a body too short
// to hold its header.
struct NpyLayout {
  size_t data_offset = 0;
  std::string descr;
};

absl::StatusOr<NpyLayout> ReadNpyLayout(const std::string& body, const std::string& what) {
  auto bad = [&](absl::string_view msg) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", msg));
  };
  if (body.size() < 10 || body.compare(0, 6, kNpyMagic, 6) != 0) {
    return bad(absl::StrCat("not a .npy array (the body has ", body.size(),
                            " bytes and does not start with \\x93NUMPY)"));
  }
  const auto byte = [&](size_t i) { return static_cast<size_t>(static_cast<uint8_t>(body[i])); };
  NpyLayout l;
  size_t header_len = 0;
  if (byte(6) == 1) {
    header_len = byte(8) | byte(9) << 8;
    l.data_offset = 10;
  } else if (byte(6) == 2 || byte(6) == 3) {
    if (body.size() < 12) return bad("truncated .npy header");
    header_len = byte(8) | byte(9) << 8 | byte(10) << 16 | byte(11) << 24;
    l.data_offset = 12;
  } else {
    return bad(absl::StrCat("unsupported .npy format version ", byte(6)));
  }
  if (header_len > body.size() - l.data_offset) return bad("truncated .npy header");
  const absl::string_view header(body.data() + l.data_offset, header_len);
  l.data_offset += header_len;
  size_t p = header.find("'descr'");
  if (p != absl::string_view::npos) p = header.find('\'', header.find(':', p));
  if (p != absl::string_view::npos) {
    const size_t end = header.find('\'', p + 1);
    if (end != absl::string_view::npos) l.descr = std::string(header.substr(p + 1, end - p - 1));
  }
  return l;
}

const runtime::Signature* FindSignature(const Servable& servable, const std::string& key) {
  auto it = servable.model().signatures().find(key);
  return it == servable.model().signatures().end() ? nullptr : &it->second;
}

absl::Status SignatureNotFound(const std::string& key) {
  return absl::InvalidArgumentError(
      absl::StrCat("Serving signature name: \"", EchoText(key), "\" not found in signature def"));
}

// The inputs, signature and output filter of a decoded request body.
struct Decoded {
  std::string signature_key;
  std::map<std::string, Tensor> inputs;
  std::vector<std::string> filter;
  JsonPredictFormat json_format = JsonPredictFormat::kRow;
};

absl::Status DecodeNpy(const Servable& servable, const std::string& signature_name,
                       const std::string& body, Decoded* d) {
  d->signature_key = signature_name.empty() ? kDefaultSignatureKey : signature_name;
  const runtime::Signature* sig = FindSignature(servable, d->signature_key);
  if (sig == nullptr) return SignatureNotFound(d->signature_key);
  if (sig->inputs.size() != 1) {
    std::vector<std::string> names;
    for (const auto& [alias, spec] : sig->inputs) names.push_back(alias);
    return absl::InvalidArgumentError(absl::StrCat(
        "an application/x-npy body feeds a signature with exactly one input; signature '",
        EchoText(d->signature_key), "' has ", names.size(), ": ", absl::StrJoin(names, ", "),
        ". Send several inputs as a JSON body ({\"inputs\": {...}}) or as a serialized "
        "tensorflow.serving.PredictRequest with Content-Type: application/x-protobuf"));
  }
  const auto& [alias, spec] = *sig->inputs.begin();
  TFM_ASSIGN_OR_RETURN(Tensor t, ParseNpyInput(body, d->signature_key, alias, spec));
  d->inputs.emplace(alias, std::move(t));
  return absl::OkStatus();
}

absl::Status DecodeProto(const Servable& servable, const std::string& signature_name,
                         const std::string& body, Decoded* d) {
  tensorflow::serving::PredictRequest request;
  if (!request.ParseFromString(body)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the body (", body.size(),
                     " bytes) is not a serialized tensorflow.serving.PredictRequest"));
  }
  const std::string& in_body = request.model_spec().signature_name();
  d->signature_key = !in_body.empty()          ? in_body
                     : !signature_name.empty() ? signature_name
                                               : std::string(kDefaultSignatureKey);
  const runtime::Signature* sig = FindSignature(servable, d->signature_key);
  if (sig == nullptr) return SignatureNotFound(d->signature_key);
  for (const auto& [alias, proto] : request.inputs()) {
    auto t = TensorFromProto(proto);
    if (!t.ok()) return Annotate(t.status(), absl::StrCat("input '", EchoText(alias), "'"));
    auto spec = sig->inputs.find(alias);
    if (spec != sig->inputs.end()) {
      TFM_RETURN_IF_ERROR(
          CheckInputTensor(*t, d->signature_key, alias, spec->second, "the TensorProto"));
    }
    d->inputs.emplace(alias, std::move(*t));
  }
  d->filter.assign(request.output_filter().begin(), request.output_filter().end());
  d->json_format = JsonPredictFormat::kColumnar;
  return absl::OkStatus();
}

}  // namespace

BodyEncoding ContentTypeEncoding(absl::string_view content_type) {
  const std::string t = MediaType(content_type);
  if (t == kNpyMediaType) return BodyEncoding::kNpy;
  if (t == kProtobufMediaType || t == kTensorProtoMediaType) return BodyEncoding::kPredictProto;
  return BodyEncoding::kJson;
}

BodyEncoding AcceptEncoding(absl::string_view accept) {
  for (absl::string_view item : absl::StrSplit(accept, ',')) {
    const BodyEncoding e = ContentTypeEncoding(item);
    if (e != BodyEncoding::kJson) return e;
  }
  return BodyEncoding::kJson;
}

absl::Status CheckInputTensor(const Tensor& t, const std::string& signature_key,
                              const std::string& alias, const runtime::TensorSpec& spec,
                              absl::string_view what) {
  const bool dtype_ok = spec.dtype == DType::kInvalid || t.dtype() == spec.dtype;
  const bool shape_ok = spec.shape.IsCompatibleWith(t.shape());
  if (dtype_ok && shape_ok) return absl::OkStatus();
  std::string hint;
  if (!dtype_ok && NumpyName(spec.dtype)[0] != '\0' && spec.dtype != DType::kString) {
    hint = absl::StrCat(" (numpy: .astype(np.", NumpyName(spec.dtype), "))");
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "input '", alias, "' of signature '", EchoText(signature_key), "' expects dtype ",
      spec.dtype == DType::kInvalid ? "any" : DTypeText(spec.dtype), " and shape ",
      spec.shape.ToString(), "; ", what, " has dtype ", DTypeText(t.dtype()), " and shape ",
      ShapeText(t.shape()), hint));
}

absl::StatusOr<Tensor> ParseNpyInput(const std::string& body, const std::string& signature_key,
                                     const std::string& alias, const runtime::TensorSpec& spec) {
  const std::string what = absl::StrCat("the application/x-npy body for input '", alias, "'");
  if (spec.is_sparse() || spec.is_ragged()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "input '", alias, "' is a ", spec.is_sparse() ? "SparseTensor" : "RaggedTensor",
        ": send it as JSON, not as one .npy array"));
  }
  TFM_ASSIGN_OR_RETURN(NpyLayout layout, ReadNpyLayout(body, what));
  // Object arrays are numpy pickles: not read from the network (the file reader's safe
  // subset stays for files the user names).
  if (layout.descr.size() >= 2 && layout.descr[1] == 'O') {
    return absl::InvalidArgumentError(absl::StrCat(
        what,
        " is an object array (dtype=object, pickled), which the server does not read; "
        "send strings as a fixed-width array (np.array(..., dtype='S') or dtype='U')"));
  }
  auto parsed = ParseNpy(body, "body");
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", absl::StripPrefix(parsed.status().message(), "npy file body: ")));
  }
  Tensor t = std::move(*parsed);
  if (t.dtype() != DType::kString && body.size() - layout.data_offset != t.TotalBytes()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", body.size() - layout.data_offset, " data bytes after the header, ",
                     "but shape ", ShapeText(t.shape()), " of ", DTypeName(t.dtype()), " needs ",
                     t.TotalBytes(), " (trailing bytes)"));
  }
  TFM_RETURN_IF_ERROR(CheckInputTensor(t, signature_key, alias, spec, "the .npy array"));
  return t;
}

BinaryPredict::BinaryPredict(const HttpRequest& request)
    : in_(ContentTypeEncoding(Header(request, "Content-Type"))),
      accept_(AcceptEncoding(Header(request, "Accept"))) {
  if (!active()) return;
  const size_t q = request.target.find('?');
  const absl::string_view query = q == std::string::npos
                                      ? absl::string_view()
                                      : absl::string_view(request.target).substr(q + 1);
  signature_name_ = QueryParam(query, "signature_name");
  output_ = QueryParam(query, "output");
}

const char* BinaryPredict::content_type() const {
  switch (out_) {
    case BodyEncoding::kNpy:
      return kNpyMediaType;
    case BodyEncoding::kPredictProto:
      return kProtobufMediaType;
    default:
      return "application/json";
  }
}

absl::Status BinaryPredict::Predict(ServableManager* manager,
                                    const tensorflow::serving::ModelSpec& spec,
                                    const std::string& body, std::string* output) {
  std::shared_ptr<const Servable> servable;
  Decoded d;
  if (in_ == BodyEncoding::kJson) {
    JsonPredictRequest request;
    TFM_RETURN_IF_ERROR(ParsePredictRequestJson(
        body,
        [&](const std::string& name) -> absl::StatusOr<const InputDTypeMap*> {
          TFM_ASSIGN_OR_RETURN(servable, manager->GetServable(spec));
          return servable->InputDTypes(name.empty() ? signature_name_ : name);
        },
        &request));
    d.signature_key = request.signature_name.empty() ? signature_name_ : request.signature_name;
    if (d.signature_key.empty()) d.signature_key = kDefaultSignatureKey;
    d.inputs = std::move(request.inputs);
    d.json_format = request.format;
  } else {
    TFM_ASSIGN_OR_RETURN(servable, manager->GetServable(spec));
    TFM_RETURN_IF_ERROR(in_ == BodyEncoding::kNpy
                            ? DecodeNpy(*servable, signature_name_, body, &d)
                            : DecodeProto(*servable, signature_name_, body, &d));
  }
  if (!output_.empty()) d.filter = {output_};
  TFM_ASSIGN_OR_RETURN(auto outputs, servable->RunPredict(d.signature_key, d.inputs, d.filter));
  if (accept_ == BodyEncoding::kNpy && outputs.size() == 1) {
    TFM_ASSIGN_OR_RETURN(*output, EncodeNpy(outputs.begin()->second));
    out_ = BodyEncoding::kNpy;
  } else if (accept_ == BodyEncoding::kPredictProto) {
    tensorflow::serving::PredictResponse response;
    for (const auto& [alias, t] : outputs) {
      TensorToProto(t, &(*response.mutable_outputs())[alias], TensorEncoding::kContent);
    }
    servable->FillModelSpec(d.signature_key, response.mutable_model_spec());
    if (!response.SerializeToString(output)) {
      return absl::InternalError("cannot serialize the PredictResponse");
    }
    out_ = BodyEncoding::kPredictProto;
  } else {
    TFM_ASSIGN_OR_RETURN(*output, MakeJsonFromTensors(outputs, d.json_format));
    out_ = BodyEncoding::kJson;
  }
  return absl::OkStatus();
}

}  // namespace tfmodel::serving
