// libFuzzer target: .tflite bytes -> TfLiteFile::FromBytes (FlatBuffers verification and
// tfmodel's own checks) -> TfLiteModel::Load (a plan per subgraph: tensors, constants,
// each operator's registration and its checks; then the signatures). Nothing is run, so
// only what loading itself allocates is exercised.
// Built and run by scripts/fuzz.sh (-DTFMODEL_FUZZ=ON); not part of the library or CI.
#include <cstdint>
#include <string>

#include "core/fuzz_util.h"
#include "format/tflite.h"
#include "tflite/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tfmodel::fuzz::Init();
  auto file = tfmodel::TfLiteFile::FromBytes(std::string(reinterpret_cast<const char*>(data), size),
                                             "fuzz.tflite");
  if (!file.ok()) return 0;
  auto model = tfmodel::tflite::TfLiteModel::Load(std::move(*file));
  if (!model.ok()) return 0;
  for (const auto& [key, sig] : (*model)->signatures()) {
    (void)(*model)->DeclaredInputShapes(key);
  }
  return 0;
}
