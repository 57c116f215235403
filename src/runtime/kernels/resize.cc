// ResizeBilinear, ResizeBicubic, ResizeArea (output float) and ResizeNearestNeighbor
// (output dtype of images), with align_corners and half_pixel_centers following TF's
// image_resizer_state.h formulas. Bicubic and area sampling live in resize_cubic_area.h.
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "runtime/kernel.h"
#include "runtime/kernels/image_util.h"
#include "runtime/kernels/nn_util.h"
#include "runtime/kernels/resize_cubic_area.h"

namespace tfmodel::runtime {
namespace {

using nn::ShapeStr;

float ResizeScale(int64_t in, int64_t out, bool align_corners) {
  return (align_corners && out > 1) ? static_cast<float>(in - 1) / static_cast<float>(out - 1)
                                    : static_cast<float>(in) / static_cast<float>(out);
}

struct ResizeGeom {
  int64_t n = 0, ih = 0, iw = 0, c = 0, oh = 0, ow = 0;
  float hs = 0, ws = 0;
};

absl::Status Prepare(KernelContext* ctx, bool align, ResizeGeom* g) {
  if (ctx->num_inputs() != 2) return ctx->Error("expects 2 inputs");
  const Tensor& in = ctx->input(0);
  const Tensor& size = ctx->input(1);
  if (in.rank() != 4)
    return ctx->Error(absl::StrCat("input must be 4-dimensional: ", ShapeStr(in)));
  if (size.rank() != 1 || size.dtype() != DType::kInt32) {
    return ctx->Error(absl::StrCat("shape_t must be 1-dimensional int32: ", DTypeName(size.dtype()),
                                   " ", ShapeStr(size)));
  }
  if (size.dim(0) != 2) {
    return ctx->Error(absl::StrCat("shape_t must have two elements: ", ShapeStr(size)));
  }
  g->n = in.dim(0);
  g->ih = in.dim(1);
  g->iw = in.dim(2);
  g->c = in.dim(3);
  g->oh = size.data<int32_t>()[0];
  g->ow = size.data<int32_t>()[1];
  if (g->oh <= 0 || g->ow <= 0) {
    return ctx->Error(
        absl::StrCat("output dimensions must be positive, got [", g->oh, ",", g->ow, "]"));
  }
  if ((g->ih == 0 || g->iw == 0) && g->n * g->c > 0) {
    return ctx->Error(absl::StrCat("input image must be of non-zero size: ", ShapeStr(in)));
  }
  g->hs = ResizeScale(g->ih, g->oh, align);
  g->ws = ResizeScale(g->iw, g->ow, align);
  return TensorShape::Validate({g->n, g->oh, g->ow, g->c});
}

struct Interp {
  int64_t lower, upper;
  float lerp;
};

std::vector<Interp> BilinearWeights(int64_t out, int64_t in, float scale, bool half_pixel) {
  std::vector<Interp> w(out);
  for (int64_t i = 0; i < out; ++i) {
    const float v =
        half_pixel ? (static_cast<float>(i) + 0.5f) * scale - 0.5f : static_cast<float>(i) * scale;
    const float f = std::floor(v);
    w[i].lower = std::max<int64_t>(static_cast<int64_t>(f), 0);
    w[i].upper = std::min<int64_t>(static_cast<int64_t>(std::ceil(v)), in - 1);
    w[i].lerp = v - f;
  }
  return w;
}

std::vector<int64_t> NearestIndex(int64_t out, int64_t in, float scale, bool align,
                                  bool half_pixel) {
  std::vector<int64_t> idx(out);
  for (int64_t i = 0; i < out; ++i) {
    const float v =
        half_pixel ? (static_cast<float>(i) + 0.5f) * scale : static_cast<float>(i) * scale;
    int64_t k = std::min<int64_t>(
        align ? static_cast<int64_t>(std::round(v)) : static_cast<int64_t>(std::floor(v)), in - 1);
    if (half_pixel) k = std::max<int64_t>(0, k);
    idx[i] = k;
  }
  return idx;
}

using image::AsFloat;
using image::DispatchReal;

absl::StatusOr<std::unique_ptr<OpKernel>> MakeResize(const KernelInit& init) {
  bool align = false, half_pixel = false;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("align_corners", &align));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("half_pixel_centers", &half_pixel));
  if (align && half_pixel) {
    return init.Error("If half_pixel_centers is True, align_corners must be False.");
  }
  const bool bilinear = init.op() == "ResizeBilinear";
  const bool bicubic = init.op() == "ResizeBicubic";
  const bool area = init.op() == "ResizeArea";
  if (area && half_pixel) {
    // TF's ResizeArea has no half_pixel_centers attr (its footprints are already centred).
    return init.Error("ResizeArea has no half_pixel_centers attr");
  }
  return MakeKernel([=](KernelContext* ctx) -> absl::Status {
    ResizeGeom g;
    TFM_RETURN_IF_ERROR(Prepare(ctx, align, &g));
    const Tensor& in = ctx->input(0);
    const TensorShape out_shape{g.n, g.oh, g.ow, g.c};
    if (bicubic || area) {
      Tensor out = Tensor::Empty(DType::kFloat, out_shape);
      const resize::Geometry geom{g.n, g.ih, g.iw, g.c, g.oh, g.ow, g.hs, g.ws};
      bool ok = DispatchReal(in.dtype(), [&]<typename T>() {
        if (out.NumElements() == 0) return;
        if (bicubic) {
          resize::Bicubic(in.data<T>(), geom, half_pixel, out.data<float>());
        } else {
          resize::Area(in.data<T>(), geom, out.data<float>());
        }
      });
      if (!ok) return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(in.dtype())));
      ctx->set_output(0, std::move(out));
      return absl::OkStatus();
    }
    if (bilinear) {
      Tensor out = Tensor::Empty(DType::kFloat, out_shape);
      if (out.NumElements() == 0) {
        ctx->set_output(0, out);
        return absl::OkStatus();
      }
      const auto ys = BilinearWeights(g.oh, g.ih, g.hs, half_pixel);
      const auto xs = BilinearWeights(g.ow, g.iw, g.ws, half_pixel);
      float* o = out.data<float>();
      bool ok = DispatchReal(in.dtype(), [&]<typename T>() {
        const T* p = in.data<T>();
        for (int64_t b = 0; b < g.n; ++b)
          for (int64_t y = 0; y < g.oh; ++y) {
            const T* top = p + (b * g.ih + ys[y].lower) * g.iw * g.c;
            const T* bot = p + (b * g.ih + ys[y].upper) * g.iw * g.c;
            const float yl = ys[y].lerp;
            for (int64_t x = 0; x < g.ow; ++x) {
              const int64_t l = xs[x].lower * g.c, r = xs[x].upper * g.c;
              const float xl = xs[x].lerp;
              float* q = o + ((b * g.oh + y) * g.ow + x) * g.c;
              for (int64_t ch = 0; ch < g.c; ++ch) {
                const float tl = AsFloat(top[l + ch]), tr = AsFloat(top[r + ch]);
                const float bl = AsFloat(bot[l + ch]), br = AsFloat(bot[r + ch]);
                const float t = tl + (tr - tl) * xl;
                const float bo = bl + (br - bl) * xl;
                q[ch] = t + (bo - t) * yl;
              }
            }
          }
      });
      if (!ok) return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(in.dtype())));
      ctx->set_output(0, out);
      return absl::OkStatus();
    }
    if (in.dtype() == DType::kString || !DTypeIsPod(in.dtype())) {
      return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(in.dtype())));
    }
    Tensor out = Tensor::Empty(in.dtype(), out_shape);
    const auto ys = NearestIndex(g.oh, g.ih, g.hs, align, half_pixel);
    const auto xs = NearestIndex(g.ow, g.iw, g.ws, align, half_pixel);
    const size_t esz = DTypeSize(in.dtype());
    const size_t row = static_cast<size_t>(g.c) * esz;
    const char* p = static_cast<const char*>(in.raw_data());
    char* o = static_cast<char*>(out.raw_data());
    for (int64_t b = 0; b < g.n; ++b)
      for (int64_t y = 0; y < g.oh; ++y)
        for (int64_t x = 0; x < g.ow; ++x) {
          std::memcpy(o + ((b * g.oh + y) * g.ow + x) * row,
                      p + ((b * g.ih + ys[y]) * g.iw + xs[x]) * row, row);
        }
    ctx->set_output(0, out);
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterResizeKernels(KernelRegistry& r) {
  r.Register("ResizeBilinear", MakeResize);
  r.Register("ResizeNearestNeighbor", MakeResize);
  r.Register("ResizeBicubic", MakeResize);
  r.Register("ResizeArea", MakeResize);
}

}  // namespace tfmodel::runtime
