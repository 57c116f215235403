// Less common neural-network ops found in exported graphs: LRN (local response
// normalization, AlexNet/GoogLeNet-era models), Dilation2D (grayscale morphology), the
// softmax cross-entropy losses (eval graphs) and SparseSoftmax.
//
// LRN: out = in / (bias + alpha * sum_{|j-d| <= depth_radius} in[..., j]^2)^beta over the
// last dim of a 4-D input. Dilation2D: out[b, y, x, c] = max over the window of
// in[b, y*sh + dy*rh - pad_top, x*sw + dx*rw - pad_left, c] + filter[dy, dx, c], padding
// ignored. Losses return (loss [batch], backprop [batch, classes]) with
// backprop = softmax(logits) - labels; sparse labels outside [0, classes) fail.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "runtime/kernels/arity.h"
#include "runtime/kernels/array_util.h"
#include "runtime/kernels/broadcast.h"
#include "runtime/kernels/nn_util.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;
using array_util::ShapeStr;

// Runs fn.template operator()<T>() on float or double, after converting half-likes.
template <typename Fn>
absl::Status WithFloatType(KernelContext* ctx, const Tensor& t, Fn&& fn) {
  switch (t.dtype()) {
    case DType::kFloat:
    case DType::kHalf:
    case DType::kBFloat16:
      fn.template operator()<float>();
      return absl::OkStatus();
    case DType::kDouble:
      fn.template operator()<double>();
      return absl::OkStatus();
    default:
      return array_util::UnsupportedDType(ctx, t.dtype());
  }
}

// ---- LRN ----

Result MakeLrn(const KernelInit& init) {
  int64_t radius = 5;
  float bias = 1.0f, alpha = 1.0f, beta = 0.5f;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("depth_radius", &radius));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("bias", &bias));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("alpha", &alpha));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("beta", &beta));
  if (radius < 0) return init.Error(absl::StrCat("depth_radius = ", radius, " must be >= 0"));
  return MakeKernel([=](KernelContext* ctx) -> absl::Status {
    const Tensor& in0 = ctx->input(0);
    if (in0.rank() != 4) {
      return ctx->Error(absl::StrCat("in must be 4-dimensional, got ", ShapeStr(in0.shape())));
    }
    const DType dt = in0.dtype();
    const Tensor in = IsHalfLike(dt) ? HalfLikeToFloat(in0) : in0;
    Tensor out = Tensor::Empty(in.dtype(), in.shape());
    const int64_t depth = in.dim(3), rows = depth == 0 ? 0 : in.NumElements() / depth;
    TFM_RETURN_IF_ERROR(WithFloatType(ctx, in, [&]<typename T>() {
      const T* x = in.data<T>();
      T* y = out.data<T>();
      for (int64_t r = 0; r < rows; ++r) {
        const T* xr = x + r * depth;
        for (int64_t d = 0; d < depth; ++d) {
          const int64_t lo = std::max<int64_t>(0, d - radius);
          const int64_t hi = std::min<int64_t>(depth - 1, d + radius);
          T sum = 0;
          for (int64_t j = lo; j <= hi; ++j) sum += xr[j] * xr[j];
          y[r * depth + d] = xr[d] / std::pow(static_cast<T>(bias) + static_cast<T>(alpha) * sum,
                                              static_cast<T>(beta));
        }
      }
    }));
    ctx->set_output(0, IsHalfLike(dt) ? FloatToHalfLike(out, dt) : out);
    return absl::OkStatus();
  });
}

// ---- Dilation2D ----

Result MakeDilation2D(const KernelInit& init) {
  std::vector<int64_t> strides, rates;
  TFM_RETURN_IF_ERROR(init.GetAttr("strides", &strides));
  TFM_RETURN_IF_ERROR(init.GetAttr("rates", &rates));
  nn::Padding padding;
  TFM_RETURN_IF_ERROR(nn::GetPadding(init, false, &padding));
  if (strides.size() != 4 || rates.size() != 4 || strides[0] != 1 || strides[3] != 1 ||
      rates[0] != 1 || rates[3] != 1) {
    return init.Error("strides and rates must be [1, h, w, 1]");
  }
  if (strides[1] <= 0 || strides[2] <= 0 || rates[1] <= 0 || rates[2] <= 0) {
    return init.Error("strides and rates must be positive");
  }
  return MakeKernel([=](KernelContext* ctx) -> absl::Status {
    const Tensor& in = ctx->input(0);
    const Tensor& f = ctx->input(1);
    if (in.rank() != 4)
      return ctx->Error(absl::StrCat("input must be 4-dimensional: ", ShapeStr(in.shape())));
    if (f.rank() != 3)
      return ctx->Error(absl::StrCat("filter must be 3-dimensional: ", ShapeStr(f.shape())));
    if (f.dtype() != in.dtype()) return ctx->Error("input and filter must have the same dtype");
    const int64_t n = in.dim(0), ih = in.dim(1), iw = in.dim(2), c = in.dim(3);
    const int64_t fh = f.dim(0), fw = f.dim(1);
    if (f.dim(2) != c) {
      return ctx->Error(
          absl::StrCat("input and filter must have the same depth: ", c, " vs ", f.dim(2)));
    }
    nn::Window wh, ww;
    absl::Status st = nn::ComputeWindow(ih, fh, rates[1], strides[1], padding, 0, 0, &wh);
    if (st.ok()) st = nn::ComputeWindow(iw, fw, rates[2], strides[2], padding, 0, 0, &ww);
    if (!st.ok()) return ctx->Error(st.message());
    const DType dt = in.dtype();
    const bool half = IsHalfLike(dt);
    const Tensor x = half ? HalfLikeToFloat(in) : in, w = half ? HalfLikeToFloat(f) : f;
    Tensor out = Tensor::Empty(x.dtype(), TensorShape{n, wh.out, ww.out, c});
    bool ok = DispatchReal(x.dtype(), [&]<typename T>() {
      const T* xp = x.data<T>();
      const T* fp = w.data<T>();
      T* o = out.data<T>();
      for (int64_t b = 0; b < n; ++b)
        for (int64_t y = 0; y < wh.out; ++y)
          for (int64_t xo = 0; xo < ww.out; ++xo)
            for (int64_t ch = 0; ch < c; ++ch) {
              T best = std::numeric_limits<T>::lowest();
              for (int64_t dy = 0; dy < fh; ++dy) {
                const int64_t iy = y * strides[1] + dy * rates[1] - wh.pad_before;
                if (iy < 0 || iy >= ih) continue;
                for (int64_t dx = 0; dx < fw; ++dx) {
                  const int64_t ix = xo * strides[2] + dx * rates[2] - ww.pad_before;
                  if (ix < 0 || ix >= iw) continue;
                  const T v = xp[((b * ih + iy) * iw + ix) * c + ch] + fp[(dy * fw + dx) * c + ch];
                  if (v > best) best = v;
                }
              }
              o[((b * wh.out + y) * ww.out + xo) * c + ch] = best;
            }
    });
    if (!ok) return array_util::UnsupportedDType(ctx, dt);
    ctx->set_output(0, half ? FloatToHalfLike(out, dt) : out);
    return absl::OkStatus();
  });
}

// ---- softmax cross-entropy ----

// Writes loss[b] and backprop[b, :] for one row of logits and a label distribution.
template <typename T>
void XentRow(const T* logits, int64_t classes, const std::function<T(int64_t)>& label, T* loss,
             T* backprop) {
  T mx = std::numeric_limits<T>::lowest();
  for (int64_t j = 0; j < classes; ++j) mx = std::max(mx, logits[j]);
  T sum = 0;
  for (int64_t j = 0; j < classes; ++j) sum += std::exp(logits[j] - mx);
  const T log_sum = std::log(sum);
  T l = 0;
  for (int64_t j = 0; j < classes; ++j) {
    const T log_p = logits[j] - mx - log_sum;
    const T y = label(j);
    if (y != T(0)) l -= y * log_p;
    backprop[j] = std::exp(log_p) - y;
  }
  *loss = l;
}

