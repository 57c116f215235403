// Quantization-aware-training ops: FakeQuantWithMinMaxArgs, FakeQuantWithMinMaxVars,
// FakeQuantWithMinMaxVarsPerChannel, and QuantizeAndDequantize (v1), V2, V3, V4.
//
// FakeQuant (float only) follows TF's fake_quant_ops_functor.h: the integer grid is
// [quant_min, quant_max] = [narrow_range ? 1 : 0, 2^num_bits - 1] (num_bits in 2..16);
// [min, max] is "nudged" so that real 0 lands on a grid point:
//   scale = (max - min) / (quant_max - quant_min)
//   zero_point = clamp(round_half_away(quant_min - min / scale), quant_min, quant_max)
//   nudged_min = (quant_min - zero_point) * scale, nudged_max = (quant_max - zero_point) * scale
// then out = floor((clamp(x, nudged_min, nudged_max) - nudged_min) / scale - q0 + 0.5) * scale
// with q0 = floor(-nudged_min / scale + 0.5). The Args and per-channel kernels multiply by
// the separately computed inverse scale, the Vars kernel divides (as TF does; the
// difference shows in the last bit). min == max == 0 gives zeros (Vars, PerChannel).
//
// QuantizeAndDequantize* (float, double; half/bfloat16 through float) follow
// quantize_and_dequantize_op.h: a symmetric signed or unsigned grid of num_bits, the scale
// chosen from the side of [min, max] that limits it, rounding half to even (V2/V4 may ask
// HALF_UP), clamping only when range_given; per-channel along `axis`.
#include <cmath>
#include <limits>
#include <vector>

#include "runtime/kernel.h"
#include "runtime/kernels/arity.h"
#include "runtime/kernels/broadcast.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;

// ---- FakeQuant ----

struct Nudged {
  float min, max, scale, inv_scale;
};

Nudged Nudge(float min, float max, int quant_min, int quant_max) {
  const float qmin = static_cast<float>(quant_min), qmax = static_cast<float>(quant_max);
  Nudged n;
  n.scale = (max - min) / (qmax - qmin);
  n.inv_scale = (qmax - qmin) / (max - min);
  const float zero_from_min = qmin - min / n.scale;
  int zero_point;
  if (zero_from_min < qmin) {
    zero_point = quant_min;
  } else if (zero_from_min > qmax) {
    zero_point = quant_max;
  } else {
    zero_point = static_cast<int>(std::round(zero_from_min));
  }
  n.min = (qmin - static_cast<float>(zero_point)) * n.scale;
  n.max = (qmax - static_cast<float>(zero_point)) * n.scale;
  return n;
}

// Quantizes n values at stride `stride` in place from `in` to `out`.
void FakeQuantRun(const float* in, float* out, int64_t n, int64_t stride, float min, float max,
                  int quant_min, int quant_max, bool divide) {
  if (min == 0.0f && max == 0.0f) {
    for (int64_t i = 0; i < n; ++i) out[i * stride] = 0.0f;
    return;
  }
  const Nudged q = Nudge(min, max, quant_min, quant_max);
  const float q0 = std::floor(-q.min * q.inv_scale + 0.5f);
  for (int64_t i = 0; i < n; ++i) {
    const float c = std::max(std::min(in[i * stride], q.max), q.min) - q.min;
    const float steps = divide ? c / q.scale : c * q.inv_scale;
    out[i * stride] = std::floor(steps - q0 + 0.5f) * q.scale;
  }
}

struct QuantRange {
  int quant_min = 0, quant_max = 255;
};

absl::StatusOr<QuantRange> ReadQuantAttrs(const KernelInit& init) {
  int64_t num_bits = 8;
  bool narrow = false;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("num_bits", &num_bits));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("narrow_range", &narrow));
  if (num_bits < 2 || num_bits > 16) {
    return init.Error("num_bits must be between 2 and 16, inclusive");
  }
  QuantRange r;
  r.quant_min = narrow ? 1 : 0;
  r.quant_max = (1 << num_bits) - 1;
  return r;
}

absl::Status NeedFloat(KernelContext* ctx, const Tensor& t, const char* what) {
  if (t.dtype() != DType::kFloat) {
    return ctx->Error(absl::StrCat(what, " must be float, got ", DTypeName(t.dtype())));
  }
  return absl::OkStatus();
}

Result MakeFakeQuantArgs(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(QuantRange range, ReadQuantAttrs(init));
  float min = -6.0f, max = 6.0f;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("min", &min));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("max", &max));
  if (!(min < max)) {
    return init.Error(absl::StrCat("min has to be smaller than max, was: ", min, " >= ", max));
  }
  return MakeKernel([range, min, max](KernelContext* ctx) -> absl::Status {
    const Tensor& in = ctx->input(0);
    TFM_RETURN_IF_ERROR(NeedFloat(ctx, in, "inputs"));
    Tensor* out = ctx->allocate_output(0, DType::kFloat, in.shape());
    FakeQuantRun(in.data<float>(), out->data<float>(), in.NumElements(), 1, min, max,
                 range.quant_min, range.quant_max, /*divide=*/false);
    return absl::OkStatus();
  });
}

Result MakeFakeQuantVars(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(QuantRange range, ReadQuantAttrs(init));
  if (init.num_inputs() != 3) return init.Error("expects 3 inputs (inputs, min, max)");
  return MakeKernel([range](KernelContext* ctx) -> absl::Status {
    const Tensor& in = ctx->input(0);
    const Tensor& mn = ctx->input(1);
    const Tensor& mx = ctx->input(2);
    TFM_RETURN_IF_ERROR(NeedFloat(ctx, in, "inputs"));
    TFM_RETURN_IF_ERROR(NeedFloat(ctx, mn, "min"));
    TFM_RETURN_IF_ERROR(NeedFloat(ctx, mx, "max"));
    if (mn.rank() != 0)
      return ctx->Error(absl::StrCat("`min` must be rank 0 but is rank ", mn.rank()));
    if (mx.rank() != 0)
      return ctx->Error(absl::StrCat("`max` must be rank 0 but is rank ", mx.rank()));
    Tensor* out = ctx->allocate_output(0, DType::kFloat, in.shape());
    FakeQuantRun(in.data<float>(), out->data<float>(), in.NumElements(), 1, mn.scalar<float>(),
                 mx.scalar<float>(), range.quant_min, range.quant_max, /*divide=*/true);
    return absl::OkStatus();
  });
}

Result MakeFakeQuantPerChannel(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(QuantRange range, ReadQuantAttrs(init));
  if (init.num_inputs() != 3) return init.Error("expects 3 inputs (inputs, min, max)");
  return MakeKernel([range](KernelContext* ctx) -> absl::Status {
    const Tensor& in = ctx->input(0);
    const Tensor& mn = ctx->input(1);
    const Tensor& mx = ctx->input(2);
    TFM_RETURN_IF_ERROR(NeedFloat(ctx, in, "inputs"));
    TFM_RETURN_IF_ERROR(NeedFloat(ctx, mn, "min"));
    TFM_RETURN_IF_ERROR(NeedFloat(ctx, mx, "max"));
    if (in.rank() < 1) {
      return ctx->Error(
          absl::StrCat("inputs must be at least rank 1, got shape ", in.shape().ToString()));
    }
    if (mn.rank() != 1)
      return ctx->Error(absl::StrCat("`min` must be rank 1 but is rank ", mn.rank()));
    if (mx.rank() != 1)
      return ctx->Error(absl::StrCat("`max` must be rank 1 but is rank ", mx.rank()));
    const int64_t depth = in.dim(in.rank() - 1);
    if (mn.dim(0) != depth) {
      return ctx->Error(
          absl::StrCat("min has incorrect size, expected ", depth, " was ", mn.dim(0)));
    }
    if (mx.dim(0) != depth) {
      return ctx->Error(
          absl::StrCat("max has incorrect size, expected ", depth, " was ", mx.dim(0)));
    }
    Tensor* out = ctx->allocate_output(0, DType::kFloat, in.shape());
    const int64_t rows = depth == 0 ? 0 : in.NumElements() / depth;
    for (int64_t c = 0; c < depth; ++c) {
      FakeQuantRun(in.data<float>() + c, out->data<float>() + c, rows, depth, mn.data<float>()[c],
                   mx.data<float>()[c], range.quant_min, range.quant_max,
                   /*divide=*/false);
    }
    return absl::OkStatus();
  });
}

// ---- QuantizeAndDequantize ----

struct QdqConfig {
  bool signed_input = true;
  bool range_given = false;
  bool narrow_range = false;
  bool half_up = false;
  int64_t num_bits = 8;  // -1: from input 3 (V3)
  int64_t axis = -1;
  bool v3 = false;
  bool v1 = false;
  float attr_min = 0, attr_max = 0;  // v1's input_min / input_max attrs
};

absl::Status CheckNumBits(int64_t num_bits, bool signed_input, const std::string& what,
                          const std::function<absl::Status(std::string)>& err) {
  if (num_bits > 0 && num_bits < (signed_input ? 62 : 63)) return absl::OkStatus();
  return err(absl::StrCat("num_bits is out of range: ", num_bits, " with ", what, " ",
                          signed_input ? 1 : 0));
}

// Quantizes one channel: n values at `stride`, range [lo, hi] (updated as TF does).
template <typename T>
void QdqChannel(const T* in, T* out, int64_t n, int64_t stride, T lo, T hi, const QdqConfig& c,
                int64_t num_bits) {
  const int64_t qmin = c.signed_input ? (c.narrow_range ? -(int64_t{1} << (num_bits - 1)) + 1
                                                        : -(int64_t{1} << (num_bits - 1)))
                                      : 0;
  const int64_t qmax =
      c.signed_input ? (int64_t{1} << (num_bits - 1)) - 1 : (int64_t{1} << num_bits) - 1;
  const T fqmin = static_cast<T>(qmin), fqmax = static_cast<T>(qmax);
  const T from_min = (fqmin * lo > 0) ? fqmin / lo : std::numeric_limits<T>::max();
  const T from_max = (fqmax * hi > 0) ? fqmax / hi : std::numeric_limits<T>::max();
  T scale, inverse;
  if (from_min < from_max) {
    scale = from_min;
    inverse = lo / fqmin;
    hi = fqmax * inverse;
  } else {
    scale = from_max;
    inverse = hi / fqmax;
    lo = fqmin * inverse;
  }
  for (int64_t i = 0; i < n; ++i) {
    T v = in[i * stride];
    if (c.range_given) v = std::max(std::min(v, hi), lo);
    v *= scale;
    v = c.half_up ? std::floor(v + T(0.5)) : std::nearbyint(v);
    out[i * stride] = v * inverse;
  }
}

// Reads per-channel (or one) range values as T.
template <typename T>
std::vector<T> RangeValues(const Tensor& t) {
  std::vector<T> v(static_cast<size_t>(t.NumElements()));
  for (size_t i = 0; i < v.size(); ++i) {
    if (t.dtype() == DType::kDouble) {
      v[i] = static_cast<T>(t.data<double>()[i]);
    } else if (t.dtype() == DType::kFloat) {
      v[i] = static_cast<T>(t.data<float>()[i]);
    } else if (t.dtype() == DType::kHalf) {
      v[i] = static_cast<T>(t.data<Half>()[i].ToFloat());
    } else {
      v[i] = static_cast<T>(t.data<BFloat16>()[i].ToFloat());
    }
  }
  return v;
}

