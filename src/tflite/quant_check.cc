#include "tflite/quant_check.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tflite/quant_math.h"

namespace tfmodel::tflite {
namespace {

using B = tflite_fb::BuiltinOperator;

// How a type-generic registration treats quantized operands.
enum class RawPolicy {
  kRefuse,        // no quantized implementation: Unimplemented
  kSelf,          // the prepare function checks or handles quantization itself
  kSharedParams,  // raw integers are right when every quantized operand has the same params
};

struct PolicyEntry {
  B code;
  RawPolicy policy;
};

// clang-format off
constexpr PolicyEntry kPolicies[] = {
    // Handle quantization themselves.
    {B::QUANTIZE,                     RawPolicy::kSelf},
    {B::DEQUANTIZE,                   RawPolicy::kSelf},
    {B::PAD,                          RawPolicy::kSelf},  // pads with the zero point
    {B::PADV2,                        RawPolicy::kSelf},
    {B::LSTM,                         RawPolicy::kSelf},
    {B::UNIDIRECTIONAL_SEQUENCE_LSTM, RawPolicy::kSelf},
    {B::BIDIRECTIONAL_SEQUENCE_LSTM,  RawPolicy::kSelf},
    {B::CUSTOM,                       RawPolicy::kSelf},  // TF kernels' own semantics
    {B::DENSIFY,                      RawPolicy::kSelf},  // copies the constant's values
    {B::CAST,                         RawPolicy::kSelf},  // TFLite casts the raw integers too
    {B::SHAPE,                        RawPolicy::kSelf},
    // Pass values on unchanged (the called subgraphs' operators are checked themselves).
    {B::WHILE,                        RawPolicy::kSelf},
    {B::IF,                           RawPolicy::kSelf},
    {B::ASSIGN_VARIABLE,              RawPolicy::kSelf},
    {B::READ_VARIABLE,                RawPolicy::kSelf},
    // Move, select or compare values: right on the raw integers when the params agree.
    {B::RESHAPE,                      RawPolicy::kSharedParams},
    {B::SQUEEZE,                      RawPolicy::kSharedParams},
    {B::EXPAND_DIMS,                  RawPolicy::kSharedParams},
    {B::TRANSPOSE,                    RawPolicy::kSharedParams},
    {B::CONCATENATION,                RawPolicy::kSharedParams},  // else the quantized kernel
    {B::PACK,                         RawPolicy::kSharedParams},
    {B::UNPACK,                       RawPolicy::kSharedParams},
    {B::SPLIT,                        RawPolicy::kSharedParams},
    {B::SPLIT_V,                      RawPolicy::kSharedParams},
    {B::SLICE,                        RawPolicy::kSharedParams},
    {B::STRIDED_SLICE,                RawPolicy::kSharedParams},
    {B::GATHER,                       RawPolicy::kSharedParams},
    {B::GATHER_ND,                    RawPolicy::kSharedParams},
    {B::TILE,                         RawPolicy::kSharedParams},
    {B::FILL,                         RawPolicy::kSharedParams},
    {B::SELECT,                       RawPolicy::kSharedParams},
    {B::SELECT_V2,                    RawPolicy::kSharedParams},
    {B::RESIZE_BILINEAR,              RawPolicy::kSharedParams},
    {B::RESIZE_NEAREST_NEIGHBOR,      RawPolicy::kSharedParams},
    {B::MAX_POOL_2D,                  RawPolicy::kSharedParams},
    {B::REDUCE_MAX,                   RawPolicy::kSharedParams},
    {B::REDUCE_MIN,                   RawPolicy::kSharedParams},
    {B::ARG_MAX,                      RawPolicy::kSharedParams},
    {B::ARG_MIN,                      RawPolicy::kSharedParams},
    {B::MAXIMUM,                      RawPolicy::kSharedParams},
    {B::MINIMUM,                      RawPolicy::kSharedParams},
    {B::LESS,                         RawPolicy::kSharedParams},
    {B::LESS_EQUAL,                   RawPolicy::kSharedParams},
    {B::GREATER,                      RawPolicy::kSharedParams},
    {B::GREATER_EQUAL,                RawPolicy::kSharedParams},
    {B::EQUAL,                        RawPolicy::kSharedParams},
    {B::NOT_EQUAL,                    RawPolicy::kSharedParams},
};
// clang-format on

RawPolicy PolicyOf(B code) {
  for (const PolicyEntry& e : kPolicies) {
    if (e.code == code) return e.policy;
  }
  return RawPolicy::kRefuse;
}

std::string Describe(const QuantParams& q) {
  if (q.scale.size() == 1)
    return absl::StrCat("scale ", q.scale[0], " zero point ", q.zero_point[0]);
  return absl::StrCat(q.scale.size(), " per-channel scales along dimension ", q.dim);
}

}  // namespace

bool IsQuantizedTensor(const OpBuilder& b, int tensor) {
  return tensor >= 0 && IsQuantizedType(b.TypeOf(tensor)) && b.Quant(tensor).present();
}

bool SameQuantParams(const QuantParams& a, const QuantParams& b) {
  return a.scale == b.scale && a.zero_point == b.zero_point;
}

absl::Status CheckRawQuantizedOperator(const OpBuilder& b) {
  bool activation = false;
  for (size_t i = 0; i < b.inputs().size(); ++i) {
    if (IsQuantizedTensor(b, b.inputs()[i]) && b.ConstInput(i) == nullptr) activation = true;
  }
  for (int t : b.outputs()) activation = activation || IsQuantizedTensor(b, t);
  if (!activation) return absl::OkStatus();
  const RawPolicy policy = PolicyOf(b.code());
  if (policy == RawPolicy::kSelf) return absl::OkStatus();
  if (policy == RawPolicy::kRefuse) {
    return b.Unsupported(
        "quantized (int8/uint8) operands: tfmodel has no quantized kernel for this operator");
  }
  // kSharedParams: every quantized operand has the params of the first one.
  std::vector<int> tensors = b.inputs();
  tensors.insert(tensors.end(), b.outputs().begin(), b.outputs().end());
  const QuantParams* first = nullptr;
  QuantParams first_q;
  std::string first_name;
  for (size_t k = 0; k < tensors.size(); ++k) {
    if (!IsQuantizedTensor(b, tensors[k])) continue;
    const std::string name = k < b.inputs().size() ? absl::StrCat("input ", k)
                                                   : absl::StrCat("output ", k - b.inputs().size());
    QuantParams q = b.Quant(tensors[k]);
    if (!first) {
      first_q = std::move(q);
      first = &first_q;
      first_name = name;
      continue;
    }
    if (!SameQuantParams(*first, q)) {
      return b.Unsupported(absl::StrCat(
          "quantized operands with different quantization (", first_name, ": ", Describe(*first),
          ", ", name, ": ", Describe(q),
          "); tfmodel runs this operator only when they share one scale and zero point, as "
          "TFLite requires"));
    }
  }
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite
