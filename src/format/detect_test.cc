// Format detection by content: every kind of file under misleading names (wrong
// extension, no extension).
#include "format/detect.h"

#include <filesystem>

#include "core/file_util.h"
#include "format/checkpoint.h"
#include "format/npy.h"
#include "format/proto_io.h"
#include "format/saved_model.h"
#include "format/tflite.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tensorflow/core/protobuf/saved_model.pb.h"
#include "test_util.h"

namespace tfmodel {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;

tensorflow::GraphDef SmallGraph(int nodes) {
  tensorflow::GraphDef g;
  for (int i = 0; i < nodes; ++i) {
    auto* n = g.add_node();
    n->set_name(absl::StrCat("n", i));
    n->set_op(i == 0 ? "Placeholder" : "Identity");
    if (i > 0) n->add_input(absl::StrCat("n", i - 1));
  }
  g.mutable_versions()->set_producer(1087);
  return g;
}

tensorflow::MetaGraphDef SmallMetaGraph() {
  tensorflow::MetaGraphDef m;
  m.mutable_meta_info_def()->add_tags("serve");
  m.mutable_meta_info_def()->mutable_stripped_op_list()->add_op()->set_name("Identity");
  *m.mutable_graph_def() = SmallGraph(2);
  return m;
}

std::string TfLiteBytes() {
  tflite_fb::ModelT m;
  m.version = 3;
  m.buffers.push_back(std::make_unique<tflite_fb::BufferT>());
  m.subgraphs.push_back(std::make_unique<tflite_fb::SubGraphT>());
  flatbuffers::FlatBufferBuilder fbb;
  tflite_fb::FinishModelBuffer(fbb, tflite_fb::Model::Pack(fbb, &m));
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

std::string Text(const google::protobuf::Message& msg) {
  std::string s;
  google::protobuf::TextFormat::PrintToString(msg, &s);
  return s;
}

DetectedFormat Detect(const std::string& path) {
  auto d = DetectModelFormat(path);
  EXPECT_TRUE(d.ok()) << d.status();
  return d.ok() ? *d : DetectedFormat{};
}

DetectedFormat DetectFile(const std::string& name, const std::string& bytes) {
  const std::string path = JoinPath(TempDir(), name);
  EXPECT_TRUE(WriteStringToFile(path, bytes).ok());
  return Detect(path);
}

TEST(DetectModelFormat, TfLiteWhateverTheName) {
  for (const char* name : {"m.tflite", "m.lite", "m.bin", "model", "m.pb"}) {
    DetectedFormat d = DetectFile(name, TfLiteBytes());
    EXPECT_EQ(d.format, ModelFormat::kTfLite) << name;
    EXPECT_THAT(d.reason, HasSubstr("TFL3")) << name;
  }
}

TEST(DetectModelFormat, BinaryProtosByTheirFields) {
  // A GraphDef with many nodes, one node, none; a MetaGraphDef; a SavedModel proto.
  EXPECT_EQ(DetectFile("g.tflite", SmallGraph(3).SerializeAsString()).format,
            ModelFormat::kGraphDef);
  DetectedFormat one = DetectFile("g1", SmallGraph(1).SerializeAsString());
  EXPECT_EQ(one.format, ModelFormat::kGraphDef);
  EXPECT_EQ(one.encoding, ProtoFormat::kBinary);
  EXPECT_EQ(DetectFile("g0.bin", SmallGraph(0).SerializeAsString()).format, ModelFormat::kGraphDef);
  DetectedFormat meta = DetectFile("graph.pb", SmallMetaGraph().SerializeAsString());
  EXPECT_EQ(meta.format, ModelFormat::kMetaGraphDef);
  tensorflow::MetaGraphDef bare;  // only meta_info_def and graph_def
  bare.mutable_meta_info_def()->set_tensorflow_version("2.15.0");
  *bare.mutable_graph_def() = SmallGraph(1);
  EXPECT_EQ(DetectFile("bare.meta", bare.SerializeAsString()).format, ModelFormat::kMetaGraphDef);
  tensorflow::SavedModel sm;
  sm.set_saved_model_schema_version(1);
  *sm.add_meta_graphs() = SmallMetaGraph();
  EXPECT_EQ(DetectFile("sm.meta", sm.SerializeAsString()).format, ModelFormat::kSavedModel);
}

TEST(DetectModelFormat, TextProtosByTheirFirstField) {
  DetectedFormat g = DetectFile("g.pb", Text(SmallGraph(2)));
  EXPECT_EQ(g.format, ModelFormat::kGraphDef);
  EXPECT_EQ(g.encoding, ProtoFormat::kText);
  EXPECT_EQ(DetectFile("m.txt", "# exported\n\n" + Text(SmallMetaGraph())).format,
            ModelFormat::kMetaGraphDef);
  tensorflow::SavedModel sm;
  sm.set_saved_model_schema_version(1);
  EXPECT_EQ(DetectFile("saved", Text(sm)).format, ModelFormat::kSavedModel);
  DetectedFormat other = DetectFile("notes.pbtxt", "hello: 1\n");
  EXPECT_EQ(other.format, ModelFormat::kUnknown);
  EXPECT_THAT(other.reason, HasSubstr("'hello'"));
}

TEST(DetectModelFormat, NpyCheckpointsAndFolders) {
  const std::string dir = TempDir();
  TFM_ASSERT_OK(WriteNpy(JoinPath(dir, "a.bin"), Tensor::FromVector<float>({1, 2})));
  EXPECT_EQ(Detect(JoinPath(dir, "a.bin")).format, ModelFormat::kNpy);
  EXPECT_EQ(DetectFile("z.npy", std::string("PK\x03\x04rest", 8)).format, ModelFormat::kNpz);

  const std::string ckpt = JoinPath(dir, "ckpt");
  std::filesystem::create_directories(ckpt);
  CheckpointWriter w(JoinPath(ckpt, "model"));
  TFM_ASSERT_OK(w.Add("v", Tensor::FromVector<float>({1})));
  TFM_ASSERT_OK(w.Finish());
  // The prefix, the index file (also renamed), a data shard.
  EXPECT_EQ(Detect(JoinPath(ckpt, "model")).format, ModelFormat::kCheckpoint);
  EXPECT_EQ(Detect(JoinPath(ckpt, "model.index")).format, ModelFormat::kCheckpoint);
  TFM_ASSERT_OK_AND_ASSIGN(std::string index, ReadFileToString(JoinPath(ckpt, "model.index")));
  EXPECT_EQ(DetectFile("index.pb", index).format, ModelFormat::kCheckpoint);
  DetectedFormat shard = Detect(JoinPath(ckpt, "model.data-00000-of-00001"));
  EXPECT_EQ(shard.format, ModelFormat::kCheckpoint);
  EXPECT_EQ(shard.path, JoinPath(ckpt, "model"));

  // Folders: SavedModel, version folder with only a TFLite model, base path, other.
  const std::string sm = JoinPath(dir, "sm");
  std::filesystem::create_directories(sm);
  TFM_ASSERT_OK(WriteStringToFile(JoinPath(sm, "saved_model.pb"), ""));
  EXPECT_EQ(Detect(sm).format, ModelFormat::kSavedModelDir);
  const std::string base = JoinPath(dir, "base");
  std::filesystem::create_directories(JoinPath(base, "7"));
  EXPECT_EQ(Detect(base).format, ModelFormat::kModelBasePath);
  TFM_ASSERT_OK(WriteStringToFile(JoinPath(base, "7/model.tflite"), TfLiteBytes()));
  DetectedFormat lite = Detect(JoinPath(base, "7"));
  EXPECT_EQ(lite.format, ModelFormat::kTfLite);
  EXPECT_EQ(lite.path, JoinPath(base, "7/model.tflite"));
  EXPECT_EQ(TfLiteModelInFolder(base), "");
  // A folder with none of the known files.
  std::filesystem::create_directories(JoinPath(base, "other"));
  DetectedFormat other = Detect(JoinPath(base, "other"));
  EXPECT_EQ(other.format, ModelFormat::kUnknown);
  EXPECT_THAT(other.reason, HasSubstr("no saved_model.pb"));
}

TEST(DetectModelFormat, UnknownEmptyAndMissing) {
  EXPECT_EQ(DetectFile("empty.pb", "").format, ModelFormat::kUnknown);
  EXPECT_THAT(DetectFile("empty.pb", "").reason, HasSubstr("empty file"));
  std::string junk = "\xff\xfe\x00\x01 junk";
  junk.resize(64, '\x07');
  EXPECT_EQ(DetectFile("junk.tflite", junk).format, ModelFormat::kUnknown);
  auto missing = DetectModelFormat(JoinPath(TempDir(), "nope.pb"));
  EXPECT_TRUE(absl::IsNotFound(missing.status()));
  EXPECT_EQ(DetectContent(TfLiteBytes()).format, ModelFormat::kTfLite);
}

}  // namespace
}  // namespace tfmodel
