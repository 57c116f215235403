// Tests for ParseExample / ParseExampleV2 / ParseSingleExample: dense values and defaults,
// variable-length dense padding, sparse and ragged outputs, scalar input, and TF's errors.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "tensorflow/core/example/example.pb.h"
#include "test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrI;
using testing::Attrs;
using testing::AttrSList;
using testing::AttrTypeList;
using testing::ExpectTensorEq;
using ::testing::HasSubstr;
using testing::RunKernel;

// Builds a serialized Example from float, int64 and bytes features.
struct Ex {
  tensorflow::Example e;
  Ex& F(const std::string& k, std::vector<float> v) {
    auto* l = (*e.mutable_features()->mutable_feature())[k].mutable_float_list();
    for (float x : v) l->add_value(x);
    return *this;
  }
  Ex& I(const std::string& k, std::vector<int64_t> v) {
    auto* l = (*e.mutable_features()->mutable_feature())[k].mutable_int64_list();
    for (int64_t x : v) l->add_value(x);
    return *this;
  }
  Ex& S(const std::string& k, std::vector<std::string> v) {
    auto* l = (*e.mutable_features()->mutable_feature())[k].mutable_bytes_list();
    for (auto& x : v) l->add_value(x);
    return *this;
  }
  std::string Bytes() const { return e.SerializeAsString(); }
};

tensorflow::AttrValue Shapes(const std::vector<PartialShape>& shapes) {
  tensorflow::AttrValue v;
  auto* list = v.mutable_list();
  for (const auto& s : shapes) *list->add_shape() = testing::AttrShape(s).shape();
  return v;
}

Tensor Strs(const std::vector<std::string>& v) { return Tensor::FromVector<std::string>(v); }
Tensor Str(const std::string& s) { return Tensor::StringScalar(s); }
Tensor NoDefault(DType t) { return Tensor(t, TensorShape{0}); }

TEST(ParseExampleTest, V1DenseValuesAndDefaults) {
  std::vector<std::string> batch = {Ex().F("x", {80}).I("n", {1, 2}).Bytes(),
                                    Ex().F("x", {3}).Bytes()};
  Attrs a = {{"Nsparse", AttrI(0)},
             {"Ndense", AttrI(2)},
             {"sparse_types", AttrTypeList({})},
             {"Tdense", AttrTypeList({DType::kFloat, DType::kInt64})},
             {"dense_shapes", Shapes({PartialShape{1}, PartialShape{2}})}};
  TFM_ASSERT_OK_AND_ASSIGN(
      auto out, RunKernel("ParseExample",
                          {Strs(batch), Strs({}), Str("x"), Str("n"), NoDefault(DType::kFloat),
                           Tensor::FromVector<int64_t>({7, 8})},
                          a));
  ASSERT_EQ(out.size(), 2u);
  ExpectTensorEq(out[0], Tensor::FromVector<float>({80, 3}, {2, 1}));
  ExpectTensorEq(out[1], Tensor::FromVector<int64_t>({1, 2, 7, 8}, {2, 2}));

  // Missing required feature.
  auto r = RunKernel("ParseExample",
                     {Strs({Ex().I("n", {1, 2}).Bytes()}), Strs({}), Str("x"), Str("n"),
                      NoDefault(DType::kFloat), Tensor::FromVector<int64_t>({7, 8})},
                     a);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("Name: <unknown>, Feature: x (data type: float) is required but could "
                        "not be found."));
  // Names are used in messages.
  r = RunKernel("ParseExample",
                {Strs({Ex().I("x", {1}).Bytes()}), Strs({"ex0"}), Str("x"), Str("n"),
                 NoDefault(DType::kFloat), Tensor::FromVector<int64_t>({7, 8})},
                a);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("Name: ex0, Key: x, Index: 0.  Data types don't match. Data type: int64 "
                        "but expected type: float"));
  r = RunKernel("ParseExample",
                {Strs({Ex().F("x", {1, 2}).Bytes()}), Strs({}), Str("x"), Str("n"),
                 NoDefault(DType::kFloat), Tensor::FromVector<int64_t>({7, 8})},
                a);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("Key: x, Index: 0.  Number of float values != expected.  Values size: 2 "
                        "but output shape: [1]"));
  r = RunKernel("ParseExample",
                {Strs({"\xff\xff garbage"}), Strs({}), Str("x"), Str("n"), NoDefault(DType::kFloat),
                 Tensor::FromVector<int64_t>({7, 8})},
                a);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("Could not parse example input"));
  // Default of the wrong dtype.
  r = RunKernel("ParseExample",
                {Strs(batch), Strs({}), Str("x"), Str("n"), NoDefault(DType::kFloat),
                 Tensor::FromVector<float>({7, 8})},
                a);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("dense_defaults[1].dtype() == float != dense_types_[1] == int64"));
}

TEST(ParseExampleTest, V1SparseAndStrings) {
  std::vector<std::string> batch = {Ex().S("s", {"a", "b"}).Bytes(), Ex().Bytes(),
                                    Ex().S("s", {"c"}).Bytes()};
  Attrs a = {{"Nsparse", AttrI(1)},
             {"Ndense", AttrI(0)},
             {"sparse_types", AttrTypeList({DType::kString})},
             {"Tdense", AttrTypeList({})},
             {"dense_shapes", Shapes({})}};
  TFM_ASSERT_OK_AND_ASSIGN(auto out,
                           RunKernel("ParseExample", {Strs(batch), Strs({}), Str("s")}, a));
  ASSERT_EQ(out.size(), 3u);
  ExpectTensorEq(out[0], Tensor::FromVector<int64_t>({0, 0, 0, 1, 2, 0}, {3, 2}));
  ExpectTensorEq(out[1], Strs({"a", "b", "c"}));
  ExpectTensorEq(out[2], Tensor::FromVector<int64_t>({3, 2}));
  auto r = RunKernel("ParseExample", {Strs({Ex().F("s", {1}).Bytes()}), Strs({}), Str("s")}, a);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("Data types don't match. Expected type: string, Actual type: float"));
}

TEST(ParseExampleTest, V2VarLenDenseRaggedAndScalar) {
  std::vector<std::string> batch = {Ex().F("v", {1, 2, 3, 4}).I("r", {5}).Bytes(),
                                    Ex().I("r", {6, 7}).Bytes(), Ex().F("v", {9, 9}).Bytes()};
  Attrs a = {{"num_sparse", AttrI(0)},
             {"sparse_types", AttrTypeList({})},
             {"Tdense", AttrTypeList({DType::kFloat})},
             {"dense_shapes", Shapes({PartialShape{-1, 2}})},
             {"ragged_value_types", AttrTypeList({DType::kInt64})},
             {"ragged_split_types", AttrTypeList({DType::kInt32})}};
  TFM_ASSERT_OK_AND_ASSIGN(auto out, RunKernel("ParseExampleV2",
                                               {Strs(batch), Strs({}), Strs({}), Strs({"v"}),
                                                Strs({"r"}), Tensor::FromVector<float>({-1}, {})},
                                               a));
  ASSERT_EQ(out.size(), 3u);
  ExpectTensorEq(out[0],
                 Tensor::FromVector<float>({1, 2, 3, 4, -1, -1, -1, -1, 9, 9, -1, -1}, {3, 2, 2}));
  ExpectTensorEq(out[1], Tensor::FromVector<int64_t>({5, 6, 7}));
  ExpectTensorEq(out[2], Tensor::FromVector<int32_t>({0, 1, 3, 3}));

  auto r = RunKernel("ParseExampleV2",
                     {Strs({Ex().F("v", {1, 2, 3}).Bytes()}), Strs({}), Strs({}), Strs({"v"}),
                      Strs({"r"}), Tensor::FromVector<float>({-1}, {})},
                     a);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("Number of float values is not a multiple of stride length. Saw 3 values "
                        "but output shape is: [?,2]"));

  // Scalar serialized: no batch dimension; row_splits empty.
  TFM_ASSERT_OK_AND_ASSIGN(out, RunKernel("ParseExampleV2",
                                          {Str(batch[0]), Strs({}), Strs({}), Strs({"v"}),
                                           Strs({"r"}), Tensor::FromVector<float>({-1}, {})},
                                          a));
  ExpectTensorEq(out[0], Tensor::FromVector<float>({1, 2, 3, 4}, {2, 2}));
  ExpectTensorEq(out[1], Tensor::FromVector<int64_t>({5}));
  ExpectTensorEq(out[2], Tensor::FromVector<int32_t>({}));

  // Key count must match the attrs.
  r = RunKernel("ParseExampleV2",
                {Strs(batch), Strs({}), Strs({}), Strs({"v", "w"}), Strs({"r"}),
                 Tensor::FromVector<float>({-1}, {})},
                a);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("Expected len(dense_keys) == len(dense_types) but got: 2 vs. 1"));
}

