// Quantized (uint8/int8) SOFTMAX, LOGISTIC and TANH as TFLite's reference kernels compute
// them.
//
// SOFTMAX: fixed-point (tflite/fixed_point.h). Input differences to the row maximum are
// scaled by beta * input_scale into Q5.26, exponentiated, summed in Q12.19, and each exp is
// multiplied by the sum's reciprocal; the output is in 1/256 steps from the type's minimum
// (scale 1/256, zero point -128 for int8 / 0 for uint8, which TFLite requires).
//
// LOGISTIC / TANH: a 256-entry table built at load, as TFLite's reference kernels do for
// 8-bit types: each possible input is dequantized, transformed in float and requantized to
// the output (rounded half away from zero, clamped; LOGISTIC's output scale must be 1/256).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "tflite/fixed_point.h"
#include "tflite/ops/ops.h"
#include "tflite/quant_math.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;

constexpr int kScaledDiffIntegerBits = 5;
constexpr int kAccumulationIntegerBits = 12;

struct QuantizedSoftmaxState : OpState {
  DType type = DType::kInvalid;
  int32_t multiplier = 0;
  int left_shift = 0;
  int32_t diff_min = 0;
  std::string op;
};

struct LookupTableState : OpState {
  DType type = DType::kInvalid;
  int32_t table[256] = {};  // indexed by the raw value minus the type's minimum
  std::string op;
};

absl::Status CheckUnary(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(1, 1));
  if (b.output_type(0) != b.input_type(0)) {
    return b.Unsupported(absl::StrCat(DTypeName(b.input_type(0)), " input with ",
                                      DTypeName(b.output_type(0)), " output"));
  }
  if (!b.InputQuant(0).present()) return b.Error("input has no quantization parameters");
  const QuantParams qo = b.OutputQuant(0);
  if (!qo.present() || qo.scale[0] <= 0) return b.Error("output has no quantization parameters");
  return absl::OkStatus();
}

absl::Status CheckType(const Tensor& x, DType want, const std::string& op) {
  if (x.dtype() == want) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(op, ": input is ", DTypeName(x.dtype()), ", expected ", DTypeName(want)));
}

// Requires the output quantization TFLite's fixed-output kernels assume.
absl::Status CheckFixedOutput(OpBuilder& b, double scale, int64_t zp_int8, int64_t zp_uint8) {
  const QuantParams qo = b.OutputQuant(0);
  const int64_t zp = b.output_type(0) == DType::kInt8 ? zp_int8 : zp_uint8;
  if (std::abs(qo.scale[0] - scale) > 0.001 * scale || qo.zero_point[0] != zp) {
    return b.Unsupported(absl::StrCat("output quantization scale ", qo.scale[0], " zero point ",
                                      qo.zero_point[0], "; TFLite requires scale ", scale,
                                      " and zero point ", zp));
  }
  return absl::OkStatus();
}

}  // namespace

PrepareResult PrepareQuantizedSoftmax(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(CheckUnary(b));
  TFM_RETURN_IF_ERROR(CheckFixedOutput(b, 1.0 / 256, -128, 0));
  float beta = 1.0f;
  if (auto* o = b.op().builtin_options_as_SoftmaxOptions()) beta = o->beta();
  auto s = std::make_shared<QuantizedSoftmaxState>();
  s->type = b.input_type(0);
  s->op = b.label();
  const double real = std::min(static_cast<double>(beta) * b.InputQuant(0).scale[0] *
                                   static_cast<double>(1 << (31 - kScaledDiffIntegerBits)),
                               (1LL << 31) - 1.0);
  QuantizeMultiplier(real, &s->multiplier, &s->left_shift);
  if (s->multiplier == 0 || s->left_shift < 0) {
    return b.Unsupported(absl::StrCat("beta ", beta, " times input scale ",
                                      b.InputQuant(0).scale[0], " is out of range"));
  }
  s->diff_min = -fixed::CalculateInputRadius(kScaledDiffIntegerBits, s->left_shift);
  return s;
}

