// ResourceGather(Nd), ResourceScatter* and VariableShape on variables held by a loaded
// model, so values persist across Run calls as they do in TensorFlow.
#include "gmock/gmock.h"
#include "graph/graph_builder.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "runtime/model.h"
#include "test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrI;
using testing::AttrS;
using testing::AttrShape;
using testing::AttrType;
using testing::ExpectTensorEq;
using ::testing::HasSubstr;

Tensor F(std::vector<float> v, TensorShape s) { return Tensor::FromVector<float>(v, s); }
Tensor I32(std::vector<int32_t> v, TensorShape s) { return Tensor::FromVector<int32_t>(v, s); }

// A model with variable "v" = `init` (assigned by target "assign") and placeholders
// "idx" (int32) and "upd" (of the variable's dtype) for the ops under test.
struct VarModel {
  GraphBuilder b;
  DType dtype;
  explicit VarModel(const Tensor& init) : dtype(init.dtype()) {
    b.Op("v", "VarHandleOp", {},
         {{"dtype", AttrType(dtype)},
          {"shape", AttrShape(PartialShape::FromShape(init.shape()))},
          {"shared_name", AttrS("table")}});
    b.Op("assign", "AssignVariableOp", {"v", b.Const("init", init)}, {{"dtype", AttrType(dtype)}});
    b.Op("read", "ReadVariableOp", {"v"}, {{"dtype", AttrType(dtype)}});
    b.Placeholder("idx", DType::kInt32, PartialShape());
    b.Placeholder("upd", dtype, PartialShape());
  }
  std::unique_ptr<Model> Load() {
    auto m = Model::LoadGraph(b.graph());
    EXPECT_TRUE(m.ok()) << m.status();
    if (!m.ok()) return nullptr;
    EXPECT_TRUE((*m)->Run({}, {}, {"assign"}).ok());
    return std::move(*m);
  }
};

