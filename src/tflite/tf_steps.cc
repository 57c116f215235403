#include "tflite/tf_steps.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "runtime/kernel.h"
#include "tensorflow/core/framework/node_def.pb.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;

// One TF kernel built from a NodeDef.
class TfKernel {
 public:
  static absl::StatusOr<std::shared_ptr<TfKernel>> Create(tensorflow::NodeDef node,
                                                          int num_inputs) {
    auto k = std::make_shared<TfKernel>();
    k->node_ = std::move(node);
    const runtime::KernelFactory* f = runtime::KernelRegistry::Global().Find(k->node_.op());
    if (!f) {
      return absl::UnimplementedError(
          absl::StrCat("no kernel for TF op ", k->node_.op(), " (node '", k->node_.name(), "')"));
    }
    runtime::KernelInit init(k->node_, nullptr, num_inputs);
    TFM_ASSIGN_OR_RETURN(k->kernel_, (*f)(init));
    return k;
  }
  absl::Status Run(const std::vector<const Tensor*>& in, std::vector<Tensor>* out,
                   const Eigen::ThreadPoolDevice* device) const {
    std::vector<const Tensor*> inputs;
    for (const Tensor* t : in) {
      if (t) inputs.push_back(t);
    }
    runtime::KernelContext ctx(&node_.name(), &node_.op(), inputs, {}, out, nullptr, nullptr,
                               device, 0);
    return kernel_->Compute(&ctx);
  }

 private:
  tensorflow::NodeDef node_;
  std::unique_ptr<runtime::OpKernel> kernel_;
};

}  // namespace

AttrMap TypeAttrs(DType t) {
  AttrMap a;
  a["T"] = AttrType(t);
  return a;
}

absl::Status ApplyActivation(fb::ActivationFunctionType act, Tensor* t) {
  if (act == fb::ActivationFunctionType::NONE) return absl::OkStatus();
  if (t->dtype() != DType::kFloat) {
    return absl::UnimplementedError(
        absl::StrCat("fused activation on ", DTypeName(t->dtype()), " tensors"));
  }
  if (!t->BufferIsUnique()) *t = t->DeepCopy();
  float* d = t->data<float>();
  const int64_t n = t->NumElements();
  switch (act) {
    case fb::ActivationFunctionType::RELU:
      for (int64_t i = 0; i < n; ++i) d[i] = std::max(d[i], 0.0f);
      break;
    case fb::ActivationFunctionType::RELU_N1_TO_1:
      for (int64_t i = 0; i < n; ++i) d[i] = std::clamp(d[i], -1.0f, 1.0f);
      break;
    case fb::ActivationFunctionType::RELU6:
      for (int64_t i = 0; i < n; ++i) d[i] = std::clamp(d[i], 0.0f, 6.0f);
      break;
    case fb::ActivationFunctionType::TANH:
      for (int64_t i = 0; i < n; ++i) d[i] = std::tanh(d[i]);
      break;
    case fb::ActivationFunctionType::SIGN_BIT:
      for (int64_t i = 0; i < n; ++i) d[i] = std::signbit(d[i]) ? 1.0f : 0.0f;
      break;
    default:
      return absl::UnimplementedError(absl::StrCat("activation ", static_cast<int>(act)));
  }
  return absl::OkStatus();
}

TfSteps::TfSteps(const OpBuilder& b)
    : label_(b.label()),
      num_in_(static_cast<int>(b.inputs().size())),
      num_out_(static_cast<int>(b.outputs().size())),
      device_(b.device()) {
  for (int t : b.inputs()) given_.push_back(t >= 0);
}

int TfSteps::In(size_t i) const {
  return i < given_.size() && given_[i] ? static_cast<int>(i) : -1;
}

int TfSteps::Temp() {
  locals_.emplace_back();
  return num_in_ + num_out_ + static_cast<int>(locals_.size()) - 1;
}

int TfSteps::Const(Tensor value) {
  locals_.push_back(std::move(value));
  return num_in_ + num_out_ + static_cast<int>(locals_.size()) - 1;
}

