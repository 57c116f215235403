// The batched matrix product behind MatMul / BatchMatMul*, for other kernels (Einsum,
// fused ops) that contract through it.
#ifndef TFMODEL_RUNTIME_KERNELS_MATMUL_H_
#define TFMODEL_RUNTIME_KERNELS_MATMUL_H_

#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "runtime/kernel.h"
#include "runtime/kernels/fused_epilogue.h"

namespace tfmodel::runtime {

// The product of x [..., r0, c0] and y [..., r1, c1] with dtype x.dtype() (both inputs
// must share it): float through oneDNN's sgemm, other real and complex types through
// Eigen, half/bfloat16 in float. adj_x / adj_y transpose (and, unless is_matmul, conjugate
// complex values). With `broadcast` batch dims broadcast numpy-style, otherwise they must
// match; is_matmul requires rank-2 inputs. Errors name the context's node.
absl::StatusOr<Tensor> BatchMatMulTensors(const KernelContext* ctx, const Tensor& x,
                                          const Tensor& y, bool adj_x, bool adj_y, bool broadcast,
                                          bool is_matmul);

// _FusedMatMul with fused_ops BiasAdd [+ activation]: inputs (a, b, bias), MatMul's attrs
// transpose_a / transpose_b; the epilogue runs in one vectorized pass over the product
// (float, double; half and bfloat16 in float).
absl::StatusOr<std::unique_ptr<OpKernel>> MakeFusedMatMulKernel(const KernelInit& init,
                                                                const BiasEpilogue& epilogue);

}  // namespace tfmodel::runtime

#endif  // TFMODEL_RUNTIME_KERNELS_MATMUL_H_
