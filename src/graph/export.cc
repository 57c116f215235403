#include "graph/export.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/close_names.h"
#include "core/file_util.h"
#include "core/status.h"
#include "format/proto_io.h"
#include "format/saved_model.h"
#include "format/tensor_proto.h"
#include "graph/attr_util.h"
#include "graph/freeze.h"
#include "graph/graph_builder.h"
#include "graph/prune.h"
#include "graph/saver.h"
#include "rapidjson/document.h"
#include "tensorflow/core/framework/variable.pb.h"
#include "tensorflow_serving/apis/get_model_metadata.pb.h"

namespace tfmodel {
namespace {

using NodeMap = std::map<std::string, const tensorflow::NodeDef*>;

bool IsVariableOp(const std::string& op) {
  return op == "VariableV2" || op == "Variable" || op == "VarHandleOp";
}

std::string MethodName(const std::string& m) {
  std::string l = absl::AsciiStrToLower(m);
  if (l == "predict") return kPredictMethod;
  if (l == "classify") return kClassifyMethod;
  if (l == "regress") return kRegressMethod;
  return m;
}

absl::Status ParsePairs(absl::string_view text, const std::string& spec,
                        std::vector<std::pair<std::string, std::string>>* out) {
  for (absl::string_view item :
       absl::StrSplit(text, absl::ByAnyChar(", "), absl::SkipWhitespace())) {
    size_t eq = item.find('=');
    if (eq == absl::string_view::npos || eq == 0 || eq + 1 == item.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("signature '", spec, "': expected alias=tensor, got '", item, "'"));
    }
    out->emplace_back(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)));
  }
  return absl::OkStatus();
}

PartialShape ShapeOf(const tensorflow::NodeDef& n) {
  for (const char* a : {"shape", "_output_shapes"}) {
    auto it = n.attr().find(a);
    if (it == n.attr().end()) continue;
    if (it->second.has_shape()) return PartialShapeFromProto(it->second.shape());
    if (it->second.list().shape_size() > 0)
      return PartialShapeFromProto(it->second.list().shape(0));
  }
  return PartialShape();
}

absl::StatusOr<const tensorflow::NodeDef*> FindTensorNode(const NodeMap& nodes,
                                                          const std::vector<std::string>& names,
                                                          const std::string& tensor,
                                                          const std::string& where) {
  TensorId id = ParseTensorName(tensor);
  auto it = nodes.find(id.node);
  if (it == nodes.end()) {
    return absl::NotFoundError(absl::StrCat(
        where, ": tensor '", tensor, "' names no node in the graph", DidYouMean(id.node, names)));
  }
  return it->second;
}

std::vector<tensorflow::VariableDef> VariableDefs(const tensorflow::MetaGraphDef& mg,
                                                  const std::string& key) {
  std::vector<tensorflow::VariableDef> out;
  auto it = mg.collection_def().find(key);
  if (it == mg.collection_def().end()) return out;
  for (const auto& b : it->second.bytes_list().value()) {
    tensorflow::VariableDef v;
    if (v.ParseFromString(b)) out.push_back(v);
  }
  return out;
}

bool IsVariableCollection(const std::string& key) {
  return key == "variables" || key == "trainable_variables" || key == "model_variables" ||
         key == "local_variables";
}

