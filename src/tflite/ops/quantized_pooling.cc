// Quantized (uint8/int8) AVERAGE_POOL_2D and MAX_POOL_2D with TFLite's reference-kernel
// arithmetic. The output shares the input's scale and zero point, so both work on the raw
// integers: the average is the window's int32 sum divided by the number of in-bounds
// elements, rounded half away from zero; then the fused activation's clamp.
#include <algorithm>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "tflite/ops/ops.h"
#include "tflite/ops/window.h"
#include "tflite/quant_math.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;

struct QuantizedPoolState : OpState {
  bool max = false;
  bool same = false;
  int64_t fh = 1, fw = 1, sh = 1, sw = 1;
  int32_t lo = 0, hi = 0;
  DType out_type = DType::kInvalid;
  std::string op;  // for errors
};

}  // namespace

PrepareResult PrepareQuantizedPool2D(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(1, 1));
  const auto* o = b.op().builtin_options_as_Pool2DOptions();
  if (!o) return b.Error("missing Pool2DOptions");
  if (b.output_type(0) != b.input_type(0)) return b.Error("input and output types differ");
  const QuantParams qo = b.OutputQuant(0);
  if (!qo.present() || qo.scale[0] <= 0) return b.Error("output has no quantization parameters");
  if (o->filter_height() <= 0 || o->filter_width() <= 0 || o->stride_h() <= 0 ||
      o->stride_w() <= 0) {
    return b.Error(absl::StrCat("filter ", o->filter_height(), "x", o->filter_width(),
                                " and strides ", o->stride_h(), "x", o->stride_w(),
                                " must be positive"));
  }
  auto s = std::make_shared<QuantizedPoolState>();
  s->max = b.code() == fb::BuiltinOperator::MAX_POOL_2D;
  s->same = o->padding() == fb::Padding::SAME;
  s->fh = o->filter_height(), s->fw = o->filter_width();
  s->sh = o->stride_h(), s->sw = o->stride_w();
  s->out_type = b.output_type(0);
  s->op = b.label();
  int32_t qmin, qmax;
  QRange(s->out_type, &qmin, &qmax);
  QuantizedActivationRange(o->fused_activation_function(), qo.scale[0],
                           static_cast<int32_t>(qo.zero_point[0]), qmin, qmax, &s->lo, &s->hi);
  return s;
}

absl::Status EvalQuantizedPool2D(const OpState& state, const std::vector<const Tensor*>& in,
                                 std::vector<Tensor>* out) {
  const auto& s = static_cast<const QuantizedPoolState&>(state);
  const Tensor& x = *in[0];
  if (x.dtype() != s.out_type) {
    return absl::InvalidArgumentError(absl::StrCat(s.op, ": input is ", DTypeName(x.dtype()),
                                                   ", expected ", DTypeName(s.out_type)));
  }
  if (x.rank() != 4) {
    return absl::InvalidArgumentError(
        absl::StrCat(s.op, ": input must be 4-D NHWC, got ", x.shape().ToString()));
  }
  const int64_t N = x.dim(0), H = x.dim(1), W = x.dim(2), C = x.dim(3);
  int64_t OH = 0, OW = 0, pt = 0, pl = 0;
  TFM_RETURN_IF_ERROR(WindowGeometry(s.same, H, s.fh, s.sh, 1, &OH, &pt));
  TFM_RETURN_IF_ERROR(WindowGeometry(s.same, W, s.fw, s.sw, 1, &OW, &pl));
  Tensor r = Tensor::Empty(s.out_type, TensorShape{N, OH, OW, C});
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oy = 0; oy < OH; ++oy)
      for (int64_t ox = 0; ox < OW; ++ox) {
        const int64_t y0 = oy * s.sh - pt, x0 = ox * s.sw - pl;
        const int64_t ky0 = std::max<int64_t>(0, -y0), ky1 = std::min(s.fh, H - y0);
        const int64_t kx0 = std::max<int64_t>(0, -x0), kx1 = std::min(s.fw, W - x0);
        const int64_t count = std::max<int64_t>(0, ky1 - ky0) * std::max<int64_t>(0, kx1 - kx0);
        if (count == 0) {
          return absl::InvalidArgumentError(
              absl::StrCat(s.op, ": a pooling window lies entirely in the padding"));
        }
        for (int64_t c = 0; c < C; ++c) {
          int64_t acc = 0;
          int32_t mx = std::numeric_limits<int32_t>::min();
          for (int64_t ky = ky0; ky < ky1; ++ky)
            for (int64_t kx = kx0; kx < kx1; ++kx) {
              const int32_t v = LoadQ(x, ((n * H + y0 + ky) * W + x0 + kx) * C + c);
              acc += v;
              mx = std::max(mx, v);
            }
          int32_t v = mx;
          if (!s.max) {
            v = static_cast<int32_t>(acc > 0 ? (acc + count / 2) / count
                                             : (acc - count / 2) / count);
          }
          StoreQ(&r, ((n * OH + oy) * OW + ox) * C + c, std::clamp(v, s.lo, s.hi));
        }
      }
  (*out)[0] = std::move(r);
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite
