// Tests for the lookup-table kernels, run as small graphs so tables live in a model's
// resource manager across Run calls. Cases follow TF's lookup_ops_test.py (the
// "brain/salad/surgery" vocabulary, WHOLE_LINE = -2 / LINE_NUMBER = -1 indices).
#include <algorithm>

#include "core/file_util.h"
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

Tensor Strs(const std::vector<std::string>& v) { return Tensor::FromVector<std::string>(v); }
Tensor I64(const std::vector<int64_t>& v) { return Tensor::FromVector(v); }

AttrMap TableAttrs(DType k, DType v) {
  return {{"key_dtype", AttrType(k)}, {"value_dtype", AttrType(v)}};
}

std::string ErrorOf(const absl::Status& s) { return s.ok() ? "OK" : std::string(s.message()); }

TEST(HashTable, InitializeFindSizeExport) {
  GraphBuilder b;
  b.Op("table", "HashTableV2", {}, TableAttrs(DType::kString, DType::kInt64));
  std::string k = b.Const("keys", Strs({"brain", "salad", "surgery"}));
  std::string v = b.Const("values", I64({0, 1, 2}));
  b.Op("init", "InitializeTableV2", {"table", k, v},
       {{"Tkey", AttrType(DType::kString)}, {"Tval", AttrType(DType::kInt64)}});
  std::string k4 = b.Const("keys4", Strs({"a", "b", "c", "d"}));
  std::string v4 = b.Const("values4", I64({0, 1, 2, 3}));
  b.Op("init_other", "InitializeTableV2", {"table", k4, v4});
  b.Op("init_same_size", "InitializeTableV2",
       {"table", b.Const("k3", Strs({"x", "y", "z"})), b.Const("v3", I64({7, 8, 9}))});
  std::string q = b.Placeholder("q", DType::kString, PartialShape{-1});
  std::string d = b.Const("default", Tensor::Scalar<int64_t>(-1));
  b.Op("find", "LookupTableFindV2", {"table", q, d});
  b.Op("size", "LookupTableSizeV2", {"table"});
  b.Op("export", "LookupTableExportV2", {"table"},
       {{"Tkeys", AttrType(DType::kString)}, {"Tvalues", AttrType(DType::kInt64)}});
  b.Op("insert", "LookupTableInsertV2", {"table", k, v});
  b.Op("remove", "LookupTableRemoveV2", {"table", k});
  TFM_ASSERT_OK_AND_ASSIGN(auto model, Model::LoadGraph(b.graph()));

  // Before initialisation.
  auto early = model->Run({{"q:0", Strs({"brain"})}}, {"find:0"});
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(early.status().message(), HasSubstr("Table not initialized."));
  TFM_ASSERT_OK_AND_ASSIGN(auto size0, model->Run({}, {"size:0"}));
  ExpectTensorEq(size0[0], Tensor::Scalar<int64_t>(0));
  auto export0 = model->Run({}, {"export:0"});
  EXPECT_THAT(ErrorOf(export0.status()), HasSubstr("HashTable is not initialized."));

  TFM_ASSERT_OK(model->Run({}, {}, {"init"}).status());
  TFM_ASSERT_OK_AND_ASSIGN(
      auto out, model->Run({{"q:0", Strs({"brain", "salad", "tank"})}}, {"find:0", "size:0"}));
  ExpectTensorEq(out[0], I64({0, 1, -1}));
  ExpectTensorEq(out[1], Tensor::Scalar<int64_t>(3));

  // Initialising again: same entry count is a no-op (TF compares sizes only), another
  // count an error; the table keeps its contents either way.
  TFM_ASSERT_OK(model->Run({}, {}, {"init_same_size"}).status());
  auto again = model->Run({}, {}, {"init_other"});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(again.status().message(),
              HasSubstr("Table was already initialized with different data."));
  TFM_ASSERT_OK_AND_ASSIGN(out, model->Run({{"q:0", Strs({"surgery", "x"})}}, {"find:0"}));
  ExpectTensorEq(out[0], I64({2, -1}));

  TFM_ASSERT_OK_AND_ASSIGN(auto ex, model->Run({}, {"export:0", "export:1"}));
  ASSERT_EQ(ex[0].NumElements(), 3);
  std::vector<std::pair<std::string, int64_t>> pairs;
  for (int i = 0; i < 3; ++i)
    pairs.emplace_back(ex[0].data<std::string>()[i], ex[1].data<int64_t>()[i]);
  std::sort(pairs.begin(), pairs.end());
  EXPECT_EQ(pairs, (std::vector<std::pair<std::string, int64_t>>{
                       {"brain", 0}, {"salad", 1}, {"surgery", 2}}));

  auto ins = model->Run({}, {}, {"insert"});
  EXPECT_EQ(ins.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(ErrorOf(ins.status()),
              HasSubstr("Insert not supported by InitializableLookupTable implementations"));
  EXPECT_THAT(ErrorOf(model->Run({}, {}, {"remove"}).status()),
              HasSubstr("Remove not supported by InitializableLookupTable implementations"));
}

TEST(HashTable, Errors) {
  GraphBuilder b;
  b.Op("table", "HashTableV2", {}, TableAttrs(DType::kString, DType::kInt64));
  b.Op("dup", "InitializeTableV2",
       {"table", b.Const("k", Strs({"a", "b", "a"})), b.Const("v", I64({1, 2, 3}))});
  b.Op("wrong_type", "InitializeTableV2",
       {"table", b.Const("ki", I64({1})), b.Const("vi", I64({1}))});
  b.Op("sizes", "InitializeTableV2",
       {"table", b.Const("k2", Strs({"a", "b"})), b.Const("v1", I64({1}))});
  b.Op("find_bad_default", "LookupTableFindV2",
       {"table", b.Const("q", Strs({"a", "b"})), b.Const("d3", I64({0, 0, 0}))});
  b.Op("table2", "HashTableV2", {},
       {{"key_dtype", AttrType(DType::kString)},
        {"value_dtype", AttrType(DType::kFloat)},
        {"shared_name", AttrS("table")}});
  TFM_ASSERT_OK_AND_ASSIGN(auto model, Model::LoadGraph(b.graph()));
  auto dup = model->Run({}, {}, {"dup"});
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(ErrorOf(dup.status()),
              HasSubstr("HashTable has different value for same key. Key a has 1 and trying to "
                        "add value 3"));
  EXPECT_THAT(ErrorOf(model->Run({}, {}, {"wrong_type"}).status()),
              HasSubstr("Key must be type string but got int64"));
  EXPECT_THAT(ErrorOf(model->Run({}, {}, {"sizes"}).status()),
              HasSubstr("Keys and values must have the same size 2 vs 1"));
  EXPECT_THAT(ErrorOf(model->Run({}, {"find_bad_default:0"}).status()),
              HasSubstr("Expected shape [] or [2] for default value, got [3]"));
  // Same shared_name, other value dtype.
  TFM_ASSERT_OK(model->Run({}, {}, {"table"}).status());
  EXPECT_THAT(ErrorOf(model->Run({}, {}, {"table2"}).status()),
              HasSubstr("Conflicting key/value dtypes string->float with string-int64"));
}

TEST(HashTable, FullSizeDefaultAndInt64Keys) {
  GraphBuilder b;
  b.Op("table", "HashTable", {}, TableAttrs(DType::kInt64, DType::kString));
  b.Op("init", "InitializeTable",
       {"table", b.Const("k", I64({10, 20})), b.Const("v", Strs({"ten", "twenty"}))});
  b.Op(
      "find", "LookupTableFind",
      {"table", b.Const("q", Tensor::FromVector<int64_t>({20, 5, 10, 7}, TensorShape{2, 2})),
       b.Const("d", Tensor::FromVector<std::string>({"d0", "d1", "d2", "d3"}, TensorShape{2, 2}))});
  TFM_ASSERT_OK_AND_ASSIGN(auto model, Model::LoadGraph(b.graph()));
  TFM_ASSERT_OK(model->Run({}, {}, {"init"}).status());
  TFM_ASSERT_OK_AND_ASSIGN(auto out, model->Run({}, {"find:0"}));
  ExpectTensorEq(out[0],
                 Tensor::FromVector<std::string>({"twenty", "d1", "ten", "d3"}, TensorShape{2, 2}));
}

TEST(MutableHashTable, InsertFindRemoveImportExport) {
  GraphBuilder b;
  b.Op("table", "MutableHashTableV2", {}, TableAttrs(DType::kInt64, DType::kFloat));
  std::string k = b.Placeholder("k", DType::kInt64, PartialShape{-1});
  std::string v = b.Placeholder("v", DType::kFloat, PartialShape{-1});
  b.Op("insert", "LookupTableInsertV2", {"table", k, v});
  b.Op("remove", "LookupTableRemoveV2", {"table", k});
  b.Op("import", "LookupTableImportV2", {"table", k, v});
  b.Op("find", "LookupTableFindV2", {"table", k, b.Const("d", Tensor::Scalar(-1.f))});
  b.Op("size", "LookupTableSizeV2", {"table"});
  b.Op("export", "LookupTableExportV2", {"table"});
  TFM_ASSERT_OK_AND_ASSIGN(auto model, Model::LoadGraph(b.graph()));
  auto fv = [](std::vector<float> x) { return Tensor::FromVector(x); };
  TFM_ASSERT_OK(
      model->Run({{"k:0", I64({1, 2, 3})}, {"v:0", fv({1.5f, 2.5f, 3.5f})}}, {}, {"insert"})
          .status());
  TFM_ASSERT_OK(model->Run({{"k:0", I64({2})}, {"v:0", fv({20.f})}}, {}, {"insert"}).status());
  TFM_ASSERT_OK_AND_ASSIGN(auto out,
                           model->Run({{"k:0", I64({1, 2, 3, 4})}}, {"find:0", "size:0"}));
  ExpectTensorEq(out[0], fv({1.5f, 20.f, 3.5f, -1.f}));
  ExpectTensorEq(out[1], Tensor::Scalar<int64_t>(3));
  TFM_ASSERT_OK(model->Run({{"k:0", I64({1, 9})}}, {}, {"remove"}).status());
  TFM_ASSERT_OK_AND_ASSIGN(out, model->Run({{"k:0", I64({1, 2})}}, {"find:0", "size:0"}));
  ExpectTensorEq(out[0], fv({-1.f, 20.f}));
  ExpectTensorEq(out[1], Tensor::Scalar<int64_t>(2));
  // Import replaces everything.
  TFM_ASSERT_OK(model->Run({{"k:0", I64({7})}, {"v:0", fv({7.f})}}, {}, {"import"}).status());
  TFM_ASSERT_OK_AND_ASSIGN(out, model->Run({}, {"export:0", "export:1"}));
  ExpectTensorEq(out[0], I64({7}));
  ExpectTensorEq(out[1], fv({7.f}));
  auto bad = model->Run({{"k:0", I64({1, 2})}, {"v:0", fv({1.f})}}, {}, {"insert"});
  EXPECT_THAT(ErrorOf(bad.status()), HasSubstr("Expected shape [2] for value, got [1]"));
}

TEST(MutableHashTableOfTensors, VectorValues) {
  GraphBuilder b;
  AttrMap attrs = TableAttrs(DType::kString, DType::kFloat);
  attrs["value_shape"] = AttrShape(PartialShape{2});
  b.Op("table", "MutableHashTableOfTensorsV2", {}, attrs);
  b.Op("insert", "LookupTableInsertV2",
       {"table", b.Const("k", Strs({"a", "b"})),
        b.Const("v", Tensor::FromVector<float>({1, 2, 3, 4}, TensorShape{2, 2}))});
  b.Op("find", "LookupTableFindV2",
       {"table", b.Const("q", Strs({"b", "z", "a"})),
        b.Const("d", Tensor::FromVector<float>({0, -1}))});
  b.Op("find_bad", "LookupTableFindV2",
       {"table", b.Const("q2", Strs({"b"})), b.Const("d3", Tensor::FromVector<float>({0, 0, 0}))});
  b.Op("export", "LookupTableExportV2", {"table"});
  TFM_ASSERT_OK_AND_ASSIGN(auto model, Model::LoadGraph(b.graph()));
  TFM_ASSERT_OK(model->Run({}, {}, {"insert"}).status());
  TFM_ASSERT_OK_AND_ASSIGN(auto out, model->Run({}, {"find:0", "export:1"}));
  ExpectTensorEq(out[0], Tensor::FromVector<float>({3, 4, 0, -1, 1, 2}, TensorShape{3, 2}));
  EXPECT_EQ(out[1].shape(), (TensorShape{2, 2}));
  EXPECT_THAT(ErrorOf(model->Run({}, {"find_bad:0"}).status()),
              HasSubstr("Expected shape [2] or [1,2] for default value, got [3]"));
}

class TextFileTable : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir();
    vocab_ = dir_ + "/vocab.txt";
    ASSERT_TRUE(WriteStringToFile(vocab_, "brain\nsalad\nsurgery\n").ok());
  }
  // A string->int64 (or as given) table initialised from `file` with the given attrs; runs
  // the init and returns its status.
  absl::Status Init(const std::string& file, AttrMap init_attrs, DType k = DType::kString,
                    DType v = DType::kInt64) {
    GraphBuilder b;
    b.Op("table", "HashTableV2", {}, TableAttrs(k, v));
    std::string f = b.Const("file", Tensor::StringScalar(file));
    b.Op("init", "InitializeTableFromTextFileV2", {"table", f}, init_attrs);
    b.Op("size", "LookupTableSizeV2", {"table"});
    auto m = Model::LoadGraph(b.graph());
    if (!m.ok()) return m.status();
    model_ = std::move(*m);
    return model_->Run({}, {}, {"init"}).status();
  }
  AttrMap Idx(int64_t key, int64_t value) {
    return {{"key_index", AttrI(key)}, {"value_index", AttrI(value)}};
  }
  std::string dir_, vocab_;
  std::unique_ptr<Model> model_;
};

TEST_F(TextFileTable, WholeLineToLineNumber) {
  GraphBuilder b;
  b.Op("table", "HashTableV2", {}, TableAttrs(DType::kString, DType::kInt64));
  std::string f = b.Placeholder("file", DType::kString, PartialShape{});
  b.Op("init", "InitializeTableFromTextFileV2", {"table", f},
       {{"key_index", AttrI(-2)}, {"value_index", AttrI(-1)}});
  b.Op("find", "LookupTableFindV2",
       {"table", b.Const("q", Strs({"brain", "salad", "tank", "surgery"})),
        b.Const("d", Tensor::Scalar<int64_t>(-1))});
  TFM_ASSERT_OK_AND_ASSIGN(auto model, Model::LoadGraph(b.graph()));
  TFM_ASSERT_OK(model->Run({{"file:0", Tensor::StringScalar(vocab_)}}, {}, {"init"}).status());
  TFM_ASSERT_OK_AND_ASSIGN(auto out, model->Run({}, {"find:0"}));
  ExpectTensorEq(out[0], I64({0, 1, -1, 2}));
  // A second initialisation (even from another file) leaves the table as it is.
  std::string other = dir_ + "/other.txt";
  ASSERT_TRUE(WriteStringToFile(other, "x\ny\n").ok());
  TFM_ASSERT_OK(model->Run({{"file:0", Tensor::StringScalar(other)}}, {}, {"init"}).status());
  TFM_ASSERT_OK_AND_ASSIGN(out, model->Run({}, {"find:0"}));
  ExpectTensorEq(out[0], I64({0, 1, -1, 2}));
}

TEST_F(TextFileTable, ColumnsOffsetsVocabSizeAndCrLf) {
  std::string cols = dir_ + "/cols.txt";
  ASSERT_TRUE(WriteStringToFile(cols, "0\tbrain\t5\r\n1\tsalad\t6\n2\tsurgery\t7").ok());
  // key column 1 (string) -> value column 2 (int64).
  TFM_ASSERT_OK(Init(cols, Idx(1, 2)));
  TFM_ASSERT_OK_AND_ASSIGN(auto s, model_->Run({}, {"size:0"}));
  ExpectTensorEq(s[0], Tensor::Scalar<int64_t>(3));
  // Line number -> whole line, int64 -> string, with an offset and a truncating vocab_size.
  AttrMap a = Idx(-1, -2);
  a["vocab_size"] = AttrI(2);
  a["offset"] = AttrI(100);
  GraphBuilder b;
  b.Op("table", "HashTableV2", {}, TableAttrs(DType::kInt64, DType::kString));
  b.Op("init", "InitializeTableFromTextFileV2",
       {"table", b.Const("file", Tensor::StringScalar(vocab_))}, a);
  b.Op("find", "LookupTableFindV2",
       {"table", b.Const("q", I64({100, 101, 102})), b.Const("d", Tensor::StringScalar("UNK"))});
  TFM_ASSERT_OK_AND_ASSIGN(auto model, Model::LoadGraph(b.graph()));
  TFM_ASSERT_OK(model->Run({}, {}, {"init"}).status());
  TFM_ASSERT_OK_AND_ASSIGN(auto out, model->Run({}, {"find:0"}));
  ExpectTensorEq(out[0], Strs({"brain", "salad", "UNK"}));
  // A space delimiter and an int32 whole-line key.
  std::string nums = dir_ + "/nums.txt";
  ASSERT_TRUE(WriteStringToFile(nums, "42\n7\n").ok());
  TFM_ASSERT_OK(Init(nums, Idx(-2, -1), DType::kInt32, DType::kInt64));
}

TEST_F(TextFileTable, Errors) {
  AttrMap a = Idx(-2, -1);
  a["vocab_size"] = AttrI(4);
  EXPECT_THAT(ErrorOf(Init(vocab_, a)),
              HasSubstr(absl::StrCat("Invalid vocab_size in ", vocab_, ": expected 4 but got 3")));
  std::string gap = dir_ + "/gap.txt";
  ASSERT_TRUE(WriteStringToFile(gap, "a\n\nb\n").ok());
  EXPECT_THAT(
      ErrorOf(Init(gap, Idx(-2, -1))),
      HasSubstr(absl::StrCat("Invalid content in ", gap, ": empty line found at position 3.")));
  EXPECT_THAT(ErrorOf(Init(vocab_, Idx(0, 1))),
              HasSubstr(absl::StrCat("Invalid number of columns in ", vocab_,
                                     " line 0 (brain) : expected at least 2 got 1")));
  EXPECT_THAT(ErrorOf(Init(vocab_, Idx(-1, 0))),
              HasSubstr("Key index for line number requires table key dtype of int64, got string"));
  EXPECT_THAT(ErrorOf(Init(vocab_, Idx(-2, -2), DType::kString, DType::kFloat)),
              HasSubstr("Value index for whole line requires table value dtype of integer or "
                        "string, got float"));
  EXPECT_THAT(ErrorOf(Init(vocab_, Idx(-2, 0))),
              HasSubstr("Field brain in line 0 is not a valid int64."));
  EXPECT_THAT(ErrorOf(Init(dir_ + "/missing.txt", Idx(-2, -1))), HasSubstr("missing.txt"));
  EXPECT_THAT(ErrorOf(Init("", Idx(-2, -1))), HasSubstr("filename cannot be empty."));
  AttrMap d = Idx(-2, -1);
  d["delimiter"] = AttrS("ab");
  EXPECT_THAT(ErrorOf(Init(vocab_, d)), HasSubstr("delimiter should be only 1 char"));
  // After a failed initialisation the table stays uninitialised.
  ASSERT_FALSE(Init(gap, Idx(-2, -1)).ok());
  TFM_ASSERT_OK_AND_ASSIGN(auto s, model_->Run({}, {"size:0"}));
  ExpectTensorEq(s[0], Tensor::Scalar<int64_t>(0));
}

}  // namespace
}  // namespace tfmodel::runtime
