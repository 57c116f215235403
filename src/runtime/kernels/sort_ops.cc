// Order statistics: InTopK, InTopKV2 and NthElement. (TopKV2 is in sequence_ops.cc.)
//
// InTopK(predictions [batch, classes], targets [batch], k): out[b] is true when fewer than
// k classes score strictly higher than the target class; false when the target is out
// of range or any score in the row (or the target's) is not finite, as in TF.
// NthElement(input, n, reverse): the n-th smallest value along the last dim (largest
// with reverse), removing that dim.
#include <algorithm>
#include <cmath>
#include <vector>

#include "runtime/kernels/arity.h"
#include "runtime/kernels/array_util.h"
#include "runtime/kernels/broadcast.h"
#include "runtime/kernels/wrap_math.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;
using array_util::ShapeStr;

Result MakeInTopK(const KernelInit& init) {
  const bool v2 = init.op() == "InTopKV2";
  int64_t k_attr = 0;
  if (!v2) TFM_RETURN_IF_ERROR(init.GetAttr("k", &k_attr));
  return MakeKernel([v2, k_attr](KernelContext* ctx) -> absl::Status {
    const Tensor& pred = ctx->input(0);
    const Tensor& targets = ctx->input(1);
    int64_t k = k_attr;
    if (v2) {
      const Tensor& kt = ctx->input(2);
      if (kt.rank() != 0) {
        return ctx->Error(absl::StrCat("k must be 0-D, got shape ", ShapeStr(kt.shape())));
      }
      TFM_ASSIGN_OR_RETURN(k, array_util::ReadIntScalar(ctx, kt, "k", false));
    }
    if (pred.dtype() != DType::kFloat) {
      return ctx->Error(absl::StrCat("predictions must be float, got ", DTypeName(pred.dtype())));
    }
    if (pred.rank() != 2) {
      return ctx->Error(
          absl::StrCat("predictions must be 2-dimensional, got shape ", ShapeStr(pred.shape())));
    }
    if (targets.rank() != 1) {
      return ctx->Error(
          absl::StrCat("targets must be 1-dimensional, got shape ", ShapeStr(targets.shape())));
    }
    if (pred.dim(0) != targets.dim(0)) {
      return ctx->Error(absl::StrCat("First dimension of predictions ", pred.dim(0),
                                     " must match length of targets ", targets.dim(0)));
    }
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> t, array_util::ReadInts(ctx, targets, "targets"));
    const int64_t batch = pred.dim(0), classes = pred.dim(1);
    Tensor* out = ctx->allocate_output(0, DType::kBool, TensorShape{batch});
    const float* p = pred.data<float>();
    for (int64_t b = 0; b < batch; ++b) {
      const float* row = p + b * classes;
      bool cannot_say = t[b] < 0 || t[b] >= classes || !std::isfinite(row[t[b]]);
      int64_t more = 0;
      if (!cannot_say) {
        const float target = row[t[b]];
        for (int64_t c = 0; c < classes; ++c) {
          if (!std::isfinite(row[c])) {
            cannot_say = true;
            break;
          }
          if (row[c] > target && ++more > k) break;
        }
      }
      out->data<bool>()[b] = !cannot_say && more < k;
    }
    return absl::OkStatus();
  });
}

Result MakeNthElement(const KernelInit& init) {
  bool reverse = false;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("reverse", &reverse));
  return MakeKernel([reverse](KernelContext* ctx) -> absl::Status {
    const Tensor& in0 = ctx->input(0);
    const Tensor& nt = ctx->input(1);
    if (nt.rank() != 0) {
      return ctx->Error(absl::StrCat("N must be scalar but has rank ", nt.rank()));
    }
    TFM_ASSIGN_OR_RETURN(int64_t n, array_util::ReadIntScalar(ctx, nt, "n", false));
    if (n < 0) return ctx->Error(absl::StrCat("Need n >= 0, got ", n));
    if (in0.rank() < 1) {
      return ctx->Error(absl::StrCat("Input must be >= 1-D, got shape ", ShapeStr(in0.shape())));
    }
    const int64_t cols = in0.dim(in0.rank() - 1);
    if (cols <= n) {
      return ctx->Error(absl::StrCat("Input must have at least n+1 columns, but got ", cols));
    }
    TensorShape out_shape = in0.shape();
    out_shape.RemoveDim(in0.rank() - 1);
    const DType dt = in0.dtype();
    const bool half = IsHalfLike(dt);
    Tensor in = half ? HalfLikeToFloat(in0) : in0;
    Tensor out = Tensor::Empty(in.dtype(), out_shape);
    const int64_t rows = out_shape.NumElements();
    bool ok = DispatchRealTypes(in.dtype(), [&]<typename T>() {
      std::vector<T> buf(static_cast<size_t>(cols));
      const int64_t pos = reverse ? cols - 1 - n : n;
      for (int64_t r = 0; r < rows; ++r) {
        std::copy(in.data<T>() + r * cols, in.data<T>() + (r + 1) * cols, buf.begin());
        // A strict weak order even with NaN (sorted above every number).
        std::nth_element(buf.begin(), buf.begin() + pos, buf.end(), [](T a, T b) {
          if constexpr (std::is_floating_point_v<T>) {
            if (std::isnan(a) || std::isnan(b)) return !std::isnan(a) && std::isnan(b);
          }
          return a < b;
        });
        out.data<T>()[r] = buf[pos];
      }
    });
    if (!ok) return array_util::UnsupportedDType(ctx, dt);
    ctx->set_output(0, half ? FloatToHalfLike(out, dt) : out);
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterSortKernels(KernelRegistry& r) {
  r.Register("InTopK", WithInputs(2, MakeInTopK));
  r.Register("InTopKV2", WithInputs(3, MakeInTopK));
  r.Register("NthElement", WithInputs(2, MakeNthElement));
}

}  // namespace tfmodel::runtime
