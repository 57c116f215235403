#include "runtime/kernels/register_all.h"

#include "runtime/kernel.h"

namespace tfmodel::runtime {

// Each family defines its function in its own file (kernels/<family>.cc).
// Add one line per family here.
void RegisterBasicKernels(KernelRegistry& r);
void RegisterStateKernels(KernelRegistry& r);
void RegisterControlFlowKernels(KernelRegistry& r);
void RegisterFunctionKernels(KernelRegistry& r);
void RegisterShapeKernels(KernelRegistry& r);     // shape_ops.cc
void RegisterArrayKernels(KernelRegistry& r);     // array_ops.cc
void RegisterGatherKernels(KernelRegistry& r);    // gather_ops.cc
void RegisterPadKernels(KernelRegistry& r);       // pad_ops.cc
void RegisterSequenceKernels(KernelRegistry& r);  // sequence_ops.cc
void RegisterRandomKernels(KernelRegistry& r);    // random_ops.cc
void RegisterCwiseBinaryKernels(KernelRegistry& r);  // kernels/cwise_binary.cc
void RegisterCwiseUnaryKernels(KernelRegistry& r);   // kernels/cwise_unary.cc
void RegisterReductionKernels(KernelRegistry& r);    // kernels/reduction.cc

void RegisterAllKernels(KernelRegistry& r) {
  RegisterBasicKernels(r);
  RegisterStateKernels(r);
  RegisterControlFlowKernels(r);
  RegisterFunctionKernels(r);
  RegisterShapeKernels(r);
  RegisterArrayKernels(r);
  RegisterGatherKernels(r);
  RegisterPadKernels(r);
  RegisterSequenceKernels(r);
  RegisterRandomKernels(r);
  RegisterCwiseBinaryKernels(r);
  RegisterCwiseUnaryKernels(r);
  RegisterReductionKernels(r);
}

}  // namespace tfmodel::runtime
