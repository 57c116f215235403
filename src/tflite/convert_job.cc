#include "tflite/convert_job.h"

#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/file_util.h"
#include "format/checkpoint.h"
#include "format/proto_io.h"
#include "format/saved_model.h"
#include "graph/freeze.h"

namespace tfmodel::tflite {
namespace {

// Freezes the SavedModel's signature and fills the arrays and aliases from it.
absl::StatusOr<tensorflow::GraphDef> FrozenSignature(const ConvertJob& job,
                                                     TfLiteConvertOptions* opt) {
  auto art = ReadModelArtifact(job.saved_model_dir, job.saved_model_tag_set);
  if (!art.ok()) return art.status();
  const std::string key = job.saved_model_signature_key.empty() ? kDefaultServingSignatureKey
                                                                : job.saved_model_signature_key;
  auto it = art->meta_graph.signature_def().find(key);
  if (it == art->meta_graph.signature_def().end()) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : art->meta_graph.signature_def()) keys.push_back(k);
    return absl::NotFoundError(absl::StrCat("SavedModel has no signature '", key,
                                            "'; it has: ", absl::StrJoin(keys, ", ")));
  }
  opt->signature_key = key;
  opt->input_arrays.clear();
  opt->output_arrays.clear();
  for (const auto& [alias, info] : it->second.inputs()) {
    opt->input_aliases.push_back(alias);
    opt->input_arrays.push_back(info.name());
  }
  for (const auto& [alias, info] : it->second.outputs()) {
    opt->output_aliases.push_back(alias);
    opt->output_arrays.push_back(info.name());
  }
  FreezeOptions fo;
  for (const auto& o : opt->output_arrays) fo.output_nodes.push_back(ParseTensorName(o).node);
  for (const auto& a : art->assets) {
    fo.asset_files[ParseTensorName(a.tensor_name).ToString()] = a.path;
  }
  std::unique_ptr<CheckpointReader> reader = NewEmptyCheckpointReader();
  if (!art->variables_prefix.empty()) {
    auto r = CheckpointReader::Open(art->variables_prefix);
    if (!r.ok()) return r.status();
    reader = std::move(*r);
  }
  return FreezeGraph(art->meta_graph.graph_def(), *reader, fo);
}

// Lookup tables need their initializer run before the first lookup; the converter has no
// lowering for tables or their initializers, so refuse rather than write a model whose
// lookups fail.
absl::Status CheckNoTables(const tensorflow::GraphDef& graph) {
  std::vector<std::string> tables;
  for (const auto& n : graph.node()) {
    if (n.op().find("HashTable") != std::string::npos) {
      tables.push_back(absl::StrCat(n.name(), " (", n.op(), ")"));
    }
  }
  if (tables.empty()) return absl::OkStatus();
  return absl::UnimplementedError(absl::StrCat(
      "the model uses lookup tables (", absl::StrJoin(tables, ", "),
      "), which tfmodel convert cannot lower to TFLite yet; `tfmodel freeze` makes them "
      "constant in a frozen GraphDef that tfmodel and TensorFlow run"));
}

}  // namespace

absl::StatusOr<ConvertJobResult> RunConvertJob(const ConvertJob& job) {
  if (job.graph_def_file.empty() == job.saved_model_dir.empty()) {
    return absl::InvalidArgumentError(
        "give exactly one of --graph_def_file (--input_graph) and --saved_model_dir");
  }
  TfLiteConvertOptions opt = job.options;
  tensorflow::GraphDef graph;
  if (!job.graph_def_file.empty()) {
    if (opt.input_arrays.empty() || opt.output_arrays.empty()) {
      return absl::InvalidArgumentError(
          "--input_arrays and --output_arrays are required with a graph");
    }
    auto g = ReadGraphDef(job.graph_def_file);
    if (!g.ok()) return g.status();
    graph = std::move(*g);
  } else {
    auto frozen = FrozenSignature(job, &opt);
    if (!frozen.ok()) return frozen.status();
    graph = std::move(*frozen);
  }
  if (auto s = CheckNoTables(graph); !s.ok()) return s;
  ConvertJobResult result;
  result.frozen_graph_bytes = static_cast<int64_t>(graph.ByteSizeLong());
  auto bytes = ConvertGraphToTfLite(graph, opt, &result.report);
  if (!bytes.ok()) return bytes.status();
  result.flatbuffer = std::move(*bytes);
  if (!job.output_file.empty()) {
    if (auto s = WriteStringToFile(job.output_file, result.flatbuffer); !s.ok()) return s;
  }
  return result;
}

absl::StatusOr<std::vector<std::vector<int64_t>>> ParseInputShapes(const std::string& text) {
  std::vector<std::vector<int64_t>> out;
  if (text.empty()) return out;
  for (absl::string_view one : absl::StrSplit(text, ':')) {
    std::vector<int64_t> dims;
    for (absl::string_view d : absl::StrSplit(one, ',', absl::SkipEmpty())) {
      int64_t v;
      if (d == "?" || d == "None") {
        v = -1;
      } else if (!absl::SimpleAtoi(d, &v) || v < -1) {
        return absl::InvalidArgumentError(absl::StrCat("bad --input_shapes entry '", one, "'"));
      }
      dims.push_back(v);
    }
    out.push_back(std::move(dims));
  }
  return out;
}

}  // namespace tfmodel::tflite
