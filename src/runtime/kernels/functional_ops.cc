// Control flow v2 (TF2 graphs): If / StatelessIf, Case / StatelessCase, While /
// StatelessWhile. Each branch, condition and body is a library function compiled once
// when the kernel is built; Compute only calls the compiled plans.
//
// Truthiness follows TensorFlow's ToBool: a scalar is true when it differs from its
// type's zero (a string when non-empty); a tensor of rank >= 1 is true when it has at
// least one element.
#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/function.h"
#include "runtime/kernel.h"

namespace tfmodel::runtime {
namespace {

using tensorflow::AttrValue;

absl::StatusOr<bool> ToBool(const Tensor& t) {
  if (t.rank() > 0) return t.NumElements() > 0;
  if (t.dtype() == DType::kString) return !t.scalar<std::string>().empty();
  if (t.dtype() == DType::kHalf) return t.scalar<Half>().ToFloat() != 0.0f;
  if (t.dtype() == DType::kBFloat16) return t.scalar<BFloat16>().ToFloat() != 0.0f;
  bool result = false;
  bool known = DispatchNumeric(t.dtype(), [&]<typename T>() { result = t.scalar<T>() != T(0); });
  if (!known) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot use a ", DTypeName(t.dtype()), " scalar as a condition"));
  }
  return result;
}

absl::StatusOr<std::unique_ptr<CompiledFunction>> CompileFuncAttr(const KernelInit& init,
                                                                  const AttrValue& v,
                                                                  absl::string_view attr) {
  if (v.value_case() != AttrValue::kFunc) {
    return init.Error(absl::StrCat("attr '", attr, "' must name a function"));
  }
  auto f = CompiledFunction::Compile(init.library(), v.func().name(), v.func().attr());
  if (!f.ok()) {
    return init.Error(absl::StrCat("attr '", attr, "': ", f.status().message()));
  }
  return f;
}

absl::StatusOr<std::unique_ptr<CompiledFunction>> CompileFunc(const KernelInit& init,
                                                              absl::string_view attr) {
  const AttrValue* v = init.FindAttr(attr);
  if (v == nullptr) return init.Error(absl::StrCat("missing attr '", attr, "'"));
  return CompileFuncAttr(init, *v, attr);
}

// Checks that a branch takes `num_args` arguments and returns `num_rets` values.
absl::Status CheckArity(const KernelInit& init, const CompiledFunction& f, int num_args,
                        int num_rets, absl::string_view role) {
  if (f.num_args() != num_args) {
    return init.Error(absl::StrCat(role, " '", f.name(), "' takes ", f.num_args(),
                                   " arguments but the node passes ", num_args));
  }
  if (num_rets >= 0 && f.num_rets() != num_rets) {
    return init.Error(absl::StrCat(role, " '", f.name(), "' returns ", f.num_rets(),
                                   " values but the node has ", num_rets, " outputs"));
  }
  return absl::OkStatus();
}

absl::Status SetOutputs(KernelContext* ctx, std::vector<Tensor>* rets) {
  for (size_t i = 0; i < rets->size(); ++i) {
    ctx->set_output(static_cast<int>(i), std::move((*rets)[i]));
  }
  return absl::OkStatus();
}

int NumOutputs(const KernelInit& init, absl::string_view type_list_attr) {
  const AttrValue* v = init.FindAttr(type_list_attr);
  if (v == nullptr || v->value_case() != AttrValue::kList) return -1;
  return v->list().type_size();
}

// A branch of If / Case: compiled, or (when it needs GPU-only ops such as CudnnRNN, which
// no CPU can run, TensorFlow included) an error reported only if the branch is taken.
struct Branch {
  std::unique_ptr<CompiledFunction> f;
  std::string error;
};

// Compiles branch `v` (attr `role`); see Branch.
absl::StatusOr<Branch> CompileBranch(const KernelInit& init, const AttrValue& v,
                                     absl::string_view role, int num_rets) {
  Branch b;
  auto f = CompileFuncAttr(init, v, role);
  if (f.ok()) {
    TFM_RETURN_IF_ERROR(CheckArity(init, **f, init.num_inputs() - 1, num_rets, role));
    b.f = std::move(*f);
    return b;
  }
  if (v.value_case() != AttrValue::kFunc) return f.status();
  std::set<std::string> missing = OpsWithoutKernels(init.library(), v.func().name());
  if (missing.empty() || !std::all_of(missing.begin(), missing.end(), IsGpuOnlyOp)) {
    return f.status();
  }
  b.error =
      absl::StrCat(role, " '", v.func().name(), "' cannot run on a CPU: it needs the GPU-only ",
                   "op(s) ", absl::StrJoin(missing, ", "));
  return b;
}

absl::Status CheckSomeBranchRuns(const KernelInit& init, const std::vector<Branch>& branches) {
  for (const auto& b : branches) {
    if (b.f) return absl::OkStatus();
  }
  return init.Error(branches.front().error);
}

// Runs one of several compiled functions on inputs 1..n (input 0 selects).
class BranchKernel : public OpKernel {
 public:
  BranchKernel(std::vector<Branch> branches, bool is_case)
      : branches_(std::move(branches)), is_case_(is_case) {}

