// Quantized (uint8/int8) FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D with TFLite's
// reference-kernel arithmetic: int32 accumulation of zero-point-relative products, an int32
// bias, a fixed-point multiplier per output channel, the fused activation as a clamp.
#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "tflite/ops/ops.h"
#include "tflite/ops/window.h"
#include "tflite/quant_math.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;

struct QuantizedConvState : OpState {
  Tensor weights;  // FC [out, depth]; CONV OHWI; DEPTHWISE [1, H, W, C*M]
  int64_t out_ch = 0;
  std::vector<int32_t> mult, shift, w_zp, bias;  // per output channel
  int32_t in_zp = 0, out_zp = 0;
  int32_t lo = 0, hi = 0;  // output clamp (type range and fused activation)
  DType out_type = DType::kInvalid;
  // FULLY_CONNECTED
  bool keep_num_dims = false;
  // CONV_2D / DEPTHWISE_CONV_2D
  bool depthwise = false;
  bool same = false;
  int64_t sh = 1, sw = 1, dh = 1, dw = 1;
};

int32_t Requantize(int64_t acc, const QuantizedConvState& s, int64_t oc) {
  const int32_t acc32 = static_cast<int32_t>(std::clamp<int64_t>(
      acc, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()));
  const int32_t v = MultiplyByQuantizedMultiplier(acc32, s.mult[oc], s.shift[oc]) + s.out_zp;
  return std::clamp(v, s.lo, s.hi);
}

// Everything but the operator-specific options: weights, bias, per-channel multipliers.
absl::Status PrepareChannels(OpBuilder& b, QuantizedConvState* s, float* out_scale) {
  if (b.inputs().empty() || b.outputs().empty() || !b.has_input(0)) {
    return b.Error("needs an input and an output");
  }
  s->out_type = b.output_type(0);
  const QuantParams qi = b.InputQuant(0);
  const QuantParams qo = b.OutputQuant(0);
  if (!qo.present() || qo.scale[0] <= 0) return b.Error("output has no quantization parameters");
  if (!qi.present()) return b.Error("input has no quantization parameters");
  *out_scale = qo.scale[0];
  s->out_zp = static_cast<int32_t>(qo.zero_point[0]);
  s->in_zp = static_cast<int32_t>(qi.zero_point[0]);
  if (!b.has_input(1)) return b.Error("needs weights");
  const Tensor* w = b.ConstInput(1);
  if (!w || !IsQuantizedType(w->dtype())) return b.Unsupported("non-constant quantized weights");
  const QuantParams qw = b.InputQuant(1);
  if (!qw.present()) return b.Error("weights have no quantization parameters");
  const Tensor* bias = b.has_input(2) ? b.ConstInput(2) : nullptr;
  if (b.has_input(2) && (!bias || bias->dtype() != DType::kInt32)) {
    return b.Unsupported("bias must be a constant int32 tensor");
  }
  const int ch_dim = b.code() == B::DEPTHWISE_CONV_2D ? 3 : 0;
  if (w->rank() <= ch_dim) return b.Error("weights have the wrong rank");
  s->out_ch = w->dim(ch_dim);
  if (qw.scale.size() != 1 && static_cast<int64_t>(qw.scale.size()) != s->out_ch) {
    return b.Error("weights' per-channel scales do not match the output channels");
  }
  if (bias && bias->NumElements() != s->out_ch)
    return b.Error("bias size does not match the weights");
  s->mult.resize(s->out_ch);
  s->shift.resize(s->out_ch);
  s->w_zp.resize(s->out_ch);
  for (int64_t k = 0; k < s->out_ch; ++k) {
    const size_t j = qw.scale.size() == 1 ? 0 : static_cast<size_t>(k);
    int shift;
    QuantizeMultiplier(static_cast<double>(qi.scale[0]) * qw.scale[j] / *out_scale, &s->mult[k],
                       &shift);
    s->shift[k] = shift;
    s->w_zp[k] = static_cast<int32_t>(qw.zero_point[j]);
  }
  s->bias.assign(s->out_ch, 0);
  if (bias) std::copy(bias->data<int32_t>(), bias->data<int32_t>() + s->out_ch, s->bias.begin());
  s->weights = *w;
  return absl::OkStatus();
}

void ActivationClamp(fb::ActivationFunctionType act, float out_scale, QuantizedConvState* s) {
  int32_t qmin, qmax;
  QRange(s->out_type, &qmin, &qmax);
  QuantizedActivationRange(act, out_scale, s->out_zp, qmin, qmax, &s->lo, &s->hi);
}

}  // namespace

PrepareResult PrepareQuantizedFullyConnected(OpBuilder& b) {
  auto s = std::make_shared<QuantizedConvState>();
  float out_scale;
  TFM_RETURN_IF_ERROR(PrepareChannels(b, s.get(), &out_scale));
  const auto* o = b.op().builtin_options_as_FullyConnectedOptions();
  ActivationClamp(o ? o->fused_activation_function() : fb::ActivationFunctionType::NONE, out_scale,
                  s.get());
  s->keep_num_dims = o && o->keep_num_dims();
  if (s->weights.rank() != 2) return b.Error("weights must be 2-D");
  return s;
}

