// Batched binary search, as TF's searchsorted_op.cc (tf.searchsorted; tf.Transform's
// bucketize applies UpperBound to its quantile boundaries):
//   UpperBound  for each value, the number of row elements <= value
//   LowerBound  for each value, the number of row elements < value
// sorted_inputs [B, N] and values [B, M] (each row of sorted_inputs sorted ascending);
// the output has the values' shape and dtype out_type (int32 or int64). NaN values go
// after every element for UpperBound and before every element for LowerBound (the
// results of std::upper_bound / std::lower_bound, as in TF).
#include <algorithm>
#include <limits>

#include "runtime/kernels/array_util.h"
#include "runtime/kernels/register_all.h"
#include "runtime/kernels/wrap_math.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;

Result MakeBound(const KernelInit& init, bool upper) {
  DType out_type = DType::kInt32;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("out_type", &out_type));
  if (out_type != DType::kInt32 && out_type != DType::kInt64) {
    return init.Error(absl::StrCat("out_type must be int32 or int64, got ", DTypeName(out_type)));
  }
  return MakeKernel([out_type, upper](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() != 2) return ctx->Error("expected 2 inputs");
    const Tensor& sorted = ctx->input(0);
    const Tensor& values = ctx->input(1);
    if (sorted.dtype() != values.dtype()) {
      return ctx->Error(absl::StrCat("sorted_inputs is ", DTypeName(sorted.dtype()),
                                     " but values is ", DTypeName(values.dtype())));
    }
    if (sorted.rank() != 2) {
      return ctx->Error(absl::StrCat("sorted input argument must be a matrix, got shape ",
                                     sorted.shape().ToString()));
    }
    if (values.rank() != 2) {
      return ctx->Error(
          absl::StrCat("values must be a matrix, got shape ", values.shape().ToString()));
    }
    if (sorted.dim(0) != values.dim(0)) {
      return ctx->Error(absl::StrCat("Leading dim_size of both tensors must match, got ",
                                     sorted.shape().ToString(), " and ",
                                     values.shape().ToString()));
    }
    if (out_type == DType::kInt32 && sorted.dim(1) >= std::numeric_limits<int32_t>::max()) {
      return ctx->Error(absl::StrCat(
          "trailing dim_size must less than INT_MAX for int32 output type, was ", sorted.dim(1)));
    }
    const int64_t batch = sorted.dim(0), n = sorted.dim(1), m = values.dim(1);
    Tensor out = Tensor::Empty(out_type, values.shape());
    bool ok = DispatchRealTypes(values.dtype(), [&]<typename T>() {
      const T* s = sorted.data<T>();
      const T* v = values.data<T>();
      for (int64_t b = 0; b < batch; ++b) {
        const T* row = s + b * n;
        for (int64_t i = 0; i < m; ++i) {
          const T x = v[b * m + i];
          const int64_t pos =
              (upper ? std::upper_bound(row, row + n, x) : std::lower_bound(row, row + n, x)) - row;
          if (out_type == DType::kInt32) {
            out.data<int32_t>()[b * m + i] = static_cast<int32_t>(pos);
          } else {
            out.data<int64_t>()[b * m + i] = pos;
          }
        }
      }
    });
    if (!ok) return array_util::UnsupportedDType(ctx, values.dtype());
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterSearchKernels(KernelRegistry& r) {
  r.Register("UpperBound", [](const KernelInit& i) { return MakeBound(i, true); });
  r.Register("LowerBound", [](const KernelInit& i) { return MakeBound(i, false); });
}

}  // namespace tfmodel::runtime
