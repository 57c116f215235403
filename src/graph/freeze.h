// Freezing: what TensorFlow's freeze_graph / convert_variables_to_constants do. Prunes a
// graph to what the outputs need and turns every variable read on that path into a Const
// holding the checkpoint value.
#ifndef TFMODEL_GRAPH_FREEZE_H_
#define TFMODEL_GRAPH_FREEZE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "format/checkpoint.h"
#include "tensorflow/core/framework/graph.pb.h"
#include "tensorflow/core/protobuf/saver.pb.h"

namespace tfmodel {

struct FreezeOptions {
  std::vector<std::string> output_nodes;        // node names (":0" suffixes tolerated)
  std::vector<std::string> variable_whitelist;  // empty = all variables
  std::vector<std::string> variable_blacklist;
  bool clear_devices = true;
  // Inline PartitionedCall / StatefulPartitionedCall (TF2 graphs) before freezing.
  bool inline_functions = true;
  // Asset tensors ("Const_3:0") -> the files they stand for, for lookup tables initialized
  // from vocabulary files (see freeze_tables.h).
  std::map<std::string, std::string> asset_files;
};

struct FreezeReport {
  int nodes_in_final_graph = 0;
  std::vector<std::string> variables_converted;
  int64_t bytes_converted = 0;
  int calls_inlined = 0;
  std::vector<std::string> tables_frozen;  // lookup tables given constant initializers
};

// Which checkpoint key holds each variable node's value. Read from the saver's restore
// subgraph when there is one (RestoreV2/Restore feeding Assign/AssignVariableOp), else the
// variable's node name is the key (TF1's default).
std::map<std::string, std::string> VariableCheckpointKeys(const tensorflow::GraphDef& graph);

absl::StatusOr<tensorflow::GraphDef> FreezeGraph(const tensorflow::GraphDef& graph,
                                                 const CheckpointReader& checkpoint,
                                                 const FreezeOptions& options,
                                                 FreezeReport* report = nullptr);

}  // namespace tfmodel

#endif  // TFMODEL_GRAPH_FREEZE_H_
