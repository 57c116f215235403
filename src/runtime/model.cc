#include "runtime/model.h"

#include <atomic>
#include <mutex>

#include "absl/strings/str_join.h"
#include "format/saved_model.h"
#include "format/tensor_proto.h"
#include "runtime/executor.h"
#include "runtime/function.h"
#include "runtime/resource_mgr.h"

namespace tfmodel::runtime {
namespace {

std::string Quoted(const std::vector<std::string>& names) {
  return absl::StrJoin(names, ", ", [](std::string* out, const std::string& s) {
    absl::StrAppend(out, "'", s, "'");
  });
}

template <typename M>
std::vector<std::string> Keys(const M& m) {
  std::vector<std::string> out;
  for (const auto& [k, v] : m) out.push_back(k);
  return out;
}

absl::StatusOr<TensorSpec> SpecFromInfo(const tensorflow::TensorInfo& info,
                                        const std::string& what) {
  if (info.encoding_case() != tensorflow::TensorInfo::kName) {
    return absl::UnimplementedError(
        absl::StrCat(what, " is a sparse or composite tensor, which is not supported"));
  }
  TensorSpec s;
  s.tensor_name = info.name();
  s.dtype = DTypeIsValid(info.dtype()) ? BaseDType(info.dtype()) : DType::kInvalid;
  s.shape = info.has_tensor_shape() ? PartialShapeFromProto(info.tensor_shape()) : PartialShape();
  return s;
}

class ModelImpl : public Model {
 public:
  explicit ModelImpl(tensorflow::MetaGraphDef meta) : meta_(std::move(meta)) {
    functions_ = std::make_unique<FunctionRuntime>(&meta_.graph_def().library());
  }

  const std::map<std::string, Signature>& signatures() const override { return signatures_; }
  const tensorflow::MetaGraphDef& meta_graph() const override { return meta_; }

  // Parses signature_def (skipping the init pseudo-signature) and compiles every one.
  absl::Status CompileSignatures() {
    for (const auto& [key, def] : meta_.signature_def()) {
      if (key == kInitOpSignatureKey || key == "__saved_model_train_op") continue;
      Signature sig;
      sig.key = key;
      sig.method_name = def.method_name();
      for (const auto& [alias, info] : def.inputs()) {
        TFM_ASSIGN_OR_RETURN(
            sig.inputs[alias],
            SpecFromInfo(info, absl::StrCat("signature '", key, "' input '", alias, "'")));
      }
      for (const auto& [alias, info] : def.outputs()) {
        TFM_ASSIGN_OR_RETURN(
            sig.outputs[alias],
            SpecFromInfo(info, absl::StrCat("signature '", key, "' output '", alias, "'")));
      }
      std::vector<std::string> feeds, fetches;
      for (const auto& [a, s] : sig.inputs) feeds.push_back(s.tensor_name);
      for (const auto& [a, s] : sig.outputs) fetches.push_back(s.tensor_name);
      auto plan = GetPlan(feeds, fetches, {});
      if (!plan.ok()) return Annotate(plan.status(), absl::StrCat("signature '", key, "'"));
      sig_plans_[key] = *plan;
      signatures_[key] = std::move(sig);
    }
    return absl::OkStatus();
  }

  absl::Status RunTarget(const std::vector<std::pair<std::string, Tensor>>& feeds,
                         const std::string& target, absl::string_view what) {
    // Only feed tensors whose nodes exist (asset placeholders may have been stripped).
    std::vector<std::pair<std::string, Tensor>> used;
    for (const auto& f : feeds) {
      std::string node = ParseTensorName(f.first).node;
      for (const auto& nd : meta_.graph_def().node()) {
        if (nd.name() == node) {
          used.push_back(f);
          break;
        }
      }
    }
    auto r = Run(used, {}, {target});
    if (!r.ok())
      return Annotate(r.status(), absl::StrCat("while running ", what, " '", target, "'"));
    return absl::OkStatus();
  }

  absl::Status Restore(const std::string& prefix) {
    if (prefix.empty() || !meta_.has_saver_def()) return absl::OkStatus();
    const auto& sd = meta_.saver_def();
    if (sd.restore_op_name().empty() || sd.filename_tensor_name().empty()) return absl::OkStatus();
    return RunTarget({{sd.filename_tensor_name(), Tensor::StringScalar(prefix)}},
                     ParseTensorName(sd.restore_op_name()).node, "the restore op");
  }

  absl::StatusOr<std::map<std::string, Tensor>> RunSignature(
      const std::string& key, const std::map<std::string, Tensor>& inputs,
      const std::vector<std::string>& output_filter) override {
    auto sit = signatures_.find(key);
    if (sit == signatures_.end()) {
      return absl::NotFoundError(
          absl::StrCat("signature '", key, "' not found; available: ", Quoted(Keys(signatures_))));
    }
    const Signature& sig = sit->second;
    for (const auto& [alias, t] : inputs) {
      if (!sig.inputs.count(alias)) {
        auto close = ClosestNames(alias, Keys(sig.inputs));
        return absl::InvalidArgumentError(
            absl::StrCat("signature '", key, "' has no input '", alias, "'",
                         close.empty() ? "" : absl::StrCat("; did you mean ", Quoted(close), "?"),
                         " (inputs: ", Quoted(Keys(sig.inputs)), ")"));
      }
    }
    std::vector<Tensor> feeds;
    feeds.reserve(sig.inputs.size());
    for (const auto& [alias, spec] : sig.inputs) {
      auto it = inputs.find(alias);
      if (it == inputs.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("signature '", key, "': input '", alias, "' is missing"));
      }
      const Tensor& t = it->second;
      if (spec.dtype != DType::kInvalid && t.dtype() != spec.dtype) {
        return absl::InvalidArgumentError(absl::StrCat("signature '", key, "': input '", alias,
                                                       "' expects dtype ", DTypeName(spec.dtype),
                                                       " but got ", DTypeName(t.dtype())));
      }
      // Like TF Serving, a tensor of another rank is passed on (it feeds [3] to a [-1,1]
      // signature); at the signature's rank every known dimension must match.
      if (spec.shape.rank() == t.rank() && !spec.shape.IsCompatibleWith(t.shape())) {
        return absl::InvalidArgumentError(absl::StrCat("signature '", key, "': input '", alias,
                                                       "' expects shape ", spec.shape.ToString(),
                                                       " but got ", t.shape().ToString()));
      }
      feeds.push_back(t);
    }
    std::vector<std::string> aliases;
    std::shared_ptr<const Executor> plan;
    if (output_filter.empty()) {
      aliases = Keys(sig.outputs);
      plan = sig_plans_.at(key);
    } else {
      std::vector<std::string> in_names, out_names;
      for (const auto& [a, s] : sig.inputs) in_names.push_back(s.tensor_name);
      for (const auto& a : output_filter) {
        auto o = sig.outputs.find(a);
        if (o == sig.outputs.end()) {
          return absl::InvalidArgumentError(absl::StrCat("signature '", key, "' has no output '", a,
                                                         "' (outputs: ", Quoted(Keys(sig.outputs)),
                                                         ")"));
        }
        aliases.push_back(a);
        out_names.push_back(o->second.tensor_name);
      }
      TFM_ASSIGN_OR_RETURN(plan, GetPlan(in_names, out_names, {}));
    }
    std::vector<Tensor> outs;
    TFM_RETURN_IF_ERROR(plan->Run(MakeRunContext(), feeds, &outs));
    std::map<std::string, Tensor> result;
    for (size_t i = 0; i < aliases.size(); ++i) result[aliases[i]] = std::move(outs[i]);
    return result;
  }

  absl::StatusOr<std::vector<Tensor>> Run(const std::vector<std::pair<std::string, Tensor>>& feeds,
                                          const std::vector<std::string>& fetches,
                                          const std::vector<std::string>& targets) override {
    std::vector<std::string> names;
    std::vector<Tensor> values;
    names.reserve(feeds.size());
    values.reserve(feeds.size());
    for (const auto& [n, t] : feeds) {
      names.push_back(n);
      values.push_back(t);
    }
    TFM_ASSIGN_OR_RETURN(auto plan, GetPlan(names, fetches, targets));
    std::vector<Tensor> outs;
    TFM_RETURN_IF_ERROR(plan->Run(MakeRunContext(), values, &outs));
    return outs;
  }

 private:
  RunContext MakeRunContext() {
    RunContext rc;
    rc.resources = &resources_;
    rc.functions = functions_.get();
    rc.step_id = step_.fetch_add(1, std::memory_order_relaxed);
    return rc;
  }

  absl::StatusOr<std::shared_ptr<const Executor>> GetPlan(const std::vector<std::string>& feeds,
                                                          const std::vector<std::string>& fetches,
                                                          const std::vector<std::string>& targets) {
    std::string key;
    for (const auto& f : feeds) absl::StrAppend(&key, f, "\x01");
    key += '\x02';
    for (const auto& f : fetches) absl::StrAppend(&key, f, "\x01");
    key += '\x02';
    for (const auto& t : targets) absl::StrAppend(&key, t, "\x01");
    {
      std::lock_guard<std::mutex> l(mu_);
      auto it = cache_.find(key);
      if (it != cache_.end()) return it->second;
    }
    TFM_ASSIGN_OR_RETURN(
        std::shared_ptr<const Executor> plan,
        Executor::Create(meta_.graph_def(), &meta_.graph_def().library(), feeds, fetches, targets));
    std::lock_guard<std::mutex> l(mu_);
    auto [it, inserted] = cache_.emplace(key, std::move(plan));
    return it->second;
  }

  tensorflow::MetaGraphDef meta_;
  std::map<std::string, Signature> signatures_;
  std::map<std::string, std::shared_ptr<const Executor>> sig_plans_;
  ResourceMgr resources_;
  std::unique_ptr<FunctionRuntime> functions_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const Executor>> cache_;
  std::atomic<int64_t> step_{1};
};

}  // namespace

absl::StatusOr<std::unique_ptr<Model>> Model::LoadSavedModel(const std::string& dir,
                                                             const std::vector<std::string>& tags,
                                                             const LoadOptions& options) {
  TFM_ASSIGN_OR_RETURN(ModelArtifact a, ReadModelArtifact(dir, tags));
  RegisterOpDefs(a.meta_graph.meta_info_def().stripped_op_list());
  auto model = std::make_unique<ModelImpl>(std::move(a.meta_graph));
  std::string where = absl::StrCat("loading model '", dir, "'");
  TFM_RETURN_IF_ERROR(Annotate(model->CompileSignatures(), where));
  TFM_RETURN_IF_ERROR(Annotate(model->Restore(a.variables_prefix), where));
  if (!a.init_op.empty()) {
    std::vector<std::pair<std::string, Tensor>> asset_feeds;
    for (const auto& asset : a.assets) {
      asset_feeds.emplace_back(asset.tensor_name, Tensor::StringScalar(asset.path));
    }
    TFM_RETURN_IF_ERROR(Annotate(model->RunTarget(asset_feeds, a.init_op, "the init op"), where));
  }
  return std::unique_ptr<Model>(std::move(model));
}

absl::StatusOr<std::unique_ptr<Model>> Model::LoadGraph(tensorflow::GraphDef graph,
                                                        const LoadOptions& options) {
  tensorflow::MetaGraphDef meta;
  *meta.mutable_graph_def() = std::move(graph);
  return std::unique_ptr<Model>(std::make_unique<ModelImpl>(std::move(meta)));
}

absl::StatusOr<std::unique_ptr<Model>> Model::LoadMetaGraph(tensorflow::MetaGraphDef meta_graph,
                                                            const std::string& checkpoint_prefix,
                                                            const LoadOptions& options) {
  RegisterOpDefs(meta_graph.meta_info_def().stripped_op_list());
  auto model = std::make_unique<ModelImpl>(std::move(meta_graph));
  TFM_RETURN_IF_ERROR(model->CompileSignatures());
  TFM_RETURN_IF_ERROR(model->Restore(checkpoint_prefix));
  return std::unique_ptr<Model>(std::move(model));
}

}  // namespace tfmodel::runtime
