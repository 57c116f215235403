#include "graph/export_job.h"

#include <algorithm>
#include <filesystem>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "format/checkpoint.h"
#include "format/proto_io.h"
#include "format/saved_model.h"
#include "format/saved_model_writer.h"

namespace tfmodel {
namespace {

namespace fs = std::filesystem;

// Next integer version under a base path (1 when none).
absl::StatusOr<int64_t> NextVersion(const std::string& base) {
  std::error_code ec;
  if (fs::exists(base, ec) && !fs::is_directory(base, ec)) {
    return absl::InvalidArgumentError(
        absl::StrCat("export base '", base, "' exists and is a file"));
  }
  int64_t max = 0;
  if (fs::is_directory(base, ec)) {
    for (const auto& e : fs::directory_iterator(base, ec)) {
      int64_t v;
      if (e.is_directory() && absl::SimpleAtoi(e.path().filename().string(), &v)) {
        max = std::max(max, v);
      }
    }
  }
  return max + 1;
}

std::string FirstNode(const tensorflow::MetaGraphDef& mg, const char* key) {
  auto it = mg.collection_def().find(key);
  if (it == mg.collection_def().end() || it->second.node_list().value_size() == 0) return "";
  return it->second.node_list().value(0);
}

// A re-export keeps the source SavedModel's signatures, init ops and assets unless the job
// names its own.
absl::Status ReadSavedModelSource(const ExportJob& job, tensorflow::MetaGraphDef* source,
                                  ExportOptions* opt, std::string* prefix) {
  auto art = ReadModelArtifact(job.input_saved_model_dir, job.saved_model_tags);
  if (!art.ok()) return art.status();
  *source = art->meta_graph;
  if (prefix->empty()) *prefix = art->variables_prefix;
  if (opt->signatures.empty()) {
    for (const auto& [key, def] : source->signature_def()) {
      if (key == kInitOpSignatureKey) continue;
      SignatureSpec s;
      s.key = key;
      s.method = def.method_name();
      for (const auto& [a, t] : def.inputs()) s.inputs.emplace_back(a, t.name());
      for (const auto& [a, t] : def.outputs()) s.outputs.emplace_back(a, t.name());
      opt->signatures.push_back(s);
    }
  }
  if (opt->main_op.empty()) opt->main_op = FirstNode(*source, kMainOpCollection);
  if (opt->legacy_init_op.empty()) {
    opt->legacy_init_op = FirstNode(*source, kLegacyInitOpCollection);
  }
  for (const auto& a : art->assets) opt->asset_files.push_back(a.path);
  return absl::OkStatus();
}

absl::Status ReadSource(const ExportJob& job, tensorflow::MetaGraphDef* source, ExportOptions* opt,
                        std::string* prefix) {
  int sources =
      !job.input_graph.empty() + !job.input_meta_graph.empty() + !job.input_saved_model_dir.empty();
  if (sources != 1) {
    return absl::InvalidArgumentError(
        "give exactly one of --input_graph, --input_meta_graph, --input_saved_model_dir");
  }
  *prefix = job.input_checkpoint;
  if (!job.input_saved_model_dir.empty()) return ReadSavedModelSource(job, source, opt, prefix);
  if (!job.input_meta_graph.empty()) {
    auto mg = ReadMetaGraphDef(job.input_meta_graph);
    if (!mg.ok()) return mg.status();
    *source = std::move(*mg);
    return absl::OkStatus();
  }
  auto g = ReadGraphDef(job.input_graph);
  if (!g.ok()) return g.status();
  *source->mutable_graph_def() = std::move(*g);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ExportJobResult> RunExportJob(const ExportJob& job) {
  if (job.export_base.empty() == job.export_dir.empty()) {
    return absl::InvalidArgumentError("give one of --export_base or --export_dir");
  }
  tensorflow::MetaGraphDef source;
  ExportOptions opt = job.options;
  std::string prefix;
  if (auto s = ReadSource(job, &source, &opt, &prefix); !s.ok()) return s;
  std::unique_ptr<CheckpointReader> reader;
  if (!prefix.empty()) {
    auto resolved = ResolveCheckpointPrefix(prefix);
    if (!resolved.ok()) {
      return absl::Status(resolved.status().code(),
                          absl::StrCat("checkpoint '", prefix, "': ", resolved.status().message()));
    }
    auto r = CheckpointReader::Open(*resolved);
    if (!r.ok()) return r.status();
    reader = std::move(*r);
  }
  auto built = BuildExport(source, reader.get(), opt);
  if (!built.ok()) return built.status();

  ExportJobResult result;
  result.dir = job.export_dir;
  if (result.dir.empty()) {
    int64_t version = job.version;
    if (version < 0) {
      auto next = NextVersion(job.export_base);
      if (!next.ok()) return next.status();
      version = *next;
    }
    result.dir = JoinPath(job.export_base, absl::StrCat(version));
  }
  SavedModelWriteOptions wopt;
  wopt.as_text = job.as_text;
  wopt.overwrite = job.overwrite;
  absl::Status s =
      WriteSavedModel(result.dir, built->saved_model, built->variables, built->assets, wopt);
  if (!s.ok()) return s;
  result.nodes = built->nodes;
  result.signatures = opt.signatures.size();
  result.variables = built->variables.size();
  for (const auto& [k, v] : built->variables) {
    result.variable_bytes += static_cast<int64_t>(v.TotalBytes());
  }
  return result;
}

}  // namespace tfmodel