TEST(ResourceGather, LooksUpRowsAndChecksIndices) {
  VarModel vm(F({1, 2, 3, 4, 5, 6}, {3, 2}));
  vm.b.Op("gather", "ResourceGather", {"v", "idx"},
          {{"dtype", AttrType(DType::kFloat)}, {"Tindices", AttrType(DType::kInt32)}});
  auto m = vm.Load();
  ASSERT_NE(m, nullptr);
  TFM_ASSERT_OK_AND_ASSIGN(auto out, m->Run({{"idx:0", I32({2, 0, 2}, {3})}}, {"gather:0"}));
  ExpectTensorEq(out[0], F({5, 6, 1, 2, 5, 6}, {3, 2}));
  TFM_ASSERT_OK_AND_ASSIGN(out, m->Run({{"idx:0", I32({1, 0}, {2, 1})}}, {"gather:0"}));
  ExpectTensorEq(out[0], F({3, 4, 1, 2}, {2, 1, 2}));
  TFM_ASSERT_OK_AND_ASSIGN(out, m->Run({{"idx:0", I32({}, {0})}}, {"gather:0"}));
  ExpectTensorEq(out[0], F({}, {0, 2}));
  auto bad = m->Run({{"idx:0", I32({0, 3}, {2})}}, {"gather:0"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("indices[1] = 3 is not in [0, 3)"));
  bad = m->Run({{"idx:0", I32({-1}, {1})}}, {"gather:0"});
  EXPECT_THAT(bad.status().message(), HasSubstr("indices[0] = -1 is not in [0, 3)"));
}

TEST(ResourceGather, BatchDimsGathersPerBatchRow) {
  // params [2,3]: per batch row b, pick params[b, idx[b, j]].
  VarModel vm(F({1, 2, 3, 4, 5, 6}, {2, 3}));
  vm.b.Op("gather", "ResourceGather", {"v", "idx"},
          {{"dtype", AttrType(DType::kFloat)}, {"batch_dims", AttrI(1)}});
  auto m = vm.Load();
  ASSERT_NE(m, nullptr);
  TFM_ASSERT_OK_AND_ASSIGN(auto out, m->Run({{"idx:0", I32({2, 0, 1, 1}, {2, 2})}}, {"gather:0"}));
  ExpectTensorEq(out[0], F({3, 1, 5, 5}, {2, 2}));
}

TEST(ResourceGather, UninitializedAndWrongDTypeAreErrors) {
  VarModel vm(F({1, 2}, {2}));
  vm.b.Op("gather", "ResourceGather", {"v", "idx"}, {{"dtype", AttrType(DType::kInt32)}});
  vm.b.Op("gather_f", "ResourceGather", {"v", "idx"}, {{"dtype", AttrType(DType::kFloat)}});
  TFM_ASSERT_OK_AND_ASSIGN(auto m, Model::LoadGraph(vm.b.graph()));
  auto early = m->Run({{"idx:0", I32({0}, {1})}}, {"gather_f:0"});
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(early.status().message(), HasSubstr("Could not find variable table"));
  TFM_ASSERT_OK(m->Run({}, {}, {"assign"}).status());
  auto wrong = m->Run({{"idx:0", I32({0}, {1})}}, {"gather:0"});
  EXPECT_THAT(wrong.status().message(), HasSubstr("wrong dtype. Expected int32 got float"));
}

TEST(ResourceGatherNd, GathersSlices) {
  VarModel vm(F({1, 2, 3, 4}, {2, 2}));
  vm.b.Op("g", "ResourceGatherNd", {"v", "idx"}, {{"dtype", AttrType(DType::kFloat)}});
  auto m = vm.Load();
  ASSERT_NE(m, nullptr);
  TFM_ASSERT_OK_AND_ASSIGN(auto out, m->Run({{"idx:0", I32({1, 0, 0, 1}, {2, 2})}}, {"g:0"}));
  ExpectTensorEq(out[0], F({3, 2}, {2}));
  auto bad = m->Run({{"idx:0", I32({2, 0}, {1, 2})}}, {"g:0"});
  EXPECT_THAT(bad.status().message(), HasSubstr("does not index into param shape"));
}

TEST(VariableShape, ReportsTheCurrentShape) {
  VarModel vm(F({1, 2, 3, 4, 5, 6}, {3, 2}));
  vm.b.Op("shape", "VariableShape", {"v"}, {});
  vm.b.Op("shape64", "VariableShape", {"v"}, {{"out_type", AttrType(DType::kInt64)}});
  auto m = vm.Load();
  ASSERT_NE(m, nullptr);
  TFM_ASSERT_OK_AND_ASSIGN(auto out, m->Run({}, {"shape:0", "shape64:0"}));
  ExpectTensorEq(out[0], Tensor::FromVector<int32_t>({3, 2}));
  ExpectTensorEq(out[1], Tensor::FromVector<int64_t>({3, 2}));
}

// Each scatter op on v = [[1,2],[3,4],[5,6]] with updates for rows 2 and 0 (row 2 twice
// for the accumulating ops: duplicates apply in order).
TEST(ResourceScatter, AppliesEachOpAndKeepsReadersStable) {
  struct Case {
    const char* op;
    std::vector<float> want;
  };
  const Case cases[] = {
      {"ResourceScatterUpdate", {10, 20, 3, 4, 30, 40}},
      {"ResourceScatterAdd", {11, 22, 3, 4, 35, 46}},
      {"ResourceScatterSub", {-9, -18, 3, 4, -25, -34}},
      {"ResourceScatterMul", {10, 40, 3, 4, 150, 240}},
      {"ResourceScatterDiv", {0.1f, 0.1f, 3, 4, 5.0f / 30, 6.0f / 40}},
      {"ResourceScatterMin", {1, 2, 3, 4, 5, 6}},
      {"ResourceScatterMax", {10, 20, 3, 4, 30, 40}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.op);
    VarModel vm(F({1, 2, 3, 4, 5, 6}, {3, 2}));
    vm.b.Op("scatter", c.op, {"v", "idx", "upd"}, {{"dtype", AttrType(DType::kFloat)}});
    auto m = vm.Load();
    ASSERT_NE(m, nullptr);
    TFM_ASSERT_OK_AND_ASSIGN(auto before, m->Run({}, {"read:0"}));
    TFM_ASSERT_OK(m->Run({{"idx:0", I32({0, 2}, {2})}, {"upd:0", F({10, 20, 30, 40}, {2, 2})}}, {},
                         {"scatter"})
                      .status());
    TFM_ASSERT_OK_AND_ASSIGN(auto after, m->Run({}, {"read:0"}));
    ExpectTensorEq(after[0], F(c.want, {3, 2}));
    ExpectTensorEq(before[0], F({1, 2, 3, 4, 5, 6}, {3, 2}));  // copy-on-write
  }
}

TEST(ResourceScatter, ScalarUpdatesBroadcastAndDuplicatesAccumulate) {
  VarModel vm(F({1, 2, 3, 4}, {2, 2}));
  vm.b.Op("add", "ResourceScatterAdd", {"v", "idx", "upd"}, {{"dtype", AttrType(DType::kFloat)}});
  auto m = vm.Load();
  ASSERT_NE(m, nullptr);
  TFM_ASSERT_OK(
      m->Run({{"idx:0", I32({1, 1}, {2})}, {"upd:0", Tensor::Scalar<float>(10)}}, {}, {"add"})
          .status());
  TFM_ASSERT_OK_AND_ASSIGN(auto out, m->Run({}, {"read:0"}));
  ExpectTensorEq(out[0], F({1, 2, 23, 24}, {2, 2}));
}

TEST(ResourceScatter, BadIndicesShapesAndDivisionByZeroAreErrors) {
  VarModel vm(F({1, 2, 3, 4}, {2, 2}));
  vm.b.Op("update", "ResourceScatterUpdate", {"v", "idx", "upd"},
          {{"dtype", AttrType(DType::kFloat)}});
  auto m = vm.Load();
  ASSERT_NE(m, nullptr);
  auto s = m->Run({{"idx:0", I32({2}, {1})}, {"upd:0", F({1, 1}, {1, 2})}}, {}, {"update"});
  EXPECT_THAT(s.status().message(), HasSubstr("indices[0] = 2 is not in [0, 2)"));
  s = m->Run({{"idx:0", I32({0}, {1})}, {"upd:0", F({1, 1, 1}, {1, 3})}}, {}, {"update"});
  EXPECT_THAT(s.status().message(),
              HasSubstr("Must have updates.shape = indices.shape + params.shape[1:] or "
                        "updates.shape = [], got updates.shape [1,3], indices.shape [1], "
                        "params.shape [2,2]"));
  // Nothing changed.
  TFM_ASSERT_OK_AND_ASSIGN(auto out, m->Run({}, {"read:0"}));
  ExpectTensorEq(out[0], F({1, 2, 3, 4}, {2, 2}));

  VarModel iv(Tensor::FromVector<int32_t>({7, 8}));
  iv.b.Op("div", "ResourceScatterDiv", {"v", "idx", "upd"}, {{"dtype", AttrType(DType::kInt32)}});
  auto im = iv.Load();
  ASSERT_NE(im, nullptr);
  s = im->Run({{"idx:0", I32({1}, {1})}, {"upd:0", Tensor::FromVector<int32_t>({0})}}, {}, {"div"});
  EXPECT_THAT(s.status().message(), HasSubstr("Integer division by zero"));
  TFM_ASSERT_OK(
      im->Run({{"idx:0", I32({1}, {1})}, {"upd:0", Tensor::FromVector<int32_t>({3})}}, {}, {"div"})
          .status());
  TFM_ASSERT_OK_AND_ASSIGN(out, im->Run({}, {"read:0"}));
  ExpectTensorEq(out[0], Tensor::FromVector<int32_t>({7, 2}));
}

TEST(ResourceScatterNd, UpdatesAddsAndSubtractsSlices) {
  VarModel vm(F({1, 2, 3, 4}, {2, 2}));
  vm.b.Op("nd_update", "ResourceScatterNdUpdate", {"v", "idx", "upd"},
          {{"T", AttrType(DType::kFloat)}});
  vm.b.Op("nd_add", "ResourceScatterNdAdd", {"v", "idx", "upd"}, {{"T", AttrType(DType::kFloat)}});
  auto m = vm.Load();
  ASSERT_NE(m, nullptr);
  // Elements (1,0) and (0,1).
  TFM_ASSERT_OK(
      m->Run({{"idx:0", I32({1, 0, 0, 1}, {2, 2})}, {"upd:0", F({9, 8}, {2})}}, {}, {"nd_update"})
          .status());
  TFM_ASSERT_OK_AND_ASSIGN(auto out, m->Run({}, {"read:0"}));
  ExpectTensorEq(out[0], F({1, 8, 9, 4}, {2, 2}));
  // Whole row 1.
  TFM_ASSERT_OK(
      m->Run({{"idx:0", I32({1}, {1, 1})}, {"upd:0", F({10, 10}, {1, 2})}}, {}, {"nd_add"})
          .status());
  TFM_ASSERT_OK_AND_ASSIGN(out, m->Run({}, {"read:0"}));
  ExpectTensorEq(out[0], F({1, 8, 19, 14}, {2, 2}));
  auto bad = m->Run({{"idx:0", I32({0, 2}, {1, 2})}, {"upd:0", F({1}, {1})}}, {}, {"nd_add"});
  EXPECT_THAT(bad.status().message(), HasSubstr("does not index into shape [2,2]"));
}

}  // namespace
}  // namespace tfmodel::runtime