absl::Status EvalQuantizedFullyConnected(const OpState& state, const std::vector<const Tensor*>& in,
                                         std::vector<Tensor>* out) {
  const auto& s = static_cast<const QuantizedConvState&>(state);
  const Tensor& x = *in[0];
  const Tensor& wt = s.weights;
  if (!IsQuantizedType(x.dtype())) return absl::InvalidArgumentError("input must be int8 or uint8");
  const int64_t depth = wt.dim(1);
  if (depth == 0 || x.NumElements() % depth != 0) {
    return absl::InvalidArgumentError("input size is not a multiple of the weights' depth");
  }
  const int64_t batch = x.NumElements() / depth;
  std::vector<int64_t> dims = {batch, s.out_ch};
  if (s.keep_num_dims && x.rank() > 0) {
    dims.assign(x.shape().dim_sizes().begin(), x.shape().dim_sizes().end());
    dims.back() = s.out_ch;
  }
  Tensor r = Tensor::Empty(s.out_type, TensorShape(dims));
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t oc = 0; oc < s.out_ch; ++oc) {
      int64_t acc = 0;
      for (int64_t d = 0; d < depth; ++d) {
        acc += static_cast<int64_t>(LoadQ(x, n * depth + d) - s.in_zp) *
               (LoadQ(wt, oc * depth + d) - s.w_zp[oc]);
      }
      StoreQ(&r, n * s.out_ch + oc, Requantize(acc + s.bias[oc], s, oc));
    }
  }
  (*out)[0] = std::move(r);
  return absl::OkStatus();
}

PrepareResult PrepareQuantizedConv2D(OpBuilder& b) {
  auto s = std::make_shared<QuantizedConvState>();
  float out_scale;
  TFM_RETURN_IF_ERROR(PrepareChannels(b, s.get(), &out_scale));
  s->depthwise = b.code() == B::DEPTHWISE_CONV_2D;
  fb::ActivationFunctionType act;
  if (s->depthwise) {
    const auto* o = b.op().builtin_options_as_DepthwiseConv2DOptions();
    if (!o) return b.Error("missing DepthwiseConv2DOptions");
    s->same = o->padding() == fb::Padding::SAME;
    s->sh = o->stride_h(), s->sw = o->stride_w(), s->dh = o->dilation_h_factor(),
    s->dw = o->dilation_w_factor();
    act = o->fused_activation_function();
  } else {
    const auto* o = b.op().builtin_options_as_Conv2DOptions();
    if (!o) return b.Error("missing Conv2DOptions");
    s->same = o->padding() == fb::Padding::SAME;
    s->sh = o->stride_h(), s->sw = o->stride_w(), s->dh = o->dilation_h_factor(),
    s->dw = o->dilation_w_factor();
    act = o->fused_activation_function();
  }
  ActivationClamp(act, out_scale, s.get());
  if (s->weights.rank() != 4) return b.Error("filter must be 4-D");
  return s;
}

absl::Status EvalQuantizedConv2D(const OpState& state, const std::vector<const Tensor*>& in,
                                 std::vector<Tensor>* out) {
  const auto& s = static_cast<const QuantizedConvState&>(state);
  const Tensor& x = *in[0];
  const Tensor& wt = s.weights;
  if (x.rank() != 4) return absl::InvalidArgumentError("input must be 4-D NHWC");
  if (!IsQuantizedType(x.dtype())) return absl::InvalidArgumentError("input must be int8 or uint8");
  const int64_t N = x.dim(0), H = x.dim(1), W = x.dim(2), C = x.dim(3);
  const int64_t KH = wt.dim(1), KW = wt.dim(2);
  const int64_t KC = wt.dim(3);  // conv: input channels; depthwise: C * multiplier
  int64_t mul = 1;
  if (s.depthwise) {
    if (C == 0 || KC % C != 0) return absl::InvalidArgumentError("depthwise filter/input mismatch");
    mul = KC / C;
  } else if (KC != C) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter has ", KC, " input channels, input has ", C));
  }
  int64_t OH = 0, OW = 0, pt = 0, pl = 0;
  TFM_RETURN_IF_ERROR(WindowGeometry(s.same, H, KH, s.sh, s.dh, &OH, &pt));
  TFM_RETURN_IF_ERROR(WindowGeometry(s.same, W, KW, s.sw, s.dw, &OW, &pl));
  const int64_t out_ch = s.out_ch;
  Tensor r = Tensor::Empty(s.out_type, TensorShape{N, OH, OW, out_ch});
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oy = 0; oy < OH; ++oy)
      for (int64_t ox = 0; ox < OW; ++ox)
        for (int64_t oc = 0; oc < out_ch; ++oc) {
          int64_t acc = 0;
          for (int64_t ky = 0; ky < KH; ++ky) {
            const int64_t iy = oy * s.sh - pt + ky * s.dh;
            if (iy < 0 || iy >= H) continue;
            for (int64_t kx = 0; kx < KW; ++kx) {
              const int64_t ix = ox * s.sw - pl + kx * s.dw;
              if (ix < 0 || ix >= W) continue;
              const int64_t base = ((n * H + iy) * W + ix) * C;
              if (s.depthwise) {
                acc += static_cast<int64_t>(LoadQ(x, base + oc / mul) - s.in_zp) *
                       (LoadQ(wt, (ky * KW + kx) * KC + oc) - s.w_zp[oc]);
              } else {
                for (int64_t ic = 0; ic < C; ++ic) {
                  acc += static_cast<int64_t>(LoadQ(x, base + ic) - s.in_zp) *
                         (LoadQ(wt, ((oc * KH + ky) * KW + kx) * KC + ic) - s.w_zp[oc]);
                }
              }
            }
          }
          StoreQ(&r, ((n * OH + oy) * OW + ox) * out_ch + oc, Requantize(acc + s.bias[oc], s, oc));
        }
  (*out)[0] = std::move(r);
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite
