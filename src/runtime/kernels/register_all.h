// One Register function per kernel family (one family per file in this folder).
#ifndef TFMODEL_RUNTIME_KERNELS_REGISTER_ALL_H_
#define TFMODEL_RUNTIME_KERNELS_REGISTER_ALL_H_

namespace tfmodel::runtime {

class KernelRegistry;

void RegisterAllKernels(KernelRegistry& r);

}  // namespace tfmodel::runtime

#endif  // TFMODEL_RUNTIME_KERNELS_REGISTER_ALL_H_
