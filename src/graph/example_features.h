// The tf.Example features a graph parses, read off its ParseExample, ParseExampleV2 and
// ParseSingleExample nodes (keys from their constant inputs or attrs, dtypes and dense
// shapes from their attrs). Used for synthetic inputs (`tfmodel run --synthetic_inputs`)
// and for the example requests and OpenAPI schemas `tfmodel serve` generates.
#ifndef TFMODEL_GRAPH_EXAMPLE_FEATURES_H_
#define TFMODEL_GRAPH_EXAMPLE_FEATURES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "tensorflow/core/framework/graph.pb.h"
#include "tensorflow/core/framework/node_def.pb.h"

namespace tfmodel {

enum class FeatureKind { kDense, kSparse, kRagged };

struct ExampleFeature {
  std::string name;
  DType dtype = DType::kInvalid;  // float, int64 or string (the feature list kinds)
  FeatureKind kind = FeatureKind::kDense;
  int64_t num_values = 1;  // dense: elements of its shape (unknown dims count 1)
};

using NodeList = google::protobuf::RepeatedPtrField<tensorflow::NodeDef>;

// Whether `node` is an Example parser (its input 0 is the serialized Examples).
bool IsExampleParser(const tensorflow::NodeDef& node);

// The features parser `node` reads, in its order (sparse, dense, ragged keys); `scope` is
// the graph's or function's nodes holding its key constants. Keys that are not constants
// are left out.
std::vector<ExampleFeature> ParserFeatures(const NodeList& scope, const tensorflow::NodeDef& node);

// The features of the first parser fed by `tensor_name` ("node:0"), followed through
// Identity nodes and into the functions PartitionedCall / StatefulPartitionedCall nodes
// call. Empty when the tensor reaches no parser (it is not a serialized tf.Example).
std::vector<ExampleFeature> FindExampleFeatures(const tensorflow::GraphDef& graph,
                                                const std::string& tensor_name);

}  // namespace tfmodel

#endif  // TFMODEL_GRAPH_EXAMPLE_FEATURES_H_