// Turns Consts of at least `min_bytes` (and more than one element) back into VariableV2
// nodes (frozen graph -> small saved_model.pb); their values go to `unfrozen`.
tensorflow::GraphDef UnfreezeConstants(const tensorflow::GraphDef& graph, int64_t min_bytes,
                                       std::vector<std::pair<std::string, Tensor>>* unfrozen) {
  tensorflow::GraphDef rewritten;
  *rewritten.mutable_versions() = graph.versions();
  *rewritten.mutable_library() = graph.library();
  for (const auto& n : graph.node()) {
    if (n.op() == "Const") {
      auto it = n.attr().find("value");
      if (it != n.attr().end()) {
        auto t = TensorFromProto(it->second.tensor());
        if (t.ok() && DTypeIsPod(t->dtype()) &&
            static_cast<int64_t>(t->TotalBytes()) >= min_bytes && t->NumElements() > 1) {
          tensorflow::NodeDef v;
          v.set_name(n.name());
          v.set_op("VariableV2");
          v.set_device(n.device());
          (*v.mutable_attr())["dtype"] = AttrType(t->dtype());
          (*v.mutable_attr())["shape"] = AttrShape(PartialShape::FromShape(t->shape()));
          (*v.mutable_attr())["container"] = AttrS("");
          (*v.mutable_attr())["shared_name"] = AttrS("");
          *rewritten.add_node() = v;
          unfrozen->emplace_back(n.name(), *t);
          continue;
        }
      }
    }
    *rewritten.add_node() = n;
  }
  return rewritten;
}

// The SignatureDefs of `options`, checked; the nodes they fetch and the init ops go to
// `roots`.
absl::Status BuildSignatures(const tensorflow::GraphDef& graph, const NodeMap& nodes,
                             const std::vector<std::string>& names, const ExportOptions& options,
                             std::map<std::string, tensorflow::SignatureDef>* sigs,
                             std::vector<std::string>* roots) {
  for (const auto& spec : options.signatures) {
    tensorflow::SignatureDef def;
    def.set_method_name(spec.method);
    std::set<std::string> input_nodes;
    for (const auto& [alias, tensor] : spec.inputs) {
      TFM_ASSIGN_OR_RETURN(
          const tensorflow::NodeDef* n,
          FindTensorNode(nodes, names, tensor,
                         absl::StrCat("signature '", spec.key, "' input '", alias, "'")));
      TensorId id = ParseTensorName(tensor);
      (*def.mutable_inputs())[alias] =
          MakeTensorInfo(id.ToString(), GuessOutputDType(*n, id.index), ShapeOf(*n));
      input_nodes.insert(n->name());
    }
    for (const auto& [alias, tensor] : spec.outputs) {
      TFM_ASSIGN_OR_RETURN(
          const tensorflow::NodeDef* n,
          FindTensorNode(nodes, names, tensor,
                         absl::StrCat("signature '", spec.key, "' output '", alias, "'")));
      TensorId id = ParseTensorName(tensor);
      DType dt = GuessOutputDType(*n, id.index);
      PartialShape shape = input_nodes.count(n->name()) ? ShapeOf(*n) : PartialShape();
      (*def.mutable_outputs())[alias] = MakeTensorInfo(id.ToString(), dt, shape);
      // The output must be computable from the signature's inputs (fed inputs cut the
      // graph: half_plus_two's x is an Identity of a ParseExample that feeding x skips).
      TFM_ASSIGN_OR_RETURN(std::set<std::string> needs,
                           ReachableNodes(graph, {n->name()}, input_nodes));
      bool uses_input = false;
      for (const auto& in : input_nodes) uses_input |= needs.count(in) > 0;
      if (!uses_input) {
        return absl::InvalidArgumentError(
            absl::StrCat("signature '", spec.key, "': output '", alias, "' (", tensor,
                         ") is not reachable from any of its inputs"));
      }
      for (const auto& name : needs) {
        const auto* p = nodes.at(name);
        if (p->op() == "Placeholder" && !input_nodes.count(name)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "signature '", spec.key, "': output '", alias, "' needs placeholder '", name,
              "', which is not one of the signature's inputs (add it with inputs ", name, "=", name,
              ":0)"));
        }
      }
      roots->push_back(n->name());
    }
    TFM_RETURN_IF_ERROR(ValidateSignature(spec.key, def));
    (*sigs)[spec.key] = def;
  }
  for (const std::string* op : {&options.main_op, &options.legacy_init_op}) {
    if (op->empty()) continue;
    TFM_ASSIGN_OR_RETURN(const tensorflow::NodeDef* n,
                         FindTensorNode(nodes, names, *op, "init op"));
    roots->push_back(n->name());
  }

  return absl::OkStatus();
}

