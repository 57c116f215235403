// Checkpoints written by TensorFlow itself (../shared/testdata): every one must open and
// every tensor must read with a valid checksum; our writer's output must match TF's layout.
#include "format/checkpoint.h"

#include <filesystem>
#include <map>

#include "core/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leveldb/env.h"
#include "leveldb/options.h"
#include "leveldb/table.h"
#include "tensorflow/core/protobuf/tensor_bundle.pb.h"
#include "tensorflow/core/protobuf/trackable_object_graph.pb.h"
#include "test_util.h"

namespace tfmodel {
namespace {

using ::testing::HasSubstr;
using testing::Testdata;

float ScalarFloat(const CheckpointReader& r, const std::string& name) {
  auto t = r.Read(name);
  EXPECT_TRUE(t.ok()) << t.status();
  if (!t.ok()) return NAN;
  EXPECT_EQ(t->dtype(), DType::kFloat) << name;
  EXPECT_EQ(t->NumElements(), 1) << name;
  return t->data<float>()[0];
}

std::map<std::string, std::string> ReadTable(const std::string& path) {
  std::map<std::string, std::string> out;
  struct Src : leveldb::RandomAccessFile {
    std::string bytes;
    leveldb::Status Read(uint64_t off, size_t n, leveldb::Slice* r, char*) const override {
      if (off > bytes.size()) return leveldb::Status::IOError("past end");
      *r = leveldb::Slice(bytes.data() + off, std::min<size_t>(n, bytes.size() - off));
      return leveldb::Status::OK();
    }
  } src;
  auto data = ReadFileToString(path);
  EXPECT_TRUE(data.ok()) << data.status();
  src.bytes = data.value_or("");
  leveldb::Table* table = nullptr;
  leveldb::Status s = leveldb::Table::Open(leveldb::Options(), &src, src.bytes.size(), &table);
  EXPECT_TRUE(s.ok()) << path << ": " << s.ToString();
  if (!s.ok()) return out;
  std::unique_ptr<leveldb::Table> owner(table);
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  std::unique_ptr<leveldb::Iterator> it(table->NewIterator(ro));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out[it->key().ToString()] = it->value().ToString();
  }
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  return out;
}

TEST(CheckpointConformance, RegressionCheckpointFolder) {
  TFM_REQUIRE_TESTDATA();
  const std::string dir = Testdata("tf2onnx/regression/checkpoint");
  TFM_ASSERT_OK_AND_ASSIGN(auto state, ReadCheckpointState(dir));
  EXPECT_EQ(state.model_checkpoint_path(), "model");
  ASSERT_EQ(state.all_model_checkpoint_paths_size(), 1);
  TFM_ASSERT_OK_AND_ASSIGN(auto r, CheckpointReader::Open(dir));
  EXPECT_EQ(r->format_version(), 2);
  EXPECT_EQ(r->prefix(), JoinPath(dir, "model"));
  ASSERT_EQ(r->entries().size(), 2u);
  EXPECT_EQ(r->entries()[0].name, "W");
  EXPECT_EQ(r->entries()[1].name, "b");
  EXPECT_EQ(r->entries()[0].shape, TensorShape{});
  EXPECT_EQ(r->entries()[0].bytes, 4);
  EXPECT_FLOAT_EQ(ScalarFloat(*r, "W"), 0.21396178f);
  EXPECT_FLOAT_EQ(ScalarFloat(*r, "b"), 1.0495254f);
  // The same through the other spellings of the path.
  for (const std::string& p : {JoinPath(dir, "model"), JoinPath(dir, "model.index"),
                               JoinPath(dir, "model.data-00000-of-00001")}) {
    TFM_ASSERT_OK_AND_ASSIGN(auto r2, CheckpointReader::Open(p));
    EXPECT_FLOAT_EQ(ScalarFloat(*r2, "W"), 0.21396178f);
  }
}

TEST(CheckpointConformance, EverySavedModelVariablesIndexReads) {
  TFM_REQUIRE_TESTDATA();
  int bundles = 0, tensors = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(testing::TestdataDir())) {
    const std::string path = e.path().string();
    if (e.path().filename() != "variables.index") continue;
    SCOPED_TRACE(path);
    ++bundles;
    auto r = CheckpointReader::Open(path);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_FALSE((*r)->entries().empty());
    for (const CheckpointEntry& entry : (*r)->entries()) {
      auto t = (*r)->Read(entry.name);
      ASSERT_TRUE(t.ok()) << entry.name << ": " << t.status();
      EXPECT_EQ(t->dtype(), entry.dtype);
      EXPECT_EQ(t->shape(), entry.shape);
      ++tensors;
    }
  }
  EXPECT_GE(bundles, 15);
  EXPECT_GE(tensors, 100);
}

TEST(CheckpointConformance, HalfPlusTwoVariablesSnappyIndex) {
  TFM_REQUIRE_TESTDATA();
  const std::string prefix =
      Testdata("tf_serving/saved_model_half_plus_two_cpu/00000123/variables/variables");
  // This index's data block is Snappy-compressed (tf-facts.md 3.1); leveldb inflates it.
  TFM_ASSERT_OK_AND_ASSIGN(auto r, CheckpointReader::Open(prefix));
  std::vector<std::string> names;
  for (const auto& e : r->entries()) names.push_back(e.name);
  EXPECT_THAT(names, ::testing::ElementsAre("a", "a2", "b", "c", "c2"));
  EXPECT_EQ(ScalarFloat(*r, "a"), 0.5f);
  EXPECT_EQ(ScalarFloat(*r, "a2"), 0.5f);
  EXPECT_EQ(ScalarFloat(*r, "b"), 2.0f);
  EXPECT_EQ(ScalarFloat(*r, "c"), 3.0f);
  EXPECT_EQ(ScalarFloat(*r, "c2"), 3.0f);
  // RestoreV2-style slice reads of a scalar.
  TFM_ASSERT_OK_AND_ASSIGN(Tensor a, r->ReadSlice("a", ""));
  EXPECT_EQ(a.scalar<float>(), 0.5f);
}

TEST(CheckpointConformance, Tf2ObjectGraph) {
  TFM_REQUIRE_TESTDATA();
  TFM_ASSERT_OK_AND_ASSIGN(
      auto r, CheckpointReader::Open(Testdata(
                  "tf_serving/saved_model_half_plus_two_tf2_cpu/00000123/variables/variables")));
  const CheckpointEntry* e = r->Find("_CHECKPOINTABLE_OBJECT_GRAPH");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->dtype, DType::kString);
  EXPECT_EQ(e->shape, TensorShape{});
  TFM_ASSERT_OK_AND_ASSIGN(Tensor g, r->Read("_CHECKPOINTABLE_OBJECT_GRAPH"));
  tensorflow::TrackableObjectGraph graph;
  ASSERT_TRUE(graph.ParseFromString(g.scalar<std::string>()));
  ASSERT_GT(graph.nodes_size(), 0);
  // Every attribute the graph names is a tensor in the bundle, and the variables hold
  // a=0.5, b=2, c=3 under their object paths.
  std::map<std::string, float> values;
  for (const auto& node : graph.nodes()) {
    for (const auto& attr : node.attributes()) {
      ASSERT_NE(r->Find(attr.checkpoint_key()), nullptr) << attr.checkpoint_key();
      auto t = r->Read(attr.checkpoint_key());
      ASSERT_TRUE(t.ok()) << t.status();
      if (t->dtype() == DType::kFloat && t->NumElements() == 1) {
        values[attr.checkpoint_key()] = t->data<float>()[0];
      }
    }
  }
  std::vector<float> floats;
  for (const auto& [k, v] : values) {
    EXPECT_THAT(k, HasSubstr("/.ATTRIBUTES/VARIABLE_VALUE"));
    floats.push_back(v);
  }
  EXPECT_THAT(floats, ::testing::UnorderedElementsAre(0.5f, 2.0f, 3.0f));
}

TEST(CheckpointConformance, V1SessionBundle) {
  TFM_REQUIRE_TESTDATA();
  const std::string dir = Testdata("tf_serving/session_bundle_half_plus_two/00000123");
  for (const std::string& p :
       {JoinPath(dir, "export-00000-of-00001"), JoinPath(dir, "export-\?\?\?\?\?-of-00001"),
        JoinPath(dir, "export")}) {
    SCOPED_TRACE(p);
    TFM_ASSERT_OK_AND_ASSIGN(auto r, CheckpointReader::Open(p));
    EXPECT_EQ(r->format_version(), 1);
    ASSERT_EQ(r->entries().size(), 2u);
    EXPECT_EQ(r->entries()[0].name, "a");
    EXPECT_EQ(r->entries()[0].dtype, DType::kFloat);
    EXPECT_EQ(r->entries()[0].shape, TensorShape{});
    EXPECT_EQ(ScalarFloat(*r, "a"), 0.5f);
    EXPECT_EQ(ScalarFloat(*r, "b"), 2.0f);
  }
}

TEST(CheckpointConformance, BadHalfPlusTwo) {
  TFM_REQUIRE_TESTDATA();
  // The export is a V1 checkpoint holding Variable=0.5 and Variable_1=2 (the model is "bad"
  // in its graph, not its checkpoint); the state file names /tmp/bad_half_plus_two/...,
  // which does not exist, so the folder's own "export" is used.
  const std::string dir = Testdata("tf_serving/bad_half_plus_two/00000123");
  TFM_ASSERT_OK_AND_ASSIGN(std::string prefix, ResolveCheckpointPrefix(dir));
  EXPECT_EQ(prefix, JoinPath(dir, "export"));
  TFM_ASSERT_OK_AND_ASSIGN(auto r, CheckpointReader::Open(dir));
  EXPECT_EQ(r->format_version(), 1);
  ASSERT_EQ(r->entries().size(), 2u);
  EXPECT_EQ(r->entries()[0].name, "Variable");
  EXPECT_EQ(r->entries()[1].name, "Variable_1");
  EXPECT_EQ(ScalarFloat(*r, "Variable"), 0.5f);
  EXPECT_EQ(ScalarFloat(*r, "Variable_1"), 2.0f);
}

