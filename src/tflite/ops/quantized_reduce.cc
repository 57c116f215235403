// Quantized (uint8/int8) MEAN and SUM, with the arithmetic of TFLite's reference reduce
// kernels (tensorflow/lite/kernels/reduce.cc). The raw integers of the reduced elements are
// summed in integers, then:
//
// MEAN, keep_dims, 4-D input, axis exactly [1, 2] or [2, 1] (the spatial / global average
//   pooling mean):
//   int8:  acc = sum(q - zp_in); acc = MultiplyByQuantizedMultiplier(acc, s_in / s_out);
//          acc = acc / n rounded half away from zero; q = acc + zp_out.
//   uint8: q = MultiplyByQuantizedMultiplier(sum(q), s_in / (n * s_out)) + zp_out
//          - round(zp_in * s_in / s_out).
// MEAN, otherwise, input and output quantized alike: q = sum(q) / n, truncated.
// MEAN, otherwise: q = round(sum(q) / n * (s_in / s_out) - zp_in * (s_in / s_out)) + zp_out
//   in float.
// SUM: q = round(sum(q) * (s_in / s_out) - n * zp_in * (s_in / s_out)) + zp_out in float.
//
// Results are clamped to the output type. Deviations from TFLite, both where TFLite's result
// is not a sum at all: TFLite adds same-quantization SUM inputs as raw 8-bit integers
// (wrapping, ignoring the zero point) and lets the rescaled SUM wrap; tfmodel uses the
// rescaling formula for every SUM and saturates. An empty input gives the output zero point.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "tflite/ops/ops.h"
#include "tflite/quant_math.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;

struct QuantizedReduceState : OpState {
  bool sum = false;
  bool keep_dims = false;
  bool same = false;  // input and output quantized alike
  DType type = DType::kInvalid;
  float in_scale = 1, out_scale = 1;
  int32_t in_zp = 0, out_zp = 0;
  int32_t mult = 0;  // s_in / s_out (int8 spatial mean)
  int shift = 0;
  std::string op;  // for errors
};

// The reduced axes (sorted, deduplicated) from the axis operand.
absl::Status ResolveAxes(const QuantizedReduceState& s, const Tensor& axis, int rank,
                         std::vector<bool>* reduced, std::vector<int32_t>* raw) {
  if (axis.dtype() != DType::kInt32 && axis.dtype() != DType::kInt64) {
    return absl::InvalidArgumentError(
        absl::StrCat(s.op, ": axis must be int32 or int64, got ", DTypeName(axis.dtype())));
  }
  reduced->assign(rank, false);
  for (int64_t i = 0; i < axis.NumElements(); ++i) {
    const int64_t a =
        axis.dtype() == DType::kInt32 ? axis.data<int32_t>()[i] : axis.data<int64_t>()[i];
    if (a < -rank || a >= rank) {
      return absl::InvalidArgumentError(
          absl::StrCat(s.op, ": axis ", a, " is out of range for rank ", rank));
    }
    (*reduced)[a < 0 ? a + rank : a] = true;
    raw->push_back(static_cast<int32_t>(a));
  }
  return absl::OkStatus();
}

int32_t RoundedDivide(int32_t acc, int32_t n) {
  return acc > 0 ? (acc + n / 2) / n : (acc - n / 2) / n;
}

}  // namespace

PrepareResult PrepareQuantizedMeanOrSum(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(2, 1));
  auto s = std::make_shared<QuantizedReduceState>();
  s->sum = b.code() == fb::BuiltinOperator::SUM;
  const auto* o = b.op().builtin_options_as_ReducerOptions();
  s->keep_dims = o && o->keep_dims();
  s->type = b.output_type(0);
  s->op = b.label();
  if (b.input_type(0) != s->type) {
    return b.Error(
        absl::StrCat("input is ", DTypeName(b.input_type(0)), ", output is ", DTypeName(s->type)));
  }
  const QuantParams qi = b.InputQuant(0), qo = b.OutputQuant(0);
  if (qi.scale.size() != 1 || qo.scale.size() != 1 || !(qi.scale[0] > 0) || !(qo.scale[0] > 0)) {
    return b.Error("quantized input and output need one positive scale each");
  }
  s->in_scale = qi.scale[0];
  s->out_scale = qo.scale[0];
  s->in_zp = static_cast<int32_t>(qi.zero_point[0]);
  s->out_zp = static_cast<int32_t>(qo.zero_point[0]);
  s->same = s->in_scale == s->out_scale && s->in_zp == s->out_zp;
  QuantizeMultiplier(static_cast<double>(s->in_scale) / static_cast<double>(s->out_scale), &s->mult,
                     &s->shift);
  return s;
}

absl::Status EvalQuantizedMeanOrSum(const OpState& state, const std::vector<const Tensor*>& in,
                                    std::vector<Tensor>* out) {
  const auto& s = static_cast<const QuantizedReduceState&>(state);
  const Tensor& x = *in[0];
  if (x.dtype() != s.type) {
    return absl::InvalidArgumentError(
        absl::StrCat(s.op, ": input is ", DTypeName(x.dtype()), ", expected ", DTypeName(s.type)));
  }
  const int rank = x.rank();
  std::vector<bool> reduced;
  std::vector<int32_t> raw_axes;
  TFM_RETURN_IF_ERROR(ResolveAxes(s, *in[1], rank, &reduced, &raw_axes));
  // Output shape and, per input dimension, the stride of its output index (0 if reduced).
  TensorShape shape;
  std::vector<int64_t> out_stride(rank, 0);
  int64_t n = 1;
  for (int d = 0; d < rank; ++d) {
    if (reduced[d]) {
      n *= x.dim(d);
      if (s.keep_dims) shape.AddDim(1);
    } else {
      shape.AddDim(x.dim(d));
    }
  }
  int64_t stride = 1;
  for (int d = rank - 1; d >= 0; --d) {
    if (!reduced[d]) {
      out_stride[d] = stride;
      stride *= x.dim(d);
    }
  }
  const int64_t m = shape.NumElements();
  Tensor r = Tensor::Empty(s.type, shape);
  int32_t qmin, qmax;
  QRange(s.type, &qmin, &qmax);
  if (x.NumElements() == 0) {
    for (int64_t i = 0; i < m; ++i) StoreQ(&r, i, std::clamp(s.out_zp, qmin, qmax));
    (*out)[0] = std::move(r);
    return absl::OkStatus();
  }
  // Integer sums of the raw values per output element.
  std::vector<int64_t> sums(m, 0);
  std::vector<int64_t> idx(rank, 0);
  int64_t o = 0;
  for (int64_t i = 0; i < x.NumElements(); ++i) {
    sums[o] += LoadQ(x, i);
    for (int d = rank - 1; d >= 0; --d) {  // advance the multi-index
      o += out_stride[d];
      if (++idx[d] < x.dim(d)) break;
      o -= out_stride[d] * idx[d];
      idx[d] = 0;
    }
  }
  const bool spatial =
      !s.sum && s.keep_dims && rank == 4 && raw_axes.size() == 2 &&
      ((raw_axes[0] == 1 && raw_axes[1] == 2) || (raw_axes[0] == 2 && raw_axes[1] == 1));
  const float scale = s.in_scale / s.out_scale;
  int32_t u8_mult = 0, u8_bias = 0;
  int u8_shift = 0;
  if (spatial && s.type == DType::kUInt8) {
    float t = static_cast<float>(s.in_zp) * s.in_scale / s.out_scale;
    t = t > 0 ? t + 0.5f : t - 0.5f;
    u8_bias = s.out_zp - static_cast<int32_t>(t);
    const float nf = static_cast<float>(n);
    QuantizeMultiplier(static_cast<double>(s.in_scale / (nf * s.out_scale)), &u8_mult, &u8_shift);
  }
  for (int64_t k = 0; k < m; ++k) {
    const int64_t total = sums[k];
    int64_t v;
    if (s.sum) {
      const float bias = -static_cast<float>(s.in_zp) * scale * static_cast<float>(n);
      v = static_cast<int64_t>(std::round(static_cast<float>(total) * scale + bias)) + s.out_zp;
    } else if (spatial && s.type == DType::kInt8) {
      const int64_t acc =
          std::clamp<int64_t>(total - int64_t{s.in_zp} * n, std::numeric_limits<int32_t>::min(),
                              std::numeric_limits<int32_t>::max());
      v = RoundedDivide(MultiplyByQuantizedMultiplier(static_cast<int32_t>(acc), s.mult, s.shift),
                        static_cast<int32_t>(n)) +
          s.out_zp;
    } else if (spatial) {
      const int32_t acc = static_cast<int32_t>(std::clamp<int64_t>(
          total, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()));
      v = int64_t{MultiplyByQuantizedMultiplier(acc, u8_mult, u8_shift)} + u8_bias;
    } else if (s.same) {
      v = total / n;
    } else {
      const float mean = static_cast<float>(total) / static_cast<float>(n);
      v = static_cast<int64_t>(std::round(mean * scale - static_cast<float>(s.in_zp) * scale)) +
          s.out_zp;
    }
    StoreQ(&r, k, static_cast<int32_t>(std::clamp<int64_t>(v, qmin, qmax)));
  }
  (*out)[0] = std::move(r);
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite
