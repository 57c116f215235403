// `tfmodel export`: checkpoint + graph, a frozen graph or a SavedModel -> a versioned
// SavedModel folder with signatures (what SavedModelBuilder does), published atomically.
#include "graph/export.h"

#include <cstdio>
#include <filesystem>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "core/file_util.h"
#include "format/checkpoint.h"
#include "format/saved_model.h"
#include "format/saved_model_writer.h"

namespace tfmodel::cli {
namespace {

namespace fs = std::filesystem;

int Fail(const std::string& msg) {
  std::fprintf(stderr, "tfmodel export: %s\n", msg.c_str());
  return 1;
}

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
      if (e.is_directory() && absl::SimpleAtoi(e.path().filename().string(), &v))
        max = std::max(max, v);
    }
  }
  return max + 1;
}

std::string FirstNode(const tensorflow::MetaGraphDef& mg, const char* key) {
  auto it = mg.collection_def().find(key);
  if (it == mg.collection_def().end() || it->second.node_list().value_size() == 0) return "";
  return it->second.node_list().value(0);
}

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
  int sources = !input_graph.empty() + !input_meta_graph.empty() + !input_saved_model_dir.empty();
  if (sources != 1)
    return Fail("give exactly one of --input_graph, --input_meta_graph, --input_saved_model_dir");
  if (export_base.empty() == export_dir.empty())
    return Fail("give one of --export_base or --export_dir");

  ExportOptions opt;
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

  tensorflow::MetaGraphDef source;
  std::string prefix = input_checkpoint;
  if (!input_saved_model_dir.empty()) {
    auto art = ReadModelArtifact(input_saved_model_dir, SplitList(saved_model_tags));
    if (!art.ok()) return Fail(std::string(art.status().message()));
    source = art->meta_graph;
    if (prefix.empty()) prefix = art->variables_prefix;
    if (opt.signatures.empty()) {
      for (const auto& [key, def] : source.signature_def()) {
        if (key == kInitOpSignatureKey) continue;
        SignatureSpec s;
        s.key = key;
        s.method = def.method_name();
        for (const auto& [a, t] : def.inputs()) s.inputs.emplace_back(a, t.name());
        for (const auto& [a, t] : def.outputs()) s.outputs.emplace_back(a, t.name());
        opt.signatures.push_back(s);
      }
    }
    if (opt.main_op.empty()) opt.main_op = FirstNode(source, kMainOpCollection);
    if (opt.legacy_init_op.empty()) opt.legacy_init_op = FirstNode(source, kLegacyInitOpCollection);
    for (const auto& a : art->assets) opt.asset_files.push_back(a.path);
  } else if (!input_meta_graph.empty()) {
    auto mg = ReadMetaGraphDef(input_meta_graph);
    if (!mg.ok()) return Fail(std::string(mg.status().message()));
    source = std::move(*mg);
  } else {
    auto g = ReadGraphDef(input_graph);
    if (!g.ok()) return Fail(std::string(g.status().message()));
    *source.mutable_graph_def() = std::move(*g);
  }

  std::unique_ptr<CheckpointReader> reader;
  if (!prefix.empty()) {
    auto resolved = ResolveCheckpointPrefix(prefix);
    if (!resolved.ok())
      return Fail(absl::StrCat("checkpoint '", prefix, "': ", resolved.status().message()));
    auto r = CheckpointReader::Open(*resolved);
    if (!r.ok()) return Fail(std::string(r.status().message()));
    reader = std::move(*r);
  }
  auto result = BuildExport(source, reader.get(), opt);
  if (!result.ok()) return Fail(std::string(result.status().message()));

  std::string out = export_dir;
  if (out.empty()) {
    if (version < 0) {
      auto next = NextVersion(export_base);
      if (!next.ok()) return Fail(std::string(next.status().message()));
      version = *next;
    }
    out = JoinPath(export_base, absl::StrCat(version));
  }
  SavedModelWriteOptions wopt;
  wopt.as_text = as_text;
  wopt.overwrite = overwrite;
  absl::Status s =
      WriteSavedModel(out, result->saved_model, result->variables, result->assets, wopt);
  if (!s.ok()) return Fail(std::string(s.message()));
  int64_t bytes = 0;
  for (const auto& [k, v] : result->variables) bytes += static_cast<int64_t>(v.TotalBytes());
  std::printf("Exported %s: %d nodes, %zu signature(s), %zu variable(s) (%lld bytes), tags %s\n",
              out.c_str(), result->nodes, opt.signatures.size(), result->variables.size(),
              static_cast<long long>(bytes), tags.c_str());
  return 0;
}

}  // namespace tfmodel::cli
