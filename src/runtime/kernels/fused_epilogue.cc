#include "runtime/kernels/fused_epilogue.h"

#include <Eigen/Core>

namespace tfmodel::runtime {
namespace {

template <typename T>
using ArrayMap = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <typename T>
using ConstArrayMap = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

// y = act(x) for an Eigen array expression x (evaluated once into y first).
template <typename T>
void Activate(const BiasEpilogue& e, ArrayMap<T>& y) {
  switch (e.act) {
    case FusedActivation::kNone:
      break;
    case FusedActivation::kRelu:
      y = y.max(T(0));
      break;
    case FusedActivation::kRelu6:
      y = y.max(T(0)).min(T(6));
      break;
    case FusedActivation::kElu:
      y = (y < T(0)).select(y.expm1(), y);
      break;
    case FusedActivation::kLeakyRelu:
      y = (y > T(0)).select(y, y * static_cast<T>(e.alpha));
      break;
    case FusedActivation::kSigmoid:
      y = y.logistic();
      break;
    case FusedActivation::kTanh:
      y = y.tanh();
      break;
  }
}

}  // namespace

std::optional<BiasEpilogue> SimpleBiasEpilogue(const std::vector<std::string>& fused_ops,
                                               float leakyrelu_alpha) {
  if (fused_ops.empty() || fused_ops[0] != "BiasAdd") return std::nullopt;
  BiasEpilogue e;
  e.bias = true;
  e.alpha = leakyrelu_alpha;
  size_t next = 1;
  if (fused_ops.size() > 1 && fused_ops[1] == "Add") {
    e.side = true;
    next = 2;
  }
  if (fused_ops.size() == next) return e;
  if (fused_ops.size() != next + 1) return std::nullopt;
  const std::string& a = fused_ops[next];
  if (a == "Relu") {
    e.act = FusedActivation::kRelu;
  } else if (a == "Relu6") {
    e.act = FusedActivation::kRelu6;
  } else if (a == "Elu") {
    e.act = FusedActivation::kElu;
  } else if (a == "LeakyRelu") {
    e.act = FusedActivation::kLeakyRelu;
  } else if (a == "Sigmoid") {
    e.act = FusedActivation::kSigmoid;
  } else if (a == "Tanh") {
    e.act = FusedActivation::kTanh;
  } else {
    return std::nullopt;
  }
  return e;
}

void AppendActivationPostOp(const BiasEpilogue& e, dnnl::post_ops* ops) {
  using alg = dnnl::algorithm;
  if (e.side) ops->append_sum(1.0f);
  switch (e.act) {
    case FusedActivation::kNone:
      return;
    case FusedActivation::kRelu:
      ops->append_eltwise(1.0f, alg::eltwise_relu, 0.0f, 0.0f);
      return;
    case FusedActivation::kRelu6:
      ops->append_eltwise(1.0f, alg::eltwise_clip, 0.0f, 6.0f);
      return;
    case FusedActivation::kElu:
      ops->append_eltwise(1.0f, alg::eltwise_elu, 1.0f, 0.0f);
      return;
    case FusedActivation::kLeakyRelu:
      ops->append_eltwise(1.0f, alg::eltwise_relu, e.alpha, 0.0f);
      return;
    case FusedActivation::kSigmoid:
      ops->append_eltwise(1.0f, alg::eltwise_logistic, 0.0f, 0.0f);
      return;
    case FusedActivation::kTanh:
      ops->append_eltwise(1.0f, alg::eltwise_tanh, 0.0f, 0.0f);
      return;
  }
}

template <typename T>
void ApplyBiasEpilogue(const BiasEpilogue& e, const T* src, const T* bias, int64_t outer,
                       int64_t channels, int64_t inner, T* dst) {
  if (inner == 1) {
    for (int64_t o = 0; o < outer; ++o) {
      ConstArrayMap<T> x(src + o * channels, channels);
      ArrayMap<T> y(dst + o * channels, channels);
      if (e.bias) {
        y = x + ConstArrayMap<T>(bias, channels);
      } else if (src != dst) {
        y = x;
      }
      Activate<T>(e, y);
    }
    return;
  }
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t c = 0; c < channels; ++c) {
      const int64_t base = (o * channels + c) * inner;
      ConstArrayMap<T> x(src + base, inner);
      ArrayMap<T> y(dst + base, inner);
      if (e.bias) {
        y = x + bias[c];
      } else if (src != dst) {
        y = x;
      }
      Activate<T>(e, y);
    }
  }
}

template void ApplyBiasEpilogue<float>(const BiasEpilogue&, const float*, const float*, int64_t,
                                       int64_t, int64_t, float*);
template void ApplyBiasEpilogue<double>(const BiasEpilogue&, const double*, const double*, int64_t,
                                        int64_t, int64_t, double*);

}  // namespace tfmodel::runtime
