#include "graph/freeze_job.h"

#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "format/checkpoint.h"
#include "format/proto_io.h"
#include "format/saved_model.h"
#include "graph/function_graph.h"

namespace tfmodel {
namespace {

bool FeedsFunctionCall(const tensorflow::GraphDef& g, const std::vector<std::string>& vars) {
  std::set<std::string> v(vars.begin(), vars.end());
  for (const auto& n : g.node()) {
    bool call = n.op() == "While" || n.op() == "StatelessWhile" || n.op() == "If" ||
                n.op() == "StatelessIf" || n.op() == "Case";
    if (!call) continue;
    for (const auto& in : n.input()) {
      if (v.count(ParseTensorName(in).node)) return true;
    }
  }
  return false;
}

// Reads the job's source into `graph` and fills the output nodes, assets and checkpoint
// prefix the source implies.
absl::Status ReadSource(const FreezeJob& job, tensorflow::GraphDef* graph, FreezeOptions* opt,
                        std::string* prefix) {
  int sources =
      !job.input_graph.empty() + !job.input_meta_graph.empty() + !job.input_saved_model_dir.empty();
  if (sources != 1) {
    return absl::InvalidArgumentError(
        "give exactly one of --input_graph, --input_meta_graph, --input_saved_model_dir");
  }
  *prefix = job.input_checkpoint;
  if (!job.input_saved_model_dir.empty()) {
    auto art = ReadModelArtifact(job.input_saved_model_dir, job.saved_model_tags);
    if (!art.ok()) return art.status();
    *graph = art->meta_graph.graph_def();
    RegisterOpDefs(art->meta_graph.meta_info_def().stripped_op_list());
    if (prefix->empty()) *prefix = art->variables_prefix;
    for (const auto& a : art->assets) {
      opt->asset_files[ParseTensorName(a.tensor_name).ToString()] = a.path;
    }
    if (!job.signature_def.empty() || opt->output_nodes.empty()) {
      std::string key = job.signature_def.empty() ? kDefaultServingSignatureKey : job.signature_def;
      auto it = art->meta_graph.signature_def().find(key);
      if (it == art->meta_graph.signature_def().end()) {
        return absl::NotFoundError(absl::StrCat("SavedModel '", job.input_saved_model_dir,
                                                "' has no signature '", key, "'"));
      }
      for (const auto& [alias, info] : it->second.outputs()) {
        opt->output_nodes.push_back(ParseTensorName(info.name()).node);
      }
    }
    return absl::OkStatus();
  }
  if (prefix->empty()) {
    return absl::InvalidArgumentError("--input_checkpoint is required with a graph");
  }
  if (!job.input_meta_graph.empty()) {
    auto mg = ReadMetaGraphDef(job.input_meta_graph);
    if (!mg.ok()) return mg.status();
    *graph = mg->graph_def();
    RegisterOpDefs(mg->meta_info_def().stripped_op_list());
    return absl::OkStatus();
  }
  auto g = ReadGraphDef(job.input_graph);
  if (!g.ok()) return g.status();
  *graph = std::move(*g);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<CheckpointReader>> OpenCheckpoint(const std::string& prefix) {
  if (prefix.empty()) return NewEmptyCheckpointReader();
  auto resolved = ResolveCheckpointPrefix(prefix);
  if (!resolved.ok()) {
    return absl::NotFoundError(absl::StrCat("Input checkpoint '", prefix, "' doesn't exist! (",
                                            resolved.status().message(), ")"));
  }
  auto r = CheckpointReader::Open(*resolved);
  if (!r.ok() && r.status().code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(absl::StrCat("Input checkpoint '", prefix, "' doesn't exist! (",
                                            r.status().message(), ")"));
  }
  return r;
}

}  // namespace

absl::StatusOr<FreezeJobResult> RunFreezeJob(const FreezeJob& job) {
  tensorflow::GraphDef graph;
  FreezeOptions opt = job.options;
  std::string prefix;
  if (auto s = ReadSource(job, &graph, &opt, &prefix); !s.ok()) return s;
  if (opt.output_nodes.empty()) {
    return absl::InvalidArgumentError(
        "You need to supply the name of a node to --output_node_names.");
  }
  auto reader = OpenCheckpoint(prefix);
  if (!reader.ok()) return reader.status();
  FreezeJobResult result;
  result.had_checkpoint = !prefix.empty();
  auto frozen = FreezeGraph(graph, **reader, opt, &result.report);
  if (!frozen.ok()) return frozen.status();
  if (FeedsFunctionCall(*frozen, result.report.variables_converted)) {
    return absl::UnimplementedError(
        "this graph passes variables into functional control flow (If/While/Case bodies); "
        "tfmodel freezes variables read by function calls (inlined) but not yet those read "
        "inside If/While/Case branches");
  }
  if (!job.output_graph.empty()) {
    absl::Status s = WriteProtoFile(job.output_graph, *frozen,
                                    job.as_text ? ProtoFormat::kText : ProtoFormat::kBinary);
    if (!s.ok()) return s;
  }
  result.graph = std::move(*frozen);
  return result;
}

}  // namespace tfmodel
