// Runs a prepared TFLite subgraph (plan.h): checks the fed inputs against the tensors'
// dtypes and shape signatures, then calls each operator's eval function in order.
#ifndef TFMODEL_TFLITE_INTERPRETER_H_
#define TFMODEL_TFLITE_INTERPRETER_H_

#include <map>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "tflite/plan.h"

namespace tfmodel::tflite {

// `feeds` maps tensor indices to values; every subgraph input must be fed. Returns the value
// of every tensor (invalid for tensors nothing computed). Safe to call concurrently.
// With `wanted` (tensor indices), only the operators those tensors depend on run; without
// it every operator runs, as in TFLite. Variable tensors start from their initial values
// (plan.variables) in every run.
absl::StatusOr<std::vector<Tensor>> RunSubgraph(const SubgraphPlan& plan,
                                                const std::map<int, Tensor>& feeds,
                                                const std::vector<int>* wanted = nullptr);

}  // namespace tfmodel::tflite

#endif  // TFMODEL_TFLITE_INTERPRETER_H_
