// Quantized (uint8/int8) FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D with TFLite's
// reference-kernel arithmetic: int32 accumulation of zero-point-relative products, an int32
// bias, a fixed-point multiplier per output channel, the fused activation as a clamp.
// Weights are stored zero-point-relative as int16 at load and each run converts the input
// once the same way, so the products are int16 dot products (int16_dot.h); CONV_2D gathers
// each output pixel's window (its im2col row; padding contributes 0, i.e. the zero point)
// and takes four output channels per pass.
#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "runtime/kernels/nn_util.h"
#include "tflite/int16_dot.h"
#include "tflite/ops/ops.h"
#include "tflite/ops/window.h"
#include "tflite/quant_math.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;

struct QuantizedConvState : OpState {
  Tensor weights;  // FC [out, depth]; CONV OHWI; DEPTHWISE [1, H, W, C*M]
  // weights - their zero point, same layout: FC / CONV one row of K per output channel.
  std::vector<int16_t> w16;
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
  const Eigen::ThreadPoolDevice* device = nullptr;  // the model's intra-op pool
};

// The output value of accumulator `dot` (products only) of output channel oc.
inline int32_t Requantize(int32_t dot, const QuantizedConvState& s, int64_t oc) {
  const int32_t acc = WrapAdd(dot, s.bias[oc]);  // TFLite's int32 accumulator wraps
  const int32_t v = MultiplyByQuantizedMultiplier(acc, s.mult[oc], s.shift[oc]) + s.out_zp;
  return std::clamp(v, s.lo, s.hi);
}

// x - zero_point for every element of an int8 / uint8 tensor.
std::vector<int16_t> Centered(const Tensor& x, int32_t zp) {
  std::vector<int16_t> r(static_cast<size_t>(x.NumElements()));
  if (x.dtype() == DType::kInt8) {
    const int8_t* p = x.data<int8_t>();
    for (size_t i = 0; i < r.size(); ++i) r[i] = static_cast<int16_t>(p[i] - zp);
  } else {
    const uint8_t* p = x.data<uint8_t>();
    for (size_t i = 0; i < r.size(); ++i) r[i] = static_cast<int16_t>(p[i] - zp);
  }
  return r;
}

// Requantizes one output position's accumulators (one per output channel) into r.
template <typename T>
void StoreRowAs(const QuantizedConvState& s, const int32_t* acc, T* out) {
  for (int64_t oc = 0; oc < s.out_ch; ++oc) out[oc] = static_cast<T>(Requantize(acc[oc], s, oc));
}

void StoreRow(const QuantizedConvState& s, const int32_t* acc, Tensor* r, int64_t out_base) {
  if (r->dtype() == DType::kInt8) {
    StoreRowAs(s, acc, r->data<int8_t>() + out_base);
  } else {
    StoreRowAs(s, acc, r->data<uint8_t>() + out_base);
  }
}

// One output position: the dot products of `patch` (length k) with every weight row,
// requantized into r at out_base. `acc` has one entry per output channel.
void DotAllChannels(const QuantizedConvState& s, const int16_t* patch, int64_t k, int32_t* acc,
                    Tensor* r, int64_t out_base) {
  int64_t oc = 0;
  for (; oc + 4 <= s.out_ch; oc += 4) Dot4Int16(patch, s.w16.data() + oc * k, k, k, acc + oc);
  for (; oc < s.out_ch; ++oc) acc[oc] = DotInt16(patch, s.w16.data() + oc * k, k);
  StoreRow(s, acc, r, out_base);
}

// A zero point must lie in its 8-bit type's range (as TFLite requires): then every
// zero-point-relative value fits int16 and no sum overflows.
absl::Status CheckZeroPoint(const OpBuilder& b, const char* what, DType t, int64_t zp) {
  int32_t lo, hi;
  QRange(t, &lo, &hi);
  if (zp < lo || zp > hi) {
    return b.Error(absl::StrCat(what, " zero point ", zp, " is outside the ", DTypeName(t),
                                " range [", lo, ", ", hi, "]"));
  }
  return absl::OkStatus();
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
  TFM_RETURN_IF_ERROR(CheckZeroPoint(b, "input", b.input_type(0), qi.zero_point[0]));
  TFM_RETURN_IF_ERROR(CheckZeroPoint(b, "output", s->out_type, qo.zero_point[0]));
  s->out_zp = static_cast<int32_t>(qo.zero_point[0]);
  s->in_zp = static_cast<int32_t>(qi.zero_point[0]);
  if (!b.has_input(1)) return b.Error("needs weights");
  const Tensor* w = b.ConstInput(1);
  if (!w || !IsQuantizedType(w->dtype())) return b.Unsupported("non-constant quantized weights");
  const QuantParams qw = b.InputQuant(1);
  if (!qw.present()) return b.Error("weights have no quantization parameters");
  for (int64_t zp : qw.zero_point) TFM_RETURN_IF_ERROR(CheckZeroPoint(b, "weight", w->dtype(), zp));
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
  // Zero-point-relative int16 weights; the output channel is the first dimension (FC,
  // CONV) or the last (DEPTHWISE).
  s->w16.resize(static_cast<size_t>(w->NumElements()));
  const int64_t inner = ch_dim == 0 ? w->NumElements() / std::max<int64_t>(s->out_ch, 1) : 1;
  for (int64_t i = 0; i < w->NumElements(); ++i) {
    const int64_t oc = ch_dim == 0 ? i / inner : i % s->out_ch;
    s->w16[i] = static_cast<int16_t>(LoadQ(*w, i) - s->w_zp[oc]);
  }
  return absl::OkStatus();
}

