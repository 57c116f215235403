// Scans along one axis: Cumsum, Cumprod and CumulativeLogsumexp, with TF's `exclusive`
// (each output excludes its own element; the first one is the identity) and `reverse`
// (scan from the end) attrs.
//
// Cumsum/Cumprod take every real type and complex; integers wrap around on overflow;
// half and bfloat16 accumulate in float. CumulativeLogsumexp (half, bfloat16, float,
// double) accumulates log(exp(acc) + exp(x)) as max + log1p(exp(min - max)) from -inf,
// so exclusive outputs start at -inf. The axis is an int32/int64 scalar in [-rank, rank).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "runtime/kernel.h"
#include "runtime/kernels/broadcast.h"
#include "runtime/kernels/wrap_math.h"

namespace tfmodel::runtime {
namespace {

enum class Scan { kSum, kProd, kLogSumExp };

template <Scan S, typename T>
T ScanIdentity() {
  if constexpr (S == Scan::kProd) return T(1);
  if constexpr (S == Scan::kLogSumExp) return -std::numeric_limits<T>::infinity();
  return T(0);
}

template <Scan S, typename T>
T ScanStep(T acc, T x) {
  if constexpr (S == Scan::kSum) return WrapAdd(acc, x);
  if constexpr (S == Scan::kProd) return WrapMul(acc, x);
  if constexpr (S == Scan::kLogSumExp) {
    const T mi = std::min(acc, x), ma = std::max(acc, x);
    if (ma < std::numeric_limits<T>::lowest()) return ma;  // both -inf
    return std::log1p(std::exp(mi - ma)) + ma;
  }
}

template <Scan S, typename Fn>
bool DispatchScan(DType dt, Fn&& fn) {
  if constexpr (S == Scan::kLogSumExp) {
    if (dt == DType::kFloat) {
      fn.template operator()<float>();
      return true;
    }
    if (dt == DType::kDouble) {
      fn.template operator()<double>();
      return true;
    }
    return false;
  } else {
    return DispatchNumberTypes(dt, std::forward<Fn>(fn));
  }
}

template <Scan S>
absl::StatusOr<std::unique_ptr<OpKernel>> MakeScan(const KernelInit& init) {
  if (init.num_inputs() != 2) {
    return init.Error(absl::StrCat("expected 2 inputs, got ", init.num_inputs()));
  }
  bool exclusive = false, reverse = false;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("exclusive", &exclusive));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("reverse", &reverse));
  return MakeKernel([exclusive, reverse](KernelContext* ctx) -> absl::Status {
    const Tensor& in0 = ctx->input(0);
    const Tensor& axis_t = ctx->input(1);
    if ((axis_t.dtype() != DType::kInt32 && axis_t.dtype() != DType::kInt64) ||
        axis_t.rank() != 0) {
      return ctx->Error(absl::StrCat("ScanOp: axis must be a scalar, not ",
                                     DTypeName(axis_t.dtype()), " ", axis_t.shape().ToString()));
    }
    const int64_t axis =
        axis_t.dtype() == DType::kInt32 ? axis_t.scalar<int32_t>() : axis_t.scalar<int64_t>();
    int d;
    if (!NormalizeAxis(axis, in0.rank(), &d)) {
      return ctx->Error(absl::StrCat("ScanOp: Expected scan axis in the range [", -in0.rank(), ", ",
                                     in0.rank(), "), but got ", axis));
    }
    const DType dt = in0.dtype();
    const bool half = IsHalfLike(dt);
    Tensor in = half ? HalfLikeToFloat(in0) : in0;
    Tensor out = Tensor::Empty(in.dtype(), in.shape());
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < d; ++i) outer *= in.dim(i);
    for (int i = d + 1; i < in.rank(); ++i) inner *= in.dim(i);
    const int64_t len = in.dim(d);
    bool ok = DispatchScan<S>(in.dtype(), [&]<typename T>() {
      const T* x = in.data<T>();
      T* y = out.data<T>();
      std::vector<T> acc(static_cast<size_t>(inner));
      for (int64_t o = 0; o < outer; ++o) {
        const int64_t base = o * len * inner;
        std::fill(acc.begin(), acc.end(), ScanIdentity<S, T>());
        for (int64_t jj = 0; jj < len; ++jj) {
          const int64_t j = reverse ? len - 1 - jj : jj;
          const T* p = x + base + j * inner;
          T* q = y + base + j * inner;
          for (int64_t i = 0; i < inner; ++i) {
            const T next = ScanStep<S, T>(acc[i], p[i]);
            q[i] = exclusive ? acc[i] : next;
            acc[i] = next;
          }
        }
      }
    });
    if (!ok) return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(dt)));
    ctx->set_output(0, half ? FloatToHalfLike(out, dt) : out);
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterScanKernels(KernelRegistry& r) {
  r.Register("Cumsum", &MakeScan<Scan::kSum>);
  r.Register("Cumprod", &MakeScan<Scan::kProd>);
  r.Register("CumulativeLogsumexp", &MakeScan<Scan::kLogSumExp>);
}

}  // namespace tfmodel::runtime
