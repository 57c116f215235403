#include "runtime/function.h"

#include <set>
#include <unordered_map>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "runtime/kernel.h"

namespace tfmodel::runtime {
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

thread_local int g_compile_depth = 0;

// Calls a compiled function with the node's inputs; outputs are its returns.
class CallKernel : public OpKernel {
 public:
  explicit CallKernel(std::unique_ptr<CompiledFunction> f) : f_(std::move(f)) {}
  absl::Status Compute(KernelContext* ctx) const override {
    absl::InlinedVector<Tensor, 8> args;
    args.reserve(ctx->num_inputs());
    for (int i = 0; i < ctx->num_inputs(); ++i) args.push_back(ctx->input(i));
    RunContext rc{ctx->resources(), ctx->functions(), ctx->device(), ctx->step_id()};
    std::vector<Tensor> rets;
    absl::Status s = f_->Call(rc, args, &rets);
    if (!s.ok()) return ctx->Error(s.message());
    for (size_t i = 0; i < rets.size(); ++i)
      ctx->set_output(static_cast<int>(i), std::move(rets[i]));
    return absl::OkStatus();
  }

 private:
  std::unique_ptr<CompiledFunction> f_;
};

absl::StatusOr<std::unique_ptr<OpKernel>> MakeCall(const KernelInit& init, const std::string& fname,
                                                   const AttrMap& attrs) {
  auto f = CompiledFunction::Compile(init.library(), fname, attrs);
  if (!f.ok()) return init.Error(f.status().message());
  if ((*f)->num_args() != init.num_inputs()) {
    return init.Error(absl::StrCat("function '", fname, "' takes ", (*f)->num_args(),
                                   " arguments but the node has ", init.num_inputs(), " inputs"));
  }
  return std::unique_ptr<OpKernel>(new CallKernel(std::move(*f)));
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakePartitionedCall(const KernelInit& init) {
  const AttrValue* f = init.FindAttr("f");
  if (f == nullptr || f->value_case() != AttrValue::kFunc)
    return init.Error("attr 'f' must name a function");
  return MakeCall(init, f->func().name(), f->func().attr());
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

absl::StatusOr<std::unique_ptr<CompiledFunction>> CompiledFunction::Compile(
    const tensorflow::FunctionDefLibrary* library, const std::string& name, const AttrMap& attrs) {
  const tensorflow::FunctionDef* fdef = FindFunction(library, name);
  if (fdef == nullptr) {
    return absl::NotFoundError(absl::StrCat("function '", name, "' is not in the graph's library"));
  }
  if (g_compile_depth > 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("function '", name, "' nests calls more than 32 deep (recursion?)"));
  }
  ++g_compile_depth;
  struct Guard {
    ~Guard() { --g_compile_depth; }
  } guard;
  TFM_ASSIGN_OR_RETURN(FunctionGraph fg, FunctionToGraph(*fdef, attrs, library));
  ExecutorOptions opts;
  opts.keep_all_nodes = true;
  opts.context = absl::StrCat("function '", name, "'");
  auto c = std::unique_ptr<CompiledFunction>(new CompiledFunction());
  c->name_ = name;
  c->arg_types_ = fg.arg_types;
  c->ret_types_ = fg.ret_types;
  TFM_ASSIGN_OR_RETURN(c->executor_, Executor::Create(fg.graph, library, fg.arg_feeds,
                                                      fg.ret_fetches, fg.control_targets, opts));
  return c;
}

absl::Status CompiledFunction::Call(const RunContext& ctx, absl::Span<const Tensor> args,
                                    std::vector<Tensor>* rets) const {
  if (args.size() != arg_types_.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "function '", name_, "' takes ", arg_types_.size(), " arguments, got ", args.size()));
  }
  return executor_->Run(ctx, args, rets);
}

absl::StatusOr<const CompiledFunction*> FunctionRuntime::Get(const std::string& name,
                                                             const AttrMap& attrs) {
  std::string key = name;
  std::map<std::string, std::string> sorted;
  for (const auto& [k, v] : attrs) sorted[k] = v.SerializeAsString();
  for (const auto& [k, v] : sorted) absl::StrAppend(&key, "|", k, "=", v);
  std::lock_guard<std::mutex> l(mu_);
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second.get();
  TFM_ASSIGN_OR_RETURN(auto f, CompiledFunction::Compile(library_, name, attrs));
  const CompiledFunction* p = f.get();
  cache_[key] = std::move(f);
  return p;
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeFunctionCallKernel(const KernelInit& init) {
  return MakeCall(init, init.op(), init.node().attr());
}

void RegisterFunctionKernels(KernelRegistry& r) {
  r.Register("PartitionedCall", MakePartitionedCall);
  r.Register("StatefulPartitionedCall", MakePartitionedCall);
}

}  // namespace tfmodel::runtime
