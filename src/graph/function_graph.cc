// Function bodies as plain graphs, the OpDef registry that resolves their output
// names, and inlining of function calls (used by the runtime and by freezing).
#include "graph/function_graph.h"

#include <map>
#include <set>
#include <unordered_map>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/status.h"
#include "format/saved_model.h"

namespace tfmodel {
namespace {

using tensorflow::AttrValue;
using tensorflow::OpDef;

std::mutex& OpDefMu() {
  static std::mutex* mu = new std::mutex;
  return *mu;
}
std::unordered_map<std::string, std::unique_ptr<OpDef>>& OpDefs() {
  static auto* m = new std::unordered_map<std::string, std::unique_ptr<OpDef>>;
  return *m;
}

// Output args of common multi-output ops: (name, count attr) where the count attr is a
// number_attr (int) or type_list_attr (list of types); "" = exactly one tensor.
struct ArgSpec {
  const char* name;
  const char* count_attr;
};
const std::map<std::string, std::vector<ArgSpec>>& BuiltinOutputs() {
  static const auto* m = new std::map<std::string, std::vector<ArgSpec>>{
      {"Switch", {{"output_false", ""}, {"output_true", ""}}},
      {"RefSwitch", {{"output_false", ""}, {"output_true", ""}}},
      {"Merge", {{"output", ""}, {"value_index", ""}}},
      {"RefMerge", {{"output", ""}, {"value_index", ""}}},
      {"Unique", {{"y", ""}, {"idx", ""}}},
      {"UniqueV2", {{"y", ""}, {"idx", ""}}},
      {"UniqueWithCounts", {{"y", ""}, {"idx", ""}, {"count", ""}}},
      {"TopKV2", {{"values", ""}, {"indices", ""}}},
      {"TopK", {{"values", ""}, {"indices", ""}}},
      {"Split", {{"output", "num_split"}}},
      {"SplitV", {{"output", "num_split"}}},
      {"Unpack", {{"output", "num"}}},
      {"ShapeN", {{"output", "N"}}},
      {"IdentityN", {{"output", "T"}}},
      {"PartitionedCall", {{"output", "Tout"}}},
      {"StatefulPartitionedCall", {{"output", "Tout"}}},
      {"If", {{"output", "Tout"}}},
      {"StatelessIf", {{"output", "Tout"}}},
      {"Case", {{"output", "Tout"}}},
      {"StatelessCase", {{"output", "Tout"}}},
      {"While", {{"output", "T"}}},
      {"StatelessWhile", {{"output", "T"}}},
      {"RestoreV2", {{"tensors", "dtypes"}}},
      {"BroadcastGradientArgs", {{"r0", ""}, {"r1", ""}}},
      {"TensorListPopBack", {{"output_handle", ""}, {"tensor", ""}}},
      {"TensorListConcat", {{"tensor", ""}, {"lengths", ""}}},
      {"TensorListConcatV2", {{"tensor", ""}, {"lengths", ""}}},
      {"FusedBatchNorm",
       {{"y", ""},
        {"batch_mean", ""},
        {"batch_variance", ""},
        {"reserve_space_1", ""},
        {"reserve_space_2", ""}}},
      {"FusedBatchNormV2",
       {{"y", ""},
        {"batch_mean", ""},
        {"batch_variance", ""},
        {"reserve_space_1", ""},
        {"reserve_space_2", ""}}},
      {"FusedBatchNormV3",
       {{"y", ""},
        {"batch_mean", ""},
        {"batch_variance", ""},
        {"reserve_space_1", ""},
        {"reserve_space_2", ""},
        {"reserve_space_3", ""}}},
      {"ParseExample",
       {{"sparse_indices", "Nsparse"},
        {"sparse_values", "sparse_types"},
        {"sparse_shapes", "Nsparse"},
        {"dense_values", "Tdense"}}},
      {"ParseExampleV2",
       {{"sparse_indices", "num_sparse"},
        {"sparse_values", "sparse_types"},
        {"sparse_shapes", "num_sparse"},
        {"dense_values", "Tdense"},
        {"ragged_values", "ragged_value_types"},
        {"ragged_row_splits", "ragged_split_types"}}},
      {"ParseSingleExample",
       {{"sparse_indices", "num_sparse"},
        {"sparse_values", "sparse_types"},
        {"sparse_shapes", "num_sparse"},
        {"dense_values", "Tdense"}}},
  };
  return *m;
}

int CountFromAttr(const AttrMap& attrs, const std::string& attr) {
  auto it = attrs.find(attr);
  if (it == attrs.end()) return -1;
  if (it->second.value_case() == AttrValue::kI) return static_cast<int>(it->second.i());
  if (it->second.value_case() == AttrValue::kList) return it->second.list().type_size();
  return -1;
}

int ArgCountFromOpDef(const OpDef::ArgDef& arg, const AttrMap& attrs, const OpDef& def) {
  std::string attr = !arg.number_attr().empty() ? arg.number_attr() : arg.type_list_attr();
  if (attr.empty()) return 1;
  int n = CountFromAttr(attrs, attr);
  if (n >= 0) return n;
  for (const auto& a : def.attr()) {
    if (a.name() == attr && a.has_default_value()) {
      if (a.default_value().value_case() == AttrValue::kI)
        return static_cast<int>(a.default_value().i());
      if (a.default_value().value_case() == AttrValue::kList)
        return a.default_value().list().type_size();
    }
  }
  return -1;
}

// Flat output position of `arg`:`index` of a node.
absl::StatusOr<int> FlatOutputIndex(const tensorflow::NodeDef& node, const std::string& arg,
                                    int index, const tensorflow::FunctionDefLibrary* library) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("cannot resolve output '", node.name(), ":", arg,
                                                   ":", index, "' of op ", node.op(), ": ", why));
  };
  if (const OpDef* def = FindOpDef(node.op())) {
    int base = 0;
    for (const auto& a : def->output_arg()) {
      int n = ArgCountFromOpDef(a, node.attr(), *def);
      if (n < 0) return bad(absl::StrCat("unknown size of output list '", a.name(), "'"));
      if (a.name() == arg) {
        if (index >= n) return bad(absl::StrCat("'", arg, "' has only ", n, " tensors"));
        return base + index;
      }
      base += n;
    }
    return bad("no such output arg");
  }
  if (const auto* f = FindFunction(library, node.op())) {
    int base = 0;
    for (const auto& a : f->signature().output_arg()) {
      if (a.name() == arg) return base + index;
      base += 1;
    }
    return bad("no such output in the function's signature");
  }
  auto it = BuiltinOutputs().find(node.op());
  if (it != BuiltinOutputs().end()) {
    int base = 0;
    for (const auto& a : it->second) {
      int n = 1;
      if (a.count_attr[0] != '\0') {
        n = CountFromAttr(node.attr(), a.count_attr);
        if (n < 0) return bad(absl::StrCat("missing attr '", a.count_attr, "'"));
      }
      if (arg == a.name) return base + index;
      base += n;
    }
    return bad("no such output arg");
  }
  // An op with a single output arg: the index is the position.
  return index;
}

// Replaces attr placeholders ("$T"-style references to the function's attrs).
absl::Status SubstituteAttr(AttrValue* v, const AttrMap& attrs, const std::string& fname) {
  if (v->value_case() == AttrValue::kPlaceholder) {
    auto it = attrs.find(v->placeholder());
    if (it == attrs.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("function '", fname, "': attr '", v->placeholder(), "' is not given"));
    }
    *v = it->second;
  } else if (v->value_case() == AttrValue::kFunc) {
    for (auto& [k, a] : *v->mutable_func()->mutable_attr()) {
      TFM_RETURN_IF_ERROR(SubstituteAttr(&a, attrs, fname));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<DType> ArgType(const OpDef::ArgDef& arg, const AttrMap& attrs,
                              const std::string& fname) {
  if (arg.type() != tensorflow::DT_INVALID) return BaseDType(arg.type());
  if (!arg.type_attr().empty()) {
    auto it = attrs.find(arg.type_attr());
    if (it != attrs.end() && it->second.value_case() == AttrValue::kType)
      return BaseDType(it->second.type());
    return absl::InvalidArgumentError(absl::StrCat("function '", fname, "': arg '", arg.name(),
                                                   "' needs attr '", arg.type_attr(), "'"));
  }
  return absl::UnimplementedError(
      absl::StrCat("function '", fname, "': list-typed arg '", arg.name(), "' is not supported"));
}

}  // namespace

void RegisterOpDefs(const tensorflow::OpList& ops) {
  std::lock_guard<std::mutex> l(OpDefMu());
  for (const auto& op : ops.op()) {
    auto& slot = OpDefs()[op.name()];
    if (!slot) slot = std::make_unique<OpDef>(op);
  }
}

const OpDef* FindOpDef(const std::string& op) {
  std::lock_guard<std::mutex> l(OpDefMu());
  auto it = OpDefs().find(op);
  return it == OpDefs().end() ? nullptr : it->second.get();
}

const tensorflow::FunctionDef* FindFunction(const tensorflow::FunctionDefLibrary* library,
                                            const std::string& name) {
  if (library == nullptr) return nullptr;
  for (const auto& f : library->function()) {
    if (f.signature().name() == name) return &f;
  }
  return nullptr;
}

namespace {

// api_implements / api_preferred_device of a function, and whether it is an inference
// function (forward/backward functions of a training graph pair up by attrs).
struct ApiInfo {
  std::string interface;
  std::string device;
  bool inference = true;
};

ApiInfo ApiInfoOf(const tensorflow::FunctionDef& f) {
  ApiInfo info;
  for (const auto& [k, v] : f.attr()) {
    if (k == "api_implements") info.interface = v.s();
    if (k == "api_preferred_device") info.device = v.s();
    if (k == "forward_function_name" || k == "backward_function_name") info.inference = false;
  }
  return info;
}

}  // namespace

std::string SelectCpuImplementation(const tensorflow::FunctionDefLibrary* library,
                                    const std::string& name) {
  const tensorflow::FunctionDef* f = FindFunction(library, name);
  if (f == nullptr) return name;
  ApiInfo info = ApiInfoOf(*f);
  if (info.interface.empty() || !info.inference || info.device == "CPU") return name;
  for (const auto& other : library->function()) {
    if (other.signature().name() == name) continue;
    ApiInfo o = ApiInfoOf(other);
    if (o.inference && o.interface == info.interface && o.device == "CPU") {
      return other.signature().name();
    }
  }
  return name;
}

std::set<std::string> ReachableFunctions(
    const tensorflow::FunctionDefLibrary* library,
    const google::protobuf::RepeatedPtrField<tensorflow::NodeDef>& nodes) {
  std::set<std::string> seen;
  std::vector<const tensorflow::FunctionDef*> work;
  auto visit = [&](const std::string& requested) {
    const std::string name = SelectCpuImplementation(library, requested);
    const tensorflow::FunctionDef* f = FindFunction(library, name);
    if (f != nullptr && seen.insert(name).second) work.push_back(f);
  };
  auto scan = [&](const google::protobuf::RepeatedPtrField<tensorflow::NodeDef>& ns) {
    for (const auto& n : ns) {
      visit(n.op());
      for (const auto& [k, v] : n.attr()) {
        if (v.value_case() == AttrValue::kFunc) visit(v.func().name());
        if (v.value_case() == AttrValue::kList) {
          for (const auto& fn : v.list().func()) visit(fn.name());
        }
      }
    }
  };
  scan(nodes);
  while (!work.empty()) {
    const tensorflow::FunctionDef* f = work.back();
    work.pop_back();
    scan(f->node_def());
  }
  return seen;
}

absl::StatusOr<FunctionGraph> FunctionToGraph(const tensorflow::FunctionDef& fdef,
                                              const AttrMap& call_attrs,
                                              const tensorflow::FunctionDefLibrary* library) {
  const auto& sig = fdef.signature();
  const std::string& fname = sig.name();
  // Call-site attrs, then the function's own defaults.
  AttrMap attrs = call_attrs;
  for (const auto& a : sig.attr()) {
    if (!attrs.contains(a.name()) && a.has_default_value()) attrs[a.name()] = a.default_value();
  }
  FunctionGraph fg;
  std::unordered_map<std::string, const tensorflow::NodeDef*> body;
  for (const auto& nd : fdef.node_def()) body[nd.name()] = &nd;
  std::set<std::string> arg_names;
  for (int i = 0; i < sig.input_arg_size(); ++i) {
    const auto& a = sig.input_arg(i);
    TFM_ASSIGN_OR_RETURN(DType t, ArgType(a, attrs, fname));
    auto* nd = fg.graph.add_node();
    nd->set_name(a.name());
    nd->set_op("_Arg");
    (*nd->mutable_attr())["T"].set_type(static_cast<tensorflow::DataType>(t));
    (*nd->mutable_attr())["index"].set_i(i);
    fg.arg_feeds.push_back(absl::StrCat(a.name(), ":0"));
    fg.arg_types.push_back(t);
    arg_names.insert(a.name());
  }
  // "node:arg:i" -> "node:flat"; "argname" -> "argname:0"; "^x" unchanged.
  auto resolve = [&](const std::string& in) -> absl::StatusOr<std::string> {
    if (!in.empty() && in[0] == '^') return in;
    std::vector<std::string> parts = absl::StrSplit(in, ':');
    if (parts.size() == 1) {
      if (arg_names.count(parts[0]) || body.count(parts[0])) return absl::StrCat(parts[0], ":0");
    } else if (parts.size() == 2) {
      return in;  // already "node:index"
    } else if (parts.size() == 3) {
      int idx = 0;
      if (!absl::SimpleAtoi(parts[2], &idx) || idx < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("function '", fname, "': bad tensor name '", in, "'"));
      }
      auto it = body.find(parts[0]);
      if (it == body.end()) {
        return absl::InvalidArgumentError(absl::StrCat("function '", fname, "': input '", in,
                                                       "' names unknown node '", parts[0], "'"));
      }
      auto flat = FlatOutputIndex(*it->second, parts[1], idx, library);
      if (!flat.ok()) return Annotate(flat.status(), absl::StrCat("function '", fname, "'"));
      return absl::StrCat(parts[0], ":", *flat);
    }
    return absl::InvalidArgumentError(
        absl::StrCat("function '", fname, "': bad tensor name '", in, "'"));
  };
  // Copy the body with attrs substituted first: output list sizes may come from them.
  body.clear();
  for (const auto& src : fdef.node_def()) {
    auto* nd = fg.graph.add_node();
    *nd = src;
    for (auto& [k, v] : *nd->mutable_attr()) TFM_RETURN_IF_ERROR(SubstituteAttr(&v, attrs, fname));
    body[nd->name()] = nd;
  }
  for (int n = sig.input_arg_size(); n < fg.graph.node_size(); ++n) {
    auto* nd = fg.graph.mutable_node(n);
    for (int k = 0; k < nd->input_size(); ++k) {
      TFM_ASSIGN_OR_RETURN(std::string r, resolve(nd->input(k)));
      nd->set_input(k, r);
    }
  }
  for (int i = 0; i < sig.output_arg_size(); ++i) {
    const auto& a = sig.output_arg(i);
    auto it = fdef.ret().find(a.name());
    if (it == fdef.ret().end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("function '", fname, "': output '", a.name(), "' has no ret mapping"));
    }
    TFM_ASSIGN_OR_RETURN(std::string r, resolve(it->second));
    fg.ret_fetches.push_back(r);
    TFM_ASSIGN_OR_RETURN(DType t, ArgType(a, attrs, fname));
    fg.ret_types.push_back(t);
  }
  for (const auto& cr : sig.control_output()) {
    auto it = fdef.control_ret().find(cr);
    if (it != fdef.control_ret().end()) fg.control_targets.push_back(it->second);
  }
  return fg;
}

}  // namespace tfmodel

