// Hash tables and resource variables, initialized by a CALL_ONCE subgraph the way TF's
// converter emits tf.lookup.StaticHashTable and tf.Variable, plus LookupTable's own rules.
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util.h"
#include "tflite/resources.h"
#include "tflite_test_util.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::TfLiteModelBuilder;
using TT = fb::TensorType;

fb::BuiltinOptionsUnion CallOnceOpts(int init) {
  fb::CallOnceOptionsT o;
  o.init_subgraph_index = init;
  return testing::Options(o);
}

fb::BuiltinOptionsUnion TableOpts(int id, TT key, TT value) {
  fb::HashtableOptionsT o;
  o.table_id = id;
  o.key_dtype = key;
  o.value_dtype = value;
  return testing::Options(o);
}

fb::BuiltinOptionsUnion VarOpts(const std::string& name) {
  fb::VarHandleOptionsT o;
  o.shared_name = name;
  return testing::Options(o);
}

std::vector<int64_t> Ints(const Tensor& t) {
  return std::vector<int64_t>(t.data<int64_t>(), t.data<int64_t>() + t.NumElements());
}

// main(words) -> (ids, size): CALL_ONCE fills table 3 (string -> int64) from constants;
// unknown words get -1.
std::unique_ptr<TfLiteModel> VocabularyModel() {
  TfLiteModelBuilder b;
  int words = b.Tensor<uint8_t>("words", TT::STRING, {1});
  b.SetShapeSignature(words, {-1});
  int table = b.Tensor<int32_t>("table", TT::RESOURCE, {1});
  int dflt = b.Tensor<int64_t>("default", TT::INT64, {}, {}, {}, 0, {-1});
  int ids = b.Tensor<int64_t>("ids", TT::INT64, {1});
  b.SetShapeSignature(ids, {-1});
  int size = b.Tensor<int64_t>("size", TT::INT64, {1});
  b.Op(B::CALL_ONCE, {}, {}, CallOnceOpts(1));
  b.Op(B::HASHTABLE, {}, {table}, TableOpts(3, TT::STRING, TT::INT64));
  b.Op(B::HASHTABLE_FIND, {table, words, dflt}, {ids});
  b.Op(B::HASHTABLE_SIZE, {table}, {size});
  b.AddSubgraph();
  int t = b.Tensor<int32_t>("table", TT::RESOURCE, {1});
  int keys = b.StringConst("keys", {3}, {"cat", "dog", "cat"});
  int values = b.Tensor<int64_t>("values", TT::INT64, {3}, {}, {}, 0, {7, 8, 9});
  b.Op(B::HASHTABLE, {}, {t}, TableOpts(3, TT::STRING, TT::INT64));
  b.Op(B::HASHTABLE_IMPORT, {t, keys, values}, {});
  b.SetSubgraphIO({}, {});
  auto m = b.Load({words}, {ids, size});
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? std::move(*m) : nullptr;
}

Tensor Words(std::vector<std::string> w) {
  Tensor t(DType::kString, TensorShape{static_cast<int64_t>(w.size())});
  for (size_t i = 0; i < w.size(); ++i) t.data<std::string>()[i] = w[i];
  return t;
}

TEST(TfLiteResourceOpsTest, HashTableFilledOnceLooksUpWords) {
  auto m = VocabularyModel();
  ASSERT_NE(m, nullptr);
  for (int run = 0; run < 2; ++run) {
    TFM_ASSERT_OK_AND_ASSIGN(auto out,
                             m->Run({{"words", Words({"dog", "cow", "cat"})}}, {"ids", "size"}));
    // "cat" keeps its first value; a duplicate key does not count twice.
    EXPECT_THAT(Ints(out[0]), ElementsAre(8, -1, 7));
    EXPECT_THAT(Ints(out[1]), ElementsAre(2));
  }
}

TEST(TfLiteResourceOpsTest, ConcurrentFirstRunsInitializeTheTableOnce) {
  auto m = VocabularyModel();
  ASSERT_NE(m, nullptr);
  std::vector<std::thread> threads;
  std::vector<std::vector<int64_t>> got(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto out = m->Run({{"words", Words({"cat", "dog"})}}, {"ids"});
      if (out.ok()) got[i] = Ints((*out)[0]);
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_THAT(g, ElementsAre(7, 8));
}

TEST(TfLiteResourceOpsTest, UnsupportedTableTypesAreNamed) {
  TfLiteModelBuilder b;
  int table = b.Tensor<int32_t>("table", TT::RESOURCE, {1});
  b.Op(B::HASHTABLE, {}, {table}, TableOpts(0, TT::BOOL, TT::INT64));
  b.ExpectLoadError({}, {table}, "this one maps BOOL to INT64");
}

// main(x) -> y = v + x, then v := y, where v is a resource variable set to [1, 2] by the
// initializer: state carries over from run to run, as in TFLite.
TEST(TfLiteResourceOpsTest, VariableInitializedOnceKeepsItsValueAcrossRuns) {
  TfLiteModelBuilder b;
  int x = b.Tensor<float>("x", TT::FLOAT32, {2});
  int h = b.Tensor<int32_t>("h", TT::RESOURCE, {1});
  int v = b.Tensor<float>("v", TT::FLOAT32, {2});
  int y = b.Tensor<float>("y", TT::FLOAT32, {2});
  b.Op(B::CALL_ONCE, {}, {}, CallOnceOpts(1));
  b.Op(B::VAR_HANDLE, {}, {h}, VarOpts("acc"));
  b.Op(B::READ_VARIABLE, {h}, {v});
  b.Op(B::ADD, {v, x}, {y});
  b.Op(B::ASSIGN_VARIABLE, {h, y}, {});
  b.AddSubgraph();
  int h2 = b.Tensor<int32_t>("h", TT::RESOURCE, {1});
  int init = b.Const("init", {2}, {1, 2});
  b.Op(B::VAR_HANDLE, {}, {h2}, VarOpts("acc"));
  b.Op(B::ASSIGN_VARIABLE, {h2, init}, {});
  b.SetSubgraphIO({}, {});
  auto m = b.Build({x}, {y});
  ASSERT_NE(m, nullptr);
  auto xv = Tensor::FromVector<float>({10, 20});
  TFM_ASSERT_OK_AND_ASSIGN(auto first, m->Run({{"x", xv}}, {"y"}));
  EXPECT_THAT(std::vector<float>(first[0].data<float>(), first[0].data<float>() + 2),
              ElementsAre(11, 22));
  TFM_ASSERT_OK_AND_ASSIGN(auto second, m->Run({{"x", xv}}, {"y"}));
  EXPECT_THAT(std::vector<float>(second[0].data<float>(), second[0].data<float>() + 2),
              ElementsAre(21, 42));
  // The first result is not changed by the later assignment.
  EXPECT_EQ(first[0].data<float>()[0], 11);
}

TEST(TfLiteResourceOpsTest, ReadingAnUnassignedVariableIsAnError) {
  TfLiteModelBuilder b;
  int h = b.Tensor<int32_t>("h", TT::RESOURCE, {1});
  int v = b.Tensor<float>("v", TT::FLOAT32, {2});
  b.Op(B::VAR_HANDLE, {}, {h}, VarOpts("never_set"));
  b.Op(B::READ_VARIABLE, {h}, {v});
  auto m = b.Build({}, {v});
  ASSERT_NE(m, nullptr);
  auto out = m->Run({}, {"v"});
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("read before anything was assigned"));
  EXPECT_THAT(out.status().message(), HasSubstr("READ_VARIABLE"));
}

TEST(LookupTableTest, IntKeysFloatValuesAndTheFirstImportWins) {
  LookupTable t(DType::kInt32, DType::kFloat);
  auto miss = t.Find(Tensor::FromVector<int32_t>({1}), Tensor::FromVector<float>({0}));
  EXPECT_EQ(miss.status().code(), absl::StatusCode::kFailedPrecondition);
  TFM_ASSERT_OK(t.Import(Tensor::FromVector<int32_t>({1, 2}), Tensor::FromVector<float>({.5f, 2})));
  TFM_ASSERT_OK(t.Import(Tensor::FromVector<int32_t>({1}), Tensor::FromVector<float>({9})));
  EXPECT_EQ(t.size(), 2);
  TFM_ASSERT_OK_AND_ASSIGN(Tensor r,
                           t.Find(Tensor::FromVector<int32_t>({2, 3, 1}, TensorShape{3, 1}),
                                  Tensor::FromVector<float>({-1})));
  EXPECT_EQ(r.shape(), (TensorShape{3, 1}));
  EXPECT_THAT(std::vector<float>(r.data<float>(), r.data<float>() + 3), ElementsAre(2, -1, .5f));
}

TEST(LookupTableTest, WrongTypesAndSizesAreErrors) {
  LookupTable t(DType::kInt64, DType::kString);
  EXPECT_FALSE(t.Import(Tensor::FromVector<int32_t>({1}), Words({"a"})).ok());
  EXPECT_FALSE(t.Import(Tensor::FromVector<int64_t>({1, 2}), Words({"a"})).ok());
  TFM_ASSERT_OK(t.Import(Tensor::FromVector<int64_t>({4}), Words({"four"})));
  EXPECT_FALSE(t.Find(Tensor::FromVector<int64_t>({4}), Tensor::FromVector<int64_t>({0})).ok());
  TFM_ASSERT_OK_AND_ASSIGN(Tensor r,
                           t.Find(Tensor::FromVector<int64_t>({4, 5}), Words({"?", "unused"})));
  EXPECT_EQ(r.data<std::string>()[0], "four");
  EXPECT_EQ(r.data<std::string>()[1], "?");
}

TEST(ResourceStoreTest, VariableIdsAreSharedByNameAndKeepTheirDtype) {
  ResourceStore s;
  const int32_t a = s.VariableId("", "a");
  EXPECT_EQ(s.VariableId("", "a"), a);
  EXPECT_NE(s.VariableId("c", "a"), a);
  TFM_ASSERT_OK(s.AssignVariable(a, Tensor::FromVector<float>({1})));
  EXPECT_FALSE(s.AssignVariable(a, Tensor::FromVector<int32_t>({1})).ok());
  TFM_ASSERT_OK(s.AssignVariable(a, Tensor::FromVector<float>({1, 2, 3})));
  TFM_ASSERT_OK_AND_ASSIGN(Tensor v, s.ReadVariable(a));
  EXPECT_EQ(v.NumElements(), 3);
}

}  // namespace
}  // namespace tfmodel::tflite
