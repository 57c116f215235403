// Resource-variable ops beyond read/assign (state.cc): embedding lookups (ResourceGather,
// ResourceGatherNd), sparse updates (ResourceScatter{Update,Add,Sub,Mul,Div,Min,Max},
// ResourceScatterNd{Update,Add,Sub}) and VariableShape. Updates are copy-on-write: a
// reader's earlier copy of the value never changes (see Var in runtime/resource_mgr.h).
#include <algorithm>
#include <mutex>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "runtime/kernels/array_util.h"
#include "runtime/kernels/gather_util.h"
#include "runtime/kernels/var_util.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;

// The variable's current value (shared, not copied); FailedPrecondition when unset.
absl::StatusOr<Tensor> ReadVar(KernelContext* ctx, DType want) {
  std::string name;
  TFM_ASSIGN_OR_RETURN(auto var, InputVar(ctx, 0, &name));
  Tensor value;
  {
    std::lock_guard<std::mutex> l(var->mu);
    if (!var->initialized) return VariableNotFound(ctx, name);
    value = var->tensor;
  }
  if (want != DType::kInvalid && value.dtype() != want) {
    return ctx->Error(absl::StrCat("Trying to read variable ", name, " with wrong dtype. Expected ",
                                   DTypeName(want), " got ", DTypeName(value.dtype())));
  }
  return value;
}

Result MakeResourceGather(const KernelInit& init) {
  DType dtype = DType::kInvalid;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("dtype", &dtype));
  int64_t batch_dims = 0;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("batch_dims", &batch_dims));
  // validate_indices is ignored, as on TensorFlow's CPU: indices are always checked.
  return MakeKernel([dtype, batch_dims](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() < 2) return ctx->Error("expects resource and indices");
    TFM_ASSIGN_OR_RETURN(Tensor params, ReadVar(ctx, dtype));
    const Tensor& indices = ctx->input(1);
    if (params.rank() < 1) {
      return ctx->Error(absl::StrCat("params must be at least 1 dimensional, got shape ",
                                     params.shape().ToString()));
    }
    int64_t bd = batch_dims < 0 ? batch_dims + indices.rank() : batch_dims;
    if (bd < 0 || bd >= params.rank()) {
      return ctx->Error(absl::StrCat("params must have more than batch_dims (", batch_dims,
                                     ") dimensions but it has shape ", params.shape().ToString()));
    }
    // ResourceGather(batch_dims = b) is GatherV2 along axis b with b batch dimensions.
    return GatherCompute(ctx, params, indices, bd, bd);
  });
}

Result MakeResourceGatherNd(const KernelInit& init) {
  DType dtype = DType::kInvalid;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("dtype", &dtype));
  return MakeKernel([dtype](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() < 2) return ctx->Error("expects resource and indices");
    TFM_ASSIGN_OR_RETURN(Tensor params, ReadVar(ctx, dtype));
    return GatherNdCompute(ctx, params, ctx->input(1));
  });
}

