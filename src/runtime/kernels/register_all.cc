#include "runtime/kernels/register_all.h"

#include "runtime/kernel.h"

namespace tfmodel::runtime {

// Each family defines its function in its own file (kernels/<family>.cc).
// Add one line per family here.
void RegisterBasicKernels(KernelRegistry& r);
void RegisterStateKernels(KernelRegistry& r);
void RegisterControlFlowKernels(KernelRegistry& r);
void RegisterFunctionKernels(KernelRegistry& r);

void RegisterAllKernels(KernelRegistry& r) {
  RegisterBasicKernels(r);
  RegisterStateKernels(r);
  RegisterControlFlowKernels(r);
  RegisterFunctionKernels(r);
}

}  // namespace tfmodel::runtime
