// Variables: TF1 reference variables (VariableV2 and the ops taking its ref) and TF2
// resource variables (VarHandleOp and the *VariableOp family). Both kinds live in the
// model's ResourceMgr as a Var, keyed by (container, shared_name or node name), so their
// values persist across Run calls.
#include <mutex>
#include <type_traits>

#include "runtime/kernel.h"
#include "runtime/kernels/var_util.h"
#include "runtime/resource_mgr.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;

struct VarSpec {
  std::string container;
  std::string name;
  DType dtype = DType::kInvalid;
  PartialShape shape;
};

absl::StatusOr<VarSpec> ReadVarSpec(const KernelInit& init, const char* dtype_attr) {
  VarSpec s;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("container", &s.container));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("shared_name", &s.name));
  if (s.name.empty()) s.name = init.name();
  TFM_RETURN_IF_ERROR(init.GetAttr(dtype_attr, &s.dtype));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("shape", &s.shape));
  return s;
}

absl::StatusOr<std::shared_ptr<Var>> FindOrCreateVar(KernelContext* ctx, const VarSpec& s) {
  if (ctx->resources() == nullptr) return ctx->Error("no resource manager to hold variables");
  auto v = ctx->resources()->LookupOrCreate<Var>(s.container, s.name, kVarTypeName, [&] {
    auto var = std::make_shared<Var>();
    var->dtype = s.dtype;
    var->shape = s.shape;
    return var;
  });
  if (!v.ok()) return ctx->Error(v.status().message());
  return v;
}

Tensor HandleTensor(const VarSpec& s, const char* type_name, std::shared_ptr<Var> var) {
  Tensor t(DType::kResource, TensorShape{});
  ResourceHandle& h = t.scalar<ResourceHandle>();
  h.device = "/job:localhost/replica:0/task:0/device:CPU:0";
  h.container = s.container;
  h.name = s.name;
  h.type_name = type_name;
  h.resource = std::move(var);
  return t;
}

absl::Status CheckDType(KernelContext* ctx, const Var& v, DType got) {
  if (v.dtype != DType::kInvalid && v.dtype != got) {
    return ctx->Error(absl::StrCat("variable has dtype ", DTypeName(v.dtype), " but the value is ",
                                   DTypeName(got)));
  }
  return absl::OkStatus();
}

// The value to store: input `i` itself when nobody else holds its buffer, else a copy.
Tensor OwnedInput(KernelContext* ctx, int i) {
  Tensor t = ctx->ForwardInput(i);
  if (t.valid()) return t;
  return ctx->input(i).DeepCopy();
}

absl::Status StoreValue(KernelContext* ctx, Var* v, const std::string& var_name,
                        bool validate_shape) {
  const Tensor& value = ctx->input(1);
  TFM_RETURN_IF_ERROR(CheckDType(ctx, *v, value.dtype()));
  std::lock_guard<std::mutex> l(v->mu);
  if (validate_shape) {
    if (v->initialized && v->tensor.shape() != value.shape()) {
      return ctx->Error(absl::StrCat("Assign requires shapes of both tensors to match. lhs shape= ",
                                     v->tensor.shape().ToString(),
                                     " rhs shape= ", value.shape().ToString()));
    }
    if (!v->initialized && !v->shape.IsCompatibleWith(value.shape())) {
      return ctx->Error(absl::StrCat(
          "Assign requires shapes of both tensors to match. lhs shape= ", v->shape.ToString(),
          " rhs shape= ", value.shape().ToString()));
    }
  }
  // Copy into the existing buffer when only the variable holds it.
  if (v->initialized && v->tensor.BufferIsUnique() && v->tensor.shape() == value.shape() &&
      v->tensor.dtype() == value.dtype() && DTypeIsPod(value.dtype())) {
    if (value.TotalBytes() > 0)
      std::memcpy(v->tensor.raw_data(), value.raw_data(), value.TotalBytes());
  } else {
    v->tensor = OwnedInput(ctx, 1);
  }
  v->initialized = true;
  return absl::OkStatus();
}

