// Fused ops that TF's graph optimizers write into exported graphs: grappler's
// _FusedMatMul, _FusedConv2D, _FusedDepthwiseConv2dNative and _FusedBatchNormEx, and the
// older FusedPadConv2D / FusedResizeAndPadConv2D.
//
// Each runs the ops it stands for, in order, through their own kernels (SubKernel), so
// results equal the unfused graph's. fused_ops lists the epilogue: "BiasAdd" (1 arg),
// "FusedBatchNorm" (4 args: scale, offset, mean, variance; attr epsilon), "Add" (1 arg,
// added element-wise), then an activation: Relu, Relu6, Elu, LeakyRelu (attr
// leakyrelu_alpha, default 0.2), Tanh, Sigmoid, GeluExact, GeluApproximate. num_args must
// equal the args the list consumes. The list is checked when the kernel is built.
//
// The common form, BiasAdd [+ Relu | Relu6 | Elu | LeakyRelu | Sigmoid | Tanh] on a
// float, double, half or bfloat16 _FusedConv2D / _FusedDepthwiseConv2dNative / _FusedMatMul
// (what runtime/graph_optimize writes at load), runs as one kernel instead: conv.h's
// oneDNN convolution with bias and eltwise post-op, matmul.h's product plus one epilogue
// pass.
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "graph/attr_util.h"
#include "runtime/kernels/broadcast.h"
#include "runtime/kernels/conv.h"
#include "runtime/kernels/fused_epilogue.h"
#include "runtime/kernels/matmul.h"
#include "runtime/kernels/sub_kernel.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;
using Attrs = SubKernel::Attrs;

// Copies the named attrs present on the node.
Attrs CopyAttrs(const KernelInit& init, std::initializer_list<const char*> names) {
  Attrs a;
  for (const char* n : names) {
    if (const tensorflow::AttrValue* v = init.FindAttr(n)) a[n] = *v;
  }
  return a;
}

enum class Gelu { kNone, kExact, kApprox };

// One epilogue step: a sub-kernel consuming `args` extra inputs, or a Gelu.
struct Step {
  SubKernel kernel;
  int args = 0;
  Gelu gelu = Gelu::kNone;
};

// GELU computed in float (double for double tensors): exact 0.5x(1 + erf(x/sqrt 2)), or
// the tanh approximation.
Tensor ApplyGelu(const Tensor& x0, Gelu g) {
  const DType dt = x0.dtype();
  const bool half = IsHalfLike(dt);
  Tensor x = half ? HalfLikeToFloat(x0) : x0;
  Tensor out = Tensor::Empty(x.dtype(), x.shape());
  auto run = [&]<typename T>() {
    const T* p = x.data<T>();
    T* o = out.data<T>();
    for (int64_t i = 0; i < x.NumElements(); ++i) {
      const T v = p[i];
      if (g == Gelu::kExact) {
        o[i] = T(0.5) * v * (T(1) + std::erf(v * static_cast<T>(M_SQRT1_2)));
      } else {
        const T c = static_cast<T>(0.7978845608028654);  // sqrt(2 / pi)
        o[i] = T(0.5) * v * (T(1) + std::tanh(c * (v + T(0.044715) * v * v * v)));
      }
    }
  };
  if (x.dtype() == DType::kDouble) {
    run.template operator()<double>();
  } else {
    run.template operator()<float>();
  }
  return half ? FloatToHalfLike(out, dt) : out;
}

// Parses fused_ops into steps. `fmt_attrs` carries data_format (and T) to the steps.
absl::StatusOr<std::vector<Step>> ParseEpilogue(const KernelInit& init, const Attrs& base) {
  std::vector<std::string> ops;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("fused_ops", &ops));
  int64_t num_args = 0;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("num_args", &num_args));
  float epsilon = 0.0001f, alpha = 0.2f;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("epsilon", &epsilon));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("leakyrelu_alpha", &alpha));
  std::vector<Step> steps;
  int consumed = 0;
  for (const std::string& op : ops) {
    Step s;
    if (op == "BiasAdd") {
      TFM_ASSIGN_OR_RETURN(s.kernel, SubKernel::Make(init, "BiasAdd", base, 2));
      s.args = 1;
    } else if (op == "FusedBatchNorm") {
      Attrs a = base;
      a["epsilon"] = AttrF(epsilon);
      a["is_training"] = AttrB(false);
      TFM_ASSIGN_OR_RETURN(s.kernel, SubKernel::Make(init, "FusedBatchNormV3", a, 5));
      s.args = 4;
    } else if (op == "Add") {
      TFM_ASSIGN_OR_RETURN(s.kernel, SubKernel::Make(init, "AddV2", base, 2));
      s.args = 1;
    } else if (op == "Relu" || op == "Relu6" || op == "Elu" || op == "Tanh" || op == "Sigmoid") {
      TFM_ASSIGN_OR_RETURN(s.kernel, SubKernel::Make(init, op, base, 1));
    } else if (op == "LeakyRelu") {
      Attrs a = base;
      a["alpha"] = AttrF(alpha);
      TFM_ASSIGN_OR_RETURN(s.kernel, SubKernel::Make(init, "LeakyRelu", a, 1));
    } else if (op == "GeluExact" || op == "GeluApproximate") {
      s.gelu = op == "GeluExact" ? Gelu::kExact : Gelu::kApprox;
    } else {
      return init.Error(absl::StrCat("unsupported fused op '", op, "' in fused_ops"));
    }
    consumed += s.args;
    steps.push_back(std::move(s));
  }
  if (consumed != num_args) {
    return init.Error(
        absl::StrCat("fused_ops take ", consumed, " extra inputs but num_args is ", num_args));
  }
  return steps;
}

// The fused kernel: a base op on the first `base_inputs` inputs, then the epilogue on
// the following args.
class FusedKernel : public OpKernel {
 public:
  FusedKernel(SubKernel base, int base_inputs, std::vector<Step> steps)
      : base_(std::move(base)), base_inputs_(base_inputs), steps_(std::move(steps)) {}

  absl::Status Compute(KernelContext* ctx) const override {
    int need = base_inputs_;
    for (const Step& s : steps_) need += s.args;
    if (ctx->num_inputs() < need) {
      return ctx->Error(absl::StrCat("expects ", need, " inputs, got ", ctx->num_inputs()));
    }
    std::vector<Tensor> in;
    for (int i = 0; i < base_inputs_; ++i) in.push_back(ctx->input(i));
    TFM_ASSIGN_OR_RETURN(std::vector<Tensor> outs, base_.Run(ctx, in));
    int next = base_inputs_;
    for (const Step& s : steps_) {
      if (s.gelu != Gelu::kNone) {
        outs[0] = ApplyGelu(outs[0], s.gelu);
        continue;
      }
      std::vector<Tensor> args = {outs[0]};
      for (int a = 0; a < s.args; ++a) args.push_back(ctx->input(next++));
      TFM_ASSIGN_OR_RETURN(std::vector<Tensor> r, s.kernel.Run(ctx, args));
      outs[0] = std::move(r[0]);
    }
    for (size_t i = 0; i < outs.size(); ++i) ctx->set_output(static_cast<int>(i), outs[i]);
    return absl::OkStatus();
  }

 private:
  SubKernel base_;
  int base_inputs_;
  std::vector<Step> steps_;
};

