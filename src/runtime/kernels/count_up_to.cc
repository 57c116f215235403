// CountUpTo (on a TF1 reference variable) and ResourceCountUpTo (on a resource variable):
// increment a scalar int32/int64 variable and return its value before the increment, or
// fail with OutOfRange "Reached limit of <limit>" once it has reached `limit` (as TF's
// count_up_to_op.cc).
#include <type_traits>

#include "runtime/kernel.h"
#include "runtime/kernels/var_util.h"
#include "runtime/resource_mgr.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;

template <typename T>
absl::Status CountUp(KernelContext* ctx, Var* var, int64_t limit, DType want) {
  std::lock_guard<std::mutex> l(var->mu);
  if (!var->initialized) {
    return absl::FailedPreconditionError(absl::StrCat("node '", ctx->node_name(), "' (", ctx->op(),
                                                      "): Attempting to use uninitialized value"));
  }
  const Tensor& cur = var->tensor;
  if (cur.dtype() != want) {
    return ctx->Error(
        absl::StrCat("variable is ", DTypeName(cur.dtype()), " but T is ", DTypeName(want)));
  }
  if (cur.rank() != 0) {
    return ctx->Error(absl::StrCat("input is not a scalar: ", cur.shape().ToString()));
  }
  const T before = cur.data<T>()[0];
  if (static_cast<int64_t>(before) >= limit) {
    return absl::OutOfRangeError(
        absl::StrCat("node '", ctx->node_name(), "' (", ctx->op(), "): Reached limit of ", limit));
  }
  // A fresh buffer: readers holding the old value keep it unchanged.
  var->tensor = Tensor::Scalar<T>(
      static_cast<T>(static_cast<std::make_unsigned_t<T>>(before) + 1u));  // wraps, no UB
  ctx->set_output(0, Tensor::Scalar<T>(before));
  return absl::OkStatus();
}

Result MakeCountUpTo(const KernelInit& init) {
  int64_t limit = 0;
  TFM_RETURN_IF_ERROR(init.GetAttr("limit", &limit));
  DType t = DType::kInvalid;
  TFM_RETURN_IF_ERROR(init.GetAttr("T", &t));
  if (t != DType::kInt32 && t != DType::kInt64) {
    return init.Error(absl::StrCat("T must be int32 or int64, got ", DTypeName(t)));
  }
  return MakeKernel([limit, t](KernelContext* ctx) -> absl::Status {
    TFM_ASSIGN_OR_RETURN(auto var, InputVar(ctx, 0));
    if (t == DType::kInt32) return CountUp<int32_t>(ctx, var.get(), limit, t);
    return CountUp<int64_t>(ctx, var.get(), limit, t);
  });
}

}  // namespace

void RegisterCountUpToKernels(KernelRegistry& r) {
  r.Register("CountUpTo", MakeCountUpTo);
  r.Register("ResourceCountUpTo", MakeCountUpTo);
}

}  // namespace tfmodel::runtime
