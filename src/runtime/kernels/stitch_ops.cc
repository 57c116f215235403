// DynamicPartition, DynamicStitch and ParallelDynamicStitch: the ops behind partitioned
// embedding lookups in TF1 graphs (tf.nn.embedding_lookup over several shards). All
// dtypes.
//
// DynamicPartition(data, partitions; num_partitions): output i holds, in order, the
// slices of data whose partition is i; partitions' shape must prefix data's and every
// value must be in [0, num_partitions). DynamicStitch(indices[N], data[N]) builds
// merged[indices[m][i]] = data[m][i] with first dim max(index) + 1; later pairs overwrite
// earlier ones (ParallelDynamicStitch does the same, TF leaves the order unspecified);
// rows no index names are zero.
#include <algorithm>

#include "runtime/kernels/arity.h"
#include "runtime/kernels/array_util.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;
using array_util::ShapeStr;

bool StartsWith(const TensorShape& s, const TensorShape& prefix) {
  if (prefix.rank() > s.rank()) return false;
  for (int d = 0; d < prefix.rank(); ++d) {
    if (s.dim(d) != prefix.dim(d)) return false;
  }
  return true;
}

Result MakeDynamicPartition(const KernelInit& init) {
  int64_t n = 0;
  TFM_RETURN_IF_ERROR(init.GetAttr("num_partitions", &n));
  if (n < 1) return init.Error(absl::StrCat("num_partitions must be at least 1, got ", n));
  return MakeKernel([n](KernelContext* ctx) -> absl::Status {
    const Tensor& data = ctx->input(0);
    const Tensor& parts = ctx->input(1);
    if (!StartsWith(data.shape(), parts.shape())) {
      return ctx->Error(absl::StrCat(
          "data.shape must start with partitions.shape, got data.shape = ", ShapeStr(data.shape()),
          ", partitions.shape = ", ShapeStr(parts.shape())));
    }
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> p, array_util::ReadInts(ctx, parts, "partitions"));
    std::vector<int64_t> counts(static_cast<size_t>(n), 0);
    for (size_t i = 0; i < p.size(); ++i) {
      if (p[i] < 0 || p[i] >= n) {
        return ctx->Error(absl::StrCat("partitions", array_util::IndexStr(parts.shape(), i), " = ",
                                       p[i], " is not in [0, ", n, ")"));
      }
      ++counts[p[i]];
    }
    const int64_t slice = array_util::Product(data.shape().dim_sizes(), parts.rank(), data.rank());
    std::vector<Tensor> outs;
    for (int64_t k = 0; k < n; ++k) {
      TensorShape s{counts[k]};
      for (int d = parts.rank(); d < data.rank(); ++d) s.AddDim(data.dim(d));
      outs.push_back(Tensor::Empty(data.dtype(), s));
    }
    std::vector<int64_t> next(static_cast<size_t>(n), 0);
    bool ok = array_util::DispatchElem(data.dtype(), [&]<typename T>() {
      const T* src = data.data<T>();
      for (size_t i = 0; i < p.size(); ++i) {
        T* dst = outs[p[i]].data<T>() + next[p[i]]++ * slice;
        array_util::CopyN(src + static_cast<int64_t>(i) * slice, slice, dst);
      }
    });
    if (!ok) return array_util::UnsupportedDType(ctx, data.dtype());
    for (int64_t k = 0; k < n; ++k) ctx->set_output(static_cast<int>(k), std::move(outs[k]));
    return absl::OkStatus();
  });
}

Result MakeDynamicStitch(const KernelInit& init) {
  if (init.num_inputs() % 2 != 0 || init.num_inputs() == 0) {
    return init.Error(absl::StrCat("expects N indices and N data inputs, got ", init.num_inputs()));
  }
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    const int n = ctx->num_inputs() / 2;
    const Tensor& d0 = ctx->input(n);
    const Tensor& i0 = ctx->input(0);
    // Trailing slice shape, from the first pair.
    if (!StartsWith(d0.shape(), i0.shape())) {
      return ctx->Error(
          absl::StrCat("data[0].shape = ", ShapeStr(d0.shape()),
                       " does not start with indices[0].shape = ", ShapeStr(i0.shape())));
    }
    TensorShape slice_shape;
    for (int d = i0.rank(); d < d0.rank(); ++d) slice_shape.AddDim(d0.dim(d));
    std::vector<std::vector<int64_t>> idx(static_cast<size_t>(n));
    int64_t max_index = -1;
    for (int m = 0; m < n; ++m) {
      const Tensor& im = ctx->input(m);
      const Tensor& dm = ctx->input(n + m);
      if (dm.dtype() != d0.dtype()) return ctx->Error("all data inputs must have the same dtype");
      bool ok = StartsWith(dm.shape(), im.shape()) && dm.rank() - im.rank() == slice_shape.rank();
      for (int d = 0; ok && d < slice_shape.rank(); ++d)
        ok = dm.dim(im.rank() + d) == slice_shape.dim(d);
      if (!ok) {
        return ctx->Error(absl::StrCat(
            "data[", m, "].shape = ", ShapeStr(dm.shape()), " does not start with indices[", m,
            "].shape = ", ShapeStr(im.shape()), " followed by ", ShapeStr(slice_shape)));
      }
      TFM_ASSIGN_OR_RETURN(idx[m], array_util::ReadInts(ctx, im, "indices"));
      for (int64_t v : idx[m]) {
        if (v < 0) {
          return ctx->Error(absl::StrCat("indices[", m, "] has a negative index ", v));
        }
        max_index = std::max(max_index, v);
      }
    }
    TensorShape out_shape = slice_shape;
    out_shape.InsertDim(0, max_index + 1);
    TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, out_shape));
    Tensor out(d0.dtype(), out_shape);  // rows no index names stay zero
    const int64_t slice = slice_shape.NumElements();
    bool ok = array_util::DispatchElem(d0.dtype(), [&]<typename T>() {
      T* dst = out.data<T>();
      for (int m = 0; m < n; ++m) {
        const T* src = ctx->input(n + m).data<T>();
        for (size_t i = 0; i < idx[m].size(); ++i) {
          array_util::CopyN(src + static_cast<int64_t>(i) * slice, slice, dst + idx[m][i] * slice);
        }
      }
    });
    if (!ok) return array_util::UnsupportedDType(ctx, d0.dtype());
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterStitchKernels(KernelRegistry& r) {
  r.Register("DynamicPartition", WithInputs(2, MakeDynamicPartition));
  r.Register("DynamicStitch", MakeDynamicStitch);
  r.Register("ParallelDynamicStitch", MakeDynamicStitch);
}

}  // namespace tfmodel::runtime
