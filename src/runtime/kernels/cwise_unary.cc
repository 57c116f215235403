// Element-wise unary ops (Neg, Abs, Exp, Tanh, Round, IsNan, ...), LogicalNot,
// ClipByValue and Cast.
//
// float/double use Eigen array expressions where Eigen has a vectorised form (TF's CPU
// kernels use the same Eigen functors); half and bfloat16 compute in float. Integer
// Neg/Abs/Square wrap around (Abs(INT_MIN) == INT_MIN, as TF on two's complement).
// Round rounds half to even. Sign(NaN) is NaN.
//
// Cast follows TF on x86-64: float -> integer truncates toward zero; NaN and values
// outside the range convert like the cvttss2si instruction TF's compiled kernels use
// (narrow targets go through int32 and keep the low bits, uint32 through int64; an
// invalid value gives INT_MIN of that intermediate). Anything -> bool is x != 0.
// With Truncate=true, narrowing float conversions (to half, bfloat16, or double ->
// float) drop the low mantissa bits instead of rounding to nearest.
#include <cmath>
#include <cstring>
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
using MMap = Eigen::Map<Arr<T>>;

template <typename T>
constexpr bool kFloat = std::is_floating_point_v<T>;
template <typename T>
constexpr bool kInt = std::is_integral_v<T> && !std::is_same_v<T, bool>;
template <typename T>
constexpr bool kSigned = kFloat<T> || (kInt<T> && std::is_signed_v<T>);

template <typename T>
T WrapNeg(T x) {
  using U = std::conditional_t<(sizeof(T) < 4), uint32_t, std::make_unsigned_t<T>>;
  return static_cast<T>(U(0) - static_cast<U>(x));
}
template <typename T>
T WrapMul(T a, T b) {
  using U = std::conditional_t<(sizeof(T) < 4), uint32_t, std::make_unsigned_t<T>>;
  return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
}

// Float-only op with both a scalar and an Eigen array form.
#define TFM_FLOAT_UNARY(Name, scalar_expr, array_expr) \
  struct Name {                                        \
    template <typename T>                              \
    static constexpr bool Supports() {                 \
      return kFloat<T>;                                \
    }                                                  \
    template <typename T>                              \
    static T Apply(T x) {                              \
      return scalar_expr;                              \
    }                                                  \
    static constexpr bool kHasArray = true;            \
    template <typename A>                              \
    static auto Array(const A& x) {                    \
      return array_expr;                               \
    }                                                  \
  };
// Float-only op with a scalar form only.
#define TFM_FLOAT_UNARY_SCALAR(Name, scalar_expr) \
  struct Name {                                   \
    template <typename T>                         \
    static constexpr bool Supports() {            \
      return kFloat<T>;                           \
    }                                             \
    template <typename T>                         \
    static T Apply(T x) {                         \
      return scalar_expr;                         \
    }                                             \
    static constexpr bool kHasArray = false;      \
    template <typename A>                         \
    static auto Array(const A& x) {               \
      return x;                                   \
    }                                             \
  };

TFM_FLOAT_UNARY(ExpOp, std::exp(x), x.exp())
TFM_FLOAT_UNARY(Expm1Op, std::expm1(x), x.expm1())
TFM_FLOAT_UNARY(LogOp, std::log(x), x.log())
TFM_FLOAT_UNARY(Log1pOp, std::log1p(x), x.log1p())
TFM_FLOAT_UNARY(SqrtOp, std::sqrt(x), x.sqrt())
TFM_FLOAT_UNARY(RsqrtOp, T(1) / std::sqrt(x), x.rsqrt())
TFM_FLOAT_UNARY(ReciprocalOp, T(1) / x, x.inverse())
TFM_FLOAT_UNARY(FloorOp, std::floor(x), x.floor())
TFM_FLOAT_UNARY(CeilOp, std::ceil(x), x.ceil())
TFM_FLOAT_UNARY(RintOp, std::nearbyint(x), x.rint())
TFM_FLOAT_UNARY(SinOp, std::sin(x), x.sin())
TFM_FLOAT_UNARY(CosOp, std::cos(x), x.cos())
TFM_FLOAT_UNARY(TanOp, std::tan(x), x.tan())
TFM_FLOAT_UNARY(AsinOp, std::asin(x), x.asin())
TFM_FLOAT_UNARY(AcosOp, std::acos(x), x.acos())
TFM_FLOAT_UNARY(AtanOp, std::atan(x), x.atan())
TFM_FLOAT_UNARY(SinhOp, std::sinh(x), x.sinh())
TFM_FLOAT_UNARY(CoshOp, std::cosh(x), x.cosh())
TFM_FLOAT_UNARY(TanhOp, std::tanh(x), x.tanh())
TFM_FLOAT_UNARY(SigmoidOp, T(1) / (T(1) + std::exp(-x)), x.logistic())
TFM_FLOAT_UNARY_SCALAR(AsinhOp, std::asinh(x))
TFM_FLOAT_UNARY_SCALAR(AcoshOp, std::acosh(x))
TFM_FLOAT_UNARY_SCALAR(AtanhOp, std::atanh(x))
TFM_FLOAT_UNARY_SCALAR(ErfOp, std::erf(x))
TFM_FLOAT_UNARY_SCALAR(ErfcOp, std::erfc(x))

#undef TFM_FLOAT_UNARY
#undef TFM_FLOAT_UNARY_SCALAR

// Ops defined for signed integers and floats.
struct NegOp {
  template <typename T>
  static constexpr bool Supports() {
    return kSigned<T>;
  }
  template <typename T>
  static T Apply(T x) {
    if constexpr (kInt<T>)
      return WrapNeg(x);
    else
      return -x;
  }
  static constexpr bool kHasArray = true;
  template <typename A>
  static auto Array(const A& x) {
    return -x;
  }
};
struct AbsOp {
  template <typename T>
  static constexpr bool Supports() {
    return kSigned<T>;
  }
  template <typename T>
  static T Apply(T x) {
    if constexpr (kInt<T>)
      return x < 0 ? WrapNeg(x) : x;
    else
      return std::fabs(x);
  }
  static constexpr bool kHasArray = true;
  template <typename A>
  static auto Array(const A& x) {
    return x.abs();
  }
};
struct SquareOp {
  template <typename T>
  static constexpr bool Supports() {
    return kFloat<T> || kInt<T>;
  }
  template <typename T>
  static T Apply(T x) {
    if constexpr (kInt<T>)
      return WrapMul(x, x);
    else
      return x * x;
  }
  static constexpr bool kHasArray = true;
  template <typename A>
  static auto Array(const A& x) {
    return x.square();
  }
};
struct SignOp {
  template <typename T>
  static constexpr bool Supports() {
    return kSigned<T>;
  }
  template <typename T>
  static T Apply(T x) {
    if constexpr (kFloat<T>) {
      if (std::isnan(x)) return x;
    }
    return static_cast<T>((x > T(0)) - (x < T(0)));
  }
  static constexpr bool kHasArray = false;
  template <typename A>
  static auto Array(const A& x) {
    return x;
  }
};
// Round half to even; identity on integers.
struct RoundOp {
  template <typename T>
  static constexpr bool Supports() {
    return kFloat<T> || kInt<T>;
  }
  template <typename T>
  static T Apply(T x) {
    if constexpr (kFloat<T>)
      return std::nearbyint(x);
    else
      return x;
  }
  static constexpr bool kHasArray = true;
  template <typename A>
  static auto Array(const A& x) {
    return x.rint();
  }
};

absl::Status Unsupported(KernelContext* ctx, DType t) {
  return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(t)));
}

template <typename Op>
absl::Status ComputeUnary(KernelContext* ctx) {
  const Tensor& in0 = ctx->input(0);
  const DType dt = in0.dtype();
  const bool half = IsHalfLike(dt);
  Tensor in = half ? HalfLikeToFloat(in0) : in0;
  Tensor out = Tensor::Empty(in.dtype(), in.shape());
  const int64_t n = in.NumElements();
  bool supported = false;
  DispatchReal(in.dtype(), [&]<typename T>() {
    if constexpr (Op::template Supports<T>()) {
      supported = true;
      const T* x = in.data<T>();
      T* o = out.data<T>();
      if constexpr (Op::kHasArray && kFloat<T>) {
        MMap<T>(o, n) = Op::Array(CMap<T>(x, n));
      } else {
        for (int64_t i = 0; i < n; ++i) o[i] = Op::template Apply<T>(x[i]);
      }
    }
  });
  if (!supported) return Unsupported(ctx, dt);
  ctx->set_output(0, half ? FloatToHalfLike(out, dt) : out);
  return absl::OkStatus();
}

KernelFactory OneInput(std::function<absl::Status(KernelContext*)> fn) {
  return [fn](const KernelInit& init) -> absl::StatusOr<std::unique_ptr<OpKernel>> {
    if (init.num_inputs() != 1)
      return init.Error(absl::StrCat("expected 1 input, got ", init.num_inputs()));
    return MakeKernel(fn);
  };
}

template <typename Op>
void RegisterUnary(KernelRegistry& r, const std::string& name) {
  r.Register(name, OneInput(&ComputeUnary<Op>));
}

// IsNan / IsInf / IsFinite: float types -> bool.
enum class FloatClass { kNan, kInf, kFinite };

template <FloatClass C>
absl::Status ComputeClassify(KernelContext* ctx) {
  const Tensor& in0 = ctx->input(0);
  const DType dt = in0.dtype();
  if (dt != DType::kFloat && dt != DType::kDouble && !IsHalfLike(dt)) return Unsupported(ctx, dt);
  Tensor in = IsHalfLike(dt) ? HalfLikeToFloat(in0) : in0;
  Tensor* out = ctx->allocate_output(0, DType::kBool, in.shape());
  bool* o = out->data<bool>();
  const int64_t n = in.NumElements();
  auto run = [&]<typename T>() {
    const T* x = in.data<T>();
    for (int64_t i = 0; i < n; ++i) {
      if constexpr (C == FloatClass::kNan) o[i] = std::isnan(x[i]);
      if constexpr (C == FloatClass::kInf) o[i] = std::isinf(x[i]);
      if constexpr (C == FloatClass::kFinite) o[i] = std::isfinite(x[i]);
    }
  };
  if (in.dtype() == DType::kFloat)
    run.template operator()<float>();
  else
    run.template operator()<double>();
  return absl::OkStatus();
}

absl::Status ComputeLogicalNot(KernelContext* ctx) {
  const Tensor& in = ctx->input(0);
  if (in.dtype() != DType::kBool)
    return ctx->Error(absl::StrCat("input must be bool, got ", DTypeName(in.dtype())));
  Tensor* out = ctx->allocate_output(0, DType::kBool, in.shape());
  const bool* x = in.data<bool>();
  bool* o = out->data<bool>();
  for (int64_t i = 0; i < in.NumElements(); ++i) o[i] = !x[i];
  return absl::OkStatus();
}

// ClipByValue(t, clip_value_min, clip_value_max): min/max are scalars or t's shape.
absl::Status ComputeClip(KernelContext* ctx) {
  const Tensor& t0 = ctx->input(0);
  const Tensor& lo0 = ctx->input(1);
  const Tensor& hi0 = ctx->input(2);
  if (lo0.dtype() != t0.dtype() || hi0.dtype() != t0.dtype()) {
    return ctx->Error(absl::StrCat("inputs must have the same dtype, got ", DTypeName(t0.dtype()),
                                   ", ", DTypeName(lo0.dtype()), " and ", DTypeName(hi0.dtype())));
  }
  auto ok_shape = [&](const Tensor& c) { return c.rank() == 0 || c.shape() == t0.shape(); };
  if (!ok_shape(lo0) || !ok_shape(hi0)) {
    return ctx->Error(absl::StrCat(
        "clip_value_min and clip_value_max must be either scalars or have the same shape as the "
        "input, got shapes ",
        t0.shape().ToString(), ", ", lo0.shape().ToString(), " and ", hi0.shape().ToString()));
  }
  const DType dt = t0.dtype();
  const bool half = IsHalfLike(dt);
  Tensor t = half ? HalfLikeToFloat(t0) : t0;
  Tensor lo = half ? HalfLikeToFloat(lo0) : lo0;
  Tensor hi = half ? HalfLikeToFloat(hi0) : hi0;
  Tensor out = Tensor::Empty(t.dtype(), t.shape());
  const int64_t n = t.NumElements();
  const bool lo_s = lo.rank() == 0, hi_s = hi.rank() == 0;
  bool ok = DispatchReal(t.dtype(), [&]<typename T>() {
    const T* x = t.data<T>();
    const T* pl = lo.data<T>();
    const T* ph = hi.data<T>();
    T* o = out.data<T>();
    if (lo_s && hi_s) {
      const T l = pl[0], h = ph[0];
      for (int64_t i = 0; i < n; ++i) o[i] = std::max(std::min(x[i], h), l);
    } else {
      for (int64_t i = 0; i < n; ++i) {
        o[i] = std::max(std::min(x[i], ph[hi_s ? 0 : i]), pl[lo_s ? 0 : i]);
      }
    }
  });
  if (!ok) return Unsupported(ctx, dt);
  ctx->set_output(0, half ? FloatToHalfLike(out, dt) : out);
  return absl::OkStatus();
}

// ---- Cast ----

// double -> int32 as x86 cvttsd2si: truncation; NaN / out of range -> INT32_MIN.
int32_t X86ToI32(double x) {
  if (!(x > -2147483649.0 && x < 2147483648.0)) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(x);
}
int64_t X86ToI64(double x) {
  if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0)) {
    return std::numeric_limits<int64_t>::min();
  }
  return static_cast<int64_t>(x);
}

template <typename D>
D FloatToInt(double x) {
  if constexpr (std::is_same_v<D, int64_t>) {
    return X86ToI64(x);
  } else if constexpr (std::is_same_v<D, uint64_t>) {
    constexpr double k2p63 = 9223372036854775808.0;
    if (std::isnan(x) || x < k2p63) return static_cast<uint64_t>(X86ToI64(x));
    return static_cast<uint64_t>(X86ToI64(x - k2p63)) ^ (uint64_t{1} << 63);
  } else if constexpr (std::is_same_v<D, uint32_t>) {
    return static_cast<uint32_t>(X86ToI64(x));
  } else {
    return static_cast<D>(X86ToI32(x));
  }
}

template <typename D, typename S>
D ConvertValue(S x) {
  if constexpr (std::is_same_v<D, bool>) {
    return x != S(0);
  } else if constexpr (kFloat<S> && kInt<D>) {
    return FloatToInt<D>(static_cast<double>(x));
  } else {
    return static_cast<D>(x);
  }
}

// Zeroes the `bits` low mantissa bits (truncation before a narrowing conversion).
float TruncateFloatBits(float f, int bits) {
  if (std::isnan(f)) return f;
  uint32_t u;
  std::memcpy(&u, &f, 4);
  u &= ~((uint32_t{1} << bits) - 1);
  std::memcpy(&f, &u, 4);
  return f;
}
double TruncateDoubleBits(double f, int bits) {
  if (std::isnan(f)) return f;
  uint64_t u;
  std::memcpy(&u, &f, 8);
  u &= ~((uint64_t{1} << bits) - 1);
  std::memcpy(&f, &u, 8);
  return f;
}

bool CastableDType(DType t) {
  switch (t) {
    case DType::kFloat:
    case DType::kDouble:
    case DType::kInt32:
    case DType::kInt64:
    case DType::kUInt8:
    case DType::kInt8:
    case DType::kInt16:
    case DType::kUInt16:
    case DType::kUInt32:
    case DType::kUInt64:
    case DType::kBool:
    case DType::kHalf:
    case DType::kBFloat16:
      return true;
    default:
      return false;
  }
}

