// Small models tfmodel writes itself (for `make demo`, tests and benchmarks).
#ifndef TFMODEL_GRAPH_EXAMPLE_MODELS_H_
#define TFMODEL_GRAPH_EXAMPLE_MODELS_H_

#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "tensorflow/core/protobuf/saved_model.pb.h"

namespace tfmodel {

struct ExampleModel {
  tensorflow::SavedModel saved_model;
  std::vector<std::pair<std::string, Tensor>> variables;
};

// TF1-style half_plus_two: variables a=0.5, b=2 (VariableV2 + Saver), input x float [-1,1],
// signature serving_default: y = a*x + b (predict) and regress_x_to_y-like regress on x.
ExampleModel BuildHalfPlusTwo();

}  // namespace tfmodel

#endif  // TFMODEL_GRAPH_EXAMPLE_MODELS_H_
