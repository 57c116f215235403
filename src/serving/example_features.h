// The tf.Example features a signature input is parsed into, found in the model's graph:
// the input tensor is followed (through Identity nodes and into the functions that
// PartitionedCall / StatefulPartitionedCall nodes call) to a ParseExample,
// ParseExampleV2 or ParseSingleExample node, whose keys, dtypes and dense shapes describe
// the features a serialized Example fed there should carry. Used to generate example
// classify/regress requests and serialized Examples for predict (GET .../example).
#ifndef TFMODEL_SERVING_EXAMPLE_FEATURES_H_
#define TFMODEL_SERVING_EXAMPLE_FEATURES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "tensorflow/core/example/example.pb.h"
#include "tensorflow/core/protobuf/meta_graph.pb.h"

namespace tfmodel::serving {

struct ExampleFeature {
  std::string name;
  DType dtype = DType::kInvalid;  // float, int64 or string (the feature list kinds)
  int64_t num_values = 1;         // dense: elements of its shape (unknown dims count 1)
  bool sparse = false;            // sparse or ragged: any number of values
};

// The features of the first Example parser fed by `tensor_name` ("node:0"), in the
// parser's order (sparse, then dense, then ragged keys). Empty when the tensor reaches no
// parser (it is not a serialized tf.Example) or the parser's keys are not constants.
std::vector<ExampleFeature> FindExampleFeatures(const tensorflow::MetaGraphDef& meta_graph,
                                                const std::string& tensor_name);

// An Example holding every feature with `num_values` values: floats alternate 0.0 and
// 1.0, ints are 0, strings "".
tensorflow::Example MakeExample(const std::vector<ExampleFeature>& features);

}  // namespace tfmodel::serving

#endif  // TFMODEL_SERVING_EXAMPLE_FEATURES_H_
