// Reductions (Sum, Mean, Prod, Max, Min, All, Any, EuclideanNorm) and ArgMax/ArgMin.
// (The scans Cumsum/Cumprod/CumulativeLogsumexp are in scan_ops.cc.)
//
// TF semantics: axes come from an int32/int64 scalar or vector tensor, may be negative,
// must be in [-rank, rank) and must not repeat; no axes means identity. keep_dims keeps
// reduced dims as 1. Reducing an empty set gives the reducer's identity: Sum 0, Prod 1,
// Max -inf (lowest for integers), Min +inf (highest), All true, Any false, Mean NaN for
// floats and 0 for integers. Integer Mean divides with truncation. Max/Min propagate NaN.
// Integer Sum/Prod wrap around. half/bfloat16 reduce in float; Sum/Mean/Prod take complex.
#include <cmath>
#include <limits>
#include <type_traits>

#include "Eigen/Core"
#include "runtime/kernel.h"
#include "runtime/kernels/broadcast.h"

namespace tfmodel::runtime {
namespace {

template <typename T>
using Arr = Eigen::Array<T, Eigen::Dynamic, 1>;
template <typename T>
using CMap = Eigen::Map<const Arr<T>>;

template <typename T>
constexpr bool kFloat = std::is_floating_point_v<T>;
template <typename T>
constexpr bool kInt = std::is_integral_v<T> && !std::is_same_v<T, bool>;

template <typename T>
using WideU = std::conditional_t<(sizeof(T) < 4), uint32_t, std::make_unsigned_t<T>>;
template <typename T>
T WAdd(T a, T b) {
  return static_cast<T>(static_cast<WideU<T>>(a) + static_cast<WideU<T>>(b));
}
template <typename T>
T WMul(T a, T b) {
  return static_cast<T>(static_cast<WideU<T>>(a) * static_cast<WideU<T>>(b));
}

absl::Status Unsupported(KernelContext* ctx, DType t) {
  return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(t)));
}

// Reads an axis tensor (int32/int64, scalar or vector) into a per-dim bitmap.
absl::Status ReadAxes(KernelContext* ctx, const Tensor& axes, int rank, std::vector<bool>* reduce) {
  if (axes.dtype() != DType::kInt32 && axes.dtype() != DType::kInt64) {
    return ctx->Error(
        absl::StrCat("reduction indices must be int32 or int64, got ", DTypeName(axes.dtype())));
  }
  if (axes.rank() > 1) {
    return ctx->Error(absl::StrCat("reduction indices must be a scalar or vector, got shape ",
                                   axes.shape().ToString()));
  }
  reduce->assign(rank, false);
  for (int64_t i = 0; i < axes.NumElements(); ++i) {
    int64_t a = axes.dtype() == DType::kInt32 ? axes.data<int32_t>()[i] : axes.data<int64_t>()[i];
    int d;
    if (!NormalizeAxis(a, rank, &d)) {
      return ctx->Error(absl::StrCat("Invalid reduction dimension ", a, " for input with ", rank,
                                     " dimension(s)"));
    }
    if ((*reduce)[d]) {
      return ctx->Error(
          absl::StrCat("Invalid reduction arguments: Axes contains duplicate dimension: ", d));
    }
    (*reduce)[d] = true;
  }
  return absl::OkStatus();
}

enum class Red { kSum, kMean, kProd, kMax, kMin, kAll, kAny, kNorm };

template <Red R, typename T>
T Identity() {
  if constexpr (R == Red::kProd) return T(1);
  if constexpr (R == Red::kAll) return true;
  if constexpr (R == Red::kAny) return false;
  if constexpr (R == Red::kMax) {
    if constexpr (kFloat<T>)
      return -std::numeric_limits<T>::infinity();
    else
      return std::numeric_limits<T>::lowest();
  }
  if constexpr (R == Red::kMin) {
    if constexpr (kFloat<T>)
      return std::numeric_limits<T>::infinity();
    else
      return std::numeric_limits<T>::max();
  }
  return T(0);
}

// acc (+) x. For kNorm, x is already squared.
template <Red R, typename T>
T Combine(T acc, T x) {
  if constexpr (R == Red::kSum || R == Red::kMean || R == Red::kNorm) {
    if constexpr (kInt<T>)
      return WAdd(acc, x);
    else
      return acc + x;
  } else if constexpr (R == Red::kProd) {
    if constexpr (kInt<T>)
      return WMul(acc, x);
    else
      return acc * x;
  } else if constexpr (R == Red::kMax) {
    if constexpr (kFloat<T>) {
      if (std::isnan(acc) || std::isnan(x)) return std::numeric_limits<T>::quiet_NaN();
    }
    return x > acc ? x : acc;
  } else if constexpr (R == Red::kMin) {
    if constexpr (kFloat<T>) {
      if (std::isnan(acc) || std::isnan(x)) return std::numeric_limits<T>::quiet_NaN();
    }
    return x < acc ? x : acc;
  } else if constexpr (R == Red::kAll) {
    return acc && x;
  } else {
    return acc || x;
  }
}

template <Red R, typename T>
T Prepare(T x) {
  if constexpr (R == Red::kNorm) {
    if constexpr (kInt<T>)
      return WMul(x, x);
    else
      return x * x;
  }
  return x;
}

// Reduces a contiguous run.
template <Red R, typename T>
T ReduceRun(const T* p, int64_t n) {
  if constexpr (kFloat<T>) {
    CMap<T> m(p, n);
    if (n == 0) return Identity<R, T>();
    if constexpr (R == Red::kSum || R == Red::kMean) return m.sum();
    if constexpr (R == Red::kNorm) return m.square().sum();
    if constexpr (R == Red::kProd) return m.prod();
    if constexpr (R == Red::kMax) return m.template maxCoeff<Eigen::PropagateNaN>();
    if constexpr (R == Red::kMin) return m.template minCoeff<Eigen::PropagateNaN>();
  }
  T acc = Identity<R, T>();
  for (int64_t i = 0; i < n; ++i) acc = Combine<R, T>(acc, Prepare<R, T>(p[i]));
  return acc;
}

template <Red R, typename T>
void Finalize(T* out, int64_t n, int64_t count) {
  if constexpr (R == Red::kMean) {
    if constexpr (!kInt<T>) {  // floats and complex (an empty mean is NaN)
      for (int64_t i = 0; i < n; ++i) out[i] = out[i] / static_cast<T>(count);
    } else {
      // TF divides by the count cast to T (so it wraps for narrow types).
      const T c = static_cast<T>(count);
      if (c == 0) return;  // empty input: identity 0 stays (TF would trap otherwise)
      for (int64_t i = 0; i < n; ++i) {
        if constexpr (std::is_signed_v<T>) {
          if (c == T(-1)) {
            out[i] = static_cast<T>(WideU<T>(0) - static_cast<WideU<T>>(out[i]));
            continue;
          }
        }
        out[i] = static_cast<T>(out[i] / c);
      }
    }
  } else if constexpr (R == Red::kNorm) {
    for (int64_t i = 0; i < n; ++i) {
      const double v = std::sqrt(static_cast<double>(out[i]));
      if constexpr (kInt<T>) {
        // A wrapped (negative) sum of squares has no root; avoid a UB cast of NaN.
        out[i] = std::isnan(v) ? std::numeric_limits<T>::min() : static_cast<T>(v);
      } else {
        out[i] = static_cast<T>(v);
      }
    }
  }
}

// Reduces `in` (shape dims) over the dims flagged in `reduce` into out (already sized to
// the number of kept elements, in kept-dims order).
template <Red R, typename T>
void ReduceImpl(const T* in, absl::Span<const int64_t> dims, const std::vector<bool>& reduce,
                T* out, int64_t out_n) {
  for (int64_t i = 0; i < out_n; ++i) out[i] = Identity<R, T>();
  int64_t in_n = 1;
  for (int64_t d : dims) in_n *= d;
  int64_t count = out_n == 0 ? 0 : in_n / std::max<int64_t>(out_n, 1);
  if (in_n == 0 || out_n == 0) {
    if (out_n) Finalize<R, T>(out, out_n, 0);
    return;
  }
  // Collapse dims: drop size-1 dims, merge neighbours with the same flag.
  std::vector<int64_t> gsize;
  std::vector<bool> gred;
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] == 1) continue;
    if (!gsize.empty() && gred.back() == reduce[d]) {
      gsize.back() *= dims[d];
    } else {
      gsize.push_back(dims[d]);
      gred.push_back(reduce[d]);
    }
  }
  if (gsize.empty()) {  // a single element
    out[0] = Combine<R, T>(out[0], Prepare<R, T>(in[0]));
    Finalize<R, T>(out, out_n, count);
    return;
  }
  const int k = static_cast<int>(gsize.size());
  // Output strides per group (0 for reduced groups).
  std::vector<int64_t> ostride(k, 0);
  int64_t s = 1;
  for (int g = k - 1; g >= 0; --g) {
    if (!gred[g]) {
      ostride[g] = s;
      s *= gsize[g];
    }
  }
  const int64_t row = gsize[k - 1];
  const bool inner_reduced = gred[k - 1];
  const int64_t rows = in_n / row;
  std::vector<int64_t> idx(k, 0);
  int64_t ooff = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const T* p = in + r * row;
    if (inner_reduced) {
      out[ooff] = Combine<R, T>(out[ooff], ReduceRun<R, T>(p, row));
    } else {
      T* o = out + ooff;
      for (int64_t i = 0; i < row; ++i) o[i] = Combine<R, T>(o[i], Prepare<R, T>(p[i]));
    }
    for (int d = k - 2; d >= 0; --d) {
      if (++idx[d] < gsize[d]) {
        ooff += ostride[d];
        break;
      }
      ooff -= ostride[d] * (gsize[d] - 1);
      idx[d] = 0;
    }
  }
  Finalize<R, T>(out, out_n, count);
}

template <Red R>
constexpr bool SupportsType(DType t) {
  if (R == Red::kAll || R == Red::kAny) return t == DType::kBool;
  return t != DType::kBool;
}

template <Red R>
absl::StatusOr<std::unique_ptr<OpKernel>> MakeReduction(const KernelInit& init) {
  if (init.num_inputs() != 2)
    return init.Error(absl::StrCat("expected 2 inputs, got ", init.num_inputs()));
  bool keep_dims = false;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("keep_dims", &keep_dims));
  return MakeKernel([keep_dims](KernelContext* ctx) -> absl::Status {
    const Tensor& in0 = ctx->input(0);
    std::vector<bool> reduce;
    TFM_RETURN_IF_ERROR(ReadAxes(ctx, ctx->input(1), in0.rank(), &reduce));
    const DType dt = in0.dtype();
    if (!SupportsType<R>(dt)) return Unsupported(ctx, dt);
    TensorShape out_shape;
    for (int d = 0; d < in0.rank(); ++d) {
      if (!reduce[d])
        out_shape.AddDim(in0.dim(d));
      else if (keep_dims)
        out_shape.AddDim(1);
    }
    bool any = false;
    for (bool b : reduce) any |= b;
    if (!any) {  // identity
      TFM_ASSIGN_OR_RETURN(Tensor same, in0.Reshaped(out_shape));
      ctx->set_output(0, same);
      return absl::OkStatus();
    }
    const bool half = IsHalfLike(dt);
    Tensor in = half ? HalfLikeToFloat(in0) : in0;
    Tensor out = Tensor::Empty(in.dtype(), out_shape);
    auto run = [&]<typename T>() {
      if constexpr ((R == Red::kAll || R == Red::kAny) == std::is_same_v<T, bool>) {
        ReduceImpl<R, T>(in.data<T>(), in.shape().dim_sizes(), reduce, out.data<T>(),
                         out.NumElements());
      }
    };
    bool ok = DispatchNumeric(in.dtype(), run);
    // Sum, Mean and Prod also take complex numbers (as TF registers them).
    if constexpr (R == Red::kSum || R == Red::kMean || R == Red::kProd) {
      if (dt == DType::kComplex64) {
        run.template operator()<complex64>();
        ok = true;
      } else if (dt == DType::kComplex128) {
        run.template operator()<complex128>();
        ok = true;
      }
    }
    if (!ok) return Unsupported(ctx, dt);
    ctx->set_output(0, half ? FloatToHalfLike(out, dt) : out);
    return absl::OkStatus();
  });
}

// Reads a scalar int32/int64 axis tensor.
absl::Status ReadScalarAxis(KernelContext* ctx, const Tensor& t, const char* what, int64_t* v) {
  if ((t.dtype() != DType::kInt32 && t.dtype() != DType::kInt64) || t.NumElements() != 1 ||
      t.rank() > 1) {
    return ctx->Error(absl::StrCat(what, " must be a scalar int32 or int64, got ",
                                   DTypeName(t.dtype()), " ", t.shape().ToString()));
  }
  *v = t.dtype() == DType::kInt32 ? t.data<int32_t>()[0] : t.data<int64_t>()[0];
  return absl::OkStatus();
}

// outer x len x inner view around axis d.
void SplitAround(const TensorShape& s, int d, int64_t* outer, int64_t* len, int64_t* inner) {
  *outer = 1;
  *inner = 1;
  for (int i = 0; i < d; ++i) *outer *= s.dim(i);
  for (int i = d + 1; i < s.rank(); ++i) *inner *= s.dim(i);
  *len = s.dim(d);
}

template <bool kMax>
absl::StatusOr<std::unique_ptr<OpKernel>> MakeArg(const KernelInit& init) {
  if (init.num_inputs() != 2)
    return init.Error(absl::StrCat("expected 2 inputs, got ", init.num_inputs()));
  DType out_type = DType::kInt64;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("output_type", &out_type));
  if (out_type != DType::kInt32 && out_type != DType::kInt64) {
    return init.Error(
        absl::StrCat("output_type must be int32 or int64, got ", DTypeName(out_type)));
  }
  return MakeKernel([out_type](KernelContext* ctx) -> absl::Status {
    const Tensor& in0 = ctx->input(0);
    int64_t axis;
    TFM_RETURN_IF_ERROR(ReadScalarAxis(ctx, ctx->input(1), "dimension", &axis));
    int d;
    if (!NormalizeAxis(axis, in0.rank(), &d)) {
      return ctx->Error(absl::StrCat("Expected dimension in the range [", -in0.rank(), ", ",
                                     in0.rank(), "), but got ", axis));
    }
    if (in0.dim(d) == 0) {
      return ctx->Error(
          absl::StrCat("Reduction axis ", axis, " is empty in shape ", in0.shape().ToString()));
    }
    TensorShape out_shape = in0.shape();
    out_shape.RemoveDim(d);
    const DType dt = in0.dtype();
    Tensor in = IsHalfLike(dt) ? HalfLikeToFloat(in0) : in0;
    int64_t outer, len, inner;
    SplitAround(in.shape(), d, &outer, &len, &inner);
    Tensor* out = ctx->allocate_output(0, out_type, out_shape);
    std::vector<int64_t> best_idx(inner);
    bool ok = DispatchNumeric(in.dtype(), [&]<typename T>() {
      const T* x = in.data<T>();
      std::vector<T> best(inner);
      for (int64_t o = 0; o < outer; ++o) {
        const T* base = x + o * len * inner;
        for (int64_t i = 0; i < inner; ++i) {
          best[i] = base[i];
          best_idx[i] = 0;
        }
        for (int64_t j = 1; j < len; ++j) {
          const T* p = base + j * inner;
          for (int64_t i = 0; i < inner; ++i) {
            bool better = kMax ? (p[i] > best[i]) : (p[i] < best[i]);
            if (better) {
              best[i] = p[i];
              best_idx[i] = j;
            }
          }
        }
        for (int64_t i = 0; i < inner; ++i) {
          if (out_type == DType::kInt32)
            out->data<int32_t>()[o * inner + i] = static_cast<int32_t>(best_idx[i]);
          else
            out->data<int64_t>()[o * inner + i] = best_idx[i];
        }
      }
    });
    if (!ok) return Unsupported(ctx, dt);
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterReductionKernels(KernelRegistry& r) {
  r.Register("Sum", &MakeReduction<Red::kSum>);
  r.Register("Mean", &MakeReduction<Red::kMean>);
  r.Register("Prod", &MakeReduction<Red::kProd>);
  r.Register("Max", &MakeReduction<Red::kMax>);
  r.Register("Min", &MakeReduction<Red::kMin>);
  r.Register("All", &MakeReduction<Red::kAll>);
  r.Register("Any", &MakeReduction<Red::kAny>);
  r.Register("EuclideanNorm", &MakeReduction<Red::kNorm>);
  r.Register("ArgMax", &MakeArg<true>);
  r.Register("ArgMin", &MakeArg<false>);
}

}  // namespace tfmodel::runtime