absl::Status TfSteps::AddTf(const std::string& op, AttrMap attrs, std::vector<int> in,
                            std::vector<int> out, Threads threads) {
  tensorflow::NodeDef node;
  node.set_name(absl::StrCat(label_, "/", op));
  node.set_op(op);
  for (auto& [k, v] : attrs) (*node.mutable_attr())[k] = std::move(v);
  int n = 0;
  for (int s : in) n += s >= 0 ? 1 : 0;
  auto kernel = TfKernel::Create(std::move(node), n);
  if (!kernel.ok()) return Annotate(kernel.status(), label_);
  std::shared_ptr<TfKernel> k = *kernel;
  AddFn(std::move(in), std::move(out),
        [k, device = threads == Threads::kPool ? device_ : nullptr](
            const std::vector<const Tensor*>& i, std::vector<Tensor>* o) {
          return k->Run(i, o, device);
        });
  return absl::OkStatus();
}

void TfSteps::AddFn(std::vector<int> in, std::vector<int> out, Fn fn) {
  steps_.push_back(SubStep{std::move(in), std::move(out), std::move(fn)});
}

void TfSteps::AddActivation(fb::ActivationFunctionType act, int operand) {
  if (act == fb::ActivationFunctionType::NONE) return;
  SubStep s;
  s.in = {operand};
  s.out = {operand};
  s.act = act;
  steps_.push_back(std::move(s));
}

absl::Status TfSteps::Eval(const std::vector<const Tensor*>& in, std::vector<Tensor>* out) const {
  if (static_cast<int>(in.size()) != num_in_ || static_cast<int>(out->size()) != num_out_) {
    return absl::InternalError(
        absl::StrCat(label_, ": called with ", in.size(), " inputs and ", out->size(), " outputs"));
  }
  std::vector<Tensor> temps(locals_.size());
  auto get = [&](int o) -> const Tensor* {
    if (o < num_in_) return in[o];
    if (o < num_in_ + num_out_) return &(*out)[o - num_in_];
    const size_t l = static_cast<size_t>(o - num_in_ - num_out_);
    return locals_[l].valid() ? &locals_[l] : &temps[l];
  };
  std::vector<const Tensor*> step_in;
  std::vector<Tensor> step_out;
  for (const SubStep& s : steps_) {
    if (!s.fn) {
      // In place on an output or temporary (ApplyActivation copies a shared buffer first).
      const int o = s.out[0];
      Tensor* t = o < num_in_              ? nullptr
                  : o < num_in_ + num_out_ ? &(*out)[o - num_in_]
                                           : &temps[o - num_in_ - num_out_];
      if (!t || !t->valid()) {
        return absl::InternalError(
            absl::StrCat(label_, ": activation operand ", o, " is not a computed value"));
      }
      TFM_RETURN_IF_ERROR(ApplyActivation(s.act, t));
      continue;
    }
    step_in.clear();
    for (int o : s.in) {
      const Tensor* t = o < 0 ? nullptr : get(o);
      if (o >= 0 && (!t || !t->valid())) {
        return absl::InternalError(absl::StrCat(label_, ": operand ", o, " has no value"));
      }
      step_in.push_back(t);
    }
    step_out.clear();
    step_out.resize(s.out.size());
    TFM_RETURN_IF_ERROR(s.fn(step_in, &step_out));
    for (size_t k = 0; k < s.out.size(); ++k) {
      const int o = s.out[k];
      if (!step_out[k].valid()) {
        return absl::InternalError(absl::StrCat(label_, ": output ", k, " not produced"));
      }
      if (o < num_in_) return absl::InternalError(absl::StrCat(label_, ": writes an input"));
      if (o < num_in_ + num_out_) {
        (*out)[o - num_in_] = std::move(step_out[k]);
      } else {
        temps[o - num_in_ - num_out_] = std::move(step_out[k]);
      }
    }
  }
  return absl::OkStatus();
}

absl::Status EvalTfSteps(const OpState& state, const std::vector<const Tensor*>& in,
                         std::vector<Tensor>* out) {
  return static_cast<const TfSteps&>(state).Eval(in, out);
}

}  // namespace tfmodel::tflite
