#include "serving/json_tensor.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status.h"
#include "rapidjson/document.h"
#include "serving/echo_text.h"
#include "serving/json_util.h"
#include "tensorflow/core/example/example.pb.h"
#include "tensorflow/core/example/feature.pb.h"

namespace tfmodel::serving {
namespace {

constexpr char kInstancesKey[] = "instances";
constexpr char kInputsKey[] = "inputs";
constexpr char kContextKey[] = "context";
constexpr char kExamplesKey[] = "examples";
constexpr char kPredictionsKey[] = "predictions";
constexpr char kOutputsKey[] = "outputs";
constexpr char kResultsKey[] = "results";
constexpr char kErrorKey[] = "error";
constexpr char kBytesSuffix[] = "_bytes";
// TensorFlow's limit on a tensor's rank (TensorShape::MaxDimensions()).
constexpr int kMaxTensorRank = 254;

std::string ShapeText(const TensorShape& s) {
  return absl::StrCat("[", absl::StrJoin(s.dim_sizes(), ","), "]");
}

// The values of one input tensor as they are read, stored in the tensor's own element
// type (a short request's values fit the string's inline buffer: no heap at all), then
// turned into the tensor in one copy.
class ValueSink {
 public:
  // `extended`: also FP16, BF16 and UINT16 values (the Open Inference Protocol's types;
  // TF Serving's JSON has no conversion for them).
  explicit ValueSink(DType dtype, bool extended = false) : dtype_(dtype), extended_(extended) {}
  DType dtype() const { return dtype_; }

  // Appends one scalar JSON value with TF Serving's conversion rules for the dtype.
  absl::Status Add(const rapidjson::Value& v) {
    switch (dtype_) {
      case DType::kFloat:
        // Numbers out of float range become +-inf, tiny ones round to zero (static cast).
        if (!v.IsNumber()) return TypeError(v, dtype_);
        return Put(static_cast<float>(v.GetDouble()));
      case DType::kDouble:
        if (!v.IsNumber()) return TypeError(v, dtype_);
        return Put(v.GetDouble());
      case DType::kInt32:
        if (!v.IsInt()) return TypeError(v, dtype_);
        return Put(static_cast<int32_t>(v.GetInt()));
      case DType::kInt16:
        if (!v.IsInt() || v.GetInt() < std::numeric_limits<int16_t>::min() ||
            v.GetInt() > std::numeric_limits<int16_t>::max()) {
          return TypeError(v, dtype_);
        }
        return Put(static_cast<int16_t>(v.GetInt()));
      case DType::kInt8:
        if (!v.IsInt() || v.GetInt() < std::numeric_limits<int8_t>::min() ||
            v.GetInt() > std::numeric_limits<int8_t>::max()) {
          return TypeError(v, dtype_);
        }
        return Put(static_cast<int8_t>(v.GetInt()));
      case DType::kUInt8:
        if (!v.IsInt() || v.GetInt() < 0 || v.GetInt() > 255) return TypeError(v, dtype_);
        return Put(static_cast<uint8_t>(v.GetInt()));
      case DType::kString:
        if (!v.IsString()) return TypeError(v, dtype_);
        strings_.emplace_back(v.GetString(), v.GetStringLength());
        return absl::OkStatus();
      case DType::kInt64:
        if (!v.IsInt64()) return TypeError(v, dtype_);
        return Put(static_cast<int64_t>(v.GetInt64()));
      case DType::kBool:
        if (!v.IsBool()) return TypeError(v, dtype_);
        return Put(v.GetBool());
      case DType::kUInt32:
        if (!v.IsUint()) return TypeError(v, dtype_);
        return Put(static_cast<uint32_t>(v.GetUint()));
      case DType::kUInt64:
        if (!v.IsUint64()) return TypeError(v, dtype_);
        return Put(static_cast<uint64_t>(v.GetUint64()));
      default:
        if (extended_) return AddExtended(v);
        return absl::UnimplementedError(absl::StrCat("Conversion of JSON Value: ", JsonText(v),
                                                     " to type: ", DTypeName(dtype_)));
    }
  }
  absl::Status AddExtended(const rapidjson::Value& v) {
    switch (dtype_) {
      case DType::kHalf:
        if (!v.IsNumber()) return TypeError(v, dtype_);
        return Put(Half::FromFloat(static_cast<float>(v.GetDouble())));
      case DType::kBFloat16:
        if (!v.IsNumber()) return TypeError(v, dtype_);
        return Put(BFloat16::FromFloat(static_cast<float>(v.GetDouble())));
      case DType::kUInt16:
        if (!v.IsUint() || v.GetUint() > std::numeric_limits<uint16_t>::max()) {
          return TypeError(v, dtype_);
        }
        return Put(static_cast<uint16_t>(v.GetUint()));
      default:
        return absl::UnimplementedError(absl::StrCat("Conversion of JSON Value: ", JsonText(v),
                                                     " to type: ", DTypeName(dtype_)));
    }
  }
  // Appends the bytes of a {"b64": "..."} object (string inputs only).
  absl::Status AddB64(const rapidjson::Value& v) {
    if (dtype_ != DType::kString) return TypeError(v, dtype_);
    std::string decoded;
    TFM_RETURN_IF_ERROR(DecodeB64Object(v, &decoded));
    strings_.push_back(std::move(decoded));
    return absl::OkStatus();
  }

  // The values read so far as a tensor of `shape`.
  absl::StatusOr<Tensor> Finish(const TensorShape& shape) {
    const int64_t n = dtype_ == DType::kString
                          ? static_cast<int64_t>(strings_.size())
                          : static_cast<int64_t>(bytes_.size() / DTypeSize(dtype_));
    if (n != shape.NumElements()) {
      return absl::InternalError(
          absl::StrCat("read ", n, " values for a tensor of shape ", ShapeText(shape)));
    }
    Tensor t(dtype_, shape);
    if (dtype_ == DType::kString) {
      std::string* out = t.data<std::string>();
      for (int64_t i = 0; i < n; ++i) out[i] = std::move(strings_[i]);
    } else if (!bytes_.empty()) {
      std::memcpy(t.raw_data(), bytes_.data(), bytes_.size());
    }
    return t;
  }

 private:
  template <typename T>
  absl::Status Put(T x) {
    bytes_.append(reinterpret_cast<const char*>(&x), sizeof(T));
    return absl::OkStatus();
  }
  DType dtype_;
  bool extended_;
  std::string bytes_;                 // numeric and bool values
  std::vector<std::string> strings_;  // DT_STRING values
};

// Shape of a dense nested list, following first elements; at most `max_rank` deep (a
// tensor has at most kMaxTensorRank dimensions, one of them the batch for "instances").
absl::StatusOr<TensorShape> DenseShape(const rapidjson::Value& v, int max_rank) {
  TensorShape shape;
  const rapidjson::Value* cur = &v;
  while (cur->IsArray()) {
    if (shape.rank() == max_rank) {
      return FormatError(v, "holds lists nested more than ", max_rank,
                         " deep; a tensor has at most ", kMaxTensorRank, " dimensions");
    }
    shape.AddDim(cur->Size());
    if (cur->Size() == 0) break;
    cur = &(*cur)[0];
  }
  return shape;
}

// Reads a nested list that must be dense with `shape` into `sink`; counts values. Walks
// the lists depth-first with an explicit stack, never deeper than the shape's rank.
absl::Status FillTensor(const rapidjson::Value& root, const TensorShape& shape, ValueSink* sink,
                        int64_t* count) {
  const int rank = shape.rank();
  // The lists entered so far, each with the index of its next element; a value's level
  // is the number of lists around it.
  absl::InlinedVector<std::pair<const rapidjson::Value*, rapidjson::SizeType>, 8> lists;
  const rapidjson::Value* v = &root;
  while (true) {
    const int level = static_cast<int>(lists.size());
    if (!v->IsArray()) {
      if (level != rank) {
        return absl::InvalidArgumentError(
            absl::StrCat("JSON Value: ", JsonText(*v), " found at incorrect level: ", level + 1,
                         " in the JSON DOM. Expected at level: ", rank));
      }
      TFM_RETURN_IF_ERROR(v->IsObject() ? sink->AddB64(*v) : sink->Add(*v));
      ++*count;
    } else {
      if (level >= rank) {
        return absl::InvalidArgumentError(
            absl::StrCat("Encountered list at unexpected level: ", level, " expected < ", rank));
      }
      const int64_t want = shape.dim(level);
      if (static_cast<int64_t>(v->Size()) != want) {
        return absl::InvalidArgumentError(
            absl::StrCat("Encountered list at unexpected size: ", v->Size(), " at level: ", level,
                         " expected size: ", want));
      }
      lists.emplace_back(v, 0);
    }
    while (!lists.empty() && lists.back().second == lists.back().first->Size()) {
      lists.pop_back();
    }
    if (lists.empty()) return absl::OkStatus();
    auto& [list, next] = lists.back();
    v = &(*list)[next++];
  }
}

// Per-input state while batching the rows of "instances".
struct RowInput {
  explicit RowInput(DType dtype) : values(dtype) {}
  ValueSink values;
  int64_t size = -1;  // values per row
  TensorShape shape;  // shape of one row
};

absl::Status AddInstanceItem(const rapidjson::Value& item, const std::string& name,
                             const InputDTypeMap& dtypes, std::map<std::string, RowInput>* rows) {
  auto dt = dtypes.find(name);
  if (dt == dtypes.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("JSON object: does not have named input: ", EchoText(name)));
  }
  RowInput& in = rows->try_emplace(name, dt->second).first->second;
  TFM_ASSIGN_OR_RETURN(const TensorShape shape, DenseShape(item, kMaxTensorRank - 1));
  int64_t count = 0;
  TFM_RETURN_IF_ERROR(FillTensor(item, shape, &in.values, &count));
  if (in.size < 0) {
    in.size = count;
    in.shape = shape;
  } else if (in.size != count) {
    return absl::InvalidArgumentError(
        absl::StrCat("Expecting tensor size: ", in.size, " but got: ", count));
  } else if (in.shape != shape) {
    return absl::InvalidArgumentError(
        absl::StrCat("Expecting shape ", ShapeText(in.shape), " but got: ", ShapeText(shape)));
  }
  return absl::OkStatus();
}

// absl::Status::ToString() of an InvalidArgument status, as TF Serving nests it.
std::string StatusText(const absl::Status& s) {
  return absl::StrCat(absl::StatusCodeToString(s.code()), ": ", s.message());
}

bool IsRowObject(const rapidjson::Value& v) { return v.IsObject() && !IsB64Object(v); }

// Each key of a row object has already been checked to name an input; the keys cover the
// inputs exactly when there are as many distinct keys as inputs.
bool KeysCoverInputs(const rapidjson::Value& obj, const InputDTypeMap& dtypes) {
  size_t distinct = 0;
  if (obj.MemberCount() <= 16) {
    for (auto a = obj.MemberBegin(); a != obj.MemberEnd(); ++a) {
      bool seen = false;
      for (auto b = obj.MemberBegin(); b != a && !seen; ++b) seen = (a->name == b->name);
      if (!seen) ++distinct;
    }
  } else {
    std::set<absl::string_view> keys;
    for (const auto& kv : obj.GetObject()) {
      keys.emplace(kv.name.GetString(), kv.name.GetStringLength());
    }
    distinct = keys.size();
  }
  return distinct == dtypes.size();
}

absl::Status FillFromInstances(const rapidjson::Value& list, const InputDTypeMap& dtypes,
                               std::map<std::string, Tensor>* out) {
  if (!list[0].IsObject() && dtypes.size() > 1) {
    return absl::InvalidArgumentError(
        "instances is a plain list, but expecting list of objects as multiple input tensors "
        "required as per tensorinfo_map");
  }
  const bool objects = IsRowObject(list[0]);
  out->clear();
  std::map<std::string, RowInput> rows;
  int64_t row = 0;
  for (const auto& elem : list.GetArray()) {
    if (objects) {
      if (!IsRowObject(elem)) {
        return absl::InvalidArgumentError(
            absl::StrCat("Expecting object but got list at item ", row, " of input list"));
      }
      for (const auto& kv : elem.GetObject()) {
        std::string name(kv.name.GetString(), kv.name.GetStringLength());
        absl::Status s = AddInstanceItem(kv.value, name, dtypes, &rows);
        if (!s.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("Failed to process element: ", row, " key: ", EchoText(name),
                           " of 'instances' list. Error: ", StatusText(s)));
        }
      }
      if (!KeysCoverInputs(elem, dtypes)) {
        std::vector<std::string> names;
        for (const auto& [name, dtype] : dtypes) names.push_back(name);
        return absl::InvalidArgumentError(
            absl::StrCat("Failed to process element: ", row, " of 'instances' list. JSON object: ",
                         JsonText(elem), " keys must be equal to: ", absl::StrJoin(names, ",")));
      }
    } else {
      if (IsRowObject(elem)) {
        return absl::InvalidArgumentError(
            absl::StrCat("Expecting value/list but got object at item ", row, " of input list"));
      }
      absl::Status s = AddInstanceItem(elem, dtypes.begin()->first, dtypes, &rows);
      if (!s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "Failed to process element: ", row, " of 'instances' list. Error: ", StatusText(s)));
      }
    }
    ++row;
  }
  for (auto& [name, in] : rows) {
    TensorShape shape;
    shape.AddDim(row);
    for (int64_t d : in.shape.dim_sizes()) shape.AddDim(d);
    TFM_ASSIGN_OR_RETURN(Tensor t, in.values.Finish(shape));
    out->emplace(name, std::move(t));
  }
  return absl::OkStatus();
}

