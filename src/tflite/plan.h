// What loading a TFLite subgraph produces and running it consumes.
//
// Each operator becomes one Step: the tensors it reads and writes, the eval function of its
// registration (op_registry.h) and the state its prepare function computed once at load
// (relaid-out weights, fixed-point multipliers, TF kernels). Constant tensors are decoded
// once; running a subgraph (interpreter.h) only calls eval functions in order.
#ifndef TFMODEL_TFLITE_PLAN_H_
#define TFMODEL_TFLITE_PLAN_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/tensor.h"

namespace Eigen {
struct ThreadPoolDevice;
}

namespace tfmodel {
class TfLiteFile;
}

namespace tfmodel::tflite {

class ResourceStore;

// Per-operator data computed by a prepare function. Eval functions downcast it to the type
// their prepare function created.
class OpState {
 public:
  virtual ~OpState() = default;
};

// Runs one operator. `in` holds its input tensors in operator order (null for an absent
// optional input); `out` is sized to its outputs and every entry must be set.
using EvalFn = absl::Status (*)(const OpState& state, const std::vector<const Tensor*>& in,
                                std::vector<Tensor>* out);

struct Step {
  std::string label;         // "operator 3 (CONV_2D)"
  std::vector<int> inputs;   // tensor indices; -1 = optional input not given
  std::vector<int> outputs;  // tensor indices
  EvalFn eval = nullptr;
  std::shared_ptr<const OpState> state;
};

struct SubgraphPlan {
  std::string file_name;                               // for error messages
  int index = 0;                                       // subgraph index in the file
  std::vector<std::string> names;                      // per tensor
  std::vector<DType> dtypes;                           // per tensor (kInvalid: no tfmodel type)
  std::vector<std::vector<int64_t>> shapes;            // per tensor: Tensor.shape
  std::vector<std::vector<int64_t>> signature_shapes;  // per tensor: shape_signature, else shape
  std::vector<bool> has_shape_signature;               // per tensor
  std::map<int, Tensor> constants;                     // tensor -> value
  // Variable tensors (is_variable: RNN/LSTM/SVDF state) -> their initial value: zeros, the
  // zero point for int8. Every run starts from these values (state is not kept across runs,
  // so runs are independent and may be concurrent).
  std::map<int, Tensor> variables;
  std::vector<Step> steps;
  std::vector<int> inputs;   // subgraph inputs (tensor indices)
  std::vector<int> outputs;  // subgraph outputs (tensor indices)
  // Hash tables, resource variables and CALL_ONCE status (tflite/resources.h): one store
  // shared by every subgraph of the file.
  std::shared_ptr<ResourceStore> resources;
  // The intra-op thread pool TF kernel steps split work over (PlanOptions::device).
  const Eigen::ThreadPoolDevice* device = nullptr;
};

struct PlanOptions {
  // Unsupported operators become steps that fail when run instead of failing the load (for
  // running the supported part of a model: tests, debugging with --fetch).
  bool defer_unsupported = false;
  // The model's intra-op thread pool (runtime/thread_pool.h), which must outlive the plans;
  // null: kernels run on the calling thread.
  const Eigen::ThreadPoolDevice* device = nullptr;
};

// Builds the plans of every subgraph of `file` (plans->size() == number of subgraphs):
// tensors and constants, then each operator through its registration. Every unsupported
// operator of a subgraph is listed in one Unimplemented error. Control-flow steps (WHILE,
// IF, CALL_ONCE) point at the plans of the subgraphs they run: the vector may be moved but
// not copied or resized afterwards.
absl::Status BuildPlans(const TfLiteFile& file, std::vector<SubgraphPlan>* plans,
                        const PlanOptions& options = {});

}  // namespace tfmodel::tflite

#endif  // TFMODEL_TFLITE_PLAN_H_
