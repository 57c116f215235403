// DivNoNan and MulNoNan (tf.math.divide_no_nan / multiply_no_nan; tf.Transform's
// scale_to_z_score divides by the standard deviation with DivNoNan): x / y and x * y with
// numpy broadcasting, except that the result is 0 wherever y == 0 (even when x is NaN or
// infinite). Float, double, half and bfloat16 (computed in float) as TF's CPU kernels.
#include "runtime/kernel.h"
#include "runtime/kernels/broadcast.h"
#include "runtime/kernels/register_all.h"

namespace tfmodel::runtime {
namespace {

template <bool kDiv>
absl::Status ComputeNoNan(KernelContext* ctx) {
  if (ctx->num_inputs() != 2) return ctx->Error("expected 2 inputs");
  const Tensor& x0 = ctx->input(0);
  const Tensor& y0 = ctx->input(1);
  if (x0.dtype() != y0.dtype()) {
    return ctx->Error(
        absl::StrCat("x is ", DTypeName(x0.dtype()), " but y is ", DTypeName(y0.dtype())));
  }
  const DType dt = x0.dtype();
  if (dt != DType::kFloat && dt != DType::kDouble && !IsHalfLike(dt)) {
    return ctx->Error(
        absl::StrCat("unsupported dtype ", DTypeName(dt), " (float, double, half or bfloat16)"));
  }
  const bool half = IsHalfLike(dt);
  const Tensor x = half ? HalfLikeToFloat(x0) : x0;
  const Tensor y = half ? HalfLikeToFloat(y0) : y0;
  BroadcastPlan plan;
  const TensorShape* shapes[] = {&x.shape(), &y.shape()};
  absl::Status ps = MakeBroadcastPlan(shapes, &plan);
  if (!ps.ok()) return ctx->Error(ps.message());
  Tensor out = Tensor::Empty(x.dtype(), plan.out_shape);
  auto run = [&]<typename T>() {
    const T* a = x.data<T>();
    const T* b = y.data<T>();
    T* o = out.data<T>();
    ForEachRow(plan, [&](int64_t at, const int64_t* offs, int64_t n, const int64_t* in) {
      const T* pa = a + offs[0];
      const T* pb = b + offs[1];
      for (int64_t i = 0; i < n; ++i) {
        const T xv = pa[i * in[0]], yv = pb[i * in[1]];
        o[at + i] = yv == T(0) ? T(0) : (kDiv ? xv / yv : xv * yv);
      }
    });
  };
  if (x.dtype() == DType::kFloat) {
    run.template operator()<float>();
  } else {
    run.template operator()<double>();
  }
  ctx->set_output(0, half ? FloatToHalfLike(out, dt) : std::move(out));
  return absl::OkStatus();
}

}  // namespace

void RegisterCwiseNoNanKernels(KernelRegistry& r) {
  r.Register("DivNoNan", [](const KernelInit&) -> absl::StatusOr<std::unique_ptr<OpKernel>> {
    return MakeKernel(&ComputeNoNan<true>);
  });
  r.Register("MulNoNan", [](const KernelInit&) -> absl::StatusOr<std::unique_ptr<OpKernel>> {
    return MakeKernel(&ComputeNoNan<false>);
  });
}

}  // namespace tfmodel::runtime