// The nodes the export keeps: what `roots` need, plus the nodes Python needs to rebuild the
// kept variables (initializers, snapshots, /Assign, /read), minus the old save/ subgraph.
absl::StatusOr<std::set<std::string>> KeptNodes(const tensorflow::MetaGraphDef& source,
                                                const tensorflow::GraphDef& graph,
                                                const NodeMap& nodes,
                                                const std::vector<std::string>& roots,
                                                const ExportOptions& options) {
  TFM_ASSIGN_OR_RETURN(std::set<std::string> kept, ReachableNodes(graph, roots));
  if (options.keep_unused_variables) {
    for (const auto& n : graph.node()) {
      if (IsVariableOp(n.op())) kept.insert(n.name());
    }
  }
  std::vector<tensorflow::VariableDef> var_defs = VariableDefs(source, "variables");
  for (const auto& extra : {"trainable_variables", "local_variables", "model_variables"}) {
    for (auto& v : VariableDefs(source, extra)) var_defs.push_back(v);
  }
  std::vector<std::string> companions;
  for (const auto& v : var_defs) {
    std::string var = ParseTensorName(v.variable_name()).node;
    if (!kept.count(var)) continue;
    for (const std::string* c :
         {&v.initializer_name(), &v.snapshot_name(), &v.initial_value_name()}) {
      if (!c->empty() && nodes.count(ParseTensorName(*c).node))
        companions.push_back(ParseTensorName(*c).node);
    }
  }
  for (const auto& name : std::set<std::string>(kept)) {
    if (!IsVariableOp(nodes.at(name)->op())) continue;
    for (const char* suffix : {"/Assign", "/read"}) {
      if (nodes.count(name + suffix)) companions.push_back(name + suffix);
    }
  }
  if (!companions.empty()) {
    TFM_ASSIGN_OR_RETURN(std::set<std::string> more, ReachableNodes(graph, companions));
    kept.insert(more.begin(), more.end());
  }
  // Old save/restore nodes are rebuilt below for exactly the kept variables.
  for (auto it = kept.begin(); it != kept.end();) {
    it = absl::StartsWith(*it, "save/") ? kept.erase(it) : std::next(it);
  }

  return kept;
}

// The kept variables' values (from the unfrozen constants or the checkpoint, checked against
// the graph's dtype and shape), sorted by name, and the saver entries for them.
absl::Status ReadVariables(const tensorflow::MetaGraphDef& source,
                           const tensorflow::GraphDef& graph, const std::set<std::string>& kept,
                           const CheckpointReader* checkpoint,
                           const std::vector<std::pair<std::string, Tensor>>& unfrozen,
                           std::vector<SaverVariable>* saver_vars, ExportResult* result) {
  std::map<std::string, std::string> old_keys = VariableCheckpointKeys(source.graph_def());
  std::map<std::string, Tensor> unfrozen_values(unfrozen.begin(), unfrozen.end());
  std::vector<std::string> missing;
  for (const auto& n : graph.node()) {
    if (!kept.count(n.name()) || !IsVariableOp(n.op())) continue;
    Tensor value;
    auto uf = unfrozen_values.find(n.name());
    if (uf != unfrozen_values.end()) {
      value = uf->second;
    } else {
      if (checkpoint == nullptr) {
        missing.push_back(absl::StrCat(n.name(), " (no checkpoint given)"));
        continue;
      }
      auto k = old_keys.find(n.name());
      std::string key = k == old_keys.end() ? n.name() : k->second;
      if (!checkpoint->Find(key) && n.op() == "VarHandleOp") {
        auto sn = n.attr().find("shared_name");
        if (sn != n.attr().end() && checkpoint->Find(sn->second.s())) key = sn->second.s();
      }
      if (!checkpoint->Find(key)) {
        missing.push_back(absl::StrCat(n.name(), " (key '", key, "')"));
        continue;
      }
      TFM_ASSIGN_OR_RETURN(value, checkpoint->Read(key));
      auto dt = n.attr().find("dtype");
      if (dt != n.attr().end() && BaseDType(dt->second.type()) != value.dtype()) {
        return absl::InvalidArgumentError(
            absl::StrCat("variable '", n.name(), "' is ", DTypeName(BaseDType(dt->second.type())),
                         " in the graph but ", DTypeName(value.dtype()), " in the checkpoint"));
      }
      auto sh = n.attr().find("shape");
      if (sh != n.attr().end() &&
          !PartialShapeFromProto(sh->second.shape()).IsCompatibleWith(value.shape())) {
        return absl::InvalidArgumentError(
            absl::StrCat("variable '", n.name(), "' has shape ",
                         PartialShapeFromProto(sh->second.shape()).ToString(), " in the graph but ",
                         value.shape().ToString(), " in checkpoint '", checkpoint->prefix(), "'"));
      }
    }
    SaverVariable sv;
    sv.node = n.name();
    sv.checkpoint_key = n.name();
    sv.dtype = value.dtype();
    sv.shape = value.shape();
    sv.resource = n.op() == "VarHandleOp";
    saver_vars->push_back(sv);
    result->variables.emplace_back(n.name(), value);
  }
  if (!missing.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no checkpoint value for variable(s): ", absl::StrJoin(missing, ", ")));
  }
  std::sort(result->variables.begin(), result->variables.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });

  return absl::OkStatus();
}

