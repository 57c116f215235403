// Who reads each node of a GraphDef, for the load-time rewrites (graph_optimize.h,
// fold_batch_norm.h): data uses by consumer and input position, whether a control edge
// starts at the node, and the Const behind an input (through Identity nodes).
#ifndef TFMODEL_GRAPH_GRAPH_USES_H_
#define TFMODEL_GRAPH_GRAPH_USES_H_

#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "tensorflow/core/framework/graph.pb.h"

namespace tfmodel {

struct GraphUse {
  int node;    // the consumer
  int input;   // position among the consumer's inputs
  int output;  // which output of the producer it reads
};

class GraphUses {
 public:
  explicit GraphUses(const tensorflow::GraphDef& g);

  // Index of the node named `name`, or -1.
  int Find(const std::string& name) const;
  const std::vector<GraphUse>& data(int i) const { return data_[i]; }
  bool has_control_use(int i) const { return control_[i] != 0; }

  // The Const node behind `input` (following Identity nodes, at most 8), or null. A node in
  // `keep` (fed) is not a constant.
  const tensorflow::NodeDef* ConstBehind(const std::string& input,
                                         const std::set<std::string>& keep) const;

 private:
  const tensorflow::GraphDef& g_;
  std::unordered_map<std::string, int> index_;
  std::vector<std::vector<GraphUse>> data_;
  std::vector<char> control_;
};

// The number of non-control inputs of a node.
int NumDataInputs(const tensorflow::NodeDef& n);

// Whether the node's attr T is DT_FLOAT.
bool IsFloatNode(const tensorflow::NodeDef& n);

// A string attr, or `dflt` when the node has none.
std::string StrAttrOr(const tensorflow::NodeDef& n, const std::string& name,
                      const std::string& dflt);

}  // namespace tfmodel

#endif  // TFMODEL_GRAPH_GRAPH_USES_H_