template <bool kAdd>
absl::Status UpdateValue(KernelContext* ctx, Var* v, const std::string& var_name) {
  const Tensor& delta = ctx->input(1);
  std::lock_guard<std::mutex> l(v->mu);
  if (!v->initialized) {
    return absl::FailedPreconditionError(absl::StrCat("node '", ctx->node_name(), "' (", ctx->op(),
                                                      "): Attempting to use uninitialized value ",
                                                      var_name));
  }
  if (v->tensor.dtype() != delta.dtype()) {
    return ctx->Error(absl::StrCat("variable has dtype ", DTypeName(v->tensor.dtype()),
                                   " but the update is ", DTypeName(delta.dtype())));
  }
  if (v->tensor.shape() != delta.shape()) {
    return ctx->Error(absl::StrCat("Must have the same shape: variable ",
                                   v->tensor.shape().ToString(), " vs update ",
                                   delta.shape().ToString()));
  }
  // Copy-on-write: never change a buffer a reader may still hold.
  Tensor target = v->tensor.BufferIsUnique() ? v->tensor : v->tensor.DeepCopy();
  bool ok = DispatchNumeric(delta.dtype(), [&]<typename T>() {
    if constexpr (std::is_same_v<T, bool>) {
      return;
    } else {
      T* d = target.data<T>();
      const T* s = delta.data<T>();
      int64_t n = target.NumElements();
      for (int64_t i = 0; i < n; ++i) {
        // Wrap-around for integers as TF does (no signed overflow UB).
        if constexpr (std::is_integral_v<T>) {
          using U = std::make_unsigned_t<T>;
          d[i] = static_cast<T>(kAdd ? static_cast<U>(d[i]) + static_cast<U>(s[i])
                                     : static_cast<U>(d[i]) - static_cast<U>(s[i]));
        } else {
          d[i] = kAdd ? d[i] + s[i] : d[i] - s[i];
        }
      }
    }
  });
  if (!ok || delta.dtype() == DType::kBool) {
    return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(delta.dtype())));
  }
  v->tensor = std::move(target);
  return absl::OkStatus();
}

// VariableV2 and VarHandleOp: the handle of the variable named by the node, created on
// first use. The handle tensor is built once per resource manager and reused while no
// resource has been deleted from it, so a run reading variables allocates nothing here.
class VarHandleKernel : public OpKernel {
 public:
  VarHandleKernel(VarSpec spec, const char* type_name)
      : spec_(std::move(spec)), type_name_(type_name) {}

  absl::Status Compute(KernelContext* ctx) const override {
    ResourceMgr* rm = ctx->resources();
    const uint64_t gen = rm != nullptr ? rm->generation() : 0;
    if (rm != nullptr) {
      std::lock_guard<std::mutex> l(mu_);
      if (cached_mgr_ == rm->id() && cached_gen_ == gen && cached_.valid()) {
        ctx->set_output(0, cached_);
        return absl::OkStatus();
      }
    }
    TFM_ASSIGN_OR_RETURN(auto var, FindOrCreateVar(ctx, spec_));
    Tensor handle = HandleTensor(spec_, type_name_, std::move(var));
    if (rm != nullptr) {
      // The generation read before the lookup: a deletion racing with it invalidates.
      std::lock_guard<std::mutex> l(mu_);
      cached_mgr_ = rm->id();
      cached_gen_ = gen;
      cached_ = handle;
    }
    ctx->set_output(0, std::move(handle));
    return absl::OkStatus();
  }

 private:
  const VarSpec spec_;
  const char* const type_name_;
  mutable std::mutex mu_;
  mutable uint64_t cached_mgr_ = 0;  // ResourceMgr::id()
  mutable uint64_t cached_gen_ = 0;
  mutable Tensor cached_;
};

Result MakeVariableV2(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(VarSpec s, ReadVarSpec(init, "dtype"));
  return std::make_unique<VarHandleKernel>(std::move(s), kRefTypeName);
}

Result MakeAssign(const KernelInit& init) {
  bool validate_shape = true;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("validate_shape", &validate_shape));
  return MakeKernel([validate_shape](KernelContext* ctx) -> absl::Status {
    std::string name;
    TFM_ASSIGN_OR_RETURN(auto var, InputVar(ctx, 0, &name));
    TFM_RETURN_IF_ERROR(StoreValue(ctx, var.get(), name, validate_shape));
    ctx->set_output(0, ctx->input(0));
    return absl::OkStatus();
  });
}

template <bool kAdd>
Result MakeAssignUpdate(const KernelInit& init) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    std::string name;
    TFM_ASSIGN_OR_RETURN(auto var, InputVar(ctx, 0, &name));
    TFM_RETURN_IF_ERROR(UpdateValue<kAdd>(ctx, var.get(), name));
    ctx->set_output(0, ctx->input(0));
    return absl::OkStatus();
  });
}

Result MakeIsInitialized(const KernelInit& init) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    const Tensor& t = ctx->input(0);
    bool initialized = false;
    if (t.dtype() == DType::kResource && t.NumElements() == 1) {
      const ResourceHandle& h = t.flat<ResourceHandle>()[0];
      std::shared_ptr<Var> var;
      if (h.resource) {
        var = std::static_pointer_cast<Var>(h.resource);
      } else if (ctx->resources()) {
        auto v = ctx->resources()->Lookup<Var>(h.container, h.name, kVarTypeName);
        if (v.ok()) var = *v;
      }
      if (var) {
        std::lock_guard<std::mutex> l(var->mu);
        initialized = var->initialized;
      }
    } else {
      return ctx->Error(absl::StrCat("input must be a variable, got ", DTypeName(t.dtype())));
    }
    ctx->set_output(0, Tensor::Scalar<bool>(initialized));
    return absl::OkStatus();
  });
}

