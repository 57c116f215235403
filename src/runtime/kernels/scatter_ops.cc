// N-d scatter: ScatterNd, ScatterNdNonAliasingAdd and TensorScatterUpdate / Add / Sub /
// Min / Max.
//
// indices (int32/int64) has shape batch + [K]: each row picks a slice of the output (the
// first K dims); updates has shape batch + out_shape[K:]. A 1-D indices of length N is N
// indices of depth 1, as in TF's kernels. ScatterNd starts from zeros and adds (duplicates
// sum; for bool it ORs, for strings it concatenates); the TensorScatter* ops start from a
// copy of `tensor` and assign (last duplicate wins, as TF's CPU kernel applies updates in
// order), add, subtract, or take the min / max. An index outside the output fails with
// "indices[i] = [a, b] does not index into shape [...]". Integer add/sub wrap around;
// half and bfloat16 compute in float.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "runtime/kernels/array_util.h"
#include "runtime/kernels/broadcast.h"
#include "runtime/kernels/wrap_math.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;
using array_util::ShapeStr;

enum class Upd { kAssign, kAdd, kSub, kMin, kMax };

// Checks shapes as TF's ValidateUpdateShape and resolves every index row to the flat
// index of its output slice.
absl::Status PlanScatter(KernelContext* ctx, const TensorShape& out_shape, const Tensor& indices,
                         const Tensor& updates, std::vector<int64_t>* slices, int64_t* slice_size) {
  if (!array_util::IsIndexDType(indices.dtype())) {
    return ctx->Error(
        absl::StrCat("indices must be int32 or int64, got ", DTypeName(indices.dtype())));
  }
  if (indices.rank() < 1) {
    return ctx->Error(
        absl::StrCat("indices must be at least 1-D, got shape ", ShapeStr(indices.shape())));
  }
  const int64_t depth = indices.rank() > 1 ? indices.dim(indices.rank() - 1) : 1;
  const int batch_dims = indices.rank() > 1 ? indices.rank() - 1 : 1;
  auto prefix_err = [&] {
    return ctx->Error(absl::StrCat("Dimensions [0,", batch_dims,
                                   ") of indices[shape=", ShapeStr(indices.shape()),
                                   "] must match dimensions [0,", batch_dims,
                                   ") of updates[shape=", ShapeStr(updates.shape()), "]"));
  };
  auto suffix_err = [&] {
    return ctx->Error(absl::StrCat("Dimensions [", depth, ",", out_shape.rank(),
                                   ") of input[shape=", ShapeStr(out_shape),
                                   "] must match dimensions [", depth, ",", updates.rank(),
                                   ") of updates[shape=", ShapeStr(updates.shape()), "]"));
  };
  if (depth > out_shape.rank()) {
    return ctx->Error(absl::StrCat("indices.shape[-1] must be <= the output rank, got ", depth,
                                   " for output shape ", ShapeStr(out_shape)));
  }
  if (updates.rank() < batch_dims) return prefix_err();
  if (updates.rank() != batch_dims + out_shape.rank() - depth) return suffix_err();
  for (int d = 0; d < batch_dims; ++d) {
    if (updates.dim(d) != indices.dim(d)) return prefix_err();
  }
  for (int d = 0; d < updates.rank() - batch_dims; ++d) {
    if (updates.dim(d + batch_dims) != out_shape.dim(static_cast<int>(depth) + d)) {
      return suffix_err();
    }
  }
  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> idx, array_util::ReadInts(ctx, indices, "indices"));
  const int64_t n = depth == 0 ? array_util::Product(indices.shape().dim_sizes(), 0,
                                                     static_cast<size_t>(batch_dims))
                               : static_cast<int64_t>(idx.size()) / depth;
  if (out_shape.NumElements() == 0 && n > 0 && updates.NumElements() > 0) {
    return ctx->Error(
        absl::StrCat("Indices and updates specified for empty output shape ", ShapeStr(out_shape)));
  }
  *slice_size = array_util::Product(out_shape.dim_sizes(), static_cast<size_t>(depth),
                                    static_cast<size_t>(out_shape.rank()));
  slices->assign(static_cast<size_t>(n), 0);
  TensorShape batch_shape;
  for (int d = 0; d < batch_dims; ++d) batch_shape.AddDim(indices.rank() > 1 ? indices.dim(d) : n);
  for (int64_t u = 0; u < n; ++u) {
    int64_t flat = 0;
    for (int64_t k = 0; k < depth; ++k) {
      const int64_t v = idx[u * depth + k];
      const int64_t dim = out_shape.dim(static_cast<int>(k));
      if (v < 0 || v >= dim) {
        std::vector<int64_t> row(idx.begin() + u * depth, idx.begin() + (u + 1) * depth);
        return ctx->Error(absl::StrCat("indices", array_util::IndexStr(batch_shape, u), " = [",
                                       absl::StrJoin(row, ", "), "] does not index into shape ",
                                       ShapeStr(out_shape)));
      }
      flat = flat * dim + v;
    }
    (*slices)[u] = flat;
  }
  return absl::OkStatus();
}

template <Upd U, typename T>
void Apply(T& dst, const T& src) {
  if constexpr (U == Upd::kAssign) {
    dst = src;
  } else if constexpr (std::is_same_v<T, std::string>) {
    dst += src;  // ScatterNd on strings concatenates
  } else if constexpr (std::is_same_v<T, bool>) {
    dst = dst || src;
  } else if constexpr (U == Upd::kAdd) {
    dst = WrapAdd(dst, src);
  } else if constexpr (U == Upd::kSub) {
    dst = WrapSub(dst, src);
  } else if constexpr (U == Upd::kMin) {
    if constexpr (!std::is_same_v<T, complex64> && !std::is_same_v<T, complex128>) {
      dst = src < dst ? src : dst;
    }
  } else {
    if constexpr (!std::is_same_v<T, complex64> && !std::is_same_v<T, complex128>) {
      dst = src > dst ? src : dst;
    }
  }
}

template <Upd U, typename T>
void ScatterTyped(T* out, const T* upd, const std::vector<int64_t>& slices, int64_t slice) {
  for (size_t u = 0; u < slices.size(); ++u) {
    T* o = out + slices[u] * slice;
    const T* s = upd + static_cast<int64_t>(u) * slice;
    for (int64_t j = 0; j < slice; ++j) Apply<U, T>(o[j], s[j]);
  }
}

// Scatters `updates` into `base` (already holding the starting values, same dtype).
template <Upd U>
absl::Status ScatterInto(KernelContext* ctx, const Tensor& updates,
                         const std::vector<int64_t>& slices, int64_t slice, Tensor* base) {
  const DType dt = base->dtype();
  if (updates.dtype() != dt) {
    return ctx->Error(absl::StrCat("updates has dtype ", DTypeName(updates.dtype()),
                                   " but the output is ", DTypeName(dt)));
  }
  bool ok = false;
  if constexpr (U == Upd::kAssign) {
    ok = array_util::DispatchElem(dt, [&]<typename T>() {
      ScatterTyped<U, T>(base->data<T>(), updates.data<T>(), slices, slice);
    });
  } else if (IsHalfLike(dt)) {
    Tensor f = HalfLikeToFloat(*base);
    ScatterTyped<U, float>(f.data<float>(), HalfLikeToFloat(updates).data<float>(), slices, slice);
    *base = FloatToHalfLike(f, dt);
    ok = true;
  } else if constexpr (U == Upd::kMin || U == Upd::kMax) {
    ok = DispatchRealTypes(dt, [&]<typename T>() {
      ScatterTyped<U, T>(base->data<T>(), updates.data<T>(), slices, slice);
    });
  } else {
    auto run = [&]<typename T>() {
      ScatterTyped<U, T>(base->data<T>(), updates.data<T>(), slices, slice);
    };
    ok = DispatchNumberTypes(dt, run);
    if (!ok && U == Upd::kAdd && dt == DType::kBool) {
      run.template operator()<bool>();
      ok = true;
    }
    if (!ok && U == Upd::kAdd && dt == DType::kString) {
      run.template operator()<std::string>();
      ok = true;
    }
  }
  if (!ok) return array_util::UnsupportedDType(ctx, dt);
  return absl::OkStatus();
}

// ScatterNd(indices, updates, shape).
Result MakeScatterNd(const KernelInit& init) {
  if (init.num_inputs() != 3) return init.Error("expects 3 inputs (indices, updates, shape)");
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    const Tensor& indices = ctx->input(0);
    const Tensor& updates = ctx->input(1);
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> dims,
                         array_util::ReadIntVector(ctx, ctx->input(2), "shape"));
    TensorShape shape{absl::Span<const int64_t>(dims)};
    TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, shape));
    if (shape.rank() < 1) {
      return ctx->Error(absl::StrCat("Output must be at least 1-D, got shape: ", ShapeStr(shape)));
    }
    std::vector<int64_t> slices;
    int64_t slice = 0;
    TFM_RETURN_IF_ERROR(PlanScatter(ctx, shape, indices, updates, &slices, &slice));
    Tensor out(updates.dtype(), shape);  // zeros (empty strings)
    TFM_RETURN_IF_ERROR(ScatterInto<Upd::kAdd>(ctx, updates, slices, slice, &out));
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

// TensorScatter*(tensor, indices, updates) and ScatterNdNonAliasingAdd(input, indices,
// updates).
template <Upd U>
Result MakeTensorScatter(const KernelInit& init) {
  if (init.num_inputs() != 3) return init.Error("expects 3 inputs (tensor, indices, updates)");
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    const Tensor& indices = ctx->input(1);
    const Tensor& updates = ctx->input(2);
    const TensorShape shape = ctx->input(0).shape();
    if (shape.rank() < 1) {
      return ctx->Error(absl::StrCat("Output must be at least 1-D, got shape: ", ShapeStr(shape)));
    }
    std::vector<int64_t> slices;
    int64_t slice = 0;
    TFM_RETURN_IF_ERROR(PlanScatter(ctx, shape, indices, updates, &slices, &slice));
    Tensor out = ctx->ForwardInput(0);
    if (!out.valid()) out = ctx->input(0).DeepCopy();
    TFM_RETURN_IF_ERROR(ScatterInto<U>(ctx, updates, slices, slice, &out));
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterScatterKernels(KernelRegistry& r) {
  r.Register("ScatterNd", MakeScatterNd);
  r.Register("ScatterNdNonAliasingAdd", MakeTensorScatter<Upd::kAdd>);
  r.Register("TensorScatterUpdate", MakeTensorScatter<Upd::kAssign>);
  r.Register("TensorScatterAdd", MakeTensorScatter<Upd::kAdd>);
  r.Register("TensorScatterSub", MakeTensorScatter<Upd::kSub>);
  r.Register("TensorScatterMin", MakeTensorScatter<Upd::kMin>);
  r.Register("TensorScatterMax", MakeTensorScatter<Upd::kMax>);
}

}  // namespace tfmodel::runtime
