// Quantized (uint8/int8) ADD with TFLite's reference-kernel arithmetic: both inputs scaled
// to a common 2^20-shifted fixed-point range, summed, requantized to the output scale,
// clamped by the fused activation. Broadcasting: equal shapes or a single-element side.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "tflite/ops/ops.h"
#include "tflite/quant_math.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;

constexpr int kLeftShift = 20;

struct QuantizedAddState : OpState {
  DType out_type = DType::kInvalid;
  int32_t zp1 = 0, zp2 = 0, out_zp = 0;
  int32_t m1 = 0, m2 = 0, mo = 0;
  int s1 = 0, s2 = 0, so = 0;
  int32_t lo = 0, hi = 0;
};

}  // namespace

PrepareResult PrepareQuantizedAdd(OpBuilder& b) {
  if (b.inputs().empty() || b.outputs().empty() || !b.has_input(0)) {
    return b.Error("needs an input and an output");
  }
  const QuantParams qi = b.InputQuant(0);
  const QuantParams qo = b.OutputQuant(0);
  if (!qo.present() || qo.scale[0] <= 0) return b.Error("output has no quantization parameters");
  if (!qi.present()) return b.Error("input has no quantization parameters");
  if (!b.has_input(1)) return b.Error("ADD needs two inputs");
  const QuantParams q2 = b.InputQuant(1);
  if (!q2.present() || b.input_type(1) != b.input_type(0)) {
    return b.Error("inputs must be quantized alike");
  }
  auto s = std::make_shared<QuantizedAddState>();
  s->out_type = b.output_type(0);
  s->out_zp = static_cast<int32_t>(qo.zero_point[0]);
  s->zp1 = static_cast<int32_t>(qi.zero_point[0]);
  s->zp2 = static_cast<int32_t>(q2.zero_point[0]);
  const float out_scale = qo.scale[0];
  int32_t qmin, qmax;
  QRange(s->out_type, &qmin, &qmax);
  const auto* o = b.op().builtin_options_as_AddOptions();
  QuantizedActivationRange(o ? o->fused_activation_function() : fb::ActivationFunctionType::NONE,
                           out_scale, s->out_zp, qmin, qmax, &s->lo, &s->hi);
  const double twice_max = 2.0 * std::max<double>(qi.scale[0], q2.scale[0]);
  QuantizeMultiplier(qi.scale[0] / twice_max, &s->m1, &s->s1);
  QuantizeMultiplier(q2.scale[0] / twice_max, &s->m2, &s->s2);
  QuantizeMultiplier(twice_max / ((1 << kLeftShift) * static_cast<double>(out_scale)), &s->mo,
                     &s->so);
  return s;
}

absl::Status EvalQuantizedAdd(const OpState& state, const std::vector<const Tensor*>& in,
                              std::vector<Tensor>* out) {
  const auto& s = static_cast<const QuantizedAddState&>(state);
  const Tensor& a = *in[0];
  const Tensor& b = *in[1];
  if (!IsQuantizedType(a.dtype()) || !IsQuantizedType(b.dtype())) {
    return absl::InvalidArgumentError("inputs must be int8 or uint8");
  }
  const bool a1 = a.NumElements() == 1, b1 = b.NumElements() == 1;
  if (a.shape() != b.shape() && !a1 && !b1) {
    return absl::UnimplementedError(absl::StrCat(
        "quantized ADD broadcasting ", a.shape().ToString(), " with ", b.shape().ToString()));
  }
  const Tensor& big = (a1 && !b1) ? b : a;
  Tensor r = Tensor::Empty(s.out_type, big.shape());
  for (int64_t k = 0; k < r.NumElements(); ++k) {
    const int32_t x1 = (LoadQ(a, a1 ? 0 : k) - s.zp1) * (1 << kLeftShift);
    const int32_t x2 = (LoadQ(b, b1 ? 0 : k) - s.zp2) * (1 << kLeftShift);
    const int32_t y1 = MultiplyByQuantizedMultiplier(x1, s.m1, s.s1);
    const int32_t y2 = MultiplyByQuantizedMultiplier(x2, s.m2, s.s2);
    const int32_t v = MultiplyByQuantizedMultiplier(y1 + y2, s.mo, s.so) + s.out_zp;
    StoreQ(&r, k, std::clamp(v, s.lo, s.hi));
  }
  (*out)[0] = std::move(r);
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite
