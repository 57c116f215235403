// Lowerings of reductions (Mean, Sum, Max, Min, Prod, Any, All) and random ops.
#include <map>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "tflite/convert/lowerings.h"

namespace tfmodel::tflite {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;

absl::Status LowerReduce(Lowering& l, const tensorflow::NodeDef& n) {
  static const std::map<std::string, B> kReduce = {{"Mean", B::MEAN},        {"Sum", B::SUM},
                                                   {"Max", B::REDUCE_MAX},   {"Min", B::REDUCE_MIN},
                                                   {"Prod", B::REDUCE_PROD}, {"Any", B::REDUCE_ANY},
                                                   {"All", B::REDUCE_ALL}};
  auto it = kReduce.find(n.op());
  if (it == kReduce.end()) return l.Fail(n, "not a reduction");
  TFM_ASSIGN_OR_RETURN(int x, l.InputTensor(n, 0));
  const Tensor* axes = l.ConstInput(n, 1);
  int at;
  if (axes) {
    at = l.ConstTensor(absl::StrCat(n.name(), "/axes"), ToInt32(*axes));
  } else {
    TFM_ASSIGN_OR_RETURN(at, l.InputTensor(n, 1));
  }
  fb::ReducerOptionsT o;
  o.keep_dims = BoolOf(n, "keep_dims");
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  l.AddOp(it->second, {x, at}, {l.OutputTensor(n, 0)}, std::move(u));
  return absl::OkStatus();
}

absl::Status LowerRandom(Lowering& l, const tensorflow::NodeDef& n) {
  TFM_ASSIGN_OR_RETURN(int s, l.InputTensor(n, 0));
  fb::RandomOptionsT o;
  o.seed = IntOf(n, "seed");
  o.seed2 = IntOf(n, "seed2");
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  l.AddOp(n.op() == "RandomUniform" ? B::RANDOM_UNIFORM : B::RANDOM_STANDARD_NORMAL, {s},
          {l.OutputTensor(n, 0)}, std::move(u));
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite
