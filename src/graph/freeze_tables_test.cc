// Freezing outputs that use lookup tables (freeze_tables.h): only the tables the outputs
// reach get constant initializers, grouped under the NoOp init_all_tables; outputs without
// tables get no group; a kept node of another op named init_all_tables is refused.
#include "graph/freeze_tables.h"

#include "core/file_util.h"
#include "format/tensor_proto.h"
#include "graph/attr_util.h"
#include "graph/freeze.h"
#include "graph/graph_builder.h"
#include "gtest/gtest.h"

namespace tfmodel {
namespace {

struct NoCheckpoint : CheckpointReader {
  int format_version() const override { return 2; }
  const std::string& prefix() const override { return p; }
  const std::vector<CheckpointEntry>& entries() const override { return e; }
  const CheckpointEntry* Find(const std::string&) const override { return nullptr; }
  absl::StatusOr<Tensor> Read(const std::string&) const override {
    return absl::NotFoundError("none");
  }
  absl::StatusOr<Tensor> ReadSlice(const std::string&, const std::string&) const override {
    return absl::NotFoundError("none");
  }
  std::string p = "(none)";
  std::vector<CheckpointEntry> e;
};

// Two vocabulary-file tables (whole line -> line number); only "used" feeds "find".
GraphBuilder TablesGraph() {
  GraphBuilder b;
  AttrMap kv = {{"key_dtype", AttrType(DType::kString)}, {"value_dtype", AttrType(DType::kInt64)}};
  for (const char* t : {"used", "unused"}) {
    b.Op(t, "HashTableV2", {}, kv);
    b.Op(std::string(t) + "/init", "InitializeTableFromTextFileV2",
         {t, b.Const(std::string(t) + "/asset", Tensor::StringScalar("/export/time/vocab"))},
         {{"key_index", AttrI(-2)}, {"value_index", AttrI(-1)}});
  }
  b.Placeholder("q", DType::kString, PartialShape{-1});
  b.Op("find", "LookupTableFindV2",
       {"used", "q:0", b.Const("default", Tensor::Scalar<int64_t>(-1))},
       {{"Tin", AttrType(DType::kString)}, {"Tout", AttrType(DType::kInt64)}});
  return b;
}

const tensorflow::NodeDef* Find(const tensorflow::GraphDef& g, const std::string& name) {
  for (const auto& n : g.node()) {
    if (n.name() == name) return &n;
  }
  return nullptr;
}

std::string WriteVocab() {
  std::string path = ::testing::TempDir() + "/freeze_tables_vocab.txt";
  EXPECT_TRUE(WriteStringToFile(path, "red\ngreen\nblue\n").ok());
  return path;
}

TEST(FreezeTables, OnlyTheTablesTheOutputsUseGetInitializers) {
  const std::string vocab = WriteVocab();
  GraphBuilder b = TablesGraph();
  FreezeOptions opt;
  opt.output_nodes = {"find"};
  // The asset tensors stand for the SavedModel's file, not the export-time path.
  opt.asset_files = {{"used/asset:0", vocab}, {"unused/asset:0", "/no/such/file"}};
  FreezeReport report;
  NoCheckpoint none;
  auto frozen = FreezeGraph(b.graph(), none, opt, &report);
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  EXPECT_EQ(report.tables_frozen, std::vector<std::string>{"used"});
  const tensorflow::NodeDef* group = Find(*frozen, kTablesInitializerName);
  ASSERT_NE(group, nullptr);
  EXPECT_EQ(group->op(), "NoOp");
  ASSERT_EQ(group->input_size(), 1);
  EXPECT_EQ(group->input(0), "^used/init");
  const tensorflow::NodeDef* init = Find(*frozen, "used/init");
  ASSERT_NE(init, nullptr);
  EXPECT_EQ(init->op(), "InitializeTableV2");
  const tensorflow::NodeDef* keys = Find(*frozen, init->input(1));
  ASSERT_NE(keys, nullptr);
  auto k = TensorFromProto(keys->attr().at("value").tensor());
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(std::vector<std::string>(k->flat<std::string>().begin(), k->flat<std::string>().end()),
            (std::vector<std::string>{"red", "green", "blue"}));
  const tensorflow::NodeDef* values = Find(*frozen, init->input(2));
  ASSERT_NE(values, nullptr);
  auto v = TensorFromProto(values->attr().at("value").tensor());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(std::vector<int64_t>(v->flat<int64_t>().begin(), v->flat<int64_t>().end()),
            (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(Find(*frozen, "unused"), nullptr);
  EXPECT_EQ(Find(*frozen, "unused/init"), nullptr);
  EXPECT_EQ(Find(*frozen, "used/asset"), nullptr);  // the file was read at freeze time
}

TEST(FreezeTables, NothingAddedWhenTheOutputsUseNoTable) {
  GraphBuilder b = TablesGraph();
  FreezeOptions opt;
  opt.output_nodes = {"q"};
  NoCheckpoint none;
  FreezeReport report;
  auto frozen = FreezeGraph(b.graph(), none, opt, &report);
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  EXPECT_TRUE(report.tables_frozen.empty());
  EXPECT_EQ(Find(*frozen, kTablesInitializerName), nullptr);
  EXPECT_EQ(frozen->node_size(), 1);
}

TEST(FreezeTables, KeptNodeOfAnotherOpNamedInitAllTablesIsRefused) {
  const std::string vocab = WriteVocab();
  GraphBuilder b = TablesGraph();
  b.Placeholder(kTablesInitializerName, DType::kFloat, PartialShape{});
  b.Op("both", "NoOp", {"^find", std::string("^") + kTablesInitializerName});
  FreezeOptions opt;
  opt.output_nodes = {"both"};
  opt.asset_files = {{"used/asset:0", vocab}};
  NoCheckpoint none;
  auto frozen = FreezeGraph(b.graph(), none, opt);
  ASSERT_FALSE(frozen.ok());
  EXPECT_EQ(frozen.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(frozen.status().message().find("Placeholder node named 'init_all_tables'"),
            std::string::npos)
      << frozen.status();
}

}  // namespace
}  // namespace tfmodel
