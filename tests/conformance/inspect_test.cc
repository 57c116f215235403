// `tfmodel inspect` on the corpus: the real binary, its output checked.
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "test_util.h"

namespace tfmodel {
namespace {

using testing::Quote;
using testing::RunCommand;
using testing::Testdata;

testing::CommandResult Inspect(const std::string& args) {
  return RunCommand(absl::StrCat(Quote(testing::TfmodelBinary()), " inspect ", args));
}

TEST(Inspect, HalfPlusTwoSignaturesMatchTfServingMetadata) {
  TFM_REQUIRE_TESTDATA();
  auto r = Inspect(Quote(Testdata("tf_serving/saved_model_half_plus_two_cpu/00000123")));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // The five signatures of half_plus_two_model_metadata.json with their tensors and methods.
  for (const char* s : {"signature_def['serving_default']", "signature_def['classify_x_to_y']",
                        "signature_def['regress_x_to_y']", "signature_def['regress_x_to_y2']",
                        "signature_def['regress_x2_to_y3']"}) {
    EXPECT_NE(r.output.find(s), std::string::npos) << s << "\n" << r.output;
  }
  EXPECT_NE(r.output.find(
                "    inputs['x'] tensor_info:\n        dtype: DT_FLOAT\n        shape: (-1, 1)\n"
                "        name: x:0"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("    inputs['inputs'] tensor_info:\n        dtype: DT_STRING\n"
                          "        shape: unknown_rank\n        name: tf_example:0"),
            std::string::npos);
  EXPECT_NE(r.output.find("Method name is: tensorflow/serving/classify"), std::string::npos);
  EXPECT_NE(r.output.find("Method name is: tensorflow/serving/regress"), std::string::npos);
  EXPECT_NE(r.output.find("name: y3:0"), std::string::npos);
  EXPECT_NE(r.output.find("Assets: foo.txt"), std::string::npos);
  EXPECT_NE(r.output.find("Variables: 5 tensors"), std::string::npos) << r.output;
}

TEST(Inspect, JsonIsParseableAndComplete) {
  TFM_REQUIRE_TESTDATA();
  auto r =
      Inspect("--json " + Quote(Testdata("tf_serving/saved_model_half_plus_two_cpu/00000123")));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  rapidjson::Document d;
  d.Parse(r.output.c_str());
  ASSERT_FALSE(d.HasParseError()) << r.output;
  const auto& sig = d["meta_graphs"][0]["signatures"]["regress_x2_to_y3"];
  EXPECT_STREQ(sig["method_name"].GetString(), "tensorflow/serving/regress");
  EXPECT_STREQ(sig["inputs"]["inputs"]["name"].GetString(), "x2:0");
  EXPECT_EQ(d["meta_graphs"][0]["variables"]["count"].GetInt(), 5);
}

TEST(Inspect, RegressionCheckpointValues) {
  TFM_REQUIRE_TESTDATA();
  std::string ckpt = Testdata("tf2onnx/regression/checkpoint");
  auto r = Inspect(Quote(ckpt));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Checkpoint (V2)"), std::string::npos) << r.output;
  auto w = Inspect(Quote(ckpt + "/model") + " --tensor W");
  ASSERT_EQ(w.exit_code, 0) << w.output;
  EXPECT_NE(w.output.find("0.21396178"), std::string::npos) << w.output;
  auto b = Inspect(Quote(ckpt + "/model.index") + " --tensor b");
  ASSERT_EQ(b.exit_code, 0) << b.output;
  EXPECT_NE(b.output.find("1.0495254"), std::string::npos) << b.output;
}

TEST(Inspect, SessionBundleShowsVariables) {
  TFM_REQUIRE_TESTDATA();
  auto r = Inspect(
      Quote(Testdata("tf_serving/session_bundle_half_plus_two/00000123/export-00000-of-00001")));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Checkpoint (V1)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("  a "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("  b "), std::string::npos) << r.output;
  auto m = Inspect(Quote(Testdata("tf_serving/session_bundle_half_plus_two/00000123")));
  EXPECT_EQ(m.exit_code, 0) << m.output;
  EXPECT_NE(m.output.find("session bundle"), std::string::npos) << m.output;
}

TEST(Inspect, GraphDefSummary) {
  TFM_REQUIRE_TESTDATA();
  auto r = Inspect(Quote(Testdata("tf2onnx/fc-layers/frozen.pb")));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("X:0  float [?,784]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("    output:0\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("MatMul"), std::string::npos);
  auto meta = Inspect(Quote(Testdata("tf2onnx/regression/checkpoint/model.meta")));
  ASSERT_EQ(meta.exit_code, 0) << meta.output;
  EXPECT_NE(meta.output.find("Saver: restore op save/restore_all"), std::string::npos)
      << meta.output;
}

TEST(Inspect, EveryCorpusModelSucceeds) {
  TFM_REQUIRE_TESTDATA();
  namespace fs = std::filesystem;
  int checked = 0;
  for (auto it = fs::recursive_directory_iterator(testing::TestdataDir());
       it != fs::recursive_directory_iterator(); ++it) {
    std::string name = it->path().filename().string();
    std::string target;
    if (name == "saved_model.pb" || name == "export.meta")
      target = it->path().parent_path().string();
    if (name == "frozen.pb" || absl::EndsWith(name, ".index")) target = it->path().string();
    if (target.empty()) continue;
    bool bad = absl::StrContains(target, "bad_half_plus_two");
    auto r = Inspect(Quote(target));
    if (bad) {
      // A broken export: inspect reports what is wrong and does not crash.
      EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << target << "\n" << r.output;
    } else {
      EXPECT_EQ(r.exit_code, 0) << target << "\n" << r.output;
    }
    ++checked;
  }
  EXPECT_GE(checked, 35);
}

TEST(Inspect, BadInputsFailClearly) {
  std::string dir = testing::TempDir();
  auto missing = Inspect(Quote(dir + "/nope.pb"));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("does not exist"), std::string::npos) << missing.output;
  auto empty_dir = Inspect(Quote(dir));
  EXPECT_EQ(empty_dir.exit_code, 1);
  EXPECT_NE(empty_dir.output.find("no saved_model.pb"), std::string::npos) << empty_dir.output;
  auto usage = Inspect("");
  EXPECT_NE(usage.exit_code, 0);
}

}  // namespace
}  // namespace tfmodel
