// Conv2D, DepthwiseConv2dNative and Conv2DBackpropInput. float (and half/bfloat16 through
// float) run on oneDNN convolution primitives, cached per input geometry inside each
// kernel (guarded by a mutex; a cached primitive is immutable and executes with a
// caller-provided scratchpad, so Compute is safe from several threads). double and int32
// use direct loops. Paddings follow TF: SAME, VALID and EXPLICIT (explicit_paddings).
// The forward kernels also serve the fused forms (conv.h): bias and activation inside the
// oneDNN primitive (bias argument, eltwise post-op).
#include "runtime/kernels/conv.h"

#include <dnnl.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "graph/graph_optimize.h"
#include "runtime/kernel.h"
#include "runtime/kernels/nn_util.h"

namespace tfmodel::runtime {
namespace {

using nn::ShapeStr;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

enum class ConvKind { kConv, kDepthwise, kBackpropInput };

const dnnl::engine& Engine() {
  static const dnnl::engine* e = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *e;
}

// Attributes shared by the three ops, parsed and checked once.
struct ConvAttrs {
  nn::DataFormat fmt = nn::DataFormat::kNHWC;
  nn::Padding padding = nn::Padding::kValid;
  int64_t stride_h = 1, stride_w = 1, dil_h = 1, dil_w = 1;
  int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;  // for EXPLICIT
  int h_idx() const { return fmt == nn::DataFormat::kNHWC ? 1 : 2; }
  int w_idx() const { return fmt == nn::DataFormat::kNHWC ? 2 : 3; }
  int c_idx() const { return fmt == nn::DataFormat::kNHWC ? 3 : 1; }
};

absl::Status ParseConvAttrs(const KernelInit& init, ConvAttrs* a) {
  TFM_RETURN_IF_ERROR(nn::GetDataFormat(init, &a->fmt));
  TFM_RETURN_IF_ERROR(nn::GetPadding(init, /*allow_explicit=*/true, &a->padding));
  std::vector<int64_t> strides, dilations = {1, 1, 1, 1}, explicit_paddings;
  TFM_RETURN_IF_ERROR(init.GetAttr("strides", &strides));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("dilations", &dilations));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("explicit_paddings", &explicit_paddings));
  if (strides.size() != 4) {
    return init.Error(absl::StrCat("Sliding window strides field must specify 4 dimensions, got ",
                                   strides.size()));
  }
  if (dilations.size() != 4) {
    return init.Error(absl::StrCat("Sliding window dilations field must specify 4 dimensions, got ",
                                   dilations.size()));
  }
  const int hi = a->h_idx(), wi = a->w_idx(), ci = a->c_idx();
  if (strides[0] != 1 || strides[ci] != 1) {
    return init.Error(
        "Current implementation does not yet support strides in the batch and depth dimensions.");
  }
  if (dilations[0] != 1 || dilations[ci] != 1) {
    return init.Error(
        "Current implementation does not yet support dilations in the batch and depth dimensions.");
  }
  a->stride_h = strides[hi];
  a->stride_w = strides[wi];
  a->dil_h = dilations[hi];
  a->dil_w = dilations[wi];
  if (a->stride_h <= 0 || a->stride_w <= 0) return init.Error("Strides must be positive");
  if (a->dil_h <= 0 || a->dil_w <= 0) return init.Error("Dilated rates must be positive");
  if (a->padding == nn::Padding::kExplicit) {
    if (explicit_paddings.size() != 8) {
      return init.Error(absl::StrCat("explicit_paddings attribute must contain 8 values, got ",
                                     explicit_paddings.size()));
    }
    for (int64_t p : explicit_paddings) {
      if (p < 0)
        return init.Error(absl::StrCat("All explicit paddings must be nonnegative, got ", p));
    }
    if (explicit_paddings[0] != 0 || explicit_paddings[1] != 0 || explicit_paddings[2 * ci] != 0 ||
        explicit_paddings[2 * ci + 1] != 0) {
      return init.Error(
          "Nonzero explicit padding in the batch or depth dimensions is not supported");
    }
    a->pad_top = explicit_paddings[2 * hi];
    a->pad_bottom = explicit_paddings[2 * hi + 1];
    a->pad_left = explicit_paddings[2 * wi];
    a->pad_right = explicit_paddings[2 * wi + 1];
  } else if (!explicit_paddings.empty()) {
    return init.Error(
        "explicit_paddings attribute must be empty if the padding attribute is not EXPLICIT");
  }
  return absl::OkStatus();
}

