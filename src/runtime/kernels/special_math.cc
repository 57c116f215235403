// Special functions and the "x times f(y), zero when x is zero" family, with numpy
// broadcasting, computed by Eigen's SpecialFunctions module (the functors TF's own CPU
// kernels use):
//   unary:   Lgamma, Digamma, Erfinv, Ndtri, BesselI0, BesselI0e, BesselI1, BesselI1e,
//            BesselJ0, BesselJ1, BesselY0, BesselY1, BesselK0, BesselK0e, BesselK1,
//            BesselK1e
//   binary:  Xlogy, Xdivy, Xlog1py (also complex), Igamma, Igammac, Zeta, Polygamma
//   ternary: Betainc
// Types: float and double; half and bfloat16 compute in float. Xlogy(0, y) is 0 even for
// y = 0 or NaN y (TF's definition); Erfinv(x) = Ndtri((x + 1) / 2) / sqrt(2) as in TF.
#include <cmath>
#include <complex>

#include "Eigen/Core"
#include "runtime/kernel.h"
#include "runtime/kernels/broadcast.h"
#include "unsupported/Eigen/SpecialFunctions"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;

template <typename T>
constexpr bool kComplex = std::is_same_v<T, complex64> || std::is_same_v<T, complex128>;

// Runs f over N same-dtype inputs with broadcasting. Real functors take float/double;
// AllowComplex functors also complex64/complex128.
template <int N, bool AllowComplex, typename F>
absl::Status ComputeNary(KernelContext* ctx, F f) {
  const DType dt = ctx->input(0).dtype();
  std::vector<Tensor> ins;
  const TensorShape* shapes[N];
  const bool half = IsHalfLike(dt);
  for (int i = 0; i < N; ++i) {
    const Tensor& t = ctx->input(i);
    if (t.dtype() != dt) {
      return ctx->Error(absl::StrCat("inputs must have the same dtype, input 0 is ", DTypeName(dt),
                                     " but input ", i, " is ", DTypeName(t.dtype())));
    }
    ins.push_back(half ? HalfLikeToFloat(t) : t);
  }
  for (int i = 0; i < N; ++i) shapes[i] = &ins[i].shape();
  BroadcastPlan plan;
  absl::Status ps = MakeBroadcastPlan(absl::MakeConstSpan(shapes, N), &plan);
  if (!ps.ok()) return ctx->Error(ps.message());
  const DType cdt = ins[0].dtype();
  Tensor out = Tensor::Empty(cdt, plan.out_shape);
  auto run = [&]<typename T>() {
    const T* p[N];
    for (int i = 0; i < N; ++i) p[i] = ins[i].data<T>();
    T* o = out.data<T>();
    ForEachRow(plan, [&](int64_t oo, const int64_t* offs, int64_t n, const int64_t* inner) {
      for (int64_t j = 0; j < n; ++j) {
        if constexpr (N == 1) {
          o[oo + j] = f(p[0][offs[0] + j * inner[0]]);
        } else if constexpr (N == 2) {
          o[oo + j] = f(p[0][offs[0] + j * inner[0]], p[1][offs[1] + j * inner[1]]);
        } else {
          o[oo + j] = f(p[0][offs[0] + j * inner[0]], p[1][offs[1] + j * inner[1]],
                        p[2][offs[2] + j * inner[2]]);
        }
      }
    });
  };
  switch (cdt) {
    case DType::kFloat:
      run.template operator()<float>();
      break;
    case DType::kDouble:
      run.template operator()<double>();
      break;
    case DType::kComplex64:
      if constexpr (!AllowComplex)
        return ctx->Error("unsupported dtype complex64");
      else
        run.template operator()<complex64>();
      break;
    case DType::kComplex128:
      if constexpr (!AllowComplex)
        return ctx->Error("unsupported dtype complex128");
      else
        run.template operator()<complex128>();
      break;
    default:
      return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(dt)));
  }
  ctx->set_output(0, half ? FloatToHalfLike(out, dt) : out);
  return absl::OkStatus();
}

template <int N, bool AllowComplex, typename F>
void RegisterNary(KernelRegistry& r, const std::string& op, F f) {
  r.Register(op, [f](const KernelInit& init) -> Result {
    if (init.num_inputs() != N) {
      return init.Error(absl::StrCat("expected ", N, " inputs, got ", init.num_inputs()));
    }
    return MakeKernel([f](KernelContext* ctx) { return ComputeNary<N, AllowComplex>(ctx, f); });
  });
}

#define TFM_UNARY(OP, EXPR) RegisterNary<1, false>(r, OP, []<typename T>(T x) -> T { return EXPR; })

template <typename T>
T Erfinv(T x) {
  const T y = Eigen::numext::ndtri(T(0.5) * x + T(0.5));
  return y * static_cast<T>(M_SQRT1_2);
}

template <typename T>
bool IsZero(const T& x) {
  return x == T(0);
}

}  // namespace

void RegisterSpecialMathKernels(KernelRegistry& r) {
  namespace nx = Eigen::numext;
  TFM_UNARY("Lgamma", nx::lgamma(x));
  TFM_UNARY("Digamma", nx::digamma(x));
  TFM_UNARY("Ndtri", nx::ndtri(x));
  TFM_UNARY("Erfinv", Erfinv(x));
  TFM_UNARY("BesselI0", nx::bessel_i0(x));
  TFM_UNARY("BesselI0e", nx::bessel_i0e(x));
  TFM_UNARY("BesselI1", nx::bessel_i1(x));
  TFM_UNARY("BesselI1e", nx::bessel_i1e(x));
  TFM_UNARY("BesselJ0", nx::bessel_j0(x));
  TFM_UNARY("BesselJ1", nx::bessel_j1(x));
  TFM_UNARY("BesselY0", nx::bessel_y0(x));
  TFM_UNARY("BesselY1", nx::bessel_y1(x));
  TFM_UNARY("BesselK0", nx::bessel_k0(x));
  TFM_UNARY("BesselK0e", nx::bessel_k0e(x));
  TFM_UNARY("BesselK1", nx::bessel_k1(x));
  TFM_UNARY("BesselK1e", nx::bessel_k1e(x));
  RegisterNary<2, true>(
      r, "Xlogy", []<typename T>(T x, T y) -> T { return IsZero(x) ? T(0) : x * std::log(y); });
  RegisterNary<2, true>(r, "Xdivy",
                        []<typename T>(T x, T y) -> T { return IsZero(x) ? T(0) : x / y; });
  RegisterNary<2, true>(r, "Xlog1py", []<typename T>(T x, T y) -> T {
    if (IsZero(x)) return T(0);
    if constexpr (kComplex<T>) {
      return x * std::log(T(1) + y);
    } else {
      return x * std::log1p(y);
    }
  });
  RegisterNary<2, false>(r, "Igamma", []<typename T>(T a, T x) -> T { return nx::igamma(a, x); });
  RegisterNary<2, false>(r, "Igammac", []<typename T>(T a, T x) -> T { return nx::igammac(a, x); });
  RegisterNary<2, false>(r, "Zeta", []<typename T>(T x, T q) -> T { return nx::zeta(x, q); });
  RegisterNary<2, false>(r, "Polygamma",
                         []<typename T>(T n, T x) -> T { return nx::polygamma(n, x); });
  RegisterNary<3, false>(r, "Betainc",
                         []<typename T>(T a, T b, T x) -> T { return nx::betainc(a, b, x); });
}

#undef TFM_UNARY

}  // namespace tfmodel::runtime
