#include "runtime/kernels/sub_kernel.h"

#include "absl/strings/str_cat.h"

namespace tfmodel::runtime {

absl::StatusOr<SubKernel> SubKernel::Make(const KernelInit& parent, const std::string& op,
                                          const Attrs& attrs, int num_inputs) {
  const KernelFactory* factory = KernelRegistry::Global().Find(op);
  if (factory == nullptr) return parent.Error(absl::StrCat("no kernel for fused op ", op));
  tensorflow::NodeDef node;
  node.set_name(absl::StrCat(parent.name(), "/", op));
  node.set_op(op);
  for (int i = 0; i < num_inputs; ++i) node.add_input(absl::StrCat(parent.name(), "/in", i));
  for (const auto& [k, v] : attrs) (*node.mutable_attr())[k] = v;
  KernelInit init(node, parent.library(), num_inputs);
  TFM_ASSIGN_OR_RETURN(std::unique_ptr<OpKernel> kernel, (*factory)(init));
  SubKernel s;
  s.kernel_ = std::move(kernel);
  s.name_ = node.name();
  s.op_ = op;
  return s;
}

absl::StatusOr<std::vector<Tensor>> SubKernel::Run(KernelContext* parent,
                                                   const std::vector<Tensor>& inputs) const {
  std::vector<const Tensor*> in;
  in.reserve(inputs.size());
  for (const Tensor& t : inputs) in.push_back(&t);
  std::vector<Tensor> outputs;
  KernelContext ctx(&name_, &op_, in, {}, &outputs, parent->resources(), parent->functions(),
                    parent->device(), parent->step_id());
  TFM_RETURN_IF_ERROR(kernel_->Compute(&ctx));
  return outputs;
}

absl::StatusOr<Tensor> SubKernel::Run1(KernelContext* parent,
                                       const std::vector<Tensor>& inputs) const {
  TFM_ASSIGN_OR_RETURN(std::vector<Tensor> out, Run(parent, inputs));
  if (out.empty()) return absl::InternalError(absl::StrCat(name_, " produced no output"));
  return std::move(out[0]);
}

}  // namespace tfmodel::runtime
