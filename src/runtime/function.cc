#include "runtime/function.h"

#include <set>
#include <unordered_map>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "runtime/kernel.h"

namespace tfmodel::runtime {
namespace {

using tensorflow::AttrValue;

thread_local int g_compile_depth = 0;

// Calls a compiled function with the node's inputs; outputs are its returns.
class CallKernel : public OpKernel {
 public:
  explicit CallKernel(std::unique_ptr<CompiledFunction> f) : f_(std::move(f)) {}
  absl::Status Compute(KernelContext* ctx) const override {
    std::vector<Tensor> args = TakeInputs(ctx, 0);
    RunContext rc = CallContextOf(*ctx);
    std::vector<Tensor> rets;
    absl::Status s = f_->CallDonated(rc, absl::MakeSpan(args), &rets);
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

absl::StatusOr<std::unique_ptr<CompiledFunction>> CompiledFunction::Compile(
    const tensorflow::FunctionDefLibrary* library, const std::string& requested,
    const AttrMap& attrs) {
  // A GPU-preferring implementation (e.g. Keras' CudnnRNN LSTM) runs as its CPU twin.
  const std::string name = SelectCpuImplementation(library, requested);
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

absl::Status CompiledFunction::CallDonated(const RunContext& ctx, absl::Span<Tensor> args,
                                           std::vector<Tensor>* rets) const {
  if (args.size() != arg_types_.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "function '", name_, "' takes ", arg_types_.size(), " arguments, got ", args.size()));
  }
  return executor_->RunDonated(ctx, args, rets);
}

std::vector<Tensor> TakeInputs(KernelContext* ctx, int begin) {
  std::vector<Tensor> args;
  args.reserve(ctx->num_inputs() > begin ? ctx->num_inputs() - begin : 0);
  for (int i = begin; i < ctx->num_inputs(); ++i) {
    Tensor t = ctx->ForwardInput(i);
    args.push_back(t.valid() ? std::move(t) : ctx->input(i));
  }
  return args;
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

std::set<std::string> OpsWithoutKernels(const tensorflow::FunctionDefLibrary* library,
                                        const std::string& name) {
  std::set<std::string> missing;
  const tensorflow::FunctionDef* root =
      FindFunction(library, SelectCpuImplementation(library, name));
  if (root == nullptr) return missing;
  std::set<std::string> functions = ReachableFunctions(library, root->node_def());
  functions.insert(root->signature().name());
  const KernelRegistry& registry = KernelRegistry::Global();
  for (const auto& fname : functions) {
    for (const auto& n : FindFunction(library, fname)->node_def()) {
      if (FindFunction(library, n.op()) == nullptr && !registry.Has(n.op())) missing.insert(n.op());
    }
  }
  return missing;
}

bool IsGpuOnlyOp(absl::string_view op) { return absl::StartsWith(op, "Cudnn"); }

RunContext CallContextOf(const KernelContext& ctx) {
  return RunContext{ctx.resources(), ctx.functions(), ctx.device(), ctx.step_id()};
}

void RegisterFunctionKernels(KernelRegistry& r) {
  r.Register("PartitionedCall", MakePartitionedCall);
  r.Register("StatefulPartitionedCall", MakePartitionedCall);
}

}  // namespace tfmodel::runtime
