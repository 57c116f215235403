// Conv3D and Conv3DBackpropInputV2 (what Keras Conv3D / Conv3DTranspose export): float
// (half/bfloat16 through float) on oneDNN convolution primitives, double on direct loops.
// Attrs as TF: strides and dilations of 5 (1 in the batch and channel dims), padding
// SAME or VALID, data_format NDHWC (default) or NCDHW; filters are
// [kd, kh, kw, in_channels, out_channels].
#include <dnnl.hpp>
#include <memory>

#include "absl/strings/str_cat.h"
#include "runtime/kernel.h"
#include "runtime/kernels/nn_util.h"

namespace tfmodel::runtime {
namespace {

using nn::ShapeStr;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

struct Conv3DAttrs {
  bool ncdhw = false;
  nn::Padding padding = nn::Padding::kValid;
  int64_t stride[3] = {1, 1, 1}, dil[3] = {1, 1, 1};
  bool backprop = false;
  // Index of spatial dim s (0..2) and channels in the data layout.
  int sp(int s) const { return ncdhw ? 2 + s : 1 + s; }
  int ch() const { return ncdhw ? 1 : 4; }
};

absl::StatusOr<Conv3DAttrs> ParseAttrs(const KernelInit& init) {
  Conv3DAttrs a;
  a.backprop = init.op() == "Conv3DBackpropInputV2";
  std::string fmt = "NDHWC";
  TFM_RETURN_IF_ERROR(init.GetAttrOr("data_format", &fmt));
  if (fmt != "NDHWC" && fmt != "NCDHW") {
    return init.Error(absl::StrCat("Invalid data format ", fmt, " (NDHWC or NCDHW)"));
  }
  a.ncdhw = fmt == "NCDHW";
  TFM_RETURN_IF_ERROR(nn::GetPadding(init, /*allow_explicit=*/false, &a.padding));
  std::vector<int64_t> strides, dilations = {1, 1, 1, 1, 1};
  TFM_RETURN_IF_ERROR(init.GetAttr("strides", &strides));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("dilations", &dilations));
  if (strides.size() != 5 || dilations.size() != 5) {
    return init.Error("Sliding window strides and dilations fields must specify 5 dimensions");
  }
  if (strides[0] != 1 || strides[a.ch()] != 1 || dilations[0] != 1 || dilations[a.ch()] != 1) {
    return init.Error(
        "Current implementation does not yet support strides or dilations in the batch and "
        "depth dimensions.");
  }
  for (int s = 0; s < 3; ++s) {
    a.stride[s] = strides[a.sp(s)];
    a.dil[s] = dilations[a.sp(s)];
    if (a.stride[s] <= 0 || a.dil[s] <= 0)
      return init.Error("Strides and dilations must be positive");
  }
  return a;
}

struct Geom3 {
  int64_t n = 0, c = 0, oc = 0, in[3] = {0, 0, 0}, k[3] = {0, 0, 0};
  nn::Window w[3];
  std::vector<int64_t> InDims(const Conv3DAttrs& a) const {
    return Dims(a, c, in[0], in[1], in[2]);
  }
  std::vector<int64_t> OutDims(const Conv3DAttrs& a) const {
    return Dims(a, oc, w[0].out, w[1].out, w[2].out);
  }
  std::vector<int64_t> Dims(const Conv3DAttrs& a, int64_t ch, int64_t d, int64_t h,
                            int64_t wd) const {
    std::vector<int64_t> v(5);
    v[0] = n;
    v[a.ch()] = ch;
    v[a.sp(0)] = d;
    v[a.sp(1)] = h;
    v[a.sp(2)] = wd;
    return v;
  }
};

// Direct loops (double): forward, or the adjoint (backprop to input) when `backprop`.
template <typename T>
void RefConv3D(const Conv3DAttrs& a, const Geom3& g, const T* x, const T* f, T* y) {
  const auto in_d = g.InDims(a), out_d = g.OutDims(a);
  auto idx = [&](const std::vector<int64_t>& dims, int64_t n, int64_t c, int64_t z, int64_t h,
                 int64_t w) {
    int64_t pos[5];
    pos[0] = n;
    pos[a.ch()] = c;
    pos[a.sp(0)] = z;
    pos[a.sp(1)] = h;
    pos[a.sp(2)] = w;
    int64_t off = 0;
    for (int i = 0; i < 5; ++i) off = off * dims[i] + pos[i];
    return off;
  };
  if (a.backprop) std::fill(y, y + g.n * g.c * g.in[0] * g.in[1] * g.in[2], T(0));
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t oz = 0; oz < g.w[0].out; ++oz)
      for (int64_t oy = 0; oy < g.w[1].out; ++oy)
        for (int64_t ox = 0; ox < g.w[2].out; ++ox)
          for (int64_t o = 0; o < g.oc; ++o) {
            T acc = T(0);
            const T dy = a.backprop ? x[idx(out_d, n, o, oz, oy, ox)] : T(0);
            for (int64_t kz = 0; kz < g.k[0]; ++kz)
              for (int64_t ky = 0; ky < g.k[1]; ++ky)
                for (int64_t kx = 0; kx < g.k[2]; ++kx) {
                  const int64_t iz = oz * a.stride[0] - g.w[0].pad_before + kz * a.dil[0];
                  const int64_t iy = oy * a.stride[1] - g.w[1].pad_before + ky * a.dil[1];
                  const int64_t ix = ox * a.stride[2] - g.w[2].pad_before + kx * a.dil[2];
                  if (iz < 0 || iz >= g.in[0] || iy < 0 || iy >= g.in[1] || ix < 0 ||
                      ix >= g.in[2]) {
                    continue;
                  }
                  for (int64_t i = 0; i < g.c; ++i) {
                    const T wv = f[(((kz * g.k[1] + ky) * g.k[2] + kx) * g.c + i) * g.oc + o];
                    if (a.backprop) {
                      y[idx(in_d, n, i, iz, iy, ix)] += dy * wv;
                    } else {
                      acc += x[idx(in_d, n, i, iz, iy, ix)] * wv;
                    }
                  }
                }
            if (!a.backprop) y[idx(out_d, n, o, oz, oy, ox)] = acc;
          }
}

