// Gather computations shared by GatherV2 / GatherNd and the resource-variable gathers
// (ResourceGather, ResourceGatherNd), defined in gather_ops.cc.
#ifndef TFMODEL_RUNTIME_KERNELS_GATHER_UTIL_H_
#define TFMODEL_RUNTIME_KERNELS_GATHER_UTIL_H_

#include <cstdint>

#include "absl/status/status.h"
#include "core/tensor.h"
#include "runtime/kernel.h"

namespace tfmodel::runtime {

// GatherV2(params, indices, axis, batch_dims) into output 0. Out-of-range indices are
// InvalidArgument "indices[i] = v is not in [0, n)", as in TensorFlow's CPU kernel.
absl::Status GatherCompute(KernelContext* ctx, const Tensor& params, const Tensor& indices,
                           int64_t axis, int64_t batch_dims);
// GatherNd(params, indices) into output 0.
absl::Status GatherNdCompute(KernelContext* ctx, const Tensor& params, const Tensor& indices);

}  // namespace tfmodel::runtime

#endif  // TFMODEL_RUNTIME_KERNELS_GATHER_UTIL_H_
