#include "core/dtype.h"

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace tfmodel {
namespace {

struct DTypeInfo {
  DType type;
  const char* name;
  const char* enum_name;
  size_t size;
  bool pod;
};

constexpr std::array<DTypeInfo, 24> kInfo = {{
    {DType::kInvalid, "invalid", "DT_INVALID", 0, false},
    {DType::kFloat, "float", "DT_FLOAT", 4, true},
    {DType::kDouble, "double", "DT_DOUBLE", 8, true},
    {DType::kInt32, "int32", "DT_INT32", 4, true},
    {DType::kUInt8, "uint8", "DT_UINT8", 1, true},
    {DType::kInt16, "int16", "DT_INT16", 2, true},
    {DType::kInt8, "int8", "DT_INT8", 1, true},
    {DType::kString, "string", "DT_STRING", 0, false},
    {DType::kComplex64, "complex64", "DT_COMPLEX64", 8, true},
    {DType::kInt64, "int64", "DT_INT64", 8, true},
    {DType::kBool, "bool", "DT_BOOL", 1, true},
    {DType::kQInt8, "qint8", "DT_QINT8", 1, true},
    {DType::kQUInt8, "quint8", "DT_QUINT8", 1, true},
    {DType::kQInt32, "qint32", "DT_QINT32", 4, true},
    {DType::kBFloat16, "bfloat16", "DT_BFLOAT16", 2, true},
    {DType::kQInt16, "qint16", "DT_QINT16", 2, true},
    {DType::kQUInt16, "quint16", "DT_QUINT16", 2, true},
    {DType::kUInt16, "uint16", "DT_UINT16", 2, true},
    {DType::kComplex128, "complex128", "DT_COMPLEX128", 16, true},
    {DType::kHalf, "half", "DT_HALF", 2, true},
    {DType::kResource, "resource", "DT_RESOURCE", 0, false},
    {DType::kVariant, "variant", "DT_VARIANT", 0, false},
    {DType::kUInt32, "uint32", "DT_UINT32", 4, true},
    {DType::kUInt64, "uint64", "DT_UINT64", 8, true},
}};

const DTypeInfo* Find(DType t) {
  int v = static_cast<int>(t);
  if (v < 0 || v >= static_cast<int>(kInfo.size())) return nullptr;
  return &kInfo[v];
}

}  // namespace

Half Half::FromFloat(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t exp = (x >> 23) & 0xffu;
  uint32_t mant = x & 0x7fffffu;
  Half h;
  if (exp == 0xff) {  // inf / nan
    h.bits = static_cast<uint16_t>(sign | 0x7c00u | (mant ? 0x200u | (mant >> 13) : 0u));
    return h;
  }
  int e = static_cast<int>(exp) - 127 + 15;
  if (e >= 0x1f) {  // overflow -> inf
    h.bits = static_cast<uint16_t>(sign | 0x7c00u);
    return h;
  }
  if (e <= 0) {  // subnormal or zero
    if (e < -10) {
      h.bits = static_cast<uint16_t>(sign);
      return h;
    }
    mant |= 0x800000u;
    uint32_t shift = static_cast<uint32_t>(14 - e);
    uint32_t half_mant = mant >> shift;
    uint32_t rem = mant & ((1u << shift) - 1);
    uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (half_mant & 1u))) ++half_mant;
    h.bits = static_cast<uint16_t>(sign | half_mant);
    return h;
  }
  uint32_t half_mant = mant >> 13;
  uint32_t rem = mant & 0x1fffu;
  uint32_t out = sign | (static_cast<uint32_t>(e) << 10) | half_mant;
  if (rem > 0x1000u || (rem == 0x1000u && (half_mant & 1u))) ++out;  // may carry into exp
  h.bits = static_cast<uint16_t>(out);
  return h;
}

float Half::ToFloat() const {
  uint32_t sign = (static_cast<uint32_t>(bits) & 0x8000u) << 16;
  uint32_t exp = (bits >> 10) & 0x1fu;
  uint32_t mant = bits & 0x3ffu;
  uint32_t out;
  if (exp == 0) {
    if (mant == 0) {
      out = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400u) == 0);
      out = sign | (static_cast<uint32_t>(127 - 15 - e) << 23) | ((mant & 0x3ffu) << 13);
    }
  } else if (exp == 0x1f) {
    out = sign | 0x7f800000u | (mant << 13);
  } else {
    out = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &out, 4);
  return f;
}

BFloat16 BFloat16::FromFloat(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  BFloat16 b;
  if ((x & 0x7fffffffu) > 0x7f800000u) {  // NaN: keep it a quiet NaN
    b.bits = static_cast<uint16_t>((x >> 16) | 0x40u);
    return b;
  }
  uint32_t lsb = (x >> 16) & 1u;
  x += 0x7fffu + lsb;
  b.bits = static_cast<uint16_t>(x >> 16);
  return b;
}

size_t DTypeSize(DType t) {
  const DTypeInfo* i = Find(t);
  return i ? i->size : 0;
}

bool DTypeIsPod(DType t) {
  const DTypeInfo* i = Find(t);
  return i && i->pod;
}

bool DTypeIsValid(int v) {
  if (v >= kDTypeRefOffset) v -= kDTypeRefOffset;
  return v > 0 && v < static_cast<int>(kInfo.size());
}

std::string DTypeName(DType t) {
  const DTypeInfo* i = Find(t);
  return i ? i->name : absl::StrCat("unknown dtype ", static_cast<int>(t));
}

std::string DTypeEnumName(DType t) {
  const DTypeInfo* i = Find(t);
  return i ? i->enum_name : absl::StrCat("DT_UNKNOWN_", static_cast<int>(t));
}

absl::StatusOr<DType> DTypeFromName(absl::string_view name) {
  std::string lower = absl::AsciiStrToLower(name);
  if (lower == "float32") return DType::kFloat;
  if (lower == "float64") return DType::kDouble;
  if (lower == "float16") return DType::kHalf;
  for (const DTypeInfo& i : kInfo) {
    if (i.type == DType::kInvalid) continue;
    if (lower == i.name || lower == absl::AsciiStrToLower(i.enum_name)) return i.type;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown dtype name '", name, "'"));
}

}  // namespace tfmodel
