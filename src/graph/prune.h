// Graph-to-graph helpers: pruning to what some nodes need, name lookups.
#ifndef TFMODEL_GRAPH_PRUNE_H_
#define TFMODEL_GRAPH_PRUNE_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tensorflow/core/framework/graph.pb.h"

namespace tfmodel {

// The nodes `roots` depend on (data and control inputs, transitively), roots included.
// Nodes in `stops` (fed nodes) are included but their inputs are not followed.
// Unknown roots fail with an error suggesting close node names.
absl::StatusOr<std::set<std::string>> ReachableNodes(const tensorflow::GraphDef& graph,
                                                     const std::vector<std::string>& roots,
                                                     const std::set<std::string>& stops = {});
// A copy of `graph` keeping only `keep` (node order and library preserved).
tensorflow::GraphDef KeepNodes(const tensorflow::GraphDef& graph,
                               const std::set<std::string>& keep);

}  // namespace tfmodel

#endif  // TFMODEL_GRAPH_PRUNE_H_
