// ImageProjectiveTransformV2 / V3 (Keras RandomRotation / RandomTranslation / RandomZoom /
// tf.raw_ops), following tensorflow/core/kernels/image/image_ops.h: each output pixel
// (x, y) maps to input ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k) with
// k = c0 x + c1 y + 1 (k == 0 -> fill value); fill_mode REFLECT (dcba|abcd|dcba), WRAP
// (abcd|abcd|abcd), NEAREST (clamp) or CONSTANT (fill value outside) maps the coordinate
// back into the image, then NEAREST rounds it (half away from zero) or BILINEAR blends
// the four neighbours, reading the fill value for neighbours outside the image.
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "runtime/kernel.h"
#include "runtime/kernels/image_util.h"
#include "runtime/kernels/nn_util.h"

namespace tfmodel::runtime {
namespace {

using nn::ShapeStr;

enum class FillMode { kReflect, kWrap, kConstant, kNearest };

float ClampCoord(float v, int64_t len) {
  return std::min(std::max(v, 0.0f), static_cast<float>(len - 1));
}

// int64 of a float that is known to be finite and below 2^62 in magnitude.
int64_t Trunc(float v) { return static_cast<int64_t>(v); }

float MapCoord(FillMode mode, float c, int64_t len) {
  switch (mode) {
    case FillMode::kConstant:
      return c;
    case FillMode::kNearest:
      return ClampCoord(c, len);
    case FillMode::kReflect:
      if (c < 0) {
        if (len <= 1) {
          c = 0;
        } else {
          const int64_t sz2 = 2 * len;
          if (c < sz2) c = static_cast<float>(sz2 * Trunc(-c / sz2)) + c;
          c = c < -len ? c + sz2 : -c - 1;
        }
      } else if (c > len - 1) {
        if (len <= 1) {
          c = 0;
        } else {
          const int64_t sz2 = 2 * len;
          c -= static_cast<float>(sz2 * Trunc(c / sz2));
          if (c >= len) c = sz2 - c - 1;
        }
      }
      return ClampCoord(c, len);
    case FillMode::kWrap:
      if (c < 0) {
        if (len <= 1) {
          c = 0;
        } else {
          const int64_t sz = len - 1;
          c += static_cast<float>(len * (Trunc(-c / sz) + 1));
        }
      } else if (c > len - 1) {
        if (len <= 1) {
          c = 0;
        } else {
          const int64_t sz = len - 1;
          c -= static_cast<float>(len * Trunc(c / sz));
        }
      }
      return ClampCoord(c, len);
  }
  return c;
}

// float -> T like TF's T(float) for in-range values; integers saturate instead of UB.
template <typename T>
T ToElem(float v) {
  if constexpr (std::is_integral_v<T>) {
    if (!(v == v)) return T(0);
    const float lo = static_cast<float>(std::numeric_limits<T>::lowest());
    const float hi = static_cast<float>(std::numeric_limits<T>::max());
    if (v <= lo) return std::numeric_limits<T>::lowest();
    if (v >= hi) return std::numeric_limits<T>::max();
    return static_cast<T>(v);
  } else {
    return image::FromFloat<T>(v);
  }
}

struct Geom {
  int64_t n = 0, h = 0, w = 0, c = 0, oh = 0, ow = 0;
};

template <typename T>
void Transform(const T* in, const float* transforms, bool per_image, const Geom& g, bool bilinear,
               FillMode mode, T fill, T* out) {
  for (int64_t b = 0; b < g.n; ++b) {
    const float* t = transforms + (per_image ? b * 8 : 0);
    const T* img = in + b * g.h * g.w * g.c;
    auto read = [&](int64_t y, int64_t x, int64_t ch) {
      return (y >= 0 && y < g.h && x >= 0 && x < g.w) ? img[(y * g.w + x) * g.c + ch] : fill;
    };
    for (int64_t oy = 0; oy < g.oh; ++oy) {
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        T* o = out + ((b * g.oh + oy) * g.ow + ox) * g.c;
        const float fx = static_cast<float>(ox), fy = static_cast<float>(oy);
        const float k = t[6] * fx + t[7] * fy + 1.f;
        float x = 0, y = 0;
        bool outside = k == 0;
        if (!outside) {
          const float ix = (t[0] * fx + t[1] * fy + t[2]) / k;
          const float iy = (t[3] * fx + t[4] * fy + t[5]) / k;
          // NaN coordinates, and ones too far out to fold back (REFLECT / WRAP work in
          // int64; TF's behaviour is undefined there), take the fill value.
          constexpr float kFar = 4e18f;
          const bool folds = mode == FillMode::kReflect || mode == FillMode::kWrap;
          if (std::isnan(ix) || std::isnan(iy) ||
              (folds && !(std::abs(ix) < kFar && std::abs(iy) < kFar))) {
            outside = true;
          } else {
            x = MapCoord(mode, ix, g.w);
            y = MapCoord(mode, iy, g.h);
            outside = x < 0 || x > g.w - 1 || y < 0 || y > g.h - 1;
          }
        }
        if (outside) {
          for (int64_t ch = 0; ch < g.c; ++ch) o[ch] = fill;
          continue;
        }
        if (!bilinear) {
          const int64_t ry = static_cast<int64_t>(std::round(y));
          const int64_t rx = static_cast<int64_t>(std::round(x));
          for (int64_t ch = 0; ch < g.c; ++ch) o[ch] = read(ry, rx, ch);
          continue;
        }
        const float y0 = std::floor(y), x0 = std::floor(x);
        const float y1 = y0 + 1, x1 = x0 + 1;
        const int64_t iy0 = static_cast<int64_t>(y0), ix0 = static_cast<int64_t>(x0);
        const int64_t iy1 = static_cast<int64_t>(y1), ix1 = static_cast<int64_t>(x1);
        for (int64_t ch = 0; ch < g.c; ++ch) {
          const float top = (x1 - x) * image::AsFloat(read(iy0, ix0, ch)) +
                            (x - x0) * image::AsFloat(read(iy0, ix1, ch));
          const float bottom = (x1 - x) * image::AsFloat(read(iy1, ix0, ch)) +
                               (x - x0) * image::AsFloat(read(iy1, ix1, ch));
          o[ch] = ToElem<T>((y1 - y) * top + (y - y0) * bottom);
        }
      }
    }
  }
}

absl::Status ParseModes(const KernelInit& init, bool* bilinear, FillMode* mode) {
  std::string interpolation, fill_mode = "CONSTANT";
  TFM_RETURN_IF_ERROR(init.GetAttr("interpolation", &interpolation));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("fill_mode", &fill_mode));
  if (interpolation != "NEAREST" && interpolation != "BILINEAR") {
    return init.Error(absl::StrCat("Invalid interpolation '", interpolation,
                                   "'. Supported types: NEAREST, BILINEAR"));
  }
  *bilinear = interpolation == "BILINEAR";
  if (fill_mode == "REFLECT") {
    *mode = FillMode::kReflect;
  } else if (fill_mode == "WRAP") {
    *mode = FillMode::kWrap;
  } else if (fill_mode == "CONSTANT") {
    *mode = FillMode::kConstant;
  } else if (fill_mode == "NEAREST") {
    *mode = FillMode::kNearest;
  } else {
    return init.Error(absl::StrCat("Invalid fill_mode '", fill_mode,
                                   "'. Supported types: REFLECT, WRAP, CONSTANT, NEAREST"));
  }
  return absl::OkStatus();
}

absl::Status Validate(KernelContext* ctx, Geom* g, float* fill) {
  const Tensor& images = ctx->input(0);
  const Tensor& transforms = ctx->input(1);
  if (images.rank() != 4) {
    return ctx->Error(absl::StrCat("Input images must have rank 4, got ", ShapeStr(images)));
  }
  if (transforms.dtype() != DType::kFloat || transforms.rank() != 2 ||
      (transforms.dim(0) != images.dim(0) && transforms.dim(0) != 1) || transforms.dim(1) != 8) {
    return ctx->Error(absl::StrCat("Input transform should be num_images x 8 or 1 x 8 float, got ",
                                   DTypeName(transforms.dtype()), " ", ShapeStr(transforms),
                                   " for images ", ShapeStr(images)));
  }
  const Tensor& shape = ctx->input(2);
  if (shape.dtype() != DType::kInt32 || shape.rank() != 1 || shape.dim(0) != 2) {
    return ctx->Error(absl::StrCat("output shape must be an int32 vector of two elements, got ",
                                   DTypeName(shape.dtype()), " ", ShapeStr(shape)));
  }
  *g = {images.dim(0),
        images.dim(1),
        images.dim(2),
        images.dim(3),
        shape.data<int32_t>()[0],
        shape.data<int32_t>()[1]};
  if (g->oh <= 0 || g->ow <= 0) {
    return ctx->Error(
        absl::StrCat("output dimensions must be positive, got [", g->oh, ", ", g->ow, "]"));
  }
  *fill = 0.0f;
  if (ctx->num_inputs() >= 4) {
    const Tensor& f = ctx->input(3);
    if (f.dtype() != DType::kFloat || f.rank() != 0) {
      return ctx->Error(absl::StrCat("fill_value must be a float scalar, got ",
                                     DTypeName(f.dtype()), " ", ShapeStr(f)));
    }
    *fill = f.scalar<float>();
  }
  return TensorShape::Validate({g->n, g->oh, g->ow, g->c});
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeTransform(const KernelInit& init) {
  bool bilinear = false;
  FillMode mode = FillMode::kConstant;
  TFM_RETURN_IF_ERROR(ParseModes(init, &bilinear, &mode));
  const int inputs = init.op() == "ImageProjectiveTransformV3" ? 4 : 3;
  return MakeKernel([bilinear, mode, inputs](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() != inputs) {
      return ctx->Error(absl::StrCat("expects ", inputs, " inputs, got ", ctx->num_inputs()));
    }
    Geom g;
    float fill = 0;
    TFM_RETURN_IF_ERROR(Validate(ctx, &g, &fill));
    const Tensor& images = ctx->input(0);
    const Tensor& transforms = ctx->input(1);
    const DType dt = images.dtype();
    if (dt != DType::kUInt8 && dt != DType::kInt32 && dt != DType::kInt64 && dt != DType::kHalf &&
        dt != DType::kFloat && dt != DType::kDouble) {
      return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(dt),
                                     " (uint8, int32, int64, half, float, double)"));
    }
    Tensor out = Tensor::Empty(dt, TensorShape{g.n, g.oh, g.ow, g.c});
    image::DispatchReal(dt, [&]<typename T>() {
      Transform<T>(images.data<T>(), transforms.data<float>(), transforms.dim(0) != 1, g, bilinear,
                   mode, ToElem<T>(fill), out.data<T>());
    });
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterImageTransformKernels(KernelRegistry& r) {
  r.Register("ImageProjectiveTransformV2", MakeTransform);
  r.Register("ImageProjectiveTransformV3", MakeTransform);
}

}  // namespace tfmodel::runtime
