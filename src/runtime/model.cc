#include "runtime/model.h"

#include <atomic>
#include <mutex>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_join.h"
#include "format/saved_model.h"
#include "format/tensor_proto.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "graph/freeze_tables.h"
#include "runtime/executor.h"
#include "runtime/function.h"
#include "runtime/resource_mgr.h"
#include "runtime/signature_feeds.h"
#include "runtime/thread_pool.h"

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

// Component `i` of a composite TensorInfo, which must be a named tensor.
absl::StatusOr<std::string> ComponentName(const tensorflow::TensorInfo::CompositeTensor& ct, int i,
                                          const std::string& what) {
  if (i >= ct.components_size() || ct.components(i).name().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is a composite tensor without a named component ", i));
  }
  return ct.components(i).name();
}

// TF2 composite inputs: SparseTensorSpec (components indices, values, dense_shape) and
// RaggedTensorSpec (flat_values, then the row splits); type_state is (shape, dtype, ...).
absl::Status SpecFromComposite(const tensorflow::TensorInfo& info, const std::string& what,
                               TensorSpec* s) {
  const auto& ct = info.composite_tensor();
  const auto& ts = ct.type_spec();
  const auto& state = ts.type_state().tuple_value().values();
  if (state.size() >= 1 && state[0].has_tensor_shape_value()) {
    s->shape = PartialShapeFromProto(state[0].tensor_shape_value());
  }
  if (state.size() >= 2 && DTypeIsValid(state[1].tensor_dtype_value())) {
    s->dtype = BaseDType(state[1].tensor_dtype_value());
  }
  if (ts.type_spec_class() == tensorflow::TypeSpecProto::SPARSE_TENSOR_SPEC &&
      ct.components_size() == 3) {
    TFM_ASSIGN_OR_RETURN(s->sparse_indices_tensor, ComponentName(ct, 0, what));
    TFM_ASSIGN_OR_RETURN(s->tensor_name, ComponentName(ct, 1, what));
    TFM_ASSIGN_OR_RETURN(s->sparse_dense_shape_tensor, ComponentName(ct, 2, what));
    if (s->dtype == DType::kInvalid && DTypeIsValid(ct.components(1).dtype())) {
      s->dtype = BaseDType(ct.components(1).dtype());
    }
    return absl::OkStatus();
  }
  if (ts.type_spec_class() == tensorflow::TypeSpecProto::RAGGED_TENSOR_SPEC &&
      ct.components_size() >= 2) {
    TFM_ASSIGN_OR_RETURN(s->tensor_name, ComponentName(ct, 0, what));
    for (int i = 1; i < ct.components_size(); ++i) {
      TFM_ASSIGN_OR_RETURN(std::string split, ComponentName(ct, i, what));
      s->ragged_splits_tensors.push_back(split);
    }
    if (DTypeIsValid(ct.components(1).dtype())) {
      s->ragged_splits_dtype = BaseDType(ct.components(1).dtype());
    }
    if (s->dtype == DType::kInvalid && DTypeIsValid(ct.components(0).dtype())) {
      s->dtype = BaseDType(ct.components(0).dtype());
    }
    return absl::OkStatus();
  }
  return absl::UnimplementedError(
      absl::StrCat(what, " is a composite tensor of type spec class ",
                   tensorflow::TypeSpecProto::TypeSpecClass_Name(ts.type_spec_class()), " with ",
                   ct.components_size(), " components, which is not supported"));
}

// A signature TensorInfo: a named tensor, or (inputs only) a SparseTensor (coo_sparse or
// composite) or a RaggedTensor (composite).
absl::StatusOr<TensorSpec> SpecFromInfo(const tensorflow::TensorInfo& info, const std::string& what,
                                        bool allow_composite) {
  TensorSpec s;
  s.dtype = DTypeIsValid(info.dtype()) ? BaseDType(info.dtype()) : DType::kInvalid;
  s.shape = info.has_tensor_shape() ? PartialShapeFromProto(info.tensor_shape()) : PartialShape();
  const auto encoding = info.encoding_case();
  if (encoding == tensorflow::TensorInfo::kName) {
    s.tensor_name = info.name();
    return s;
  }
  if (!allow_composite) {
    return absl::UnimplementedError(absl::StrCat(
        what, " is a sparse or composite tensor, which is not supported as a signature output"));
  }
  if (encoding == tensorflow::TensorInfo::kCooSparse) {
    const auto& coo = info.coo_sparse();
    if (coo.values_tensor_name().empty() || coo.indices_tensor_name().empty() ||
        coo.dense_shape_tensor_name().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " is a SparseTensor with an unnamed component"));
    }
    s.tensor_name = coo.values_tensor_name();
    s.sparse_indices_tensor = coo.indices_tensor_name();
    s.sparse_dense_shape_tensor = coo.dense_shape_tensor_name();
    return s;
  }
  if (encoding == tensorflow::TensorInfo::kCompositeTensor) {
    TFM_RETURN_IF_ERROR(SpecFromComposite(info, what, &s));
    return s;
  }
  return absl::InvalidArgumentError(absl::StrCat(what, " has no tensor name"));
}

// ---- TF Serving session bundles: signatures live in collection "serving_signatures" as one
// Any holding tensorflow.serving.Signatures (session_bundle/manifest.proto):
//   Signatures { Signature default_signature = 1; map<string, Signature> named_signatures = 2; }
//   Signature { oneof { RegressionSignature regression_signature = 1;
//               ClassificationSignature classification_signature = 2;
//               GenericSignature generic_signature = 3; } }
//   RegressionSignature { TensorBinding input = 1; TensorBinding output = 2; }
//   ClassificationSignature { TensorBinding input = 1; classes = 2; scores = 3; }
//   GenericSignature { map<string, TensorBinding> map = 1; }   TensorBinding { string tensor_name =
//   1; }
// Decoded straight from the wire format (only length-delimited fields matter here).

using WireFields = std::vector<std::pair<int, std::string>>;

absl::StatusOr<WireFields> DecodeFields(const std::string& bytes) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  WireFields out;
  while (true) {
    uint32_t tag = in.ReadTag();
    if (tag == 0) break;
    int field = static_cast<int>(tag >> 3);
    int wire = static_cast<int>(tag & 7);
    if (wire == 2) {
      uint32_t len;
      std::string v;
      if (!in.ReadVarint32(&len) || !in.ReadString(&v, static_cast<int>(len))) {
        return absl::InvalidArgumentError("truncated serving_signatures proto");
      }
      out.emplace_back(field, std::move(v));
    } else if (!google::protobuf::internal::WireFormatLite::SkipField(&in, tag)) {
      return absl::InvalidArgumentError("malformed serving_signatures proto");
    }
  }
  return out;
}

absl::StatusOr<std::string> BindingName(const std::string& bytes) {
  TFM_ASSIGN_OR_RETURN(WireFields f, DecodeFields(bytes));
  for (const auto& [n, v] : f) {
    if (n == 1) return v;
  }
  return std::string();
}

// (alias, tensor name) pairs of a map<string, X> field's entries.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> MapEntries(
    const WireFields& fields, int field) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [n, v] : fields) {
    if (n != field) continue;
    TFM_ASSIGN_OR_RETURN(WireFields e, DecodeFields(v));
    std::string key, value;
    for (const auto& [en, ev] : e) {
      if (en == 1) key = ev;
      if (en == 2) value = ev;
    }
    out.emplace_back(key, value);
  }
  return out;
}

DType GuessDType(const tensorflow::GraphDef& g, const std::string& tensor) {
  std::string node = ParseTensorName(tensor).node;
  for (const auto& nd : g.node()) {
    if (nd.name() != node) continue;
    for (const char* attr : {"dtype", "T", "out_type", "DstT"}) {
      auto it = nd.attr().find(attr);
      if (it != nd.attr().end() && it->second.value_case() == tensorflow::AttrValue::kType &&
          DTypeIsValid(it->second.type())) {
        return BaseDType(it->second.type());
      }
    }
  }
  return DType::kInvalid;
}

