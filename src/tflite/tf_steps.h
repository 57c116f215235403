// The state of a TFLite operator that runs as a short sequence of TF kernels (from the
// runtime's KernelRegistry) and small functions, e.g. FULLY_CONNECTED = reshape, MatMul,
// BiasAdd, reshape, fused activation.
//
// Sequence steps read and write operands local to the operator: In(i) and Out(k) are its
// inputs and outputs, Temp() a value produced by one step for a later one, Const(t) a
// value fixed at load.
//
//   auto s = std::make_shared<TfSteps>(b);
//   TFM_RETURN_IF_ERROR(s->AddTf("Squeeze", attrs, {s->In(0)}, {s->Out(0)}));
//   return s;  // registered with eval = EvalTfSteps
#ifndef TFMODEL_TFLITE_TF_STEPS_H_
#define TFMODEL_TFLITE_TF_STEPS_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/tensor.h"
#include "format/tflite.h"
#include "graph/attr_util.h"
#include "tensorflow/core/framework/attr_value.pb.h"
#include "tflite/op_builder.h"
#include "tflite/plan.h"

namespace tfmodel::tflite {

using AttrMap = std::map<std::string, tensorflow::AttrValue>;

// {"T": t}
AttrMap TypeAttrs(DType t);

// A fused activation applied to a float tensor in place (copying first when the buffer is
// shared).
absl::Status ApplyActivation(tflite_fb::ActivationFunctionType act, Tensor* t);

class TfSteps : public OpState {
 public:
  using Fn =
      std::function<absl::Status(const std::vector<const Tensor*>& in, std::vector<Tensor>* out)>;

  explicit TfSteps(const OpBuilder& b);

  // Operand of input i (-1 when the optional input is not given) and of output k.
  int In(size_t i) const;
  int Out(size_t k) const { return num_in_ + static_cast<int>(k); }
  int Temp();
  int Const(Tensor value);

  // Where a TF kernel step computes: on the calling thread, or split over the model's
  // intra-op pool. Only convolutions use the pool: they run 1.8-2.4x faster with two
  // threads, while the small MatMuls and element-wise kernels of an RNN ran 1.5x slower
  // (bench/README.md).
  enum class Threads { kCaller, kPool };
  // A TF kernel step: `op` with `attrs` (the kernel is created now, so a missing kernel or a
  // bad attribute fails the load). Operands of -1 are left out of the kernel's inputs.
  absl::Status AddTf(const std::string& op, AttrMap attrs, std::vector<int> in,
                     std::vector<int> out, Threads threads = Threads::kCaller);
  void AddFn(std::vector<int> in, std::vector<int> out, Fn fn);
  // A fused activation on `operand`, in place (nothing for NONE).
  void AddActivation(tflite_fb::ActivationFunctionType act, int operand);

  absl::Status Eval(const std::vector<const Tensor*>& in, std::vector<Tensor>* out) const;

 private:
  struct SubStep {
    std::vector<int> in;
    std::vector<int> out;
    Fn fn;  // null for an activation step
    // An activation applied in place to out[0] (an output or temporary), so a tensor the
    // step before just produced is not copied first.
    tflite_fb::ActivationFunctionType act = tflite_fb::ActivationFunctionType::NONE;
  };

  std::string label_;
  int num_in_;
  int num_out_;
  const Eigen::ThreadPoolDevice* device_;  // the model's intra-op pool (null: calling thread)
  std::vector<bool> given_;                // per input
  std::vector<Tensor> locals_;             // temporaries (invalid) and constants, after the outputs
  std::vector<SubStep> steps_;
};

// EvalFn for operators prepared as TfSteps.
absl::Status EvalTfSteps(const OpState& state, const std::vector<const Tensor*>& in,
                         std::vector<Tensor>* out);

}  // namespace tfmodel::tflite

#endif  // TFMODEL_TFLITE_TF_STEPS_H_
