// `tfmodel export`: checkpoint + graph, a frozen graph or a SavedModel -> a versioned
// SavedModel folder with signatures (what SavedModelBuilder does), published atomically.
#include <cstdio>

#include "CLI/CLI.hpp"
#include "cli/commands.h"
#include "core/flag_values.h"
#include "graph/export_job.h"

namespace tfmodel::cli {
namespace {

int Fail(const std::string& msg) { return PrintError("export", msg); }

}  // namespace

int ExportMain(int argc, char** argv) {
  std::string input_graph, input_meta_graph, input_checkpoint, input_saved_model_dir;
  std::string saved_model_tags = "serve", tags = "serve", export_base, export_dir, signatures_file;
  std::string main_op, legacy_init_op, clear_devices = "false";
  std::vector<std::string> signature_texts, assets;
  int64_t version = -1, unfreeze_min_bytes = -1;
  bool overwrite = false, as_text = false, keep_unused = false;
  CLI::App app{
      "Write a versioned SavedModel with signatures from a checkpoint + graph, a frozen "
      "graph or another SavedModel (like SavedModelBuilder).",
      "tfmodel export"};
  app.add_option("--input_graph", input_graph, "GraphDef or frozen graph (.pb/.pbtxt)");
  app.add_option("--input_meta_graph", input_meta_graph, "MetaGraphDef (.meta)");
  app.add_option("--input_checkpoint", input_checkpoint, "checkpoint prefix, .index, or folder");
  app.add_option("--input_saved_model_dir", input_saved_model_dir,
                 "SavedModel folder to re-export");
  app.add_option("--saved_model_tags", saved_model_tags,
                 "tag set to read from --input_saved_model_dir");
  app.add_option(
      "--signature", signature_texts,
      "'KEY: inputs a=x:0[,b=y:0]; outputs c=z:0; method predict|classify|regress' (repeatable)");
  app.add_option("--signatures", signatures_file,
                 "JSON or text SignatureDefMap file with many signatures");
  app.add_option("--tags", tags, "tags of the written MetaGraphDef (comma separated)");
  app.add_option("--export_base", export_base, "model base path; writes <base>/<version>");
  app.add_option("--export_dir", export_dir, "exact output folder (instead of --export_base)");
  app.add_option("--version", version, "version number (default: next integer)");
  app.add_flag("--overwrite", overwrite, "replace an existing version");
  app.add_option("--clear_devices", clear_devices, "remove device placements (true/false)");
  app.add_option("--main_op", main_op, "node to run after restore (saved_model_main_op)");
  app.add_option("--legacy_init_op", legacy_init_op,
                 "node to run after restore, e.g. table initializers");
  app.add_option("--assets", assets, "files copied into assets/ (recorded as AssetFileDefs)");
  app.add_flag("--as_text", as_text, "write saved_model.pbtxt");
  app.add_option("--unfreeze_min_bytes", unfreeze_min_bytes,
                 "turn Consts of at least N bytes back into variables");
  app.add_flag("--keep_unused_variables", keep_unused,
               "keep variables no signature needs (optimizer slots)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  ExportJob job;
  job.input_graph = input_graph;
  job.input_meta_graph = input_meta_graph;
  job.input_saved_model_dir = input_saved_model_dir;
  job.saved_model_tags = SplitList(saved_model_tags);
  job.input_checkpoint = input_checkpoint;
  job.export_base = export_base;
  job.export_dir = export_dir;
  job.version = version;
  job.overwrite = overwrite;
  job.as_text = as_text;
  ExportOptions& opt = job.options;
  opt.tags = SplitList(tags);
  opt.main_op = main_op;
  opt.legacy_init_op = legacy_init_op;
  opt.asset_files = assets;
  opt.unfreeze_min_bytes = unfreeze_min_bytes;
  opt.keep_unused_variables = keep_unused;
  if (!ParseBool(clear_devices, &opt.clear_devices))
    return Fail("--clear_devices takes true or false");
  for (const auto& t : signature_texts) {
    auto s = ParseSignatureSpec(t);
    if (!s.ok()) return Fail(std::string(s.status().message()));
    opt.signatures.push_back(*s);
  }
  if (!signatures_file.empty()) {
    auto s = ReadSignatureFile(signatures_file);
    if (!s.ok()) return Fail(std::string(s.status().message()));
    for (auto& x : *s) opt.signatures.push_back(x);
  }

  auto result = RunExportJob(job);
  if (!result.ok()) return Fail(std::string(result.status().message()));
  std::printf("Exported %s: %d nodes, %zu signature(s), %zu variable(s) (%lld bytes), tags %s\n",
              result->dir.c_str(), result->nodes, result->signatures, result->variables,
              static_cast<long long>(result->variable_bytes), tags.c_str());
  return 0;
}

}  // namespace tfmodel::cli
