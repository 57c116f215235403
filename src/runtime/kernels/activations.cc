// Activations (Relu, Relu6, Elu, Selu, LeakyRelu, Softplus, Softsign), Softmax and
// LogSoftmax over the last axis, BiasAdd / BiasAddV1 and L2Loss, with TF's formulas.
// half and bfloat16 compute in float.
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "runtime/kernel.h"
#include "runtime/kernels/fused_epilogue.h"
#include "runtime/kernels/nn_util.h"

namespace tfmodel::runtime {
namespace {

using nn::ShapeStr;

// Applies fn elementwise to float/double (and half/bfloat16 via float); `ints` also allows
// the integer types (for Relu/Relu6).
template <bool kInts, typename Fn>
absl::Status UnaryOp(KernelContext* ctx, Fn fn) {
  const Tensor& in = ctx->input(0);
  const int64_t n = in.NumElements();
  auto run = [&]<typename T>(const Tensor& src) -> Tensor {
    Tensor out = Tensor::Empty(src.dtype(), src.shape());
    const T* s = src.data<T>();
    T* d = out.data<T>();
    nn::ParallelFor(ctx, n, 4, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) d[i] = fn(s[i]);
    });
    return out;
  };
  switch (in.dtype()) {
    case DType::kFloat:
      ctx->set_output(0, run.template operator()<float>(in));
      return absl::OkStatus();
    case DType::kDouble:
      ctx->set_output(0, run.template operator()<double>(in));
      return absl::OkStatus();
    case DType::kHalf:
    case DType::kBFloat16:
      ctx->set_output(0,
                      nn::FromFloat(run.template operator()<float>(nn::ToFloat(in)), in.dtype()));
      return absl::OkStatus();
    default:
      break;
  }
  if constexpr (kInts) {
    bool done = false;
    switch (in.dtype()) {
      case DType::kInt32:
        ctx->set_output(0, run.template operator()<int32_t>(in));
        done = true;
        break;
      case DType::kInt64:
        ctx->set_output(0, run.template operator()<int64_t>(in));
        done = true;
        break;
      case DType::kInt8:
        ctx->set_output(0, run.template operator()<int8_t>(in));
        done = true;
        break;
      case DType::kInt16:
        ctx->set_output(0, run.template operator()<int16_t>(in));
        done = true;
        break;
      case DType::kUInt8:
        ctx->set_output(0, run.template operator()<uint8_t>(in));
        done = true;
        break;
      case DType::kUInt16:
        ctx->set_output(0, run.template operator()<uint16_t>(in));
        done = true;
        break;
      case DType::kUInt32:
        ctx->set_output(0, run.template operator()<uint32_t>(in));
        done = true;
        break;
      case DType::kUInt64:
        ctx->set_output(0, run.template operator()<uint64_t>(in));
        done = true;
        break;
      default:
        break;
    }
    if (done) return absl::OkStatus();
  }
  return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(in.dtype())));
}

template <bool kInts, typename MakeFn>
void RegisterUnary(KernelRegistry& r, const std::string& op, MakeFn make) {
  r.Register(op, [make](const KernelInit& init) -> absl::StatusOr<std::unique_ptr<OpKernel>> {
    if (init.num_inputs() != 1) return init.Error("expects 1 input");
    float alpha = 0.2f;
    TFM_RETURN_IF_ERROR(init.GetAttrOr("alpha", &alpha));
    return MakeKernel([make, alpha](KernelContext* ctx) {
      return UnaryOp<kInts>(ctx, [&](auto x) { return make(x, alpha); });
    });
  });
}

// Relu / Relu6 (`six`): float and double through Eigen arrays (max/min as TF's Eigen
// expressions, vectorized); other dtypes through UnaryOp.
absl::StatusOr<std::unique_ptr<OpKernel>> MakeRelu(const KernelInit& init) {
  if (init.num_inputs() != 1) return init.Error("expects 1 input");
  BiasEpilogue e;
  e.act = init.op() == "Relu6" ? FusedActivation::kRelu6 : FusedActivation::kRelu;
  return MakeKernel([e](KernelContext* ctx) -> absl::Status {
    const Tensor& in = ctx->input(0);
    auto vec = [&]<typename T>() {
      Tensor out = Tensor::Empty(in.dtype(), in.shape());
      const T* s = in.data<T>();
      T* d = out.data<T>();
      nn::ParallelFor(ctx, in.NumElements(), 2, [&](int64_t b, int64_t end) {
        ApplyBiasEpilogue<T>(e, s + b, nullptr, 1, end - b, 1, d + b);
      });
      ctx->set_output(0, std::move(out));
    };
    if (in.dtype() == DType::kFloat) {
      vec.template operator()<float>();
      return absl::OkStatus();
    }
    if (in.dtype() == DType::kDouble) {
      vec.template operator()<double>();
      return absl::OkStatus();
    }
    if (e.act == FusedActivation::kRelu6) {
      return UnaryOp<true>(ctx, [](auto x) {
        using T = decltype(x);
        return x > T(0) ? (x < T(6) ? x : T(6)) : T(0);
      });
    }
    return UnaryOp<true>(ctx, [](auto x) {
      using T = decltype(x);
      return x > T(0) ? x : T(0);
    });
  });
}

template <typename T>
T SoftplusOf(T x) {
  // As TF: thresholds at log(epsilon) + 2 to avoid overflow of exp and loss of precision.
  static const T threshold = std::log(std::numeric_limits<T>::epsilon()) + T(2);
  if (x > -threshold) return x;
  if (x < threshold) return std::exp(x);
  return std::log1p(std::exp(x));
}

// Softmax / LogSoftmax along the last axis of a rank >= 1 tensor.
template <typename T>
void SoftmaxRows(const T* in, T* out, int64_t rows, int64_t depth, bool log) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* x = in + r * depth;
    T* y = out + r * depth;
    T mx = -std::numeric_limits<T>::infinity();
    for (int64_t i = 0; i < depth; ++i) mx = std::max(mx, x[i]);
    T sum = 0;
    if (log) {
      for (int64_t i = 0; i < depth; ++i) {
        y[i] = x[i] - mx;
        sum += std::exp(y[i]);
      }
      const T ls = std::log(sum);
      for (int64_t i = 0; i < depth; ++i) y[i] -= ls;
    } else {
      for (int64_t i = 0; i < depth; ++i) {
        y[i] = std::exp(x[i] - mx);
        sum += y[i];
      }
      const T inv = T(1) / sum;
      for (int64_t i = 0; i < depth; ++i) y[i] *= inv;
    }
  }
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeSoftmax(const KernelInit& init) {
  if (init.num_inputs() != 1) return init.Error("expects 1 input");
  const bool log = init.op() == "LogSoftmax";
  return MakeKernel([log](KernelContext* ctx) -> absl::Status {
    const Tensor& in = ctx->input(0);
    if (in.rank() < 1) {
      return ctx->Error(absl::StrCat("logits must have >= 1 dimension, got ", ShapeStr(in)));
    }
    const int64_t depth = in.dim(in.rank() - 1);
    const int64_t rows = depth == 0 ? 0 : in.NumElements() / depth;
    auto run = [&]<typename T>(const Tensor& src) {
      Tensor out = Tensor::Empty(src.dtype(), src.shape());
      const T* s = src.data<T>();
      T* d = out.data<T>();
      nn::ParallelFor(ctx, rows, 10.0 * depth, [&](int64_t b, int64_t e) {
        SoftmaxRows<T>(s + b * depth, d + b * depth, e - b, depth, log);
      });
      return out;
    };
    switch (in.dtype()) {
      case DType::kFloat:
        ctx->set_output(0, run.template operator()<float>(in));
        break;
      case DType::kDouble:
        ctx->set_output(0, run.template operator()<double>(in));
        break;
      case DType::kHalf:
      case DType::kBFloat16:
        ctx->set_output(0,
                        nn::FromFloat(run.template operator()<float>(nn::ToFloat(in)), in.dtype()));
        break;
      default:
        return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(in.dtype())));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeBiasAdd(const KernelInit& init) {
  if (init.num_inputs() != 2) return init.Error("expects 2 inputs");
  nn::DataFormat fmt = nn::DataFormat::kNHWC;
  if (init.op() == "BiasAdd") TFM_RETURN_IF_ERROR(nn::GetDataFormat(init, &fmt));
  return MakeKernel([fmt](KernelContext* ctx) -> absl::Status {
    const Tensor& in = ctx->input(0);
    const Tensor& bias = ctx->input(1);
    if (in.rank() < 2) {
      return ctx->Error(absl::StrCat("Input tensor must be at least 2D: ", ShapeStr(in)));
    }
    if (bias.rank() != 1) return ctx->Error(absl::StrCat("Biases must be 1D: ", ShapeStr(bias)));
    if (in.dtype() != bias.dtype()) {
      return ctx->Error(absl::StrCat("value and bias dtypes differ: ", DTypeName(in.dtype()),
                                     " vs. ", DTypeName(bias.dtype())));
    }
    const int cdim = fmt == nn::DataFormat::kNCHW ? 1 : in.rank() - 1;
    const int64_t c = in.dim(cdim);
    if (bias.dim(0) != c) {
      return ctx->Error(
          absl::StrCat("Must provide as many biases as the channel dimension of the input tensor: ",
                       ShapeStr(bias), " vs. ", c, " in ", ShapeStr(in)));
    }
    // in viewed as [outer, c, inner].
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < cdim; ++i) outer *= in.dim(i);
    for (int i = cdim + 1; i < in.rank(); ++i) inner *= in.dim(i);
    Tensor out = Tensor::Empty(in.dtype(), in.shape());
    const Tensor& src = in;
    if (in.dtype() == DType::kFloat || in.dtype() == DType::kDouble) {
      // Vectorized over channels (NHWC, inner = 1) or over inner (NCHW).
      BiasEpilogue e;
      e.bias = true;
      auto vec = [&]<typename T>() {
        nn::ParallelFor(ctx, outer, static_cast<double>(c * inner), [&](int64_t b, int64_t end) {
          const int64_t off = b * c * inner;
          ApplyBiasEpilogue<T>(e, src.data<T>() + off, bias.data<T>(), end - b, c, inner,
                               out.data<T>() + off);
        });
      };
      if (in.dtype() == DType::kFloat) {
        vec.template operator()<float>();
      } else {
        vec.template operator()<double>();
      }
      ctx->set_output(0, out);
      return absl::OkStatus();
    }
    auto run = [&]<typename T>() {
      const T* s = src.data<T>();
      const T* bp = bias.data<T>();
      T* d = out.data<T>();
      nn::ParallelFor(ctx, outer, static_cast<double>(c * inner), [&](int64_t b, int64_t e) {
        for (int64_t o = b; o < e; ++o) {
          for (int64_t ci = 0; ci < c; ++ci) {
            const int64_t base = (o * c + ci) * inner;
            const T bv = bp[ci];
            for (int64_t i = 0; i < inner; ++i) d[base + i] = s[base + i] + bv;
          }
        }
      });
    };
    switch (in.dtype()) {
      case DType::kHalf:
      case DType::kBFloat16: {
        Tensor fs = nn::ToFloat(in), fb = nn::ToFloat(bias);
        Tensor fo = Tensor::Empty(DType::kFloat, in.shape());
        const float* s = fs.data<float>();
        const float* bp = fb.data<float>();
        float* d = fo.data<float>();
        for (int64_t o = 0; o < outer; ++o)
          for (int64_t ci = 0; ci < c; ++ci)
            for (int64_t i = 0; i < inner; ++i) {
              const int64_t k = (o * c + ci) * inner + i;
              d[k] = s[k] + bp[ci];
            }
        ctx->set_output(0, nn::FromFloat(fo, in.dtype()));
        return absl::OkStatus();
      }
      case DType::kBool:
      case DType::kString:
        return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(in.dtype())));
      default:
        break;
    }
    bool ok = DispatchNumeric(in.dtype(), [&]<typename T>() {
      if constexpr (!std::is_same_v<T, bool>) run.template operator()<T>();
    });
    if (!ok) return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(in.dtype())));
    ctx->set_output(0, out);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeL2Loss(const KernelInit& init) {
  if (init.num_inputs() != 1) return init.Error("expects 1 input");
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    const Tensor& in = ctx->input(0);
    const int64_t n = in.NumElements();
    switch (in.dtype()) {
      case DType::kDouble: {
        double s = 0;
        for (int64_t i = 0; i < n; ++i) s += in.data<double>()[i] * in.data<double>()[i];
        ctx->set_output(0, Tensor::Scalar<double>(s / 2));
        return absl::OkStatus();
      }
      case DType::kFloat:
      case DType::kHalf:
      case DType::kBFloat16: {
        Tensor f = nn::ToFloat(in);
        double s = 0;
        for (int64_t i = 0; i < n; ++i)
          s += static_cast<double>(f.data<float>()[i]) * f.data<float>()[i];
        Tensor out = Tensor::Scalar<float>(static_cast<float>(s / 2));
        ctx->set_output(0, nn::FromFloat(out, in.dtype()));
        return absl::OkStatus();
      }
      default:
        return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(in.dtype())));
    }
  });
}

}  // namespace

void RegisterActivationKernels(KernelRegistry& r) {
  r.Register("Relu", MakeRelu);
  r.Register("Relu6", MakeRelu);
  RegisterUnary<false>(r, "Elu", [](auto x, float) {
    using T = decltype(x);
    return x < T(0) ? static_cast<T>(std::expm1(x)) : x;
  });
  RegisterUnary<false>(r, "Selu", [](auto x, float) {
    using T = decltype(x);
    const T scale = static_cast<T>(1.0507009873554804934193349852946);
    const T scale_alpha = static_cast<T>(1.7580993408473768599402175208123);
    return x < T(0) ? static_cast<T>(scale_alpha * std::expm1(x)) : static_cast<T>(scale * x);
  });
  RegisterUnary<false>(r, "LeakyRelu", [](auto x, float alpha) {
    using T = decltype(x);
    return x > T(0) ? x : static_cast<T>(x * static_cast<T>(alpha));
  });
  RegisterUnary<false>(r, "Softplus", [](auto x, float) { return SoftplusOf(x); });
  RegisterUnary<false>(r, "Softsign", [](auto x, float) {
    using T = decltype(x);
    return static_cast<T>(x / (T(1) + std::abs(x)));
  });
  r.Register("Softmax", MakeSoftmax);
  r.Register("LogSoftmax", MakeSoftmax);
  r.Register("BiasAdd", MakeBiasAdd);
  r.Register("BiasAddV1", MakeBiasAdd);
  r.Register("L2Loss", MakeL2Loss);
}

}  // namespace tfmodel::runtime
