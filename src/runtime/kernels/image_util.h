// Helpers shared by the image kernels (resize, crop_and_resize, image transforms, color
// ops): dispatch over the real dtypes TF registers for them, and element <-> float.
#ifndef TFMODEL_RUNTIME_KERNELS_IMAGE_UTIL_H_
#define TFMODEL_RUNTIME_KERNELS_IMAGE_UTIL_H_

#include <type_traits>

#include "core/tensor.h"

namespace tfmodel::runtime::image {

// Calls fn.template operator()<T>() for float, double, half, bfloat16 and the integer
// dtypes (not bool). Returns false for other dtypes.
template <typename Fn>
bool DispatchReal(DType d, Fn&& fn) {
  switch (d) {
    case DType::kHalf:
      fn.template operator()<Half>();
      return true;
    case DType::kBFloat16:
      fn.template operator()<BFloat16>();
      return true;
    case DType::kBool:
      return false;
    default:
      return DispatchNumeric(d, fn);
  }
}

template <typename T>
inline float AsFloat(T v) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
    return v.ToFloat();
  } else {
    return static_cast<float>(v);
  }
}

// float -> T the way a static_cast / Eigen cast does for in-range values; callers round
// or clamp first where TF does.
template <typename T>
inline T FromFloat(float v) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
    return T::FromFloat(v);
  } else {
    return static_cast<T>(v);
  }
}

}  // namespace tfmodel::runtime::image

#endif  // TFMODEL_RUNTIME_KERNELS_IMAGE_UTIL_H_
