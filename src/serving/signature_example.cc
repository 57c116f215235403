#include "serving/signature_example.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status.h"
#include "serving/echo_text.h"
#include "serving/json_tensor.h"
#include "tensorflow/core/example/example.pb.h"

namespace tfmodel::serving {
namespace {

constexpr char kBytesSuffix[] = "_bytes";

// Dims of an input with unknown ones as 1 (an unknown rank as one dim of 1).
std::vector<int64_t> ExampleDims(const runtime::TensorSpec& spec) {
  if (spec.shape.unknown_rank()) return {1};
  std::vector<int64_t> dims(spec.shape.dims().begin(), spec.shape.dims().end());
  for (int64_t& d : dims) d = d < 0 ? 1 : d;
  return dims;
}

// Values (or, past a 0 dim, empty lists) written for `dims`, capped past kMaxExampleValues.
int64_t NumValues(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    n *= std::max<int64_t>(d, 1);
    if (n > kMaxExampleValues) return kMaxExampleValues + 1;
  }
  return n;
}

// Writes lists nested as `dims` (row-major), each value by `value(i)` with i counting
// from *counter; iterative, so any rank is fine.
void WriteNested(absl::Span<const int64_t> dims, int64_t* counter,
                 const std::function<void(int64_t)>& value, JsonWriter* w) {
  const int r = static_cast<int>(dims.size());
  if (r == 0) {
    value((*counter)++);
    return;
  }
  int64_t total = 1;
  for (int64_t d : dims) total *= d;
  if (total == 0) {
    // Lists down to the first 0 dim, each of those empty.
    int z = 0;
    while (dims[z] != 0) ++z;
    int64_t unused = 0;
    WriteNested(
        dims.subspan(0, z), &unused,
        [w](int64_t) {
          w->StartArray();
          w->EndArray();
        },
        w);
    return;
  }
  std::vector<int64_t> idx(r, 0);
  for (int64_t e = 0; e < total; ++e) {
    for (int j = r - 1; j >= 0 && idx[j] == 0; --j) w->StartArray();
    value((*counter)++);
    for (int j = r - 1; j >= 0; --j) {
      if (++idx[j] < dims[j]) break;
      idx[j] = 0;
      w->EndArray();
    }
  }
}

// An Example holding every feature (dense ones with all their values, others with one):
// floats alternate 0.0 and 1.0, ints are 0, strings "".
tensorflow::Example MakeExample(const std::vector<ExampleFeature>& features) {
  tensorflow::Example ex;
  auto* map = ex.mutable_features()->mutable_feature();
  for (const ExampleFeature& f : features) {
    tensorflow::Feature& feature = (*map)[f.name];
    const int64_t n = f.kind == FeatureKind::kDense ? f.num_values : 1;
    for (int64_t i = 0; i < n; ++i) {
      switch (f.dtype) {
        case DType::kFloat:
          feature.mutable_float_list()->add_value(static_cast<float>(i % 2));
          break;
        case DType::kInt64:
          feature.mutable_int64_list()->add_value(0);
          break;
        default:
          feature.mutable_bytes_list()->add_value("");
          break;
      }
    }
  }
  return ex;
}

// Writes the example values of one input.
class InputValues {
 public:
  InputValues(const std::string& alias, const runtime::TensorSpec& spec,
              const std::vector<ExampleFeature>& features)
      : dtype_(spec.dtype == DType::kInvalid ? DType::kFloat : spec.dtype),
        b64_(absl::EndsWith(alias, kBytesSuffix)) {
    if (dtype_ == DType::kString && !features.empty()) {
      b64_ = true;
      text_ = absl::Base64Escape(MakeExample(features).SerializeAsString());
    }
  }
  void Write(int64_t i, JsonWriter* w) const {
    switch (dtype_) {
      case DType::kFloat:
      case DType::kDouble:
        w->Double(static_cast<double>(i % 2));
        break;
      case DType::kBool:
        w->Bool(false);
        break;
      case DType::kString:
        if (b64_) {
          w->StartObject();
          w->Key(kB64Key);
          w->String(text_.data(), static_cast<rapidjson::SizeType>(text_.size()));
          w->EndObject();
        } else {
          w->String(text_.data(), static_cast<rapidjson::SizeType>(text_.size()));
        }
        break;
      default:
        w->Int(0);
        break;
    }
  }

 private:
  DType dtype_;
  bool b64_;
  std::string text_;
};

// Checks what a predict example needs: dtypes JSON can carry, a bounded size.
absl::Status CheckPredictable(const runtime::Signature& sig) {
  if (sig.inputs.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Signature \"", sig.key, "\" has no inputs; there is no request to generate"));
  }
  int64_t total = 0;
  for (const auto& [alias, spec] : sig.inputs) {
    if (spec.dtype != DType::kInvalid && !JsonPredictDType(spec.dtype)) {
      return absl::InvalidArgumentError(
          absl::StrCat("Input \"", alias, "\" of signature \"", sig.key, "\" has dtype ",
                       DTypeName(spec.dtype), ", which a JSON predict request cannot carry"));
    }
    total += NumValues(ExampleDims(spec));
    if (total > kMaxExampleValues) {
      return absl::InvalidArgumentError(absl::StrCat("An example request for signature \"", sig.key,
                                                     "\" would hold more than ", kMaxExampleValues,
                                                     " values (input \"", alias, "\" has shape ",
                                                     spec.shape.ToString(), ")"));
    }
  }
  return absl::OkStatus();
}

void WriteSignatureName(const runtime::Signature& sig, JsonWriter* w) {
  if (sig.key == kDefaultSignatureKey) return;
  w->Key("signature_name");
  w->String(sig.key.data(), static_cast<rapidjson::SizeType>(sig.key.size()));
}

void WriteFeatureValue(const ExampleFeature& f, JsonWriter* w) {
  const int64_t n = f.kind == FeatureKind::kDense ? f.num_values : 1;
  if (n != 1) w->StartArray();
  for (int64_t i = 0; i < n; ++i) {
    switch (f.dtype) {
      case DType::kFloat:
        w->Double(static_cast<double>(i % 2));
        break;
      case DType::kInt64:
        w->Int(0);
        break;
      default:
        w->String("");
        break;
    }
  }
  if (n != 1) w->EndArray();
}

}  // namespace

PredictLayout ChoosePredictLayout(const runtime::Signature& sig) {
  PredictLayout layout;
  bool first = true;
  int64_t lead = 0;
  for (const auto& [alias, spec] : sig.inputs) {
    if (spec.shape.rank() < 1) return {};
    if (!first && spec.shape.dim(0) != lead) return {};
    lead = spec.shape.dim(0);
    first = false;
  }
  if (first || lead == 0) return {};
  layout.row = true;
  layout.batch = lead < 0 ? 1 : lead;
  return layout;
}

absl::StatusOr<const runtime::Signature*> FindSignature(const Servable& servable,
                                                        const std::string& signature_name) {
  const std::string key = signature_name.empty() ? kDefaultSignatureKey : signature_name;
  const auto& sigs = servable.model().signatures();
  auto it = sigs.find(key);
  if (it != sigs.end()) return &it->second;
  std::vector<std::string> names;
  for (const auto& [k, s] : sigs) names.push_back(k);
  return absl::InvalidArgumentError(absl::StrCat(
      "Serving signature name: \"", EchoText(key), "\" not found in signature def of model \"",
      servable.name(), "\" version ", servable.version(),
      " (its signatures: ", names.empty() ? "none" : absl::StrJoin(names, ", "), ")"));
}

std::map<std::string, std::vector<ExampleFeature>> SignatureExampleFeatures(
    const runtime::Signature& sig, const tensorflow::MetaGraphDef& meta_graph) {
  std::map<std::string, std::vector<ExampleFeature>> out;
  for (const auto& [alias, spec] : sig.inputs) {
    if (spec.dtype == DType::kString || spec.dtype == DType::kInvalid) {
      out[alias] = FindExampleFeatures(meta_graph.graph_def(), spec.tensor_name);
    } else {
      out[alias];
    }
  }
  return out;
}