// Geometry of one convolution call (in TF's terms; channels are per the whole tensor).
struct Geom {
  int64_t n = 0, ih = 0, iw = 0, ic = 0;
  int64_t kh = 0, kw = 0, oc = 0;
  int64_t groups = 1;  // ic / filter's input depth (depthwise: ic)
  nn::Window wh, ww;

  std::string Key(ConvKind k, nn::DataFormat f, int threads) const {
    return absl::StrJoin({static_cast<int64_t>(k), static_cast<int64_t>(f),
                          static_cast<int64_t>(threads), n, ih, iw, ic, kh, kw, oc, groups, wh.out,
                          wh.pad_before, wh.pad_after, ww.out, ww.pad_before, ww.pad_after},
                         ",");
  }
};

// Layout of TF's filter as a oneDNN weights descriptor (no copy).
dnnl::memory::desc UserWeightsDesc(ConvKind kind, const Geom& g) {
  const int64_t fic = g.ic / g.groups;  // filter input depth
  if (kind == ConvKind::kDepthwise) {
    // TF [kh, kw, ic, mult]; oneDNN goihw with g=ic, o=mult, i=1.
    const int64_t mult = g.oc / g.ic;
    return dnnl::memory::desc({g.ic, mult, 1, g.kh, g.kw}, dt::f32,
                              {mult, 1, 1, g.kw * g.ic * mult, g.ic * mult});
  }
  if (g.groups == 1) return dnnl::memory::desc({g.oc, g.ic, g.kh, g.kw}, dt::f32, tag::hwio);
  // TF [kh, kw, ic/groups, oc] with output channel o in group o / (oc/groups).
  const int64_t ocg = g.oc / g.groups;
  return dnnl::memory::desc({g.groups, ocg, fic, g.kh, g.kw}, dt::f32,
                            {ocg, 1, g.oc, g.kw * fic * g.oc, fic * g.oc});
}

dnnl::memory::desc AnyWeightsDesc(ConvKind kind, const Geom& g) {
  if (kind == ConvKind::kDepthwise) {
    return dnnl::memory::desc({g.ic, g.oc / g.ic, 1, g.kh, g.kw}, dt::f32, tag::any);
  }
  if (g.groups == 1) return dnnl::memory::desc({g.oc, g.ic, g.kh, g.kw}, dt::f32, tag::any);
  return dnnl::memory::desc({g.groups, g.oc / g.groups, g.ic / g.groups, g.kh, g.kw}, dt::f32,
                            tag::any);
}

// A ready-to-run oneDNN convolution (forward, or backward-data) for one geometry.
struct DnnlConv {
  dnnl::primitive prim;
  dnnl::memory::desc data_in_md, w_user_md, w_md, data_out_md, scratch_md;
  dnnl::memory::desc bias_md;  // zero when the convolution has no bias
  bool reorder_w = false;
  dnnl::reorder w_reorder;
  dnnl::memory::desc w_reorder_scratch_md;
  // Weights already reordered to w_md, for a filter known to be constant: the filter
  // tensor they came from (held, so its buffer cannot be reused by another tensor) and
  // the result. Guarded by w_mu.
  mutable std::mutex w_mu;
  mutable Tensor w_cached_src, w_cached;
};

std::shared_ptr<DnnlConv> BuildDnnlConv(ConvKind kind, nn::DataFormat fmt, const Geom& g,
                                        const ConvAttrs& a, const BiasEpilogue& epi) {
  auto out = std::make_shared<DnnlConv>();
  const tag t = fmt == nn::DataFormat::kNHWC ? tag::nhwc : tag::nchw;
  dnnl::memory::desc src_md({g.n, g.ic, g.ih, g.iw}, dt::f32, t);
  dnnl::memory::desc dst_md({g.n, g.oc, g.wh.out, g.ww.out}, dt::f32, t);
  dnnl::memory::desc w_any = AnyWeightsDesc(kind, g);
  const dnnl::memory::dims strides = {a.stride_h, a.stride_w};
  const dnnl::memory::dims dil = {a.dil_h - 1, a.dil_w - 1};
  const dnnl::memory::dims pl = {g.wh.pad_before, g.ww.pad_before};
  const dnnl::memory::dims pr = {g.wh.pad_after, g.ww.pad_after};
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  dnnl::post_ops post;
  AppendActivationPostOp(epi, &post);
  // A separate attr (primitive_attr copies share one handle): the weights reorder below
  // must not get the post-ops.
  dnnl::primitive_attr conv_attr;
  conv_attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (post.len() > 0) conv_attr.set_post_ops(post);
  const dnnl::engine& eng = Engine();
  if (kind == ConvKind::kBackpropInput) {
    dnnl::convolution_forward::desc fd(dnnl::prop_kind::forward_training,
                                       dnnl::algorithm::convolution_direct, src_md, w_any, dst_md,
                                       strides, dil, pl, pr);
    dnnl::convolution_forward::primitive_desc fpd(fd, eng);
    dnnl::convolution_backward_data::desc bd(dnnl::algorithm::convolution_direct, src_md, w_any,
                                             dst_md, strides, dil, pl, pr);
    dnnl::convolution_backward_data::primitive_desc bpd(bd, attr, eng, fpd);
    out->prim = dnnl::convolution_backward_data(bpd);
    out->data_in_md = dst_md;
    out->data_out_md = src_md;
    out->w_md = bpd.weights_desc();
    out->scratch_md = bpd.scratchpad_desc();
  } else {
    auto fd =
        epi.bias
            ? dnnl::convolution_forward::desc(
                  dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_md,
                  w_any, dnnl::memory::desc({g.oc}, dt::f32, tag::a), dst_md, strides, dil, pl, pr)
            : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                              dnnl::algorithm::convolution_direct, src_md, w_any,
                                              dst_md, strides, dil, pl, pr);
    dnnl::convolution_forward::primitive_desc fpd(fd, conv_attr, eng);
    if (epi.bias) out->bias_md = fpd.bias_desc();
    out->prim = dnnl::convolution_forward(fpd);
    out->data_in_md = src_md;
    out->data_out_md = dst_md;
    out->w_md = fpd.weights_desc();
    out->scratch_md = fpd.scratchpad_desc();
  }
  out->w_user_md = UserWeightsDesc(kind, g);
  out->reorder_w = out->w_user_md != out->w_md;
  if (out->reorder_w) {
    dnnl::reorder::primitive_desc rpd(eng, out->w_user_md, eng, out->w_md, attr);
    out->w_reorder = dnnl::reorder(rpd);
    out->w_reorder_scratch_md = rpd.scratchpad_desc();
  }
  return out;
}

void* Ptr(const Tensor& t) { return const_cast<void*>(t.raw_data()); }

Tensor Scratch(const dnnl::memory::desc& md) {
  return Tensor::Empty(DType::kUInt8, TensorShape{static_cast<int64_t>(md.get_size())});
}

// Runs the primitive: data_in (src or diff_dst), filter (and the float bias, when the
// primitive has one) in, data_out written.
// With `const_filter` the reordered weights are kept for the next call with the same
// filter buffer.
void RunDnnlConv(const DnnlConv& c, ConvKind kind, const Tensor& data_in, const Tensor& filter,
                 const Tensor* bias, bool const_filter, Tensor* data_out) {
  const dnnl::engine& eng = Engine();
  dnnl::stream strm(eng);
  dnnl::memory in_mem(c.data_in_md, eng, Ptr(data_in));
  dnnl::memory out_mem(c.data_out_md, eng, data_out->raw_data());
  dnnl::memory w_user(c.w_user_md, eng, Ptr(filter));
  dnnl::memory w_mem = w_user;
  Tensor w_buf, w_scratch;
  if (c.reorder_w && const_filter) {
    std::lock_guard<std::mutex> l(c.w_mu);
    if (c.w_cached.valid() && c.w_cached_src.raw_data() == filter.raw_data()) w_buf = c.w_cached;
  }
  if (w_buf.valid()) {
    w_mem = dnnl::memory(c.w_md, eng, w_buf.raw_data());
  } else if (c.reorder_w) {
    w_buf = Scratch(c.w_md);
    w_scratch = Scratch(c.w_reorder_scratch_md);
    w_mem = dnnl::memory(c.w_md, eng, w_buf.raw_data());
    dnnl::memory rs(c.w_reorder_scratch_md, eng, w_scratch.raw_data());
    c.w_reorder.execute(strm,
                        {{DNNL_ARG_FROM, w_user}, {DNNL_ARG_TO, w_mem}, {DNNL_ARG_SCRATCHPAD, rs}});
    if (const_filter) {
      strm.wait();
      std::lock_guard<std::mutex> l(c.w_mu);
      c.w_cached_src = filter;
      c.w_cached = w_buf;
    }
  }
  Tensor scratch = Scratch(c.scratch_md);
  dnnl::memory sp(c.scratch_md, eng, scratch.raw_data());
  if (kind == ConvKind::kBackpropInput) {
    c.prim.execute(strm, {{DNNL_ARG_DIFF_DST, in_mem},
                          {DNNL_ARG_WEIGHTS, w_mem},
                          {DNNL_ARG_DIFF_SRC, out_mem},
                          {DNNL_ARG_SCRATCHPAD, sp}});
  } else {
    std::unordered_map<int, dnnl::memory> args = {{DNNL_ARG_SRC, in_mem},
                                                  {DNNL_ARG_WEIGHTS, w_mem},
                                                  {DNNL_ARG_DST, out_mem},
                                                  {DNNL_ARG_SCRATCHPAD, sp}};
    if (bias != nullptr) args.emplace(DNNL_ARG_BIAS, dnnl::memory(c.bias_md, eng, Ptr(*bias)));
    c.prim.execute(strm, args);
  }
  strm.wait();
}

// Direct loops for types oneDNN does not cover (double, int32). Index helpers work for
// both layouts.
struct Layout {
  int64_t sn, sh, sw, sc;
  Layout(nn::DataFormat f, int64_t h, int64_t w, int64_t c) {
    if (f == nn::DataFormat::kNHWC) {
      sc = 1, sw = c, sh = w * c, sn = h * w * c;
    } else {
      sw = 1, sh = w, sc = h * w, sn = c * h * w;
    }
  }
  int64_t at(int64_t n, int64_t h, int64_t w, int64_t c) const {
    return n * sn + h * sh + w * sw + c * sc;
  }
};

template <typename T>
void RefConvForward(ConvKind kind, nn::DataFormat f, const Geom& g, const ConvAttrs& a, const T* x,
                    const T* w, T* y) {
  const Layout li(f, g.ih, g.iw, g.ic), lo(f, g.wh.out, g.ww.out, g.oc);
  const int64_t fic = g.ic / g.groups, ocg = g.oc / g.groups;
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t oy = 0; oy < g.wh.out; ++oy)
      for (int64_t ox = 0; ox < g.ww.out; ++ox)
        for (int64_t o = 0; o < g.oc; ++o) {
          T acc = T(0);
          const int64_t grp = kind == ConvKind::kDepthwise ? o / (g.oc / g.ic) : o / ocg;
          for (int64_t ky = 0; ky < g.kh; ++ky) {
            const int64_t iy = oy * a.stride_h - g.wh.pad_before + ky * a.dil_h;
            if (iy < 0 || iy >= g.ih) continue;
            for (int64_t kx = 0; kx < g.kw; ++kx) {
              const int64_t ix = ox * a.stride_w - g.ww.pad_before + kx * a.dil_w;
              if (ix < 0 || ix >= g.iw) continue;
              if (kind == ConvKind::kDepthwise) {
                const int64_t mult = g.oc / g.ic;
                acc +=
                    x[li.at(n, iy, ix, grp)] * w[(ky * g.kw + kx) * g.oc + grp * mult + o % mult];
              } else {
                for (int64_t i = 0; i < fic; ++i) {
                  acc += x[li.at(n, iy, ix, grp * fic + i)] *
                         w[((ky * g.kw + kx) * fic + i) * g.oc + o];
                }
              }
            }
          }
          y[lo.at(n, oy, ox, o)] = acc;
        }
}

template <typename T>
void RefConvBackpropInput(nn::DataFormat f, const Geom& g, const ConvAttrs& a, const T* dy,
                          const T* w, T* dx) {
  const Layout li(f, g.ih, g.iw, g.ic), lo(f, g.wh.out, g.ww.out, g.oc);
  std::fill(dx, dx + g.n * g.ih * g.iw * g.ic, T(0));
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t oy = 0; oy < g.wh.out; ++oy)
      for (int64_t ox = 0; ox < g.ww.out; ++ox)
        for (int64_t ky = 0; ky < g.kh; ++ky) {
          const int64_t iy = oy * a.stride_h - g.wh.pad_before + ky * a.dil_h;
          if (iy < 0 || iy >= g.ih) continue;
          for (int64_t kx = 0; kx < g.kw; ++kx) {
            const int64_t ix = ox * a.stride_w - g.ww.pad_before + kx * a.dil_w;
            if (ix < 0 || ix >= g.iw) continue;
            for (int64_t i = 0; i < g.ic; ++i) {
              T acc = T(0);
              for (int64_t o = 0; o < g.oc; ++o) {
                acc += dy[lo.at(n, oy, ox, o)] * w[((ky * g.kw + kx) * g.ic + i) * g.oc + o];
              }
              dx[li.at(n, iy, ix, i)] += acc;
            }
          }
        }
}

class ConvKernel : public OpKernel {
 public:
  ConvKernel(ConvKind kind, ConvAttrs attrs, BiasEpilogue epi = {}, bool const_filter = false)
      : kind_(kind), a_(attrs), epi_(epi), const_filter_(const_filter) {}

  absl::Status Compute(KernelContext* ctx) const override {
    Geom g;
    Tensor data_in, filter, bias;
    TensorShape out_shape;
    TFM_RETURN_IF_ERROR(Prepare(ctx, &g, &data_in, &filter, &out_shape));
    const DType dtype = data_in.dtype();
    if (epi_.bias) TFM_RETURN_IF_ERROR(CheckBias(ctx, g, dtype, &bias));
    if (epi_.side) return ComputeWithSide(ctx, g, data_in, filter, bias, out_shape);
    Tensor out = Tensor::Empty(dtype, out_shape);
    if (out.NumElements() == 0) {
      ctx->set_output(0, out);
      return absl::OkStatus();
    }
    const int64_t data_in_elems = data_in.NumElements();
    if (data_in_elems == 0 || filter.NumElements() == 0) {
      Tensor zeros(dtype, out_shape);
      TFM_RETURN_IF_ERROR(Epilogue(ctx, bias, &zeros));
      ctx->set_output(0, zeros);
      return absl::OkStatus();
    }
    if (dtype == DType::kFloat || nn::IsHalfLike(dtype)) {
      Tensor fin = nn::ToFloat(data_in), ffil = nn::ToFloat(filter);
      Tensor fbias = epi_.bias ? nn::ToFloat(bias) : Tensor();
      Tensor fout = dtype == DType::kFloat ? out : Tensor::Empty(DType::kFloat, out_shape);
      const int threads = nn::NumThreads(ctx);
      try {
        std::shared_ptr<DnnlConv> c = GetPrimitive(g, threads);
        nn::ScopedOmpThreads omp(threads);
        RunDnnlConv(*c, kind_, fin, ffil, epi_.bias ? &fbias : nullptr, const_filter_, &fout);
      } catch (const dnnl::error& e) {
        return ctx->Error(absl::StrCat("oneDNN convolution failed: ", e.what(), " (input ",
                                       ShapeStr(data_in), ", filter ", ShapeStr(filter), ")"));
      }
      ctx->set_output(0, dtype == DType::kFloat ? fout : nn::FromFloat(fout, dtype));
      return absl::OkStatus();
    }
    auto run = [&]<typename T>() {
      if (kind_ == ConvKind::kBackpropInput) {
        RefConvBackpropInput<T>(a_.fmt, g, a_, data_in.data<T>(), filter.data<T>(), out.data<T>());
      } else {
        RefConvForward<T>(kind_, a_.fmt, g, a_, data_in.data<T>(), filter.data<T>(), out.data<T>());
      }
    };
    switch (dtype) {
      case DType::kDouble:
        run.template operator()<double>();
        break;
      case DType::kInt32:
        run.template operator()<int32_t>();
        break;
      default:
        return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(dtype)));
    }
    TFM_RETURN_IF_ERROR(Epilogue(ctx, bias, &out));
    ctx->set_output(0, out);
    return absl::OkStatus();
  }

 private:
  bool fused() const { return epi_.bias || epi_.act != FusedActivation::kNone; }

  // input + bias + side (added by the primitive's sum post-op into an output that starts
  // as a copy of side, or side's own buffer when it is free), then the activation.
  absl::Status ComputeWithSide(KernelContext* ctx, const Geom& g, const Tensor& data_in,
                               const Tensor& filter, const Tensor& bias,
                               const TensorShape& out_shape) const {
    {
      const Tensor& side = ctx->input(3);
      if (data_in.dtype() != DType::kFloat || side.dtype() != DType::kFloat ||
          side.shape() != out_shape || side.NumElements() == 0 || data_in.NumElements() == 0 ||
          filter.NumElements() == 0) {
        return absl::UnimplementedError(kFusedFallback);
      }
    }
    Tensor out = ctx->ForwardInput(3);
    if (!out.valid()) out = ctx->input(3).DeepCopy();
    const int threads = nn::NumThreads(ctx);
    try {
      std::shared_ptr<DnnlConv> c = GetPrimitive(g, threads);
      nn::ScopedOmpThreads omp(threads);
      RunDnnlConv(*c, kind_, data_in, filter, &bias, const_filter_, &out);
    } catch (const dnnl::error& e) {
      return ctx->Error(absl::StrCat("oneDNN convolution failed: ", e.what(), " (input ",
                                     ShapeStr(data_in), ", filter ", ShapeStr(filter), ")"));
    }
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  }

  // The fused bias: input 2, [oc] of the input's dtype.
  absl::Status CheckBias(KernelContext* ctx, const Geom& g, DType dtype, Tensor* bias) const {
    *bias = ctx->input(2);
    if (bias->rank() != 1) {
      return ctx->Error(absl::StrCat("bias must be 1-dimensional: ", ShapeStr(*bias)));
    }
    if (bias->dtype() != dtype) {
      return ctx->Error(absl::StrCat("input and bias dtypes differ: ", DTypeName(dtype), " vs. ",
                                     DTypeName(bias->dtype())));
    }
    if (bias->dim(0) != g.oc) {
      return ctx->Error(absl::StrCat("Must provide as many biases as the output depth: ",
                                     ShapeStr(*bias), " vs. ", g.oc, " output channels"));
    }
    return absl::OkStatus();
  }

  // Bias and activation on an output computed without them (direct loops, empty input).
  absl::Status Epilogue(KernelContext* ctx, const Tensor& bias, Tensor* out) const {
    if (!fused()) return absl::OkStatus();
    const int ci = a_.c_idx();
    const int64_t c = out->dim(ci);
    const int64_t outer = ci == 3 ? out->NumElements() / c : out->dim(0);
    const int64_t inner = ci == 3 ? 1 : out->dim(2) * out->dim(3);
    auto run = [&]<typename T>(Tensor* t, const Tensor& b) {
      ApplyBiasEpilogue<T>(epi_, t->data<T>(), epi_.bias ? b.data<T>() : nullptr, outer, c, inner,
                           t->data<T>());
    };
    switch (out->dtype()) {
      case DType::kFloat:
        run.template operator()<float>(out, bias);
        return absl::OkStatus();
      case DType::kDouble:
        run.template operator()<double>(out, bias);
        return absl::OkStatus();
      case DType::kHalf:
      case DType::kBFloat16: {
        Tensor f = nn::ToFloat(*out);
        run.template operator()<float>(&f, epi_.bias ? nn::ToFloat(bias) : bias);
        *out = nn::FromFloat(f, out->dtype());
        return absl::OkStatus();
      }
      default:
        return ctx->Error(
            absl::StrCat("fused convolution does not support dtype ", DTypeName(out->dtype())));
    }
  }

  absl::Status Window(KernelContext* ctx, int64_t in, int64_t k, bool h, nn::Window* w) const {
    absl::Status s =
        nn::ComputeWindow(in, k, h ? a_.dil_h : a_.dil_w, h ? a_.stride_h : a_.stride_w, a_.padding,
                          h ? a_.pad_top : a_.pad_left, h ? a_.pad_bottom : a_.pad_right, w);
    if (!s.ok()) return ctx->Error(s.message());
    return absl::OkStatus();
  }

  absl::Status Prepare(KernelContext* ctx, Geom* g, Tensor* data_in, Tensor* filter,
                       TensorShape* out_shape) const {
    const int hi = a_.h_idx(), wi = a_.w_idx(), ci = a_.c_idx();
    if (kind_ == ConvKind::kBackpropInput) {
      if (ctx->num_inputs() != 3) return ctx->Error("expects 3 inputs");
      const Tensor& sizes = ctx->input(0);
      *filter = ctx->input(1);
      *data_in = ctx->input(2);
      if (sizes.rank() != 1 || (sizes.dim(0) != 4 && sizes.dim(0) != 2) ||
          (sizes.dtype() != DType::kInt32 && sizes.dtype() != DType::kInt64)) {
        return ctx->Error(absl::StrCat(
            "Conv2DBackpropInput: input_sizes input must be 1-dim int32/int64 with 4 (or 2) "
            "elements, got ",
            DTypeName(sizes.dtype()), " ", ShapeStr(sizes)));
      }
      if (filter->rank() != 4) {
        return ctx->Error(absl::StrCat("Conv2DBackpropInput: filter must be 4-dimensional, got ",
                                       ShapeStr(*filter)));
      }
      if (data_in->rank() != 4) {
        return ctx->Error(absl::StrCat(
            "Conv2DBackpropInput: out_backprop must be 4-dimensional, got ", ShapeStr(*data_in)));
      }
      if (filter->dtype() != data_in->dtype())
        return ctx->Error("filter and out_backprop dtypes differ");
      std::vector<int64_t> sz(sizes.NumElements());
      for (size_t i = 0; i < sz.size(); ++i) {
        sz[i] =
            sizes.dtype() == DType::kInt32 ? sizes.data<int32_t>()[i] : sizes.data<int64_t>()[i];
      }
      std::vector<int64_t> in_dims(4);
      if (sz.size() == 4) {
        in_dims = sz;
      } else {
        in_dims[0] = data_in->dim(0);
        in_dims[ci] = filter->dim(2);
        in_dims[hi] = sz[0];
        in_dims[wi] = sz[1];
      }
      absl::Status vs = TensorShape::Validate(in_dims);
      if (!vs.ok())
        return ctx->Error(absl::StrCat("Conv2DBackpropInput: bad input_sizes: ", vs.message()));
      g->n = in_dims[0];
      g->ih = in_dims[hi];
      g->iw = in_dims[wi];
      g->ic = in_dims[ci];
      g->kh = filter->dim(0);
      g->kw = filter->dim(1);
      g->oc = filter->dim(3);
      if (filter->dim(2) != g->ic) {
        return ctx->Error(
            absl::StrCat("Conv2DBackpropInput: input and filter must have the same depth: ", g->ic,
                         " vs ", filter->dim(2)));
      }
      if (data_in->dim(0) != g->n) {
        return ctx->Error(absl::StrCat(
            "Conv2DBackpropInput: input and out_backprop must have the same batch size: ", g->n,
            " vs ", data_in->dim(0)));
      }
      if (data_in->dim(ci) != g->oc) {
        return ctx->Error(absl::StrCat(
            "Conv2DBackpropInput: filter and out_backprop must have the same out_depth: ", g->oc,
            " vs ", data_in->dim(ci)));
      }
      TFM_RETURN_IF_ERROR(Window(ctx, g->ih, g->kh, true, &g->wh));
      TFM_RETURN_IF_ERROR(Window(ctx, g->iw, g->kw, false, &g->ww));
      if (data_in->dim(hi) != g->wh.out || data_in->dim(wi) != g->ww.out) {
        return ctx->Error(absl::StrCat(
            "Conv2DBackpropInput: Size of out_backprop doesn't match computed: actual = ",
            ShapeStr(*data_in), ", computed spatial = [", g->wh.out, ",", g->ww.out, "]"));
      }
      *out_shape = TensorShape(in_dims);
      return absl::OkStatus();
    }
    const int want = 2 + (epi_.bias ? 1 : 0) + (epi_.side ? 1 : 0);
    if (ctx->num_inputs() != want) return ctx->Error(absl::StrCat("expects ", want, " inputs"));
    *data_in = ctx->input(0);
    *filter = ctx->input(1);
    if (data_in->rank() != 4) {
      return ctx->Error(absl::StrCat("input must be 4-dimensional: ", ShapeStr(*data_in)));
    }
    if (filter->rank() != 4) {
      return ctx->Error(absl::StrCat("filter must be 4-dimensional: ", ShapeStr(*filter)));
    }
    if (filter->dtype() != data_in->dtype()) {
      return ctx->Error(
          absl::StrCat("input and filter dtypes differ: ", DTypeName(data_in->dtype()), " vs. ",
                       DTypeName(filter->dtype())));
    }
    g->n = data_in->dim(0);
    g->ih = data_in->dim(hi);
    g->iw = data_in->dim(wi);
    g->ic = data_in->dim(ci);
    g->kh = filter->dim(0);
    g->kw = filter->dim(1);
    if (kind_ == ConvKind::kDepthwise) {
      if (filter->dim(2) != g->ic) {
        return ctx->Error(absl::StrCat("input and filter must have the same depth: ", g->ic, " vs ",
                                       filter->dim(2)));
      }
      g->groups = g->ic;
      g->oc = g->ic * filter->dim(3);
    } else {
      const int64_t fic = filter->dim(2);
      g->oc = filter->dim(3);
      if (fic <= 0 || g->ic % fic != 0) {
        return ctx->Error(absl::StrCat(
            "input depth must be evenly divisible by filter depth: ", g->ic, " vs ", fic));
      }
      g->groups = g->ic / fic;
      if (g->oc % g->groups != 0) {
        return ctx->Error(
            absl::StrCat("output depth must be evenly divisible by number of groups: ", g->oc,
                         " vs ", g->groups));
      }
    }
    TFM_RETURN_IF_ERROR(Window(ctx, g->ih, g->kh, true, &g->wh));
    TFM_RETURN_IF_ERROR(Window(ctx, g->iw, g->kw, false, &g->ww));
    std::vector<int64_t> od(4);
    od[0] = g->n;
    od[hi] = g->wh.out;
    od[wi] = g->ww.out;
    od[ci] = g->oc;
    absl::Status vs = TensorShape::Validate(od);
    if (!vs.ok()) return ctx->Error(vs.message());
    *out_shape = TensorShape(od);
    return absl::OkStatus();
  }

  std::shared_ptr<DnnlConv> GetPrimitive(const Geom& g, int threads) const {
    const std::string key = g.Key(kind_, a_.fmt, threads);
    {
      std::lock_guard<std::mutex> l(mu_);
      auto it = cache_.find(key);
      if (it != cache_.end()) return it->second;
    }
    std::shared_ptr<DnnlConv> c;
    {
      nn::ScopedOmpThreads omp(threads);
      c = BuildDnnlConv(kind_, a_.fmt, g, a_, epi_);
    }
    std::lock_guard<std::mutex> l(mu_);
    if (cache_.size() >= kMaxCached) cache_.clear();
    cache_.emplace(key, c);
    return c;
  }

  static constexpr size_t kMaxCached = 32;
  const ConvKind kind_;
  const ConvAttrs a_;
  const BiasEpilogue epi_;
  const bool const_filter_;  // the filter input is a constant: reordered weights are kept
  mutable std::mutex mu_;
  mutable std::map<std::string, std::shared_ptr<DnnlConv>> cache_;
};

