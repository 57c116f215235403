// Freezing resource-variable gathers: ResourceGather (any batch_dims) becomes GatherV2 and
// ResourceGatherNd becomes GatherNd, giving the same values as the live variable.
#include "graph/freeze.h"

#include "format/checkpoint.h"
#include "graph/graph_builder.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "runtime/model.h"
#include "test_util.h"

namespace tfmodel {
namespace {

using testing::ExpectTensorEq;

const tensorflow::NodeDef* Find(const tensorflow::GraphDef& g, const std::string& name) {
  for (const auto& n : g.node()) {
    if (n.name() == name) return &n;
  }
  return nullptr;
}

TEST(Freeze, ResourceGathersBecomeGathersWithTheSameValues) {
  const Tensor table =
      Tensor::FromVector<float>({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, TensorShape{2, 3, 2});
  GraphBuilder b;
  b.Op("emb", "VarHandleOp", {},
       {{"dtype", AttrType(DType::kFloat)},
        {"shape", AttrShape(PartialShape{2, 3, 2})},
        {"shared_name", AttrS("emb")}});
  b.Op("assign", "AssignVariableOp", {"emb", b.Const("init", table)},
       {{"dtype", AttrType(DType::kFloat)}});
  std::string ids = b.Placeholder("ids", DType::kInt64, PartialShape{2, -1});
  b.Op("g0", "ResourceGather", {"emb", ids},
       {{"dtype", AttrType(DType::kFloat)}, {"Tindices", AttrType(DType::kInt64)}});
  b.Op("g1", "ResourceGather", {"emb", ids},
       {{"dtype", AttrType(DType::kFloat)},
        {"Tindices", AttrType(DType::kInt64)},
        {"batch_dims", AttrI(1)}});
  std::string nd = b.Placeholder("nd", DType::kInt32, PartialShape{-1, 2});
  b.Op("gnd", "ResourceGatherNd", {"emb", nd},
       {{"dtype", AttrType(DType::kFloat)}, {"Tindices", AttrType(DType::kInt32)}});

  const std::string prefix = testing::TempDir() + "/emb_ckpt";
  CheckpointWriter w(prefix);
  ASSERT_TRUE(w.Add("emb", table).ok());
  ASSERT_TRUE(w.Finish().ok());
  auto reader = CheckpointReader::Open(prefix);
  ASSERT_TRUE(reader.ok()) << reader.status();
  FreezeOptions opt;
  opt.output_nodes = {"g0", "g1", "gnd"};
  auto frozen = FreezeGraph(b.graph(), **reader, opt);
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  const tensorflow::NodeDef* g1 = Find(*frozen, "g1");
  ASSERT_NE(g1, nullptr);
  EXPECT_EQ(g1->op(), "GatherV2");
  EXPECT_EQ(g1->attr().at("batch_dims").i(), 1);
  const tensorflow::NodeDef* axis = Find(*frozen, "g1/axis");
  ASSERT_NE(axis, nullptr);
  EXPECT_EQ(axis->attr().at("dtype").type(), tensorflow::DT_INT64);  // Taxis follows Tindices
  EXPECT_EQ(Find(*frozen, "gnd")->op(), "GatherNd");
  for (const auto& n : frozen->node()) EXPECT_NE(n.op(), "VarHandleOp") << n.name();

  auto live = runtime::Model::LoadGraph(b.graph());
  ASSERT_TRUE(live.ok()) << live.status();
  ASSERT_TRUE((*live)->Run({}, {}, {"assign"}).ok());
  auto cold = runtime::Model::LoadGraph(*frozen);
  ASSERT_TRUE(cold.ok()) << cold.status();
  std::vector<std::pair<std::string, Tensor>> feeds = {
      {"ids:0", Tensor::FromVector<int64_t>({1, 0, 1, 1}, TensorShape{2, 2})},
      {"nd:0", Tensor::FromVector<int32_t>({1, 2, 0, 1}, TensorShape{2, 2})}};
  auto want = (*live)->Run(feeds, {"g0:0", "g1:0", "gnd:0"});
  ASSERT_TRUE(want.ok()) << want.status();
  auto got = (*cold)->Run(feeds, {"g0:0", "g1:0", "gnd:0"});
  ASSERT_TRUE(got.ok()) << got.status();
  for (int i = 0; i < 3; ++i) ExpectTensorEq((*got)[i], (*want)[i]);
  // batch_dims = 1: row b of ids indexes table[b] ([3,2] each).
  ExpectTensorEq((*got)[1],
                 Tensor::FromVector<float>({3, 4, 1, 2, 9, 10, 9, 10}, TensorShape{2, 2, 2}));
}

}  // namespace
}  // namespace tfmodel