Result MakeVariableShape(const KernelInit& init) {
  DType out_type = DType::kInt32;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("out_type", &out_type));
  if (out_type != DType::kInt32 && out_type != DType::kInt64) {
    return init.Error(absl::StrCat("out_type must be int32 or int64, got ", DTypeName(out_type)));
  }
  return MakeKernel([out_type](KernelContext* ctx) -> absl::Status {
    TFM_ASSIGN_OR_RETURN(Tensor value, ReadVar(ctx, DType::kInvalid));
    const int rank = value.rank();
    Tensor out(out_type, TensorShape{rank});
    for (int i = 0; i < rank; ++i) {
      if (out_type == DType::kInt32) {
        if (value.dim(i) > INT32_MAX) {
          return ctx->Error(absl::StrCat("dimension ", i, " of shape ", value.shape().ToString(),
                                         " does not fit out_type int32"));
        }
        out.data<int32_t>()[i] = static_cast<int32_t>(value.dim(i));
      } else {
        out.data<int64_t>()[i] = value.dim(i);
      }
    }
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

enum class ScatterOp { kUpdate, kAdd, kSub, kMul, kDiv, kMin, kMax };

// dst = dst (op) src, with TensorFlow's integer semantics (wrap-around, no UB).
template <typename T>
absl::Status Apply(ScatterOp op, T* dst, const T* src, int64_t n, bool broadcast) {
  for (int64_t i = 0; i < n; ++i) {
    const T s = src[broadcast ? 0 : i];
    T& d = dst[i];
    if constexpr (std::is_same_v<T, bool>) {
      d = s;  // only Update reaches here for bool
    } else if constexpr (std::is_integral_v<T>) {
      using U = std::make_unsigned_t<T>;
      switch (op) {
        case ScatterOp::kUpdate:
          d = s;
          break;
        case ScatterOp::kAdd:
          d = static_cast<T>(static_cast<U>(d) + static_cast<U>(s));
          break;
        case ScatterOp::kSub:
          d = static_cast<T>(static_cast<U>(d) - static_cast<U>(s));
          break;
        case ScatterOp::kMul:
          d = static_cast<T>(static_cast<U>(d) * static_cast<U>(s));
          break;
        case ScatterOp::kDiv:
          if (s == 0) return absl::InvalidArgumentError("Integer division by zero");
          if constexpr (std::is_signed_v<T>) {
            // The one overflowing quotient wraps, as two's complement hardware would.
            if (s == T(-1)) {
              d = static_cast<T>(U(0) - static_cast<U>(d));
              break;
            }
          }
          d = static_cast<T>(d / s);
          break;
        case ScatterOp::kMin:
          d = std::min(d, s);
          break;
        case ScatterOp::kMax:
          d = std::max(d, s);
          break;
      }
    } else {
      switch (op) {
        case ScatterOp::kUpdate:
          d = s;
          break;
        case ScatterOp::kAdd:
          d = d + s;
          break;
        case ScatterOp::kSub:
          d = d - s;
          break;
        case ScatterOp::kMul:
          d = d * s;
          break;
        case ScatterOp::kDiv:
          d = d / s;
          break;
        case ScatterOp::kMin:
          d = (s < d) ? s : d;
          break;  // NaN in d stays, as Eigen's min
        case ScatterOp::kMax:
          d = (s > d) ? s : d;
          break;
      }
    }
  }
  return absl::OkStatus();
}

// The slices to update: for each of `offsets` (element offsets into the variable, one
// per update slice of `slice` elements), apply the op with update slice k.
absl::Status ApplySlices(KernelContext* ctx, ScatterOp op, Tensor* target, const Tensor& updates,
                         const std::vector<int64_t>& offsets, int64_t slice) {
  const bool broadcast = updates.NumElements() == 1 && updates.rank() == 0;
  absl::Status st;
  bool handled = false;
  if (op == ScatterOp::kUpdate && !DTypeIsPod(target->dtype())) {
    handled = array_util::DispatchElem(target->dtype(), [&]<typename T>() {
      for (size_t k = 0; k < offsets.size(); ++k) {
        T* d = target->data<T>() + offsets[k];
        for (int64_t i = 0; i < slice; ++i) {
          d[i] = updates.data<T>()[broadcast ? 0 : static_cast<int64_t>(k) * slice + i];
        }
      }
    });
  } else {
    handled = DispatchNumeric(target->dtype(), [&]<typename T>() {
      if constexpr (std::is_same_v<T, bool>) {
        if (op != ScatterOp::kUpdate) {
          st = ctx->Error("bool variables only support ResourceScatterUpdate");
          return;
        }
      }
      for (size_t k = 0; k < offsets.size() && st.ok(); ++k) {
        const T* src = updates.data<T>() + (broadcast ? 0 : static_cast<int64_t>(k) * slice);
        st = Apply<T>(op, target->data<T>() + offsets[k], src, slice, broadcast);
      }
    });
  }
  if (!handled) return array_util::UnsupportedDType(ctx, target->dtype());
  if (!st.ok()) return ctx->Error(st.message());
  return absl::OkStatus();
}

// Runs `plan(value) -> offsets, slice` and applies the updates under the variable's lock.
template <typename Plan>
absl::Status ScatterIntoVar(KernelContext* ctx, ScatterOp op, Plan plan) {
  std::string name;
  TFM_ASSIGN_OR_RETURN(auto var, InputVar(ctx, 0, &name));
  const Tensor& updates = ctx->input(2);
  std::lock_guard<std::mutex> l(var->mu);
  if (!var->initialized) return VariableNotFound(ctx, name);
  if (var->tensor.dtype() != updates.dtype()) {
    return ctx->Error(absl::StrCat("variable ", name, " has dtype ", DTypeName(var->tensor.dtype()),
                                   " but the updates are ", DTypeName(updates.dtype())));
  }
  std::vector<int64_t> offsets;
  int64_t slice = 0;
  TFM_RETURN_IF_ERROR(plan(var->tensor, &offsets, &slice));
  if (offsets.empty()) return absl::OkStatus();
  // Copy-on-write: never change a buffer a reader may still hold.
  Tensor target = var->tensor.BufferIsUnique() ? var->tensor : var->tensor.DeepCopy();
  TFM_RETURN_IF_ERROR(ApplySlices(ctx, op, &target, updates, offsets, slice));
  var->tensor = std::move(target);
  return absl::OkStatus();
}

Result MakeResourceScatter(const KernelInit& init, ScatterOp op) {
  return MakeKernel([op](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() < 3) return ctx->Error("expects resource, indices and updates");
    const Tensor& indices = ctx->input(1);
    const Tensor& updates = ctx->input(2);
    return ScatterIntoVar(
        ctx, op,
        [&](const Tensor& params, std::vector<int64_t>* offsets, int64_t* slice) -> absl::Status {
          if (params.rank() < 1) {
            return ctx->Error(
                absl::StrCat("params must be at least 1-D, got shape ", params.shape().ToString()));
          }
          TensorShape want = indices.shape();
          for (int i = 1; i < params.rank(); ++i) want.AddDim(params.dim(i));
          if (updates.rank() != 0 && updates.shape() != want) {
            return ctx->Error(absl::StrCat(
                "Must have updates.shape = indices.shape + params.shape[1:] or updates.shape = [], "
                "got updates.shape ",
                updates.shape().ToString(), ", indices.shape ", indices.shape().ToString(),
                ", params.shape ", params.shape().ToString()));
          }
          TFM_ASSIGN_OR_RETURN(std::vector<int64_t> idx,
                               array_util::ReadInts(ctx, indices, "indices"));
          *slice = params.dim(0) == 0 ? 0 : params.NumElements() / params.dim(0);
          offsets->reserve(idx.size());
          for (size_t i = 0; i < idx.size(); ++i) {
            if (idx[i] < 0 || idx[i] >= params.dim(0)) {
              return ctx->Error(absl::StrCat("indices", array_util::IndexStr(indices.shape(), i),
                                             " = ", idx[i], " is not in [0, ", params.dim(0), ")"));
            }
            offsets->push_back(idx[i] * *slice);
          }
          return absl::OkStatus();
        });
  });
}

Result MakeResourceScatterNd(const KernelInit& init, ScatterOp op) {
  return MakeKernel([op](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() < 3) return ctx->Error("expects ref, indices and updates");
    const Tensor& indices = ctx->input(1);
    const Tensor& updates = ctx->input(2);
    return ScatterIntoVar(
        ctx, op,
        [&](const Tensor& params, std::vector<int64_t>* offsets, int64_t* slice) -> absl::Status {
          if (indices.rank() < 1) {
            return ctx->Error(absl::StrCat("Indices must be at least a vector, got shape ",
                                           indices.shape().ToString()));
          }
          const int64_t k = indices.dim(indices.rank() - 1);
          if (k > params.rank()) {
            return ctx->Error(absl::StrCat("indices.shape[-1] must be <= params.rank, got ", k,
                                           " for params shape ", params.shape().ToString()));
          }
          TensorShape want;
          for (int i = 0; i + 1 < indices.rank(); ++i) want.AddDim(indices.dim(i));
          for (int i = static_cast<int>(k); i < params.rank(); ++i) want.AddDim(params.dim(i));
          if (updates.shape() != want) {
            return ctx->Error(absl::StrCat(
                "updates.shape must be indices.shape[:-1] + params.shape[indices.shape[-1]:], got "
                "updates.shape ",
                updates.shape().ToString(), ", indices.shape ", indices.shape().ToString(),
                ", params.shape ", params.shape().ToString()));
          }
          TFM_ASSIGN_OR_RETURN(std::vector<int64_t> idx,
                               array_util::ReadInts(ctx, indices, "indices"));
          std::vector<int64_t> strides = array_util::Strides(params.shape());
          *slice = 1;
          for (int i = static_cast<int>(k); i < params.rank(); ++i) *slice *= params.dim(i);
          int64_t n = 1;  // number of index tuples: prod(indices.shape[:-1])
          for (int i = 0; i + 1 < indices.rank(); ++i) n *= indices.dim(i);
          for (int64_t i = 0; i < n; ++i) {
            int64_t off = 0;
            for (int64_t j = 0; j < k; ++j) {
              const int64_t v = idx[i * k + j];
              if (v < 0 || v >= params.dim(static_cast<int>(j))) {
                std::vector<int64_t> bad(idx.begin() + i * k, idx.begin() + (i + 1) * k);
                return ctx->Error(absl::StrCat("indices", array_util::IndexStr(TensorShape{n}, i),
                                               " = [", absl::StrJoin(bad, ", "),
                                               "] does not index into shape ",
                                               params.shape().ToString()));
              }
              off += v * strides[j];
            }
            offsets->push_back(off);
          }
          return absl::OkStatus();
        });
  });
}

}  // namespace

void RegisterResourceVariableKernels(KernelRegistry& r) {
  r.Register("ResourceGather", MakeResourceGather);
  r.Register("ResourceGatherNd", MakeResourceGatherNd);
  r.Register("VariableShape", MakeVariableShape);
  const std::pair<const char*, ScatterOp> scatters[] = {
      {"Update", ScatterOp::kUpdate}, {"Add", ScatterOp::kAdd}, {"Sub", ScatterOp::kSub},
      {"Mul", ScatterOp::kMul},       {"Div", ScatterOp::kDiv}, {"Min", ScatterOp::kMin},
      {"Max", ScatterOp::kMax}};
  for (const auto& [name, op] : scatters) {
    ScatterOp o = op;
    r.Register(absl::StrCat("ResourceScatter", name),
               [o](const KernelInit& init) { return MakeResourceScatter(init, o); });
  }
  for (const auto& [name, op] : {std::pair<const char*, ScatterOp>{"Update", ScatterOp::kUpdate},
                                 {"Add", ScatterOp::kAdd},
                                 {"Sub", ScatterOp::kSub}}) {
    ScatterOp o = op;
    r.Register(absl::StrCat("ResourceScatterNd", name),
               [o](const KernelInit& init) { return MakeResourceScatterNd(init, o); });
  }
}

}  // namespace tfmodel::runtime
