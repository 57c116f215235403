// The memory bound for tensors whose shapes come from untrusted input (model files,
// requests): Tensor::Create refuses, with ResourceExhausted, a tensor whose buffer would
// exceed MaxTensorBytes() (for strings, resources and variants: element count * object
// size). The default is the machine's physical memory, since a larger tensor can never be
// filled; fuzz targets lower it so that only unbounded allocations reach their limits.
#ifndef TFMODEL_CORE_TENSOR_LIMITS_H_
#define TFMODEL_CORE_TENSOR_LIMITS_H_

#include <cstddef>

namespace tfmodel {

size_t MaxTensorBytes();
void SetMaxTensorBytes(size_t bytes);

}  // namespace tfmodel

#endif  // TFMODEL_CORE_TENSOR_LIMITS_H_
