// `tfmodel freeze`: checkpoint + graph (or a SavedModel) -> one frozen GraphDef, with
// freeze_graph.py's flag names.
#include <cstdio>

#include "CLI/CLI.hpp"
#include "cli/commands.h"
#include "core/flag_values.h"
#include "graph/freeze_job.h"
#include "graph/freeze_tables.h"

namespace tfmodel::cli {
namespace {

int Fail(const std::string& msg) { return PrintError("freeze", msg); }

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

  FreezeJob job;
  job.input_graph = input_graph;
  job.input_meta_graph = input_meta_graph;
  job.input_saved_model_dir = input_saved_model_dir;
  job.saved_model_tags = SplitList(saved_model_tags);
  job.signature_def = signature_def;
  job.input_checkpoint = input_checkpoint;
  job.output_graph = output_graph;
  job.as_text = as_text;
  FreezeOptions& opt = job.options;
  opt.clear_devices = clear;
  opt.output_nodes = SplitList(output_node_names);
  opt.variable_whitelist = SplitList(whitelist);
  opt.variable_blacklist = SplitList(blacklist);
  for (auto& d : SplitList(denylist)) opt.variable_blacklist.push_back(d);
  auto result = RunFreezeJob(job);
  if (!result.ok()) return Fail(std::string(result.status().message()));
  if (!result->had_checkpoint) {
    std::fprintf(stderr, "tfmodel freeze: note: the model has no variables\n");
  }
  const FreezeReport& report = result->report;
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
