// RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR (NHWC, size from input 1) as TFLite's
// reference kernels compute them, for float, uint8 and int8 (the output shares the input's
// quantization, so quantized values are resized as they are):
//   bilinear float / uint8: float weights, a*(1-dy)*(1-dx) + b*dy*(1-dx) + c*(1-dy)*dx +
//     d*dy*dx in float, converted back by truncation for uint8;
//   bilinear int8: coordinates and weights in 1/1024 steps, the int64 sum rounded half away
//     from zero;
//   nearest: floor((x + offset) * scale) (round with align_corners), any type.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "tflite/ops/ops.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;

struct ResizeState : OpState {
  bool bilinear = false;
  bool align_corners = false;
  bool half_pixel_centers = false;
  std::string op;
};

absl::Status OutputSize(const ResizeState& s, const Tensor& x, const Tensor& size, int64_t* oh,
                        int64_t* ow) {
  if (x.rank() != 4) {
    return absl::InvalidArgumentError(
        absl::StrCat(s.op, ": input must be 4-D NHWC, got ", x.shape().ToString()));
  }
  if (size.dtype() != DType::kInt32 || size.NumElements() != 2) {
    return absl::InvalidArgumentError(absl::StrCat(s.op, ": size must be 2 int32 values, got ",
                                                   DTypeName(size.dtype()), " ",
                                                   size.shape().ToString()));
  }
  *oh = size.data<int32_t>()[0];
  *ow = size.data<int32_t>()[1];
  if (*oh <= 0 || *ow <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(s.op, ": output size ", *oh, "x", *ow, " must be positive"));
  }
  if (x.dim(1) <= 0 || x.dim(2) <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(s.op, ": cannot resize an empty image ", x.shape().ToString()));
  }
  const double total = static_cast<double>(x.dim(0)) * *oh * *ow * x.dim(3);
  if (total > static_cast<double>(1LL << 31)) {
    return absl::InvalidArgumentError(
        absl::StrCat(s.op, ": output size ", *oh, "x", *ow, " is too large"));
  }
  return absl::OkStatus();
}

// TFLite's scale: in / out, or (in - 1) / (out - 1) with align_corners.
float Scale(const ResizeState& s, int64_t in, int64_t out) {
  if (s.align_corners && out > 1) return static_cast<float>(in - 1) / static_cast<float>(out - 1);
  return static_cast<float>(in) / static_cast<float>(out);
}

int64_t Nearest(const ResizeState& s, int64_t o, int64_t in, float scale) {
  const float offset = s.half_pixel_centers ? 0.5f : 0.0f;
  const float v = (static_cast<float>(o) + offset) * scale;
  int64_t i = static_cast<int64_t>(s.align_corners ? std::round(v) : std::floor(v));
  i = std::min(i, in - 1);
  return std::max<int64_t>(i, 0);
}

void FloatCoord(const ResizeState& s, int64_t o, float scale, int64_t in, float* v, int64_t* lo,
                int64_t* hi) {
  *v = s.half_pixel_centers ? (static_cast<float>(o) + 0.5f) * scale - 0.5f
                            : static_cast<float>(o) * scale;
  *lo = std::max<int64_t>(static_cast<int64_t>(std::floor(*v)), 0);
  *hi = std::min<int64_t>(static_cast<int64_t>(std::ceil(*v)), in - 1);
}

void IntCoord(const ResizeState& s, int64_t o, int64_t scale10, int64_t in, int64_t* v, int64_t* lo,
              int64_t* hi) {
  *v = s.half_pixel_centers ? o * scale10 + scale10 / 2 - (1 << 9) : o * scale10;
  *lo = std::max<int64_t>(*v / (1 << 10), 0);  // C++ division: toward zero, as TFLite's
  *hi = std::min<int64_t>((*v + (1 << 10) - 1) / (1 << 10), in - 1);
}

template <typename T>
void BilinearFloat(const ResizeState& s, const Tensor& x, Tensor* r) {
  const int64_t N = x.dim(0), H = x.dim(1), W = x.dim(2), C = x.dim(3);
  const int64_t OH = r->dim(1), OW = r->dim(2);
  const float hs = Scale(s, H, OH), ws = Scale(s, W, OW);
  const T* in = x.data<T>();
  T* out = r->data<T>();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oy = 0; oy < OH; ++oy) {
      float fy;
      int64_t y0, y1;
      FloatCoord(s, oy, hs, H, &fy, &y0, &y1);
      const float dy = fy - static_cast<float>(y0);
      for (int64_t ox = 0; ox < OW; ++ox) {
        float fx;
        int64_t x0, x1;
        FloatCoord(s, ox, ws, W, &fx, &x0, &x1);
        const float dx = fx - static_cast<float>(x0);
        auto at = [&](int64_t y, int64_t xx, int64_t c) {
          return static_cast<float>(in[((n * H + y) * W + xx) * C + c]);
        };
        for (int64_t c = 0; c < C; ++c) {
          const float v = at(y0, x0, c) * (1 - dy) * (1 - dx) + at(y1, x0, c) * dy * (1 - dx) +
                          at(y0, x1, c) * (1 - dy) * dx + at(y1, x1, c) * dy * dx;
          out[((n * OH + oy) * OW + ox) * C + c] = static_cast<T>(v);
        }
      }
    }
}

void BilinearInt8(const ResizeState& s, const Tensor& x, Tensor* r) {
  const int64_t N = x.dim(0), H = x.dim(1), W = x.dim(2), C = x.dim(3);
  const int64_t OH = r->dim(1), OW = r->dim(2);
  int64_t hs = ((1 << 10) * H + OH / 2) / OH, ws = ((1 << 10) * W + OW / 2) / OW;
  if (s.align_corners && OH > 1) hs = ((1 << 10) * (H - 1) + (OH - 1) / 2) / (OH - 1);
  if (s.align_corners && OW > 1) ws = ((1 << 10) * (W - 1) + (OW - 1) / 2) / (OW - 1);
  const int8_t* in = x.data<int8_t>();
  int8_t* out = r->data<int8_t>();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oy = 0; oy < OH; ++oy) {
      int64_t iy, y0, y1;
      IntCoord(s, oy, hs, H, &iy, &y0, &y1);
      const int64_t wy = iy - (1 << 10) * y0;  // weight of row y1, in 1/1024
      for (int64_t ox = 0; ox < OW; ++ox) {
        int64_t ix, x0, x1;
        IntCoord(s, ox, ws, W, &ix, &x0, &x1);
        const int64_t wx = ix - (1 << 10) * x0;
        auto at = [&](int64_t y, int64_t xx, int64_t c) {
          return static_cast<int64_t>(in[((n * H + y) * W + xx) * C + c]);
        };
        for (int64_t c = 0; c < C; ++c) {
          const int64_t sum = at(y0, x0, c) * ((1 << 10) - wy) * ((1 << 10) - wx) +
                              at(y1, x0, c) * wy * ((1 << 10) - wx) +
                              at(y0, x1, c) * ((1 << 10) - wy) * wx + at(y1, x1, c) * wy * wx;
          const int64_t round = sum > 0 ? (1 << 19) : -(1 << 19);
          out[((n * OH + oy) * OW + ox) * C + c] = static_cast<int8_t>((sum + round) / (1 << 20));
        }
      }
    }
}

void NearestAnyType(const ResizeState& s, const Tensor& x, Tensor* r) {
  const int64_t N = x.dim(0), H = x.dim(1), W = x.dim(2), C = x.dim(3);
  const int64_t OH = r->dim(1), OW = r->dim(2);
  const float hs = Scale(s, H, OH), ws = Scale(s, W, OW);
  const size_t bytes = static_cast<size_t>(C) * DTypeSize(x.dtype());
  const char* in = static_cast<const char*>(x.raw_data());
  char* out = static_cast<char*>(r->raw_data());
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oy = 0; oy < OH; ++oy) {
      const int64_t iy = Nearest(s, oy, H, hs);
      for (int64_t ox = 0; ox < OW; ++ox) {
        const int64_t ix = Nearest(s, ox, W, ws);
        if (bytes == 0) continue;
        std::memcpy(out + ((n * OH + oy) * OW + ox) * bytes, in + ((n * H + iy) * W + ix) * bytes,
                    bytes);
      }
    }
}

}  // namespace

PrepareResult PrepareResize(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(2, 1));
  auto s = std::make_shared<ResizeState>();
  s->bilinear = b.code() == fb::BuiltinOperator::RESIZE_BILINEAR;
  s->op = b.label();
  if (s->bilinear) {
    if (const auto* o = b.op().builtin_options_as_ResizeBilinearOptions()) {
      s->align_corners = o->align_corners();
      s->half_pixel_centers = o->half_pixel_centers();
    }
  } else if (const auto* o = b.op().builtin_options_as_ResizeNearestNeighborOptions()) {
    s->align_corners = o->align_corners();
    s->half_pixel_centers = o->half_pixel_centers();
  }
  if (s->align_corners && s->half_pixel_centers && s->bilinear) {
    return b.Error("align_corners and half_pixel_centers cannot both be set");
  }
  const DType t = b.input_type(0);
  if (b.output_type(0) != t) return b.Error("input and output types differ");
  if (s->bilinear && t != DType::kFloat && t != DType::kUInt8 && t != DType::kInt8) {
    return b.Unsupported(absl::StrCat("inputs of type ", DTypeName(t)));
  }
  if (t == DType::kInvalid || t == DType::kString) {
    return b.Unsupported(absl::StrCat("inputs of type ", DTypeName(t)));
  }
  return s;
}

absl::Status EvalResize(const OpState& state, const std::vector<const Tensor*>& in,
                        std::vector<Tensor>* out) {
  const auto& s = static_cast<const ResizeState&>(state);
  const Tensor& x = *in[0];
  int64_t oh = 0, ow = 0;
  TFM_RETURN_IF_ERROR(OutputSize(s, x, *in[1], &oh, &ow));
  Tensor r = Tensor::Empty(x.dtype(), TensorShape{x.dim(0), oh, ow, x.dim(3)});
  if (!s.bilinear) {
    NearestAnyType(s, x, &r);
  } else if (x.dtype() == DType::kFloat) {
    BilinearFloat<float>(s, x, &r);
  } else if (x.dtype() == DType::kUInt8) {
    BilinearFloat<uint8_t>(s, x, &r);
  } else if (x.dtype() == DType::kInt8) {
    BilinearInt8(s, x, &r);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(s.op, ": inputs of type ", DTypeName(x.dtype())));
  }
  (*out)[0] = std::move(r);
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite
