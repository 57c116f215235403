// `tfmodel run`: run a SavedModel signature (like saved_model_cli run) or named tensors of a
// plain graph, on .npy files or literals; print the outputs or save them as .npy.
#include <cstdio>
#include <filesystem>
#include <set>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "cli/commands.h"
#include "core/file_util.h"
#include "core/flag_values.h"
#include "core/status.h"
#include "format/checkpoint.h"
#include "format/detect.h"
#include "format/literal.h"
#include "format/npy.h"
#include "format/saved_model.h"
#include "format/tensor_proto.h"
#include "format/tflite.h"
#include "graph/output_candidates.h"
#include "graph/synthetic_inputs.h"
#include "runtime/model.h"
#include "runtime/signature_feeds.h"
#include "serving/model_loader.h"
#include "tflite/model.h"

namespace tfmodel::cli {
namespace {

namespace fs = std::filesystem;

int Fail(const std::string& msg) { return PrintError("run", msg); }

// "k=v;k2=v2" and repeated flags -> pairs (split at the first '=').
absl::Status SplitAssignments(const std::vector<std::string>& flags, const char* what,
                              std::vector<std::pair<std::string, std::string>>* out) {
  for (const auto& f : flags) {
    for (absl::string_view part : absl::StrSplit(f, ';', absl::SkipWhitespace())) {
      size_t eq = part.find('=');
      if (eq == absl::string_view::npos || eq == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, " '", part, "' is not of the form NAME=VALUE"));
      }
      out->emplace_back(std::string(part.substr(0, eq)), std::string(part.substr(eq + 1)));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Tensor> LoadNpyOrLiteral(const std::string& value, DType dtype, bool file) {
  if (file) {
    std::string path = value;
    // saved_model_cli allows file.npz[var]; only .npy is supported here.
    if (absl::EndsWith(path, "]") || absl::EndsWith(path, ".npz")) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", value, "': only .npy files are supported"));
    }
    return ReadNpy(path);
  }
  return ParseTensorLiteral(value, dtype);
}

// '@path': the file's raw bytes as a string scalar (a WAV file for DecodeWav, an encoded
// image for DecodeJpeg, a serialized tf.Example, ...).
bool IsRawBytesValue(const std::string& value) { return value.size() > 1 && value[0] == '@'; }

absl::StatusOr<Tensor> LoadValue(const std::string& value, DType dtype, bool file) {
  if (IsRawBytesValue(value)) {
    if (dtype != DType::kInvalid && dtype != DType::kString) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", value,
                       "' feeds a file's raw bytes as a string scalar, but this "
                       "input is ",
                       DTypeName(dtype)));
    }
    auto bytes = ReadFileToString(value.substr(1));
    if (!bytes.ok()) return bytes.status();
    return Tensor::StringScalar(std::move(*bytes));
  }
  auto result = LoadNpyOrLiteral(value, dtype, file);
  if (!result.ok() && FileExists(value)) {
    return absl::InvalidArgumentError(absl::StrCat(result.status().message(),
                                                   " (to feed the raw bytes of file '", value,
                                                   "' as a string, write '@", value, "')"));
  }
  return result;
}

std::string SafeFileName(const std::string& tensor) {
  return absl::StrReplaceAll(tensor, {{":", "_"}, {"/", "_"}});
}

int Emit(const std::string& key, const Tensor& t, const std::string& outdir, bool overwrite) {
  if (outdir.empty()) {
    std::printf("Result for output key %s:\n  %s\n", key.c_str(), t.DebugString(200).c_str());
    return 0;
  }
  std::string path = JoinPath(outdir, SafeFileName(key) + ".npy");
  if (FileExists(path) && !overwrite) return Fail(absl::StrCat(path, " exists (use --overwrite)"));
  absl::Status s = WriteNpy(path, t);
  if (!s.ok()) return Fail(std::string(s.message()));
  std::printf("Output %s (%s %s) saved to %s\n", key.c_str(), DTypeName(t.dtype()).c_str(),
              t.shape().ToString().c_str(), path.c_str());
  return 0;
}

using serving::LoadedModel;

absl::StatusOr<LoadedModel> LoadModel(const std::string& path, const std::string& tag_set,
                                      const std::string& checkpoint) {
  serving::ModelLoadRequest request;
  request.tags = SplitList(tag_set);
  request.checkpoint = checkpoint;
  TFM_ASSIGN_OR_RETURN(LoadedModel m, serving::LoadModelFromPath(path, request));
  if (!m.note.empty()) std::fprintf(stderr, "tfmodel run: %s\n", m.note.c_str());
  return m;
}

// Fills the signature inputs not in `in` with synthetic values. TFLite inputs without a
// shape_signature have an unknown signature shape (they may be resized): they get the shape
// the file declares.
absl::Status AddSyntheticInputs(const LoadedModel& m, const std::string& key,
                                const runtime::Signature& sig, std::map<std::string, Tensor>* in) {
  std::map<std::string, PartialShape> declared;
  if (m.tflite) {
    auto shapes = m.tflite->DeclaredInputShapes(key);
    if (shapes.ok()) declared = std::move(*shapes);
  }
  for (const auto& [k, spec] : sig.inputs) {
    if (in->count(k)) continue;
    // A sparse / ragged input given as components ("word.indices") needs no synthetic value.
    auto part = in->lower_bound(k + ".");
    if (part != in->end() && absl::StartsWith(part->first, k + ".")) continue;
    PartialShape shape = spec.shape;
    if (shape.unknown_rank() && declared.count(k)) shape = declared.at(k);
    auto t = SyntheticInput(m.model->meta_graph().graph_def(), spec.tensor_name, spec.dtype, shape);
    if (!t.ok())
      return absl::InvalidArgumentError(absl::StrCat("input '", k, "': ", t.status().message()));
    (*in)[k] = std::move(*t);
  }
  return absl::OkStatus();
}

const tensorflow::NodeDef* FindNode(const tensorflow::GraphDef& g, const std::string& name) {
  for (const auto& n : g.node()) {
    if (n.name() == name) return &n;
  }
  return nullptr;
}

// Feeds what computing `roots` needs (placeholders, or an iterator's outputs in place of
// the input pipeline) and `feeds` lacks, with synthetic values.
absl::Status AddSyntheticFeeds(const tensorflow::GraphDef& g, const std::vector<std::string>& roots,
                               std::vector<std::pair<std::string, Tensor>>* feeds) {
  std::set<std::string> fed;
  for (const auto& [k, v] : *feeds) fed.insert(k);
  TFM_ASSIGN_OR_RETURN(auto needed, RequiredFeeds(g, roots, fed));
  for (const auto& spec : needed) {
    auto t = SyntheticInput(g, spec.tensor, spec.dtype, spec.shape);
    if (!t.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("input '", spec.tensor, "': ", t.status().message()));
    }
    if (FindNode(g, ParseTensorName(spec.tensor).node)->op() != "Placeholder") {
      std::fprintf(stderr, "tfmodel run: feeding %s (%s %s) in place of the input pipeline\n",
                   spec.tensor.c_str(), DTypeName(spec.dtype).c_str(),
                   t->shape().ToString().c_str());
    }
    feeds->emplace_back(spec.tensor, std::move(*t));
  }
  return absl::OkStatus();
}

// What `tfmodel run` was asked, flags parsed.
struct RunRequest {
  std::string signature, outdir;
  bool overwrite = false, synthetic = false;
  int iterations = 1;
  std::vector<std::string> fetches, targets;
  std::vector<std::pair<std::string, std::string>> files, exprs, feed_pairs;
};

