#include "runtime/kernels/register_all.h"

#include "runtime/kernel.h"

namespace tfmodel::runtime {

// Each family defines its function in its own file (kernels/<family>.cc).
// Add one line per family here.
void RegisterCwiseBinaryKernels(KernelRegistry& r);  // kernels/cwise_binary.cc
void RegisterCwiseUnaryKernels(KernelRegistry& r);   // kernels/cwise_unary.cc
void RegisterReductionKernels(KernelRegistry& r);    // kernels/reduction.cc

void RegisterAllKernels(KernelRegistry& r) {
  RegisterCwiseBinaryKernels(r);
  RegisterCwiseUnaryKernels(r);
  RegisterReductionKernels(r);
}

}  // namespace tfmodel::runtime