// Initializers for variables that came from constants (so Python can rebuild them).
void AddUnfrozenInitializers(const std::vector<std::pair<std::string, Tensor>>& unfrozen,
                             const std::set<std::string>& kept, GraphBuilder& b) {
  for (const auto& [name, value] : unfrozen) {
    if (!kept.count(name)) continue;
    std::vector<int64_t> dims(value.shape().dim_sizes().begin(), value.shape().dim_sizes().end());
    std::string shape = b.Const(name + "/Initializer/shape", Tensor::FromVector<int64_t>(dims));
    Tensor zero(value.dtype(), TensorShape{});
    std::string z = b.Const(name + "/Initializer/zero", zero);
    std::string fill =
        b.Op(name + "/Initializer/zeros", "Fill", {shape, z},
             {{"T", AttrType(value.dtype())}, {"index_type", AttrType(DType::kInt64)}});
    b.Op(name + "/Assign", "Assign", {name, fill},
         {{"T", AttrType(value.dtype())},
          {"validate_shape", AttrB(true)},
          {"use_locking", AttrB(true)}});
  }
}

// AssetFileDefs for `files`: each reuses a string Const that already names the file, else
// gets a new one.
absl::Status AddAssets(const std::vector<std::string>& files, GraphBuilder& b,
                       tensorflow::MetaGraphDef* mg, std::vector<std::string>* assets) {
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string& path = files[i];
    if (!FileExists(path))
      return absl::NotFoundError(absl::StrCat("asset file '", path, "' does not exist"));
    std::string base = Basename(path);
    std::string tensor;
    for (const auto& n : b.graph().node()) {
      if (n.op() != "Const") continue;
      auto it = n.attr().find("value");
      if (it == n.attr().end() || it->second.tensor().dtype() != tensorflow::DT_STRING ||
          it->second.tensor().string_val_size() != 1) {
        continue;
      }
      if (Basename(it->second.tensor().string_val(0)) == base) {
        tensor = n.name() + ":0";
        break;
      }
    }
    if (tensor.empty()) {
      tensor = b.Const(i == 0 ? "asset_filepath" : absl::StrCat("asset_filepath_", i),
                       Tensor::StringScalar(base));
    }
    auto* a = mg->add_asset_file_def();
    a->set_filename(base);
    a->mutable_tensor_info()->set_name(tensor);
    a->mutable_tensor_info()->set_dtype(tensorflow::DT_STRING);
    a->mutable_tensor_info()->mutable_tensor_shape();
    assets->push_back(path);
  }

  return absl::OkStatus();
}