Result MakeVarHandleOp(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(VarSpec s, ReadVarSpec(init, "dtype"));
  return std::make_unique<VarHandleKernel>(std::move(s), kVarTypeName);
}

Result MakeReadVariableOp(const KernelInit& init) {
  DType dtype = DType::kInvalid;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("dtype", &dtype));
  return MakeKernel([dtype](KernelContext* ctx) -> absl::Status {
    std::string name;
    TFM_ASSIGN_OR_RETURN(auto var, InputVar(ctx, 0, &name));
    Tensor value;
    {
      std::lock_guard<std::mutex> l(var->mu);
      if (!var->initialized) return VariableNotFound(ctx, name);
      value = var->tensor;
    }
    if (dtype != DType::kInvalid && value.dtype() != dtype) {
      return ctx->Error(absl::StrCat("Trying to read variable ", name,
                                     " with wrong dtype. Expected ", DTypeName(dtype), " got ",
                                     DTypeName(value.dtype())));
    }
    ctx->set_output(0, std::move(value));
    return absl::OkStatus();
  });
}

Result MakeAssignVariableOp(const KernelInit& init) {
  DType dtype = DType::kInvalid;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("dtype", &dtype));
  bool validate_shape = false;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("validate_shape", &validate_shape));
  return MakeKernel([dtype, validate_shape](KernelContext* ctx) -> absl::Status {
    std::string name;
    TFM_ASSIGN_OR_RETURN(auto var, InputVar(ctx, 0, &name));
    if (dtype != DType::kInvalid && ctx->input(1).dtype() != dtype) {
      return ctx->Error(absl::StrCat("Trying to assign variable with wrong dtype. Expected ",
                                     DTypeName(dtype), " got ", DTypeName(ctx->input(1).dtype())));
    }
    return StoreValue(ctx, var.get(), name, validate_shape);
  });
}

template <bool kAdd>
Result MakeAssignUpdateVariableOp(const KernelInit& init) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    std::string name;
    TFM_ASSIGN_OR_RETURN(auto var, InputVar(ctx, 0, &name));
    return UpdateValue<kAdd>(ctx, var.get(), name);
  });
}

Result MakeDestroyResourceOp(const KernelInit& init) {
  bool ignore_lookup_error = true;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("ignore_lookup_error", &ignore_lookup_error));
  return MakeKernel([ignore_lookup_error](KernelContext* ctx) -> absl::Status {
    const Tensor& t = ctx->input(0);
    if (t.dtype() != DType::kResource || t.NumElements() != 1) {
      return ctx->Error("input must be a resource handle scalar");
    }
    const ResourceHandle& h = t.flat<ResourceHandle>()[0];
    if (ctx->resources() == nullptr) return ctx->Error("no resource manager");
    absl::Status s = ctx->resources()->Delete(h.container, h.name);
    if (!s.ok() && !ignore_lookup_error) return ctx->Error(s.message());
    return absl::OkStatus();
  });
}

Result MakeNoOpOnResource(const KernelInit& init) {
  return MakeKernel([](KernelContext*) { return absl::OkStatus(); });
}

}  // namespace

void RegisterStateKernels(KernelRegistry& r) {
  r.Register("VariableV2", MakeVariableV2);
  r.Register("Variable", MakeVariableV2);
  r.Register("Assign", MakeAssign);
  r.Register("AssignAdd", MakeAssignUpdate<true>);
  r.Register("AssignSub", MakeAssignUpdate<false>);
  r.Register("IsVariableInitialized", MakeIsInitialized);
  r.Register("VarIsInitializedOp", MakeIsInitialized);
  r.Register("VarHandleOp", MakeVarHandleOp);
  r.Register("ReadVariableOp", MakeReadVariableOp);
  r.Register("AssignVariableOp", MakeAssignVariableOp);
  r.Register("AssignAddVariableOp", MakeAssignUpdateVariableOp<true>);
  r.Register("AssignSubVariableOp", MakeAssignUpdateVariableOp<false>);
  r.Register("DestroyResourceOp", MakeDestroyResourceOp);
  // Copy-on-read is a TF eager detail; reads here never alias a writer's buffer.
  r.Register("DisableCopyOnRead", MakeNoOpOnResource);
}

}  // namespace tfmodel::runtime
