// Element-wise binary ops with numpy broadcasting: arithmetic, division/modulo families,
// Maximum/Minimum, Pow, comparisons, logical ops, Select/SelectV2 and AddN.
//
// Semantics follow TensorFlow's CPU kernels:
//  - integer Div/TruncateDiv/RealDiv truncate toward zero; FloorDiv/FloorMod round toward
//    -inf (Python style); Mod/TruncateMod take the sign of the dividend. Integer division
//    or modulo by zero fails with "Integer division by zero"; INT_MIN / -1 wraps to
//    INT_MIN (and INT_MIN % -1 is 0) instead of trapping.
//  - integer Add/Sub/Mul/SquaredDifference/Pow/AddN wrap around on overflow.
//  - Maximum/Minimum return NaN when either input is NaN.
//  - integer Pow with a negative exponent fails.
//  - half and bfloat16 compute in float and round back.
// float/double rows use Eigen array expressions (explicit SIMD); integer rows use plain
// loops with unsigned (wrapping) arithmetic.
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
using MMap = Eigen::Map<Arr<T>>;

// Wrapping integer arithmetic (no signed-overflow UB; small types widened so that
// uint16*uint16 does not overflow int).
template <typename T>
using WideU = std::conditional_t<(sizeof(T) < 4), uint32_t, std::make_unsigned_t<T>>;
template <typename T>
T WAdd(T a, T b) {
  return static_cast<T>(static_cast<WideU<T>>(a) + static_cast<WideU<T>>(b));
}
template <typename T>
T WSub(T a, T b) {
  return static_cast<T>(static_cast<WideU<T>>(a) - static_cast<WideU<T>>(b));
}
template <typename T>
T WMul(T a, T b) {
  return static_cast<T>(static_cast<WideU<T>>(a) * static_cast<WideU<T>>(b));
}

template <typename T>
constexpr bool kFloat = std::is_floating_point_v<T>;
template <typename T>
constexpr bool kInt = std::is_integral_v<T> && !std::is_same_v<T, bool>;
template <typename T>
constexpr bool kReal = kFloat<T> || kInt<T>;

// Integer division with TF's safety rules.
template <typename T>
T TruncDivInt(T a, T b, bool& err) {
  if (b == 0) {
    err = true;
    return 0;
  }
  if constexpr (std::is_signed_v<T>) {
    if (a == std::numeric_limits<T>::min() && b == T(-1)) return WSub(T(0), a);
  }
  return static_cast<T>(a / b);
}
template <typename T>
T TruncModInt(T a, T b, bool& err) {
  if (b == 0) {
    err = true;
    return 0;
  }
  if constexpr (std::is_signed_v<T>) {
    if (a == std::numeric_limits<T>::min() && b == T(-1)) return 0;
  }
  return static_cast<T>(a % b);
}
template <typename T>
T FloorDivInt(T a, T b, bool& err) {
  T z = TruncDivInt(a, b, err);
  if constexpr (std::is_signed_v<T>) {
    if (b != 0 && !(a == std::numeric_limits<T>::min() && b == T(-1))) {
      if (static_cast<T>(z * b) != a && ((a < 0) != (b < 0))) z = static_cast<T>(z - 1);
    }
  }
  return z;
}
template <typename T>
T FloorModInt(T a, T b, bool& err) {
  T m = TruncModInt(a, b, err);
  if constexpr (std::is_signed_v<T>) {
    if (m != 0 && ((b < 0) != (m < 0))) m = static_cast<T>(m + b);
  }
  return m;
}
template <typename T>
T FloorFmod(T a, T b) {
  T m = std::fmod(a, b);
  return (m != T(0) && ((b < T(0)) != (m < T(0)))) ? m + b : m;
}
template <typename T>
T IntPow(T base, T exp, bool& err) {
  if constexpr (std::is_signed_v<T>) {
    if (exp < 0) {
      err = true;
      return 0;
    }
  }
  T result = 1;
  auto e = static_cast<std::make_unsigned_t<T>>(exp);
  while (e) {
    if (e & 1u) result = WMul(result, base);
    base = WMul(base, base);
    e >>= 1;
  }
  return result;
}

// ---- Op definitions. Each has: kErr (error text when err set), Supports<T>,
// Apply<T>(a, b, err), and optionally kHasArray + Array(a, b) for float/double rows.

#define TFM_NO_ERR static constexpr const char* kErr = nullptr;

struct AddOp {
  TFM_NO_ERR
  template <typename T>
  static constexpr bool Supports() {
    return kReal<T>;
  }
  template <typename T>
  static T Apply(T a, T b, bool&) {
    if constexpr (kInt<T>)
      return WAdd(a, b);
    else
      return a + b;
  }
  static constexpr bool kHasArray = true;
  template <typename A, typename B>
  static auto Array(const A& a, const B& b) {
    return a + b;
  }
};
struct SubOp {
  TFM_NO_ERR
  template <typename T>
  static constexpr bool Supports() {
    return kReal<T>;
  }
  template <typename T>
  static T Apply(T a, T b, bool&) {
    if constexpr (kInt<T>)
      return WSub(a, b);
    else
      return a - b;
  }
  static constexpr bool kHasArray = true;
  template <typename A, typename B>
  static auto Array(const A& a, const B& b) {
    return a - b;
  }
};
struct MulOp {
  TFM_NO_ERR
  template <typename T>
  static constexpr bool Supports() {
    return kReal<T>;
  }
  template <typename T>
  static T Apply(T a, T b, bool&) {
    if constexpr (kInt<T>)
      return WMul(a, b);
    else
      return a * b;
  }
  static constexpr bool kHasArray = true;
  template <typename A, typename B>
  static auto Array(const A& a, const B& b) {
    return a * b;
  }
};
// Div, RealDiv, TruncateDiv on integers: truncating, error on zero.
struct DivOp {
  static constexpr const char* kErr = "Integer division by zero";
  template <typename T>
  static constexpr bool Supports() {
    return kReal<T>;
  }
  template <typename T>
  static T Apply(T a, T b, bool& err) {
    if constexpr (kInt<T>)
      return TruncDivInt(a, b, err);
    else
      return a / b;
  }
  static constexpr bool kHasArray = true;
  template <typename A, typename B>
  static auto Array(const A& a, const B& b) {
    return a / b;
  }
};
struct TruncateDivOp {
  static constexpr const char* kErr = "Integer division by zero";
  template <typename T>
  static constexpr bool Supports() {
    return kReal<T>;
  }
  template <typename T>
  static T Apply(T a, T b, bool& err) {
    if constexpr (kInt<T>)
      return TruncDivInt(a, b, err);
    else
      return std::trunc(a / b);
  }
  static constexpr bool kHasArray = false;
};
struct FloorDivOp {
  static constexpr const char* kErr = "Integer division by zero";
  template <typename T>
  static constexpr bool Supports() {
    return kReal<T>;
  }
  template <typename T>
  static T Apply(T a, T b, bool& err) {
    if constexpr (kInt<T>)
      return FloorDivInt(a, b, err);
    else
      return std::floor(a / b);
  }
  static constexpr bool kHasArray = true;
  template <typename A, typename B>
  static auto Array(const A& a, const B& b) {
    return (a / b).floor();
  }
};
struct FloorModOp {
  static constexpr const char* kErr = "Integer division by zero";
  template <typename T>
  static constexpr bool Supports() {
    return kReal<T>;
  }
  template <typename T>
  static T Apply(T a, T b, bool& err) {
    if constexpr (kInt<T>)
      return FloorModInt(a, b, err);
    else
      return FloorFmod(a, b);
  }
  static constexpr bool kHasArray = false;
};
// Mod and TruncateMod: C++ '%' / fmod.
struct TruncateModOp {
  static constexpr const char* kErr = "Integer division by zero";
  template <typename T>
  static constexpr bool Supports() {
    return kReal<T>;
  }
  template <typename T>
  static T Apply(T a, T b, bool& err) {
    if constexpr (kInt<T>)
      return TruncModInt(a, b, err);
    else
      return std::fmod(a, b);
  }
  static constexpr bool kHasArray = false;
};
struct MaximumOp {
  TFM_NO_ERR
  template <typename T>
  static constexpr bool Supports() {
    return kReal<T>;
  }
  template <typename T>
  static T Apply(T a, T b, bool&) {
    if constexpr (kFloat<T>) {
      if (std::isnan(a)) return a;
      if (std::isnan(b)) return b;
    }
    return a > b ? a : b;
  }
  // Eigen 3.4's array max() does not propagate NaN: scalar loop only.
  static constexpr bool kHasArray = false;
  template <typename A, typename B>
  static auto Array(const A& a, const B&) {
    return a;
  }
};
struct MinimumOp {
  TFM_NO_ERR
  template <typename T>
  static constexpr bool Supports() {
    return kReal<T>;
  }
  template <typename T>
  static T Apply(T a, T b, bool&) {
    if constexpr (kFloat<T>) {
      if (std::isnan(a)) return a;
      if (std::isnan(b)) return b;
    }
    return a < b ? a : b;
  }
  static constexpr bool kHasArray = false;
  template <typename A, typename B>
  static auto Array(const A& a, const B&) {
    return a;
  }
};
struct PowOp {
  static constexpr const char* kErr = "Integers to negative integer powers are not allowed";
  template <typename T>
  static constexpr bool Supports() {
    return kReal<T>;
  }
  template <typename T>
  static T Apply(T a, T b, bool& err) {
    if constexpr (kInt<T>)
      return IntPow(a, b, err);
    else
      return std::pow(a, b);
  }
  static constexpr bool kHasArray = false;
};
struct SquaredDifferenceOp {
  TFM_NO_ERR
  template <typename T>
  static constexpr bool Supports() {
    return kReal<T>;
  }
  template <typename T>
  static T Apply(T a, T b, bool&) {
    if constexpr (kInt<T>) {
      T d = WSub(a, b);
      return WMul(d, d);
    } else {
      return (a - b) * (a - b);
    }
  }
  static constexpr bool kHasArray = true;
  template <typename A, typename B>
  static auto Array(const A& a, const B& b) {
    return (a - b).square();
  }
};
struct Atan2Op {
  TFM_NO_ERR
  template <typename T>
  static constexpr bool Supports() {
    return kFloat<T>;
  }
  template <typename T>
  static T Apply(T a, T b, bool&) {
    return std::atan2(a, b);
  }
  static constexpr bool kHasArray = false;
};

#undef TFM_NO_ERR

// Runs op over one output row: a and b have inner strides sa, sb (0 or 1).
template <typename Op, typename T>
void ArithRow(const T* a, int64_t sa, const T* b, int64_t sb, T* out, int64_t n, bool& err) {
  if constexpr (Op::kHasArray && kFloat<T>) {
    MMap<T> o(out, n);
    if (sa && sb) {
      o = Op::Array(CMap<T>(a, n), CMap<T>(b, n));
    } else if (sb) {
      o = Op::Array(Arr<T>::Constant(n, *a), CMap<T>(b, n));
    } else if (sa) {
      o = Op::Array(CMap<T>(a, n), Arr<T>::Constant(n, *b));
    } else {
      T v = Op::Apply(*a, *b, err);
      o.setConstant(v);
    }
    return;
  }
  if (sa && sb) {
    for (int64_t i = 0; i < n; ++i) out[i] = Op::Apply(a[i], b[i], err);
  } else if (sb) {
    const T x = *a;
    for (int64_t i = 0; i < n; ++i) out[i] = Op::Apply(x, b[i], err);
  } else if (sa) {
    const T y = *b;
    for (int64_t i = 0; i < n; ++i) out[i] = Op::Apply(a[i], y, err);
  } else {
    T v = Op::Apply(*a, *b, err);
    for (int64_t i = 0; i < n; ++i) out[i] = v;
  }
}

absl::Status CheckSameDType(KernelContext* ctx, const Tensor& x, const Tensor& y) {
  if (x.dtype() != y.dtype()) {
    return ctx->Error(absl::StrCat("inputs must have the same dtype, got ", DTypeName(x.dtype()),
                                   " and ", DTypeName(y.dtype())));
  }
  return absl::OkStatus();
}

absl::Status PlanFor(KernelContext* ctx, const Tensor& x, const Tensor& y, BroadcastPlan* plan) {
  const TensorShape* shapes[] = {&x.shape(), &y.shape()};
  absl::Status s = MakeBroadcastPlan(shapes, plan);
  if (!s.ok()) return ctx->Error(s.message());
  return absl::OkStatus();
}

absl::Status Unsupported(KernelContext* ctx, DType t) {
  return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(t)));
}

// Arithmetic op kernel: same dtype in and out. With allow_string, Add concatenates.
template <typename Op>
absl::Status ComputeArith(KernelContext* ctx, bool allow_string) {
  const Tensor& x0 = ctx->input(0);
  const Tensor& y0 = ctx->input(1);
  TFM_RETURN_IF_ERROR(CheckSameDType(ctx, x0, y0));
  const DType dt = x0.dtype();
  // Fast path, no broadcast plan: equal shapes or a scalar operand (most element-wise ops
  // in models, and all of them on small serving requests).
  const bool x_scalar = x0.rank() == 0, y_scalar = y0.rank() == 0;
  if (dt != DType::kString && !IsHalfLike(dt) &&
      (x_scalar || y_scalar || x0.shape() == y0.shape())) {
    Tensor out = Tensor::Empty(dt, x_scalar ? y0.shape() : x0.shape());
    bool err = false;
    bool supported = false;
    DispatchReal(dt, [&]<typename T>() {
      if constexpr (Op::template Supports<T>()) {
        supported = true;
        ArithRow<Op, T>(x0.data<T>(), x_scalar ? 0 : 1, y0.data<T>(), y_scalar ? 0 : 1,
                        out.data<T>(), out.NumElements(), err);
      }
    });
    if (!supported) return Unsupported(ctx, dt);
    if (err && Op::kErr != nullptr) return ctx->Error(Op::kErr);
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  }
  BroadcastPlan plan;
  TFM_RETURN_IF_ERROR(PlanFor(ctx, x0, y0, &plan));
  if (dt == DType::kString && allow_string) {
    Tensor* out = ctx->allocate_output(0, dt, plan.out_shape);
    BroadcastLoop(plan, x0.data<std::string>(), y0.data<std::string>(), out->data<std::string>(),
                  [](const std::string& a, const std::string& b) { return a + b; });
    return absl::OkStatus();
  }
  const bool half = IsHalfLike(dt);
  Tensor x = half ? HalfLikeToFloat(x0) : x0;
  Tensor y = half ? HalfLikeToFloat(y0) : y0;
  Tensor out = Tensor::Empty(x.dtype(), plan.out_shape);
  bool err = false;
  bool supported = false;
  DispatchReal(x.dtype(), [&]<typename T>() {
    if constexpr (Op::template Supports<T>()) {
      supported = true;
      const T* a = x.data<T>();
      const T* b = y.data<T>();
      T* o = out.data<T>();
      ForEachRow(plan, [&](int64_t oo, const int64_t* offs, int64_t n, const int64_t* inner) {
        ArithRow<Op, T>(a + offs[0], inner[0], b + offs[1], inner[1], o + oo, n, err);
      });
    }
  });
  if (!supported) return Unsupported(ctx, dt);
  if (err && Op::kErr != nullptr) return ctx->Error(Op::kErr);
  ctx->set_output(0, half ? FloatToHalfLike(out, dt) : out);
  return absl::OkStatus();
}

template <typename Op>
void RegisterArith(KernelRegistry& r, const std::string& name, bool allow_string = false) {
  r.Register(
      name, [allow_string](const KernelInit& init) -> absl::StatusOr<std::unique_ptr<OpKernel>> {
        if (init.num_inputs() != 2)
          return init.Error(absl::StrCat("expected 2 inputs, got ", init.num_inputs()));
        return MakeKernel(
            [allow_string](KernelContext* ctx) { return ComputeArith<Op>(ctx, allow_string); });
      });
}

// ---- comparisons ----

enum class Cmp { kEq, kNe, kLt, kLe, kGt, kGe };

template <Cmp C, typename T>
bool Compare(const T& a, const T& b) {
  if constexpr (C == Cmp::kEq) return a == b;
  if constexpr (C == Cmp::kNe) return a != b;
  if constexpr (C == Cmp::kLt) return a < b;
  if constexpr (C == Cmp::kLe) return a <= b;
  if constexpr (C == Cmp::kGt) return a > b;
  if constexpr (C == Cmp::kGe) return a >= b;
}

