// Box geometry shared by the non-maximum-suppression kernels.
#ifndef TFMODEL_RUNTIME_KERNELS_BOX_UTIL_H_
#define TFMODEL_RUNTIME_KERNELS_BOX_UTIL_H_

#include <algorithm>

namespace tfmodel::runtime {

// Intersection over union of two boxes [y1, x1, y2, x2] given in either corner order, as
// TF computes it in float: 0 when either box has no positive area.
inline float BoxIou(const float* a, const float* b) {
  const float ymin_a = std::min(a[0], a[2]), xmin_a = std::min(a[1], a[3]);
  const float ymax_a = std::max(a[0], a[2]), xmax_a = std::max(a[1], a[3]);
  const float ymin_b = std::min(b[0], b[2]), xmin_b = std::min(b[1], b[3]);
  const float ymax_b = std::max(b[0], b[2]), xmax_b = std::max(b[1], b[3]);
  const float area_a = (ymax_a - ymin_a) * (xmax_a - xmin_a);
  const float area_b = (ymax_b - ymin_b) * (xmax_b - xmin_b);
  if (area_a <= 0 || area_b <= 0) return 0.0f;
  const float ih = std::max(std::min(ymax_a, ymax_b) - std::max(ymin_a, ymin_b), 0.0f);
  const float iw = std::max(std::min(xmax_a, xmax_b) - std::max(xmin_a, xmin_b), 0.0f);
  const float inter = ih * iw;
  return inter / (area_a + area_b - inter);
}

}  // namespace tfmodel::runtime

#endif  // TFMODEL_RUNTIME_KERNELS_BOX_UTIL_H_
