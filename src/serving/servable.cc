#include "serving/servable.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status.h"
#include "format/tensor_proto.h"
#include "serving/echo_text.h"
#include "tensorflow/core/protobuf/meta_graph.pb.h"

namespace tfmodel::serving {
namespace {

using tensorflow::serving::ClassificationResult;
using tensorflow::serving::Input;
using tensorflow::serving::RegressionResult;

constexpr char kClassifyInputs[] = "inputs";
constexpr char kClassifyClasses[] = "classes";
constexpr char kClassifyScores[] = "scores";
constexpr char kRegressInputs[] = "inputs";
constexpr char kRegressOutputs[] = "outputs";
constexpr char kSignatureDefField[] = "signature_def";

std::string Key(const std::string& name) { return name.empty() ? kDefaultSignatureKey : name; }

std::string JoinKeys(const std::set<std::string>& s) { return absl::StrJoin(s, ","); }

// Runs signature `key` feeding and fetching its tensors by name, so the graph's
// placeholders (not the SignatureDef's declared dtypes) decide what a feed must be.
absl::StatusOr<std::map<std::string, Tensor>> RunByTensorNames(
    runtime::Model& model, const std::string& key, const std::map<std::string, Tensor>& inputs,
    const std::vector<std::string>& outputs) {
  auto sit = model.signatures().find(key);
  if (sit == model.signatures().end()) {
    return absl::NotFoundError(absl::StrCat("signature '", EchoText(key), "' not found"));
  }
  const runtime::Signature& sig = sit->second;
  std::vector<std::pair<std::string, Tensor>> feeds;
  for (const auto& [alias, t] : inputs) {
    auto in = sig.inputs.find(alias);
    if (in == sig.inputs.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("signature '", key, "' has no input '", EchoText(alias), "'"));
    }
    feeds.emplace_back(in->second.tensor_name, t);
  }
  std::vector<std::string> aliases = outputs, fetches;
  if (aliases.empty()) {
    for (const auto& [alias, spec] : sig.outputs) aliases.push_back(alias);
  }
  for (const auto& alias : aliases) {
    auto out = sig.outputs.find(alias);
    if (out == sig.outputs.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("signature '", key, "' has no output '", EchoText(alias), "'"));
    }
    fetches.push_back(out->second.tensor_name);
  }
  TFM_ASSIGN_OR_RETURN(std::vector<Tensor> values, model.Run(feeds, fetches, {}));
  std::map<std::string, Tensor> result;
  for (size_t i = 0; i < aliases.size(); ++i) result[aliases[i]] = std::move(values[i]);
  return result;
}

}  // namespace

absl::StatusOr<Tensor> InputToExampleTensor(const Input& input) {
  std::vector<std::string> serialized;
  switch (input.kind_case()) {
    case Input::kExampleList:
      for (const auto& ex : input.example_list().examples()) {
        serialized.push_back(ex.SerializeAsString());
      }
      break;
    case Input::kExampleListWithContext: {
      const std::string context = input.example_list_with_context().context().SerializeAsString();
      for (const auto& ex : input.example_list_with_context().examples()) {
        // Concatenated messages parse as a merge: example features override context ones.
        serialized.push_back(absl::StrCat(context, ex.SerializeAsString()));
      }
      break;
    }
    default:
      break;
  }
  if (serialized.empty()) return absl::InvalidArgumentError("Input is empty.");
  return Tensor::FromVector<std::string>(serialized);
}

Servable::Servable(std::string name, int64_t version, std::shared_ptr<runtime::Model> model,
                   ServableOptions options)
    : name_(std::move(name)), version_(version), model_(std::move(model)), options_(options) {
  if (options_.batch_scheduler) {
    batching_ = std::make_unique<BatchingRunner>(options_.batch_scheduler, name_);
  }
  for (const auto& [key, sig] : model_->signatures()) {
    auto& m = input_dtypes_[key];
    for (const auto& [alias, spec] : sig.inputs) m[alias] = spec.dtype;
  }
}

absl::StatusOr<const std::map<std::string, DType>*> Servable::InputDTypes(
    const std::string& signature_name) const {
  const absl::string_view key =
      signature_name.empty() ? absl::string_view(kDefaultSignatureKey) : signature_name;
  auto it = input_dtypes_.find(key);
  if (it == input_dtypes_.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Serving signature name: \"", EchoText(key), "\" not found in signature def"));
  }
  return &it->second;
}

absl::StatusOr<std::map<std::string, Tensor>> Servable::RunSignature(
    const std::string& key, const std::map<std::string, Tensor>& inputs,
    const std::vector<std::string>& outputs, bool by_tensor_names) const {
  if (!batching_) {
    return by_tensor_names ? RunByTensorNames(*model_, key, inputs, outputs)
                           : model_->RunSignature(key, inputs, outputs);
  }
  // One queue per signature and output list (TF Serving's TensorSignature).
  std::string queue_key = key;
  for (const auto& o : outputs) absl::StrAppend(&queue_key, "\x1e", o);
  runtime::Model* model = model_.get();
  return batching_->Run(queue_key, inputs,
                        [model, key, outputs, by_tensor_names](const TensorMap& merged) {
                          return by_tensor_names ? RunByTensorNames(*model, key, merged, outputs)
                                                 : model->RunSignature(key, merged, outputs);
                        });
}

void Servable::FillModelSpec(const std::string& signature_name,
                             tensorflow::serving::ModelSpec* spec) const {
  spec->set_name(name_);
  spec->mutable_version()->set_value(version_);
  spec->set_signature_name(signature_name);
}

absl::StatusOr<std::map<std::string, Tensor>> Servable::RunPredict(
    const std::string& signature_name, const std::map<std::string, Tensor>& inputs,
    const std::vector<std::string>& output_filter) const {
  const std::string key = Key(signature_name);
  auto it = model_->signatures().find(key);
  if (it == model_->signatures().end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("Serving signature key \"", EchoText(key), "\" not found."));
  }
  const runtime::Signature& sig = it->second;
  if (options_.check_method_name && sig.method_name != kPredictMethodName) {
    return absl::InvalidArgumentError(
        absl::StrCat("Expected prediction signature method_name "
                     "to be one of {",
                     kPredictMethodName, ", ", kClassifyMethodName, ", ", kRegressMethodName,
                     "}. Was: ", sig.method_name));
  }
  // Inputs must match the signature's exactly (both maps are sorted by alias: compare
  // them in place; the sets for the message are built only on a mismatch).
  bool same_aliases = inputs.size() == sig.inputs.size();
  auto b = sig.inputs.begin();
  for (auto a = inputs.begin(); same_aliases && a != inputs.end(); ++a, ++b) {
    same_aliases = a->first == b->first;
  }
  if (!same_aliases) {
    std::set<std::string> sent, required;
    for (const auto& [alias, t] : inputs) sent.insert(alias);
    for (const auto& [alias, spec] : sig.inputs) required.insert(alias);
    std::set<std::string> extra, missing;
    for (const auto& s : sent) {
      if (!required.count(s)) extra.insert(s);
    }
    for (const auto& r : required) {
      if (!sent.count(r)) missing.insert(r);
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "input size does not match signature: ", sent.size(), "!=", required.size(), " len({",
        EchoText(JoinKeys(sent)), "}) != len({", JoinKeys(required), "}). Sent extra: {",
        EchoText(JoinKeys(extra)), "}. Missing but required: {", JoinKeys(missing), "}."));
  }
  std::set<std::string> seen;
  for (const auto& alias : output_filter) {
    if (!sig.outputs.count(alias)) {
      std::set<std::string> outs;
      for (const auto& [a, spec] : sig.outputs) outs.insert(a);
      return absl::InvalidArgumentError(
          absl::StrCat("output tensor alias not found in signature: ", EchoText(alias),
                       " Outputs expected to be in the set {", JoinKeys(outs), "}."));
    }
    if (!seen.insert(alias).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("duplicate output tensor alias: ", EchoText(alias)));
    }
  }
  for (const auto& [alias, t] : inputs) {
    const runtime::TensorSpec& spec = sig.inputs.at(alias);
    if (spec.dtype != DType::kInvalid && t.dtype() != spec.dtype) {
      return absl::InvalidArgumentError(
          absl::StrCat("Expects arg for input '", alias, "' (", spec.tensor_name, ") to be ",
                       DTypeName(spec.dtype), " but ", DTypeName(t.dtype()), " is provided"));
    }
  }
  return RunSignature(key, inputs, output_filter);
}

