// Lowerings of the heavy TF ops: MatMul / BatchMatMul* (FULLY_CONNECTED with [out, in]
// weights when the weights are a constant matrix), Conv2D (CONV_2D, OHWI filter),
// DepthwiseConv2dNative (DEPTHWISE_CONV_2D, [1, H, W, C*M] filter), inference-mode
// FusedBatchNorm* (folded into the producing convolution, else MUL + ADD), MaxPool, AvgPool.
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "tflite/convert/lowerings.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;

// TF's HWIO filter as TFLite's OHWI.
Tensor HwioToOhwi(const Tensor& f) {
  const int64_t H = f.dim(0), W = f.dim(1), I = f.dim(2), O = f.dim(3);
  Tensor r(DType::kFloat, TensorShape{O, H, W, I});
  for (int64_t h = 0; h < H; ++h)
    for (int64_t w = 0; w < W; ++w)
      for (int64_t i = 0; i < I; ++i)
        for (int64_t o = 0; o < O; ++o)
          r.data<float>()[((o * H + h) * W + w) * I + i] =
              f.data<float>()[((h * W + w) * I + i) * O + o];
  return r;
}

// MatMul with constant [in, out] (or transposed [out, in]) float weights.
absl::Status LowerFullyConnected(Lowering& l, const tensorflow::NodeDef& n, const Tensor& w,
                                 bool transpose_b) {
  TFM_ASSIGN_OR_RETURN(int x, l.InputTensor(n, 0));
  // One [out, in] copy per weights constant, shared by every MatMul that uses it.
  const std::string wkey = CanonicalTensorName(n.input(1)) + (transpose_b ? "" : "/transposed");
  int wt_t;
  if (auto c = l.fc_weights().find(wkey); c != l.fc_weights().end()) {
    wt_t = c->second;
  } else {
    Tensor wt = w;
    if (!transpose_b) {  // FULLY_CONNECTED weights are [out, in].
      const int64_t I = w.dim(0), O = w.dim(1);
      wt = Tensor(DType::kFloat, TensorShape{O, I});
      for (int64_t i = 0; i < I; ++i)
        for (int64_t o = 0; o < O; ++o) wt.data<float>()[o * I + i] = w.data<float>()[i * O + o];
    }
    wt_t = l.ConstTensor(wkey, wt);
    l.fc_weights()[wkey] = wt_t;
  }
  fb::BuiltinOptionsUnion u;
  u.Set(fb::FullyConnectedOptionsT());
  l.AddOp(B::FULLY_CONNECTED, {x, wt_t, -1}, {l.OutputTensor(n, 0)}, std::move(u));
  return absl::OkStatus();
}

// Folds y = x * scale + shift into the single-consumer convolution producing x.
bool FoldIntoConv(Lowering& l, const tensorflow::NodeDef& n, const Tensor& scale,
                  const Tensor& shift) {
  const int p = l.FusableProducer(n, 0);
  if (p < 0 || (l.CodeOf(p) != B::CONV_2D && l.CodeOf(p) != B::DEPTHWISE_CONV_2D)) return false;
  const bool conv = l.CodeOf(p) == B::CONV_2D;
  const int64_t C = scale.NumElements();
  auto& pop = *l.subgraph().operators[p];
  auto& ft = *l.subgraph().tensors[pop.inputs[1]];
  auto& fbuf = l.model().buffers[ft.buffer]->data;
  const int64_t out_ch = conv ? ft.shape[0] : ft.shape[3];
  if (!l.ActivationIsNone(p) || out_ch != C) return false;
  float* fd = reinterpret_cast<float*>(fbuf.data());
  const int64_t total = static_cast<int64_t>(fbuf.size() / 4);
  const int64_t inner = total / C;
  for (int64_t k = 0; k < total; ++k) {
    const int64_t c = conv ? k / inner : k % C;
    float val;
    std::memcpy(&val, fd + k, 4);
    val *= scale.data<float>()[c];
    std::memcpy(fd + k, &val, 4);
  }
  Tensor bias(DType::kFloat, TensorShape{C});
  if (pop.inputs.size() > 2 && pop.inputs[2] >= 0) {
    auto& bb = l.model().buffers[l.subgraph().tensors[pop.inputs[2]]->buffer]->data;
    std::memcpy(bias.raw_data(), bb.data(), std::min<size_t>(bb.size(), 4 * C));
  }
  for (int64_t c = 0; c < C; ++c) {
    bias.data<float>()[c] = bias.data<float>()[c] * scale.data<float>()[c] + shift.data<float>()[c];
  }
  pop.inputs.resize(3, -1);
  pop.inputs[2] = l.ConstTensor(absl::StrCat(n.name(), "/bias"), bias);
  l.Alias(n, 0, pop.outputs[0]);
  l.CountFused();
  return true;
}

}  // namespace

absl::Status LowerMatMul(Lowering& l, const tensorflow::NodeDef& n) {
  const bool matmul = n.op() == "MatMul";
  const bool ta = matmul ? BoolOf(n, "transpose_a") : BoolOf(n, "adj_x");
  const bool tb = matmul ? BoolOf(n, "transpose_b") : BoolOf(n, "adj_y");
  const Tensor* w = l.ConstInput(n, 1);
  if (matmul && !ta && w && w->rank() == 2 && w->dtype() == DType::kFloat) {
    return LowerFullyConnected(l, n, *w, tb);
  }
  TFM_ASSIGN_OR_RETURN(int a, l.InputTensor(n, 0));
  TFM_ASSIGN_OR_RETURN(int b, l.InputTensor(n, 1));
  fb::BatchMatMulOptionsT o;
  o.adj_x = ta;
  o.adj_y = tb;
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  l.AddOp(B::BATCH_MATMUL, {a, b}, {l.OutputTensor(n, 0)}, std::move(u));
  return absl::OkStatus();
}

absl::Status LowerConv2D(Lowering& l, const tensorflow::NodeDef& n) {
  if (StrOf(n, "data_format", "NHWC") != "NHWC") return l.Fail(n, "only NHWC is supported");
  const std::string pad = StrOf(n, "padding");
  if (pad != "SAME" && pad != "VALID") {
    return l.Fail(n, absl::StrCat("padding ", pad, " is not supported"));
  }
  auto strides = IntsOf(n, "strides");
  auto dil = IntsOf(n, "dilations");
  if (strides.size() != 4) return l.Fail(n, "strides must have 4 values");
  if (dil.size() != 4) dil = {1, 1, 1, 1};
  const Tensor* f = l.ConstInput(n, 1);
  if (!f || f->rank() != 4 || f->dtype() != DType::kFloat) {
    return l.Fail(n, "the filter must be a constant float 4-D tensor");
  }
  const int64_t H = f->dim(0), W = f->dim(1), I = f->dim(2), O = f->dim(3);
  TFM_ASSIGN_OR_RETURN(int x, l.InputTensor(n, 0));
  const fb::Padding padding = pad == "SAME" ? fb::Padding::SAME : fb::Padding::VALID;
  fb::BuiltinOptionsUnion u;
  Tensor filt;
  B code;
  if (n.op() == "Conv2D") {
    filt = HwioToOhwi(*f);
    fb::Conv2DOptionsT o;
    o.padding = padding;
    o.stride_h = static_cast<int32_t>(strides[1]);
    o.stride_w = static_cast<int32_t>(strides[2]);
    o.dilation_h_factor = static_cast<int32_t>(dil[1]);
    o.dilation_w_factor = static_cast<int32_t>(dil[2]);
    u.Set(o);
    code = B::CONV_2D;
  } else {
    // [H,W,C,M] -> [1,H,W,C*M]
    TFM_ASSIGN_OR_RETURN(filt, f->Reshaped(TensorShape{1, H, W, I * O}));
    fb::DepthwiseConv2DOptionsT o;
    o.padding = padding;
    o.stride_h = static_cast<int32_t>(strides[1]);
    o.stride_w = static_cast<int32_t>(strides[2]);
    o.dilation_h_factor = static_cast<int32_t>(dil[1]);
    o.dilation_w_factor = static_cast<int32_t>(dil[2]);
    o.depth_multiplier = static_cast<int32_t>(O);
    u.Set(o);
    code = B::DEPTHWISE_CONV_2D;
  }
  int ft = l.ConstTensor(absl::StrCat(n.name(), "/filter"), filt.DeepCopy());
  l.AddOp(code, {x, ft, -1}, {l.OutputTensor(n, 0)}, std::move(u));
  return absl::OkStatus();
}

absl::Status LowerFusedBatchNorm(Lowering& l, const tensorflow::NodeDef& n) {
  if (BoolOf(n, "is_training", true)) {
    return l.Fail(n, "training-mode batch norm cannot be converted");
  }
  if (StrOf(n, "data_format", "NHWC") != "NHWC") return l.Fail(n, "only NHWC is supported");
  const Tensor *g = l.ConstInput(n, 1), *b = l.ConstInput(n, 2), *m = l.ConstInput(n, 3),
               *v = l.ConstInput(n, 4);
  if (!g || !b || !m || !v) return l.Fail(n, "scale, offset, mean and variance must be constants");
  float eps = 1e-3f;
  if (auto it = n.attr().find("epsilon"); it != n.attr().end()) eps = it->second.f();
  const int64_t C = g->NumElements();
  Tensor scale(DType::kFloat, TensorShape{C}), shift(DType::kFloat, TensorShape{C});
  for (int64_t c = 0; c < C; ++c) {
    const float s = g->data<float>()[c] / std::sqrt(v->data<float>()[c] + eps);
    scale.data<float>()[c] = s;
    shift.data<float>()[c] = b->data<float>()[c] - m->data<float>()[c] * s;
  }
  if (FoldIntoConv(l, n, scale, shift)) return absl::OkStatus();
  TFM_ASSIGN_OR_RETURN(int x, l.InputTensor(n, 0));
  std::vector<int64_t> shape;
  if (auto it = l.probe1().find(n.name()); it != l.probe1().end()) {
    shape.assign(it->second.shape().dim_sizes().begin(), it->second.shape().dim_sizes().end());
  }
  int mul_out = l.NewTensor(absl::StrCat(n.name(), "/mul"), DType::kFloat, shape, {});
  l.subgraph().tensors[mul_out]->shape_signature.clear();
  fb::BuiltinOptionsUnion u1, u2;
  u1.Set(fb::MulOptionsT());
  u2.Set(fb::AddOptionsT());
  l.AddOp(B::MUL, {x, l.ConstTensor(absl::StrCat(n.name(), "/scale"), scale)}, {mul_out},
          std::move(u1));
  l.AddOp(B::ADD, {mul_out, l.ConstTensor(absl::StrCat(n.name(), "/offset"), shift)},
          {l.OutputTensor(n, 0)}, std::move(u2));
  return absl::OkStatus();
}

absl::Status LowerPool(Lowering& l, const tensorflow::NodeDef& n) {
  if (StrOf(n, "data_format", "NHWC") != "NHWC") return l.Fail(n, "only NHWC is supported");
  auto k = IntsOf(n, "ksize");
  auto s = IntsOf(n, "strides");
  if (k.size() != 4 || s.size() != 4) return l.Fail(n, "ksize and strides must have 4 values");
  TFM_ASSIGN_OR_RETURN(int x, l.InputTensor(n, 0));
  fb::Pool2DOptionsT o;
  o.padding = StrOf(n, "padding") == "SAME" ? fb::Padding::SAME : fb::Padding::VALID;
  o.filter_height = static_cast<int32_t>(k[1]);
  o.filter_width = static_cast<int32_t>(k[2]);
  o.stride_h = static_cast<int32_t>(s[1]);
  o.stride_w = static_cast<int32_t>(s[2]);
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  l.AddOp(n.op() == "MaxPool" ? B::MAX_POOL_2D : B::AVERAGE_POOL_2D, {x}, {l.OutputTensor(n, 0)},
          std::move(u));
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite
