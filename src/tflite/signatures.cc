#include "tflite/signatures.h"

#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "flatbuffers/flexbuffers.h"
#include "format/tflite.h"

namespace tfmodel::tflite {
namespace {

using runtime::Signature;
using runtime::TensorSpec;

constexpr char kPredict[] = "tensorflow/serving/predict";

std::string StripZero(const std::string& name) {
  if (absl::EndsWith(name, ":0")) return name.substr(0, name.size() - 2);
  return name;
}

void AddTensorInfo(tensorflow::SignatureDef* def, bool input, const std::string& alias,
                   const TensorSpec& spec) {
  auto& info = input ? (*def->mutable_inputs())[alias] : (*def->mutable_outputs())[alias];
  info.set_name(spec.tensor_name);
  info.set_dtype(static_cast<tensorflow::DataType>(static_cast<int>(spec.dtype)));
  auto* shape = info.mutable_tensor_shape();
  if (spec.shape.unknown_rank()) {
    shape->set_unknown_rank(true);
  } else {
    for (int64_t d : spec.shape.dims()) shape->add_dim()->set_size(d);
  }
}

class SignatureBuilder {
 public:
  SignatureBuilder(const TfLiteFile& file, const std::vector<SubgraphPlan>& plans)
      : file_(file), plans_(plans) {}

  absl::StatusOr<ModelSignatures> Build() {
    out_.meta_graph.mutable_meta_info_def()->add_tags("serve");
    TFM_RETURN_IF_ERROR(FromServingMetadata());
    if (out_.signatures.empty()) FromSignatureDefs();
    if (out_.signatures.empty()) FromSubgraphZero();
    return std::move(out_);
  }

 private:
  using Names = std::map<std::string, std::string>;  // alias -> tensor name

  TensorSpec Spec(int sg, int t, const std::string& tensor_name) const {
    TensorSpec spec;
    spec.tensor_name = tensor_name;
    spec.dtype = plans_[sg].dtypes[t];
    // Without a shape_signature TFLite inputs may be resized: the shape stays unknown.
    if (plans_[sg].has_shape_signature[t])
      spec.shape = PartialShape(plans_[sg].signature_shapes[t]);
    return spec;
  }

  void Add(const std::string& key, const std::string& method, SignatureBinding binding,
           const Names& in_names, const Names& out_names) {
    Signature sig;
    sig.key = key;
    sig.method_name = method;
    tensorflow::SignatureDef def;
    def.set_method_name(method);
    for (const auto& [alias, t] : binding.inputs) {
      sig.inputs[alias] = Spec(binding.subgraph, t, in_names.at(alias));
      AddTensorInfo(&def, true, alias, sig.inputs[alias]);
    }
    for (const auto& [alias, t] : binding.outputs) {
      sig.outputs[alias] = Spec(binding.subgraph, t, out_names.at(alias));
      AddTensorInfo(&def, false, alias, sig.outputs[alias]);
    }
    out_.signatures[key] = std::move(sig);
    out_.bindings[key] = std::move(binding);
    (*out_.meta_graph.mutable_signature_def())[key] = std::move(def);
  }

