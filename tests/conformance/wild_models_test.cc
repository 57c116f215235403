// Acceptance harness for the 30 third-party models in testdata/wild (MANIFEST.tsv, read at
// test time). Each model has an expectation below:
//   kRuns     asserted: loads, runs on synthetic inputs; models with variables are frozen
//             and the frozen graph must give the same outputs (within 1e-5).
//   kRefused  asserted: fails with an error containing `detail`.
//   kPending  kernels being written by another engineer (`detail` says which family and
//             who): the check still runs and the test is skipped with its current result,
//             saying "now passes" when it does, so the lead can flip it to kRuns.
// Slow models are skipped in sanitizer builds unless TFMODEL_WILD_SLOW=1; TFMODEL_WILD_SLOW=0
// skips them everywhere. REST serving of the SavedModels is in tests/e2e/wild_serve_test.cc.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "format/checkpoint.h"
#include "format/saved_model.h"
#include "format/tflite.h"
#include "graph/freeze.h"
#include "graph/function_graph.h"
#include "graph/output_candidates.h"
#include "graph/synthetic_inputs.h"
#include "gtest/gtest.h"
#include "runtime/model.h"
#include "runtime/signature_feeds.h"
#include "test_util.h"
#include "tflite/model.h"

namespace tfmodel {
namespace {

enum class Kind { kRuns, kRefused, kPending };

struct Expectation {
  Kind kind;
  const char* detail = "";  // kRefused: message part; kPending: kernel family / owner
  bool slow = false;
};


const std::map<std::string, Expectation>& Expectations() {
  static const auto* m = new std::map<std::string, Expectation>{
      {"coral-deeplabv3-mnv2-dm05-uint8", {Kind::kRuns, "", true}},
      {"coral-keras-lstm-mnist-ptq", {Kind::kRuns}},
      {"coral-mobilenet-v1-025-uint8", {Kind::kRuns}},
      {"coral-movenet-lightning-ptq", {Kind::kRuns, "", true}},
      {"coral-tf2-mobilenet-v2-int8-ptq", {Kind::kRuns, "", true}},
      {"cppflow-multi-io-keras", {Kind::kRuns}},
      {"hello-tf-c-api-graph", {Kind::kRuns}},
      {"kws-crnn-s-frozen", {Kind::kRuns}},
      {"kws-dscnn-s-frozen", {Kind::kRuns}},
      {"kws-gru-s-frozen", {Kind::kRuns}},
      {"kws-lstm-s-frozen", {Kind::kRuns}},
      {"micro-dtln-noise-suppression", {Kind::kRuns}},
      {"micro-mnist-lstm-float", {Kind::kRuns}},
      {"micro-mnist-lstm-int8", {Kind::kRuns}},
      {"micro-speech-lstm", {Kind::kRuns}},
      {"mobilenet-v1-025-float-metadata", {Kind::kRuns}},
      {"movie-review-nl-classifier-metadata", {Kind::kRuns}},
      {"ssd-mobilenet-v1-coco-uint8-metadata", {Kind::kRuns, "", true}},
      {"tf2-keras-lstm-sequential", {Kind::kRuns}},
      {"tfx-chicago-taxi-estimator", {Kind::kRuns}},
      {"tfx-chicago-taxi-estimator-ckpt", {Kind::kRuns}},
      {"tfx-chicago-taxi-keras", {Kind::kRuns}},
      {"tfx-chicago-taxi-transform-fn", {Kind::kRuns}},
      {"tiny-ad-autoencoder-int8", {Kind::kRuns}},
      {"tiny-kws-dscnn-int8", {Kind::kRuns}},
      {"tiny-kws-dscnn-savedmodel", {Kind::kRuns}},
      {"tiny-resnet8-float", {Kind::kRuns}},
      {"tiny-streaming-wakeword", {Kind::kRuns}},
      {"tiny-vww-mobilenet-int8", {Kind::kRuns}},
      {"yeah-world-mobilenet-frozen", {Kind::kRuns, "", true}},
  };
  return *m;
}

struct ManifestRow {
  std::string id, path_in_repo, format;
};

absl::StatusOr<std::vector<ManifestRow>> ReadManifest() {
  std::ifstream in(testing::Testdata("wild/MANIFEST.tsv"));
  if (!in) return absl::NotFoundError("wild/MANIFEST.tsv is missing");
  std::vector<ManifestRow> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() < 6) return absl::InvalidArgumentError(absl::StrCat("short row: ", line));
    rows.push_back({f[0], f[3], f[5]});
  }
  return rows;
}

std::string Basename(const std::string& p) { return std::filesystem::path(p).filename().string(); }

absl::Status CompareTensors(const Tensor& a, const Tensor& b, const std::string& what) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) {
    return absl::InternalError(absl::StrCat(what, ": ", DTypeName(a.dtype()), a.shape().ToString(),
                                            " vs ", DTypeName(b.dtype()), b.shape().ToString()));
  }
  if (a.dtype() == DType::kFloat) {
    for (int64_t i = 0; i < a.NumElements(); ++i) {
      float x = a.data<float>()[i], y = b.data<float>()[i];
      if (std::isnan(x) && std::isnan(y)) continue;
      if (!(std::fabs(x - y) <= 1e-5f * std::max(1.0f, std::fabs(x)))) {
        return absl::InternalError(absl::StrCat(what, "[", i, "]: ", x, " vs ", y));
      }
    }
    return absl::OkStatus();
  }
  if (a.dtype() == DType::kString) {
    for (int64_t i = 0; i < a.NumElements(); ++i) {
      if (a.data<std::string>()[i] != b.data<std::string>()[i]) {
        return absl::InternalError(absl::StrCat(what, "[", i, "] differs"));
      }
    }
    return absl::OkStatus();
  }
  if (a.TotalBytes() != b.TotalBytes() ||
      std::memcmp(a.raw_data(), b.raw_data(), a.TotalBytes()) != 0) {
    return absl::InternalError(absl::StrCat(what, ": values differ"));
  }
  return absl::OkStatus();
}

// Synthetic inputs for a signature, as `tfmodel run --synthetic_inputs` makes them.
absl::StatusOr<std::map<std::string, Tensor>> SignatureInputs(const runtime::Model& model,
                                                              const runtime::Signature& sig) {
  std::map<std::string, Tensor> in;
  for (const auto& [alias, spec] : sig.inputs) {
    TFM_ASSIGN_OR_RETURN(in[alias], SyntheticInput(model.meta_graph().graph_def(), spec.tensor_name,
                                                   spec.dtype, spec.shape));
  }
  return in;
}

const runtime::Signature* DefaultSignature(const runtime::Model& model) {
  const auto& sigs = model.signatures();
  auto it = sigs.find(kDefaultServingSignatureKey);
  if (it != sigs.end()) return &it->second;
  return sigs.empty() ? nullptr : &sigs.begin()->second;
}

absl::Status CheckTfLite(const std::string& path, std::string* notes) {
  TFM_ASSIGN_OR_RETURN(auto file, TfLiteFile::Read(path));
  TFM_ASSIGN_OR_RETURN(auto model, tflite::TfLiteModel::Load(std::move(file)));
  const runtime::Signature* sig = DefaultSignature(*model);
  if (sig == nullptr) return absl::NotFoundError("no signature");
  // As `tfmodel run --synthetic_inputs`: inputs with no shape_signature get the declared shape.
  TFM_ASSIGN_OR_RETURN(auto declared, model->DeclaredInputShapes(sig->key));
  runtime::Signature shaped = *sig;
  for (auto& [alias, spec] : shaped.inputs) {
    if (spec.shape.unknown_rank() && declared.count(alias)) spec.shape = declared.at(alias);
  }
  TFM_ASSIGN_OR_RETURN(auto in, SignatureInputs(*model, shaped));
  TFM_ASSIGN_OR_RETURN(auto out, model->RunSignature(sig->key, in));
  absl::StrAppend(notes, "ran signature '", sig->key, "' -> ", out.size(), " outputs");
  return absl::OkStatus();
}

absl::Status CheckSavedModel(const std::string& dir, std::string* notes) {
  TFM_ASSIGN_OR_RETURN(std::vector<std::string> tags, DefaultTagSet(dir));
  TFM_ASSIGN_OR_RETURN(auto model, runtime::Model::LoadSavedModel(dir, tags));
  const runtime::Signature* sig = DefaultSignature(*model);
  if (sig == nullptr) return absl::NotFoundError("no runnable signature");
  TFM_ASSIGN_OR_RETURN(auto in, SignatureInputs(*model, *sig));
  TFM_ASSIGN_OR_RETURN(auto out, model->RunSignature(sig->key, in));
  absl::StrAppend(notes, "ran '", sig->key, "'");
  // Freeze (when there are variables) and compare the frozen graph's outputs.
  TFM_ASSIGN_OR_RETURN(ModelArtifact art, ReadModelArtifact(dir, tags));
  if (art.variables_prefix.empty()) return absl::OkStatus();
  TFM_ASSIGN_OR_RETURN(auto reader, CheckpointReader::Open(art.variables_prefix));
  RegisterOpDefs(art.meta_graph.meta_info_def().stripped_op_list());
  FreezeOptions opt;
  for (const auto& [alias, spec] : sig->outputs) {
    opt.output_nodes.push_back(ParseTensorName(spec.tensor_name).node);
  }
  for (const auto& a : art.assets)
    opt.asset_files[ParseTensorName(a.tensor_name).ToString()] = a.path;
  TFM_ASSIGN_OR_RETURN(tensorflow::GraphDef frozen,
                       FreezeGraph(art.meta_graph.graph_def(), *reader, opt));
  // The same feeds as the signature's (SparseTensor inputs as their three components),
  // less the placeholders freezing pruned because no output reads them.
  std::set<std::string> kept;
  for (const auto& n : frozen.node()) kept.insert(n.name());
  TFM_ASSIGN_OR_RETURN(auto fm, runtime::Model::LoadGraph(std::move(frozen)));
  runtime::FeedList values;
  TFM_RETURN_IF_ERROR(runtime::SignatureFeeds(sig->key, *sig, in, &values));
  const std::vector<std::string> names = runtime::SignatureFeedNames(*sig);
  std::vector<std::pair<std::string, Tensor>> feeds;
  for (size_t i = 0; i < names.size(); ++i) {
    if (kept.count(ParseTensorName(names[i]).node)) feeds.emplace_back(names[i], values[i]);
  }
  std::vector<std::string> fetches, aliases;
  for (const auto& [alias, spec] : sig->outputs) {
    fetches.push_back(spec.tensor_name);
    aliases.push_back(alias);
  }
  TFM_ASSIGN_OR_RETURN(auto fo, fm->Run(feeds, fetches));
  for (size_t i = 0; i < aliases.size(); ++i) {
    TFM_RETURN_IF_ERROR(CompareTensors(out.at(aliases[i]), fo[i], "frozen output " + aliases[i]));
  }
  absl::StrAppend(notes, "; frozen graph equal on ", aliases.size(), " outputs");
  return absl::OkStatus();
}

// Synthetic feeds for what `fetches` needs (placeholders, iterator outputs).
absl::StatusOr<std::vector<std::pair<std::string, Tensor>>> GraphFeeds(
    const tensorflow::GraphDef& g, const std::vector<std::string>& fetches) {
  TFM_ASSIGN_OR_RETURN(auto specs, RequiredFeeds(g, fetches));
  std::vector<std::pair<std::string, Tensor>> feeds;
  for (const auto& s : specs) {
    TFM_ASSIGN_OR_RETURN(Tensor t, SyntheticInput(g, s.tensor, s.dtype, s.shape));
    feeds.emplace_back(s.tensor, std::move(t));
  }
  return feeds;
}

absl::Status CheckFrozenGraph(const std::string& path, std::string* notes) {
  TFM_ASSIGN_OR_RETURN(tensorflow::GraphDef g, ReadGraphDef(path));
  std::vector<std::string> fetches = DefaultFetches(RankOutputCandidates(g));
  if (fetches.empty()) return absl::NotFoundError("no likely output");
  TFM_ASSIGN_OR_RETURN(auto feeds, GraphFeeds(g, fetches));
  TFM_ASSIGN_OR_RETURN(auto model, runtime::Model::LoadGraph(g));
  TFM_ASSIGN_OR_RETURN(auto out, model->Run(feeds, fetches));
  absl::StrAppend(notes, "fetched ", absl::StrJoin(fetches, ", "));
  return absl::OkStatus();
}

// A training .meta + checkpoint: the global step reads back, inspect's ranking points at the
// prediction head, and the frozen prediction path runs with the iterator's outputs fed.
absl::Status CheckTrainingMeta(const std::string& meta_path, const std::string& prefix,
                               std::string* notes) {
  TFM_ASSIGN_OR_RETURN(tensorflow::MetaGraphDef meta, ReadMetaGraphDef(meta_path));
  OutputRanking ranking = RankOutputCandidates(meta.graph_def());
  std::vector<std::string> fetches = DefaultFetches(ranking);
  if (!ranking.training_graph || fetches.empty()) {
    return absl::InternalError("not recognised as a training graph with predictions");
  }
  absl::StrAppend(notes, "likely outputs ", absl::StrJoin(fetches, ", "));
  TFM_ASSIGN_OR_RETURN(auto reader, CheckpointReader::Open(prefix));
  FreezeOptions opt;
  for (const auto& f : fetches) opt.output_nodes.push_back(ParseTensorName(f).node);
  RegisterOpDefs(meta.meta_info_def().stripped_op_list());
  TFM_ASSIGN_OR_RETURN(tensorflow::GraphDef frozen, FreezeGraph(meta.graph_def(), *reader, opt));
  TFM_ASSIGN_OR_RETURN(auto feeds, GraphFeeds(frozen, fetches));
  TFM_ASSIGN_OR_RETURN(auto fm, runtime::Model::LoadGraph(frozen));
  TFM_ASSIGN_OR_RETURN(auto fo, fm->Run(feeds, fetches));
  absl::StrAppend(notes, "; frozen prediction path ran with ", feeds.size(), " feeds");
  TFM_ASSIGN_OR_RETURN(auto model, runtime::Model::LoadMetaGraph(meta, prefix));
  TFM_ASSIGN_OR_RETURN(auto step, model->Run({}, {"global_step/Read/ReadVariableOp:0"}));
  if (step[0].dtype() != DType::kInt64 || step[0].NumElements() != 1 ||
      step[0].data<int64_t>()[0] != 1000) {
    return absl::InternalError(absl::StrCat("global_step: ", step[0].DebugString(10)));
  }
  // The unfrozen prediction path needs kernels other engineers add (ResourceGather).
  auto direct = model->Run(feeds, fetches);
  if (direct.ok()) {
    for (size_t i = 0; i < fetches.size(); ++i) {
      TFM_RETURN_IF_ERROR(CompareTensors((*direct)[i], fo[i], "frozen " + fetches[i]));
    }
    absl::StrAppend(notes, "; equal to the checkpoint graph");
  } else {
    absl::StrAppend(notes, "; checkpoint graph itself not comparable yet: ",
                    direct.status().message().substr(0, 120));
  }
  return absl::OkStatus();
}

absl::Status CheckModel(const ManifestRow& row, std::string* notes) {
  std::string dir = testing::Testdata("wild/" + row.id);
  std::string file = dir + "/" + Basename(row.path_in_repo);
  if (row.format == "tflite") return CheckTfLite(file, notes);
  if (row.format == "frozen-pb") return CheckFrozenGraph(file, notes);
  if (row.format.rfind("savedmodel", 0) == 0) return CheckSavedModel(dir + "/1", notes);
  if (row.format == "meta-ckpt") return CheckTrainingMeta(file + ".meta", file, notes);
  return absl::UnimplementedError("unknown format " + row.format);
}

bool SkipSlow() {
  const char* env = std::getenv("TFMODEL_WILD_SLOW");
  if (env && std::string(env) == "1") return false;
  if (env && std::string(env) == "0") return true;
#ifdef TFMODEL_SANITIZE
  return true;
#else
  return false;
#endif
}

TEST(WildModels, ManifestMatchesExpectationTable) {
  TFM_REQUIRE_TESTDATA();
  auto rows = ReadManifest();
  ASSERT_TRUE(rows.ok()) << rows.status();
  std::vector<std::string> ids;
  for (const auto& r : *rows) ids.push_back(r.id);
  std::vector<std::string> expected;
  for (const auto& [id, e] : Expectations()) expected.push_back(id);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, expected) << "add every MANIFEST.tsv model to the expectation table";
}

class WildModel : public ::testing::TestWithParam<std::string> {};

TEST_P(WildModel, MeetsExpectation) {
  TFM_REQUIRE_TESTDATA();
  const std::string id = GetParam();
  const Expectation& e = Expectations().at(id);
  auto rows = ReadManifest();
  ASSERT_TRUE(rows.ok()) << rows.status();
  const ManifestRow* row = nullptr;
  for (const auto& r : *rows) {
    if (r.id == id) row = &r;
  }
  ASSERT_NE(row, nullptr) << id << " is not in MANIFEST.tsv";
  if (e.slow && SkipSlow()) GTEST_SKIP() << "slow model skipped (TFMODEL_WILD_SLOW=1 runs it)";
  std::string notes;
  absl::Status s = CheckModel(*row, &notes);
  switch (e.kind) {
    case Kind::kRuns:
      ASSERT_TRUE(s.ok()) << id << ": " << s << " (" << notes << ")";
      std::printf("[wild] %s: %s\n", id.c_str(), notes.c_str());
      break;
    case Kind::kRefused:
      ASSERT_FALSE(s.ok()) << id << " was expected to be refused but " << notes;
      EXPECT_NE(s.message().find(e.detail), std::string::npos) << s;
      break;
    case Kind::kPending:
      if (s.ok()) {
        GTEST_SKIP() << "pending (" << e.detail << ") but now passes: flip " << id << " to kRuns ("
                     << notes << ")";
      }
      GTEST_SKIP() << "pending (" << e.detail << "): " << s.message().substr(0, 400);
  }
}

std::vector<std::string> AllIds() {
  std::vector<std::string> ids;
  for (const auto& [id, e] : Expectations()) ids.push_back(id);
  return ids;
}

INSTANTIATE_TEST_SUITE_P(Manifest, WildModel, ::testing::ValuesIn(AllIds()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace tfmodel
