// CropAndResize (tf.image.crop_and_resize), following TF's CPU kernel: boxes are
// normalized [y1, x1, y2, x2] (y2 < y1 flips the crop) mapped onto pixel centres 0 ..
// size-1; crop pixel (y, x) samples in_y = y1 (h-1) + y (y2-y1)(h-1)/(crop_h-1) (the box
// centre when crop_h == 1), and likewise x; samples outside [0, size-1] take
// extrapolation_value. "bilinear" interpolates the four neighbours, "nearest" rounds
// half away from zero. Output is float; box_ind outside [0, batch) is an OutOfRange error
// and non-finite boxes an InvalidArgument, both before any work.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "runtime/kernel.h"
#include "runtime/kernels/image_util.h"
#include "runtime/kernels/nn_util.h"

namespace tfmodel::runtime {
namespace {

using nn::ShapeStr;

struct CropGeom {
  int64_t batch = 0, height = 0, width = 0, depth = 0, boxes = 0, crop_h = 0, crop_w = 0;
};

absl::Status Validate(KernelContext* ctx, CropGeom* g) {
  if (ctx->num_inputs() != 4) return ctx->Error("expects 4 inputs");
  const Tensor& image = ctx->input(0);
  const Tensor& boxes = ctx->input(1);
  const Tensor& box_ind = ctx->input(2);
  const Tensor& crop_size = ctx->input(3);
  if (image.rank() != 4) {
    return ctx->Error(absl::StrCat("input image must be 4-D, got ", ShapeStr(image)));
  }
  g->batch = image.dim(0);
  g->height = image.dim(1);
  g->width = image.dim(2);
  g->depth = image.dim(3);
  if (g->height <= 0 || g->width <= 0) {
    return ctx->Error(absl::StrCat("image dimensions must be positive, got ", ShapeStr(image)));
  }
  if (boxes.dtype() != DType::kFloat || box_ind.dtype() != DType::kInt32) {
    return ctx->Error(absl::StrCat("boxes must be float and box_ind int32, got ",
                                   DTypeName(boxes.dtype()), " and ", DTypeName(box_ind.dtype())));
  }
  if (boxes.NumElements() == 0 && box_ind.NumElements() == 0) {
    g->boxes = 0;
  } else {
    if (boxes.rank() != 2 || boxes.dim(1) != 4) {
      return ctx->Error(absl::StrCat("boxes must be 2-D [num_boxes, 4], got ", ShapeStr(boxes)));
    }
    g->boxes = boxes.dim(0);
    if (box_ind.rank() != 1 || box_ind.dim(0) != g->boxes) {
      return ctx->Error(absl::StrCat("box_ind must be 1-D with ", g->boxes,
                                     " entries (one per box), got ", ShapeStr(box_ind)));
    }
  }
  if (crop_size.dtype() != DType::kInt32 || crop_size.rank() != 1 || crop_size.dim(0) != 2) {
    return ctx->Error(absl::StrCat("crop_size must be an int32 vector of two elements, got ",
                                   DTypeName(crop_size.dtype()), " ", ShapeStr(crop_size)));
  }
  g->crop_h = crop_size.data<int32_t>()[0];
  g->crop_w = crop_size.data<int32_t>()[1];
  if (g->crop_h <= 0 || g->crop_w <= 0) {
    return ctx->Error(
        absl::StrCat("crop dimensions must be positive, got [", g->crop_h, ", ", g->crop_w, "]"));
  }
  TFM_RETURN_IF_ERROR(TensorShape::Validate({g->boxes, g->crop_h, g->crop_w, g->depth}));
  const int32_t* ind = box_ind.data<int32_t>();
  for (int64_t b = 0; b < g->boxes; ++b) {
    if (ind[b] < 0 || ind[b] >= g->batch) {
      return absl::OutOfRangeError(absl::StrCat("node '", ctx->node_name(), "' (", ctx->op(),
                                                "): box_ind[", b, "] = ", ind[b],
                                                " is outside [0, batch_size = ", g->batch, ")"));
    }
  }
  const float* bx = boxes.data<float>();
  for (int64_t i = 0; i < g->boxes * 4; ++i) {
    if (!std::isfinite(bx[i])) {
      return ctx->Error(
          absl::StrCat("Boxes contains at least one element that is not finite: "
                       "boxes[",
                       i / 4, "][", i % 4, "] = ", bx[i]));
    }
  }
  return absl::OkStatus();
}

template <typename T>
void CropBox(const T* image, const CropGeom& g, const float* box, bool bilinear, float extrap,
             float* out) {
  const float y1 = box[0], x1 = box[1], y2 = box[2], x2 = box[3];
  const float hm1 = static_cast<float>(g.height - 1), wm1 = static_cast<float>(g.width - 1);
  const float hs = g.crop_h > 1 ? (y2 - y1) * hm1 / static_cast<float>(g.crop_h - 1) : 0.0f;
  const float ws = g.crop_w > 1 ? (x2 - x1) * wm1 / static_cast<float>(g.crop_w - 1) : 0.0f;
  const int64_t d = g.depth;
  auto px = [&](int64_t y, int64_t x, int64_t c) {
    return image::AsFloat(image[(y * g.width + x) * d + c]);
  };
  for (int64_t y = 0; y < g.crop_h; ++y) {
    const float in_y = g.crop_h > 1 ? y1 * hm1 + static_cast<float>(y) * hs
                                    : static_cast<float>(0.5 * (y1 + y2) * hm1);
    float* row = out + y * g.crop_w * d;
    if (in_y < 0 || in_y > hm1) {
      for (int64_t i = 0; i < g.crop_w * d; ++i) row[i] = extrap;
      continue;
    }
    const int64_t top = static_cast<int64_t>(std::floor(in_y));
    const int64_t bottom = static_cast<int64_t>(std::ceil(in_y));
    const float y_lerp = in_y - static_cast<float>(top);
    for (int64_t x = 0; x < g.crop_w; ++x) {
      const float in_x = g.crop_w > 1 ? x1 * wm1 + static_cast<float>(x) * ws
                                      : static_cast<float>(0.5 * (x1 + x2) * wm1);
      float* o = row + x * d;
      if (in_x < 0 || in_x > wm1) {
        for (int64_t c = 0; c < d; ++c) o[c] = extrap;
        continue;
      }
      if (!bilinear) {
        const int64_t cy = static_cast<int64_t>(std::round(in_y));
        const int64_t cx = static_cast<int64_t>(std::round(in_x));
        for (int64_t c = 0; c < d; ++c) o[c] = px(cy, cx, c);
        continue;
      }
      const int64_t left = static_cast<int64_t>(std::floor(in_x));
      const int64_t right = static_cast<int64_t>(std::ceil(in_x));
      const float x_lerp = in_x - static_cast<float>(left);
      for (int64_t c = 0; c < d; ++c) {
        const float tl = px(top, left, c), tr = px(top, right, c);
        const float bl = px(bottom, left, c), br = px(bottom, right, c);
        const float t = tl + (tr - tl) * x_lerp;
        const float b = bl + (br - bl) * x_lerp;
        o[c] = t + (b - t) * y_lerp;
      }
    }
  }
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeCropAndResize(const KernelInit& init) {
  std::string method = "bilinear";
  float extrap = 0.0f;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("method", &method));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("extrapolation_value", &extrap));
  if (method != "bilinear" && method != "nearest") {
    return init.Error(absl::StrCat("method must be 'bilinear' or 'nearest', got '", method, "'"));
  }
  const bool bilinear = method == "bilinear";
  return MakeKernel([bilinear, extrap](KernelContext* ctx) -> absl::Status {
    CropGeom g;
    TFM_RETURN_IF_ERROR(Validate(ctx, &g));
    const Tensor& image = ctx->input(0);
    Tensor out = Tensor::Empty(DType::kFloat, TensorShape{g.boxes, g.crop_h, g.crop_w, g.depth});
    const float* boxes = ctx->input(1).data<float>();
    const int32_t* ind = ctx->input(2).data<int32_t>();
    float* o = out.data<float>();
    const int64_t per_box = g.crop_h * g.crop_w * g.depth;
    const int64_t per_image = g.height * g.width * g.depth;
    const bool ok = image::DispatchReal(image.dtype(), [&]<typename T>() {
      const T* img = image.data<T>();
      nn::ParallelFor(ctx, g.boxes, static_cast<double>(per_box) * 20,
                      [&](int64_t begin, int64_t end) {
                        for (int64_t b = begin; b < end; ++b) {
                          CropBox(img + ind[b] * per_image, g, boxes + 4 * b, bilinear, extrap,
                                  o + b * per_box);
                        }
                      });
    });
    if (!ok) return ctx->Error(absl::StrCat("unsupported image dtype ", DTypeName(image.dtype())));
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterCropAndResizeKernels(KernelRegistry& r) {
  r.Register("CropAndResize", MakeCropAndResize);
}

}  // namespace tfmodel::runtime
