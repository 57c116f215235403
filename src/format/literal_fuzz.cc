// libFuzzer target: the tensor literal parser of `tfmodel run --input_exprs` (and
// --inputs literals). The first byte picks the dtype asked for (or none: inferred).
// Built and run by scripts/fuzz.sh (-DTFMODEL_FUZZ=ON); not part of the library or CI.
#include <cstdint>

#include "core/dtype.h"
#include "core/fuzz_util.h"
#include "format/literal.h"

namespace {

constexpr tfmodel::DType kDTypes[] = {
    tfmodel::DType::kInvalid,   tfmodel::DType::kFloat,    tfmodel::DType::kDouble,
    tfmodel::DType::kInt32,     tfmodel::DType::kInt64,    tfmodel::DType::kUInt8,
    tfmodel::DType::kInt8,      tfmodel::DType::kBool,     tfmodel::DType::kString,
    tfmodel::DType::kHalf,      tfmodel::DType::kBFloat16, tfmodel::DType::kUInt64,
    tfmodel::DType::kComplex64, tfmodel::DType::kInt16,    tfmodel::DType::kUInt32};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tfmodel::fuzz::Init();
  tfmodel::fuzz::Input in;
  if (!tfmodel::fuzz::SplitSelector(data, size, &in)) return 0;
  const auto dtype = kDTypes[in.selector % (sizeof(kDTypes) / sizeof(kDTypes[0]))];
  auto t = tfmodel::ParseTensorLiteral(in.rest, dtype);
  if (t.ok()) (void)t->DebugString();
  return 0;
}
