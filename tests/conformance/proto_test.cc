// Every protobuf file TensorFlow wrote in the corpus parses with our schemas, leaves no
// unknown field anywhere in the message tree, and re-serializes to bytes that parse back
// to an equal message.
#include <filesystem>

#include "absl/strings/match.h"
#include "core/file_util.h"
#include "format/proto_io.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tensorflow/core/framework/graph.pb.h"
#include "tensorflow/core/protobuf/fingerprint.pb.h"
#include "tensorflow/core/protobuf/meta_graph.pb.h"
#include "tensorflow/core/protobuf/saved_model.pb.h"
#include "tensorflow/python/training/checkpoint_state.pb.h"
#include "tensorflow_serving/config/model_server_config.pb.h"
#include "tensorflow_serving/config/monitoring_config.pb.h"
#include "tensorflow_serving/servables/tensorflow/saved_model_config.pb.h"
#include "tensorflow_serving/servables/tensorflow/session_bundle_config.pb.h"
#include "test_util.h"

namespace tfmodel {
namespace {

namespace fs = std::filesystem;

template <typename M>
void CheckFile(const std::string& path, ProtoFormat format = ProtoFormat::kBinary) {
  SCOPED_TRACE(path);
  M msg;
  absl::Status s = ReadProtoFile(path, &msg, format);
  ASSERT_TRUE(s.ok()) << s;
  std::vector<std::string> unknown = FindUnknownFields(msg);
  EXPECT_TRUE(unknown.empty()) << unknown.size() << " unknown fields, first: " << unknown[0];
  std::string bytes = SerializeDeterministic(msg);
  M back;
  ASSERT_TRUE(back.ParseFromString(bytes));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(msg, back));
}

std::vector<std::string> FindFiles(const std::string& root, const std::string& name_suffix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_regular_file() && absl::EndsWith(it->path().filename().string(), name_suffix)) {
      out.push_back(it->path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(CorpusProtos, SavedModels) {
  TFM_REQUIRE_TESTDATA();
  auto files = FindFiles(testing::TestdataDir(), "saved_model.pb");
  EXPECT_GE(files.size(), 15u);
  for (const auto& f : files) CheckFile<tensorflow::SavedModel>(f);
}

TEST(CorpusProtos, MetaGraphs) {
  TFM_REQUIRE_TESTDATA();
  auto files = FindFiles(testing::TestdataDir(), ".meta");
  EXPECT_GE(files.size(), 3u);
  for (const auto& f : files) CheckFile<tensorflow::MetaGraphDef>(f);
}

TEST(CorpusProtos, FrozenGraphs) {
  TFM_REQUIRE_TESTDATA();
  auto files = FindFiles(testing::Testdata("tf2onnx"), "frozen.pb");
  EXPECT_EQ(files.size(), 4u);
  for (const auto& f : files) CheckFile<tensorflow::GraphDef>(f);
  for (const auto& f : FindFiles(testing::BenchGraphsDir(), ".pb"))
    CheckFile<tensorflow::GraphDef>(f);
}

TEST(CorpusProtos, FingerprintAndConfigs) {
  TFM_REQUIRE_TESTDATA();
  CheckFile<tensorflow::FingerprintDef>(
      testing::Testdata("tf_serving/saved_model_half_plus_two_tf2_cpu/00000123/fingerprint.pb"));
  for (const auto& f : FindFiles(testing::TestdataDir(), "saved_model_config.pb")) {
    CheckFile<tensorflow::serving::SavedModelConfig>(f);
  }
  CheckFile<tensorflow::serving::BatchingParameters>(
      testing::Testdata("tf_serving/batching_config.txt"), ProtoFormat::kText);
  CheckFile<tensorflow::serving::MonitoringConfig>(
      testing::Testdata("tf_serving/monitoring_config.txt"), ProtoFormat::kText);
  CheckFile<tensorflow::serving::ModelServerConfig>(
      testing::Testdata("tf_serving/good_model_config.txt"), ProtoFormat::kText);
  CheckFile<tensorflow::CheckpointState>(
      testing::Testdata("tf2onnx/regression/checkpoint/checkpoint"), ProtoFormat::kText);
  tensorflow::serving::ModelServerConfig bad;
  absl::Status s =
      ReadProtoFile(testing::Testdata("tf_serving/bad_model_config.txt"), &bad, ProtoFormat::kText);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("Error parsing text-format tensorflow.serving.ModelServerConfig"),
            std::string::npos)
      << s;
}

TEST(CorpusProtos, GoodConfigContents) {
  TFM_REQUIRE_TESTDATA();
  tensorflow::serving::ModelServerConfig c;
  ASSERT_TRUE(
      ReadProtoFile(testing::Testdata("tf_serving/good_model_config.txt"), &c, ProtoFormat::kText)
          .ok());
  ASSERT_EQ(c.model_config_list().config_size(), 2);
  EXPECT_EQ(c.model_config_list().config(0).name(), "half_plus_two");
  EXPECT_EQ(c.model_config_list().config(1).base_path(), "${TEST_HALF_PLUS_THREE_DIR}");
  EXPECT_EQ(c.model_config_list().config(1).model_platform(), "tensorflow");
}

}  // namespace
}  // namespace tfmodel
