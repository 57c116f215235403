// One export from files to a versioned SavedModel folder, as `tfmodel export` and the public
// API run it: read the source (a GraphDef or frozen graph, a MetaGraphDef + checkpoint, or
// another SavedModel), build the SavedModel (graph/export.h) and publish it atomically under
// <export_base>/<version> or at export_dir.
#ifndef TFMODEL_GRAPH_EXPORT_JOB_H_
#define TFMODEL_GRAPH_EXPORT_JOB_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "graph/export.h"

namespace tfmodel {

struct ExportJob {
  // Exactly one of the three sources.
  std::string input_graph;
  std::string input_meta_graph;
  std::string input_saved_model_dir;  // re-export: its signatures, ops and assets by default
  std::vector<std::string> saved_model_tags = {"serve"};
  std::string input_checkpoint;  // prefix, .index or folder ("" = none / the SavedModel's)
  // Exactly one destination: <export_base>/<version> (version -1 = next integer) or
  // export_dir.
  std::string export_base;
  std::string export_dir;
  int64_t version = -1;
  bool overwrite = false;
  bool as_text = false;
  ExportOptions options;  // tags, signatures, init ops, assets, clear_devices
};

struct ExportJobResult {
  std::string dir;  // the folder written
  int nodes = 0;
  size_t signatures = 0;
  size_t variables = 0;
  int64_t variable_bytes = 0;
};

absl::StatusOr<ExportJobResult> RunExportJob(const ExportJob& job);

}  // namespace tfmodel

#endif  // TFMODEL_GRAPH_EXPORT_JOB_H_
