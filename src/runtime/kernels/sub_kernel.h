// A kernel of another op, built and run from inside a composite kernel (the grappler
// fused ops: _FusedConv2D = Conv2D + BiasAdd + Relu, ...), so the composite reuses the
// exact semantics and fast paths of the ops it fuses. Built once in the composite's
// factory; Run is const and thread-safe like any Compute.
#ifndef TFMODEL_RUNTIME_KERNELS_SUB_KERNEL_H_
#define TFMODEL_RUNTIME_KERNELS_SUB_KERNEL_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "runtime/kernel.h"

namespace tfmodel::runtime {

class SubKernel {
 public:
  using Attrs = std::map<std::string, tensorflow::AttrValue>;

  // Builds `op` with `attrs` and `num_inputs` data inputs from the global registry. The
  // sub-node is named "<parent name>/<op>" so its errors point at the composite node.
  static absl::StatusOr<SubKernel> Make(const KernelInit& parent, const std::string& op,
                                        const Attrs& attrs, int num_inputs);

  // Runs once on `inputs` within the parent's context; returns the op's outputs.
  absl::StatusOr<std::vector<Tensor>> Run(KernelContext* parent,
                                          const std::vector<Tensor>& inputs) const;
  // Output 0 only.
  absl::StatusOr<Tensor> Run1(KernelContext* parent, const std::vector<Tensor>& inputs) const;

 private:
  std::shared_ptr<const OpKernel> kernel_;
  std::string name_, op_;
};

}  // namespace tfmodel::runtime

#endif  // TFMODEL_RUNTIME_KERNELS_SUB_KERNEL_H_
