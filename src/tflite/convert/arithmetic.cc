// Lowerings of element-wise TF ops: the shared one-to-one table (tflite/elementwise.h),
// Relu / Relu6 fused into their producer, BiasAdd / Add (a constant bias fused into
// FULLY_CONNECTED / CONV_2D / DEPTHWISE_CONV_2D), Sub / Mul / Div, Softmax.
#include "core/status.h"
#include "tflite/convert/lowerings.h"
#include "tflite/elementwise.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;

// A constant 1-D float bias into the single-consumer producer, when it takes one.
bool FuseBias(Lowering& l, const tensorflow::NodeDef& n) {
  const Tensor* bias = l.ConstInput(n, 1);
  const int p = l.FusableProducer(n, 0);
  if (!bias || bias->rank() != 1 || bias->dtype() != DType::kFloat || p < 0) return false;
  const B code = l.CodeOf(p);
  auto& pop = *l.subgraph().operators[p];
  const bool can =
      (code == B::FULLY_CONNECTED || code == B::CONV_2D || code == B::DEPTHWISE_CONV_2D) &&
      (pop.inputs.size() < 3 || pop.inputs[2] < 0);
  const auto& out_shape = l.subgraph().tensors[pop.outputs[0]]->shape;
  const bool fits = !out_shape.empty() && out_shape.back() == bias->NumElements();
  if (!can || !fits || !l.ActivationIsNone(p)) return false;
  auto b = l.InputTensor(n, 1);
  if (!b.ok()) return false;
  pop.inputs.resize(3, -1);
  pop.inputs[2] = *b;
  l.Alias(n, 0, pop.outputs[0]);
  l.CountFused();
  return true;
}

}  // namespace

absl::Status LowerElementwise(Lowering& l, const tensorflow::NodeDef& n) {
  const TfLiteElementwiseOp* e = FindTfLiteElementwise(absl::string_view(n.op()));
  if (!e) return l.Fail(n, "not an element-wise op");
  std::vector<int> ins;
  for (int k = 0; k < e->num_inputs; ++k) {
    TFM_ASSIGN_OR_RETURN(int x, l.InputTensor(n, k));
    ins.push_back(x);
  }
  l.AddOp(e->builtin, ins, {l.OutputTensor(n, 0)});
  return absl::OkStatus();
}

// Only RELU / RELU6 are fused: TFLite's float kernels ignore a fused TANH on most ops.
absl::Status LowerRelu(Lowering& l, const tensorflow::NodeDef& n) {
  const auto act =
      n.op() == "Relu" ? fb::ActivationFunctionType::RELU : fb::ActivationFunctionType::RELU6;
  const int p = l.FusableProducer(n, 0);
  if (p >= 0 && l.SetActivation(p, act)) {
    l.Alias(n, 0, l.subgraph().operators[p]->outputs[0]);
    l.CountFused();
    return absl::OkStatus();
  }
  return LowerElementwise(l, n);
}

absl::Status LowerAdd(Lowering& l, const tensorflow::NodeDef& n) {
  if (FuseBias(l, n)) return absl::OkStatus();
  TFM_ASSIGN_OR_RETURN(int a, l.InputTensor(n, 0));
  TFM_ASSIGN_OR_RETURN(int b, l.InputTensor(n, 1));
  fb::BuiltinOptionsUnion u;
  u.Set(fb::AddOptionsT());
  l.AddOp(B::ADD, {a, b}, {l.OutputTensor(n, 0)}, std::move(u));
  return absl::OkStatus();
}

absl::Status LowerSubMulDiv(Lowering& l, const tensorflow::NodeDef& n) {
  TFM_ASSIGN_OR_RETURN(int a, l.InputTensor(n, 0));
  TFM_ASSIGN_OR_RETURN(int b, l.InputTensor(n, 1));
  fb::BuiltinOptionsUnion u;
  B code;
  if (n.op() == "Sub") {
    u.Set(fb::SubOptionsT());
    code = B::SUB;
  } else if (n.op() == "Mul") {
    u.Set(fb::MulOptionsT());
    code = B::MUL;
  } else {
    u.Set(fb::DivOptionsT());
    code = B::DIV;
  }
  l.AddOp(code, {a, b}, {l.OutputTensor(n, 0)}, std::move(u));
  return absl::OkStatus();
}

absl::Status LowerSoftmax(Lowering& l, const tensorflow::NodeDef& n) {
  TFM_ASSIGN_OR_RETURN(int x, l.InputTensor(n, 0));
  fb::SoftmaxOptionsT o;
  o.beta = 1.0f;
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  l.AddOp(B::SOFTMAX, {x}, {l.OutputTensor(n, 0)}, std::move(u));
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite
