// Colour ops of tf.image and Keras preprocessing layers: RGBToHSV, HSVToRGB,
// AdjustContrastv2, AdjustSaturation and AdjustHue, with the arithmetic of TF's CPU
// kernels (colorspace_op.h, adjust_contrast_op.cc, adjust_saturation_op.cc,
// adjust_hue_op.cc). Images are [..., 3] (contrast: [..., height, width, channels]).
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "runtime/kernel.h"
#include "runtime/kernels/image_util.h"
#include "runtime/kernels/nn_util.h"

namespace tfmodel::runtime {
namespace {

using nn::ShapeStr;

absl::Status CheckRgb(KernelContext* ctx, const Tensor& in, int min_rank) {
  if (in.rank() < min_rank) {
    return ctx->Error(
        absl::StrCat("input must be at least ", min_rank, "-D, got shape ", ShapeStr(in)));
  }
  if (in.dim(in.rank() - 1) != 3) {
    return ctx->Error(absl::StrCat("input must have 3 channels but instead has ",
                                   in.dim(in.rank() - 1), " channels (shape ", ShapeStr(in), ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<float> FloatScalarInput(KernelContext* ctx, int i, const char* what) {
  const Tensor& t = ctx->input(i);
  if (t.dtype() != DType::kFloat || t.rank() != 0) {
    return ctx->Error(absl::StrCat(what, " must be a float scalar, got ", DTypeName(t.dtype()), " ",
                                   ShapeStr(t)));
  }
  return t.scalar<float>();
}

// --- RGBToHSV / HSVToRGB: float, double, half, bfloat16; math in the element type. ---

template <typename T>
void RgbToHsv(const T* in, T* out, int64_t pixels) {
  for (int64_t i = 0; i < pixels; ++i) {
    const T r = in[3 * i], g = in[3 * i + 1], b = in[3 * i + 2];
    const T v = std::max(std::max(r, g), b);
    const T range = v - std::min(std::min(r, g), b);
    const T s = v > T(0) ? range / v : T(0);
    const T norm = (T(1) / range) * (T(1) / T(6));
    T h = r == v   ? norm * (g - b)
          : g == v ? norm * (b - r) + T(2) / T(6)
                   : norm * (r - g) + T(4) / T(6);
    if (!(range > T(0))) h = T(0);
    if (h < T(0)) h = h + T(1);
    out[3 * i] = h;
    out[3 * i + 1] = s;
    out[3 * i + 2] = v;
  }
}

template <typename T>
T Clamp01(T v) {
  return std::min(std::max(v, T(0)), T(1));
}

template <typename T>
void HsvToRgb(const T* in, T* out, int64_t pixels) {
  for (int64_t i = 0; i < pixels; ++i) {
    const T h = in[3 * i], s = in[3 * i + 1], v = in[3 * i + 2];
    const T dh = h * T(6);
    const T dr = Clamp01<T>(std::abs(dh - T(3)) - T(1));
    const T dg = Clamp01<T>(-std::abs(dh - T(2)) + T(2));
    const T db = Clamp01<T>(-std::abs(dh - T(4)) + T(2));
    const T one_s = -s + T(1);
    out[3 * i] = (one_s + s * dr) * v;
    out[3 * i + 1] = (one_s + s * dg) * v;
    out[3 * i + 2] = (one_s + s * db) * v;
  }
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeColorspace(const KernelInit& init) {
  const bool to_hsv = init.op() == "RGBToHSV";
  return MakeKernel([to_hsv](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() != 1) return ctx->Error("expects 1 input");
    const Tensor& in = ctx->input(0);
    TFM_RETURN_IF_ERROR(CheckRgb(ctx, in, 1));
    const int64_t pixels = in.NumElements() / 3;
    Tensor out = Tensor::Empty(in.dtype(), in.shape());
    auto run = [&]<typename T>() {
      if (to_hsv) {
        RgbToHsv<T>(in.data<T>(), out.data<T>(), pixels);
      } else {
        HsvToRgb<T>(in.data<T>(), out.data<T>(), pixels);
      }
    };
    switch (in.dtype()) {
      case DType::kFloat:
        run.template operator()<float>();
        break;
      case DType::kDouble:
        run.template operator()<double>();
        break;
      case DType::kHalf:
      case DType::kBFloat16: {
        // Computed in float and rounded once at the end.
        Tensor f = nn::ToFloat(in);
        Tensor fo = Tensor::Empty(DType::kFloat, in.shape());
        if (to_hsv) {
          RgbToHsv<float>(f.data<float>(), fo.data<float>(), pixels);
        } else {
          HsvToRgb<float>(f.data<float>(), fo.data<float>(), pixels);
        }
        out = nn::FromFloat(fo, in.dtype());
        break;
      }
      default:
        return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(in.dtype()),
                                       " (float, double, half, bfloat16)"));
    }
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

// --- AdjustContrastv2: float and half. ---

absl::StatusOr<std::unique_ptr<OpKernel>> MakeAdjustContrast(const KernelInit& init) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() != 2) return ctx->Error("expects 2 inputs");
    const Tensor& in = ctx->input(0);
    if (in.rank() < 3) {
      return ctx->Error(absl::StrCat("input must be at least 3-D, got shape ", ShapeStr(in)));
    }
    TFM_ASSIGN_OR_RETURN(const float factor, FloatScalarInput(ctx, 1, "contrast_factor"));
    if (in.dtype() != DType::kFloat && in.dtype() != DType::kHalf) {
      return ctx->Error(
          absl::StrCat("unsupported dtype ", DTypeName(in.dtype()), " (float, half)"));
    }
    const int64_t channels = in.dim(in.rank() - 1);
    const int64_t area = in.dim(in.rank() - 2) * in.dim(in.rank() - 3);
    const int64_t images = area * channels == 0 ? 0 : in.NumElements() / (area * channels);
    Tensor f = in.dtype() == DType::kFloat ? in : nn::ToFloat(in);
    Tensor out = Tensor::Empty(DType::kFloat, in.shape());
    const float* x = f.data<float>();
    float* o = out.data<float>();
    std::vector<double> sums(channels);
    for (int64_t b = 0; b < images; ++b) {
      const float* xi = x + b * area * channels;
      float* oi = o + b * area * channels;
      std::fill(sums.begin(), sums.end(), 0.0);
      for (int64_t p = 0; p < area; ++p) {
        for (int64_t c = 0; c < channels; ++c) sums[c] += xi[p * channels + c];
      }
      for (int64_t c = 0; c < channels; ++c) {
        const float mean = static_cast<float>(sums[c] / static_cast<double>(area));
        for (int64_t p = 0; p < area; ++p) {
          oi[p * channels + c] = (xi[p * channels + c] - mean) * factor + mean;
        }
      }
    }
    ctx->set_output(0,
                    in.dtype() == DType::kFloat ? std::move(out) : nn::FromFloat(out, in.dtype()));
    return absl::OkStatus();
  });
}

// --- AdjustSaturation / AdjustHue: float only (TF's CPU kernels). ---

void SaturationPixel(const float* p, float scale, float* q) {
  const float r = p[0], g = p[1], b = p[2];
  const float v = std::max(r, std::max(g, b));
  const float range = v - std::min(r, std::min(g, b));
  float s = v > 0 ? range / v : 0.0f;
  const float norm = 1.0f / (6.0f * range);
  float h;
  if (r == v) {
    h = norm * (g - b);
  } else if (g == v) {
    h = static_cast<float>(norm * (b - r) + 2.0 / 6.0);
  } else {
    h = static_cast<float>(norm * (r - g) + 4.0 / 6.0);
  }
  if (range <= 0.0f) h = 0;
  if (h < 0.0f) h = h + 1;
  s = std::min(1.0f, std::max(0.0f, s * scale));
  // Back to RGB (Wikipedia's HSV -> RGB, as TF's hsv_to_rgb).
  const float c = s * v, m = v - c, dh = h * 6;
  const int category = std::isnan(dh) ? -1 : static_cast<int>(std::clamp(dh, -1.0f, 6.0f));
  float mod = dh;
  if (std::isfinite(mod)) {
    if (mod < -1e6f || mod >= 1e6f) mod = std::fmod(mod, 2.0f);  // no endless stepping
    while (mod <= 0) mod += 2.0f;
    while (mod >= 2.0f) mod -= 2.0f;
  }
  const float x = c * (1 - std::abs(mod - 1));
  float rr = 0, gg = 0, bb = 0;
  switch (category) {
    case 0:
      rr = c;
      gg = x;
      break;
    case 1:
      rr = x;
      gg = c;
      break;
    case 2:
      gg = c;
      bb = x;
      break;
    case 3:
      gg = x;
      bb = c;
      break;
    case 4:
      rr = x;
      bb = c;
      break;
    case 5:
      rr = c;
      bb = x;
      break;
    default:
      break;
  }
  q[0] = rr + m;
  q[1] = gg + m;
  q[2] = bb + m;
}

void HuePixel(const float* p, float delta, float* q) {
  const float r = p[0], g = p[1], b = p[2];
  float vmax, vmid, vmin;
  int category;
  if (r < g) {
    if (b < r) {
      vmax = g, vmid = r, vmin = b, category = 1;
    } else if (b > g) {
      vmax = b, vmid = g, vmin = r, category = 3;
    } else {
      vmax = g, vmid = b, vmin = r, category = 2;
    }
  } else if (b < g) {
    vmax = r, vmid = g, vmin = b, category = 0;
  } else if (b > r) {
    vmax = b, vmid = r, vmin = g, category = 4;
  } else {
    vmax = r, vmid = b, vmin = g, category = 5;
  }
  float h = 0;
  if (vmax != vmin) {
    const float ratio = (vmid - vmin) / (vmax - vmin);
    h = static_cast<float>(category) + ((category & 1) == 0 ? ratio : 1 - ratio);
  }
  h += delta * 6;
  if (std::isfinite(h)) {
    // TF steps by 6 until h is in [0, 6); fmod first keeps huge deltas from looping.
    if (h < -1e6f || h >= 1e6f) h = std::fmod(h, 6.0f);
    while (h < 0) h += 6;
    while (h >= 6) h -= 6;
  }
  const int cat = std::isfinite(h) ? static_cast<int>(h) : 5;
  float ratio = h - static_cast<float>(cat);
  if ((cat & 1) != 0) ratio = 1 - ratio;
  const float mid = vmin + ratio * (vmax - vmin);
  switch (cat) {
    case 0:
      q[0] = vmax, q[1] = mid, q[2] = vmin;
      break;
    case 1:
      q[0] = mid, q[1] = vmax, q[2] = vmin;
      break;
    case 2:
      q[0] = vmin, q[1] = vmax, q[2] = mid;
      break;
    case 3:
      q[0] = vmin, q[1] = mid, q[2] = vmax;
      break;
    case 4:
      q[0] = mid, q[1] = vmin, q[2] = vmax;
      break;
    default:
      q[0] = vmax, q[1] = vmin, q[2] = mid;
      break;
  }
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeAdjustPerPixel(const KernelInit& init) {
  const bool hue = init.op() == "AdjustHue";
  return MakeKernel([hue](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() != 2) return ctx->Error("expects 2 inputs");
    const Tensor& in = ctx->input(0);
    TFM_RETURN_IF_ERROR(CheckRgb(ctx, in, 3));
    TFM_ASSIGN_OR_RETURN(const float arg, FloatScalarInput(ctx, 1, hue ? "delta" : "scale"));
    if (in.dtype() != DType::kFloat) {
      return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(in.dtype()),
                                     " (TF's CPU kernel takes float)"));
    }
    const int64_t pixels = in.NumElements() / 3;
    Tensor out = Tensor::Empty(DType::kFloat, in.shape());
    const float* p = in.data<float>();
    float* q = out.data<float>();
    nn::ParallelFor(ctx, pixels, 40, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        if (hue) {
          HuePixel(p + 3 * i, arg, q + 3 * i);
        } else {
          SaturationPixel(p + 3 * i, arg, q + 3 * i);
        }
      }
    });
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterColorKernels(KernelRegistry& r) {
  r.Register("RGBToHSV", MakeColorspace);
  r.Register("HSVToRGB", MakeColorspace);
  r.Register("AdjustContrastv2", MakeAdjustContrast);
  r.Register("AdjustSaturation", MakeAdjustPerPixel);
  r.Register("AdjustHue", MakeAdjustPerPixel);
}

}  // namespace tfmodel::runtime
