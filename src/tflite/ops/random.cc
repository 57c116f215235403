// RANDOM_UNIFORM and RANDOM_STANDARD_NORMAL (seeds from RandomOptions) on TF's kernels.
#include "core/status.h"
#include "tflite/ops/ops.h"
#include "tflite/tf_steps.h"

namespace tfmodel::tflite {

PrepareResult PrepareRandom(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(1, 1));
  AttrMap a;
  a["T"] = AttrType(b.input_type(0));
  a["dtype"] = AttrType(b.output_type(0));
  const auto* o = b.op().builtin_options_as_RandomOptions();
  a["seed"] = AttrI(o ? o->seed() : 0);
  a["seed2"] = AttrI(o ? o->seed2() : 0);
  const bool uniform = b.code() == tflite_fb::BuiltinOperator::RANDOM_UNIFORM;
  auto s = std::make_shared<TfSteps>(b);
  TFM_RETURN_IF_ERROR(s->AddTf(uniform ? "RandomUniform" : "RandomStandardNormal", std::move(a),
                               {s->In(0)}, {s->Out(0)}));
  return s;
}

}  // namespace tfmodel::tflite
