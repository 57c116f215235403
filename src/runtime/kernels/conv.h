// Convolutions with a fused bias + activation epilogue, for fused_ops.cc's _FusedConv2D /
// _FusedDepthwiseConv2dNative when their fused_ops are BiasAdd [+ activation].
#ifndef TFMODEL_RUNTIME_KERNELS_CONV_H_
#define TFMODEL_RUNTIME_KERNELS_CONV_H_

#include <memory>

#include "absl/status/statusor.h"
#include "runtime/kernel.h"
#include "runtime/kernels/fused_epilogue.h"

namespace tfmodel::runtime {

// A Conv2D (or, with `depthwise`, DepthwiseConv2dNative) kernel reading the conv attrs of
// `init`, with inputs (input, filter, bias) and the epilogue run by oneDNN inside the
// convolution (float, half, bfloat16) or after the direct loop (double). With
// epilogue.side (float only) the inputs are (input, filter, bias, side): when side has the
// output's shape it is added by a oneDNN sum post-op; otherwise (broadcasting, empty
// tensors, other dtypes) Compute returns UnimplementedError(kFusedFallback) before
// touching anything, for the caller to run the ops one by one. With the attr
// kConstantFilterAttr (graph/graph_optimize.h) true, oneDNN's reordered weights are kept.
inline constexpr char kFusedFallback[] = "fused kernel fallback";

absl::StatusOr<std::unique_ptr<OpKernel>> MakeFusedConvKernel(const KernelInit& init,
                                                              bool depthwise,
                                                              const BiasEpilogue& epilogue);

}  // namespace tfmodel::runtime

#endif  // TFMODEL_RUNTIME_KERNELS_CONV_H_
