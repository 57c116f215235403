// CRC-32C (Castagnoli), as used by TensorFlow's checkpoints and TFRecord files, plus
// the "masked" form they store (so a CRC of data containing CRCs stays well-behaved).
#ifndef TFMODEL_CORE_CRC32C_H_
#define TFMODEL_CORE_CRC32C_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace tfmodel::crc32c {

// CRC of data[0, n) continuing from `init_crc` (the CRC of preceding bytes; 0 to start).
uint32_t Extend(uint32_t init_crc, const void* data, size_t n);
inline uint32_t Value(const void* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(absl::string_view s) { return Extend(0, s.data(), s.size()); }

inline constexpr uint32_t kMaskDelta = 0xa282ead8u;
inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }
inline uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace tfmodel::crc32c

#endif  // TFMODEL_CORE_CRC32C_H_
