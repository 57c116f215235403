// Activation builtins that are not a plain TF op: RELU_N1_TO_1, LEAKY_RELU (alpha option),
// SOFTMAX (beta option).
#include "core/status.h"
#include "tflite/ops/ops.h"
#include "tflite/tf_steps.h"

namespace tfmodel::tflite {

namespace fb = ::tfmodel::tflite_fb;

PrepareResult PrepareReluN1To1(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(1, 1));
  auto s = std::make_shared<TfSteps>(b);
  s->AddFn({s->In(0)}, {s->Out(0)},
           [](const std::vector<const Tensor*>& i, std::vector<Tensor>* o) {
             Tensor t = i[0]->DeepCopy();
             TFM_RETURN_IF_ERROR(ApplyActivation(fb::ActivationFunctionType::RELU_N1_TO_1, &t));
             (*o)[0] = std::move(t);
             return absl::OkStatus();
           });
  return s;
}

PrepareResult PrepareLeakyRelu(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(1, 1));
  auto a = TypeAttrs(b.input_type(0));
  const auto* o = b.op().builtin_options_as_LeakyReluOptions();
  a["alpha"] = AttrF(o ? o->alpha() : 0.2f);
  auto s = std::make_shared<TfSteps>(b);
  TFM_RETURN_IF_ERROR(s->AddTf("LeakyRelu", std::move(a), {s->In(0)}, {s->Out(0)}));
  return s;
}

PrepareResult PrepareSoftmax(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(1, 1));
  const DType t0 = b.input_type(0);
  float beta = 1.0f;
  if (auto* o = b.op().builtin_options_as_SoftmaxOptions()) beta = o->beta();
  auto s = std::make_shared<TfSteps>(b);
  int src = s->In(0);
  if (beta != 1.0f) {
    const int scaled = s->Temp();
    TFM_RETURN_IF_ERROR(
        s->AddTf("Mul", TypeAttrs(t0), {src, s->Const(Tensor::Scalar<float>(beta))}, {scaled}));
    src = scaled;
  }
  TFM_RETURN_IF_ERROR(s->AddTf("Softmax", TypeAttrs(t0), {src}, {s->Out(0)}));
  return s;
}

}  // namespace tfmodel::tflite