absl::Status FillColumn(const rapidjson::Value& v, DType dtype, Tensor* t) {
  TFM_ASSIGN_OR_RETURN(const TensorShape shape, DenseShape(v, kMaxTensorRank));
  ValueSink sink(dtype);
  int64_t count = 0;
  TFM_RETURN_IF_ERROR(FillTensor(v, shape, &sink, &count));
  TFM_ASSIGN_OR_RETURN(*t, sink.Finish(shape));
  return absl::OkStatus();
}

absl::Status FillFromInputs(const rapidjson::Value& v, const InputDTypeMap& dtypes,
                            std::map<std::string, Tensor>* out) {
  out->clear();
  if (!v.IsObject() || IsB64Object(v)) {
    if (dtypes.size() > 1) {
      return absl::InvalidArgumentError(
          "inputs is a plain value/list, but expecting an object as multiple input tensors "
          "required as per tensorinfo_map");
    }
    return FillColumn(v, dtypes.begin()->second, &(*out)[dtypes.begin()->first]);
  }
  for (const auto& [name, dtype] : dtypes) {
    auto it = v.FindMember(rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
    if (it == v.MemberEnd()) {
      return absl::InvalidArgumentError(
          absl::StrCat("Missing named input: ", name, " in 'inputs' object."));
    }
    TFM_RETURN_IF_ERROR(FillColumn(it->value, dtype, &(*out)[name]));
  }
  return absl::OkStatus();
}

// ---- tf.Example from JSON ----

using tensorflow::Feature;

bool FeatureIs(const Feature& f, Feature::KindCase kind) {
  return f.kind_case() == Feature::KIND_NOT_SET || f.kind_case() == kind;
}

absl::Status FeatureKindError(const std::string& name, const Feature& f) {
  std::string kind = "UNKNOWN";
  switch (f.kind_case()) {
    case Feature::kBytesList:
      kind = "bytes";
      break;
    case Feature::kFloatList:
      kind = "float";
      break;
    case Feature::kInt64List:
      kind = "int64";
      break;
    default:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "Unexpected element type in feature: ", EchoText(name), " expecting type: ", kind));
}

absl::Status BadFeatureType(const std::string& name, const rapidjson::Value& v) {
  return absl::InvalidArgumentError(absl::StrCat(
      "Feature: ", EchoText(name), " has element with unexpected JSON type: ", JsonTypeName(v)));
}

absl::Status AddFeatureValue(const rapidjson::Value& v, const std::string& name, Feature* f) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
    case rapidjson::kArrayType:
      return BadFeatureType(name, v);
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      if (!FeatureIs(*f, Feature::kInt64List)) return FeatureKindError(name, *f);
      f->mutable_int64_list()->add_value(v.GetBool() ? 1 : 0);
      return absl::OkStatus();
    case rapidjson::kObjectType:
      if (!IsB64Object(v)) return BadFeatureType(name, v);
      if (!FeatureIs(*f, Feature::kBytesList)) return FeatureKindError(name, *f);
      return DecodeB64Object(v, f->mutable_bytes_list()->add_value());
    case rapidjson::kStringType:
      if (!FeatureIs(*f, Feature::kBytesList)) return FeatureKindError(name, *f);
      f->mutable_bytes_list()->add_value(v.GetString(), v.GetStringLength());
      return absl::OkStatus();
    case rapidjson::kNumberType:
      if (v.IsDouble()) {
        if (!FeatureIs(*f, Feature::kFloatList)) return FeatureKindError(name, *f);
        f->mutable_float_list()->add_value(static_cast<float>(v.GetDouble()));
      } else {
        if (!FeatureIs(*f, Feature::kInt64List)) return FeatureKindError(name, *f);
        if (!v.IsInt64()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "Feature: ", EchoText(name), " has uint64 element. Only int64_t is supported."));
        }
        f->mutable_int64_list()->add_value(v.GetInt64());
      }
      return absl::OkStatus();
  }
  return BadFeatureType(name, v);
}

absl::Status ExampleFromJson(const rapidjson::Value& v, tensorflow::Example* ex) {
  if (!v.IsObject()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Example must be JSON object but got JSON ", JsonTypeName(v)));
  }
  auto* features = ex->mutable_features()->mutable_feature();
  for (const auto& kv : v.GetObject()) {
    std::string name(kv.name.GetString(), kv.name.GetStringLength());
    Feature f;
    if (kv.value.IsArray()) {
      for (const auto& e : kv.value.GetArray()) TFM_RETURN_IF_ERROR(AddFeatureValue(e, name, &f));
    } else {
      TFM_RETURN_IF_ERROR(AddFeatureValue(kv.value, name, &f));
    }
    (*features)[name] = std::move(f);
  }
  return absl::OkStatus();
}

// ---- tensors to JSON ----

bool IsBytesOutput(const std::string& name, const Tensor& t) {
  return t.dtype() == DType::kString && absl::EndsWith(name, kBytesSuffix);
}

bool WriteElement(const Tensor& t, int64_t i, bool as_bytes, JsonWriter* w) {
  switch (t.dtype()) {
    case DType::kFloat:
      return WriteFloat(w, t.data<float>()[i]);
    case DType::kDouble:
      return WriteDouble(w, t.data<double>()[i]);
    case DType::kInt32:
      return w->Int(t.data<int32_t>()[i]);
    case DType::kInt16:
      return w->Int(t.data<int16_t>()[i]);
    case DType::kInt8:
      return w->Int(t.data<int8_t>()[i]);
    case DType::kUInt8:
      return w->Int(t.data<uint8_t>()[i]);
    case DType::kInt64:
      return w->Int64(t.data<int64_t>()[i]);
    case DType::kUInt32:
      return w->Uint(t.data<uint32_t>()[i]);
    case DType::kUInt64:
      return w->Uint64(t.data<uint64_t>()[i]);
    case DType::kBool:
      return w->Bool(t.data<bool>()[i]);
    // Only the Open Inference Protocol writes these (JsonPredictDType keeps them from predict).
    case DType::kHalf:
      return WriteFloat(w, t.data<Half>()[i].ToFloat());
    case DType::kBFloat16:
      return WriteFloat(w, t.data<BFloat16>()[i].ToFloat());
    case DType::kUInt16:
      return w->Uint(t.data<uint16_t>()[i]);
    case DType::kString: {
      const std::string& s = t.data<std::string>()[i];
      if (!as_bytes) return w->String(s.data(), s.size());
      std::string b64;
      absl::Base64Escape(s, &b64);
      w->StartObject();
      w->Key(kB64Key);
      bool ok = w->String(b64.data(), b64.size());
      w->EndObject();
      return ok;
    }
    default:
      return false;
  }
}

absl::Status WriteError(DType d) {
  return absl::InvalidArgumentError(
      absl::StrCat("Failed to write JSON value for tensor type: ", DTypeName(d)));
}

// Writes dims [dim, rank) of `t` starting at element *offset.
void WriteValues(const Tensor& t, bool as_bytes, int dim, JsonWriter* w, int64_t* offset) {
  if (dim >= t.rank()) {
    WriteElement(t, (*offset)++, as_bytes, w);
    return;
  }
  w->StartArray();
  for (int64_t i = 0; i < t.dim(dim); ++i) WriteValues(t, as_bytes, dim + 1, w, offset);
  w->EndArray();
}

}  // namespace

absl::StatusOr<Tensor> JsonValuesToTensor(const rapidjson::Value& data, DType dtype,
                                          const TensorShape& shape) {
  ValueSink sink(dtype, /*extended=*/true);
  const int64_t want = shape.NumElements();
  int64_t count = 0;
  // Depth-first over the lists, with an explicit stack: any nesting reads in row-major order.
  std::vector<std::pair<const rapidjson::Value*, rapidjson::SizeType>> lists;
  const rapidjson::Value* v = &data;
  while (true) {
    if (v->IsArray()) {
      lists.emplace_back(v, 0);
    } else {
      if (++count > want) break;
      TFM_RETURN_IF_ERROR(v->IsObject() ? sink.AddB64(*v) : sink.Add(*v));
    }
    while (!lists.empty() && lists.back().second == lists.back().first->Size()) lists.pop_back();
    if (lists.empty()) break;
    auto& [list, next] = lists.back();
    v = &(*list)[next++];
  }
  if (count != want) {
    return absl::InvalidArgumentError(
        absl::StrCat(count > want ? "more than " : "", count > want ? want : count,
                     " values given for shape ", ShapeText(shape), ", which holds ", want));
  }
  return sink.Finish(shape);
}

bool WriteFlatJsonValues(const Tensor& t, JsonWriter* w) {
  w->StartArray();
  bool ok = true;
  for (int64_t i = 0; ok && i < t.NumElements(); ++i) ok = WriteElement(t, i, false, w);
  w->EndArray();
  return ok;
}

absl::Status ParsePredictRequestJson(absl::string_view json, const InputDTypeGetter& get_inputs,
                                     JsonPredictRequest* request) {
  request->format = JsonPredictFormat::kInvalid;
  request->inputs.clear();
  JsonDom dom;
  JsonDocument& doc = *dom.doc();
  TFM_RETURN_IF_ERROR(ParseJson(json, &doc));
  TFM_RETURN_IF_ERROR(ReadSignatureName(doc, &request->signature_name));
  TFM_ASSIGN_OR_RETURN(const InputDTypeMap* dtypes_ptr, get_inputs(request->signature_name));
  const InputDTypeMap& dtypes = *dtypes_ptr;
  if (dtypes.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Failed to get input map for signature: ",
        request->signature_name.empty() ? "DEFAULT" : EchoText(request->signature_name)));
  }
  auto instances = doc.FindMember(kInstancesKey);
  auto inputs = doc.FindMember(kInputsKey);
  if (instances != doc.MemberEnd()) {
    if (inputs != doc.MemberEnd()) {
      return FormatError(doc, "Not formatted correctly expecting only one of '", kInputsKey,
                         "' or '", kInstancesKey, "' keys to exist ");
    }
    if (!instances->value.IsArray()) {
      return FormatError(doc, "Expecting '", kInstancesKey, "' to be an list/array");
    }
    if (instances->value.Empty()) {
      return FormatError(doc, "No values in '", kInstancesKey, "' array");
    }
    request->format = JsonPredictFormat::kRow;
    return FillFromInstances(instances->value, dtypes, &request->inputs);
  }
  if (inputs != doc.MemberEnd()) {
    request->format = JsonPredictFormat::kColumnar;
    return FillFromInputs(inputs->value, dtypes, &request->inputs);
  }
  return absl::InvalidArgumentError("Missing 'inputs' or 'instances' key");
}

absl::StatusOr<std::string> MakeJsonFromTensors(const std::map<std::string, Tensor>& tensors,
                                                JsonPredictFormat format) {
  if (tensors.empty()) {
    return absl::InvalidArgumentError("Cannot convert empty tensor map to JSON");
  }
  for (const auto& [name, t] : tensors) {
    if (!JsonPredictDType(t.dtype())) return WriteError(t.dtype());
  }
  JsonOut out;
  JsonWriter& w = out.w();
  const bool named = tensors.size() > 1;
  switch (format) {
    case JsonPredictFormat::kInvalid:
      return absl::InvalidArgumentError("Invalid request format");
    case JsonPredictFormat::kRow: {
      int64_t batch = -1;
      for (const auto& [name, t] : tensors) {
        if (t.rank() == 0) {
          return absl::InvalidArgumentError(
              absl::StrCat("Tensor name: ", name, " has no shape information "));
        }
        if (batch >= 0 && batch != t.dim(0)) {
          return absl::InvalidArgumentError(absl::StrCat("Tensor name: ", name,
                                                         " has inconsistent batch size: ", t.dim(0),
                                                         " expecting: ", batch));
        }
        batch = t.dim(0);
      }
      // Next element of each tensor (in map order).
      absl::InlinedVector<int64_t, 4> offsets(tensors.size(), 0);
      w.StartObject();
      w.Key(kPredictionsKey);
      w.StartArray();
      for (int64_t row = 0; row < batch; ++row) {
        if (named) w.StartObject();
        w.SetFormatOptions(rapidjson::kFormatSingleLineArray);
        size_t k = 0;
        for (const auto& [name, t] : tensors) {
          if (named) w.Key(name.data(), name.size());
          WriteValues(t, IsBytesOutput(name, t), 1, &w, &offsets[k++]);
        }
        w.SetFormatOptions(rapidjson::kFormatDefault);
        if (named) w.EndObject();
      }
      w.EndArray();
      w.EndObject();
      return out.Take();
    }
    case JsonPredictFormat::kColumnar: {
      w.StartObject();
      w.Key(kOutputsKey);
      if (named) w.StartObject();
      for (const auto& [name, t] : tensors) {
        if (named) w.Key(name.data(), name.size());
        int64_t offset = 0;
        WriteValues(t, IsBytesOutput(name, t), 0, &w, &offset);
      }
      if (named) w.EndObject();
      w.EndObject();
      return out.Take();
    }
  }
  return absl::InvalidArgumentError("Invalid request format");
}

absl::Status ParseClassifyRegressRequestJson(absl::string_view json, std::string* signature_name,
                                             tensorflow::serving::Input* input) {
  JsonDom dom;
  JsonDocument& doc = *dom.doc();
  TFM_RETURN_IF_ERROR(ParseJson(json, &doc));
  TFM_RETURN_IF_ERROR(ReadSignatureName(doc, signature_name));
  input->Clear();
  bool has_context = false;
  auto it = doc.FindMember(kContextKey);
  if (it != doc.MemberEnd()) {
    TFM_RETURN_IF_ERROR(
        ExampleFromJson(it->value, input->mutable_example_list_with_context()->mutable_context()));
    has_context = true;
  }
  it = doc.FindMember(kExamplesKey);
  if (it == doc.MemberEnd()) {
    return FormatError(doc, "When method is classify, key '", kExamplesKey,
                       "' is expected and was not found");
  }
  if (!it->value.IsArray()) {
    return FormatError(doc, "Expecting '", kExamplesKey, "' value to be an list/array");
  }
  if (it->value.Empty()) return FormatError(doc, "'", kExamplesKey, "' value is an empty array");
  for (const auto& e : it->value.GetArray()) {
    TFM_RETURN_IF_ERROR(
        ExampleFromJson(e, has_context ? input->mutable_example_list_with_context()->add_examples()
                                       : input->mutable_example_list()->add_examples()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> MakeJsonFromClassificationResult(
    const tensorflow::serving::ClassificationResult& result) {
  if (result.classifications_size() == 0) {
    return absl::InvalidArgumentError("Cannot convert empty ClassificationResults to JSON");
  }
  JsonOut out;
  JsonWriter& w = out.w();
  w.StartObject();
  w.Key(kResultsKey);
  w.StartArray();
  for (const auto& c : result.classifications()) {
    w.SetFormatOptions(rapidjson::kFormatSingleLineArray);
    w.StartArray();
    for (const auto& cls : c.classes()) {
      w.StartArray();
      w.String(cls.label().data(), cls.label().size());
      WriteFloat(&w, cls.score());
      w.EndArray();
    }
    w.EndArray();
    w.SetFormatOptions(rapidjson::kFormatDefault);
  }
  w.EndArray();
  w.EndObject();
  return out.Take();
}

absl::StatusOr<std::string> MakeJsonFromRegressionResult(
    const tensorflow::serving::RegressionResult& result) {
  if (result.regressions_size() == 0) {
    return absl::InvalidArgumentError("Cannot convert empty RegressionResults to JSON");
  }
  JsonOut out;
  JsonWriter& w = out.w();
  w.StartObject();
  w.Key(kResultsKey);
  w.SetFormatOptions(rapidjson::kFormatSingleLineArray);
  w.StartArray();
  for (const auto& r : result.regressions()) WriteFloat(&w, r.value());
  w.EndArray();
  w.EndObject();
  return out.Take();
}

std::string MakeJsonFromStatus(const absl::Status& status) {
  if (status.ok()) return "";
  const std::string message = BoundErrorMessage(status.message());
  JsonOut out;
  JsonWriter& w = out.w();
  w.StartObject();
  w.Key(kErrorKey);
  w.String(message.data(), message.size());
  w.EndObject();
  return out.Take();
}

bool JsonPredictDType(DType d) {
  switch (d) {
    case DType::kFloat:
    case DType::kDouble:
    case DType::kInt32:
    case DType::kInt16:
    case DType::kInt8:
    case DType::kUInt8:
    case DType::kInt64:
    case DType::kUInt32:
    case DType::kUInt64:
    case DType::kBool:
    case DType::kString:
      return true;
    default:
      return false;
  }
}

}  // namespace tfmodel::serving
