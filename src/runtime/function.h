// Functions: turning a FunctionDef of a library into a plan (via graph/function_graph.h),
// and the ops that call one (PartitionedCall, StatefulPartitionedCall, and calls by
// function name).
#ifndef TFMODEL_RUNTIME_FUNCTION_H_
#define TFMODEL_RUNTIME_FUNCTION_H_

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "graph/function_graph.h"
#include "runtime/executor.h"
#include "tensorflow/core/framework/function.pb.h"
#include "tensorflow/core/framework/graph.pb.h"
#include "tensorflow/core/framework/op_def.pb.h"

namespace tfmodel::runtime {

using ::tfmodel::AttrMap;
using ::tfmodel::FindFunction;
using ::tfmodel::FindOpDef;
using ::tfmodel::FunctionGraph;
using ::tfmodel::FunctionToGraph;
using ::tfmodel::RegisterOpDefs;

// The run environment of a kernel's own call, for kernels that call functions.
RunContext CallContextOf(const KernelContext& ctx);

// The kernel's inputs [begin, num_inputs) as call arguments: each input is taken over
// when no one else holds it (KernelContext::ForwardInput), else shared.
std::vector<Tensor> TakeInputs(KernelContext* ctx, int begin);

// A function compiled once into a plan.
class CompiledFunction {
 public:
  static absl::StatusOr<std::unique_ptr<CompiledFunction>> Compile(
      const tensorflow::FunctionDefLibrary* library, const std::string& name, const AttrMap& attrs);
  absl::Status Call(const RunContext& ctx, absl::Span<const Tensor> args,
                    std::vector<Tensor>* rets) const;
  // Takes the arguments over (see Executor::RunDonated): the body may then update an
  // argument's buffer (e.g. a TensorList) in place when nothing else holds it.
  absl::Status CallDonated(const RunContext& ctx, absl::Span<Tensor> args,
                           std::vector<Tensor>* rets) const;
  const std::string& name() const { return name_; }
  int num_args() const { return static_cast<int>(arg_types_.size()); }
  int num_rets() const { return static_cast<int>(ret_types_.size()); }

 private:
  std::string name_;
  std::vector<DType> arg_types_, ret_types_;
  std::unique_ptr<Executor> executor_;
};

// Per-model function runtime handed to kernels (KernelContext::functions()): compiles
// library functions on first use and caches them by name and attrs.
class FunctionRuntime {
 public:
  explicit FunctionRuntime(const tensorflow::FunctionDefLibrary* library) : library_(library) {}
  const tensorflow::FunctionDefLibrary* library() const { return library_; }
  absl::StatusOr<const CompiledFunction*> Get(const std::string& name, const AttrMap& attrs);

 private:
  const tensorflow::FunctionDefLibrary* library_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<CompiledFunction>> cache_;
};

// The ops without a kernel that calling library function `name` could run: its body's
// and, recursively, those of the functions it calls or names in attrs (If branches, While
// bodies, ...), after CPU implementation selection.
std::set<std::string> OpsWithoutKernels(const tensorflow::FunctionDefLibrary* library,
                                        const std::string& name);
// Ops TensorFlow only has GPU kernels for (CudnnRNN*, ...): a branch needing them can never
// run on a CPU, in TensorFlow either.
bool IsGpuOnlyOp(absl::string_view op);

// The kernel of a node whose op is a library function's name (a direct call).
absl::StatusOr<std::unique_ptr<OpKernel>> MakeFunctionCallKernel(const KernelInit& init);
void RegisterFunctionKernels(KernelRegistry& r);

}  // namespace tfmodel::runtime

#endif  // TFMODEL_RUNTIME_FUNCTION_H_
