// Freezing outputs that use lookup tables: the table initializers those tables need are
// kept under a NoOp init_all_tables, and the asset tensors they read become Consts holding
// the asset file paths.
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

// Two vocabulary tables; only "used" feeds the output.
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
       {"used", "q:0", b.Const("default", Tensor::Scalar<int64_t>(-1))});
  return b;
}

const tensorflow::NodeDef* Find(const tensorflow::GraphDef& g, const std::string& name) {
  for (const auto& n : g.node()) {
    if (n.name() == name) return &n;
  }
  return nullptr;
}

TEST(FreezeTables, KeepsTheInitializersTheOutputsNeed) {
  GraphBuilder b = TablesGraph();
  FreezeOptions opt;
  opt.output_nodes = {"find"};
  opt.table_initializers = {"used/init", "unused/init"};
  opt.asset_paths = {{"used/asset:0", "/models/m/1/assets/vocab"},
                     {"unused/asset:0", "/models/m/1/assets/other"}};
  FreezeReport report;
  NoCheckpoint none;
  auto frozen = FreezeGraph(b.graph(), none, opt, &report);
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  EXPECT_EQ(report.table_init_node, "init_all_tables");
  const tensorflow::NodeDef* group = Find(*frozen, "init_all_tables");
  ASSERT_NE(group, nullptr);
  EXPECT_EQ(group->op(), "NoOp");
  ASSERT_EQ(group->input_size(), 1);
  EXPECT_EQ(group->input(0), "^used/init");
  const tensorflow::NodeDef* asset = Find(*frozen, "used/asset");
  ASSERT_NE(asset, nullptr);
  EXPECT_EQ(asset->op(), "Const");
  EXPECT_EQ(asset->attr().at("value").tensor().string_val(0), "/models/m/1/assets/vocab");
  EXPECT_EQ(Find(*frozen, "unused"), nullptr);
  EXPECT_EQ(Find(*frozen, "unused/init"), nullptr);
}

TEST(FreezeTables, NothingAddedWithoutTablesOrInitializers) {
  GraphBuilder b = TablesGraph();
  FreezeOptions opt;
  opt.output_nodes = {"find"};
  NoCheckpoint none;
  FreezeReport report;
  auto frozen = FreezeGraph(b.graph(), none, opt, &report);
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  EXPECT_TRUE(report.table_init_node.empty());
  EXPECT_EQ(Find(*frozen, "init_all_tables"), nullptr);
  // Outputs that use no table keep no initializer even when some are listed.
  opt.output_nodes = {"q"};
  opt.table_initializers = {"used/init"};
  frozen = FreezeGraph(b.graph(), none, opt, &report);
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  EXPECT_TRUE(report.table_init_node.empty());
  EXPECT_EQ(frozen->node_size(), 1);
}

TEST(FreezeTables, ExistingInitAllTablesGroupIsKept) {
  GraphBuilder b = TablesGraph();
  b.Op("init_all_tables", "NoOp", {"^used/init", "^unused/init"});
  FreezeOptions opt;
  opt.output_nodes = {"find"};
  opt.table_initializers = {"used/init", "unused/init"};
  NoCheckpoint none;
  FreezeReport report;
  auto frozen = FreezeGraph(b.graph(), none, opt, &report);
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  EXPECT_EQ(report.table_init_node, "init_all_tables");
  EXPECT_EQ(Find(*frozen, "init_all_tables")->input_size(), 2);
  EXPECT_NE(Find(*frozen, "unused/init"), nullptr);
  // A node of another op under that name is an error.
  GraphBuilder c = TablesGraph();
  c.Placeholder("init_all_tables", DType::kFloat, PartialShape{});
  EXPECT_EQ(FreezeGraph(c.graph(), none, opt).status().code(), absl::StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace tfmodel
