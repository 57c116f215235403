// Deterministic inputs for smoke-testing a model without writing any: numbers from a fixed
// pattern, and for string inputs that feed ParseExample, valid serialized tf.Examples whose
// features are read off the ParseExample / ParseExampleV2 / ParseSingleExample nodes of the
// graph and of its function library (TF2 models parse inside a function).
#ifndef TFMODEL_GRAPH_SYNTHETIC_INPUTS_H_
#define TFMODEL_GRAPH_SYNTHETIC_INPUTS_H_

#include <string>

#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "tensorflow/core/framework/graph.pb.h"

namespace tfmodel {

// One serialized tf.Example carrying every dense and sparse feature the graph parses.
absl::StatusOr<std::string> SyntheticExample(const tensorflow::GraphDef& graph);

// A tensor of `dtype` and `shape` (unknown dims and unknown rank become 1), values
// 0.1*(i%10) for floats, i%10 for ints, alternating for bools; strings are `example` if
// non-empty, else "a".
absl::StatusOr<Tensor> SyntheticTensor(DType dtype, const PartialShape& shape,
                                       const std::string& example = "");

}  // namespace tfmodel

#endif  // TFMODEL_GRAPH_SYNTHETIC_INPUTS_H_
