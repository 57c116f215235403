// C API: loading models, their signatures, and running them (include/tfmodel/c_api.h).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "api/c_api_internal.h"
#include "core/status.h"

namespace tfmodel::api {
namespace {

std::vector<TFM_TensorSpec> Specs(const std::map<std::string, runtime::TensorSpec>& specs) {
  std::vector<TFM_TensorSpec> out;
  out.reserve(specs.size());
  for (const auto& [alias, spec] : specs) out.push_back(TFM_TensorSpec{alias, spec});
  return out;
}

std::vector<TFM_Signature> Signatures(const runtime::Model& model) {
  std::vector<TFM_Signature> out;
  for (const auto& [key, sig] : model.signatures()) {
    out.push_back(TFM_Signature{key, sig.method_name, Specs(sig.inputs), Specs(sig.outputs)});
  }
  return out;
}

// Checks a caller's array of `n` names (`what`: "input", "output", ...) and returns them.
absl::StatusOr<std::vector<std::string>> Names(const char* fn, const char* what,
                                               const char* const* names, int n) {
  if (n < 0) return absl::InvalidArgumentError(absl::StrCat(fn, ": ", what, " count is ", n));
  if (n > 0 && names == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(fn, ": ", n, " ", what, "s but the ", what, " name array is NULL"));
  }
  std::vector<std::string> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i) {
    if (names[i] == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(fn, ": ", what, " name ", i, " is NULL"));
    }
    out.emplace_back(names[i]);
  }
  return out;
}

// The tensors of `n` named inputs, with the names checked for NULLs and repeats.
absl::StatusOr<std::vector<std::pair<std::string, Tensor>>> NamedTensors(
    const char* fn, const char* what, const char* const* names, const TFM_Tensor* const* tensors,
    int n) {
  TFM_ASSIGN_OR_RETURN(std::vector<std::string> keys, Names(fn, what, names, n));
  if (n > 0 && tensors == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(fn, ": ", n, " ", what, "s but the ", what, " tensor array is NULL"));
  }
  std::vector<std::pair<std::string, Tensor>> out;
  std::map<std::string, int> seen;
  for (int i = 0; i < n; ++i) {
    if (tensors[i] == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(fn, ": the tensor for ", what, " '", keys[i], "' is NULL"));
    }
    if (!seen.emplace(keys[i], i).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(fn, ": ", what, " '", keys[i], "' is given twice"));
    }
    out.emplace_back(keys[i], tensors[i]->tensor);
  }
  return out;
}

// `names` without repeats, in first-seen order; `*index[i]` = position of names[i] in it.
std::vector<std::string> Unique(const std::vector<std::string>& names, std::vector<int>* index) {
  std::vector<std::string> unique;
  std::map<std::string, int> pos;
  for (const auto& n : names) {
    auto [it, added] = pos.emplace(n, static_cast<int>(unique.size()));
    if (added) unique.push_back(n);
    index->push_back(it->second);
  }
  return unique;
}

// Hands results[index[i]] to out[i] as new caller-owned tensors. A result wanted more than
// once is copied for all but its last use, so that no two handles share a buffer.
void HandOut(std::vector<Tensor> results, const std::vector<int>& index, TFM_Tensor** out) {
  std::vector<size_t> last_use(results.size(), 0);
  for (size_t i = 0; i < index.size(); ++i) last_use[index[i]] = i;
  std::vector<std::unique_ptr<TFM_Tensor>> made(index.size());
  for (size_t i = 0; i < index.size(); ++i) {
    Tensor& r = results[index[i]];
    made[i].reset(NewOwnedTensor(i == last_use[index[i]] ? std::move(r) : r.DeepCopy()));
  }
  for (size_t i = 0; i < index.size(); ++i) out[i] = made[i].release();
}

absl::Status CheckModel(const char* fn, const TFM_Model* model) {
  if (model == nullptr) return absl::InvalidArgumentError(absl::StrCat(fn, ": model is NULL"));
  return absl::OkStatus();
}

void ClearOutputs(TFM_Tensor** out, int n) {
  if (out == nullptr) return;
  for (int i = 0; i < n; ++i) out[i] = nullptr;
}

absl::Status RunSignature(TFM_Model* model, const char* key, const char* const* input_names,
                          const TFM_Tensor* const* inputs, int num_inputs,
                          const char* const* output_names, int num_outputs, TFM_Tensor** outputs) {
  constexpr char kFn[] = "TFM_RunSignature";
  TFM_RETURN_IF_ERROR(CheckModel(kFn, model));
  if (key == nullptr) return absl::InvalidArgumentError("TFM_RunSignature: key is NULL");
  TFM_ASSIGN_OR_RETURN(auto feeds, NamedTensors(kFn, "input", input_names, inputs, num_inputs));
  TFM_ASSIGN_OR_RETURN(auto wanted, Names(kFn, "output", output_names, num_outputs));
  if (wanted.empty()) {
    return absl::InvalidArgumentError(
        "TFM_RunSignature: no outputs requested (name at least one output)");
  }
  if (outputs == nullptr) {
    return absl::InvalidArgumentError("TFM_RunSignature: the outputs array is NULL");
  }
  std::map<std::string, Tensor> in(std::make_move_iterator(feeds.begin()),
                                   std::make_move_iterator(feeds.end()));
  std::vector<int> index;
  std::vector<std::string> unique = Unique(wanted, &index);
  TFM_ASSIGN_OR_RETURN(auto result, model->loaded.model->RunSignature(key, in, unique));
  std::vector<Tensor> tensors;
  tensors.reserve(unique.size());
  for (const auto& name : unique) {
    auto it = result.find(name);
    if (it == result.end()) {
      return absl::InternalError(
          absl::StrCat("signature '", key, "' produced no output '", name, "'"));
    }
    tensors.push_back(std::move(it->second));
  }
  result.clear();  // drop the map's references so that unshared buffers are handed over
  HandOut(std::move(tensors), index, outputs);
  return absl::OkStatus();
}

absl::Status Run(TFM_Model* model, const char* const* feed_names, const TFM_Tensor* const* feeds,
                 int num_feeds, const char* const* fetch_names, int num_fetches,
                 TFM_Tensor** fetches, const char* const* target_names, int num_targets) {
  constexpr char kFn[] = "TFM_Run";
  TFM_RETURN_IF_ERROR(CheckModel(kFn, model));
  TFM_ASSIGN_OR_RETURN(auto in, NamedTensors(kFn, "feed", feed_names, feeds, num_feeds));
  TFM_ASSIGN_OR_RETURN(auto wanted, Names(kFn, "fetch", fetch_names, num_fetches));
  TFM_ASSIGN_OR_RETURN(auto targets, Names(kFn, "target", target_names, num_targets));
  if (wanted.empty() && targets.empty()) {
    return absl::InvalidArgumentError("TFM_Run: nothing to fetch and no targets to run");
  }
  if (!wanted.empty() && fetches == nullptr) {
    return absl::InvalidArgumentError("TFM_Run: the fetches array is NULL");
  }
  std::vector<int> index;
  std::vector<std::string> unique = Unique(wanted, &index);
  TFM_ASSIGN_OR_RETURN(std::vector<Tensor> out, model->loaded.model->Run(in, unique, targets));
  in.clear();
  if (out.size() != unique.size()) {
    return absl::InternalError(
        absl::StrCat("TFM_Run: ", unique.size(), " fetches gave ", out.size(), " tensors"));
  }
  HandOut(std::move(out), index, fetches);
  return absl::OkStatus();
}

}  // namespace
}  // namespace tfmodel::api

using tfmodel::api::Guarded;