  absl::Status Compute(KernelContext* ctx) const override {
    const Tensor& sel = ctx->input(0);
    size_t pick = 0;
    if (is_case_) {
      if (sel.dtype() != DType::kInt32 || sel.rank() != 0) {
        return ctx->Error(absl::StrCat("branch_index must be an int32 scalar, got ",
                                       DTypeName(sel.dtype()), " ", sel.shape().ToString()));
      }
      int32_t b = sel.scalar<int32_t>();
      // Out-of-range indices run the last branch, as TensorFlow's Case does.
      pick = (b < 0 || static_cast<size_t>(b) >= branches_.size()) ? branches_.size() - 1
                                                                   : static_cast<size_t>(b);
    } else {
      auto c = ToBool(sel);
      if (!c.ok()) return ctx->Error(c.status().message());
      pick = *c ? 0 : 1;
    }
    const Branch& branch = branches_[pick];
    if (!branch.f) return ctx->Error(branch.error);
    std::vector<Tensor> args = TakeInputs(ctx, 1);
    std::vector<Tensor> rets;
    absl::Status s = branch.f->CallDonated(CallContextOf(*ctx), absl::MakeSpan(args), &rets);
    if (!s.ok()) return ctx->Error(s.message());
    return SetOutputs(ctx, &rets);
  }

 private:
  std::vector<Branch> branches_;
  bool is_case_;
};

absl::StatusOr<std::unique_ptr<OpKernel>> MakeIf(const KernelInit& init) {
  if (init.num_inputs() < 1) return init.Error("needs a condition input");
  int nout = NumOutputs(init, "Tout");
  std::vector<Branch> branches;
  for (const char* attr : {"then_branch", "else_branch"}) {
    const AttrValue* v = init.FindAttr(attr);
    if (v == nullptr) return init.Error(absl::StrCat("missing attr '", attr, "'"));
    TFM_ASSIGN_OR_RETURN(Branch b, CompileBranch(init, *v, attr, nout));
    branches.push_back(std::move(b));
  }
  TFM_RETURN_IF_ERROR(CheckSomeBranchRuns(init, branches));
  return std::unique_ptr<OpKernel>(new BranchKernel(std::move(branches), /*is_case=*/false));
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeCase(const KernelInit& init) {
  if (init.num_inputs() < 1) return init.Error("needs a branch_index input");
  const AttrValue* list = init.FindAttr("branches");
  if (list == nullptr || list->value_case() != AttrValue::kList || list->list().func_size() == 0) {
    return init.Error("attr 'branches' must list at least one function");
  }
  int nout = NumOutputs(init, "Tout");
  std::vector<Branch> branches;
  for (int i = 0; i < list->list().func_size(); ++i) {
    AttrValue one;
    *one.mutable_func() = list->list().func(i);
    std::string role = absl::StrCat("branches[", i, "]");
    TFM_ASSIGN_OR_RETURN(Branch b, CompileBranch(init, one, role, nout));
    branches.push_back(std::move(b));
  }
  TFM_RETURN_IF_ERROR(CheckSomeBranchRuns(init, branches));
  return std::unique_ptr<OpKernel>(new BranchKernel(std::move(branches), /*is_case=*/true));
}

class WhileKernel : public OpKernel {
 public:
  WhileKernel(std::unique_ptr<CompiledFunction> cond, std::unique_ptr<CompiledFunction> body)
      : cond_(std::move(cond)), body_(std::move(body)) {}

  absl::Status Compute(KernelContext* ctx) const override {
    // Loop variables are handed to each body call (see CompiledFunction::CallDonated), so
    // a TensorList the loop owns is updated in place rather than copied every iteration.
    std::vector<Tensor> vars = TakeInputs(ctx, 0);
    std::vector<DType> types;
    types.reserve(vars.size());
    for (const Tensor& v : vars) types.push_back(v.dtype());
    RunContext rc = CallContextOf(*ctx);
    std::vector<Tensor> pred, next;
    for (int64_t iter = 0;; ++iter) {
      pred.clear();
      absl::Status s = cond_->Call(rc, vars, &pred);
      if (!s.ok()) return ctx->Error(absl::StrCat("iteration ", iter, ": ", s.message()));
      if (pred.size() != 1) {
        return ctx->Error(absl::StrCat("cond '", cond_->name(), "' returned ", pred.size(),
                                       " values; it must return one"));
      }
      auto c = ToBool(pred[0]);
      if (!c.ok())
        return ctx->Error(absl::StrCat("cond '", cond_->name(), "': ", c.status().message()));
      if (!*c) break;
      next.clear();
      s = body_->CallDonated(rc, absl::MakeSpan(vars), &next);
      if (!s.ok()) return ctx->Error(absl::StrCat("iteration ", iter, ": ", s.message()));
      if (next.size() != types.size()) {
        return ctx->Error(absl::StrCat("body '", body_->name(), "' returned ", next.size(),
                                       " values for ", types.size(), " loop variables"));
      }
      for (size_t i = 0; i < types.size(); ++i) {
        if (next[i].dtype() != types[i]) {
          return ctx->Error(absl::StrCat("body '", body_->name(), "' changed loop variable ", i,
                                         " from ", DTypeName(types[i]), " to ",
                                         DTypeName(next[i].dtype())));
        }
      }
      vars.swap(next);
    }
    return SetOutputs(ctx, &vars);
  }

 private:
  std::unique_ptr<CompiledFunction> cond_, body_;
};

absl::StatusOr<std::unique_ptr<OpKernel>> MakeWhile(const KernelInit& init) {
  int n = init.num_inputs();
  TFM_ASSIGN_OR_RETURN(auto cond, CompileFunc(init, "cond"));
  TFM_RETURN_IF_ERROR(CheckArity(init, *cond, n, /*num_rets=*/-1, "cond"));
  TFM_ASSIGN_OR_RETURN(auto body, CompileFunc(init, "body"));
  TFM_RETURN_IF_ERROR(CheckArity(init, *body, n, n, "body"));
  return std::unique_ptr<OpKernel>(new WhileKernel(std::move(cond), std::move(body)));
}

}  // namespace

void RegisterFunctionalKernels(KernelRegistry& r) {
  r.Register("If", MakeIf);
  r.Register("StatelessIf", MakeIf);
  r.Register("Case", MakeCase);
  r.Register("StatelessCase", MakeCase);
  r.Register("While", MakeWhile);
  r.Register("StatelessWhile", MakeWhile);
}

}  // namespace tfmodel::runtime