absl::StatusOr<Tensor> CastTensor(const Tensor& in0, DType dst, bool truncate) {
  const DType src = in0.dtype();
  if (src == dst) return in0;
  // half-like sources become float first (exact).
  Tensor in = IsHalfLike(src) ? HalfLikeToFloat(in0) : in0;
  const int64_t n = in.NumElements();
  if (IsHalfLike(dst)) {
    // Compute the float value, then narrow.
    Tensor f = Tensor::Empty(DType::kFloat, in.shape());
    float* o = f.data<float>();
    DispatchNumeric(in.dtype(), [&]<typename S>() {
      const S* x = in.data<S>();
      for (int64_t i = 0; i < n; ++i) {
        if constexpr (std::is_same_v<S, double>) {
          o[i] = static_cast<float>(truncate ? TruncateDoubleBits(x[i], 29) : x[i]);
        } else {
          o[i] = static_cast<float>(x[i]);
        }
      }
    });
    if (truncate) {
      const int bits = dst == DType::kHalf ? 13 : 16;
      for (int64_t i = 0; i < n; ++i) o[i] = TruncateFloatBits(o[i], bits);
    }
    return FloatToHalfLike(f, dst);
  }
  Tensor out = Tensor::Empty(dst, in.shape());
  DispatchNumeric(in.dtype(), [&]<typename S>() {
    const S* x = in.data<S>();
    DispatchNumeric(dst, [&]<typename D>() {
      D* o = out.data<D>();
      if constexpr (std::is_same_v<S, double> && std::is_same_v<D, float>) {
        for (int64_t i = 0; i < n; ++i) {
          o[i] = static_cast<float>(truncate ? TruncateDoubleBits(x[i], 29) : x[i]);
        }
      } else {
        for (int64_t i = 0; i < n; ++i) o[i] = ConvertValue<D, S>(x[i]);
      }
    });
  });
  return out;
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeCast(const KernelInit& init) {
  if (init.num_inputs() != 1)
    return init.Error(absl::StrCat("expected 1 input, got ", init.num_inputs()));
  DType dst;
  TFM_RETURN_IF_ERROR(init.GetAttr("DstT", &dst));
  DType src = DType::kInvalid;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("SrcT", &src));
  bool truncate = false;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("Truncate", &truncate));
  if (!CastableDType(dst)) {
    return init.Error(absl::StrCat("Cast to ", DTypeName(dst), " is not supported"));
  }
  if (src != DType::kInvalid && src != dst && !CastableDType(src)) {
    return init.Error(
        absl::StrCat("Cast from ", DTypeName(src), " to ", DTypeName(dst), " is not supported"));
  }
  return MakeKernel([src, dst, truncate](KernelContext* ctx) -> absl::Status {
    const Tensor& in = ctx->input(0);
    if (src != DType::kInvalid && in.dtype() != src) {
      return ctx->Error(
          absl::StrCat("input has dtype ", DTypeName(in.dtype()), " but SrcT is ", DTypeName(src)));
    }
    if (in.dtype() == dst) {
      ctx->set_output(0, in);
      return absl::OkStatus();
    }
    if (!CastableDType(in.dtype())) {
      return ctx->Error(absl::StrCat("Cast from ", DTypeName(in.dtype()), " to ", DTypeName(dst),
                                     " is not supported"));
    }
    TFM_ASSIGN_OR_RETURN(Tensor out, CastTensor(in, dst, truncate));
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterCwiseUnaryKernels(KernelRegistry& r) {
  RegisterUnary<NegOp>(r, "Neg");
  RegisterUnary<AbsOp>(r, "Abs");
  RegisterUnary<SignOp>(r, "Sign");
  RegisterUnary<ExpOp>(r, "Exp");
  RegisterUnary<Expm1Op>(r, "Expm1");
  RegisterUnary<LogOp>(r, "Log");
  RegisterUnary<Log1pOp>(r, "Log1p");
  RegisterUnary<SqrtOp>(r, "Sqrt");
  RegisterUnary<RsqrtOp>(r, "Rsqrt");
  RegisterUnary<SquareOp>(r, "Square");
  RegisterUnary<ReciprocalOp>(r, "Reciprocal");
  RegisterUnary<ReciprocalOp>(r, "Inv");
  RegisterUnary<FloorOp>(r, "Floor");
  RegisterUnary<CeilOp>(r, "Ceil");
  RegisterUnary<RoundOp>(r, "Round");
  RegisterUnary<RintOp>(r, "Rint");
  RegisterUnary<SinOp>(r, "Sin");
  RegisterUnary<CosOp>(r, "Cos");
  RegisterUnary<TanOp>(r, "Tan");
  RegisterUnary<AsinOp>(r, "Asin");
  RegisterUnary<AcosOp>(r, "Acos");
  RegisterUnary<AtanOp>(r, "Atan");
  RegisterUnary<SinhOp>(r, "Sinh");
  RegisterUnary<CoshOp>(r, "Cosh");
  RegisterUnary<TanhOp>(r, "Tanh");
  RegisterUnary<AsinhOp>(r, "Asinh");
  RegisterUnary<AcoshOp>(r, "Acosh");
  RegisterUnary<AtanhOp>(r, "Atanh");
  RegisterUnary<SigmoidOp>(r, "Sigmoid");
  RegisterUnary<ErfOp>(r, "Erf");
  RegisterUnary<ErfcOp>(r, "Erfc");
  r.Register("IsNan", OneInput(&ComputeClassify<FloatClass::kNan>));
  r.Register("IsInf", OneInput(&ComputeClassify<FloatClass::kInf>));
  r.Register("IsFinite", OneInput(&ComputeClassify<FloatClass::kFinite>));
  r.Register("LogicalNot", OneInput(&ComputeLogicalNot));
  r.Register("ClipByValue",
             [](const KernelInit& init) -> absl::StatusOr<std::unique_ptr<OpKernel>> {
               if (init.num_inputs() != 3)
                 return init.Error(absl::StrCat("expected 3 inputs, got ", init.num_inputs()));
               return MakeKernel(&ComputeClip);
             });
  r.Register("Cast", &MakeCast);
}

}  // namespace tfmodel::runtime
