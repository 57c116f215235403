// libFuzzer target: .npy bytes -> ParseNpy; a parsed tensor is encoded again with EncodeNpy
// and must read back with the same dtype and shape.
// Built and run by scripts/fuzz.sh (-DTFMODEL_FUZZ=ON); not part of the library or CI.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/fuzz_util.h"
#include "format/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tfmodel::fuzz::Init();
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto t = tfmodel::ParseNpy(bytes, "fuzz.npy");
  if (!t.ok()) return 0;
  auto encoded = tfmodel::EncodeNpy(*t);
  if (!encoded.ok()) return 0;
  auto again = tfmodel::ParseNpy(*encoded, "encoded.npy");
  if (!again.ok() || again->dtype() != t->dtype() || again->shape() != t->shape()) std::abort();
  return 0;
}
