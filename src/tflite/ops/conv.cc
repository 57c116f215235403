// Float FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D and BATCH_MATMUL on the runtime's TF
// kernels (MatMul, Conv2D, DepthwiseConv2dNative, BatchMatMulV2). Weights stored as
// int8/uint8/float16 in dynamic-range or float16 models are dequantized once at load.
// A convolution with a constant filter runs as the runtime's fused convolution
// (_FusedConv2D / _FusedDepthwiseConv2dNative: oneDNN with the bias and a RELU, RELU6 or
// TANH activation as post-ops, weights reordered once), as the frozen-graph path does
// after graph_optimize.h.
#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "graph/graph_optimize.h"
#include "tflite/ops/ops.h"
#include "tflite/tf_steps.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;

// Operand of the (float) weights of input i.
absl::StatusOr<int> WeightsOperand(OpBuilder& b, TfSteps& s, size_t i) {
  TFM_ASSIGN_OR_RETURN(std::optional<Tensor> w, b.FloatWeights(i));
  return w ? s.Const(std::move(*w)) : s.In(i);
}

// x -> [-1, depth] for the weights' input size `depth`.
absl::Status FlattenForWeights(const std::vector<const Tensor*>& i, std::vector<Tensor>* o) {
  const Tensor& x = *i[0];
  const Tensor& wt = *i[1];
  if (wt.rank() != 2) return absl::InvalidArgumentError("FULLY_CONNECTED weights must be 2-D");
  const int64_t depth = wt.dim(1);
  if (depth == 0 || x.NumElements() % depth != 0) {
    return absl::InvalidArgumentError(absl::StrCat("FULLY_CONNECTED input ", x.shape().ToString(),
                                                   " is not a multiple of the weights' input size ",
                                                   depth));
  }
  TFM_ASSIGN_OR_RETURN(Tensor r, x.Reshaped(TensorShape{x.NumElements() / depth, depth}));
  (*o)[0] = std::move(r);
  return absl::OkStatus();
}

// CONV_2D OHWI -> HWIO; DEPTHWISE [1,H,W,C*M] -> [H,W,C,M] (C = the input's `channels`).
absl::StatusOr<Tensor> RelayoutFilter(bool depthwise, const Tensor& f, int64_t channels) {
  if (f.rank() != 4) return absl::InvalidArgumentError("filter must be 4-D");
  if (f.dtype() != DType::kFloat) {
    return absl::UnimplementedError(absl::StrCat("filter of type ", DTypeName(f.dtype())));
  }
  if (depthwise) {
    if (channels <= 0 || f.dim(3) % channels != 0) {
      return absl::InvalidArgumentError(absl::StrCat("depthwise filter ", f.shape().ToString(),
                                                     " does not match an input of ", channels,
                                                     " channels"));
    }
    return f.Reshaped(TensorShape{f.dim(1), f.dim(2), channels, f.dim(3) / channels});
  }
  const int64_t O = f.dim(0), H = f.dim(1), W = f.dim(2), I = f.dim(3);
  Tensor r = Tensor::Empty(DType::kFloat, TensorShape{H, W, I, O});
  const float* s = f.data<float>();
  float* d = r.data<float>();
  for (int64_t o = 0; o < O; ++o)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t w = 0; w < W; ++w)
        for (int64_t i = 0; i < I; ++i)
          d[((h * W + w) * I + i) * O + o] = s[((o * H + h) * W + w) * I + i];
  return r;
}

// The runtime's name of a TFLite fused activation its fused convolution applies, or null.
const char* FusedActivationName(fb::ActivationFunctionType act) {
  switch (act) {
    case fb::ActivationFunctionType::RELU:
      return "Relu";
    case fb::ActivationFunctionType::RELU6:
      return "Relu6";
    case fb::ActivationFunctionType::TANH:
      return "Tanh";
    default:
      return nullptr;
  }
}

// The filter of a constant-weight convolution in TF layout (HWIO, or [H,W,C,M] for
// depthwise), or nullopt when it must be relaid out per run (a non-constant filter, or a
// depthwise filter whose input channel count the file does not declare).
absl::StatusOr<std::optional<Tensor>> ConstantFilter(OpBuilder& b, bool depthwise,
                                                     const Tensor* wc) {
  if (!wc) return std::nullopt;
  int64_t channels = 0;  // depthwise filters need the input's channel count
  if (depthwise) {
    const std::vector<int64_t>& in = b.SignatureShape(b.inputs()[0]);
    if (in.size() != 4 || in[3] <= 0) return std::nullopt;
    channels = in[3];
  }
  auto r = RelayoutFilter(depthwise, *wc, channels);
  if (!r.ok()) return b.Error(std::string(r.status().message()));
  return std::optional<Tensor>(std::move(*r));
}

}  // namespace

PrepareResult PrepareFullyConnected(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(2, 1));
  const auto* o = b.op().builtin_options_as_FullyConnectedOptions();
  if (o && o->weights_format() != fb::FullyConnectedOptionsWeightsFormat::DEFAULT) {
    return b.Unsupported("shuffled weights format");
  }
  const DType t0 = b.input_type(0);
  auto s = std::make_shared<TfSteps>(b);
  TFM_ASSIGN_OR_RETURN(const int w, WeightsOperand(b, *s, 1));
  const auto act = o ? o->fused_activation_function() : fb::ActivationFunctionType::NONE;
  const bool keep = o && o->keep_num_dims();
  // x -> [-1, in] @ w^T (+ b), then reshaped back for keep_num_dims.
  const int flat = s->Temp();
  s->AddFn({s->In(0), w}, {flat}, FlattenForWeights);
  auto mm = TypeAttrs(t0);
  mm["transpose_b"] = AttrB(true);
  mm["transpose_a"] = AttrB(false);
  int acc = s->Temp();
  TFM_RETURN_IF_ERROR(s->AddTf("MatMul", std::move(mm), {flat, w}, {acc}));
  if (b.has_input(2)) {
    const int biased = s->Temp();
    TFM_RETURN_IF_ERROR(s->AddTf("BiasAdd", TypeAttrs(t0), {acc, s->In(2)}, {biased}));
    acc = biased;
  }
  s->AddFn({acc, s->In(0)}, {s->Out(0)},
           [keep](const std::vector<const Tensor*>& i, std::vector<Tensor>* o) {
             Tensor t = *i[0];
             if (keep) {
               std::vector<int64_t> dims(i[1]->shape().dim_sizes().begin(),
                                         i[1]->shape().dim_sizes().end());
               if (dims.empty()) dims.push_back(1);
               dims.back() = t.dim(1);
               TFM_ASSIGN_OR_RETURN(t, t.Reshaped(TensorShape(dims)));
             }
             (*o)[0] = std::move(t);
             return absl::OkStatus();
           });
  s->AddActivation(act, s->Out(0));
  return s;
}

