// TensorFlow data types. Numeric values equal tensorflow::DataType in types.proto,
// so a proto enum converts with a static_cast.
#ifndef TFMODEL_CORE_DTYPE_H_
#define TFMODEL_CORE_DTYPE_H_

#include <complex>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tfmodel {

enum class DType : int {
  kInvalid = 0,
  kFloat = 1,
  kDouble = 2,
  kInt32 = 3,
  kUInt8 = 4,
  kInt16 = 5,
  kInt8 = 6,
  kString = 7,
  kComplex64 = 8,
  kInt64 = 9,
  kBool = 10,
  kQInt8 = 11,
  kQUInt8 = 12,
  kQInt32 = 13,
  kBFloat16 = 14,
  kQInt16 = 15,
  kQUInt16 = 16,
  kUInt16 = 17,
  kComplex128 = 18,
  kHalf = 19,
  kResource = 20,
  kVariant = 21,
  kUInt32 = 22,
  kUInt64 = 23,
};
// TF marks reference-typed edges by adding 100 (DT_FLOAT_REF = 101).
inline constexpr int kDTypeRefOffset = 100;

// 16-bit IEEE half float, stored as raw bits.
struct Half {
  uint16_t bits = 0;
  static Half FromFloat(float f);
  float ToFloat() const;
};
// bfloat16: the upper 16 bits of a float32 (round to nearest even on conversion).
struct BFloat16 {
  uint16_t bits = 0;
  static BFloat16 FromFloat(float f);
  float ToFloat() const {
    uint32_t u = static_cast<uint32_t>(bits) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
};
using complex64 = std::complex<float>;
using complex128 = std::complex<double>;

// Size in bytes of one element; 0 for string, resource, variant and invalid types.
size_t DTypeSize(DType t);
// True for fixed-size types whose elements are plain bytes (memcpy-able).
bool DTypeIsPod(DType t);
// "float", "int32", "string", ... as TensorFlow prints them (DataTypeString).
std::string DTypeName(DType t);
// "DT_FLOAT", ... (the proto enum name).
std::string DTypeEnumName(DType t);
// Parses either form ("float", "DT_FLOAT", "float32" is accepted too).
absl::StatusOr<DType> DTypeFromName(absl::string_view name);
// Drops the _REF offset: DT_FLOAT_REF -> DT_FLOAT.
inline DType BaseDType(int proto_value) {
  return static_cast<DType>(proto_value >= kDTypeRefOffset ? proto_value - kDTypeRefOffset
                                                           : proto_value);
}
// Whether the value is one of the types above.
bool DTypeIsValid(int proto_value);

// Maps C++ element types to DType.
template <typename T>
struct DTypeOf;
#define TFM_DTYPE_OF_(T, V)           \
  template <>                         \
  struct DTypeOf<T> {                 \
    static constexpr DType value = V; \
  }
TFM_DTYPE_OF_(float, DType::kFloat);
TFM_DTYPE_OF_(double, DType::kDouble);
TFM_DTYPE_OF_(int32_t, DType::kInt32);
TFM_DTYPE_OF_(uint8_t, DType::kUInt8);
TFM_DTYPE_OF_(int16_t, DType::kInt16);
TFM_DTYPE_OF_(int8_t, DType::kInt8);
TFM_DTYPE_OF_(std::string, DType::kString);
TFM_DTYPE_OF_(complex64, DType::kComplex64);
TFM_DTYPE_OF_(complex128, DType::kComplex128);
TFM_DTYPE_OF_(int64_t, DType::kInt64);
TFM_DTYPE_OF_(bool, DType::kBool);
TFM_DTYPE_OF_(BFloat16, DType::kBFloat16);
TFM_DTYPE_OF_(uint16_t, DType::kUInt16);
TFM_DTYPE_OF_(Half, DType::kHalf);
TFM_DTYPE_OF_(uint32_t, DType::kUInt32);
TFM_DTYPE_OF_(uint64_t, DType::kUInt64);
#undef TFM_DTYPE_OF_

}  // namespace tfmodel

#endif  // TFMODEL_CORE_DTYPE_H_