extern "C" {

TFM_LoadOptions* TFM_NewLoadOptions(void) { return new (std::nothrow) TFM_LoadOptions(); }

void TFM_DeleteLoadOptions(TFM_LoadOptions* options) { delete options; }

void TFM_LoadOptionsSetTags(TFM_LoadOptions* options, const char* tags) {
  if (options == nullptr) return;
  options->request.tags.clear();
  if (tags == nullptr) return;
  for (absl::string_view t : absl::StrSplit(tags, ',', absl::SkipWhitespace())) {
    options->request.tags.emplace_back(absl::StripAsciiWhitespace(t));
  }
}

void TFM_LoadOptionsSetCheckpoint(TFM_LoadOptions* options, const char* path) {
  if (options == nullptr) return;
  options->request.checkpoint = path == nullptr ? "" : path;
}

void TFM_LoadOptionsSetThreads(TFM_LoadOptions* options, int intra_op, int inter_op) {
  if (options == nullptr) return;
  options->request.options.intra_op_threads = intra_op < 0 ? 0 : intra_op;
  options->request.options.inter_op_threads = inter_op < 0 ? 0 : inter_op;
}

TFM_Model* TFM_LoadModel(const char* path, const TFM_LoadOptions* options, TFM_Status* status) {
  TFM_Model* result = nullptr;
  Guarded(status, [&]() -> absl::Status {
    if (path == nullptr) return absl::InvalidArgumentError("TFM_LoadModel: path is NULL");
    tfmodel::serving::ModelLoadRequest request;
    if (options != nullptr) request = options->request;
    auto loaded = tfmodel::serving::LoadModelFromPath(path, request);
    if (!loaded.ok()) {
      // Every message names the model's path, even when the failing loader did not.
      if (absl::StrContains(loaded.status().message(), path)) return loaded.status();
      return tfmodel::Annotate(loaded.status(), absl::StrCat("loading '", path, "'"));
    }
    auto model = std::make_unique<TFM_Model>();
    model->signatures = tfmodel::api::Signatures(*loaded->model);
    model->loaded = std::move(*loaded);
    result = model.release();
    return absl::OkStatus();
  });
  return result;
}

void TFM_DeleteModel(TFM_Model* model) { delete model; }

int TFM_ModelSignatureCount(const TFM_Model* model) {
  return model == nullptr ? 0 : static_cast<int>(model->signatures.size());
}

const TFM_Signature* TFM_ModelSignature(const TFM_Model* model, int index) {
  if (model == nullptr || index < 0 || index >= static_cast<int>(model->signatures.size())) {
    return nullptr;
  }
  return &model->signatures[index];
}

const TFM_Signature* TFM_ModelFindSignature(const TFM_Model* model, const char* key) {
  if (model == nullptr || key == nullptr) return nullptr;
  for (const auto& s : model->signatures) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

const char* TFM_SignatureKey(const TFM_Signature* signature) {
  return signature == nullptr ? nullptr : signature->key.c_str();
}

const char* TFM_SignatureMethodName(const TFM_Signature* signature) {
  return signature == nullptr ? nullptr : signature->method_name.c_str();
}

int TFM_SignatureInputCount(const TFM_Signature* signature) {
  return signature == nullptr ? 0 : static_cast<int>(signature->inputs.size());
}

int TFM_SignatureOutputCount(const TFM_Signature* signature) {
  return signature == nullptr ? 0 : static_cast<int>(signature->outputs.size());
}

const TFM_TensorSpec* TFM_SignatureInput(const TFM_Signature* signature, int index) {
  if (index < 0 || index >= TFM_SignatureInputCount(signature)) return nullptr;
  return &signature->inputs[index];
}

const TFM_TensorSpec* TFM_SignatureOutput(const TFM_Signature* signature, int index) {
  if (index < 0 || index >= TFM_SignatureOutputCount(signature)) return nullptr;
  return &signature->outputs[index];
}

const char* TFM_TensorSpecName(const TFM_TensorSpec* spec) {
  return spec == nullptr ? nullptr : spec->name.c_str();
}

const char* TFM_TensorSpecTensorName(const TFM_TensorSpec* spec) {
  return spec == nullptr ? nullptr : spec->spec.tensor_name.c_str();
}

TFM_DataType TFM_TensorSpecType(const TFM_TensorSpec* spec) {
  return spec == nullptr ? TFM_INVALID_DTYPE : static_cast<TFM_DataType>(spec->spec.dtype);
}

int TFM_TensorSpecRank(const TFM_TensorSpec* spec) {
  return spec == nullptr ? -1 : spec->spec.shape.rank();
}

int64_t TFM_TensorSpecDim(const TFM_TensorSpec* spec, int index) {
  if (index < 0 || index >= TFM_TensorSpecRank(spec)) return -1;
  int64_t d = spec->spec.shape.dim(index);
  return d < 0 ? -1 : d;
}

void TFM_RunSignature(TFM_Model* model, const char* key, const char* const* input_names,
                      const TFM_Tensor* const* inputs, int num_inputs,
                      const char* const* output_names, int num_outputs, TFM_Tensor** outputs,
                      TFM_Status* status) {
  tfmodel::api::ClearOutputs(outputs, num_outputs);
  Guarded(status, [&] {
    return tfmodel::api::RunSignature(model, key, input_names, inputs, num_inputs, output_names,
                                      num_outputs, outputs);
  });
}

void TFM_Run(TFM_Model* model, const char* const* feed_names, const TFM_Tensor* const* feeds,
             int num_feeds, const char* const* fetch_names, int num_fetches, TFM_Tensor** fetches,
             const char* const* target_names, int num_targets, TFM_Status* status) {
  tfmodel::api::ClearOutputs(fetches, num_fetches);
  Guarded(status, [&] {
    return tfmodel::api::Run(model, feed_names, feeds, num_feeds, fetch_names, num_fetches, fetches,
                             target_names, num_targets);
  });
}

}  // extern "C"
