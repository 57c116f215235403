// MAX_POOL_2D and AVERAGE_POOL_2D (float) on TF's MaxPool / AvgPool kernels.
#include "core/status.h"
#include "tflite/ops/ops.h"
#include "tflite/tf_steps.h"

namespace tfmodel::tflite {

namespace fb = ::tfmodel::tflite_fb;

PrepareResult PreparePool2D(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(1, 1));
  const auto* o = b.op().builtin_options_as_Pool2DOptions();
  if (!o) return b.Error("missing Pool2DOptions");
  auto a = TypeAttrs(b.input_type(0));
  a["ksize"] = AttrIList({1, o->filter_height(), o->filter_width(), 1});
  a["strides"] = AttrIList({1, o->stride_h(), o->stride_w(), 1});
  a["padding"] = AttrS(o->padding() == fb::Padding::SAME ? "SAME" : "VALID");
  a["data_format"] = AttrS("NHWC");
  auto s = std::make_shared<TfSteps>(b);
  const bool max = b.code() == fb::BuiltinOperator::MAX_POOL_2D;
  TFM_RETURN_IF_ERROR(s->AddTf(max ? "MaxPool" : "AvgPool", std::move(a), {s->In(0)}, {s->Out(0)}));
  s->AddActivation(o->fused_activation_function(), s->Out(0));
  return s;
}

}  // namespace tfmodel::tflite
