// `tfmodel convert`: a frozen GraphDef or a SavedModel signature -> a .tflite FlatBuffer, with
// tflite_convert's flag names (--graph_def_file / --saved_model_dir, --input_arrays,
// --output_arrays, --input_shapes, --output_file, --allow_custom_ops).
#include <cstdio>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "core/file_util.h"
#include "format/checkpoint.h"
#include "format/saved_model.h"
#include "graph/freeze.h"
#include "tflite/converter.h"

namespace tfmodel::cli {
namespace {

int Fail(const std::string& msg) {
  std::fprintf(stderr, "tfmodel convert: %s\n", msg.c_str());
  return 1;
}

// A checkpoint with no entries, for SavedModels without variables.
struct NoCheckpoint : CheckpointReader {
  int format_version() const override { return 2; }
  const std::string& prefix() const override { return p; }
  const std::vector<CheckpointEntry>& entries() const override { return e; }
  const CheckpointEntry* Find(const std::string&) const override { return nullptr; }
  absl::StatusOr<Tensor> Read(const std::string& n) const override {
    return absl::NotFoundError("no checkpoint");
  }
  absl::StatusOr<Tensor> ReadSlice(const std::string& n, const std::string&) const override {
    return absl::NotFoundError("no checkpoint");
  }
  std::string p = "(none)";
  std::vector<CheckpointEntry> e;
};

// "1,784:4" -> [[1,784],[4]]; "" entries mean "from the graph"; "?" or -1 = unknown.
absl::StatusOr<std::vector<std::vector<int64_t>>> ParseShapes(const std::string& s) {
  std::vector<std::vector<int64_t>> out;
  if (s.empty()) return out;
  for (absl::string_view one : absl::StrSplit(s, ':')) {
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

}  // namespace

int ConvertMain(int argc, char** argv) {
  std::string graph_file, saved_model_dir, signature, tag_set = "serve", input_arrays,
                                                      output_arrays, input_shapes, output_file;
  bool allow_custom = false, quantize = false;
  CLI::App app{"Convert a frozen GraphDef or a SavedModel signature to a TFLite model.",
               "tfmodel convert"};
  app.add_option("--graph_def_file,--input_graph", graph_file, "frozen GraphDef (.pb / .pbtxt)");
  app.add_option("--saved_model_dir", saved_model_dir, "SavedModel folder");
  app.add_option("--saved_model_signature_key,--signature_def", signature,
                 "SavedModel signature (default serving_default)");
  app.add_option("--saved_model_tag_set", tag_set, "SavedModel tags (comma separated)");
  app.add_option("--input_arrays", input_arrays, "input tensors, comma separated (graphs)");
  app.add_option("--output_arrays", output_arrays, "output tensors, comma separated (graphs)");
  app.add_option("--input_shapes", input_shapes, "shapes per input, e.g. 1,784 or 1,28,28:1");
  app.add_option("--output_file", output_file, "the .tflite file to write")->required();
  app.add_flag("--allow_custom_ops", allow_custom,
               "keep ops without a TFLite builtin as custom operators (NodeDef options)");
  app.add_flag("--quantize_weights,--post_training_quantize", quantize,
               "dynamic-range quantization: int8 weights with per-channel scales");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (graph_file.empty() == saved_model_dir.empty()) {
    return Fail("give exactly one of --graph_def_file (--input_graph) and --saved_model_dir");
  }
  tflite::TfLiteConvertOptions opt;
  opt.allow_custom_ops = allow_custom;
  opt.quantize_weights = quantize;
  auto shapes = ParseShapes(input_shapes);
  if (!shapes.ok()) return Fail(std::string(shapes.status().message()));
  opt.input_shapes = *shapes;
  tensorflow::GraphDef graph;
  int64_t source_bytes = 0;
  if (!graph_file.empty()) {
    auto g = ReadGraphDef(graph_file);
    if (!g.ok()) return Fail(std::string(g.status().message()));
    graph = std::move(*g);
    source_bytes = static_cast<int64_t>(graph.ByteSizeLong());
    opt.input_arrays = SplitList(input_arrays);
    opt.output_arrays = SplitList(output_arrays);
    if (opt.input_arrays.empty() || opt.output_arrays.empty()) {
      return Fail("--input_arrays and --output_arrays are required with a graph");
    }
  } else {
    auto art = ReadModelArtifact(saved_model_dir, SplitList(tag_set));
    if (!art.ok()) return Fail(std::string(art.status().message()));
    const std::string key = signature.empty() ? "serving_default" : signature;
    auto it = art->meta_graph.signature_def().find(key);
    if (it == art->meta_graph.signature_def().end()) {
      std::vector<std::string> keys;
      for (const auto& [k, v] : art->meta_graph.signature_def()) keys.push_back(k);
      return Fail(absl::StrCat("SavedModel has no signature '", key,
                               "'; it has: ", absl::StrJoin(keys, ", ")));
    }
    opt.signature_key = key;
    for (const auto& [alias, info] : it->second.inputs()) {
      opt.input_aliases.push_back(alias);
      opt.input_arrays.push_back(info.name());
    }
    for (const auto& [alias, info] : it->second.outputs()) {
      opt.output_aliases.push_back(alias);
      opt.output_arrays.push_back(info.name());
    }
    FreezeOptions fo;
    for (const auto& o : opt.output_arrays) fo.output_nodes.push_back(ParseTensorName(o).node);
    for (const auto& a : art->assets)
      fo.asset_files[ParseTensorName(a.tensor_name).ToString()] = a.path;
    absl::StatusOr<tensorflow::GraphDef> frozen;
    if (!art->variables_prefix.empty()) {
      auto reader = CheckpointReader::Open(art->variables_prefix);
      if (!reader.ok()) return Fail(std::string(reader.status().message()));
      frozen = FreezeGraph(art->meta_graph.graph_def(), **reader, fo);
    } else {
      NoCheckpoint none;
      frozen = FreezeGraph(art->meta_graph.graph_def(), none, fo);
    }
    if (!frozen.ok()) return Fail(std::string(frozen.status().message()));
    graph = std::move(*frozen);
    source_bytes = static_cast<int64_t>(graph.ByteSizeLong());
  }
  // Lookup tables need their initializer run before the first lookup; the TFLite converter
  // has no lowering for tables or their initializers, so refuse rather than write a model
  // whose lookups fail.
  std::vector<std::string> tables;
  for (const auto& n : graph.node()) {
    if (n.op().find("HashTable") != std::string::npos) {
      tables.push_back(absl::StrCat(n.name(), " (", n.op(), ")"));
    }
  }
  if (!tables.empty()) {
    return Fail(absl::StrCat(
        "the model uses lookup tables (", absl::StrJoin(tables, ", "),
        "), which tfmodel convert cannot lower to TFLite yet; `tfmodel freeze` makes them "
        "constant in a frozen GraphDef that tfmodel and TensorFlow run"));
  }
  tflite::TfLiteConvertReport report;
  auto bytes = tflite::ConvertGraphToTfLite(graph, opt, &report);
  if (!bytes.ok()) return Fail(std::string(bytes.status().message()));
  auto s = WriteStringToFile(output_file, *bytes);
  if (!s.ok()) return Fail(std::string(s.message()));
  std::printf("Wrote %s: %zu bytes (frozen graph %lld bytes), %zu operators: %s\n",
              output_file.c_str(), bytes->size(), static_cast<long long>(source_bytes),
              report.operators.size(), absl::StrJoin(report.operators, ", ").c_str());
  std::printf("  folded %d nodes, fused %d ops\n", report.folded_nodes, report.fused_ops);
  if (quantize) {
    std::printf("  quantized %d weight tensors: %lld -> %lld bytes\n", report.quantized_tensors,
                static_cast<long long>(report.float_weight_bytes),
                static_cast<long long>(report.quantized_weight_bytes));
  }
  return 0;
}

}  // namespace tfmodel::cli