namespace tfmodel {
namespace {

bool IsCall(const tensorflow::NodeDef& n, const tensorflow::FunctionDefLibrary* library,
            std::string* fname, const AttrMap** attrs) {
  if (n.op() == "PartitionedCall" || n.op() == "StatefulPartitionedCall") {
    auto it = n.attr().find("f");
    if (it == n.attr().end() || it->second.value_case() != tensorflow::AttrValue::kFunc) {
      return false;
    }
    *fname = it->second.func().name();
    *attrs = &it->second.func().attr();
    return true;
  }
  if (FindFunction(library, n.op()) != nullptr) {
    *fname = n.op();
    *attrs = &n.attr();
    return true;
  }
  return false;
}

void CollectFuncRefs(const tensorflow::AttrValue& v, std::vector<std::string>* out) {
  if (v.value_case() == tensorflow::AttrValue::kFunc) {
    out->push_back(v.func().name());
    for (const auto& [k, a] : v.func().attr()) CollectFuncRefs(a, out);
  } else if (v.value_case() == tensorflow::AttrValue::kList) {
    for (const auto& f : v.list().func()) out->push_back(f.name());
  }
}

}  // namespace

void PruneFunctionLibrary(tensorflow::GraphDef* g) {
  const auto& lib = g->library();
  std::set<std::string> used;
  std::vector<std::string> todo;
  auto visit_node = [&](const tensorflow::NodeDef& n) {
    if (FindFunction(&lib, n.op())) todo.push_back(n.op());
    for (const auto& [k, v] : n.attr()) CollectFuncRefs(v, &todo);
  };
  for (const auto& n : g->node()) visit_node(n);
  while (!todo.empty()) {
    std::string f = todo.back();
    todo.pop_back();
    if (!used.insert(f).second) continue;
    if (const auto* fd = FindFunction(&lib, f)) {
      for (const auto& n : fd->node_def()) visit_node(n);
    }
  }
  tensorflow::FunctionDefLibrary kept;
  for (const auto& f : lib.function()) {
    if (used.count(f.signature().name())) *kept.add_function() = f;
  }
  for (const auto& gr : lib.gradient()) {
    if (used.count(gr.function_name())) *kept.add_gradient() = gr;
  }
  if (kept.function_size() == 0 && kept.gradient_size() == 0) {
    g->clear_library();
  } else {
    *g->mutable_library() = std::move(kept);
  }
}

absl::StatusOr<tensorflow::GraphDef> InlineFunctionCalls(const tensorflow::GraphDef& graph,
                                                         InlineReport* report) {
  const tensorflow::FunctionDefLibrary* library = &graph.library();
  tensorflow::GraphDef cur = graph;
  InlineReport local;
  for (int round = 0;; ++round) {
    bool any = false;
    tensorflow::GraphDef next;
    *next.mutable_versions() = cur.versions();
    std::set<std::string> names;
    for (const auto& n : cur.node()) names.insert(n.name());
    for (const auto& n : cur.node()) {
      std::string fname;
      const AttrMap* call_attrs = nullptr;
      if (!IsCall(n, library, &fname, &call_attrs)) {
        *next.add_node() = n;
        continue;
      }
      if (round >= 32) {
        return absl::InvalidArgumentError(absl::StrCat("node '", n.name(), "' (", n.op(),
                                                       "): function calls nest more than 32 deep"));
      }
      any = true;
      fname = SelectCpuImplementation(library, fname);
      const tensorflow::FunctionDef* fdef = FindFunction(library, fname);
      if (fdef == nullptr) {
        return absl::NotFoundError(absl::StrCat("node '", n.name(), "' (", n.op(), "): function '",
                                                fname, "' is not in the graph's library"));
      }
      auto fg = FunctionToGraph(*fdef, *call_attrs, library);
      if (!fg.ok()) {
        return Annotate(fg.status(), absl::StrCat("inlining node '", n.name(), "'"));
      }
      std::vector<std::string> data_in, control_in;
      for (const auto& in : n.input()) {
        (!in.empty() && in[0] == '^' ? control_in : data_in).push_back(in);
      }
      if (data_in.size() != fg->arg_feeds.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("node '", n.name(), "' passes ", data_in.size(), " inputs to function '",
                         fname, "', which takes ", fg->arg_feeds.size()));
      }
      std::map<std::string, std::string> arg_to_input;
      for (size_t i = 0; i < data_in.size(); ++i) {
        arg_to_input[ParseTensorName(fg->arg_feeds[i]).node] = data_in[i];
      }
      const std::string prefix = n.name() + "/";
      auto rename = [&](const std::string& in) -> std::string {
        bool control = !in.empty() && in[0] == '^';
        std::string node = ParseTensorName(in).node;
        auto a = arg_to_input.find(node);
        if (control) {
          return a != arg_to_input.end() ? absl::StrCat("^", ParseTensorName(a->second).node)
                                         : absl::StrCat("^", prefix, node);
        }
        if (a != arg_to_input.end()) return a->second;
        return absl::StrCat(prefix, in);
      };
      for (const auto& b : fg->graph.node()) {
        if (b.op() == "_Arg") continue;
        tensorflow::NodeDef* c = next.add_node();
        *c = b;
        c->set_name(prefix + b.name());
        if (names.count(c->name())) {
          return absl::AlreadyExistsError(absl::StrCat("inlining node '", n.name(),
                                                       "': the graph already has a node named '",
                                                       c->name(), "'"));
        }
        for (int k = 0; k < c->input_size(); ++k) c->set_input(k, rename(c->input(k)));
        if (c->input_size() == 0) {
          for (const auto& ci : control_in) c->add_input(ci);
        }
      }
      tensorflow::NodeDef* r = next.add_node();
      r->set_name(n.name());
      r->set_device(n.device());
      if (fg->ret_fetches.empty()) {
        r->set_op("NoOp");
      } else if (fg->ret_fetches.size() == 1) {
        r->set_op("Identity");
        (*r->mutable_attr())["T"].set_type(static_cast<tensorflow::DataType>(fg->ret_types[0]));
      } else {
        r->set_op("IdentityN");
        auto* types = (*r->mutable_attr())["T"].mutable_list();
        for (DType t : fg->ret_types) types->add_type(static_cast<tensorflow::DataType>(t));
      }
      for (const auto& ret : fg->ret_fetches) r->add_input(rename(ret));
      for (const auto& t : fg->control_targets) r->add_input(rename("^" + ParseTensorName(t).node));
      for (const auto& ci : control_in) r->add_input(ci);
      ++local.calls_inlined;
    }
    cur = std::move(next);
    if (!any) break;
  }
  *cur.mutable_library() = graph.library();
  PruneFunctionLibrary(&cur);
  if (report) *report = local;
  return cur;
}

}  // namespace tfmodel
