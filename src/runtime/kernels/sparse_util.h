// Helpers shared by the sparse kernels that accumulate values (sparse_ops.cc's
// SparseTensorDenseMatMul, sparse_segment_ops.cc): half and bfloat16 accumulate in float,
// and one dispatch over the value dtypes TF registers for them.
#ifndef TFMODEL_RUNTIME_KERNELS_SPARSE_UTIL_H_
#define TFMODEL_RUNTIME_KERNELS_SPARSE_UTIL_H_

#include <cstdint>
#include <type_traits>
#include <utility>

#include "core/dtype.h"
#include "core/tensor.h"
#include "runtime/kernels/wrap_math.h"

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

// The value dtypes TF registers for the sparse segment and matmul kernels: float, double,
// half and bfloat16, plus (unless `float_only`) the integer types.
template <typename Fn>
bool DispatchSegmentValue(DType dt, bool float_only, Fn&& fn) {
  if (dt == DType::kHalf) {
    fn.template operator()<Half>();
    return true;
  }
  if (dt == DType::kBFloat16) {
    fn.template operator()<BFloat16>();
    return true;
  }
  if (float_only && dt != DType::kFloat && dt != DType::kDouble) return false;
  return DispatchRealTypes(dt, std::forward<Fn>(fn));
}

}  // namespace tfmodel::runtime::sparse_util

#endif  // TFMODEL_RUNTIME_KERNELS_SPARSE_UTIL_H_