  // TF Serving's signature_defs_metadata: FlexBuffer map key -> serialized SignatureDef.
  absl::Status FromServingMetadata() {
    const auto& m = file_.model();
    if (!m.metadata()) return absl::OkStatus();
    for (const auto* md : *m.metadata()) {
      if (!md->name() || md->name()->str() != "signature_defs_metadata") continue;
      absl::string_view data = file_.BufferData(md->buffer());
      if (data.empty()) continue;
      const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
      if (!flexbuffers::VerifyBuffer(bytes, data.size())) {
        return absl::InvalidArgumentError(
            absl::StrCat(file_.name(), ": signature_defs_metadata is not a valid FlexBuffer"));
      }
      auto map = flexbuffers::GetRoot(bytes, data.size()).AsMap();
      auto keys = map.Keys();
      auto values = map.Values();
      for (size_t k = 0; k < keys.size(); ++k) {
        const std::string key = keys[k].AsKey();
        auto blob = values[k].AsString();
        tensorflow::SignatureDef def;
        if (!def.ParseFromArray(blob.c_str(), static_cast<int>(blob.size()))) {
          return absl::InvalidArgumentError(absl::StrCat(
              file_.name(), ": signature_defs_metadata entry '", key, "' is not a SignatureDef"));
        }
        SignatureBinding b;
        Names in_names, out_names;
        for (const auto& [alias, info] : def.inputs()) {
          TFM_ASSIGN_OR_RETURN(b.inputs[alias], FindTensor(plans_[0], info.name()));
          in_names[alias] = info.name();
        }
        for (const auto& [alias, info] : def.outputs()) {
          TFM_ASSIGN_OR_RETURN(b.outputs[alias], FindTensor(plans_[0], info.name()));
          out_names[alias] = info.name();
        }
        Add(key, def.method_name().empty() ? kPredict : def.method_name(), std::move(b), in_names,
            out_names);
        // Metadata requests see the SignatureDef exactly as stored (with its shapes).
        (*out_.meta_graph.mutable_signature_def())[key] = def;
      }
    }
    return absl::OkStatus();
  }

  // The model's own signature_defs.
  void FromSignatureDefs() {
    const auto& m = file_.model();
    if (!m.signature_defs()) return;
    for (const auto* sd : *m.signature_defs()) {
      SignatureBinding b;
      b.subgraph = static_cast<int>(sd->subgraph_index());
      Names in_names, out_names;
      for (auto [list, dst, names] : {std::tuple{sd->inputs(), &b.inputs, &in_names},
                                      std::tuple{sd->outputs(), &b.outputs, &out_names}}) {
        if (!list) continue;
        for (const auto* tm : *list) {
          const std::string alias = tm->name() ? tm->name()->str() : "";
          (*dst)[alias] = static_cast<int>(tm->tensor_index());
          (*names)[alias] = plans_[b.subgraph].names[tm->tensor_index()];
        }
      }
      Add(sd->signature_key() ? sd->signature_key()->str() : "serving_default", kPredict,
          std::move(b), in_names, out_names);
    }
  }

  // Subgraph 0's inputs and outputs by tensor name.
  void FromSubgraphZero() {
    SignatureBinding b;
    Names in_names, out_names;
    for (int t : plans_[0].inputs) {
      const std::string alias = StripZero(plans_[0].names[t]);
      b.inputs[alias] = t;
      in_names[alias] = plans_[0].names[t];
    }
    for (int t : plans_[0].outputs) {
      const std::string alias = StripZero(plans_[0].names[t]);
      b.outputs[alias] = t;
      out_names[alias] = plans_[0].names[t];
    }
    Add("serving_default", kPredict, std::move(b), in_names, out_names);
  }

  const TfLiteFile& file_;
  const std::vector<SubgraphPlan>& plans_;
  ModelSignatures out_;
};

}  // namespace

absl::StatusOr<ModelSignatures> BuildSignatures(const TfLiteFile& file,
                                                const std::vector<SubgraphPlan>& plans) {
  return SignatureBuilder(file, plans).Build();
}

absl::StatusOr<int> FindTensor(const SubgraphPlan& plan, const std::string& name) {
  const auto& names = plan.names;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<int>(i);
  }
  const std::string stripped = StripZero(name);
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == stripped || StripZero(names[i]) == stripped) return static_cast<int>(i);
  }
  return absl::NotFoundError(
      absl::StrCat(plan.file_name, ": subgraph ", plan.index, " has no tensor '", name, "'"));
}

PartialShape DeclaredShape(const SubgraphPlan& plan, int tensor) {
  return PartialShape(plan.has_shape_signature[tensor] ? plan.signature_shapes[tensor]
                                                       : plan.shapes[tensor]);
}

}  // namespace tfmodel::tflite