TEST(ParseExampleTest, V2SparseScalarAndLastEntryWins) {
  Attrs a = {{"num_sparse", AttrI(1)},
             {"sparse_types", AttrTypeList({DType::kInt64})},
             {"Tdense", AttrTypeList({DType::kFloat})},
             {"dense_shapes", Shapes({PartialShape(absl::Span<const int64_t>())})},
             {"ragged_value_types", AttrTypeList({})},
             {"ragged_split_types", AttrTypeList({})}};
  TFM_ASSERT_OK_AND_ASSIGN(
      auto out, RunKernel("ParseExampleV2",
                          {Str(Ex().I("ids", {4, 5, 6}).F("y", {2.5}).Bytes()), Strs({}),
                           Strs({"ids"}), Strs({"y"}), Strs({}), NoDefault(DType::kFloat)},
                          a));
  ASSERT_EQ(out.size(), 4u);
  ExpectTensorEq(out[0], Tensor::FromVector<int64_t>({0, 1, 2}, {3, 1}));
  ExpectTensorEq(out[1], Tensor::FromVector<int64_t>({4, 5, 6}));
  ExpectTensorEq(out[2], Tensor::FromVector<int64_t>({3}));
  ExpectTensorEq(out[3], Tensor::Scalar<float>(2.5f));
  auto r = RunKernel(
      "ParseExampleV2",
      {Str(Ex().Bytes()), Strs({}), Strs({"ids"}), Strs({"y"}), Strs({}), NoDefault(DType::kFloat)},
      a);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("Feature: y (data type: float) is required but could not be found."));

  // Two map entries with the same key: the last one wins.
  std::string first = Ex().F("y", {1}).Bytes(), second = Ex().F("y", {7}).Bytes();
  TFM_ASSERT_OK_AND_ASSIGN(out, RunKernel("ParseExampleV2",
                                          {Strs({first + second}), Strs({}), Strs({"ids"}),
                                           Strs({"y"}), Strs({}), NoDefault(DType::kFloat)},
                                          a));
  ExpectTensorEq(out[3], Tensor::FromVector<float>({7}));
  ExpectTensorEq(out[2], Tensor::FromVector<int64_t>({1, 0}));
}

TEST(ParseExampleTest, ParseSingleExample) {
  Attrs a = {{"num_sparse", AttrI(1)},
             {"sparse_keys", AttrSList({"s"})},
             {"dense_keys", AttrSList({"d"})},
             {"sparse_types", AttrTypeList({DType::kFloat})},
             {"Tdense", AttrTypeList({DType::kString})},
             {"dense_shapes", Shapes({PartialShape{1}})}};
  TFM_ASSERT_OK_AND_ASSIGN(
      auto out,
      RunKernel("ParseSingleExample", {Str(Ex().F("s", {1, 2}).Bytes()), Strs({"dflt"})}, a));
  ASSERT_EQ(out.size(), 4u);
  ExpectTensorEq(out[0], Tensor::FromVector<int64_t>({0, 1}, {2, 1}));
  ExpectTensorEq(out[1], Tensor::FromVector<float>({1, 2}));
  ExpectTensorEq(out[2], Tensor::FromVector<int64_t>({2}));
  ExpectTensorEq(out[3], Strs({"dflt"}));
  auto r = RunKernel("ParseSingleExample", {Strs({"a"}), Strs({"dflt"})}, a);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("Expected serialized to be a scalar, got shape: [1]"));
}

}  // namespace
}  // namespace tfmodel::runtime