Result MakeXent(const KernelInit& init) {
  const bool sparse = init.op() == "SparseSoftmaxCrossEntropyWithLogits";
  return MakeKernel([sparse](KernelContext* ctx) -> absl::Status {
    const Tensor& f0 = ctx->input(0);
    const Tensor& labels0 = ctx->input(1);
    if (f0.rank() != 2) {
      return ctx->Error(absl::StrCat("logits must be 2-dimensional, got ", ShapeStr(f0.shape())));
    }
    const int64_t batch = f0.dim(0), classes = f0.dim(1);
    const DType dt = f0.dtype();
    const bool half = IsHalfLike(dt);
    const Tensor f = half ? HalfLikeToFloat(f0) : f0;
    std::vector<int64_t> ids;
    Tensor labels;
    if (sparse) {
      if (labels0.rank() != 1 || labels0.dim(0) != batch) {
        return ctx->Error(absl::StrCat("labels must be 1-D with logits' batch size ", batch,
                                       ", got ", ShapeStr(labels0.shape())));
      }
      TFM_ASSIGN_OR_RETURN(ids, array_util::ReadInts(ctx, labels0, "labels"));
      for (int64_t id : ids) {
        if (id < 0 || id >= classes) {
          return ctx->Error(absl::StrCat("Received a label value of ", id,
                                         " which is outside the valid range of [0, ", classes,
                                         ")."));
        }
      }
    } else {
      if (labels0.dtype() != dt) return ctx->Error("logits and labels must have the same dtype");
      const bool fits = labels0.rank() == 2 && (labels0.dim(0) == batch || labels0.dim(0) == 1) &&
                        (labels0.dim(1) == classes || labels0.dim(1) == 1);
      if (!fits) {
        return ctx->Error(absl::StrCat(
            "logits and labels must be broadcastable: logits_size=", ShapeStr(f0.shape()),
            " labels_size=", ShapeStr(labels0.shape())));
      }
      labels = half ? HalfLikeToFloat(labels0) : labels0;
    }
    Tensor loss = Tensor::Empty(f.dtype(), TensorShape{batch});
    Tensor back = Tensor::Empty(f.dtype(), TensorShape{batch, classes});
    TFM_RETURN_IF_ERROR(WithFloatType(ctx, f, [&]<typename T>() {
      for (int64_t b = 0; b < batch; ++b) {
        std::function<T(int64_t)> label;
        if (sparse) {
          label = [&, b](int64_t j) { return j == ids[b] ? T(1) : T(0); };
        } else {
          const int64_t rb = labels.dim(0) == 1 ? 0 : b;
          const bool bc = labels.dim(1) == 1;
          label = [&, rb, bc](int64_t j) {
            return labels.data<T>()[rb * labels.dim(1) + (bc ? 0 : j)];
          };
        }
        XentRow<T>(f.data<T>() + b * classes, classes, label, loss.data<T>() + b,
                   back.data<T>() + b * classes);
      }
    }));
    ctx->set_output(0, half ? FloatToHalfLike(loss, dt) : loss);
    ctx->set_output(1, half ? FloatToHalfLike(back, dt) : back);
    return absl::OkStatus();
  });
}

// ---- SparseSoftmax ----

Result MakeSparseSoftmax(const KernelInit&) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    const Tensor& idx = ctx->input(0);
    const Tensor& vals0 = ctx->input(1);
    const Tensor& shape = ctx->input(2);
    if (idx.rank() != 2 || idx.dtype() != DType::kInt64) {
      return ctx->Error(
          absl::StrCat("sp_indices must be a 2-D int64 matrix, got ", ShapeStr(idx.shape())));
    }
    if (vals0.rank() != 1 || vals0.dim(0) != idx.dim(0)) {
      return ctx->Error(absl::StrCat("sp_values must be a vector with one value per index, got ",
                                     ShapeStr(vals0.shape())));
    }
    if (shape.rank() != 1 || shape.dim(0) != idx.dim(1) || shape.dim(0) < 2) {
      return ctx->Error(absl::StrCat("sp_shape must be a vector of the indices' rank (>= 2), got ",
                                     ShapeStr(shape.shape())));
    }
    const int64_t nnz = idx.dim(0), rank = idx.dim(1);
    const DType dt = vals0.dtype();
    const Tensor vals = IsHalfLike(dt) ? HalfLikeToFloat(vals0) : vals0;
    Tensor out = Tensor::Empty(vals.dtype(), vals.shape());
    TFM_RETURN_IF_ERROR(WithFloatType(ctx, vals, [&]<typename T>() {
      // Group by every index but the last.
      std::map<std::vector<int64_t>, std::vector<int64_t>> groups;
      const int64_t* ip = idx.data<int64_t>();
      for (int64_t i = 0; i < nnz; ++i) {
        groups[std::vector<int64_t>(ip + i * rank, ip + (i + 1) * rank - 1)].push_back(i);
      }
      const T* v = vals.data<T>();
      T* o = out.data<T>();
      for (const auto& [key, members] : groups) {
        T mx = std::numeric_limits<T>::lowest();
        for (int64_t i : members) mx = std::max(mx, v[i]);
        T sum = 0;
        for (int64_t i : members) sum += std::exp(v[i] - mx);
        for (int64_t i : members) o[i] = std::exp(v[i] - mx) / sum;
      }
    }));
    ctx->set_output(0, IsHalfLike(dt) ? FloatToHalfLike(out, dt) : out);
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterNnMiscKernels(KernelRegistry& r) {
  r.Register("LRN", WithInputs(1, MakeLrn));
  r.Register("Dilation2D", WithInputs(2, MakeDilation2D));
  r.Register("SoftmaxCrossEntropyWithLogits", WithInputs(2, MakeXent));
  r.Register("SparseSoftmaxCrossEntropyWithLogits", WithInputs(2, MakeXent));
  r.Register("SparseSoftmax", WithInputs(3, MakeSparseSoftmax));
}

}  // namespace tfmodel::runtime
