// QUANTIZE (float -> int8/uint8, or requantize between int8/uint8 scales) and DEQUANTIZE
// (int8/uint8/int16 with per-tensor or per-channel parameters, or float16 -> float), with
// TFLite's reference-kernel rounding.
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "tflite/ops/ops.h"
#include "tflite/quant_math.h"

namespace tfmodel::tflite {
namespace {

struct QuantizeState : OpState {
  bool from_float = true;
  DType out_type = DType::kInvalid;
  float out_scale = 1.0f;
  int32_t out_zp = 0;
  int32_t qmin = 0, qmax = 0;
  // Requantize: out = in_zp-relative input * multiplier + out_zp.
  int32_t in_zp = 0;
  int32_t mult = 0;
  int shift = 0;
};

struct DequantizeState : OpState {
  bool from_half = false;
  QuantParams q;
};

}  // namespace

PrepareResult PrepareQuantize(OpBuilder& b) {
  if (b.inputs().empty() || b.outputs().empty() || !b.has_input(0)) {
    return b.Error("needs an input and an output");
  }
  const DType in_t = b.input_type(0);
  const DType out_t = b.output_type(0);
  const QuantParams qi = b.InputQuant(0);
  const QuantParams qo = b.OutputQuant(0);
  if (!IsQuantizedType(out_t)) {
    return b.Unsupported(absl::StrCat("output of type ", DTypeName(out_t)));
  }
  if (!qo.present() || qo.scale[0] <= 0) return b.Error("output has no quantization parameters");
  auto s = std::make_shared<QuantizeState>();
  s->out_type = out_t;
  QRange(out_t, &s->qmin, &s->qmax);
  s->out_scale = qo.scale[0];
  s->out_zp = static_cast<int32_t>(qo.zero_point[0]);
  if (in_t == DType::kFloat) return s;
  if (!IsQuantizedType(in_t) || !qi.present()) {
    return b.Unsupported(absl::StrCat("QUANTIZE from ", DTypeName(in_t)));
  }
  s->from_float = false;
  QuantizeMultiplier(static_cast<double>(qi.scale[0]) / s->out_scale, &s->mult, &s->shift);
  s->in_zp = static_cast<int32_t>(qi.zero_point[0]);
  return s;
}

absl::Status EvalQuantize(const OpState& state, const std::vector<const Tensor*>& in,
                          std::vector<Tensor>* out) {
  const auto& s = static_cast<const QuantizeState&>(state);
  const Tensor& x = *in[0];
  Tensor q = Tensor::Empty(s.out_type, x.shape());
  if (s.from_float) {
    if (x.dtype() != DType::kFloat)
      return absl::InvalidArgumentError("QUANTIZE input must be float");
    const float* xf = x.data<float>();
    for (int64_t k = 0; k < q.NumElements(); ++k) {
      const float r = std::round(xf[k] / s.out_scale);
      // NaN quantizes to the zero point; +-inf saturate.
      const float clamped = std::isnan(r) ? 0.0f : std::clamp(r, -2147483648.0f, 2147483520.0f);
      const int64_t v = static_cast<int64_t>(clamped) + s.out_zp;
      StoreQ(&q, k, static_cast<int32_t>(std::clamp<int64_t>(v, s.qmin, s.qmax)));
    }
  } else {
    if (!IsQuantizedType(x.dtype())) {
      return absl::InvalidArgumentError("QUANTIZE input must be int8 or uint8");
    }
    for (int64_t k = 0; k < q.NumElements(); ++k) {
      const int32_t v =
          MultiplyByQuantizedMultiplier(LoadQ(x, k) - s.in_zp, s.mult, s.shift) + s.out_zp;
      StoreQ(&q, k, std::clamp(v, s.qmin, s.qmax));
    }
  }
  (*out)[0] = std::move(q);
  return absl::OkStatus();
}

PrepareResult PrepareDequantize(OpBuilder& b) {
  if (b.inputs().empty() || b.outputs().empty() || !b.has_input(0)) {
    return b.Error("needs an input and an output");
  }
  const DType in_t = b.input_type(0);
  auto s = std::make_shared<DequantizeState>();
  if (in_t == DType::kHalf) {
    s->from_half = true;
    return s;
  }
  if (!IsQuantizedType(in_t) && in_t != DType::kInt16) {
    return b.Unsupported(absl::StrCat("DEQUANTIZE of ", DTypeName(in_t)));
  }
  s->q = b.InputQuant(0);
  if (!s->q.present()) return b.Error("input has no quantization parameters");
  return s;
}

absl::Status EvalDequantize(const OpState& state, const std::vector<const Tensor*>& in,
                            std::vector<Tensor>* out) {
  const auto& s = static_cast<const DequantizeState&>(state);
  const Tensor& x = *in[0];
  Tensor f = Tensor::Empty(DType::kFloat, x.shape());
  if (s.from_half) {
    if (x.dtype() != DType::kHalf)
      return absl::InvalidArgumentError("DEQUANTIZE input must be float16");
    for (int64_t k = 0; k < f.NumElements(); ++k) f.data<float>()[k] = x.data<Half>()[k].ToFloat();
    (*out)[0] = std::move(f);
    return absl::OkStatus();
  }
  if (!IsQuantizedType(x.dtype()) && x.dtype() != DType::kInt16) {
    return absl::InvalidArgumentError("DEQUANTIZE input must be int8, uint8 or int16");
  }
  const QuantParams& q = s.q;
  int64_t inner = 1, channels = 1;
  if (q.scale.size() > 1) {
    if (q.dim < 0 || q.dim >= x.rank() || x.dim(q.dim) != static_cast<int64_t>(q.scale.size())) {
      return absl::InvalidArgumentError("per-channel quantization does not match the input shape");
    }
    channels = x.dim(q.dim);
    for (int d = q.dim + 1; d < x.rank(); ++d) inner *= x.dim(d);
  }
  for (int64_t k = 0; k < x.NumElements(); ++k) {
    const size_t ch = channels > 1 ? static_cast<size_t>((k / inner) % channels) : 0;
    const int32_t v = x.dtype() == DType::kInt16 ? x.data<int16_t>()[k] : LoadQ(x, k);
    f.data<float>()[k] = q.scale[ch] * static_cast<float>(v - q.zero_point[ch]);
  }
  (*out)[0] = std::move(f);
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite
