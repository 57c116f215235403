// MaxPool, AvgPool and MaxPoolV2 (ksize/strides as inputs), NHWC or NCHW, SAME / VALID
// (and EXPLICIT for MaxPool). As in TF, AvgPool with SAME divides by the number of input
// elements inside the window (padding is not counted).
#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "runtime/kernel.h"
#include "runtime/kernels/nn_util.h"

namespace tfmodel::runtime {
namespace {

using nn::ShapeStr;

struct PoolSpec {
  nn::DataFormat fmt = nn::DataFormat::kNHWC;
  nn::Padding padding = nn::Padding::kValid;
  std::vector<int64_t> ksize, strides, explicit_paddings;
};

absl::Status CheckWindowAttrs(const std::vector<int64_t>& ksize,
                              const std::vector<int64_t>& strides, nn::DataFormat fmt,
                              std::string* err) {
  if (ksize.size() != 4) {
    *err = absl::StrCat("Sliding window ksize field must specify 4 dimensions, got ", ksize.size());
    return absl::InvalidArgumentError(*err);
  }
  if (strides.size() != 4) {
    *err =
        absl::StrCat("Sliding window stride field must specify 4 dimensions, got ", strides.size());
    return absl::InvalidArgumentError(*err);
  }
  const int ci = fmt == nn::DataFormat::kNHWC ? 3 : 1;
  if (ksize[0] != 1 || strides[0] != 1) {
    *err = "Pooling is not yet supported on the batch dimension.";
    return absl::InvalidArgumentError(*err);
  }
  if (ksize[ci] != 1 || strides[ci] != 1) {
    *err = "Pooling over the depth dimension is not supported";
    return absl::InvalidArgumentError(*err);
  }
  for (int i = 0; i < 4; ++i) {
    if (ksize[i] <= 0 || strides[i] <= 0) {
      *err = "Sliding window ksize and strides must be positive";
      return absl::InvalidArgumentError(*err);
    }
  }
  return absl::OkStatus();
}

template <typename T, bool kMax>
void Pool(const T* in, T* out, int64_t n, int64_t ih, int64_t iw, int64_t c, const nn::Window& wh,
          const nn::Window& ww, int64_t kh, int64_t kw, int64_t sh, int64_t sw, bool nhwc) {
  using Acc =
      std::conditional_t<kMax, T, std::conditional_t<std::is_same_v<T, double>, double, float>>;
  const int64_t oh = wh.out, ow = ww.out;
  // Strides of the layouts.
  const int64_t isc = nhwc ? 1 : ih * iw, isw = nhwc ? c : 1, ish = nhwc ? iw * c : iw;
  const int64_t osc = nhwc ? 1 : oh * ow, osw = nhwc ? c : 1, osh = nhwc ? ow * c : ow;
  std::vector<Acc> acc(c);
  for (int64_t b = 0; b < n; ++b) {
    const T* ib = in + b * ih * iw * c;
    T* ob = out + b * oh * ow * c;
    for (int64_t y = 0; y < oh; ++y) {
      const int64_t y0 = y * sh - wh.pad_before;
      const int64_t ys = std::max<int64_t>(y0, 0), ye = std::min<int64_t>(y0 + kh, ih);
      for (int64_t x = 0; x < ow; ++x) {
        const int64_t x0 = x * sw - ww.pad_before;
        const int64_t xs = std::max<int64_t>(x0, 0), xe = std::min<int64_t>(x0 + kw, iw);
        if constexpr (kMax) {
          std::fill(acc.begin(), acc.end(), std::numeric_limits<T>::lowest());
        } else {
          std::fill(acc.begin(), acc.end(), Acc(0));
        }
        for (int64_t yy = ys; yy < ye; ++yy)
          for (int64_t xx = xs; xx < xe; ++xx) {
            const T* p = ib + yy * ish + xx * isw;
            for (int64_t ch = 0; ch < c; ++ch) {
              if constexpr (kMax) {
                const T v = p[ch * isc];
                if (v > acc[ch]) acc[ch] = v;
              } else {
                acc[ch] += static_cast<Acc>(p[ch * isc]);
              }
            }
          }
        T* q = ob + y * osh + x * osw;
        const int64_t count = std::max<int64_t>(0, ye - ys) * std::max<int64_t>(0, xe - xs);
        for (int64_t ch = 0; ch < c; ++ch) {
          if constexpr (kMax) {
            q[ch * osc] = acc[ch];
          } else {
            q[ch * osc] = static_cast<T>(count > 0 ? acc[ch] / static_cast<Acc>(count) : Acc(0));
          }
        }
      }
    }
  }
}

absl::Status RunPool(KernelContext* ctx, bool is_max, const PoolSpec& s) {
  const Tensor& in = ctx->input(0);
  if (in.rank() != 4) {
    return ctx->Error(absl::StrCat("input must be 4-dimensional, got ", ShapeStr(in)));
  }
  const bool nhwc = s.fmt == nn::DataFormat::kNHWC;
  const int hi = nhwc ? 1 : 2, wi = nhwc ? 2 : 3, ci = nhwc ? 3 : 1;
  nn::Window wh, ww;
  const int64_t ep_t = s.explicit_paddings.size() == 8 ? s.explicit_paddings[2 * hi] : 0;
  const int64_t ep_b = s.explicit_paddings.size() == 8 ? s.explicit_paddings[2 * hi + 1] : 0;
  const int64_t ep_l = s.explicit_paddings.size() == 8 ? s.explicit_paddings[2 * wi] : 0;
  const int64_t ep_r = s.explicit_paddings.size() == 8 ? s.explicit_paddings[2 * wi + 1] : 0;
  absl::Status st =
      nn::ComputeWindow(in.dim(hi), s.ksize[hi], 1, s.strides[hi], s.padding, ep_t, ep_b, &wh);
  if (st.ok())
    st = nn::ComputeWindow(in.dim(wi), s.ksize[wi], 1, s.strides[wi], s.padding, ep_l, ep_r, &ww);
  if (!st.ok()) return ctx->Error(st.message());
  if (s.padding == nn::Padding::kExplicit &&
      (ep_t >= s.ksize[hi] || ep_b >= s.ksize[hi] || ep_l >= s.ksize[wi] || ep_r >= s.ksize[wi])) {
    return ctx->Error("Explicit padding must be less than the window size");
  }
  std::vector<int64_t> od(4);
  od[0] = in.dim(0);
  od[hi] = wh.out;
  od[wi] = ww.out;
  od[ci] = in.dim(ci);
  Tensor out = Tensor::Empty(in.dtype(), TensorShape(od));
  const int64_t n = in.dim(0), c = in.dim(ci);
  const int64_t ih = in.dim(hi), iw = in.dim(wi);
  const int64_t in_img = ih * iw * c, out_img = wh.out * ww.out * c;
  auto run = [&]<typename T, bool kMax>(const Tensor& src, Tensor* dst) {
    const T* ip = src.data<T>();
    T* op = dst->data<T>();
    nn::ParallelFor(ctx, n, static_cast<double>(out_img) * s.ksize[hi] * s.ksize[wi],
                    [&](int64_t b0, int64_t b1) {
                      Pool<T, kMax>(ip + b0 * in_img, op + b0 * out_img, b1 - b0, ih, iw, c, wh, ww,
                                    s.ksize[hi], s.ksize[wi], s.strides[hi], s.strides[wi], nhwc);
                    });
  };
  if (out.NumElements() == 0) {
    ctx->set_output(0, out);
    return absl::OkStatus();
  }
  const DType d = in.dtype();
  if (nn::IsHalfLike(d)) {
    Tensor f = nn::ToFloat(in);
    Tensor fo = Tensor::Empty(DType::kFloat, out.shape());
    if (is_max) {
      run.template operator()<float, true>(f, &fo);
    } else {
      run.template operator()<float, false>(f, &fo);
    }
    ctx->set_output(0, nn::FromFloat(fo, d));
    return absl::OkStatus();
  }
  if (!is_max) {
    if (d == DType::kFloat) {
      run.template operator()<float, false>(in, &out);
    } else if (d == DType::kDouble) {
      run.template operator()<double, false>(in, &out);
    } else {
      return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(d)));
    }
    ctx->set_output(0, out);
    return absl::OkStatus();
  }
  bool ok = d != DType::kBool && DispatchNumeric(d, [&]<typename T>() {
              if constexpr (!std::is_same_v<T, bool>) run.template operator()<T, true>(in, &out);
            });
  if (!ok) return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(d)));
  ctx->set_output(0, out);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int64_t>> ReadIntList(const KernelContext* ctx, int i,
                                                 const char* what) {
  const Tensor& t = ctx->input(i);
  if (t.rank() != 1 || (t.dtype() != DType::kInt32 && t.dtype() != DType::kInt64)) {
    return absl::InvalidArgumentError(absl::StrCat(what, " must be a 1-D int32 tensor, got ",
                                                   DTypeName(t.dtype()), " ", ShapeStr(t)));
  }
  std::vector<int64_t> v(t.NumElements());
  for (size_t k = 0; k < v.size(); ++k) {
    v[k] = t.dtype() == DType::kInt32 ? t.data<int32_t>()[k] : t.data<int64_t>()[k];
  }
  return v;
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakePool(const KernelInit& init) {
  const bool is_max = init.op() != "AvgPool";
  const bool v2 = init.op() == "MaxPoolV2";
  PoolSpec s;
  TFM_RETURN_IF_ERROR(nn::GetDataFormat(init, &s.fmt));
  TFM_RETURN_IF_ERROR(nn::GetPadding(init, /*allow_explicit=*/init.op() == "MaxPool", &s.padding));
  if (init.num_inputs() != (v2 ? 3 : 1))
    return init.Error(absl::StrCat("expects ", v2 ? 3 : 1, " inputs"));
  if (s.padding == nn::Padding::kExplicit) {
    TFM_RETURN_IF_ERROR(init.GetAttr("explicit_paddings", &s.explicit_paddings));
    if (s.explicit_paddings.size() != 8) {
      return init.Error(absl::StrCat("explicit_paddings attribute must contain 8 values, got ",
                                     s.explicit_paddings.size()));
    }
    const int ci = s.fmt == nn::DataFormat::kNHWC ? 3 : 1;
    for (int64_t p : s.explicit_paddings) {
      if (p < 0) return init.Error("All explicit paddings must be nonnegative");
    }
    if (s.explicit_paddings[0] || s.explicit_paddings[1] || s.explicit_paddings[2 * ci] ||
        s.explicit_paddings[2 * ci + 1]) {
      return init.Error(
          "Nonzero explicit padding in the batch or depth dimensions is not supported");
    }
  }
  if (!v2) {
    TFM_RETURN_IF_ERROR(init.GetAttr("ksize", &s.ksize));
    TFM_RETURN_IF_ERROR(init.GetAttr("strides", &s.strides));
    std::string err;
    if (!CheckWindowAttrs(s.ksize, s.strides, s.fmt, &err).ok()) return init.Error(err);
  }
  return MakeKernel([is_max, v2, s](KernelContext* ctx) -> absl::Status {
    if (!v2) return RunPool(ctx, is_max, s);
    PoolSpec s2 = s;
    auto k = ReadIntList(ctx, 1, "ksize");
    if (!k.ok()) return ctx->Error(k.status().message());
    auto st = ReadIntList(ctx, 2, "strides");
    if (!st.ok()) return ctx->Error(st.status().message());
    s2.ksize = *k;
    s2.strides = *st;
    std::string err;
    if (!CheckWindowAttrs(s2.ksize, s2.strides, s2.fmt, &err).ok()) return ctx->Error(err);
    return RunPool(ctx, is_max, s2);
  });
}

}  // namespace

void RegisterPoolingKernels(KernelRegistry& r) {
  r.Register("MaxPool", MakePool);
  r.Register("MaxPoolV2", MakePool);
  r.Register("AvgPool", MakePool);
}

}  // namespace tfmodel::runtime