const dnnl::engine& Engine() {
  static const dnnl::engine* e = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *e;
}

// One oneDNN forward or backward-data convolution for this geometry (float).
void DnnlConv3D(const Conv3DAttrs& a, const Geom3& g, const float* data_in, const float* filter,
                float* data_out, int threads) {
  const tag t = a.ncdhw ? tag::ncdhw : tag::ndhwc;
  dnnl::memory::desc src_md({g.n, g.c, g.in[0], g.in[1], g.in[2]}, dt::f32, t);
  dnnl::memory::desc dst_md({g.n, g.oc, g.w[0].out, g.w[1].out, g.w[2].out}, dt::f32, t);
  dnnl::memory::desc w_user({g.oc, g.c, g.k[0], g.k[1], g.k[2]}, dt::f32, tag::dhwio);
  dnnl::memory::desc w_any({g.oc, g.c, g.k[0], g.k[1], g.k[2]}, dt::f32, tag::any);
  const dnnl::memory::dims strides = {a.stride[0], a.stride[1], a.stride[2]};
  const dnnl::memory::dims dil = {a.dil[0] - 1, a.dil[1] - 1, a.dil[2] - 1};
  const dnnl::memory::dims pl = {g.w[0].pad_before, g.w[1].pad_before, g.w[2].pad_before};
  const dnnl::memory::dims pr = {g.w[0].pad_after, g.w[1].pad_after, g.w[2].pad_after};
  const dnnl::engine& eng = Engine();
  nn::ScopedOmpThreads omp(threads);
  dnnl::stream strm(eng);
  dnnl::primitive prim;
  dnnl::memory::desc w_md;
  if (a.backprop) {
    dnnl::convolution_forward::primitive_desc fpd(
        dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training,
                                        dnnl::algorithm::convolution_direct, src_md, w_any, dst_md,
                                        strides, dil, pl, pr),
        eng);
    dnnl::convolution_backward_data::primitive_desc bpd(
        dnnl::convolution_backward_data::desc(dnnl::algorithm::convolution_direct, src_md, w_any,
                                              dst_md, strides, dil, pl, pr),
        eng, fpd);
    prim = dnnl::convolution_backward_data(bpd);
    w_md = bpd.weights_desc();
  } else {
    dnnl::convolution_forward::primitive_desc fpd(
        dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                        dnnl::algorithm::convolution_direct, src_md, w_any, dst_md,
                                        strides, dil, pl, pr),
        eng);
    prim = dnnl::convolution_forward(fpd);
    w_md = fpd.weights_desc();
  }
  dnnl::memory w_user_mem(w_user, eng, const_cast<float*>(filter));
  dnnl::memory w_mem = w_user_mem;
  if (w_md != w_user) {
    w_mem = dnnl::memory(w_md, eng);
    dnnl::reorder(w_user_mem, w_mem).execute(strm, w_user_mem, w_mem);
  }
  if (a.backprop) {
    dnnl::memory dy(dst_md, eng, const_cast<float*>(data_in));
    dnnl::memory dx(src_md, eng, data_out);
    prim.execute(strm,
                 {{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_WEIGHTS, w_mem}, {DNNL_ARG_DIFF_SRC, dx}});
  } else {
    dnnl::memory x(src_md, eng, const_cast<float*>(data_in));
    dnnl::memory y(dst_md, eng, data_out);
    prim.execute(strm, {{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, w_mem}, {DNNL_ARG_DST, y}});
  }
  strm.wait();
}

absl::Status Conv3DCompute(KernelContext* ctx, const Conv3DAttrs& a) {
  const int off = a.backprop ? 1 : 0;
  if (ctx->num_inputs() != 2 + off) return ctx->Error(absl::StrCat("expects ", 2 + off, " inputs"));
  const Tensor& filter = ctx->input(1);  // (input, filter) or (input_sizes, filter, dy)
  const Tensor& data = ctx->input(a.backprop ? 2 : 0);
  if (data.rank() != 5 || filter.rank() != 5) {
    return ctx->Error(absl::StrCat("input and filter must be 5-dimensional, got ", ShapeStr(data),
                                   " and ", ShapeStr(filter)));
  }
  if (data.dtype() != filter.dtype()) return ctx->Error("input and filter dtypes differ");
  Geom3 g;
  std::vector<int64_t> in_dims(data.shape().dim_sizes().begin(), data.shape().dim_sizes().end());
  if (a.backprop) {
    const Tensor& sizes = ctx->input(0);
    if (sizes.rank() != 1 || sizes.NumElements() != 5 ||
        (sizes.dtype() != DType::kInt32 && sizes.dtype() != DType::kInt64)) {
      return ctx->Error(
          absl::StrCat("input_sizes must be a 5-element int vector, got ", ShapeStr(sizes)));
    }
    for (int i = 0; i < 5; ++i) {
      in_dims[i] =
          sizes.dtype() == DType::kInt32 ? sizes.data<int32_t>()[i] : sizes.data<int64_t>()[i];
    }
    absl::Status vs = TensorShape::Validate(in_dims);
    if (!vs.ok()) return ctx->Error(absl::StrCat("bad input_sizes: ", vs.message()));
  }
  g.n = in_dims[0];
  g.c = in_dims[a.ch()];
  g.oc = filter.dim(4);
  if (filter.dim(3) != g.c) {
    return ctx->Error(absl::StrCat("Input depth must equal the filter's in_channels: ", g.c, " vs ",
                                   filter.dim(3)));
  }
  for (int s = 0; s < 3; ++s) {
    g.in[s] = in_dims[a.sp(s)];
    g.k[s] = filter.dim(s);
    absl::Status st =
        nn::ComputeWindow(g.in[s], g.k[s], a.dil[s], a.stride[s], a.padding, 0, 0, &g.w[s]);
    if (!st.ok()) return ctx->Error(st.message());
  }
  const std::vector<int64_t> out_dims = g.OutDims(a);
  if (a.backprop) {
    if (std::vector<int64_t>(data.shape().dim_sizes().begin(), data.shape().dim_sizes().end()) !=
        out_dims) {
      return ctx->Error(absl::StrCat("out_backprop shape ", ShapeStr(data),
                                     " does not match the computed output shape"));
    }
  } else {
    absl::Status vs = TensorShape::Validate(out_dims);
    if (!vs.ok()) return ctx->Error(vs.message());
  }
  const TensorShape result_shape(a.backprop ? in_dims : out_dims);
  const DType dtype = data.dtype();
  if (result_shape.NumElements() == 0 || data.NumElements() == 0 || filter.NumElements() == 0) {
    ctx->set_output(0, Tensor(dtype, result_shape));
    return absl::OkStatus();
  }
  if (dtype == DType::kDouble) {
    Tensor out = Tensor::Empty(dtype, result_shape);
    RefConv3D<double>(a, g, data.data<double>(), filter.data<double>(), out.data<double>());
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  }
  if (dtype != DType::kFloat && !nn::IsHalfLike(dtype)) {
    return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(dtype)));
  }
  Tensor fin = nn::ToFloat(data), ffil = nn::ToFloat(filter);
  Tensor fout = Tensor::Empty(DType::kFloat, result_shape);
  try {
    DnnlConv3D(a, g, fin.data<float>(), ffil.data<float>(), fout.data<float>(),
               nn::NumThreads(ctx));
  } catch (const dnnl::error& e) {
    return ctx->Error(absl::StrCat("oneDNN 3-D convolution failed: ", e.what()));
  }
  ctx->set_output(0, dtype == DType::kFloat ? fout : nn::FromFloat(fout, dtype));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeConv3D(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(Conv3DAttrs a, ParseAttrs(init));
  return MakeKernel([a](KernelContext* ctx) { return Conv3DCompute(ctx, a); });
}

}  // namespace

void RegisterConv3DKernels(KernelRegistry& r) {
  r.Register("Conv3D", MakeConv3D);
  r.Register("Conv3DBackpropInputV2", MakeConv3D);
}

}  // namespace tfmodel::runtime
