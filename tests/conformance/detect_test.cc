// Format detection (format/detect.h) on TensorFlow-made files: the testdata and every
// third-party artifact of wild/, as named and copied under misleading names.
#include "format/detect.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "core/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace tfmodel {
namespace {

namespace fs = std::filesystem;
using testing::Testdata;

DetectedFormat Detect(const std::string& path) {
  auto d = DetectModelFormat(path);
  EXPECT_TRUE(d.ok()) << path << ": " << d.status();
  return d.ok() ? *d : DetectedFormat{};
}

// A copy of `path` named `name` in a temporary folder.
std::string CopyAs(const std::string& path, const std::string& name) {
  const std::string to = JoinPath(testing::TempDir(), name);
  fs::copy_file(path, to, fs::copy_options::overwrite_existing);
  return to;
}

TEST(DetectConformance, TestdataFiles) {
  TFM_REQUIRE_TESTDATA();
  struct Case {
    const char* rel;
    ModelFormat want;
  } cases[] = {
      {"tf2onnx/regression/tflite/model.tflite", ModelFormat::kTfLite},
      {"tf2onnx/regression/graphdef/frozen.pb", ModelFormat::kGraphDef},
      {"tf2onnx/lstm/frozen.pb", ModelFormat::kGraphDef},
      {"tf2onnx/regression/checkpoint/model.meta", ModelFormat::kMetaGraphDef},
      {"tf2onnx/regression/checkpoint/model.index", ModelFormat::kCheckpoint},
      {"tf2onnx/regression/saved_model/saved_model.pb", ModelFormat::kSavedModel},
      {"tf_serving/session_bundle_half_plus_two/00000123/export.meta", ModelFormat::kMetaGraphDef},
      {"golden/fc-layers_out.npy", ModelFormat::kNpy},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Detect(Testdata(c.rel)).format, c.want) << c.rel;
    EXPECT_EQ(Detect(CopyAs(Testdata(c.rel), "renamed")).format, c.want) << c.rel;
    EXPECT_EQ(Detect(CopyAs(Testdata(c.rel), "renamed.tflite")).format, c.want) << c.rel;
  }
  EXPECT_EQ(Detect(Testdata("tf2onnx/regression/saved_model")).format, ModelFormat::kSavedModelDir);
  EXPECT_EQ(Detect(Testdata("tf2onnx/regression/checkpoint")).format, ModelFormat::kCheckpointDir);
  EXPECT_EQ(Detect(Testdata("tf2onnx/regression/checkpoint/model")).format,
            ModelFormat::kCheckpoint);
  EXPECT_EQ(Detect(Testdata("tf_serving/saved_model_half_plus_two_cpu")).format,
            ModelFormat::kModelBasePath);
  EXPECT_EQ(Detect(Testdata("tf_serving/session_bundle_half_plus_two/00000123")).format,
            ModelFormat::kSessionBundleDir);
  DetectedFormat lite = Detect(Testdata("tf_serving/saved_model_half_plus_two_tflite/00000123"));
  EXPECT_EQ(lite.format, ModelFormat::kTfLite);
  EXPECT_EQ(fs::path(lite.path).filename(), "model.tflite");
}

// Every artifact listed in wild/MANIFEST.tsv, by its format column.
TEST(DetectConformance, WildArtifacts) {
  TFM_REQUIRE_TESTDATA();
  std::ifstream manifest(Testdata("wild/MANIFEST.tsv"));
  ASSERT_TRUE(manifest) << "wild/MANIFEST.tsv";
  std::string line;
  std::getline(manifest, line);  // header
  int checked = 0;
  while (std::getline(manifest, line)) {
    std::vector<std::string> cols = absl::StrSplit(line, '\t');
    if (cols.size() < 6) continue;
    const std::string dir = Testdata("wild/" + cols[0]);
    const std::string kind = cols[5];
    const std::string base = fs::path(cols[3]).filename().string();
    SCOPED_TRACE(cols[0]);
    if (kind == "tflite" || kind == "frozen-pb") {
      const ModelFormat want = kind == "tflite" ? ModelFormat::kTfLite : ModelFormat::kGraphDef;
      EXPECT_EQ(Detect(JoinPath(dir, base)).format, want);
      EXPECT_EQ(Detect(CopyAs(JoinPath(dir, base), "artifact.lite")).format, want);
      EXPECT_EQ(Detect(CopyAs(JoinPath(dir, base), "artifact")).format, want);
    } else if (absl::StartsWith(kind, "savedmodel")) {
      EXPECT_EQ(Detect(dir).format, ModelFormat::kModelBasePath);
      EXPECT_EQ(Detect(JoinPath(dir, "1")).format, ModelFormat::kSavedModelDir);
      EXPECT_EQ(Detect(CopyAs(JoinPath(dir, "1/saved_model.pb"), "sm.tflite")).format,
                ModelFormat::kSavedModel);
    } else if (kind == "meta-ckpt") {
      EXPECT_EQ(Detect(dir).format, ModelFormat::kCheckpointDir);
      EXPECT_EQ(Detect(JoinPath(dir, base)).format, ModelFormat::kCheckpoint);
      EXPECT_EQ(Detect(JoinPath(dir, base + ".meta")).format, ModelFormat::kMetaGraphDef);
      EXPECT_EQ(Detect(CopyAs(JoinPath(dir, base + ".meta"), "graph.pb")).format,
                ModelFormat::kMetaGraphDef);
    } else {
      ADD_FAILURE() << "unknown format column '" << kind << "'";
    }
    ++checked;
  }
  EXPECT_EQ(checked, 30);
}

}  // namespace
}  // namespace tfmodel