absl::Status Servable::Predict(const tensorflow::serving::PredictRequest& request,
                               tensorflow::serving::PredictResponse* response) const {
  std::map<std::string, Tensor> inputs;
  for (const auto& [alias, proto] : request.inputs()) {
    auto t = TensorFromProto(proto);
    if (!t.ok()) return Annotate(t.status(), absl::StrCat("input '", alias, "'"));
    inputs.emplace(alias, std::move(*t));
  }
  std::vector<std::string> filter(request.output_filter().begin(), request.output_filter().end());
  TFM_ASSIGN_OR_RETURN(auto outputs,
                       RunPredict(request.model_spec().signature_name(), inputs, filter));
  auto* out = response->mutable_outputs();
  for (const auto& [alias, t] : outputs) {
    TensorToProto(
        t, &(*out)[alias],
        options_.tensor_content_outputs ? TensorEncoding::kContent : TensorEncoding::kTyped);
  }
  FillModelSpec(Key(request.model_spec().signature_name()), response->mutable_model_spec());
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, Tensor>> Servable::RunExamples(
    const runtime::Signature& sig, const Input& input, const std::vector<std::string>& outputs,
    int64_t* num_examples) const {
  TFM_ASSIGN_OR_RETURN(Tensor examples, InputToExampleTensor(input));
  *num_examples = examples.dim(0);
  const auto& [input_alias, spec] = *sig.inputs.begin();
  // As TF Serving, the serialized examples go to the input's tensor whatever dtype the
  // SignatureDef declares for it (TF Serving's half_plus_three declares DT_FLOAT for its
  // tf.Example placeholder); the placeholder's own dtype is still checked.
  const bool by_tensor_names = spec.dtype != DType::kString && spec.dtype != DType::kInvalid;
  return RunSignature(sig.key, {{input_alias, examples}}, outputs, by_tensor_names);
}

absl::Status Servable::Classify(const std::string& signature_name, const Input& input,
                                ClassificationResult* result) const {
  const std::string key = Key(signature_name);
  auto it = model_->signatures().find(key);
  if (it == model_->signatures().end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("No signature was found with the name: ", EchoText(key)));
  }
  const runtime::Signature& sig = it->second;
  if (options_.check_method_name && sig.method_name != kClassifyMethodName) {
    return absl::InvalidArgumentError(
        absl::StrCat("Expected classification signature method_name to be ", kClassifyMethodName,
                     ". Was: ", sig.method_name));
  }
  if (sig.inputs.size() != 1) return absl::InvalidArgumentError("Expected one input Tensor.");
  if (sig.outputs.size() != 1 && sig.outputs.size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("Expected one or two output Tensors, found ", sig.outputs.size()));
  }
  if (!sig.inputs.count(kClassifyInputs)) {
    return absl::FailedPreconditionError(
        absl::StrCat("No classification inputs found in SignatureDef: ", key));
  }
  const bool has_classes = sig.outputs.count(kClassifyClasses) > 0;
  const bool has_scores = sig.outputs.count(kClassifyScores) > 0;
  if (!has_classes && !has_scores) {
    return absl::FailedPreconditionError(absl::StrCat(
        "Expected classification signature outputs to contain at least one of \"classes\" or "
        "\"scores\". Signature was: ",
        key));
  }
  std::vector<std::string> wanted;
  if (has_classes) wanted.push_back(kClassifyClasses);
  if (has_scores) wanted.push_back(kClassifyScores);
  int64_t n = 0;
  TFM_ASSIGN_OR_RETURN(auto outs, RunExamples(sig, input, wanted, &n));
  const Tensor* classes = has_classes ? &outs[kClassifyClasses] : nullptr;
  const Tensor* scores = has_scores ? &outs[kClassifyScores] : nullptr;
  auto check = [n](const Tensor* t, const char* what, DType want) -> absl::Status {
    if (!t) return absl::OkStatus();
    if (t->rank() != 2) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Expected Tensor shape: [batch_size num_classes] but got ", t->shape().ToString()));
    }
    if (t->dtype() != want) {
      return absl::InvalidArgumentError(absl::StrCat("Expected ", what, " Tensor of ",
                                                     DTypeEnumName(want),
                                                     ". Got: ", DTypeEnumName(t->dtype())));
    }
    if (t->dim(0) != n) {
      return absl::InvalidArgumentError(
          absl::StrCat("Expected ", what, " output batch size of ", n, ". Got: ", t->dim(0)));
    }
    return absl::OkStatus();
  };
  TFM_RETURN_IF_ERROR(check(classes, "classes", DType::kString));
  TFM_RETURN_IF_ERROR(check(scores, "scores", DType::kFloat));
  int64_t num_classes = 0;
  if (classes && scores) {
    if (classes->dim(1) != scores->dim(1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("Tensors class and score should match in dim_size(1). Got ", classes->dim(1),
                       " vs. ", scores->dim(1)));
    }
    num_classes = classes->dim(1);
  } else {
    num_classes = classes ? classes->dim(1) : scores->dim(1);
  }
  for (int64_t i = 0; i < n; ++i) {
    auto* c = result->add_classifications();
    for (int64_t k = 0; k < num_classes; ++k) {
      auto* cl = c->add_classes();
      if (classes) cl->set_label(classes->data<std::string>()[i * num_classes + k]);
      if (scores) cl->set_score(scores->data<float>()[i * num_classes + k]);
    }
  }
  return absl::OkStatus();
}