template <typename T>
absl::Status QdqTyped(KernelContext* ctx, const QdqConfig& c, const Tensor& in, int64_t num_bits,
                      Tensor* out) {
  const int rank = in.rank();
  const int64_t depth = c.axis == -1 ? 1 : in.dim(static_cast<int>(c.axis));
  int64_t outer = 1, inner = 1;
  if (c.axis != -1) {
    for (int d = 0; d < c.axis; ++d) outer *= in.dim(d);
    for (int d = static_cast<int>(c.axis) + 1; d < rank; ++d) inner *= in.dim(d);
  } else {
    inner = in.NumElements();
  }
  std::vector<T> lo(static_cast<size_t>(depth)), hi(static_cast<size_t>(depth));
  const T* x = in.data<T>();
  if (c.range_given) {
    if (c.v1) {
      lo[0] = static_cast<T>(c.attr_min);
      hi[0] = static_cast<T>(c.attr_max);
    } else {
      const Tensor& mn = ctx->input(1);
      const Tensor& mx = ctx->input(2);
      const bool scalar = c.axis == -1;
      const char* kind = scalar ? "a scalar" : "a vector of the axis size";
      if ((scalar && mn.NumElements() != 1) ||
          (!scalar && (mn.rank() != 1 || mn.dim(0) != depth)) ||
          (scalar && mx.NumElements() != 1) ||
          (!scalar && (mx.rank() != 1 || mx.dim(0) != depth))) {
        return ctx->Error(absl::StrCat("input_min and input_max must be ", kind, " (", depth,
                                       "), got shapes ", mn.shape().ToString(), " and ",
                                       mx.shape().ToString()));
      }
      const DType want = ctx->input(0).dtype();
      if (mn.dtype() != want || mx.dtype() != want) {
        return ctx->Error("input_min and input_max must have the input's dtype");
      }
      lo = RangeValues<T>(mn);
      hi = RangeValues<T>(mx);
    }
    if (c.axis == -1 && lo[0] > hi[0]) {
      return ctx->Error(absl::StrCat("Invalid range: input_min ", lo[0], " > input_max ", hi[0]));
    }
  } else {
    for (int64_t ch = 0; ch < depth; ++ch) {
      lo[ch] = std::numeric_limits<T>::max();
      hi[ch] = std::numeric_limits<T>::lowest();
    }
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t ch = 0; ch < depth; ++ch) {
        const T* p = x + (o * depth + ch) * inner;
        for (int64_t i = 0; i < inner; ++i) {
          lo[ch] = std::min(lo[ch], p[i]);
          hi[ch] = std::max(hi[ch], p[i]);
        }
      }
    }
  }
  T* y = out->data<T>();
  for (int64_t ch = 0; ch < depth; ++ch) {
    // One channel spans `outer` runs of `inner` contiguous values.
    for (int64_t o = 0; o < outer; ++o) {
      const int64_t base = (o * depth + ch) * inner;
      QdqChannel<T>(x + base, y + base, inner, 1, lo[ch], hi[ch], c, num_bits);
    }
  }
  return absl::OkStatus();
}

Result MakeQdq(const KernelInit& init) {
  QdqConfig c;
  c.v1 = init.op() == "QuantizeAndDequantize";
  c.v3 = init.op() == "QuantizeAndDequantizeV3";
  TFM_RETURN_IF_ERROR(init.GetAttrOr("signed_input", &c.signed_input));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("range_given", &c.range_given));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("narrow_range", &c.narrow_range));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("axis", &c.axis));
  if (c.v1) {
    c.range_given = false;
    TFM_RETURN_IF_ERROR(init.GetAttrOr("range_given", &c.range_given));
    TFM_RETURN_IF_ERROR(init.GetAttrOr("input_min", &c.attr_min));
    TFM_RETURN_IF_ERROR(init.GetAttrOr("input_max", &c.attr_max));
    c.narrow_range = false;
    if (c.range_given && c.attr_min > c.attr_max) {
      return init.Error(
          absl::StrCat("Invalid range: input_min ", c.attr_min, " > input_max ", c.attr_max));
    }
  }
  if (c.v3) {
    c.num_bits = -1;
  } else {
    TFM_RETURN_IF_ERROR(init.GetAttrOr("num_bits", &c.num_bits));
    TFM_RETURN_IF_ERROR(CheckNumBits(c.num_bits, c.signed_input, "signed_input_",
                                     [&](std::string m) { return init.Error(m); }));
  }
  std::string round_mode = "HALF_TO_EVEN";
  TFM_RETURN_IF_ERROR(init.GetAttrOr("round_mode", &round_mode));
  if (round_mode != "HALF_UP" && round_mode != "HALF_TO_EVEN") {
    return init.Error(absl::StrCat("Round mode string must be 'HALF_UP' or 'HALF_TO_EVEN', is '",
                                   round_mode, "'"));
  }
  c.half_up = round_mode == "HALF_UP";
  if (c.axis < -1) return init.Error(absl::StrCat("Axis must be at least -1. Found ", c.axis));
  return MakeKernel([c](KernelContext* ctx) -> absl::Status {
    const Tensor& in0 = ctx->input(0);
    if (c.axis != -1 && c.axis >= in0.rank()) {
      return ctx->Error(
          absl::StrCat("Shape must be at least rank ", c.axis + 1, " but is rank ", in0.rank()));
    }
    if (c.v3 && in0.rank() == 0) {
      return ctx->Error(absl::StrCat("Axis requested is larger than input dimensions. Axis: ",
                                     c.axis, " Input Dimensions: 0"));
    }
    int64_t num_bits = c.num_bits;
    if (c.v3) {
      const Tensor& nb = ctx->input(3);
      if (nb.rank() != 0 || nb.dtype() != DType::kInt32) {
        return ctx->Error(
            absl::StrCat("Invalid shape. The `num_bits` tensor should be an int32 scalar. Got ",
                         DTypeName(nb.dtype()), " ", nb.shape().ToString()));
      }
      num_bits = nb.scalar<int32_t>();
      TFM_RETURN_IF_ERROR(CheckNumBits(num_bits, c.signed_input, "`signed_input_`",
                                       [&](std::string m) { return ctx->Error(m); }));
    }
    const DType dt = in0.dtype();
    const bool half = IsHalfLike(dt);
    if (dt != DType::kFloat && dt != DType::kDouble && !half) {
      return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(dt)));
    }
    Tensor in = half ? HalfLikeToFloat(in0) : in0;
    Tensor out = Tensor::Empty(in.dtype(), in.shape());
    if (in.dtype() == DType::kDouble) {
      TFM_RETURN_IF_ERROR(QdqTyped<double>(ctx, c, in, num_bits, &out));
    } else {
      TFM_RETURN_IF_ERROR(QdqTyped<float>(ctx, c, in, num_bits, &out));
    }
    ctx->set_output(0, half ? FloatToHalfLike(out, dt) : out);
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterFakeQuantKernels(KernelRegistry& r) {
  r.Register("FakeQuantWithMinMaxArgs", WithInputs(1, MakeFakeQuantArgs));
  r.Register("FakeQuantWithMinMaxVars", MakeFakeQuantVars);
  r.Register("FakeQuantWithMinMaxVarsPerChannel", MakeFakeQuantPerChannel);
  r.Register("QuantizeAndDequantize", WithInputs(1, MakeQdq));
  r.Register("QuantizeAndDequantizeV2", WithInputs(3, MakeQdq));
  r.Register("QuantizeAndDequantizeV3", WithInputs(4, MakeQdq));
  r.Register("QuantizeAndDequantizeV4", WithInputs(3, MakeQdq));
}

}  // namespace tfmodel::runtime
