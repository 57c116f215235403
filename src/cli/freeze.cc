// `tfmodel freeze`: checkpoint + graph (or a SavedModel) -> one frozen GraphDef, with
// freeze_graph.py's flag names.
#include "graph/freeze.h"

#include <cstdio>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "core/file_util.h"
#include "format/checkpoint.h"
#include "format/proto_io.h"
#include "format/saved_model.h"
#include "graph/freeze_tables.h"
#include "graph/function_graph.h"

namespace tfmodel::cli {
namespace {

int Fail(const std::string& msg) {
  std::fprintf(stderr, "tfmodel freeze: %s\n", msg.c_str());
  return 1;
}

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

}  // namespace

int FreezeMain(int argc, char** argv) {
  std::string input_graph, input_meta_graph, input_checkpoint, input_saved_model_dir;
  std::string saved_model_tags = "serve", signature_def, output_node_names, output_graph;
  std::string whitelist, blacklist, denylist, initializer_nodes, clear_devices = "true";
  std::string restore_op_name, filename_tensor_name, input_saver, input_binary;
  int checkpoint_version = 2;
  bool as_text = false;
  CLI::App app{
      "Freeze variables into constants: checkpoint + graph (or a SavedModel) -> one "
      "GraphDef, like TensorFlow's freeze_graph.",
      "tfmodel freeze"};
  app.add_option("--input_graph", input_graph, "GraphDef (.pb or .pbtxt)");
  app.add_option("--input_meta_graph", input_meta_graph, "MetaGraphDef (.meta)");
  app.add_option("--input_checkpoint", input_checkpoint,
                 "checkpoint prefix, .index file, or folder with a `checkpoint` file");
  app.add_option("--input_saved_model_dir", input_saved_model_dir, "SavedModel folder");
  app.add_option("--saved_model_tags", saved_model_tags,
                 "tag set of the SavedModel (comma separated)");
  app.add_option("--signature_def", signature_def,
                 "SavedModel: freeze the outputs of this signature");
  app.add_option("--output_node_names", output_node_names, "comma-separated output node names");
  app.add_option("--output_graph", output_graph, "where to write the frozen GraphDef")->required();
  app.add_flag("--as_text", as_text, "write text format (.pbtxt)");
  app.add_option("--variable_names_whitelist,--variable_names_allowlist", whitelist,
                 "only convert these variables");
  app.add_option("--variable_names_blacklist", blacklist, "do not convert these variables");
  app.add_option("--variable_names_denylist", denylist, "do not convert these variables");
  app.add_option("--clear_devices", clear_devices, "remove device placements (default true)");
  app.add_option("--initializer_nodes", initializer_nodes,
                 "accepted for compatibility; values come from the checkpoint");
  app.add_option("--restore_op_name", restore_op_name, "accepted for compatibility (unused)");
  app.add_option("--filename_tensor_name", filename_tensor_name,
                 "accepted for compatibility (unused)");
  app.add_option("--input_saver", input_saver, "accepted for compatibility (unused)");
  app.add_option("--input_binary", input_binary, "accepted; the format is detected");
  app.add_option("--checkpoint_version", checkpoint_version, "1 or 2; the format is detected");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  bool clear = true;
  if (!ParseBool(clear_devices, &clear)) return Fail("--clear_devices takes true or false");
  int sources = !input_graph.empty() + !input_meta_graph.empty() + !input_saved_model_dir.empty();
  if (sources != 1) {
    return Fail("give exactly one of --input_graph, --input_meta_graph, --input_saved_model_dir");
  }
  if (!initializer_nodes.empty()) {
    std::fprintf(stderr,
                 "tfmodel freeze: note: --initializer_nodes are not run; variable values come from "
                 "the checkpoint\n");
  }

  tensorflow::GraphDef graph;
  std::string prefix;
  FreezeOptions opt;
  opt.clear_devices = clear;
  opt.output_nodes = SplitList(output_node_names);
  opt.variable_whitelist = SplitList(whitelist);
  opt.variable_blacklist = SplitList(blacklist);
  for (auto& d : SplitList(denylist)) opt.variable_blacklist.push_back(d);

  if (!input_saved_model_dir.empty()) {
    auto art = ReadModelArtifact(input_saved_model_dir, SplitList(saved_model_tags));
    if (!art.ok()) return Fail(std::string(art.status().message()));
    graph = art->meta_graph.graph_def();
    RegisterOpDefs(art->meta_graph.meta_info_def().stripped_op_list());
    prefix = input_checkpoint.empty() ? art->variables_prefix : input_checkpoint;
    for (const auto& a : art->assets)
      opt.asset_files[ParseTensorName(a.tensor_name).ToString()] = a.path;
    if (!signature_def.empty() || opt.output_nodes.empty()) {
      std::string key = signature_def.empty() ? kDefaultServingSignatureKey : signature_def;
      auto it = art->meta_graph.signature_def().find(key);
      if (it == art->meta_graph.signature_def().end()) {
        return Fail(absl::StrCat("SavedModel has no signature '", key, "'"));
      }
      for (const auto& [alias, info] : it->second.outputs()) {
        opt.output_nodes.push_back(ParseTensorName(info.name()).node);
      }
    }
  } else {
    if (input_checkpoint.empty()) return Fail("--input_checkpoint is required with a graph");
    prefix = input_checkpoint;
    if (!input_meta_graph.empty()) {
      auto mg = ReadMetaGraphDef(input_meta_graph);
      if (!mg.ok()) return Fail(std::string(mg.status().message()));
      graph = mg->graph_def();
      RegisterOpDefs(mg->meta_info_def().stripped_op_list());
    } else {
      auto g = ReadGraphDef(input_graph);
      if (!g.ok()) return Fail(std::string(g.status().message()));
      graph = std::move(*g);
    }
  }
  if (opt.output_nodes.empty())
    return Fail("You need to supply the name of a node to --output_node_names.");

  std::unique_ptr<CheckpointReader> reader;
  if (!prefix.empty()) {
    auto resolved = ResolveCheckpointPrefix(prefix);
    if (!resolved.ok()) {
      return Fail(absl::StrCat("Input checkpoint '", prefix, "' doesn't exist! (",
                               resolved.status().message(), ")"));
    }
    auto r = CheckpointReader::Open(*resolved);
    if (!r.ok()) {
      if (r.status().code() == absl::StatusCode::kNotFound) {
        return Fail(absl::StrCat("Input checkpoint '", prefix, "' doesn't exist! (",
                                 r.status().message(), ")"));
      }
      return Fail(std::string(r.status().message()));
    }
    reader = std::move(*r);
  }
  if (!reader) {
    // No variables at all: freezing is pruning.
    std::fprintf(stderr, "tfmodel freeze: note: the model has no variables\n");
  }
  FreezeReport report;
  absl::StatusOr<tensorflow::GraphDef> frozen;
  if (reader) {
    frozen = FreezeGraph(graph, *reader, opt, &report);
  } else {
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
    } none;
    frozen = FreezeGraph(graph, none, opt, &report);
  }
  if (!frozen.ok()) return Fail(std::string(frozen.status().message()));
  if (FeedsFunctionCall(*frozen, report.variables_converted)) {
    return Fail(
        "this graph passes variables into functional control flow (If/While/Case bodies); "
        "tfmodel freezes variables read by function calls (inlined) but not yet those read "
        "inside If/While/Case branches");
  }
  absl::Status s =
      WriteProtoFile(output_graph, *frozen, as_text ? ProtoFormat::kText : ProtoFormat::kBinary);
  if (!s.ok()) return Fail(std::string(s.message()));
  if (report.calls_inlined > 0) {
    std::printf("Inlined %d function calls.\n", report.calls_inlined);
  }
  std::printf("Converted %zu variables to const ops (%lld bytes).\n",
              report.variables_converted.size(), static_cast<long long>(report.bytes_converted));
  if (!report.tables_frozen.empty()) {
    std::printf(
        "Made %zu lookup tables constant; run node '%s' once before using the graph in "
        "TensorFlow (tfmodel runs it at load).\n",
        report.tables_frozen.size(), kTablesInitializerName);
  }
  std::printf("%d ops in the final graph.\n", report.nodes_in_final_graph);
  std::printf("Wrote %s\n", output_graph.c_str());
  return 0;
}

}  // namespace tfmodel::cli