// MetaGraphDef fields as SavedModelBuilder sets them: meta info (tags, versions, the used
// ops' definitions), the source's collections trimmed to the nodes kept, VariableDefs for
// unfrozen constants, the init op collections.
void FillMetaGraph(const tensorflow::MetaGraphDef& source, const ExportOptions& options,
                   const std::vector<std::pair<std::string, Tensor>>& unfrozen,
                   const tensorflow::GraphDef& out, tensorflow::MetaGraphDef* mg_out) {
  tensorflow::MetaGraphDef& mg = *mg_out;
  std::set<std::string> final_names;
  for (const auto& n : out.node()) final_names.insert(n.name());
  auto* info = mg.mutable_meta_info_def();
  for (const auto& t : options.tags) info->add_tags(t);
  info->set_meta_graph_version(source.meta_info_def().meta_graph_version());
  info->set_tensorflow_version(source.meta_info_def().tensorflow_version());
  info->set_tensorflow_git_version(source.meta_info_def().tensorflow_git_version());
  std::set<std::string> used_ops;
  for (const auto& n : out.node()) used_ops.insert(n.op());
  for (const auto& op : source.meta_info_def().stripped_op_list().op()) {
    if (used_ops.count(op.name())) *info->mutable_stripped_op_list()->add_op() = op;
  }
  for (const auto& [key, col] : source.collection_def()) {
    if (key == kMainOpCollection || key == kLegacyInitOpCollection || key == kAssetsCollection ||
        key == "savers") {
      continue;
    }
    tensorflow::CollectionDef c;
    if (col.has_node_list()) {
      for (const auto& v : col.node_list().value()) {
        if (final_names.count(ParseTensorName(v).node)) c.mutable_node_list()->add_value(v);
      }
      if (c.node_list().value_size() == 0) continue;
    } else if (col.has_bytes_list() && IsVariableCollection(key)) {
      for (const auto& bytes : col.bytes_list().value()) {
        tensorflow::VariableDef v;
        if (v.ParseFromString(bytes) &&
            final_names.count(ParseTensorName(v.variable_name()).node)) {
          c.mutable_bytes_list()->add_value(bytes);
        }
      }
      if (c.bytes_list().value_size() == 0) continue;
    } else {
      continue;  // other collections (summaries, optimizer state, queue runners) are
                 // training-only
    }
    (*mg.mutable_collection_def())[key] = c;
  }
  // Variables that came from constants get VariableDefs too.
  for (const auto& [name, value] : unfrozen) {
    if (!final_names.count(name)) continue;
    tensorflow::VariableDef v;
    v.set_variable_name(name + ":0");
    v.set_initializer_name(name + "/Assign");
    v.set_snapshot_name(name + ":0");
    v.set_trainable(false);
    (*mg.mutable_collection_def())["variables"].mutable_bytes_list()->add_value(
        v.SerializeAsString());
  }
  if (!options.main_op.empty()) {
    (*mg.mutable_collection_def())[kMainOpCollection].mutable_node_list()->add_value(
        ParseTensorName(options.main_op).node);
  }
  if (!options.legacy_init_op.empty()) {
    (*mg.mutable_collection_def())[kLegacyInitOpCollection].mutable_node_list()->add_value(
        ParseTensorName(options.legacy_init_op).node);
  }
}

}  // namespace

DType GuessOutputDType(const tensorflow::NodeDef& n, int index) {
  if (n.op() == "Placeholder" || n.op() == "PlaceholderWithDefault" || n.op() == "Const" ||
      n.op() == "VariableV2" || n.op() == "Variable") {
    auto it = n.attr().find("dtype");
    if (it != n.attr().end()) return BaseDType(it->second.type());
  }
  for (const char* a :
       {"T", "dtype", "out_type", "DstT", "Tout", "output_type", "Tparams", "type"}) {
    auto it = n.attr().find(a);
    if (it == n.attr().end()) continue;
    if (it->second.value_case() == tensorflow::AttrValue::kType)
      return BaseDType(it->second.type());
    if (it->second.list().type_size() > index) return BaseDType(it->second.list().type(index));
  }
  return DType::kInvalid;
}

absl::StatusOr<SignatureSpec> ParseSignatureSpec(const std::string& text) {
  SignatureSpec s;
  size_t colon = text.find(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "signature '", text, "': expected 'KEY: inputs a=x:0; outputs b=y:0; method predict'"));
  }
  s.key = std::string(absl::StripAsciiWhitespace(text.substr(0, colon)));
  if (s.key.empty())
    return absl::InvalidArgumentError(absl::StrCat("signature '", text, "' has no key"));
  for (absl::string_view part :
       absl::StrSplit(text.substr(colon + 1), ';', absl::SkipWhitespace())) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, "inputs")) {
      TFM_RETURN_IF_ERROR(ParsePairs(part, text, &s.inputs));
    } else if (absl::ConsumePrefix(&part, "outputs")) {
      TFM_RETURN_IF_ERROR(ParsePairs(part, text, &s.outputs));
    } else if (absl::ConsumePrefix(&part, "method")) {
      s.method = MethodName(std::string(absl::StripAsciiWhitespace(part)));
    } else {
      return absl::InvalidArgumentError(absl::StrCat("signature '", text, "': unknown part '", part,
                                                     "' (use inputs, outputs, method)"));
    }
  }
  if (s.inputs.empty() || s.outputs.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("signature '", s.key, "' needs inputs and outputs"));
  }
  return s;
}

absl::StatusOr<std::vector<SignatureSpec>> ReadSignatureFile(const std::string& path) {
  TFM_ASSIGN_OR_RETURN(std::string data, ReadFileToString(path));
  std::vector<SignatureSpec> out;
  std::string trimmed(absl::StripAsciiWhitespace(data));
  if (!trimmed.empty() && trimmed[0] == '{' && trimmed.find('"') != std::string::npos) {
    rapidjson::Document doc;
    doc.Parse(trimmed.c_str());
    if (doc.HasParseError() || !doc.IsObject()) {
      return absl::InvalidArgumentError(
          absl::StrCat("signature file '", path, "' is not a JSON object"));
    }
    for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
      SignatureSpec s;
      s.key = it->name.GetString();
      const auto& v = it->value;
      if (!v.IsObject())
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": signature '", s.key, "' is not an object"));
      for (const char* side : {"inputs", "outputs"}) {
        if (!v.HasMember(side) || !v[side].IsObject()) {
          return absl::InvalidArgumentError(
              absl::StrCat(path, ": signature '", s.key, "' needs an object '", side, "'"));
        }
        for (auto m = v[side].MemberBegin(); m != v[side].MemberEnd(); ++m) {
          if (!m->value.IsString()) {
            return absl::InvalidArgumentError(absl::StrCat(
                path, ": ", s.key, ".", side, ".", m->name.GetString(), " must be a tensor name"));
          }
          (std::string(side) == "inputs" ? s.inputs : s.outputs)
              .emplace_back(m->name.GetString(), m->value.GetString());
        }
      }
      for (const char* mk : {"method_name", "method"}) {
        if (v.HasMember(mk) && v[mk].IsString()) s.method = MethodName(v[mk].GetString());
      }
      out.push_back(std::move(s));
    }
    return out;
  }
  tensorflow::serving::SignatureDefMap map;
  TFM_RETURN_IF_ERROR(ParseProtoFromString(data, path, &map, ProtoFormat::kText));
  for (const auto& [key, def] : map.signature_def()) {
    SignatureSpec s;
    s.key = key;
    s.method = def.method_name().empty() ? kPredictMethod : def.method_name();
    for (const auto& [a, t] : def.inputs()) s.inputs.emplace_back(a, t.name());
    for (const auto& [a, t] : def.outputs()) s.outputs.emplace_back(a, t.name());
    out.push_back(std::move(s));
  }
  return out;
}

absl::Status ValidateSignature(const std::string& key, const tensorflow::SignatureDef& sig) {
  auto err = [&](const std::string& m) {
    return absl::InvalidArgumentError(
        absl::StrCat("signature '", key, "' (", sig.method_name(), "): ", m));
  };
  if (sig.method_name() == kClassifyMethod) {
    auto in = sig.inputs().find("inputs");
    if (sig.inputs_size() != 1 || in == sig.inputs().end())
      return err("needs exactly one input named 'inputs'");
    if (in->second.dtype() != tensorflow::DT_STRING)
      return err("input 'inputs' must be DT_STRING (serialized tf.Example)");
    auto cls = sig.outputs().find("classes");
    auto scores = sig.outputs().find("scores");
    if (cls == sig.outputs().end() && scores == sig.outputs().end()) {
      return err("needs output 'classes' and/or 'scores'");
    }
    if (cls != sig.outputs().end() && cls->second.dtype() != tensorflow::DT_STRING) {
      return err("output 'classes' must be DT_STRING");
    }
    if (scores != sig.outputs().end() && scores->second.dtype() != tensorflow::DT_FLOAT) {
      return err("output 'scores' must be DT_FLOAT");
    }
    for (const auto& [k, v] : sig.outputs()) {
      if (k != "classes" && k != "scores")
        return err(absl::StrCat("unexpected output '", k, "' (only classes, scores)"));
    }
  } else if (sig.method_name() == kRegressMethod) {
    if (sig.inputs_size() != 1 || !sig.inputs().count("inputs"))
      return err("needs exactly one input named 'inputs'");
    if (sig.outputs_size() != 1 || !sig.outputs().count("outputs"))
      return err("needs exactly one output named 'outputs'");
  } else if (sig.method_name() == kPredictMethod) {
    if (sig.inputs_size() == 0 || sig.outputs_size() == 0)
      return err("needs at least one input and one output");
  }
  return absl::OkStatus();
}

absl::StatusOr<ExportResult> BuildExport(const tensorflow::MetaGraphDef& source,
                                         const CheckpointReader* checkpoint,
                                         const ExportOptions& options) {
  if (options.signatures.empty()) {
    return absl::InvalidArgumentError(
        "export needs at least one signature (--signature or --signatures)");
  }
  std::vector<std::pair<std::string, Tensor>> unfrozen;
  const tensorflow::GraphDef graph =
      options.unfreeze_min_bytes >= 0
          ? UnfreezeConstants(source.graph_def(), options.unfreeze_min_bytes, &unfrozen)
          : source.graph_def();
  NodeMap nodes;
  std::vector<std::string> names;
  for (const auto& n : graph.node()) {
    nodes[n.name()] = &n;
    names.push_back(n.name());
  }
  std::map<std::string, tensorflow::SignatureDef> sigs;
  std::vector<std::string> roots;
  TFM_RETURN_IF_ERROR(BuildSignatures(graph, nodes, names, options, &sigs, &roots));
  TFM_ASSIGN_OR_RETURN(std::set<std::string> kept, KeptNodes(source, graph, nodes, roots, options));
  ExportResult result;
  std::vector<SaverVariable> saver_vars;
  TFM_RETURN_IF_ERROR(
      ReadVariables(source, graph, kept, checkpoint, unfrozen, &saver_vars, &result));

  GraphBuilder b(KeepNodes(graph, kept));
  AddUnfrozenInitializers(unfrozen, kept, b);
  tensorflow::MetaGraphDef mg;
  if (!saver_vars.empty()) *mg.mutable_saver_def() = AddSaver(b, saver_vars);
  TFM_RETURN_IF_ERROR(AddAssets(options.asset_files, b, &mg, &result.assets));
  tensorflow::GraphDef out = b.graph();
  if (options.clear_devices) {
    for (auto& n : *out.mutable_node()) n.clear_device();
  }
  FillMetaGraph(source, options, unfrozen, out, &mg);
  for (auto& [k, v] : sigs) (*mg.mutable_signature_def())[k] = v;
  *mg.mutable_graph_def() = std::move(out);
  result.nodes = mg.graph_def().node_size();
  result.saved_model.set_saved_model_schema_version(1);
  *result.saved_model.add_meta_graphs() = std::move(mg);
  return result;
}

}  // namespace tfmodel
