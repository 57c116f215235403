// Gather, GatherV2 (axis, batch_dims) and GatherNd. Indices are int32 or int64; an index
// out of [0, dim) is an InvalidArgument naming its position, as in TF's CPU kernels.
#include "runtime/kernels/array_util.h"
#include "runtime/kernels/gather_util.h"
#include "runtime/kernels/register_all.h"

namespace tfmodel::runtime {
namespace {

using array_util::DispatchElem;
using array_util::ShapeStr;

absl::Status NeedInputs(const KernelContext* ctx, int n) {
  if (ctx->num_inputs() < n) {
    return ctx->Error(absl::StrCat("expected ", n, " inputs, got ", ctx->num_inputs()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeGatherV2(const KernelInit& init) {
  int64_t batch_dims = 0;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("batch_dims", &batch_dims));
  return MakeKernel([batch_dims](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 3));
    TFM_ASSIGN_OR_RETURN(int64_t axis,
                         array_util::ReadIntScalar(ctx, ctx->input(2), "axis", false));
    return GatherCompute(ctx, ctx->input(0), ctx->input(1), axis, batch_dims);
  });
}

absl::Status GatherV1Compute(KernelContext* ctx) {
  TFM_RETURN_IF_ERROR(NeedInputs(ctx, 2));
  return GatherCompute(ctx, ctx->input(0), ctx->input(1), 0, 0);
}

absl::Status GatherNdKernel(KernelContext* ctx) {
  TFM_RETURN_IF_ERROR(NeedInputs(ctx, 2));
  return GatherNdCompute(ctx, ctx->input(0), ctx->input(1));
}

}  // namespace

absl::Status GatherCompute(KernelContext* ctx, const Tensor& params, const Tensor& indices,
                           int64_t axis_v, int64_t batch_dims) {
  if (!array_util::IsIndexDType(indices.dtype())) {
    return ctx->Error(
        absl::StrCat("indices must be int32 or int64, got ", DTypeName(indices.dtype())));
  }
  const int prank = params.rank();
  const int irank = indices.rank();
  if (prank < 1) return ctx->Error("params must be at least 1 dimensional");
  if (axis_v < -prank || axis_v >= prank) {
    return ctx->Error(
        absl::StrCat("Expected axis in the range [", -prank, ", ", prank, "), but got ", axis_v));
  }
  const int axis = static_cast<int>(axis_v < 0 ? axis_v + prank : axis_v);
  if (batch_dims != 0) {
    if (batch_dims < -irank || batch_dims > irank) {
      return ctx->Error(absl::StrCat("Expected batch_dims in the range [", -irank, ", ", irank,
                                     "], but got ", batch_dims));
    }
    if (batch_dims < 0) batch_dims += irank;
    if (batch_dims >= prank) {
      return ctx->Error(absl::StrCat("batch_dims (", batch_dims,
                                     ") must be less than rank(params) (", prank, ")."));
    }
    if (axis < batch_dims) {
      return ctx->Error(absl::StrCat("batch_dims (", batch_dims,
                                     ") must be less than or equal to axis (", axis, ")."));
    }
    for (int i = 0; i < batch_dims; ++i) {
      if (params.dim(i) != indices.dim(i)) {
        return ctx->Error(absl::StrCat("params.shape[", i, "]: ", params.dim(i),
                                       " should be equal to indices.shape[", i,
                                       "]: ", indices.dim(i)));
      }
    }
  }
  const int bd = static_cast<int>(batch_dims);
  auto pd = params.shape().dim_sizes();
  auto id = indices.shape().dim_sizes();
  TensorShape out_shape;
  for (int i = 0; i < axis; ++i) out_shape.AddDim(pd[i]);
  for (int i = bd; i < irank; ++i) out_shape.AddDim(id[i]);
  for (int i = axis + 1; i < prank; ++i) out_shape.AddDim(pd[i]);
  TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, out_shape));

  const int64_t batch = array_util::Product(pd, 0, bd);
  const int64_t outer = array_util::Product(pd, bd, axis);
  const int64_t limit = pd[axis];
  const int64_t inner = array_util::Product(pd, axis + 1, prank);
  const int64_t nidx = array_util::Product(id, bd, irank);

  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> idx, array_util::ReadInts(ctx, indices, "indices"));
  for (size_t i = 0; i < idx.size(); ++i) {
    if (idx[i] < 0 || idx[i] >= limit) {
      return ctx->Error(absl::StrCat("indices", array_util::IndexStr(indices.shape(), i), " = ",
                                     idx[i], " is not in [0, ", limit, ")"));
    }
  }
  Tensor out = Tensor::Empty(params.dtype(), out_shape);
  bool ok = DispatchElem(params.dtype(), [&]<typename T>() {
    const T* src = params.data<T>();
    T* dst = out.data<T>();
    int64_t o = 0;
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t x = 0; x < outer; ++x) {
        const T* base = src + ((b * outer + x) * limit) * inner;
        for (int64_t j = 0; j < nidx; ++j) {
          array_util::CopyN(base + idx[b * nidx + j] * inner, inner, dst + o);
          o += inner;
        }
      }
    }
  });
  if (!ok) return array_util::UnsupportedDType(ctx, params.dtype());
  ctx->set_output(0, std::move(out));
  return absl::OkStatus();
}

absl::Status GatherNdCompute(KernelContext* ctx, const Tensor& params, const Tensor& indices) {
  if (params.rank() < 1) return ctx->Error("params must be at least a vector");
  if (indices.rank() < 1) return ctx->Error("indices must be at least a vector");
  const int64_t k = indices.dim(indices.rank() - 1);
  if (k > params.rank()) {
    return ctx->Error(
        absl::StrCat("indices.shape[-1] must be <= params.rank, but saw indices shape: ",
                     ShapeStr(indices.shape()), " and params shape: ", ShapeStr(params.shape())));
  }
  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> idx, array_util::ReadInts(ctx, indices, "indices"));
  TensorShape lead;  // indices.shape[:-1]
  for (int i = 0; i + 1 < indices.rank(); ++i) lead.AddDim(indices.dim(i));
  TensorShape out_shape = lead;
  auto pd = params.shape().dim_sizes();
  for (int i = static_cast<int>(k); i < params.rank(); ++i) out_shape.AddDim(pd[i]);
  TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, out_shape));
  const int64_t n = lead.NumElements();
  const int64_t slice = array_util::Product(pd, static_cast<size_t>(k), pd.size());
  std::vector<int64_t> strides = array_util::Strides(params.shape());
  std::vector<int64_t> offsets(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    int64_t off = 0;
    for (int64_t j = 0; j < k; ++j) {
      const int64_t v = idx[i * k + j];
      if (v < 0 || v >= pd[j]) {
        std::vector<int64_t> bad(idx.begin() + i * k, idx.begin() + (i + 1) * k);
        return ctx->Error(
            absl::StrCat("indices", array_util::IndexStr(lead, i), " = [", absl::StrJoin(bad, ", "),
                         "] does not index into param shape ", ShapeStr(params.shape())));
      }
      off += v * strides[j];
    }
    offsets[i] = off;
  }
  Tensor out = Tensor::Empty(params.dtype(), out_shape);
  bool ok = DispatchElem(params.dtype(), [&]<typename T>() {
    const T* src = params.data<T>();
    T* dst = out.data<T>();
    for (int64_t i = 0; i < n; ++i) array_util::CopyN(src + offsets[i], slice, dst + i * slice);
  });
  if (!ok) return array_util::UnsupportedDType(ctx, params.dtype());
  ctx->set_output(0, std::move(out));
  return absl::OkStatus();
}

void RegisterGatherKernels(KernelRegistry& r) {
  r.Register("Gather", [](const KernelInit&) -> absl::StatusOr<std::unique_ptr<OpKernel>> {
    return MakeKernel(GatherV1Compute);
  });
  r.Register("GatherV2", MakeGatherV2);
  r.Register("GatherNd", [](const KernelInit&) -> absl::StatusOr<std::unique_ptr<OpKernel>> {
    return MakeKernel(GatherNdKernel);
  });
}

}  // namespace tfmodel::runtime
