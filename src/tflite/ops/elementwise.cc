// Element-wise builtins: the one-to-one table shared with the converter
// (tflite/elementwise.h) and ADD / SUB / MUL / DIV with a fused activation.
#include "tflite/elementwise.h"

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "tflite/ops/ops.h"
#include "tflite/tf_steps.h"

namespace tfmodel::tflite {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;

PrepareResult PrepareElementwise(OpBuilder& b) {
  const TfLiteElementwiseOp* e = FindTfLiteElementwise(b.code());
  if (!e) return b.Unsupported("not an element-wise builtin");
  TFM_RETURN_IF_ERROR(b.Expect(e->num_inputs, 1));
  const DType t0 = b.input_type(0);
  if (e->float_only && t0 != DType::kFloat) {
    return b.Unsupported(absl::StrCat("inputs of type ", DTypeName(t0)));
  }
  auto s = std::make_shared<TfSteps>(b);
  std::vector<int> in;
  for (int k = 0; k < e->num_inputs; ++k) in.push_back(s->In(k));
  TFM_RETURN_IF_ERROR(s->AddTf(e->tf_op, TypeAttrs(t0), std::move(in), {s->Out(0)}));
  return s;
}

PrepareResult PrepareBinaryArithmetic(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(2, 1));
  const DType t0 = b.input_type(0);
  const fb::Operator& op = b.op();
  fb::ActivationFunctionType act = fb::ActivationFunctionType::NONE;
  const char* tf = "AddV2";
  if (b.code() == B::ADD) {
    if (auto* o = op.builtin_options_as_AddOptions()) act = o->fused_activation_function();
  } else if (b.code() == B::SUB) {
    tf = "Sub";
    if (auto* o = op.builtin_options_as_SubOptions()) act = o->fused_activation_function();
  } else if (b.code() == B::MUL) {
    tf = "Mul";
    if (auto* o = op.builtin_options_as_MulOptions()) act = o->fused_activation_function();
  } else {
    tf = t0 == DType::kFloat ? "RealDiv" : "FloorDiv";
    if (auto* o = op.builtin_options_as_DivOptions()) act = o->fused_activation_function();
  }
  auto s = std::make_shared<TfSteps>(b);
  TFM_RETURN_IF_ERROR(s->AddTf(tf, TypeAttrs(t0), {s->In(0), s->In(1)}, {s->Out(0)}));
  s->AddActivation(act, s->Out(0));
  return s;
}

}  // namespace tfmodel::tflite
