#include "graph/freeze.h"

#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status.h"
#include "format/saved_model.h"
#include "format/tensor_proto.h"
#include "graph/attr_util.h"
#include "graph/freeze_tables.h"
#include "graph/function_graph.h"
#include "graph/prune.h"

namespace tfmodel {
namespace {

bool IsVariableOp(const std::string& op) {
  return op == "VariableV2" || op == "Variable" || op == "VarHandleOp";
}

const tensorflow::NodeDef* Follow(const std::map<std::string, const tensorflow::NodeDef*>& nodes,
                                  const std::string& input) {
  auto it = nodes.find(ParseTensorName(input).node);
  return it == nodes.end() ? nullptr : it->second;
}

// Follows Identity chains back to the node producing a value.
const tensorflow::NodeDef* SkipIdentities(
    const std::map<std::string, const tensorflow::NodeDef*>& nodes, const tensorflow::NodeDef* n) {
  for (int guard = 0; n && guard < 64 && (n->op() == "Identity") && n->input_size() > 0; ++guard) {
    n = Follow(nodes, n->input(0));
  }
  return n;
}

std::string StripOutput(const std::string& name) {
  TensorId id = ParseTensorName(name);
  return id.node;
}

// Replaces the variables in `out` that the allow/deny lists select by Consts holding their
// checkpoint values (checked against the graph's dtype and shape). Converted resource
// handles go to `converted`; every failure is collected into one NotFound error.
absl::Status ConvertVariables(const std::map<std::string, std::string>& keys,
                              const CheckpointReader& checkpoint, const FreezeOptions& options,
                              tensorflow::GraphDef& out, std::map<std::string, DType>* converted,
                              FreezeReport* local) {
  std::set<std::string> white(options.variable_whitelist.begin(), options.variable_whitelist.end());
  std::set<std::string> black(options.variable_blacklist.begin(), options.variable_blacklist.end());
  std::vector<std::string> errors;
  for (auto& n : *out.mutable_node()) {
    if (!IsVariableOp(n.op())) continue;
    if (!white.empty() && !white.count(n.name())) continue;
    if (black.count(n.name())) continue;
    auto kit = keys.find(n.name());
    std::string key = kit == keys.end() ? n.name() : kit->second;
    if (n.op() == "VarHandleOp" && kit == keys.end()) {
      auto sn = n.attr().find("shared_name");
      if (sn != n.attr().end() && !sn->second.s().empty() && checkpoint.Find(sn->second.s())) {
        key = sn->second.s();
      }
    }
    const CheckpointEntry* entry = checkpoint.Find(key);
    if (entry == nullptr) {
      errors.push_back(absl::StrCat("variable '", n.name(), "' (checkpoint key '", key,
                                    "') has no value in checkpoint '", checkpoint.prefix(), "'"));
      continue;
    }
    auto value = checkpoint.Read(key);
    if (!value.ok()) {
      errors.push_back(absl::StrCat("variable '", n.name(), "': ", value.status().message()));
      continue;
    }
    // Check the graph's declared dtype and shape against the checkpoint's.
    auto dt = n.attr().find("dtype");
    if (dt != n.attr().end() && BaseDType(dt->second.type()) != value->dtype()) {
      errors.push_back(absl::StrCat("variable '", n.name(), "' is ",
                                    DTypeName(BaseDType(dt->second.type())), " in the graph but ",
                                    DTypeName(value->dtype()), " in the checkpoint"));
      continue;
    }
    auto sh = n.attr().find("shape");
    if (sh != n.attr().end()) {
      PartialShape declared = PartialShapeFromProto(sh->second.shape());
      if (!declared.IsCompatibleWith(value->shape())) {
        errors.push_back(absl::StrCat("variable '", n.name(), "' has shape ", declared.ToString(),
                                      " in the graph but ", value->shape().ToString(),
                                      " in the checkpoint"));
        continue;
      }
    }
    bool handle = n.op() == "VarHandleOp";
    std::string device = n.device();
    n.clear_input();
    n.clear_attr();
    n.set_op("Const");
    (*n.mutable_attr())["dtype"] = AttrType(value->dtype());
    (*n.mutable_attr())["value"] = AttrTensor(*value);
    if (handle) (*converted)[n.name()] = value->dtype();
    local->variables_converted.push_back(n.name());
    local->bytes_converted += static_cast<int64_t>(value->TotalBytes());
  }
  if (!errors.empty()) return absl::NotFoundError(absl::StrJoin(errors, "; "));
  return absl::OkStatus();
}

// ResourceGather(batch_dims = b) of a frozen variable -> GatherV2(params, indices, axis = b,
// batch_dims = b), with the axis Const appended to `extra`.
absl::Status ResourceGatherToGatherV2(tensorflow::NodeDef& n, DType dtype,
                                      std::vector<tensorflow::NodeDef>* extra) {
  // ResourceGather(batch_dims = b) gathers along axis b with b batch dimensions, so
  // it is GatherV2(params, indices, axis = b, batch_dims = b). (TF's freeze_graph
  // refuses b != 0; this rewrite is exact for every b >= 0.)
  int64_t batch_dims = 0;
  auto bd = n.attr().find("batch_dims");
  if (bd != n.attr().end()) batch_dims = bd->second.i();
  if (batch_dims < 0) {
    return absl::UnimplementedError(
        absl::StrCat("node '", n.name(), "' (ResourceGather) with negative batch_dims (",
                     batch_dims, ") cannot be frozen: the indices' rank is not known here"));
  }
  auto tind = n.attr().find("Tindices");
  tensorflow::AttrValue tindices = tind != n.attr().end() ? tind->second : AttrType(DType::kInt32);
  const bool axis64 = tindices.type() == tensorflow::DT_INT64;
  n.set_op("GatherV2");
  n.clear_attr();
  (*n.mutable_attr())["Tparams"] = AttrType(dtype);
  (*n.mutable_attr())["Tindices"] = tindices;
  (*n.mutable_attr())["Taxis"] = AttrType(axis64 ? DType::kInt64 : DType::kInt32);
  (*n.mutable_attr())["batch_dims"] = AttrI(batch_dims);
  tensorflow::NodeDef axis;
  axis.set_name(n.name() + "/axis");
  axis.set_op("Const");
  (*axis.mutable_attr())["dtype"] = AttrType(axis64 ? DType::kInt64 : DType::kInt32);
  (*axis.mutable_attr())["value"] =
      AttrTensor(axis64 ? Tensor::Scalar<int64_t>(batch_dims)
                        : Tensor::Scalar<int32_t>(static_cast<int32_t>(batch_dims)));
  n.add_input(axis.name());
  // Keep data inputs before control inputs.
  auto* inputs = n.mutable_input();
  std::stable_partition(inputs->begin(), inputs->end(),
                        [](const std::string& s) { return s.empty() || s[0] != '^'; });
  extra->push_back(std::move(axis));
  return absl::OkStatus();
}

// Reads of converted resource handles become plain value ops (ReadVariableOp -> Identity,
// ResourceGather -> GatherV2, ResourceGatherNd -> GatherNd).
absl::Status RewriteResourceReads(const std::map<std::string, DType>& converted,
                                  tensorflow::GraphDef& out) {
  std::map<std::string, const tensorflow::NodeDef*> by_name;
  for (const auto& n : out.node()) by_name[n.name()] = &n;
  auto reads_converted = [&](const tensorflow::NodeDef& n, DType* dtype) {
    if (n.input_size() == 0) return false;
    const tensorflow::NodeDef* src = SkipIdentities(by_name, Follow(by_name, n.input(0)));
    if (!src) return false;
    auto it = converted.find(src->name());
    if (it == converted.end()) return false;
    *dtype = it->second;
    return true;
  };
  std::vector<tensorflow::NodeDef> extra;
  for (auto& n : *out.mutable_node()) {
    DType dtype;
    if (n.op() == "ReadVariableOp" && reads_converted(n, &dtype)) {
      n.set_op("Identity");
      n.mutable_attr()->erase("dtype");
      (*n.mutable_attr())["T"] = AttrType(dtype);
    } else if (n.op() == "Identity" && reads_converted(n, &dtype)) {
      (*n.mutable_attr())["T"] = AttrType(dtype);
    } else if (n.op() == "ResourceGather" && reads_converted(n, &dtype)) {
      TFM_RETURN_IF_ERROR(ResourceGatherToGatherV2(n, dtype, &extra));
    } else if (n.op() == "ResourceGatherNd" && reads_converted(n, &dtype)) {
      n.set_op("GatherNd");
      auto tind = n.attr().find("Tindices");
      tensorflow::AttrValue tindices =
          tind != n.attr().end() ? tind->second : AttrType(DType::kInt32);
      n.clear_attr();
      (*n.mutable_attr())["Tparams"] = AttrType(dtype);
      (*n.mutable_attr())["Tindices"] = tindices;
    }
  }
  for (auto& e : extra) *out.add_node() = std::move(e);
  return absl::OkStatus();
}

// Colocation attrs naming dropped nodes go; devices go when asked.
void TidyNodes(bool clear_devices, tensorflow::GraphDef& out) {
  std::set<std::string> final_names;
  for (const auto& n : out.node()) final_names.insert(n.name());
  for (auto& n : *out.mutable_node()) {
    if (clear_devices) n.clear_device();
    auto cls = n.mutable_attr()->find("_class");
    if (cls != n.mutable_attr()->end()) {
      tensorflow::AttrValue kept;
      auto* list = kept.mutable_list();
      for (const auto& s : cls->second.list().s()) {
        if (absl::StartsWith(s, "loc:@") && !final_names.count(s.substr(5))) continue;
        list->add_s(s);
      }
      if (list->s_size() == 0) {
        n.mutable_attr()->erase(cls);
      } else {
        cls->second = kept;
      }
    }
  }
}

}  // namespace

std::map<std::string, std::string> VariableCheckpointKeys(const tensorflow::GraphDef& graph) {
  std::map<std::string, const tensorflow::NodeDef*> nodes;
  for (const auto& n : graph.node()) nodes[n.name()] = &n;
  std::map<std::string, std::string> keys;
  for (const auto& n : graph.node()) {
    bool assign = n.op() == "Assign" || n.op() == "AssignVariableOp";
    if (!assign || n.input_size() < 2) continue;
    const tensorflow::NodeDef* var = SkipIdentities(nodes, Follow(nodes, n.input(0)));
    // Walk Identity chains back to the restore op's output, keeping its index.
    std::string value_name = n.input(1);
    const tensorflow::NodeDef* restore = Follow(nodes, value_name);
    for (int guard = 0;
         restore && restore->op() == "Identity" && restore->input_size() > 0 && guard < 64;
         ++guard) {
      value_name = restore->input(0);
      restore = Follow(nodes, value_name);
    }
    if (!var || !restore || !IsVariableOp(var->op())) continue;
    if (restore->op() != "RestoreV2" || restore->input_size() < 2) continue;
    int index = ParseTensorName(value_name).index;
    const tensorflow::NodeDef* names = Follow(nodes, restore->input(1));
    if (!names || names->op() != "Const") continue;
    auto it = names->attr().find("value");
    if (it == names->attr().end()) continue;
    auto t = TensorFromProto(it->second.tensor());
    if (!t.ok() || t->dtype() != DType::kString || index >= t->NumElements()) continue;
    keys[var->name()] = t->data<std::string>()[index];
  }
  return keys;
}

absl::StatusOr<tensorflow::GraphDef> FreezeGraph(const tensorflow::GraphDef& input,
                                                 const CheckpointReader& checkpoint,
                                                 const FreezeOptions& options,
                                                 FreezeReport* report) {
  if (options.output_nodes.empty()) {
    return absl::InvalidArgumentError(
        "You need to supply the name of a node to --output_node_names.");
  }
  // TF2 graphs pass variables into functions (the signatures' StatefulPartitionedCalls and
  // the saver's restore function): inline those calls so every read is a graph edge.
  tensorflow::GraphDef inlined;
  int calls_inlined = 0;
  if (options.inline_functions && input.library().function_size() > 0) {
    InlineReport ir;
    TFM_ASSIGN_OR_RETURN(inlined, InlineFunctionCalls(input, &ir));
    calls_inlined = ir.calls_inlined;
  }
  const tensorflow::GraphDef& graph = calls_inlined > 0 ? inlined : input;
  std::vector<std::string> outputs;
  for (const auto& o : options.output_nodes) outputs.push_back(StripOutput(o));
  TFM_ASSIGN_OR_RETURN(std::set<std::string> keep, ReachableNodes(graph, outputs));

  tensorflow::GraphDef out = KeepNodes(graph, keep);
  FreezeReport local;
  local.calls_inlined = calls_inlined;
  std::map<std::string, DType> converted;  // VarHandleOp nodes turned into Consts -> dtype
  TFM_RETURN_IF_ERROR(ConvertVariables(VariableCheckpointKeys(graph), checkpoint, options, out,
                                       &converted, &local));
  TFM_RETURN_IF_ERROR(RewriteResourceReads(converted, out));
  // Lookup tables: their initializers are off the outputs' path; make them constant.
  TFM_RETURN_IF_ERROR(
      FreezeTableInitializers(graph, options.asset_files, &out, &local.tables_frozen));
  TidyNodes(options.clear_devices, out);
  PruneFunctionLibrary(&out);
  local.nodes_in_final_graph = out.node_size();
  if (report) *report = std::move(local);
  return out;
}

}  // namespace tfmodel
