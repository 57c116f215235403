// Helpers shared by the sparse kernels that accumulate values (sparse_ops.cc's
// SparseTensorDenseMatMul, sparse_segment_ops.cc): half and bfloat16 accumulate in float,
// and one dispatch over the value dtypes TF registers for them.
#ifndef TFMODEL_RUNTIME_KERNELS_SPARSE_UTIL_H_
#define TFMODEL_RUNTIME_KERNELS_SPARSE_UTIL_H_

#include <cstdint>
#include <type_traits>

#include "core/dtype.h"
#include "core/tensor.h"

namespace tfmodel::runtime::sparse_util {

template <typename T>
struct AccumOf {
  using type = T;
};
template <>
struct AccumOf<Half> {
  using type = float;
};
template <>
struct AccumOf<BFloat16> {
  using type = float;
};

template <typename T>
typename AccumOf<T>::type ToAccum(T v) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
    return v.ToFloat();
  } else {
    return v;
  }
}
template <typename T>
T FromAccum(typename AccumOf<T>::type v) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
    return T::FromFloat(v);
  } else {
    return v;
  }
}

template <typename Fn>
bool DispatchSegmentValue(DType dt, bool float_only, Fn&& fn) {
  switch (dt) {
    case DType::kFloat:
      fn.template operator()<float>();
      return true;
    case DType::kDouble:
      fn.template operator()<double>();
      return true;
    case DType::kHalf:
      fn.template operator()<Half>();
      return true;
    case DType::kBFloat16:
      fn.template operator()<BFloat16>();
      return true;
    default:
      break;
  }
  if (float_only) return false;
  switch (dt) {
    case DType::kInt32:
      fn.template operator()<int32_t>();
      return true;
    case DType::kInt64:
      fn.template operator()<int64_t>();
      return true;
    case DType::kInt8:
      fn.template operator()<int8_t>();
      return true;
    case DType::kInt16:
      fn.template operator()<int16_t>();
      return true;
    case DType::kUInt8:
      fn.template operator()<uint8_t>();
      return true;
    case DType::kUInt16:
      fn.template operator()<uint16_t>();
      return true;
    case DType::kUInt32:
      fn.template operator()<uint32_t>();
      return true;
    case DType::kUInt64:
      fn.template operator()<uint64_t>();
      return true;
    default:
      return false;
  }
}

}  // namespace tfmodel::runtime::sparse_util

#endif  // TFMODEL_RUNTIME_KERNELS_SPARSE_UTIL_H_
