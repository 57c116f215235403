// Reductions over axes: MEAN, SUM, REDUCE_MAX/MIN/PROD/ANY/ALL, ARG_MAX, ARG_MIN.
#include <map>

#include "core/status.h"
#include "tflite/ops/ops.h"
#include "tflite/tf_steps.h"

namespace tfmodel::tflite {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;

PrepareResult PrepareReduce(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(2, 1));
  static const std::map<B, const char*> kOps = {{B::MEAN, "Mean"},        {B::SUM, "Sum"},
                                                {B::REDUCE_MAX, "Max"},   {B::REDUCE_MIN, "Min"},
                                                {B::REDUCE_PROD, "Prod"}, {B::REDUCE_ANY, "Any"},
                                                {B::REDUCE_ALL, "All"}};
  auto it = kOps.find(b.code());
  if (it == kOps.end()) return b.Unsupported("not a reduction");
  auto a = TypeAttrs(b.input_type(0));
  a["Tidx"] = AttrType(b.input_type(1));
  const auto* o = b.op().builtin_options_as_ReducerOptions();
  a["keep_dims"] = AttrB(o && o->keep_dims());
  auto s = std::make_shared<TfSteps>(b);
  TFM_RETURN_IF_ERROR(s->AddTf(it->second, std::move(a), {s->In(0), s->In(1)}, {s->Out(0)}));
  return s;
}

PrepareResult PrepareArgMinMax(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(2, 1));
  auto a = TypeAttrs(b.input_type(0));
  a["Tidx"] = AttrType(b.input_type(1));
  a["output_type"] = AttrType(b.output_type(0));
  auto s = std::make_shared<TfSteps>(b);
  TFM_RETURN_IF_ERROR(s->AddTf(b.code() == B::ARG_MAX ? "ArgMax" : "ArgMin", std::move(a),
                               {s->In(0), s->In(1)}, {s->Out(0)}));
  return s;
}

}  // namespace tfmodel::tflite
