// Helpers for kernels that take a variable: the executor passes TF1 reference variables
// and TF2 resource variables alike as a DT_RESOURCE scalar naming a Var in the model's
// ResourceMgr (see runtime/resource_mgr.h).
#ifndef TFMODEL_RUNTIME_KERNELS_VAR_UTIL_H_
#define TFMODEL_RUNTIME_KERNELS_VAR_UTIL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/kernel.h"
#include "runtime/resource_mgr.h"

namespace tfmodel::runtime {

// The Var behind input `i`; `name` (optional) receives the variable's name. A handle whose
// variable no longer exists is FailedPrecondition, as in TensorFlow.
absl::StatusOr<std::shared_ptr<Var>> InputVar(KernelContext* ctx, int i,
                                              std::string* name = nullptr);

// FailedPrecondition "Could not find variable <name>. ..." (TF's message for reading a
// deleted or never-initialized resource variable).
absl::Status VariableNotFound(const KernelContext* ctx, const std::string& name);

}  // namespace tfmodel::runtime

#endif  // TFMODEL_RUNTIME_KERNELS_VAR_UTIL_H_