TEST(CheckpointConformance, WriterOutputMatchesTensorFlowLayout) {
  TFM_REQUIRE_TESTDATA();
  const std::string tf_prefix = Testdata("tf2onnx/regression/checkpoint/model");
  TFM_ASSERT_OK_AND_ASSIGN(auto tf, CheckpointReader::Open(tf_prefix));
  const std::string ours = JoinPath(testing::TempDir(), "model");
  {
    CheckpointWriter w(ours);
    for (const auto& e : tf->entries()) {
      TFM_ASSERT_OK_AND_ASSIGN(Tensor t, tf->Read(e.name));
      TFM_ASSERT_OK(w.Add(e.name, t));
    }
    TFM_ASSERT_OK(w.Finish());
  }
  TFM_ASSERT_OK_AND_ASSIGN(auto back, CheckpointReader::Open(ours));
  EXPECT_FLOAT_EQ(ScalarFloat(*back, "W"), 0.21396178f);
  EXPECT_FLOAT_EQ(ScalarFloat(*back, "b"), 1.0495254f);

  // Same keys, same header, same entries apart from where the bytes went.
  auto theirs_kv = ReadTable(tf_prefix + ".index");
  auto ours_kv = ReadTable(ours + ".index");
  ASSERT_EQ(theirs_kv.size(), ours_kv.size());
  for (auto a = theirs_kv.begin(), b = ours_kv.begin(); a != theirs_kv.end(); ++a, ++b) {
    ASSERT_EQ(a->first, b->first);
    if (a->first.empty()) {
      tensorflow::BundleHeaderProto ha, hb;
      ASSERT_TRUE(ha.ParseFromString(a->second));
      ASSERT_TRUE(hb.ParseFromString(b->second));
      EXPECT_EQ(ha.SerializeAsString(), hb.SerializeAsString())
          << ha.ShortDebugString() << " vs " << hb.ShortDebugString();
      continue;
    }
    tensorflow::BundleEntryProto ea, eb;
    ASSERT_TRUE(ea.ParseFromString(a->second));
    ASSERT_TRUE(eb.ParseFromString(b->second));
    ea.clear_offset();
    eb.clear_offset();
    EXPECT_EQ(ea.SerializeAsString(), eb.SerializeAsString())
        << a->first << ": " << ea.ShortDebugString() << " vs " << eb.ShortDebugString();
  }
  // Written in TF's (sorted) order, the data and even the index come out byte-identical.
  EXPECT_EQ(*ReadFileToString(tf_prefix + ".data-00000-of-00001"),
            *ReadFileToString(ours + ".data-00000-of-00001"));
  EXPECT_EQ(*ReadFileToString(tf_prefix + ".index"), *ReadFileToString(ours + ".index"));
}

TEST(CheckpointConformance, RewriteEveryBundleRoundTrips) {
  TFM_REQUIRE_TESTDATA();
  int n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(testing::TestdataDir())) {
    if (e.path().filename() != "variables.index") continue;
    SCOPED_TRACE(e.path().string());
    TFM_ASSERT_OK_AND_ASSIGN(auto tf, CheckpointReader::Open(e.path().string()));
    const std::string ours = JoinPath(testing::TempDir(), "v" + std::to_string(n++));
    CheckpointWriter w(ours);
    std::map<std::string, Tensor> orig;
    for (const auto& entry : tf->entries()) {
      TFM_ASSERT_OK_AND_ASSIGN(Tensor t, tf->Read(entry.name));
      orig[entry.name] = t;
      TFM_ASSERT_OK(w.Add(entry.name, t));
    }
    TFM_ASSERT_OK(w.Finish());
    TFM_ASSERT_OK_AND_ASSIGN(auto back, CheckpointReader::Open(ours));
    ASSERT_EQ(back->entries().size(), orig.size());
    for (const auto& [name, t] : orig) {
      TFM_ASSERT_OK_AND_ASSIGN(Tensor got, back->Read(name));
      ASSERT_EQ(got.dtype(), t.dtype());
      ASSERT_EQ(got.shape(), t.shape());
      if (t.dtype() == DType::kString) {
        for (int64_t i = 0; i < t.NumElements(); ++i) {
          EXPECT_EQ(got.data<std::string>()[i], t.data<std::string>()[i]);
        }
      } else if (t.TotalBytes() > 0) {
        EXPECT_EQ(0, std::memcmp(got.raw_data(), t.raw_data(), t.TotalBytes())) << name;
      }
    }
  }
  EXPECT_GE(n, 15);
}

}  // namespace
}  // namespace tfmodel
