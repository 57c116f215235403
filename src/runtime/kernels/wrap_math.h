// Arithmetic with TensorFlow's integer semantics, shared by the kernels that accumulate:
// integer add / sub / mul wrap around on overflow (two's complement, no UB), floats and
// complex numbers use the ordinary operators. Small integer types are widened to 32 bits
// first so that uint16 * uint16 cannot overflow int.
#ifndef TFMODEL_RUNTIME_KERNELS_WRAP_MATH_H_
#define TFMODEL_RUNTIME_KERNELS_WRAP_MATH_H_

#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include "core/dtype.h"

namespace tfmodel::runtime {

template <typename T>
constexpr bool kIsInt = std::is_integral_v<T> && !std::is_same_v<T, bool>;

template <typename T>
using WrapUnsigned =
    std::conditional_t<(sizeof(T) < 4), uint32_t,
                       std::make_unsigned_t<std::conditional_t<kIsInt<T>, T, int>>>;

template <typename T>
T WrapAdd(T a, T b) {
  if constexpr (kIsInt<T>) {
    return static_cast<T>(static_cast<WrapUnsigned<T>>(a) + static_cast<WrapUnsigned<T>>(b));
  } else {
    return a + b;
  }
}
template <typename T>
T WrapSub(T a, T b) {
  if constexpr (kIsInt<T>) {
    return static_cast<T>(static_cast<WrapUnsigned<T>>(a) - static_cast<WrapUnsigned<T>>(b));
  } else {
    return a - b;
  }
}
template <typename T>
T WrapMul(T a, T b) {
  if constexpr (kIsInt<T>) {
    return static_cast<T>(static_cast<WrapUnsigned<T>>(a) * static_cast<WrapUnsigned<T>>(b));
  } else {
    return a * b;
  }
}

// Calls fn.template operator()<T>() for the integer types (signed and unsigned, 8 to 64
// bits; not bool). Returns false for other dtypes.
template <typename Fn>
bool DispatchIntTypes(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::kInt8:
      fn.template operator()<int8_t>();
      return true;
    case DType::kInt16:
      fn.template operator()<int16_t>();
      return true;
    case DType::kInt32:
      fn.template operator()<int32_t>();
      return true;
    case DType::kInt64:
      fn.template operator()<int64_t>();
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

// DispatchIntTypes plus float and double. Returns false for other dtypes.
template <typename Fn>
bool DispatchRealTypes(DType dtype, Fn&& fn) {
  if (dtype == DType::kFloat) {
    fn.template operator()<float>();
    return true;
  }
  if (dtype == DType::kDouble) {
    fn.template operator()<double>();
    return true;
  }
  return DispatchIntTypes(dtype, std::forward<Fn>(fn));
}

// DispatchRealTypes plus complex64 / complex128.
template <typename Fn>
bool DispatchNumberTypes(DType dtype, Fn&& fn) {
  if (dtype == DType::kComplex64) {
    fn.template operator()<complex64>();
    return true;
  }
  if (dtype == DType::kComplex128) {
    fn.template operator()<complex128>();
    return true;
  }
  return DispatchRealTypes(dtype, std::forward<Fn>(fn));
}

}  // namespace tfmodel::runtime

#endif  // TFMODEL_RUNTIME_KERNELS_WRAP_MATH_H_