absl::Status WritePredictExample(const runtime::Signature& sig,
                                 const tensorflow::MetaGraphDef& meta_graph, JsonWriter* w) {
  TFM_RETURN_IF_ERROR(CheckPredictable(sig));
  const auto features = SignatureExampleFeatures(sig, meta_graph);
  std::map<std::string, InputValues> values;
  for (const auto& [alias, spec] : sig.inputs) {
    values.emplace(alias, InputValues(alias, spec, features.at(alias)));
  }
  const PredictLayout layout = ChoosePredictLayout(sig);
  const bool named = sig.inputs.size() > 1;
  w->StartObject();
  // Lists on one line (objects still one member a line).
  w->SetFormatOptions(rapidjson::kFormatSingleLineArray);
  WriteSignatureName(sig, w);
  if (layout.row) {
    w->Key("instances");
    w->StartArray();
    std::map<std::string, int64_t> counters;
    for (int64_t row = 0; row < layout.batch; ++row) {
      if (named) w->StartObject();
      for (const auto& [alias, spec] : sig.inputs) {
        if (named) w->Key(alias.data(), static_cast<rapidjson::SizeType>(alias.size()));
        const std::vector<int64_t> dims = ExampleDims(spec);
        const InputValues& v = values.at(alias);
        WriteNested(
            absl::MakeConstSpan(dims).subspan(1), &counters[alias],
            [&](int64_t i) { v.Write(i, w); }, w);
      }
      if (named) w->EndObject();
    }
    w->EndArray();
  } else {
    w->Key("inputs");
    w->StartObject();
    for (const auto& [alias, spec] : sig.inputs) {
      w->Key(alias.data(), static_cast<rapidjson::SizeType>(alias.size()));
      const std::vector<int64_t> dims = ExampleDims(spec);
      const InputValues& v = values.at(alias);
      int64_t counter = 0;
      WriteNested(
          dims, &counter, [&](int64_t i) { v.Write(i, w); }, w);
    }
    w->EndObject();
  }
  w->SetFormatOptions(rapidjson::kFormatDefault);
  w->EndObject();
  return absl::OkStatus();
}

absl::Status WriteClassifyRegressExample(const runtime::Signature& sig, bool classify,
                                         const tensorflow::MetaGraphDef& meta_graph,
                                         JsonWriter* w) {
  const char* api = classify ? "classify" : "regress";
  const char* method = classify ? kClassifyMethodName : kRegressMethodName;
  if (sig.method_name != method) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Signature \"", sig.key, "\" has method_name \"", sig.method_name, "\", not ", method,
        ": it takes no ", api, " requests (ask for its example without method=", api, ")"));
  }
  const auto features = SignatureExampleFeatures(sig, meta_graph);
  if (sig.inputs.size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("Signature \"", sig.key, "\" does not take a serialized tf.Example: it has ",
                     sig.inputs.size(), " inputs, ", api, " feeds one; no ", api,
                     " example can be generated (its predict example works)"));
  }
  if (features.begin()->second.empty()) {
    const auto& [alias, spec] = *sig.inputs.begin();
    return absl::InvalidArgumentError(absl::StrCat(
        "Signature \"", sig.key, "\" does not take a serialized tf.Example: its input \"", alias,
        "\" (", spec.tensor_name, ", ", DTypeName(spec.dtype),
        ") reaches no ParseExample with constant feature keys in the graph; no ", api,
        " example can be generated (its predict example works)"));
  }
  const std::vector<ExampleFeature>& fs = features.begin()->second;
  w->StartObject();
  w->SetFormatOptions(rapidjson::kFormatSingleLineArray);
  WriteSignatureName(sig, w);
  w->Key("examples");
  w->StartArray();
  w->StartObject();
  for (const ExampleFeature& f : fs) {
    w->Key(f.name.data(), static_cast<rapidjson::SizeType>(f.name.size()));
    WriteFeatureValue(f, w);
  }
  w->EndObject();
  w->EndArray();
  w->SetFormatOptions(rapidjson::kFormatDefault);
  w->EndObject();
  return absl::OkStatus();
}

absl::StatusOr<std::string> MakeExampleRequest(const Servable& servable,
                                               const std::string& signature_name,
                                               absl::string_view method) {
  TFM_ASSIGN_OR_RETURN(const runtime::Signature* sig, FindSignature(servable, signature_name));
  JsonOut out;
  absl::Status s;
  const tensorflow::MetaGraphDef& mg = servable.model().meta_graph();
  if (method.empty() || method == "predict") {
    s = WritePredictExample(*sig, mg, &out.w());
  } else if (method == "classify" || method == "regress") {
    s = WriteClassifyRegressExample(*sig, method == "classify", mg, &out.w());
  } else {
    return absl::InvalidArgumentError(absl::StrCat("Unknown method \"", EchoText(method),
                                                   "\": expected predict, classify or regress"));
  }
  if (!s.ok()) {
    return absl::Status(s.code(), absl::StrCat("Model \"", servable.name(), "\" version ",
                                               servable.version(), ": ", s.message()));
  }
  std::string body = out.Take();
  body.push_back('\n');
  return body;
}

}  // namespace tfmodel::serving