template <Cmp C>
void RegisterCompare(KernelRegistry& r, const std::string& name) {
  constexpr bool kEquality = (C == Cmp::kEq || C == Cmp::kNe);
  r.Register(name, [](const KernelInit& init) -> absl::StatusOr<std::unique_ptr<OpKernel>> {
    if (init.num_inputs() != 2)
      return init.Error(absl::StrCat("expected 2 inputs, got ", init.num_inputs()));
    bool shape_error = true;
    if constexpr (kEquality)
      TFM_RETURN_IF_ERROR(init.GetAttrOr("incompatible_shape_error", &shape_error));
    return MakeKernel([shape_error](KernelContext* ctx) -> absl::Status {
      const Tensor& x0 = ctx->input(0);
      const Tensor& y0 = ctx->input(1);
      TFM_RETURN_IF_ERROR(CheckSameDType(ctx, x0, y0));
      BroadcastPlan plan;
      const TensorShape* shapes[] = {&x0.shape(), &y0.shape()};
      absl::Status ps = MakeBroadcastPlan(shapes, &plan);
      if (!ps.ok()) {
        if (!shape_error) {
          // TF: incompatible shapes compare as a scalar "not equal".
          Tensor* out = ctx->allocate_output(0, DType::kBool, TensorShape{});
          out->data<bool>()[0] = (C == Cmp::kNe);
          return absl::OkStatus();
        }
        return ctx->Error(ps.message());
      }
      const DType dt = x0.dtype();
      Tensor* out = ctx->allocate_output(0, DType::kBool, plan.out_shape);
      bool* o = out->data<bool>();
      if (dt == DType::kString && kEquality) {
        BroadcastLoop(plan, x0.data<std::string>(), y0.data<std::string>(), o,
                      [](const std::string& a, const std::string& b) { return Compare<C>(a, b); });
        return absl::OkStatus();
      }
      const bool half = IsHalfLike(dt);
      Tensor x = half ? HalfLikeToFloat(x0) : x0;
      Tensor y = half ? HalfLikeToFloat(y0) : y0;
      bool ok = false;
      DispatchNumeric(x.dtype(), [&]<typename T>() {
        if constexpr (kEquality || !std::is_same_v<T, bool>) {
          ok = true;
          BroadcastLoop(plan, x.data<T>(), y.data<T>(), o,
                        [](T a, T b) { return Compare<C>(a, b); });
        }
      });
      if (!ok) return Unsupported(ctx, dt);
      return absl::OkStatus();
    });
  });
}

void RegisterLogical(KernelRegistry& r, const std::string& name, bool is_and) {
  r.Register(name, [is_and](const KernelInit& init) -> absl::StatusOr<std::unique_ptr<OpKernel>> {
    if (init.num_inputs() != 2)
      return init.Error(absl::StrCat("expected 2 inputs, got ", init.num_inputs()));
    return MakeKernel([is_and](KernelContext* ctx) -> absl::Status {
      const Tensor& x = ctx->input(0);
      const Tensor& y = ctx->input(1);
      if (x.dtype() != DType::kBool || y.dtype() != DType::kBool) {
        return ctx->Error(absl::StrCat("inputs must be bool, got ", DTypeName(x.dtype()), " and ",
                                       DTypeName(y.dtype())));
      }
      BroadcastPlan plan;
      TFM_RETURN_IF_ERROR(PlanFor(ctx, x, y, &plan));
      Tensor* out = ctx->allocate_output(0, DType::kBool, plan.out_shape);
      if (is_and) {
        BroadcastLoop(plan, x.data<bool>(), y.data<bool>(), out->data<bool>(),
                      [](bool a, bool b) { return a && b; });
      } else {
        BroadcastLoop(plan, x.data<bool>(), y.data<bool>(), out->data<bool>(),
                      [](bool a, bool b) { return a || b; });
      }
      return absl::OkStatus();
    });
  });
}

// ---- Select / SelectV2 (any element type) ----

// Copies element src[i] -> dst[j] for any dtype; T chosen by element size (POD) or string.
struct Bytes16 {
  uint64_t lo, hi;
};
template <typename Fn>
bool DispatchAnyElem(DType dt, Fn&& fn) {
  if (dt == DType::kString) {
    fn.template operator()<std::string>();
    return true;
  }
  if (dt == DType::kResource) {
    fn.template operator()<ResourceHandle>();
    return true;
  }
  if (dt == DType::kVariant) {
    fn.template operator()<Variant>();
    return true;
  }
  switch (DTypeSize(dt)) {
    case 1:
      fn.template operator()<uint8_t>();
      return true;
    case 2:
      fn.template operator()<uint16_t>();
      return true;
    case 4:
      fn.template operator()<uint32_t>();
      return true;
    case 8:
      fn.template operator()<uint64_t>();
      return true;
    case 16:
      fn.template operator()<Bytes16>();
      return true;
    default:
      return false;
  }
}

absl::Status ComputeSelect(KernelContext* ctx) {
  const Tensor& cond = ctx->input(0);
  const Tensor& t = ctx->input(1);
  const Tensor& e = ctx->input(2);
  if (cond.dtype() != DType::kBool) {
    return ctx->Error(absl::StrCat("condition must be bool, got ", DTypeName(cond.dtype())));
  }
  TFM_RETURN_IF_ERROR(CheckSameDType(ctx, t, e));
  if (t.shape() != e.shape()) {
    return ctx->Error(absl::StrCat("'then' and 'else' must have the same size. but received: ",
                                   t.shape().ToString(), " vs. ", e.shape().ToString()));
  }
  const bool* c = cond.data<bool>();
  const int64_t n = t.NumElements();
  if (cond.rank() == 0) {
    ctx->set_output(0, c[0] ? t : e);
    return absl::OkStatus();
  }
  int64_t inner;  // elements per condition value
  if (cond.shape() == t.shape()) {
    inner = 1;
  } else if (cond.rank() == 1 && t.rank() >= 1) {
    if (cond.dim(0) != t.dim(0)) {
      return ctx->Error(
          absl::StrCat("Number of batches of 'then' must match size of 'cond', but saw: ", t.dim(0),
                       " vs. ", cond.dim(0)));
    }
    inner = t.dim(0) == 0 ? 0 : n / t.dim(0);
  } else {
    return ctx->Error(absl::StrCat(
        "'cond' must be a scalar, a vector, or have the same shape as 'then'; got cond shape ",
        cond.shape().ToString(), " and 'then' shape ", t.shape().ToString()));
  }
  Tensor* out = ctx->allocate_output(0, t.dtype(), t.shape());
  bool ok = DispatchAnyElem(t.dtype(), [&]<typename T>() {
    const T* pt = t.data<T>();
    const T* pe = e.data<T>();
    T* po = out->data<T>();
    for (int64_t i = 0; i < n; ++i) po[i] = c[i / inner] ? pt[i] : pe[i];
  });
  if (!ok) return Unsupported(ctx, t.dtype());
  return absl::OkStatus();
}

absl::Status ComputeSelectV2(KernelContext* ctx) {
  const Tensor& cond = ctx->input(0);
  const Tensor& t = ctx->input(1);
  const Tensor& e = ctx->input(2);
  if (cond.dtype() != DType::kBool) {
    return ctx->Error(absl::StrCat("condition must be bool, got ", DTypeName(cond.dtype())));
  }
  TFM_RETURN_IF_ERROR(CheckSameDType(ctx, t, e));
  BroadcastPlan plan;
  const TensorShape* shapes[] = {&cond.shape(), &t.shape(), &e.shape()};
  absl::Status ps = MakeBroadcastPlan(shapes, &plan);
  if (!ps.ok()) return ctx->Error(ps.message());
  Tensor* out = ctx->allocate_output(0, t.dtype(), plan.out_shape);
  const bool* c = cond.data<bool>();
  bool ok = DispatchAnyElem(t.dtype(), [&]<typename T>() {
    const T* pt = t.data<T>();
    const T* pe = e.data<T>();
    T* po = out->data<T>();
    ForEachRow(plan, [&](int64_t o, const int64_t* offs, int64_t n, const int64_t* in) {
      const bool* pc = c + offs[0];
      const T* a = pt + offs[1];
      const T* b = pe + offs[2];
      for (int64_t i = 0; i < n; ++i) po[o + i] = pc[i * in[0]] ? a[i * in[1]] : b[i * in[2]];
    });
  });
  if (!ok) return Unsupported(ctx, t.dtype());
  return absl::OkStatus();
}

// ---- AddN ----