void AddInfo(const tensorflow::GraphDef& g, const std::string& tensor, const std::string& alias,
             google::protobuf::Map<std::string, tensorflow::TensorInfo>* m) {
  if (tensor.empty()) return;
  tensorflow::TensorInfo info;
  info.set_name(tensor);
  DType d = GuessDType(g, tensor);
  if (d != DType::kInvalid) info.set_dtype(static_cast<tensorflow::DataType>(d));
  (*m)[alias] = info;
}

// Regression and classification signatures become SignatureDefs (regress/classify).
absl::StatusOr<bool> ConvertSignature(const tensorflow::GraphDef& g, const std::string& bytes,
                                      tensorflow::SignatureDef* def) {
  TFM_ASSIGN_OR_RETURN(WireFields f, DecodeFields(bytes));
  for (const auto& [n, v] : f) {
    if (n != 1 && n != 2) continue;
    TFM_ASSIGN_OR_RETURN(WireFields b, DecodeFields(v));
    std::map<int, std::string> names;
    for (const auto& [bn, bv] : b) {
      TFM_ASSIGN_OR_RETURN(names[bn], BindingName(bv));
    }
    if (n == 1) {
      def->set_method_name(kRegressMethod);
      AddInfo(g, names[1], "inputs", def->mutable_inputs());
      AddInfo(g, names[2], "outputs", def->mutable_outputs());
    } else {
      def->set_method_name(kClassifyMethod);
      AddInfo(g, names[1], "inputs", def->mutable_inputs());
      AddInfo(g, names[2], "classes", def->mutable_outputs());
      AddInfo(g, names[3], "scores", def->mutable_outputs());
    }
    return true;
  }
  return false;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> GenericMap(
    const std::string& sig) {
  TFM_ASSIGN_OR_RETURN(WireFields f, DecodeFields(sig));
  for (const auto& [n, v] : f) {
    if (n != 3) continue;
    TFM_ASSIGN_OR_RETURN(WireFields gm, DecodeFields(v));
    TFM_ASSIGN_OR_RETURN(auto entries, MapEntries(gm, 1));
    for (auto& [k, b] : entries) {
      TFM_ASSIGN_OR_RETURN(b, BindingName(b));
    }
    return entries;
  }
  return absl::InvalidArgumentError("not a generic signature");
}

// Up-converts a session bundle's signatures as TF Serving's bundle shim does: the default
// regression/classification signature becomes "serving_default"; named "inputs" and
// "outputs" generic signatures become a predict signature ("serving_default", or
// "serving_default_from_named" when taken); other named regression/classification
// signatures keep their names.
absl::Status ConvertSessionBundleSignatures(const std::string& dir,
                                            tensorflow::MetaGraphDef* meta) {
  auto it = meta->collection_def().find("serving_signatures");
  if (it == meta->collection_def().end() || it->second.any_list().value_size() != 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "session bundle '", dir,
        "' has no serving signatures: expected exactly one signatures proto in collection "
        "'serving_signatures'"));
  }
  const auto& any = it->second.any_list().value(0);
  if (any.type_url().find("tensorflow.serving.Signatures") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("session bundle '", dir,
                                                   "': serving_signatures holds a ", any.type_url(),
                                                   ", not tensorflow.serving.Signatures"));
  }
  const auto& g = meta->graph_def();
  TFM_ASSIGN_OR_RETURN(WireFields top, DecodeFields(any.value()));
  auto* defs = meta->mutable_signature_def();
  for (const auto& [n, v] : top) {
    if (n != 1) continue;
    tensorflow::SignatureDef def;
    TFM_ASSIGN_OR_RETURN(bool ok, ConvertSignature(g, v, &def));
    if (ok) (*defs)[kDefaultServingSignatureKey] = def;
  }
  TFM_ASSIGN_OR_RETURN(auto named, MapEntries(top, 2));
  std::map<std::string, std::string> named_map(named.begin(), named.end());
  bool predict = false;
  if (named_map.count("inputs") && named_map.count("outputs")) {
    auto in = GenericMap(named_map["inputs"]);
    auto out = GenericMap(named_map["outputs"]);
    if (in.ok() && out.ok()) {
      tensorflow::SignatureDef def;
      def.set_method_name(kPredictMethod);
      for (const auto& [k, t] : *in) AddInfo(g, t, k, def.mutable_inputs());
      for (const auto& [k, t] : *out) AddInfo(g, t, k, def.mutable_outputs());
      std::string key = defs->count(kDefaultServingSignatureKey)
                            ? absl::StrCat(kDefaultServingSignatureKey, "_from_named")
                            : std::string(kDefaultServingSignatureKey);
      (*defs)[key] = def;
      predict = true;
    }
  }
  for (const auto& [k, v] : named_map) {
    if (predict && (k == "inputs" || k == "outputs")) continue;
    tensorflow::SignatureDef def;
    TFM_ASSIGN_OR_RETURN(bool ok, ConvertSignature(g, v, &def));
    if (ok) (*defs)[k] = def;
  }
  return absl::OkStatus();
}