absl::Status EvalQuantizedSoftmax(const OpState& state, const std::vector<const Tensor*>& in,
                                  std::vector<Tensor>* out) {
  const auto& s = static_cast<const QuantizedSoftmaxState&>(state);
  const Tensor& x = *in[0];
  TFM_RETURN_IF_ERROR(CheckType(x, s.type, s.op));
  if (x.rank() < 1) return absl::InvalidArgumentError(s.op + ": input must have rank >= 1");
  int32_t qmin, qmax;
  QRange(s.type, &qmin, &qmax);
  Tensor r = Tensor::Empty(s.type, x.shape());
  const int64_t depth = x.dim(x.rank() - 1);
  const int64_t rows = depth == 0 ? 0 : x.NumElements() / depth;
  std::vector<int32_t> exps(depth);
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t base = row * depth;
    int32_t max_in_row = qmin;
    for (int64_t c = 0; c < depth; ++c) max_in_row = std::max(max_in_row, LoadQ(x, base + c));
    int32_t sum = 0;  // Q12.19
    for (int64_t c = 0; c < depth; ++c) {
      const int32_t diff = LoadQ(x, base + c) - max_in_row;
      exps[c] = 0;
      if (diff < s.diff_min) continue;
      const int32_t scaled = MultiplyByQuantizedMultiplier(diff, s.multiplier, s.left_shift);
      exps[c] = fixed::ExpOnNegativeValues(scaled, kScaledDiffIntegerBits);
      sum += fixed::Rescale(exps[c], 0, kAccumulationIntegerBits);
    }
    int bits_over_unit = 0;
    const int32_t reciprocal = fixed::GetReciprocal(sum, kAccumulationIntegerBits, &bits_over_unit);
    const int exponent = bits_over_unit + 31 - 8;
    if (exponent < 0 || exponent > 31) {
      return absl::InternalError(absl::StrCat(s.op, ": softmax sum out of range"));
    }
    for (int64_t c = 0; c < depth; ++c) {
      const int32_t diff = LoadQ(x, base + c) - max_in_row;
      int32_t v = qmin;
      if (diff >= s.diff_min) {
        v = fixed::RoundingDivideByPOT(fixed::MulHigh(reciprocal, exps[c]), exponent) + qmin;
      }
      StoreQ(&r, base + c, std::clamp(v, qmin, qmax));
    }
  }
  (*out)[0] = std::move(r);
  return absl::OkStatus();
}

PrepareResult PrepareQuantizedLookupTable(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(CheckUnary(b));
  const bool logistic = b.code() == B::LOGISTIC;
  if (b.code() != B::LOGISTIC && b.code() != B::TANH) return b.Unsupported("no lookup table");
  if (logistic && b.OutputQuant(0).scale[0] != 1.0f / 256) {
    return b.Unsupported(
        absl::StrCat("output scale ", b.OutputQuant(0).scale[0], "; TFLite requires 1/256"));
  }
  auto s = std::make_shared<LookupTableState>();
  s->type = b.input_type(0);
  s->op = b.label();
  const QuantParams qi = b.InputQuant(0);
  const QuantParams qo = b.OutputQuant(0);
  const float in_scale = qi.scale[0];
  const float inverse_out_scale = 1.0f / qo.scale[0];
  const int32_t in_zp = static_cast<int32_t>(qi.zero_point[0]);
  const int32_t out_zp = static_cast<int32_t>(qo.zero_point[0]);
  int32_t qmin, qmax;
  QRange(s->type, &qmin, &qmax);
  for (int32_t q = qmin; q <= qmax; ++q) {
    const float real = in_scale * static_cast<float>(q - in_zp);
    const float f = logistic ? 1.0f / (1.0f + std::exp(-real)) : std::tanh(real);
    const float rescaled = std::round(f * inverse_out_scale);
    int32_t v = qmin;
    if (std::isfinite(rescaled)) {
      v = static_cast<int32_t>(std::clamp(rescaled + static_cast<float>(out_zp), -1e9f, 1e9f));
    }
    s->table[q - qmin] = std::clamp(v, qmin, qmax);
  }
  return s;
}

absl::Status EvalQuantizedLookupTable(const OpState& state, const std::vector<const Tensor*>& in,
                                      std::vector<Tensor>* out) {
  const auto& s = static_cast<const LookupTableState&>(state);
  const Tensor& x = *in[0];
  TFM_RETURN_IF_ERROR(CheckType(x, s.type, s.op));
  int32_t qmin, qmax;
  QRange(s.type, &qmin, &qmax);
  Tensor r = Tensor::Empty(s.type, x.shape());
  for (int64_t i = 0; i < x.NumElements(); ++i) StoreQ(&r, i, s.table[LoadQ(x, i) - qmin]);
  (*out)[0] = std::move(r);
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite
