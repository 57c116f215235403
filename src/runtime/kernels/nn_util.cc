#define EIGEN_USE_THREADS
#include "runtime/kernels/nn_util.h"

#include <dlfcn.h>

#include <unsupported/Eigen/CXX11/Tensor>

#include "absl/strings/str_cat.h"

namespace tfmodel::runtime::nn {

absl::Status GetDataFormat(const KernelInit& init, DataFormat* f) {
  std::string s = "NHWC";
  TFM_RETURN_IF_ERROR(init.GetAttrOr("data_format", &s));
  if (s == "NHWC") {
    *f = DataFormat::kNHWC;
  } else if (s == "NCHW") {
    *f = DataFormat::kNCHW;
  } else {
    return init.Error(absl::StrCat("Invalid data format '", s, "' (expected NHWC or NCHW)"));
  }
  return absl::OkStatus();
}

absl::Status GetPadding(const KernelInit& init, bool allow_explicit, Padding* p) {
  std::string s;
  TFM_RETURN_IF_ERROR(init.GetAttr("padding", &s));
  if (s == "SAME") {
    *p = Padding::kSame;
  } else if (s == "VALID") {
    *p = Padding::kValid;
  } else if (s == "EXPLICIT" && allow_explicit) {
    *p = Padding::kExplicit;
  } else {
    return init.Error(absl::StrCat("Invalid padding '", s, "' (expected SAME, VALID",
                                   allow_explicit ? " or EXPLICIT" : "", ")"));
  }
  return absl::OkStatus();
}

absl::Status ComputeWindow(int64_t in, int64_t ksize, int64_t dilation, int64_t stride,
                           Padding padding, int64_t explicit_before, int64_t explicit_after,
                           Window* w) {
  if (stride <= 0)
    return absl::InvalidArgumentError(absl::StrCat("Stride must be > 0, got ", stride));
  if (dilation <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("Dilation rate must be >= 1, got ", dilation));
  }
  if (ksize <= 0)
    return absl::InvalidArgumentError(absl::StrCat("Window size must be > 0, got ", ksize));
  if (ksize > (int64_t{1} << 40) || dilation > (int64_t{1} << 20) || stride > (int64_t{1} << 40)) {
    return absl::InvalidArgumentError("Window size, stride or dilation too large");
  }
  const int64_t eff = (ksize - 1) * dilation + 1;
  switch (padding) {
    case Padding::kValid:
      w->out = (in - eff + stride) / stride;
      w->pad_before = w->pad_after = 0;
      break;
    case Padding::kSame: {
      w->out = (in + stride - 1) / stride;
      const int64_t needed = std::max<int64_t>(0, (w->out - 1) * stride + eff - in);
      w->pad_before = needed / 2;
      w->pad_after = needed - w->pad_before;
      break;
    }
    case Padding::kExplicit:
      if (explicit_before < 0 || explicit_after < 0) {
        return absl::InvalidArgumentError("Explicit paddings must be nonnegative");
      }
      w->out = (in + explicit_before + explicit_after - eff + stride) / stride;
      w->pad_before = explicit_before;
      w->pad_after = explicit_after;
      break;
  }
  if (w->out < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("Computed output size would be negative: ", w->out, " [input_size: ", in,
                     ", effective_filter_size: ", eff, ", stride: ", stride, "]"));
  }
  return absl::OkStatus();
}

int NumThreads(const KernelContext* ctx) {
  if (ctx == nullptr || ctx->device() == nullptr) return 1;
  return std::max(1, ctx->device()->numThreads());
}

namespace {
// libdnnl pulls in the OpenMP runtime; look its thread-count functions up at run time so
// that the runtime layer does not need to link OpenMP itself.
using GetFn = int (*)();
using SetFn = void (*)(int);
struct OmpFns {
  GetFn get = nullptr;
  SetFn set = nullptr;
};
const OmpFns& Omp() {
  static const OmpFns fns = [] {
    OmpFns f;
    f.get = reinterpret_cast<GetFn>(dlsym(RTLD_DEFAULT, "omp_get_max_threads"));
    f.set = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
    if (f.get == nullptr || f.set == nullptr) f = OmpFns{};
    return f;
  }();
  return fns;
}
}  // namespace

ScopedOmpThreads::ScopedOmpThreads(int n) {
  const OmpFns& f = Omp();
  if (f.get == nullptr) return;
  int cur = f.get();
  if (cur != n) {
    previous_ = cur;
    f.set(n);
  }
}

ScopedOmpThreads::~ScopedOmpThreads() {
  if (previous_ > 0) Omp().set(previous_);
}

Tensor ToFloat(const Tensor& t) {
  if (t.dtype() == DType::kFloat) return t;
  Tensor out = Tensor::Empty(DType::kFloat, t.shape());
  float* o = out.data<float>();
  const int64_t n = t.NumElements();
  if (t.dtype() == DType::kHalf) {
    for (int64_t i = 0; i < n; ++i) o[i] = t.data<Half>()[i].ToFloat();
  } else {
    for (int64_t i = 0; i < n; ++i) o[i] = t.data<BFloat16>()[i].ToFloat();
  }
  return out;
}

Tensor FromFloat(const Tensor& t, DType dtype) {
  if (dtype == DType::kFloat) return t;
  Tensor out = Tensor::Empty(dtype, t.shape());
  const float* in = t.data<float>();
  const int64_t n = t.NumElements();
  if (dtype == DType::kHalf) {
    for (int64_t i = 0; i < n; ++i) out.data<Half>()[i] = Half::FromFloat(in[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) out.data<BFloat16>()[i] = BFloat16::FromFloat(in[i]);
  }
  return out;
}

void ParallelFor(const KernelContext* ctx, int64_t n, double cost_per_unit,
                 const std::function<void(int64_t, int64_t)>& fn) {
  ParallelFor(ctx == nullptr ? nullptr : ctx->device(), n, cost_per_unit, fn);
}

void ParallelFor(const Eigen::ThreadPoolDevice* device, int64_t n, double cost_per_unit,
                 const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (device == nullptr || device->numThreads() <= 1 || n * cost_per_unit < 50000) {
    fn(0, n);
    return;
  }
  device->parallelFor(n, Eigen::TensorOpCost(0, 0, cost_per_unit),
                      [&fn](Eigen::Index b, Eigen::Index e) { fn(b, e); });
}

std::string ShapeStr(const Tensor& t) { return t.shape().ToString(); }

}  // namespace tfmodel::runtime::nn
