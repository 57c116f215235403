#include "runtime/kernels/var_util.h"

#include "absl/strings/str_cat.h"

namespace tfmodel::runtime {

absl::Status VariableNotFound(const KernelContext* ctx, const std::string& name) {
  return absl::FailedPreconditionError(absl::StrCat(
      "node '", ctx->node_name(), "' (", ctx->op(), "): Could not find variable ", name,
      ". This could mean that the variable has been deleted. In TF1, it can also mean the "
      "variable is uninitialized."));
}

absl::StatusOr<std::shared_ptr<Var>> InputVar(KernelContext* ctx, int i, std::string* name) {
  if (i >= ctx->num_inputs()) return ctx->Error(absl::StrCat("missing variable input ", i));
  const Tensor& t = ctx->input(i);
  if (t.dtype() != DType::kResource || t.NumElements() != 1) {
    return ctx->Error(absl::StrCat("input ", i, " must be a variable (resource handle), got ",
                                   DTypeName(t.dtype()), " ", t.shape().ToString()));
  }
  const ResourceHandle& h = t.flat<ResourceHandle>()[0];
  if (name) *name = h.name;
  if (h.resource && (h.type_name == kVarTypeName || h.type_name == kRefTypeName)) {
    return std::static_pointer_cast<Var>(h.resource);
  }
  if (ctx->resources() == nullptr) return ctx->Error("no resource manager");
  auto v = ctx->resources()->Lookup<Var>(h.container, h.name, kVarTypeName);
  if (!v.ok()) return VariableNotFound(ctx, h.name);
  return v;
}

}  // namespace tfmodel::runtime
