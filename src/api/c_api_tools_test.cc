// Tests of TFM_Freeze / TFM_Export / TFM_Convert (include/tfmodel/c_api.h) through
// libtfmodel.so: each writes a file that then loads and computes half_plus_two's values, and
// bad flags come back as statuses that name the flag.
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util.h"
#include "tfmodel/c_api.h"

namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

struct Flags {
  std::vector<std::string> names, values;
  Flags& Add(const std::string& n, const std::string& v) {
    names.push_back(n);
    values.push_back(v);
    return *this;
  }
  std::vector<const char*> Names() const { return Ptrs(names); }
  std::vector<const char*> Values() const { return Ptrs(values); }
  int count() const { return static_cast<int>(names.size()); }
  static std::vector<const char*> Ptrs(const std::vector<std::string>& v) {
    std::vector<const char*> out;
    for (const auto& s : v) out.push_back(s.c_str());
    return out;
  }
};

class CApiToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tfm_tools_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    st_ = TFM_NewStatus();
  }
  void TearDown() override {
    TFM_DeleteStatus(st_);
    fs::remove_all(dir_);
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  static std::string HalfPlusTwo() {
    return tfmodel::testing::Testdata("tf_serving/saved_model_half_plus_two_cpu/00000123");
  }
  void Freeze(const Flags& f) { TFM_Freeze(f.Names().data(), f.Values().data(), f.count(), st_); }
  std::string Message() const { return TFM_Message(st_); }

  // Loads `path` and runs x = [[1], [4]] through it (by tensor names), expecting [[2.5], [4]].
  void ExpectHalfPlusTwo(const std::string& path) {
    TFM_Model* m = TFM_LoadModel(path.c_str(), nullptr, st_);
    ASSERT_EQ(TFM_GetCode(st_), TFM_OK) << TFM_Message(st_);
    const int64_t dims[] = {2, 1};
    const float x[] = {1, 4};
    TFM_Tensor* in = TFM_NewTensor(TFM_FLOAT, dims, 2, x, sizeof x, st_);
    const char* feed = "x:0";
    const char* fetch = "y:0";
    TFM_Tensor* out = nullptr;
    TFM_Run(m, &feed, &in, 1, &fetch, 1, &out, nullptr, 0, st_);
    ASSERT_EQ(TFM_GetCode(st_), TFM_OK) << TFM_Message(st_);
    ASSERT_EQ(TFM_TensorElementCount(out), 2);
    const float* y = static_cast<const float*>(TFM_TensorData(out));
    EXPECT_FLOAT_EQ(y[0], 2.5f);
    EXPECT_FLOAT_EQ(y[1], 4.0f);
    TFM_DeleteTensor(out);
    TFM_DeleteTensor(in);
    TFM_DeleteModel(m);
  }

  fs::path dir_;
  TFM_Status* st_ = nullptr;
};

TEST_F(CApiToolsTest, FreezeSavedModelThenExportThenConvert) {
  const std::string frozen = Path("frozen.pb");
  Freeze(Flags().Add("input_saved_model_dir", HalfPlusTwo()).Add("--output_graph", frozen));
  ASSERT_EQ(TFM_GetCode(st_), TFM_OK) << TFM_Message(st_);
  ExpectHalfPlusTwo(frozen);

  Flags e;
  e.Add("input_graph", frozen)
      .Add("export_base", Path("models"))
      .Add("signature", "serving_default: inputs x=x:0; outputs y=y:0")
      .Add("tags", "serve,gpu")
      .Add("tags", "tpu");
  char dir[8];
  size_t n = TFM_Export(e.Names().data(), e.Values().data(), e.count(), dir, sizeof dir, st_);
  ASSERT_EQ(TFM_GetCode(st_), TFM_OK) << TFM_Message(st_);
  const std::string want = Path("models") + "/1";
  EXPECT_EQ(n, want.size());
  EXPECT_EQ(std::string(dir), want.substr(0, sizeof dir - 1));  // truncated, NUL-terminated
  std::vector<char> big(n + 1);
  n = TFM_Export(e.Names().data(), e.Values().data(), e.count(), big.data(), big.size(), st_);
  ASSERT_EQ(TFM_GetCode(st_), TFM_OK) << TFM_Message(st_);
  EXPECT_EQ(std::string(big.data()), Path("models") + "/2");
  // "tags" given twice: serve,gpu then tpu appended (the written MetaGraphDef's tag set).
  TFM_LoadOptions* opts = TFM_NewLoadOptions();
  TFM_LoadOptionsSetTags(opts, "serve,gpu,tpu");
  TFM_Model* m = TFM_LoadModel(big.data(), opts, st_);
  EXPECT_EQ(TFM_GetCode(st_), TFM_OK) << TFM_Message(st_);
  TFM_DeleteModel(m);
  TFM_DeleteLoadOptions(opts);

  const std::string tflite = Path("hp2.tflite");
  Flags c;
  c.Add("graph_def_file", frozen).Add("input_arrays", "x").Add("output_arrays", "y");
  c.Add("input_shapes", "2,1").Add("output_file", tflite);
  TFM_Convert(c.Names().data(), c.Values().data(), c.count(), st_);
  ASSERT_EQ(TFM_GetCode(st_), TFM_OK) << TFM_Message(st_);
  ASSERT_TRUE(fs::exists(tflite));
}

TEST_F(CApiToolsTest, BadFlagsNameTheFlag) {
  Freeze(Flags().Add("input_saved_model_dir", HalfPlusTwo()).Add("output_grap", Path("f.pb")));
  EXPECT_EQ(TFM_GetCode(st_), TFM_INVALID_ARGUMENT);
  EXPECT_THAT(Message(), HasSubstr("unknown flag 'output_grap'"));
  EXPECT_THAT(Message(), HasSubstr("output_graph"));  // the known flags are listed

  Freeze(Flags().Add("input_saved_model_dir", HalfPlusTwo()));
  EXPECT_EQ(TFM_GetCode(st_), TFM_INVALID_ARGUMENT);
  EXPECT_THAT(Message(), HasSubstr("flag 'output_graph' is required"));

  Freeze(Flags()
             .Add("input_saved_model_dir", HalfPlusTwo())
             .Add("output_graph", Path("f.pb"))
             .Add("clear_devices", "sometimes"));
  EXPECT_EQ(TFM_GetCode(st_), TFM_INVALID_ARGUMENT);
  EXPECT_THAT(Message(), HasSubstr("'clear_devices' takes true or false, not 'sometimes'"));
  EXPECT_FALSE(fs::exists(Path("f.pb")));

  Flags e = Flags().Add("input_saved_model_dir", HalfPlusTwo()).Add("version", "x1");
  char dir[64] = "unchanged";
  EXPECT_EQ(TFM_Export(e.Names().data(), e.Values().data(), e.count(), dir, sizeof dir, st_), 0u);
  EXPECT_EQ(TFM_GetCode(st_), TFM_INVALID_ARGUMENT);
  EXPECT_THAT(Message(), HasSubstr("'version' takes an integer"));
  EXPECT_STREQ(dir, "");

  const char* name = nullptr;
  const char* value = "v";
  TFM_Convert(&name, &value, 1, st_);
  EXPECT_EQ(TFM_GetCode(st_), TFM_INVALID_ARGUMENT);
  TFM_Convert(nullptr, nullptr, 2, st_);
  EXPECT_EQ(TFM_GetCode(st_), TFM_INVALID_ARGUMENT);
  TFM_Convert(nullptr, nullptr, -1, st_);
  EXPECT_EQ(TFM_GetCode(st_), TFM_INVALID_ARGUMENT);
}

TEST_F(CApiToolsTest, MissingInputsAreNotFound) {
  Freeze(Flags()
             .Add("input_graph", Path("missing.pb"))
             .Add("input_checkpoint", Path("ckpt"))
             .Add("output_node_names", "y")
             .Add("output_graph", Path("f.pb")));
  EXPECT_NE(TFM_GetCode(st_), TFM_OK);
  EXPECT_THAT(Message(), HasSubstr("missing.pb"));

  Flags c = Flags()
                .Add("saved_model_dir", HalfPlusTwo())
                .Add("saved_model_signature_key", "nope")
                .Add("output_file", Path("o.tflite"));
  TFM_Convert(c.Names().data(), c.Values().data(), c.count(), st_);
  EXPECT_EQ(TFM_GetCode(st_), TFM_NOT_FOUND);
  EXPECT_THAT(Message(), HasSubstr("no signature 'nope'"));
  EXPECT_THAT(Message(), HasSubstr("serving_default"));
  EXPECT_FALSE(fs::exists(Path("o.tflite")));
}

}  // namespace