class ModelImpl : public Model {
 public:
  ModelImpl(tensorflow::MetaGraphDef meta, const LoadOptions& options)
      : meta_(std::move(meta)), pool_(options.intra_op_threads) {
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
      // A signature with tensors RunSignature cannot take (composite outputs, composite
      // inputs other than SparseTensor / RaggedTensor) is left out (RunSignature names why)
      // and the model stays usable by tensor names.
      absl::Status composite;
      for (const auto& [alias, info] : def.inputs()) {
        auto spec = SpecFromInfo(info, absl::StrCat("signature '", key, "' input '", alias, "'"),
                                 /*allow_composite=*/true);
        if (!spec.ok()) composite.Update(spec.status());
        if (spec.ok()) sig.inputs[alias] = *spec;
      }
      for (const auto& [alias, info] : def.outputs()) {
        auto spec = SpecFromInfo(info, absl::StrCat("signature '", key, "' output '", alias, "'"),
                                 /*allow_composite=*/false);
        if (!spec.ok()) composite.Update(spec.status());
        if (spec.ok()) sig.outputs[alias] = *spec;
      }
      if (!composite.ok()) {
        unusable_signatures_[key] = composite;
        continue;
      }
      std::vector<std::string> feeds = SignatureFeedNames(sig), fetches;
      for (const auto& [a, s] : sig.outputs) fetches.push_back(s.tensor_name);
      auto plan = GetPlan(feeds, fetches, {});
      if (!plan.ok()) return Annotate(plan.status(), absl::StrCat("signature '", key, "'"));
      sig_plans_[key] = SignaturePlan{*plan, Keys(sig.outputs)};
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
      auto u = unusable_signatures_.find(key);
      if (u != unusable_signatures_.end()) return u->second;
      return absl::NotFoundError(
          absl::StrCat("signature '", key, "' not found; available: ", Quoted(Keys(signatures_))));
    }
    const Signature& sig = sit->second;
    FeedList feeds;
    TFM_RETURN_IF_ERROR(SignatureFeeds(key, sig, inputs, &feeds));
    std::vector<Tensor> outs;
    if (output_filter.empty()) {
      const SignaturePlan& sp = sig_plans_.at(key);
      TFM_RETURN_IF_ERROR(sp.plan->Run(MakeRunContext(), feeds, &outs));
      std::map<std::string, Tensor> result;
      for (size_t i = 0; i < sp.output_aliases.size(); ++i) {
        result.emplace_hint(result.end(), sp.output_aliases[i], std::move(outs[i]));
      }
      return result;
    }
    std::vector<std::string> aliases;
    std::vector<std::string> in_names = SignatureFeedNames(sig), out_names;
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
    TFM_ASSIGN_OR_RETURN(std::shared_ptr<const Executor> plan, GetPlan(in_names, out_names, {}));
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
    rc.device = pool_.device();
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
  std::map<std::string, absl::Status> unusable_signatures_;  // composite tensors
  // Per signature, compiled at load: the plan feeding every input (in alias order) and
  // fetching every output, and the output aliases in that order.
  struct SignaturePlan {
    std::shared_ptr<const Executor> plan;
    std::vector<std::string> output_aliases;
  };
  std::map<std::string, SignaturePlan> sig_plans_;
  ResourceMgr resources_;
  std::unique_ptr<FunctionRuntime> functions_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const Executor>> cache_;
  std::atomic<int64_t> step_{1};
  IntraOpPool pool_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Model>> Model::LoadSavedModel(const std::string& dir,
                                                             const std::vector<std::string>& tags,
                                                             const LoadOptions& options) {
  TFM_ASSIGN_OR_RETURN(ModelArtifact a, ReadModelArtifact(dir, tags));
  if (a.kind == ModelArtifact::Kind::kSessionBundle) {
    TFM_RETURN_IF_ERROR(ConvertSessionBundleSignatures(dir, &a.meta_graph));
  }
  RegisterOpDefs(a.meta_graph.meta_info_def().stripped_op_list());
  auto model = std::make_unique<ModelImpl>(std::move(a.meta_graph), options);
  std::string where = absl::StrCat("loading model '", dir, "'");
  TFM_RETURN_IF_ERROR(Annotate(model->CompileSignatures(), where));
  TFM_RETURN_IF_ERROR(Annotate(model->Restore(a.variables_prefix), where));
  std::vector<std::pair<std::string, Tensor>> asset_feeds;
  for (const auto& asset : a.assets) {
    asset_feeds.emplace_back(asset.tensor_name, Tensor::StringScalar(asset.path));
  }
  if (!a.init_op.empty()) {
    TFM_RETURN_IF_ERROR(Annotate(model->RunTarget(asset_feeds, a.init_op, "the init op"), where));
  } else {
    // No init op (tf.Transform's transform_fn): fill the tables as tf.tables_initializer().
    for (const auto& node : a.table_initializers) {
      TFM_RETURN_IF_ERROR(
          Annotate(model->RunTarget(asset_feeds, node, "the table initializer"), where));
    }
  }
  return std::unique_ptr<Model>(std::move(model));
}

absl::StatusOr<std::unique_ptr<Model>> Model::LoadGraph(tensorflow::GraphDef graph,
                                                        const LoadOptions& options) {
  // A frozen graph's lookup tables are filled by initializers grouped under one NoOp named
  // `init_all_tables` (what TF's tables_initializer() is named and what `tfmodel freeze`
  // writes; freeze_tables.h). Run it once now, as a SavedModel's init op is run at load.
  std::vector<std::string> initializers;
  for (const auto& n : graph.node()) {
    if (n.name() == kTablesInitializerName) initializers.push_back(n.name());
  }
  tensorflow::MetaGraphDef meta;
  *meta.mutable_graph_def() = std::move(graph);
  auto model = std::make_unique<ModelImpl>(std::move(meta), options);
  if (!initializers.empty()) {
    auto r = model->Run({}, {}, initializers);
    if (!r.ok()) {
      return Annotate(r.status(), "loading the graph: running its lookup table initializers");
    }
  }
  return std::unique_ptr<Model>(std::move(model));
}

absl::StatusOr<std::unique_ptr<Model>> Model::LoadMetaGraph(tensorflow::MetaGraphDef meta_graph,
                                                            const std::string& checkpoint_prefix,
                                                            const LoadOptions& options) {
  RegisterOpDefs(meta_graph.meta_info_def().stripped_op_list());
  auto model = std::make_unique<ModelImpl>(std::move(meta_graph), options);
  TFM_RETURN_IF_ERROR(model->CompileSignatures());
  TFM_RETURN_IF_ERROR(model->Restore(checkpoint_prefix));
  return std::unique_ptr<Model>(std::move(model));
}

}  // namespace tfmodel::runtime
