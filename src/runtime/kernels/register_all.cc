#include "runtime/kernels/register_all.h"

#include "runtime/kernel.h"

namespace tfmodel::runtime {

// Each family defines its function in its own file (kernels/<family>.cc).
// Add one line per family here.

void RegisterAllKernels(KernelRegistry& r) {
  (void)r;
}

}  // namespace tfmodel::runtime