void ActivationClamp(fb::ActivationFunctionType act, float out_scale, QuantizedConvState* s) {
  int32_t qmin, qmax;
  QRange(s->out_type, &qmin, &qmax);
  QuantizedActivationRange(act, out_scale, s->out_zp, qmin, qmax, &s->lo, &s->hi);
}

struct ConvGeometry {
  int64_t N, H, W, C;  // input
  int64_t KH, KW, KC;  // filter (KC: input channels, or C * mul for depthwise)
  int64_t mul;         // depthwise multiplier
  int64_t OH, OW, pt, pl;
};

// DEPTHWISE_CONV_2D output rows [begin, end) (row = n * OH + oy), channels vectorized.
void DepthwiseRows(const QuantizedConvState& s, const ConvGeometry& g,
                   const std::vector<int16_t>& xc, int64_t begin, int64_t end, Tensor* r) {
  std::vector<int32_t> acc(static_cast<size_t>(s.out_ch));
  for (int64_t row = begin; row < end; ++row) {
    const int64_t n = row / g.OH, oy = row % g.OH;
    for (int64_t ox = 0; ox < g.OW; ++ox) {
      std::fill(acc.begin(), acc.end(), 0);
      for (int64_t ky = 0; ky < g.KH; ++ky) {
        const int64_t iy = oy * s.sh - g.pt + ky * s.dh;
        if (iy < 0 || iy >= g.H) continue;
        for (int64_t kx = 0; kx < g.KW; ++kx) {
          const int64_t ix = ox * s.sw - g.pl + kx * s.dw;
          if (ix < 0 || ix >= g.W) continue;
          const int16_t* xr = xc.data() + ((n * g.H + iy) * g.W + ix) * g.C;
          const int16_t* wr = s.w16.data() + (ky * g.KW + kx) * g.KC;
          if (g.mul == 1) {
            MulAccInt16(xr, wr, g.KC, acc.data());
            continue;
          }
          for (int64_t oc = 0; oc < g.KC; ++oc) {
            acc[oc] = WrapAdd(acc[oc], xr[oc / g.mul] * wr[oc]);  // fuzzed kernels can be huge
          }
        }
      }
      StoreRow(s, acc.data(), r, (row * g.OW + ox) * s.out_ch);
    }
  }
}

// CONV_2D output rows [begin, end): each pixel's window in OHWI order (ky, kx, ic), zeros
// where it leaves the input, against every filter row; a 1x1 unpadded window is the input
// pixel itself.
void ConvRows(const QuantizedConvState& s, const ConvGeometry& g, const std::vector<int16_t>& xc,
              int64_t begin, int64_t end, Tensor* r) {
  const int64_t k = g.KH * g.KW * g.C;
  const bool pointwise = g.KH == 1 && g.KW == 1 && g.pt == 0 && g.pl == 0;
  std::vector<int16_t> patch(pointwise ? 0 : static_cast<size_t>(k));
  std::vector<int32_t> acc(static_cast<size_t>(s.out_ch));
  for (int64_t row = begin; row < end; ++row) {
    const int64_t n = row / g.OH, oy = row % g.OH;
    for (int64_t ox = 0; ox < g.OW; ++ox) {
      const int16_t* p;
      if (pointwise) {
        p = xc.data() + ((n * g.H + oy * s.sh) * g.W + ox * s.sw) * g.C;
      } else {
        int16_t* dst = patch.data();
        for (int64_t ky = 0; ky < g.KH; ++ky) {
          const int64_t iy = oy * s.sh - g.pt + ky * s.dh;
          for (int64_t kx = 0; kx < g.KW; ++kx, dst += g.C) {
            const int64_t ix = ox * s.sw - g.pl + kx * s.dw;
            if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) {
              std::fill_n(dst, g.C, int16_t{0});
            } else {
              std::copy_n(xc.data() + ((n * g.H + iy) * g.W + ix) * g.C, g.C, dst);
            }
          }
        }
        p = patch.data();
      }
      DotAllChannels(s, p, k, acc.data(), r, (row * g.OW + ox) * s.out_ch);
    }
  }
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
  const std::vector<int16_t> xc = Centered(x, s.in_zp);
  std::vector<int32_t> acc(static_cast<size_t>(s.out_ch));
  for (int64_t n = 0; n < batch; ++n) {
    DotAllChannels(s, xc.data() + n * depth, depth, acc.data(), &r, n * s.out_ch);
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
  s->device = b.device();
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
  const std::vector<int16_t> xc = Centered(x, s.in_zp);
  const ConvGeometry g{N, H, W, C, KH, KW, KC, mul, OH, OW, pt, pl};
  // Output rows (n, oy) split over the model's intra-op pool; cost ~ MACs per row.
  const double row_cost = static_cast<double>(OW) * out_ch * KH * KW * (s.depthwise ? 1 : C);
  runtime::nn::ParallelFor(s.device, N * OH, row_cost, [&](int64_t begin, int64_t end) {
    if (s.depthwise) {
      DepthwiseRows(s, g, xc, begin, end, &r);
    } else {
      ConvRows(s, g, xc, begin, end, &r);
    }
  });
  (*out)[0] = std::move(r);
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite
