// The kernel interface: one OpKernel object per graph node, built once when a plan is
// compiled (attrs parsed and checked there), then Compute() runs on every call, possibly
// from several threads at once — so Compute must not mutate the kernel.
//
// Kernels register by op name (one factory handles every dtype of an op):
//   void RegisterMathKernels(KernelRegistry& r) {
//     r.Register("Relu", [](KernelInit& init) -> absl::StatusOr<std::unique_ptr<OpKernel>> {...});
//   }
// and runtime/kernels/register_all.cc calls each family's Register function.
#ifndef TFMODEL_RUNTIME_KERNEL_H_
#define TFMODEL_RUNTIME_KERNEL_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/status.h"
#include "core/tensor.h"
#include "tensorflow/core/framework/attr_value.pb.h"
#include "tensorflow/core/framework/function.pb.h"
#include "tensorflow/core/framework/node_def.pb.h"

namespace Eigen {
struct ThreadPoolDevice;
}

namespace tfmodel::runtime {

class ResourceMgr;
class FunctionRuntime;

// What a kernel factory sees: the NodeDef and typed attribute access. Every error it
// returns names the node and op.
class KernelInit {
 public:
  KernelInit(const tensorflow::NodeDef& node, const tensorflow::FunctionDefLibrary* library,
             int num_inputs)
      : node_(node), library_(library), num_inputs_(num_inputs) {}

  const tensorflow::NodeDef& node() const { return node_; }
  const std::string& name() const { return node_.name(); }
  const std::string& op() const { return node_.op(); }
  // Number of data (non-control) inputs.
  int num_inputs() const { return num_inputs_; }
  const tensorflow::FunctionDefLibrary* library() const { return library_; }

  bool HasAttr(absl::string_view attr) const;
  const tensorflow::AttrValue* FindAttr(absl::string_view attr) const;
  // Each fails with InvalidArgument naming node, op and attr when missing or mistyped.
  absl::Status GetAttr(absl::string_view attr, std::string* v) const;
  absl::Status GetAttr(absl::string_view attr, int64_t* v) const;
  absl::Status GetAttr(absl::string_view attr, int32_t* v) const;
  absl::Status GetAttr(absl::string_view attr, float* v) const;
  absl::Status GetAttr(absl::string_view attr, bool* v) const;
  absl::Status GetAttr(absl::string_view attr, DType* v) const;
  absl::Status GetAttr(absl::string_view attr, PartialShape* v) const;
  absl::Status GetAttr(absl::string_view attr, Tensor* v) const;
  absl::Status GetAttr(absl::string_view attr, std::vector<int64_t>* v) const;
  absl::Status GetAttr(absl::string_view attr, std::vector<int32_t>* v) const;
  absl::Status GetAttr(absl::string_view attr, std::vector<float>* v) const;
  absl::Status GetAttr(absl::string_view attr, std::vector<std::string>* v) const;
  absl::Status GetAttr(absl::string_view attr, std::vector<DType>* v) const;
  absl::Status GetAttr(absl::string_view attr, std::vector<PartialShape>* v) const;
  // Like GetAttr but leaves *v unchanged (a default) when the attr is absent.
  template <typename T>
  absl::Status GetAttrOr(absl::string_view attr, T* v) const {
    if (!HasAttr(attr)) return absl::OkStatus();
    return GetAttr(attr, v);
  }

  // InvalidArgument "node 'n' (Op): <msg>".
  absl::Status Error(absl::string_view msg) const;

 private:
  const tensorflow::NodeDef& node_;
  const tensorflow::FunctionDefLibrary* library_;
  int num_inputs_;
};

// Per-call view of one node's inputs and outputs.
class KernelContext {
 public:
  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  const Tensor& input(int i) const { return *inputs_[i]; }
  // Outputs grow on demand: a kernel sets outputs 0..k-1 (the op's output count).
  void set_output(int i, Tensor t) {
    if (static_cast<size_t>(i) >= outputs_->size()) outputs_->resize(i + 1);
    (*outputs_)[i] = std::move(t);
  }
  // Allocates an uninitialised output (the kernel must write every element).
  Tensor* allocate_output(int i, DType dtype, const TensorShape& shape) {
    set_output(i, Tensor::Empty(dtype, shape));
    return &(*outputs_)[i];
  }
  // Moves input i out when no one else holds its buffer, so a kernel can compute in
  // place; otherwise returns an invalid tensor.
  Tensor ForwardInput(int i);

  const std::string& node_name() const { return *node_name_; }
  const std::string& op() const { return *op_; }
  // InvalidArgument "node 'n' (Op): <msg>".
  absl::Status Error(absl::string_view msg) const;

  ResourceMgr* resources() const { return resources_; }
  FunctionRuntime* functions() const { return functions_; }
  // May be null: then compute on the calling thread.
  const Eigen::ThreadPoolDevice* device() const { return device_; }
  int64_t step_id() const { return step_id_; }

  // For the executor. The spans must outlive the context (no copies: one context is made
  // per node per run). `forwardable` is empty or has one entry per input.
  KernelContext(const std::string* node_name, const std::string* op,
                absl::Span<const Tensor* const> inputs, absl::Span<Tensor* const> forwardable,
                std::vector<Tensor>* outputs, ResourceMgr* resources, FunctionRuntime* functions,
                const Eigen::ThreadPoolDevice* device, int64_t step_id)
      : node_name_(node_name),
        op_(op),
        inputs_(inputs),
        forwardable_(forwardable),
        outputs_(outputs),
        resources_(resources),
        functions_(functions),
        device_(device),
        step_id_(step_id) {}

 private:
  const std::string* node_name_;
  const std::string* op_;
  absl::Span<const Tensor* const> inputs_;
  absl::Span<Tensor* const> forwardable_;  // non-null where the executor allows moving the input
  std::vector<Tensor>* outputs_;
  ResourceMgr* resources_;
  FunctionRuntime* functions_;
  const Eigen::ThreadPoolDevice* device_;
  int64_t step_id_;
};

class OpKernel {
 public:
  virtual ~OpKernel() = default;
  virtual absl::Status Compute(KernelContext* ctx) const = 0;
};

// Wraps a lambda as a kernel.
class FnKernel : public OpKernel {
 public:
  using Fn = std::function<absl::Status(KernelContext*)>;
  explicit FnKernel(Fn fn) : fn_(std::move(fn)) {}
  absl::Status Compute(KernelContext* ctx) const override { return fn_(ctx); }

 private:
  Fn fn_;
};
inline std::unique_ptr<OpKernel> MakeKernel(FnKernel::Fn fn) {
  return std::make_unique<FnKernel>(std::move(fn));
}

using KernelFactory = std::function<absl::StatusOr<std::unique_ptr<OpKernel>>(const KernelInit&)>;

class KernelRegistry {
 public:
  // The registry with every built-in kernel (filled on first use).
  static const KernelRegistry& Global();

  void Register(const std::string& op, KernelFactory factory);
  const KernelFactory* Find(absl::string_view op) const;
  bool Has(absl::string_view op) const { return Find(op) != nullptr; }
  // Sorted op names.
  std::vector<std::string> Ops() const;

 private:
  std::map<std::string, KernelFactory, std::less<>> factories_;
};

}  // namespace tfmodel::runtime

#endif  // TFMODEL_RUNTIME_KERNEL_H_
