// libFuzzer target: a serialized TensorProto -> TensorFromProto -> TensorToProto in both
// encodings -> TensorFromProto again, which must give the same dtype and shape.
// Built and run by scripts/fuzz.sh (-DTFMODEL_FUZZ=ON); not part of the library or CI.
#include <cstdint>
#include <cstdlib>

#include "core/fuzz_util.h"
#include "format/tensor_proto.h"
#include "tensorflow/core/framework/tensor.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tfmodel::fuzz::Init();
  tensorflow::TensorProto proto;
  if (size > (1 << 20) || !proto.ParseFromArray(data, static_cast<int>(size))) return 0;
  auto t = tfmodel::TensorFromProto(proto);
  if (!t.ok()) return 0;
  for (auto enc : {tfmodel::TensorEncoding::kContent, tfmodel::TensorEncoding::kTyped}) {
    tensorflow::TensorProto back;
    tfmodel::TensorToProto(*t, &back, enc);
    auto again = tfmodel::TensorFromProto(back);
    if (!again.ok() || again->dtype() != t->dtype() || again->shape() != t->shape()) {
      std::abort();  // a tensor we wrote must read back
    }
  }
  (void)t->DebugString();
  return 0;
}
