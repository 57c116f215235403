// Quantized (uint8/int8) ADD, SUB and MUL with TFLite's reference-kernel arithmetic and
// numpy broadcasting.
//   ADD / SUB: both inputs scaled to a common 2^20-shifted fixed-point range (SUB negates
//     the second input's multiplier), summed, requantized to the output scale;
//   MUL: the product of the zero-point-relative inputs times in1*in2/out scale;
// then the output zero point and the fused activation's clamp.
#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "runtime/kernels/broadcast.h"
#include "tflite/ops/ops.h"
#include "tflite/quant_math.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;

constexpr int kLeftShift = 20;

struct QuantizedBinaryState : OpState {
  bool mul = false;
  DType type = DType::kInvalid;
  int32_t zp1 = 0, zp2 = 0, out_zp = 0;
  int32_t m1 = 0, m2 = 0, mo = 0;
  int s1 = 0, s2 = 0, so = 0;
  int32_t lo = 0, hi = 0;
  std::string op;
};

fb::ActivationFunctionType FusedActivation(const OpBuilder& b) {
  const fb::Operator& op = b.op();
  if (b.code() == B::ADD) {
    if (auto* o = op.builtin_options_as_AddOptions()) return o->fused_activation_function();
  } else if (b.code() == B::SUB) {
    if (auto* o = op.builtin_options_as_SubOptions()) return o->fused_activation_function();
  } else if (auto* o = op.builtin_options_as_MulOptions()) {
    return o->fused_activation_function();
  }
  return fb::ActivationFunctionType::NONE;
}

}  // namespace

PrepareResult PrepareQuantizedAdd(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(2, 1));
  const QuantParams q1 = b.InputQuant(0);
  const QuantParams q2 = b.InputQuant(1);
  const QuantParams qo = b.OutputQuant(0);
  if (!qo.present() || qo.scale[0] <= 0) return b.Error("output has no quantization parameters");
  if (!q1.present() || !q2.present()) return b.Error("input has no quantization parameters");
  if (b.input_type(1) != b.input_type(0) || b.output_type(0) != b.input_type(0)) {
    return b.Error(absl::StrCat("inputs and output must have one type, got ",
                                DTypeName(b.input_type(0)), ", ", DTypeName(b.input_type(1)),
                                " and ", DTypeName(b.output_type(0))));
  }
  auto s = std::make_shared<QuantizedBinaryState>();
  s->mul = b.code() == B::MUL;
  s->type = b.output_type(0);
  s->op = b.label();
  s->out_zp = static_cast<int32_t>(qo.zero_point[0]);
  s->zp1 = static_cast<int32_t>(q1.zero_point[0]);
  s->zp2 = static_cast<int32_t>(q2.zero_point[0]);
  const float out_scale = qo.scale[0];
  int32_t qmin, qmax;
  QRange(s->type, &qmin, &qmax);
  QuantizedActivationRange(FusedActivation(b), out_scale, s->out_zp, qmin, qmax, &s->lo, &s->hi);
  if (s->mul) {
    QuantizeMultiplier(static_cast<double>(q1.scale[0]) * q2.scale[0] / out_scale, &s->mo, &s->so);
    return s;
  }
  const double twice_max = 2.0 * std::max<double>(q1.scale[0], q2.scale[0]);
  QuantizeMultiplier(q1.scale[0] / twice_max, &s->m1, &s->s1);
  QuantizeMultiplier(q2.scale[0] / twice_max, &s->m2, &s->s2);
  if (b.code() == B::SUB) s->m2 = -s->m2;
  QuantizeMultiplier(twice_max / ((1 << kLeftShift) * static_cast<double>(out_scale)), &s->mo,
                     &s->so);
  return s;
}

absl::Status EvalQuantizedAdd(const OpState& state, const std::vector<const Tensor*>& in,
                              std::vector<Tensor>* out) {
  const auto& s = static_cast<const QuantizedBinaryState&>(state);
  const Tensor& a = *in[0];
  const Tensor& b = *in[1];
  if (a.dtype() != s.type || b.dtype() != s.type) {
    return absl::InvalidArgumentError(absl::StrCat(s.op, ": inputs are ", DTypeName(a.dtype()),
                                                   " and ", DTypeName(b.dtype()), ", expected ",
                                                   DTypeName(s.type)));
  }
  runtime::BroadcastPlan plan;
  const TensorShape* shapes[] = {&a.shape(), &b.shape()};
  absl::Status st = runtime::MakeBroadcastPlan(shapes, &plan);
  if (!st.ok()) return absl::InvalidArgumentError(absl::StrCat(s.op, ": ", st.message()));
  Tensor r = Tensor::Empty(s.type, plan.out_shape);
  auto one = [&](int32_t v1, int32_t v2) {
    if (s.mul) {
      return MultiplyByQuantizedMultiplier((v1 - s.zp1) * (v2 - s.zp2), s.mo, s.so) + s.out_zp;
    }
    const int32_t x1 = (v1 - s.zp1) * (1 << kLeftShift);
    const int32_t x2 = (v2 - s.zp2) * (1 << kLeftShift);
    const int32_t y1 = MultiplyByQuantizedMultiplier(x1, s.m1, s.s1);
    const int32_t y2 = MultiplyByQuantizedMultiplier(x2, s.m2, s.s2);
    return MultiplyByQuantizedMultiplier(y1 + y2, s.mo, s.so) + s.out_zp;
  };
  runtime::ForEachRow(plan, [&](int64_t o, const int64_t* offs, int64_t n, const int64_t* inner) {
    for (int64_t k = 0; k < n; ++k) {
      const int32_t v = one(LoadQ(a, offs[0] + k * inner[0]), LoadQ(b, offs[1] + k * inner[1]));
      StoreQ(&r, o + k, std::clamp(v, s.lo, s.hi));
    }
  });
  (*out)[0] = std::move(r);
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite
