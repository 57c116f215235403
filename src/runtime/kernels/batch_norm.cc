// FusedBatchNorm, FusedBatchNormV2 and FusedBatchNormV3 (x in float, or half/bfloat16
// for V2/V3; scale/offset/mean/variance in float), NHWC or NCHW.
// Inference (is_training=false): y = scale * (x - mean) / sqrt(variance + epsilon) + offset,
// and the other outputs pass mean and variance through (reserve_space_3 is empty).
// Training (is_training=true): batch statistics over N,H,W; y uses the biased variance,
// batch_variance is the Bessel-corrected one, and with exponential_avg_factor != 1 the
// running mean/variance inputs are blended in, as TF's CPU kernel does.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "runtime/kernel.h"
#include "runtime/kernels/nn_util.h"

namespace tfmodel::runtime {
namespace {

using nn::ShapeStr;

struct BnAttrs {
  float epsilon = 1e-4f;
  float exp_avg = 1.0f;
  bool training = true;
  nn::DataFormat fmt = nn::DataFormat::kNHWC;
  bool v3 = false;
};

absl::Status RunBatchNorm(KernelContext* ctx, const BnAttrs& a) {
  if (ctx->num_inputs() != 5) return ctx->Error("expects 5 inputs");
  const Tensor& x_in = ctx->input(0);
  if (x_in.rank() != 4)
    return ctx->Error(absl::StrCat("input must be 4-dimensional: ", ShapeStr(x_in)));
  if (x_in.dtype() != DType::kFloat && !nn::IsHalfLike(x_in.dtype())) {
    return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(x_in.dtype())));
  }
  const bool nhwc = a.fmt == nn::DataFormat::kNHWC;
  const int64_t c = x_in.dim(nhwc ? 3 : 1);
  const char* names[] = {"x", "scale", "offset", "mean", "variance"};
  for (int i = 1; i < 5; ++i) {
    const Tensor& t = ctx->input(i);
    if (t.rank() != 1) {
      return ctx->Error(absl::StrCat(names[i], " must be 1-dimensional: ", ShapeStr(t)));
    }
    if (t.dtype() != DType::kFloat) {
      return ctx->Error(absl::StrCat(names[i], " must be float, got ", DTypeName(t.dtype())));
    }
    const bool may_be_empty = a.training && i >= 3;
    if (t.dim(0) != c && !(may_be_empty && t.dim(0) == 0)) {
      return ctx->Error(absl::StrCat(
          names[i], " must have the same number of elements as the channels of x, got ", t.dim(0),
          " and ", c));
    }
  }
  if (!a.training && (ctx->input(3).dim(0) != c || ctx->input(4).dim(0) != c)) {
    return ctx->Error("mean and variance must have the channel count of x in inference mode");
  }
  const Tensor x = nn::ToFloat(x_in);
  const float* xp = x.data<float>();
  const float* scale = ctx->input(1).data<float>();
  const float* offset = ctx->input(2).data<float>();
  const int64_t n = x.dim(0);
  const int64_t hw = nhwc ? x.dim(1) * x.dim(2) : x.dim(2) * x.dim(3);
  const int64_t rest = n * hw;  // elements per channel
  // Index of element (b, s, ch) where s runs over the spatial positions.
  auto idx = [&](int64_t b, int64_t s, int64_t ch) {
    return nhwc ? (b * hw + s) * c + ch : (b * c + ch) * hw + s;
  };
  Tensor mean_used(DType::kFloat, TensorShape{c}), var_used(DType::kFloat, TensorShape{c});
  Tensor batch_mean(DType::kFloat, TensorShape{c}), batch_var(DType::kFloat, TensorShape{c});
  float* mu = mean_used.data<float>();
  float* vu = var_used.data<float>();
  if (a.training) {
    std::vector<double> sum(c, 0.0), sq(c, 0.0);
    for (int64_t b = 0; b < n; ++b)
      for (int64_t s = 0; s < hw; ++s)
        for (int64_t ch = 0; ch < c; ++ch) sum[ch] += xp[idx(b, s, ch)];
    for (int64_t ch = 0; ch < c; ++ch) mu[ch] = rest > 0 ? static_cast<float>(sum[ch] / rest) : 0.f;
    for (int64_t b = 0; b < n; ++b)
      for (int64_t s = 0; s < hw; ++s)
        for (int64_t ch = 0; ch < c; ++ch) {
          const double d = xp[idx(b, s, ch)] - mu[ch];
          sq[ch] += d * d;
        }
    const bool blend = a.exp_avg != 1.0f && ctx->input(3).dim(0) == c && ctx->input(4).dim(0) == c;
    for (int64_t ch = 0; ch < c; ++ch) {
      vu[ch] = rest > 0 ? static_cast<float>(sq[ch] / rest) : 0.f;
      const float corrected = rest > 1 ? static_cast<float>(sq[ch] / (rest - 1)) : vu[ch];
      float bm = mu[ch], bv = corrected;
      if (blend) {
        const float f = a.exp_avg;
        bm = (1 - f) * ctx->input(3).data<float>()[ch] + f * bm;
        bv = (1 - f) * ctx->input(4).data<float>()[ch] + f * bv;
      }
      batch_mean.data<float>()[ch] = bm;
      batch_var.data<float>()[ch] = bv;
    }
  } else {
    for (int64_t ch = 0; ch < c; ++ch) {
      mu[ch] = ctx->input(3).data<float>()[ch];
      vu[ch] = ctx->input(4).data<float>()[ch];
    }
    batch_mean = ctx->input(3);
    batch_var = ctx->input(4);
  }
  // y = x * k + b with k = scale / sqrt(var + eps), b = offset - mean * k.
  std::vector<float> k(c), bias(c);
  for (int64_t ch = 0; ch < c; ++ch) {
    k[ch] = scale[ch] / std::sqrt(vu[ch] + a.epsilon);
    bias[ch] = offset[ch] - mu[ch] * k[ch];
  }
  Tensor y = Tensor::Empty(DType::kFloat, x.shape());
  float* yp = y.data<float>();
  nn::ParallelFor(ctx, n, static_cast<double>(hw * c) * 2, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      for (int64_t s = 0; s < hw; ++s)
        for (int64_t ch = 0; ch < c; ++ch) {
          const int64_t i = idx(b, s, ch);
          yp[i] = xp[i] * k[ch] + bias[ch];
        }
  });
  ctx->set_output(0, nn::FromFloat(y, x_in.dtype()));
  ctx->set_output(1, batch_mean);
  ctx->set_output(2, batch_var);
  ctx->set_output(3, mean_used);
  ctx->set_output(4, var_used);
  if (a.v3) ctx->set_output(5, Tensor(DType::kFloat, TensorShape{0}));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeBatchNorm(const KernelInit& init) {
  BnAttrs a;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("epsilon", &a.epsilon));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("exponential_avg_factor", &a.exp_avg));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("is_training", &a.training));
  TFM_RETURN_IF_ERROR(nn::GetDataFormat(init, &a.fmt));
  a.v3 = init.op() == "FusedBatchNormV3";
  return MakeKernel([a](KernelContext* ctx) { return RunBatchNorm(ctx, a); });
}

}  // namespace

void RegisterBatchNormKernels(KernelRegistry& r) {
  r.Register("FusedBatchNorm", MakeBatchNorm);
  r.Register("FusedBatchNormV2", MakeBatchNorm);
  r.Register("FusedBatchNormV3", MakeBatchNorm);
}

}  // namespace tfmodel::runtime
