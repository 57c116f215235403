// One freeze from files to a file, as `tfmodel freeze` and the public API run it: read the
// graph (a GraphDef, a MetaGraphDef or a SavedModel), open its checkpoint, freeze the
// variables into constants (graph/freeze.h) and write the frozen GraphDef. The fields are
// freeze_graph.py's flags.
#ifndef TFMODEL_GRAPH_FREEZE_JOB_H_
#define TFMODEL_GRAPH_FREEZE_JOB_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "graph/freeze.h"
#include "tensorflow/core/framework/graph.pb.h"

namespace tfmodel {

struct FreezeJob {
  // Exactly one of the three sources.
  std::string input_graph;            // GraphDef (.pb / .pbtxt)
  std::string input_meta_graph;       // MetaGraphDef (.meta)
  std::string input_saved_model_dir;  // SavedModel folder
  std::vector<std::string> saved_model_tags = {"serve"};
  // SavedModel: freeze this signature's outputs (serving_default when no output node is
  // named either).
  std::string signature_def;
  // Checkpoint prefix, .index file or folder; required with a graph, defaults to the
  // SavedModel's variables.
  std::string input_checkpoint;
  std::string output_graph;  // where to write ("" = only return the graph)
  bool as_text = false;
  // Output nodes, variable allow/deny lists, clear_devices.
  FreezeOptions options;
};

struct FreezeJobResult {
  tensorflow::GraphDef graph;
  FreezeReport report;
  bool had_checkpoint = false;  // false: the model has no variables (freezing = pruning)
};

absl::StatusOr<FreezeJobResult> RunFreezeJob(const FreezeJob& job);

}  // namespace tfmodel

#endif  // TFMODEL_GRAPH_FREEZE_JOB_H_
