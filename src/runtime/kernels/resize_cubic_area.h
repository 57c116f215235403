// Bicubic and area sampling for ResizeBicubic / ResizeArea (NHWC, float output), with TF's
// arithmetic (tensorflow/core/kernels/image/resize_bicubic_op.cc, resize_area_op.cc):
//  - bicubic: a 1025-entry table of the cubic convolution kernel; Keys' a = -0.5 with
//    half_pixel_centers (sample (i + 0.5) * scale - 0.5; taps outside the image get weight
//    0 and the rest are renormalized), otherwise the legacy a = -0.75 (sample i * scale;
//    taps clamp to the edge). Rows are interpolated first, then columns;
//  - area: each output pixel averages the input cells its footprint [i*scale, (i+1)*scale)
//    covers, partial cells weighted by their covered fraction.
#ifndef TFMODEL_RUNTIME_KERNELS_RESIZE_CUBIC_AREA_H_
#define TFMODEL_RUNTIME_KERNELS_RESIZE_CUBIC_AREA_H_

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "runtime/kernels/image_util.h"

namespace tfmodel::runtime::resize {

struct Geometry {
  int64_t n, ih, iw, c, oh, ow;
  float hs, ws;  // input / output scale per axis (TF's CalculateResizeScale)
};

inline int64_t Clamp(int64_t v, int64_t size) {
  return std::min(size - 1, std::max<int64_t>(0, v));
}

constexpr int64_t kCubicTableSize = 1 << 10;

// coeffs[2i] = k(i / 1024), coeffs[2i + 1] = k(i / 1024 + 1) for the cubic kernel k with
// parameter a.
const std::vector<float>& CubicTable(bool keys);

struct CubicTaps {
  std::array<int64_t, 4> index;
  std::array<float, 4> weight;
};

inline CubicTaps CubicTapsFor(int64_t out, float scale, int64_t size, bool half_pixel) {
  const std::vector<float>& table = CubicTable(half_pixel);
  const float in = half_pixel ? (static_cast<float>(out) + 0.5f) * scale - 0.5f
                              : static_cast<float>(out) * scale;
  const int64_t base = static_cast<int64_t>(std::floor(in));
  const float delta = in - static_cast<float>(base);
  const int64_t off = std::lrint(delta * kCubicTableSize);
  CubicTaps t;
  const float w[4] = {table[off * 2 + 1], table[off * 2], table[(kCubicTableSize - off) * 2],
                      table[(kCubicTableSize - off) * 2 + 1]};
  for (int k = 0; k < 4; ++k) {
    t.index[k] = Clamp(base - 1 + k, size);
    t.weight[k] = (!half_pixel || t.index[k] == base - 1 + k) ? w[k] : 0.0f;
  }
  if (half_pixel) {
    const float sum = t.weight[0] + t.weight[1] + t.weight[2] + t.weight[3];
    if (std::abs(sum) >= 1000.0f * std::numeric_limits<float>::min()) {
      const float inv = 1.0f / sum;
      for (float& v : t.weight) v *= inv;
    }
  }
  return t;
}

template <typename T>
void Bicubic(const T* in, const Geometry& g, bool half_pixel, float* out) {
  std::vector<CubicTaps> xs(g.ow);
  for (int64_t x = 0; x < g.ow; ++x) xs[x] = CubicTapsFor(x, g.ws, g.iw, half_pixel);
  const int64_t row = g.iw * g.c;
  for (int64_t b = 0; b < g.n; ++b) {
    const T* image = in + b * g.ih * row;
    for (int64_t y = 0; y < g.oh; ++y) {
      const CubicTaps ty = CubicTapsFor(y, g.hs, g.ih, half_pixel);
      const T* rows[4];
      for (int k = 0; k < 4; ++k) rows[k] = image + ty.index[k] * row;
      float* o = out + ((b * g.oh + y) * g.ow) * g.c;
      for (int64_t x = 0; x < g.ow; ++x) {
        const CubicTaps& tx = xs[x];
        for (int64_t ch = 0; ch < g.c; ++ch) {
          float col[4];
          for (int k = 0; k < 4; ++k) {
            const int64_t at = tx.index[k] * g.c + ch;
            col[k] = image::AsFloat(rows[0][at]) * ty.weight[0] +
                     image::AsFloat(rows[1][at]) * ty.weight[1] +
                     image::AsFloat(rows[2][at]) * ty.weight[2] +
                     image::AsFloat(rows[3][at]) * ty.weight[3];
          }
          o[x * g.c + ch] = col[0] * tx.weight[0] + col[1] * tx.weight[1] + col[2] * tx.weight[2] +
                            col[3] * tx.weight[3];
        }
      }
    }
  }
}

// Fraction of input cell i inside the footprint [lo, hi) (hi - lo = scale).
inline float AreaCellScale(int64_t i, float lo, float hi, float scale) {
  const float fi = static_cast<float>(i);
  if (fi < lo) return fi + 1 > hi ? scale : fi + 1 - lo;
  return fi + 1 > hi ? hi - fi : 1.0f;
}

template <typename T>
void Area(const T* in, const Geometry& g, float* out) {
  struct Span {
    int64_t start, end;
    float start_scale, end_scale;
  };
  std::vector<Span> xs(g.ow);
  for (int64_t x = 0; x < g.ow; ++x) {
    const float lo = static_cast<float>(x) * g.ws, hi = static_cast<float>(x + 1) * g.ws;
    Span& s = xs[x];
    s.start = static_cast<int64_t>(std::floor(lo));
    s.end = static_cast<int64_t>(std::ceil(hi));
    s.start_scale = AreaCellScale(s.start, lo, hi, g.ws);
    s.end_scale = AreaCellScale(s.end - 1, lo, hi, g.ws);
  }
  const float scale = static_cast<float>(1.0 / (g.hs * g.ws));
  const int64_t row = g.iw * g.c;
  std::vector<const T*> rows;
  std::vector<float> row_scales;
  for (int64_t b = 0; b < g.n; ++b) {
    for (int64_t y = 0; y < g.oh; ++y) {
      const float lo = static_cast<float>(y) * g.hs, hi = static_cast<float>(y + 1) * g.hs;
      const int64_t y0 = static_cast<int64_t>(std::floor(lo));
      const int64_t y1 = static_cast<int64_t>(std::ceil(hi));
      rows.clear();
      row_scales.clear();
      for (int64_t i = y0; i < y1; ++i) {
        row_scales.push_back(AreaCellScale(i, lo, hi, g.hs));
        rows.push_back(in + (b * g.ih + Clamp(i, g.ih)) * row);
      }
      float* o = out + ((b * g.oh + y) * g.ow) * g.c;
      for (int64_t x = 0; x < g.ow; ++x) {
        const Span& s = xs[x];
        for (int64_t ch = 0; ch < g.c; ++ch) {
          float sum = 0;
          for (size_t r = 0; r < rows.size(); ++r) {
            const T* p = rows[r];
            float sum_y = image::AsFloat(p[Clamp(s.start, g.iw) * g.c + ch]) * s.start_scale;
            if (s.start + 1 != s.end) {
              for (int64_t xi = s.start + 1; xi < s.end - 1; ++xi) {
                sum_y += image::AsFloat(p[Clamp(xi, g.iw) * g.c + ch]);
              }
              sum_y += image::AsFloat(p[Clamp(s.end - 1, g.iw) * g.c + ch]) * s.end_scale;
            }
            sum += sum_y * row_scales[r];
          }
          o[x * g.c + ch] = sum * scale;
        }
      }
    }
  }
}

}  // namespace tfmodel::runtime::resize

#endif  // TFMODEL_RUNTIME_KERNELS_RESIZE_CUBIC_AREA_H_