KernelFactory ConvFactory(ConvKind kind) {
  return [kind](const KernelInit& init) -> absl::StatusOr<std::unique_ptr<OpKernel>> {
    ConvAttrs a;
    TFM_RETURN_IF_ERROR(ParseConvAttrs(init, &a));
    bool const_filter = false;
    if (kind != ConvKind::kBackpropInput) {
      TFM_RETURN_IF_ERROR(init.GetAttrOr(kConstantFilterAttr, &const_filter));
    }
    return std::unique_ptr<OpKernel>(new ConvKernel(kind, a, {}, const_filter));
  };
}

}  // namespace

absl::StatusOr<std::unique_ptr<OpKernel>> MakeFusedConvKernel(const KernelInit& init,
                                                              bool depthwise,
                                                              const BiasEpilogue& epilogue) {
  ConvAttrs a;
  TFM_RETURN_IF_ERROR(ParseConvAttrs(init, &a));
  bool const_filter = false;
  TFM_RETURN_IF_ERROR(init.GetAttrOr(kConstantFilterAttr, &const_filter));
  return std::unique_ptr<OpKernel>(new ConvKernel(
      depthwise ? ConvKind::kDepthwise : ConvKind::kConv, a, epilogue, const_filter));
}

void RegisterConvKernels(KernelRegistry& r) {
  r.Register("Conv2D", ConvFactory(ConvKind::kConv));
  r.Register("DepthwiseConv2dNative", ConvFactory(ConvKind::kDepthwise));
  r.Register("Conv2DBackpropInput", ConvFactory(ConvKind::kBackpropInput));
}

}  // namespace tfmodel::runtime
