// Helpers shared by the libFuzzer targets (src/**/*_fuzz.cc, built with -DTFMODEL_FUZZ=ON by
// scripts/fuzz.sh). Header-only and not part of the library.
#ifndef TFMODEL_CORE_FUZZ_UTIL_H_
#define TFMODEL_CORE_FUZZ_UTIL_H_

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "core/tensor_limits.h"

namespace tfmodel::fuzz {

// The largest tensor a fuzz input may make the library allocate. Anything above must be
// refused with an error (Tensor::Create does); libFuzzer's -malloc_limit_mb (scripts/fuzz.sh
// sets it a few times higher) reports any allocation that escapes this bound.
inline constexpr size_t kMaxTensorBytes = size_t{64} << 20;

// Call first in every LLVMFuzzerTestOneInput (cheap after the first call).
inline void Init() {
  static const bool done = [] {
    SetMaxTensorBytes(kMaxTensorBytes);
    return true;
  }();
  (void)done;
}

// A fresh folder under /tmp for the whole fuzzing process.
inline const std::string& TempDir() {
  static const std::string* dir = [] {
    char tmpl[] = "/tmp/tfm_fuzz_XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) std::abort();
    return new std::string(tmpl);
  }();
  return *dir;
}

inline void WriteFile(const std::string& path, const void* data, size_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
}

// Splits fuzz input into a selector byte and the rest.
struct Input {
  uint8_t selector = 0;
  std::string rest;
};
inline bool SplitSelector(const uint8_t* data, size_t size, Input* in) {
  if (size < 1) return false;
  in->selector = data[0];
  in->rest.assign(reinterpret_cast<const char*>(data + 1), size - 1);
  return true;
}

}  // namespace tfmodel::fuzz

#endif  // TFMODEL_CORE_FUZZ_UTIL_H_