absl::Status ComputeAddN(KernelContext* ctx) {
  const int n = ctx->num_inputs();
  if (n < 1) return ctx->Error("AddN needs at least one input");
  const Tensor& first = ctx->input(0);
  for (int i = 1; i < n; ++i) {
    const Tensor& in = ctx->input(i);
    if (in.dtype() != first.dtype()) {
      return ctx->Error(absl::StrCat("inputs must have the same dtype, input 0 is ",
                                     DTypeName(first.dtype()), " but input ", i, " is ",
                                     DTypeName(in.dtype())));
    }
    if (in.shape() != first.shape()) {
      return ctx->Error(
          absl::StrCat("Inputs to operation AddN must have the same size and shape.  Input 0: ",
                       first.shape().ToString(), " != input ", i, ": ", in.shape().ToString()));
    }
  }
  const DType dt = first.dtype();
  const bool half = IsHalfLike(dt);
  std::vector<Tensor> ins;
  for (int i = 0; i < n; ++i) ins.push_back(half ? HalfLikeToFloat(ctx->input(i)) : ctx->input(i));
  Tensor out = Tensor::Empty(ins[0].dtype(), first.shape());
  const int64_t count = first.NumElements();
  bool ok = DispatchReal(ins[0].dtype(), [&]<typename T>() {
    if constexpr (kReal<T>) {
      T* o = out.data<T>();
      std::copy(ins[0].data<T>(), ins[0].data<T>() + count, o);
      for (int i = 1; i < n; ++i) {
        const T* p = ins[i].data<T>();
        if constexpr (kFloat<T>) {
          MMap<T>(o, count) += CMap<T>(p, count);
        } else {
          for (int64_t j = 0; j < count; ++j) o[j] = WAdd(o[j], p[j]);
        }
      }
    }
  });
  if (!ok) return Unsupported(ctx, dt);
  ctx->set_output(0, half ? FloatToHalfLike(out, dt) : out);
  return absl::OkStatus();
}

template <int N>
KernelFactory FixedInputs(absl::Status (*fn)(KernelContext*)) {
  return [fn](const KernelInit& init) -> absl::StatusOr<std::unique_ptr<OpKernel>> {
    if (init.num_inputs() != N) {
      return init.Error(absl::StrCat("expected ", N, " inputs, got ", init.num_inputs()));
    }
    return MakeKernel(fn);
  };
}

}  // namespace

void RegisterCwiseBinaryKernels(KernelRegistry& r) {
  RegisterArith<AddOp>(r, "Add", /*allow_string=*/true);
  RegisterArith<AddOp>(r, "AddV2");
  RegisterArith<SubOp>(r, "Sub");
  RegisterArith<MulOp>(r, "Mul");
  RegisterArith<DivOp>(r, "Div");
  RegisterArith<DivOp>(r, "RealDiv");
  RegisterArith<TruncateDivOp>(r, "TruncateDiv");
  RegisterArith<FloorDivOp>(r, "FloorDiv");
  RegisterArith<FloorModOp>(r, "FloorMod");
  RegisterArith<TruncateModOp>(r, "TruncateMod");
  RegisterArith<TruncateModOp>(r, "Mod");
  RegisterArith<MaximumOp>(r, "Maximum");
  RegisterArith<MinimumOp>(r, "Minimum");
  RegisterArith<PowOp>(r, "Pow");
  RegisterArith<SquaredDifferenceOp>(r, "SquaredDifference");
  RegisterArith<Atan2Op>(r, "Atan2");
  RegisterCompare<Cmp::kEq>(r, "Equal");
  RegisterCompare<Cmp::kNe>(r, "NotEqual");
  RegisterCompare<Cmp::kLt>(r, "Less");
  RegisterCompare<Cmp::kLe>(r, "LessEqual");
  RegisterCompare<Cmp::kGt>(r, "Greater");
  RegisterCompare<Cmp::kGe>(r, "GreaterEqual");
  RegisterLogical(r, "LogicalAnd", true);
  RegisterLogical(r, "LogicalOr", false);
  r.Register("Select", FixedInputs<3>(&ComputeSelect));
  r.Register("SelectV2", FixedInputs<3>(&ComputeSelectV2));
  r.Register("AddN", [](const KernelInit& init) -> absl::StatusOr<std::unique_ptr<OpKernel>> {
    if (init.num_inputs() < 1) return init.Error("AddN needs at least one input");
    return MakeKernel(&ComputeAddN);
  });
}

}  // namespace tfmodel::runtime
