#include "tflite/model.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status.h"
#include "tflite/interpreter.h"

namespace tfmodel::tflite {
namespace {

std::string Keys(const auto& map) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : map) keys.push_back(k);
  return absl::StrJoin(keys, ", ");
}

}  // namespace

absl::StatusOr<std::unique_ptr<TfLiteModel>> TfLiteModel::Load(std::unique_ptr<TfLiteFile> file,
                                                               const LoadOptions& options) {
  auto model = std::unique_ptr<TfLiteModel>(new TfLiteModel());
  model->file_ = std::move(file);
  model->pool_ = std::make_unique<runtime::IntraOpPool>(options.intra_op_threads);
  PlanOptions plan_options;
  plan_options.device = model->pool_->device();
  TFM_RETURN_IF_ERROR(BuildPlans(*model->file_, &model->plans_, plan_options));
  TFM_ASSIGN_OR_RETURN(model->sigs_, BuildSignatures(*model->file_, model->plans_));
  return model;
}

absl::StatusOr<std::map<std::string, Tensor>> TfLiteModel::RunSignature(
    const std::string& key, const std::map<std::string, Tensor>& inputs,
    const std::vector<std::string>& output_filter) {
  auto it = sigs_.bindings.find(key);
  if (it == sigs_.bindings.end()) {
    return absl::NotFoundError(absl::StrCat("no signature '", key, "' in ", file_->name(),
                                            "; signatures: ", Keys(sigs_.bindings)));
  }
  const SignatureBinding& b = it->second;
  std::map<int, Tensor> feeds;
  for (const auto& [alias, t] : inputs) {
    auto in = b.inputs.find(alias);
    if (in == b.inputs.end()) {
      return absl::InvalidArgumentError(absl::StrCat("signature '", key, "' has no input '", alias,
                                                     "'; inputs: ", Keys(b.inputs)));
    }
    feeds[in->second] = t;
  }
  for (const auto& [alias, t] : b.inputs) {
    if (!inputs.count(alias)) {
      return absl::InvalidArgumentError(
          absl::StrCat("signature '", key, "': input '", alias, "' is missing"));
    }
  }
  for (const auto& f : output_filter) {
    if (!b.outputs.count(f)) {
      return absl::InvalidArgumentError(
          absl::StrCat("signature '", key, "' has no output '", f, "'"));
    }
  }
  // Only the operators the requested outputs need run.
  std::vector<int> wanted;
  for (const auto& [alias, t] : b.outputs) {
    if (output_filter.empty() ||
        std::find(output_filter.begin(), output_filter.end(), alias) != output_filter.end()) {
      wanted.push_back(t);
    }
  }
  TFM_ASSIGN_OR_RETURN(std::vector<Tensor> slots, RunSubgraph(plans_[b.subgraph], feeds, &wanted));
  std::map<std::string, Tensor> result;
  for (const auto& [alias, t] : b.outputs) {
    if (!output_filter.empty() &&
        std::find(output_filter.begin(), output_filter.end(), alias) == output_filter.end()) {
      continue;
    }
    result[alias] = slots[t];
  }
  return result;
}

absl::StatusOr<std::vector<Tensor>> TfLiteModel::Run(
    const std::vector<std::pair<std::string, Tensor>>& feeds,
    const std::vector<std::string>& fetches, const std::vector<std::string>& targets) {
  if (!targets.empty()) {
    return absl::InvalidArgumentError("TFLite models have no target nodes to run");
  }
  std::map<int, Tensor> fed;
  for (const auto& [name, t] : feeds) {
    TFM_ASSIGN_OR_RETURN(int idx, FindTensor(plans_[0], name));
    fed[idx] = t;
  }
  std::vector<int> want;
  for (const auto& name : fetches) {
    TFM_ASSIGN_OR_RETURN(int idx, FindTensor(plans_[0], name));
    want.push_back(idx);
  }
  TFM_ASSIGN_OR_RETURN(std::vector<Tensor> slots, RunSubgraph(plans_[0], fed, &want));
  std::vector<Tensor> result;
  for (size_t i = 0; i < want.size(); ++i) {
    if (!slots[want[i]].valid()) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor '", fetches[i], "' is not computed by the model"));
    }
    result.push_back(slots[want[i]]);
  }
  return result;
}

absl::StatusOr<std::map<std::string, PartialShape>> TfLiteModel::DeclaredInputShapes(
    const std::string& key) const {
  auto it = sigs_.bindings.find(key);
  if (it == sigs_.bindings.end()) {
    return absl::NotFoundError(absl::StrCat("no signature '", key, "' in ", file_->name()));
  }
  std::map<std::string, PartialShape> shapes;
  for (const auto& [alias, t] : it->second.inputs) {
    shapes[alias] = DeclaredShape(plans_[it->second.subgraph], t);
  }
  return shapes;
}

absl::StatusOr<std::unique_ptr<Model>> LoadTfLiteModel(std::unique_ptr<TfLiteFile> file,
                                                       const LoadOptions& options) {
  TFM_ASSIGN_OR_RETURN(auto model, TfLiteModel::Load(std::move(file), options));
  return std::unique_ptr<Model>(std::move(model));
}

absl::StatusOr<std::unique_ptr<Model>> LoadTfLiteModel(const std::string& path,
                                                       const LoadOptions& options) {
  TFM_ASSIGN_OR_RETURN(auto file, TfLiteFile::Read(path));
  return LoadTfLiteModel(std::move(file), options);
}

}  // namespace tfmodel::tflite