PrepareResult PrepareConv2D(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(2, 1));
  const bool depthwise = b.code() == B::DEPTHWISE_CONV_2D;
  fb::Padding pad;
  int sh, sw, dh, dw;
  fb::ActivationFunctionType act;
  if (depthwise) {
    const auto* o = b.op().builtin_options_as_DepthwiseConv2DOptions();
    if (!o) return b.Error("missing DepthwiseConv2DOptions");
    pad = o->padding();
    sh = o->stride_h(), sw = o->stride_w(), dh = o->dilation_h_factor(),
    dw = o->dilation_w_factor();
    act = o->fused_activation_function();
  } else {
    const auto* o = b.op().builtin_options_as_Conv2DOptions();
    if (!o) return b.Error("missing Conv2DOptions");
    pad = o->padding();
    sh = o->stride_h(), sw = o->stride_w(), dh = o->dilation_h_factor(),
    dw = o->dilation_w_factor();
    act = o->fused_activation_function();
  }
  auto s = std::make_shared<TfSteps>(b);
  TFM_ASSIGN_OR_RETURN(std::optional<Tensor> dq, b.FloatWeights(1));
  const Tensor* wc = dq ? &*dq : b.ConstInput(1);
  TFM_ASSIGN_OR_RETURN(std::optional<Tensor> constant, ConstantFilter(b, depthwise, wc));
  int filter;
  if (constant) {
    filter = s->Const(*constant);
  } else {
    // Depthwise filters need the input's channel count.
    const int w = dq ? s->Const(std::move(*dq)) : s->In(1);
    filter = s->Temp();
    s->AddFn({w, s->In(0)}, {filter},
             [depthwise](const std::vector<const Tensor*>& i, std::vector<Tensor>* o) {
               const Tensor& x = *i[1];
               if (depthwise && x.rank() != 4) {
                 return absl::InvalidArgumentError(
                     absl::StrCat("input ", x.shape().ToString(), " must be 4-D NHWC"));
               }
               TFM_ASSIGN_OR_RETURN(Tensor r,
                                    RelayoutFilter(depthwise, *i[0], depthwise ? x.dim(3) : 0));
               (*o)[0] = std::move(r);
               return absl::OkStatus();
             });
  }
  auto a = TypeAttrs(b.input_type(0));
  a["strides"] = AttrIList({1, sh, sw, 1});
  a["dilations"] = AttrIList({1, dh, dw, 1});
  a["padding"] = AttrS(pad == fb::Padding::SAME ? "SAME" : "VALID");
  a["data_format"] = AttrS("NHWC");
  const std::string base = depthwise ? "DepthwiseConv2dNative" : "Conv2D";
  if (constant && b.input_type(0) == DType::kFloat) {
    // One fused kernel: conv + bias (zeros when absent) [+ activation], weights kept.
    const int64_t channels = constant->dim(2) * (depthwise ? constant->dim(3) : 1);
    const int64_t out_channels = depthwise ? channels : constant->dim(3);
    const int bias =
        b.has_input(2) ? s->In(2) : s->Const(Tensor(DType::kFloat, TensorShape{out_channels}));
    const char* fused_act = FusedActivationName(act);
    std::vector<std::string> ops = {"BiasAdd"};
    if (fused_act) ops.push_back(fused_act);
    a["fused_ops"] = AttrSList(ops);
    a["num_args"] = AttrI(1);
    a[kConstantFilterAttr] = AttrB(true);
    TFM_RETURN_IF_ERROR(s->AddTf("_Fused" + base, std::move(a), {s->In(0), filter, bias},
                                 {s->Out(0)}, TfSteps::Threads::kPool));
    if (!fused_act) s->AddActivation(act, s->Out(0));
    return s;
  }
  const bool bias = b.has_input(2);
  const int conv = bias ? s->Temp() : s->Out(0);
  TFM_RETURN_IF_ERROR(
      s->AddTf(base, std::move(a), {s->In(0), filter}, {conv}, TfSteps::Threads::kPool));
  if (bias) {
    TFM_RETURN_IF_ERROR(
        s->AddTf("BiasAdd", TypeAttrs(b.input_type(0)), {conv, s->In(2)}, {s->Out(0)}));
  }
  s->AddActivation(act, s->Out(0));
  return s;
}

PrepareResult PrepareBatchMatMul(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(2, 1));
  const auto* o = b.op().builtin_options_as_BatchMatMulOptions();
  auto a = TypeAttrs(b.input_type(0));
  a["adj_x"] = AttrB(o && o->adj_x());
  a["adj_y"] = AttrB(o && o->adj_y());
  auto s = std::make_shared<TfSteps>(b);
  TFM_ASSIGN_OR_RETURN(const int w, WeightsOperand(b, *s, 1));
  TFM_RETURN_IF_ERROR(s->AddTf("BatchMatMulV2", std::move(a), {s->In(0), w}, {s->Out(0)}));
  return s;
}

}  // namespace tfmodel::tflite