// Runs signature r.signature on the --inputs / --input_exprs values (and synthetic ones).
int RunBySignature(const LoadedModel& loaded_model, const RunRequest& r) {
  runtime::Model* model = loaded_model.model.get();
  const auto& sigs = model->signatures();
  const std::string& signature = r.signature;
  auto sit = sigs.find(signature);
  if (sit == sigs.end()) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : sigs) keys.push_back(k);
    return Fail(
        absl::StrCat("no signature '", signature, "'; the model has: ", absl::StrJoin(keys, ", ")));
  }
  const runtime::Signature& sig = sit->second;
  std::map<std::string, Tensor> in;
  auto add = [&](const std::string& key, const std::string& value, bool file) -> int {
    // An alias, or a component of a sparse / ragged input ("word.indices").
    auto dtype = runtime::FeedDType(sig, key);
    if (!dtype.ok()) {
      std::vector<std::string> keys;
      for (const auto& [k, v] : sig.inputs) keys.push_back(k);
      return Fail(absl::StrCat("signature '", signature, "' has no input '", key,
                               "'; inputs are: ", absl::StrJoin(keys, ", ")));
    }
    auto t = LoadValue(value, *dtype, file);
    if (!t.ok()) return Fail(absl::StrCat("input '", key, "': ", t.status().message()));
    in[key] = std::move(*t);
    return 0;
  };
  for (const auto& [k, v] : r.files) {
    if (int rc = add(k, v, true)) return rc;
  }
  for (const auto& [k, v] : r.exprs) {
    if (int rc = add(k, v, false)) return rc;
  }
  if (r.synthetic) {
    absl::Status st = AddSyntheticInputs(loaded_model, signature, sig, &in);
    if (!st.ok()) return Fail(std::string(st.message()));
  }
  absl::StatusOr<std::map<std::string, Tensor>> out;
  for (int i = 0; i < std::max(1, r.iterations); ++i) out = model->RunSignature(signature, in);
  if (!out.ok()) return Fail(std::string(out.status().message()));
  for (const auto& [k, t] : *out) {
    if (int rc = Emit(k, t, r.outdir, r.overwrite)) return rc;
  }
  return 0;
}

// Plain graph: feeds and fetches by tensor name.
int RunByTensorNames(const LoadedModel& loaded_model, RunRequest r) {
  runtime::Model* model = loaded_model.model.get();
  std::vector<std::string>& fetches = r.fetches;
  const std::vector<std::string>& targets = r.targets;
  if (fetches.empty() && targets.empty()) {
    if (!r.synthetic) {
      return Fail(
          "this model has no signatures: name what to compute with --fetch TENSOR (`tfmodel "
          "inspect` lists the likely outputs; --synthetic_inputs alone fetches them)");
    }
    fetches = DefaultFetches(RankOutputCandidates(model->meta_graph().graph_def()));
    if (fetches.empty()) {
      return Fail("no --fetch given and no likely output found: name one with --fetch TENSOR");
    }
    std::fprintf(stderr, "tfmodel run: no --fetch given; fetching the likely outputs %s\n",
                 absl::StrJoin(fetches, ", ").c_str());
  }
  const auto& g = model->meta_graph().graph_def();
  std::vector<std::pair<std::string, Tensor>> feed_tensors;
  auto add_feed = [&](const std::string& name, const std::string& value, bool file) -> int {
    const tensorflow::NodeDef* n = FindNode(g, ParseTensorName(name).node);
    DType dtype = DType::kInvalid;
    if (n) {
      auto it = n->attr().find("dtype");
      if (it != n->attr().end()) dtype = BaseDType(it->second.type());
    }
    auto t = LoadValue(value, dtype, file);
    if (!t.ok()) return Fail(absl::StrCat("feed '", name, "': ", t.status().message()));
    feed_tensors.emplace_back(name, std::move(*t));
    return 0;
  };
  for (const auto& [k, v] : r.feed_pairs) {
    // A value naming an existing file is a file (then read as .npy, by content); '@path'
    // feeds raw bytes.
    bool file = !IsRawBytesValue(v) && ((FileExists(v) && !IsDirectory(v)) ||
                                        absl::EndsWith(v, ".npy") || absl::EndsWith(v, ".npz"));
    if (int rc = add_feed(k, v, file)) return rc;
  }
  for (const auto& [k, v] : r.files) {
    if (int rc = add_feed(k, v, true)) return rc;
  }
  for (const auto& [k, v] : r.exprs) {
    if (int rc = add_feed(k, v, false)) return rc;
  }
  if (r.synthetic) {
    std::vector<std::string> roots = fetches;
    for (const auto& t : targets) roots.push_back(t);
    absl::Status st = AddSyntheticFeeds(g, roots, &feed_tensors);
    if (!st.ok()) return Fail(std::string(st.message()));
  }
  absl::StatusOr<std::vector<Tensor>> out;
  for (int i = 0; i < std::max(1, r.iterations); ++i)
    out = model->Run(feed_tensors, fetches, targets);
  if (!out.ok()) return Fail(std::string(out.status().message()));
  for (size_t i = 0; i < fetches.size() && i < out->size(); ++i) {
    if (int rc = Emit(fetches[i], (*out)[i], r.outdir, r.overwrite)) return rc;
  }
  return 0;
}

}  // namespace

int RunMain(int argc, char** argv) {
  std::string model_path, tag_set, signature = kDefaultServingSignatureKey, outdir, checkpoint;
  std::vector<std::string> inputs, input_exprs, feeds, fetches, targets;
  bool overwrite = false, synthetic = false;
  int iterations = 1;
  CLI::App app{
      "Run a SavedModel signature, a TFLite model, or tensors of a GraphDef / MetaGraphDef, on "
      ".npy files or literals. The model's kind is recognized by content, whatever it is "
      "named.",
      "tfmodel run"};
  app.add_option("model", model_path,
                 "SavedModel folder, TFLite model, GraphDef (binary or text), or "
                 "MetaGraphDef (+ --checkpoint)")
      ->required();
  app.add_option("--dir", model_path, "same as the positional argument (saved_model_cli's name)");
  app.add_option("--tag_set", tag_set,
                 "SavedModel tag set (comma separated); default serve, or the only one there is");
  app.add_option("--signature_def", signature, "signature key (SavedModel)");
  app.add_option("--inputs", inputs,
                 "'key=file.npy[;key2=...]' (signature input alias or tensor name); "
                 "'key=@file' feeds the file's raw bytes as a string scalar");
  app.add_option("--input_exprs", input_exprs, "'key=[1.0,2.0]' literal values");
  app.add_option("--feed", feeds,
                 "plain graphs: 'X:0=file.npy', 'keep_prob:0=1.0' or 'wav_data:0=@file.wav' "
                 "(raw bytes as a string scalar) (repeatable)");
  app.add_option("--fetch", fetches, "plain graphs: tensor to fetch, e.g. output:0 (repeatable)");
  app.add_option("--target", targets, "node to run for its effect (repeatable)");
  app.add_option("--checkpoint", checkpoint, "checkpoint prefix for a .meta graph");
  app.add_option("--outdir", outdir, "write each output as <key>.npy here");
  app.add_flag("--overwrite", overwrite, "overwrite files in --outdir");
  app.add_flag("--synthetic_inputs", synthetic, "fill every input from its dtype and shape");
  app.add_option("--iterations", iterations, "run this many times (prints the last result)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!outdir.empty()) {
    std::error_code ec;
    fs::create_directories(outdir, ec);
  }
  auto loaded = LoadModel(model_path, tag_set, checkpoint);
  if (!loaded.ok()) return Fail(std::string(loaded.status().message()));
  const LoadedModel& loaded_model = *loaded;
  runtime::Model* model = loaded_model.model.get();

  std::vector<std::pair<std::string, std::string>> files, exprs, feed_pairs;
  for (auto [flags, what, out] :
       {std::tuple{&inputs, "--inputs", &files}, std::tuple{&input_exprs, "--input_exprs", &exprs},
        std::tuple{&feeds, "--feed", &feed_pairs}}) {
    absl::Status s = SplitAssignments(*flags, what, out);
    if (!s.ok()) return Fail(std::string(s.message()));
  }

  RunRequest r;
  r.signature = signature;
  r.outdir = outdir;
  r.overwrite = overwrite;
  r.synthetic = synthetic;
  r.iterations = iterations;
  r.fetches = fetches;
  r.targets = targets;
  r.files = std::move(files);
  r.exprs = std::move(exprs);
  r.feed_pairs = std::move(feed_pairs);
  if (fetches.empty() && !model->signatures().empty()) return RunBySignature(loaded_model, r);
  return RunByTensorNames(loaded_model, std::move(r));
}

}  // namespace tfmodel::cli
