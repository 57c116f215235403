// `tfmodel run`: run a SavedModel signature (like saved_model_cli run) or named tensors of a
// plain graph, on .npy files or literals; print the outputs or save them as .npy.
#include <cstdio>
#include <filesystem>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "core/file_util.h"
#include "format/checkpoint.h"
#include "format/literal.h"
#include "format/npy.h"
#include "format/saved_model.h"
#include "format/tensor_proto.h"
#include "graph/synthetic_inputs.h"
#include "runtime/model.h"
#include "runtime/signature_feeds.h"
#include "runtime/tflite_model.h"

namespace tfmodel::cli {
namespace {

namespace fs = std::filesystem;

int Fail(const std::string& msg) {
  std::fprintf(stderr, "tfmodel run: %s\n", msg.c_str());
  return 1;
}

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

absl::StatusOr<Tensor> LoadValue(const std::string& value, DType dtype, bool file) {
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

const tensorflow::NodeDef* FindNode(const tensorflow::GraphDef& g, const std::string& name) {
  for (const auto& n : g.node()) {
    if (n.name() == name) return &n;
  }
  return nullptr;
}

}  // namespace

int RunMain(int argc, char** argv) {
  std::string model_path, tag_set = "serve", signature = kDefaultServingSignatureKey, outdir,
                          checkpoint;
  std::vector<std::string> inputs, input_exprs, feeds, fetches, targets, init_ops;
  bool overwrite = false, synthetic = false;
  int iterations = 1;
  CLI::App app{
      "Run a SavedModel signature, or tensors of a GraphDef / MetaGraphDef, on .npy files "
      "or literals.",
      "tfmodel run"};
  app.add_option("model", model_path,
                 "SavedModel folder, frozen .pb/.pbtxt, or .meta (+ --checkpoint)")
      ->required();
  app.add_option("--dir", model_path, "same as the positional argument (saved_model_cli's name)");
  app.add_option("--tag_set", tag_set, "SavedModel tag set (comma separated)");
  app.add_option("--signature_def", signature, "signature key (SavedModel)");
  app.add_option("--inputs", inputs,
                 "'key=file.npy[;key2=...]' (signature input alias or tensor name)");
  app.add_option("--input_exprs", input_exprs, "'key=[1.0,2.0]' literal values");
  app.add_option("--feed", feeds, "plain graphs: 'X:0=file.npy' or 'keep_prob:0=1.0' (repeatable)");
  app.add_option("--fetch", fetches, "plain graphs: tensor to fetch, e.g. output:0 (repeatable)");
  app.add_option("--target", targets, "node to run for its effect (repeatable)");
  app.add_option("--init_op", init_ops,
                 "node to run once after loading, before anything else, e.g. a frozen graph's "
                 "init_all_tables (repeatable)");
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
  std::unique_ptr<runtime::Model> model;
  bool saved_model = IsDirectory(model_path);
  // A version folder holding only model.tflite runs the TFLite model.
  if (saved_model && !IsSavedModelDir(model_path) &&
      FileExists(JoinPath(model_path, "model.tflite"))) {
    model_path = JoinPath(model_path, "model.tflite");
    saved_model = false;
  }
  if (saved_model) {
    auto m = runtime::Model::LoadSavedModel(model_path, SplitList(tag_set));
    if (!m.ok()) return Fail(std::string(m.status().message()));
    model = std::move(*m);
  } else if (absl::EndsWith(model_path, ".tflite")) {
    auto m = runtime::LoadTfLiteModel(model_path);
    if (!m.ok()) return Fail(std::string(m.status().message()));
    model = std::move(*m);
  } else if (absl::EndsWith(model_path, ".meta")) {
    auto mg = ReadMetaGraphDef(model_path);
    if (!mg.ok()) return Fail(std::string(mg.status().message()));
    std::string prefix;
    if (!checkpoint.empty()) {
      auto r = ResolveCheckpointPrefix(checkpoint);
      if (!r.ok()) return Fail(std::string(r.status().message()));
      prefix = *r;
    }
    auto m = runtime::Model::LoadMetaGraph(std::move(*mg), prefix);
    if (!m.ok()) return Fail(std::string(m.status().message()));
    model = std::move(*m);
  } else {
    auto g = ReadGraphDef(model_path);
    if (!g.ok()) return Fail(std::string(g.status().message()));
    auto m = runtime::Model::LoadGraph(std::move(*g));
    if (!m.ok()) return Fail(std::string(m.status().message()));
    model = std::move(*m);
  }

  for (const auto& op : init_ops) {
    auto r = model->Run({}, {}, {op});
    if (!r.ok()) return Fail(absl::StrCat("--init_op ", op, ": ", r.status().message()));
  }

  std::vector<std::pair<std::string, std::string>> files, exprs, feed_pairs;
  for (auto [flags, what, out] :
       {std::tuple{&inputs, "--inputs", &files}, std::tuple{&input_exprs, "--input_exprs", &exprs},
        std::tuple{&feeds, "--feed", &feed_pairs}}) {
    absl::Status s = SplitAssignments(*flags, what, out);
    if (!s.ok()) return Fail(std::string(s.message()));
  }

  const auto& sigs = model->signatures();
  bool by_signature = fetches.empty() && !sigs.empty();
  if (by_signature) {
    auto sit = sigs.find(signature);
    if (sit == sigs.end()) {
      std::vector<std::string> keys;
      for (const auto& [k, v] : sigs) keys.push_back(k);
      return Fail(absl::StrCat("no signature '", signature,
                               "'; the model has: ", absl::StrJoin(keys, ", ")));
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
    for (const auto& [k, v] : files) {
      if (int rc = add(k, v, true)) return rc;
    }
    for (const auto& [k, v] : exprs) {
      if (int rc = add(k, v, false)) return rc;
    }
    if (synthetic) {
      std::string example;
      for (const auto& [k, spec] : sig.inputs) {
        if (in.count(k)) continue;
        // A sparse / ragged input given as components needs no synthetic value.
        bool has_components = false;
        for (const auto& [given, t] : in) {
          has_components |= given.size() > k.size() && given.compare(0, k.size(), k) == 0 &&
                            given[k.size()] == '.';
        }
        if (has_components) continue;
        if (spec.dtype == DType::kString && example.empty()) {
          auto ex = SyntheticExample(model->meta_graph().graph_def());
          if (ex.ok()) example = *ex;
        }
        auto t = SyntheticTensor(spec.dtype, spec.shape, example);
        if (!t.ok()) return Fail(absl::StrCat("input '", k, "': ", t.status().message()));
        in[k] = std::move(*t);
      }
    }
    absl::StatusOr<std::map<std::string, Tensor>> out;
    for (int i = 0; i < std::max(1, iterations); ++i) out = model->RunSignature(signature, in);
    if (!out.ok()) return Fail(std::string(out.status().message()));
    for (const auto& [k, t] : *out) {
      if (int rc = Emit(k, t, outdir, overwrite)) return rc;
    }
    return 0;
  }

  // Plain graph: feeds and fetches by tensor name.
  if (fetches.empty() && targets.empty()) {
    return Fail("this model has no signatures: name what to compute with --fetch TENSOR");
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
  for (const auto& [k, v] : feed_pairs) {
    bool file = absl::EndsWith(v, ".npy") || absl::EndsWith(v, ".npz");
    if (int rc = add_feed(k, v, file)) return rc;
  }
  for (const auto& [k, v] : files) {
    if (int rc = add_feed(k, v, true)) return rc;
  }
  for (const auto& [k, v] : exprs) {
    if (int rc = add_feed(k, v, false)) return rc;
  }
  if (synthetic) {
    for (const auto& n : g.node()) {
      if (n.op() != "Placeholder") continue;
      std::string name = n.name() + ":0";
      bool fed = false;
      for (const auto& [k, v] : feed_tensors) fed |= ParseTensorName(k).node == n.name();
      if (fed) continue;
      auto dt = n.attr().find("dtype");
      auto sh = n.attr().find("shape");
      PartialShape shape;
      if (sh != n.attr().end()) shape = PartialShapeFromProto(sh->second.shape());
      auto t = SyntheticTensor(dt == n.attr().end() ? DType::kFloat : BaseDType(dt->second.type()),
                               shape);
      if (!t.ok())
        return Fail(absl::StrCat("placeholder '", n.name(), "': ", t.status().message()));
      feed_tensors.emplace_back(name, std::move(*t));
    }
  }
  absl::StatusOr<std::vector<Tensor>> out;
  for (int i = 0; i < std::max(1, iterations); ++i)
    out = model->Run(feed_tensors, fetches, targets);
  if (!out.ok()) return Fail(std::string(out.status().message()));
  for (size_t i = 0; i < fetches.size() && i < out->size(); ++i) {
    if (int rc = Emit(fetches[i], (*out)[i], outdir, overwrite)) return rc;
  }
  return 0;
}

}  // namespace tfmodel::cli
