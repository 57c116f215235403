// The epilogue of a fused Conv2D / DepthwiseConv2dNative / MatMul (grappler's
// _FusedConv2D, _FusedDepthwiseConv2dNative, _FusedMatMul) when it is "BiasAdd" followed
// by at most one activation (and, for float convolutions, "BiasAdd", "Add" [+ activation]:
// a residual added element-wise): the form oneDNN runs inside the convolution (bias in the
// primitive, the residual as a sum post-op, the activation as an eltwise post-op) and the
// MatMul kernel applies in one pass over the product. Other fused_ops lists
// (FusedBatchNorm, Gelu...) run op by op in fused_ops.cc.
#ifndef TFMODEL_RUNTIME_KERNELS_FUSED_EPILOGUE_H_
#define TFMODEL_RUNTIME_KERNELS_FUSED_EPILOGUE_H_

#include <dnnl.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace tfmodel::runtime {

enum class FusedActivation { kNone, kRelu, kRelu6, kElu, kLeakyRelu, kSigmoid, kTanh };

struct BiasEpilogue {
  bool bias = false;  // adds input 2 ([channels]) along the channel axis
  bool side = false;  // then adds input 3 (the output's shape), before the activation
  FusedActivation act = FusedActivation::kNone;
  float alpha = 0.2f;  // LeakyRelu's slope (attr leakyrelu_alpha)
};

// The epilogue `fused_ops` describes when it is ["BiasAdd"], ["BiasAdd", <activation>],
// ["BiasAdd", "Add"] or ["BiasAdd", "Add", <activation>] with Relu, Relu6, Elu,
// LeakyRelu, Sigmoid or Tanh; nullopt for every other list.
std::optional<BiasEpilogue> SimpleBiasEpilogue(const std::vector<std::string>& fused_ops,
                                               float leakyrelu_alpha);

// Appends the side input as a sum post-op (the destination holds it when the primitive
// runs), then the activation as an eltwise post-op (nothing for kNone).
void AppendActivationPostOp(const BiasEpilogue& e, dnnl::post_ops* ops);

// dst = activation(src + bias) (e.side must be false) with src and dst viewed as [outer, channels,
// inner] (NHWC and MatMul: inner = 1; NCHW: inner = H * W) and bias (when e.bias) holding
// `channels` values. T is float or double; src may equal dst. Vectorized (Eigen arrays)
// over channels, or over inner when inner > 1.
template <typename T>
void ApplyBiasEpilogue(const BiasEpilogue& e, const T* src, const T* bias, int64_t outer,
                       int64_t channels, int64_t inner, T* dst);

}  // namespace tfmodel::runtime

#endif  // TFMODEL_RUNTIME_KERNELS_FUSED_EPILOGUE_H_