absl::Status Servable::Regress(const std::string& signature_name, const Input& input,
                               RegressionResult* result) const {
  const std::string key = Key(signature_name);
  auto it = model_->signatures().find(key);
  if (it == model_->signatures().end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("No signature was found with the name: ", EchoText(key)));
  }
  const runtime::Signature& sig = it->second;
  if (options_.check_method_name && sig.method_name != kRegressMethodName) {
    return absl::InvalidArgumentError(
        absl::StrCat("Expected regression signature method_name to be ", kRegressMethodName,
                     ". Was: ", sig.method_name));
  }
  if (sig.inputs.size() != 1) return absl::InvalidArgumentError("Expected one input Tensor.");
  if (sig.outputs.size() != 1) return absl::InvalidArgumentError("Expected one output Tensor.");
  if (!sig.inputs.count(kRegressInputs)) {
    return absl::FailedPreconditionError(
        absl::StrCat("No regression inputs found in SignatureDef: ", key));
  }
  if (!sig.outputs.count(kRegressOutputs)) {
    return absl::FailedPreconditionError(
        absl::StrCat("No regression outputs found in SignatureDef: ", key));
  }
  int64_t n = 0;
  TFM_ASSIGN_OR_RETURN(auto outs, RunExamples(sig, input, {kRegressOutputs}, &n));
  const Tensor& t = outs[kRegressOutputs];
  if (!(t.rank() == 1 || (t.rank() == 2 && t.dim(1) == 1))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Expected output Tensor shape to be either [batch_size] or [batch_size, 1] but got ",
        t.shape().ToString()));
  }
  if (t.dim(0) != n) {
    return absl::InvalidArgumentError(
        absl::StrCat("Input batch size did not match output batch size: ", n, " vs. ", t.dim(0)));
  }
  if (t.dtype() != DType::kFloat) {
    return absl::InvalidArgumentError(
        absl::StrCat("Expected output Tensor of DT_FLOAT.  Got: ", DTypeEnumName(t.dtype())));
  }
  for (int64_t i = 0; i < n; ++i) result->add_regressions()->set_value(t.data<float>()[i]);
  return absl::OkStatus();
}

absl::Status Servable::MultiInference(const tensorflow::serving::MultiInferenceRequest& request,
                                      tensorflow::serving::MultiInferenceResponse* response) const {
  if (request.tasks_size() == 0) {
    return absl::InvalidArgumentError("Found no tasks in MultiInferenceRequest");
  }
  std::set<std::string> signatures;
  for (const auto& task : request.tasks()) {
    if (task.model_spec().name() != name_) {
      return absl::InvalidArgumentError(
          "All ModelSpecs in a MultiInferenceRequest must access the same model name.");
    }
    if (!signatures.insert(Key(task.model_spec().signature_name())).second) {
      return absl::InvalidArgumentError("Duplicate evaluation of signature: " +
                                        EchoText(Key(task.model_spec().signature_name())));
    }
  }
  for (const auto& task : request.tasks()) {
    const std::string key = Key(task.model_spec().signature_name());
    auto* r = response->add_results();
    if (task.method_name() == kClassifyMethodName) {
      TFM_RETURN_IF_ERROR(Classify(key, request.input(), r->mutable_classification_result()));
    } else if (task.method_name() == kRegressMethodName) {
      TFM_RETURN_IF_ERROR(Regress(key, request.input(), r->mutable_regression_result()));
    } else {
      return absl::UnimplementedError(
          absl::StrCat("Unsupported signature method_name: ", EchoText(task.method_name())));
    }
    FillModelSpec(key, r->mutable_model_spec());
  }
  return absl::OkStatus();
}

absl::Status Servable::GetMetadata(const tensorflow::serving::GetModelMetadataRequest& request,
                                   tensorflow::serving::GetModelMetadataResponse* response) const {
  if (request.metadata_field_size() == 0) {
    return absl::InvalidArgumentError(
        "GetModelMetadataRequest must specify at least one metadata_field");
  }
  for (const auto& field : request.metadata_field()) {
    if (field != kSignatureDefField) {
      return absl::InvalidArgumentError(
          absl::StrCat("Metadata field ", EchoText(field), " is not supported"));
    }
  }
  tensorflow::serving::SignatureDefMap map;
  for (const auto& [key, def] : model_->meta_graph().signature_def()) {
    (*map.mutable_signature_def())[key] = def;
  }
  (*response->mutable_metadata())[kSignatureDefField].PackFrom(map);
  response->mutable_model_spec()->set_name(name_);
  response->mutable_model_spec()->mutable_version()->set_value(version_);
  return absl::OkStatus();
}

}  // namespace tfmodel::serving