// The single-kernel epilogue when fused_ops is BiasAdd [+ activation] with one arg and
// T a floating type (BiasAdd, Add [+ activation] with two args: convolutions, T float);
// nullopt otherwise (the op-by-op FusedKernel then runs it).
absl::StatusOr<std::optional<BiasEpilogue>> DirectEpilogue(const KernelInit& init, bool conv) {
  std::vector<std::string> ops;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("fused_ops", &ops));
  int64_t num_args = 0;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("num_args", &num_args));
  float alpha = 0.2f;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("leakyrelu_alpha", &alpha));
  DType t = DType::kInvalid;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("T", &t));
  if (t != DType::kFloat && t != DType::kDouble && t != DType::kHalf && t != DType::kBFloat16) {
    return std::optional<BiasEpilogue>();
  }
  std::optional<BiasEpilogue> e = SimpleBiasEpilogue(ops, alpha);
  if (!e || (e->side && (!conv || t != DType::kFloat))) return std::optional<BiasEpilogue>();
  const int args = e->side ? 2 : 1;
  if (num_args != args || init.num_inputs() != 2 + args) return std::optional<BiasEpilogue>();
  return e;
}

// A kernel that runs `fast` unless it answers kFusedFallback (an input it does not
// handle, e.g. a side input that must broadcast), then `slow`.
class FastOrFallbackKernel : public OpKernel {
 public:
  FastOrFallbackKernel(std::unique_ptr<OpKernel> fast, std::unique_ptr<OpKernel> slow)
      : fast_(std::move(fast)), slow_(std::move(slow)) {}

  absl::Status Compute(KernelContext* ctx) const override {
    absl::Status s = fast_->Compute(ctx);
    if (absl::IsUnimplemented(s) && s.message() == kFusedFallback) return slow_->Compute(ctx);
    return s;
  }

 private:
  std::unique_ptr<OpKernel> fast_, slow_;
};

Result MakeFusedMatMul(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(std::optional<BiasEpilogue> direct, DirectEpilogue(init, false));
  if (direct) return MakeFusedMatMulKernel(init, *direct);
  TFM_ASSIGN_OR_RETURN(
      SubKernel mm,
      SubKernel::Make(init, "MatMul", CopyAttrs(init, {"T", "transpose_a", "transpose_b"}), 2));
  TFM_ASSIGN_OR_RETURN(std::vector<Step> steps, ParseEpilogue(init, CopyAttrs(init, {"T"})));
  return std::unique_ptr<OpKernel>(new FusedKernel(std::move(mm), 2, std::move(steps)));
}

Result MakeFusedConv(const KernelInit& init) {
  const std::string base = init.op() == "_FusedConv2D" ? "Conv2D" : "DepthwiseConv2dNative";
  TFM_ASSIGN_OR_RETURN(std::optional<BiasEpilogue> direct, DirectEpilogue(init, true));
  if (direct && !direct->side) return MakeFusedConvKernel(init, base != "Conv2D", *direct);
  std::unique_ptr<OpKernel> fast;
  if (direct) {
    TFM_ASSIGN_OR_RETURN(fast, MakeFusedConvKernel(init, base != "Conv2D", *direct));
  }
  TFM_ASSIGN_OR_RETURN(
      SubKernel conv,
      SubKernel::Make(init, base,
                      CopyAttrs(init, {"T", "strides", "padding", "explicit_paddings",
                                       "data_format", "dilations"}),
                      2));
  TFM_ASSIGN_OR_RETURN(std::vector<Step> steps,
                       ParseEpilogue(init, CopyAttrs(init, {"T", "data_format"})));
  auto slow = std::make_unique<FusedKernel>(std::move(conv), 2, std::move(steps));
  if (fast)
    return std::unique_ptr<OpKernel>(new FastOrFallbackKernel(std::move(fast), std::move(slow)));
  return std::unique_ptr<OpKernel>(std::move(slow));
}

// _FusedBatchNormEx(x, scale, offset, mean, var, side_inputs...): batch norm, plus the
// side input, then activation_mode (Identity or Relu).
Result MakeFusedBatchNormEx(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(
      SubKernel bn, SubKernel::Make(init, "FusedBatchNormV3",
                                    CopyAttrs(init, {"T", "U", "epsilon", "exponential_avg_factor",
                                                     "data_format", "is_training"}),
                                    5));
  int64_t side = 0;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("num_side_inputs", &side));
  std::string act = "Identity";
  TFM_RETURN_IF_ERROR(init.GetAttrOr("activation_mode", &act));
  if (side < 0 || side > 1) return init.Error("num_side_inputs must be 0 or 1");
  std::vector<Step> steps;
  Attrs t = CopyAttrs(init, {"T"});
  if (side == 1) {
    Step s;
    TFM_ASSIGN_OR_RETURN(s.kernel, SubKernel::Make(init, "AddV2", t, 2));
    s.args = 1;
    steps.push_back(std::move(s));
  }
  if (act == "Relu") {
    Step s;
    TFM_ASSIGN_OR_RETURN(s.kernel, SubKernel::Make(init, "Relu", t, 1));
    steps.push_back(std::move(s));
  } else if (act != "Identity") {
    return init.Error(absl::StrCat("Unsupported activation: ", act));
  }
  return std::unique_ptr<OpKernel>(new FusedKernel(std::move(bn), 5, std::move(steps)));
}

// FusedPadConv2D(input, paddings, filter) and FusedResizeAndPadConv2D(input, size,
// paddings, filter): [ResizeBilinear ->] MirrorPad -> Conv2D (NHWC).
class PadConvKernel : public OpKernel {
 public:
  PadConvKernel(std::unique_ptr<SubKernel> resize, SubKernel pad, SubKernel conv)
      : resize_(std::move(resize)), pad_(std::move(pad)), conv_(std::move(conv)) {}

  absl::Status Compute(KernelContext* ctx) const override {
    const int off = resize_ ? 1 : 0;
    if (ctx->num_inputs() != 3 + off) {
      return ctx->Error(absl::StrCat("expects ", 3 + off, " inputs, got ", ctx->num_inputs()));
    }
    Tensor x = ctx->input(0);
    if (resize_) {
      TFM_ASSIGN_OR_RETURN(x, resize_->Run1(ctx, {x, ctx->input(1)}));
    }
    TFM_ASSIGN_OR_RETURN(Tensor padded, pad_.Run1(ctx, {x, ctx->input(1 + off)}));
    TFM_ASSIGN_OR_RETURN(Tensor y, conv_.Run1(ctx, {padded, ctx->input(2 + off)}));
    ctx->set_output(0, std::move(y));
    return absl::OkStatus();
  }

 private:
  std::unique_ptr<SubKernel> resize_;
  SubKernel pad_, conv_;
};

Result MakePadConv(const KernelInit& init) {
  std::unique_ptr<SubKernel> resize;
  if (init.op() == "FusedResizeAndPadConv2D") {
    Attrs r = CopyAttrs(init, {"T"});
    bool align = false;
    TFM_RETURN_IF_ERROR(init.GetAttrOr("resize_align_corners", &align));
    r["align_corners"] = AttrB(align);
    TFM_ASSIGN_OR_RETURN(SubKernel k, SubKernel::Make(init, "ResizeBilinear", r, 2));
    resize = std::make_unique<SubKernel>(std::move(k));
  }
  TFM_ASSIGN_OR_RETURN(SubKernel pad,
                       SubKernel::Make(init, "MirrorPad", CopyAttrs(init, {"T", "mode"}), 2));
  TFM_ASSIGN_OR_RETURN(
      SubKernel conv,
      SubKernel::Make(init, "Conv2D", CopyAttrs(init, {"T", "strides", "padding"}), 2));
  return std::unique_ptr<OpKernel>(
      new PadConvKernel(std::move(resize), std::move(pad), std::move(conv)));
}

}  // namespace

void RegisterFusedKernels(KernelRegistry& r) {
  r.Register("_FusedMatMul", MakeFusedMatMul);
  r.Register("_FusedConv2D", MakeFusedConv);
  r.Register("_FusedDepthwiseConv2dNative", MakeFusedConv);
  r.Register("_FusedBatchNormEx", MakeFusedBatchNormEx);
  r.Register("FusedPadConv2D", MakePadConv);
  r.Register("FusedResizeAndPadConv2D", MakePadConv);
}

}  // namespace tfmodel::runtime
