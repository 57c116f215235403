// Tests for feeding SparseTensor signature inputs (TensorInfo coo_sparse, as in a
// tf.Transform transform_fn): a dense tensor under the alias, or the three components
// under "<alias>.indices/.values/.dense_shape"; and the errors for everything else.
#include "runtime/signature_feeds.h"

#include "gmock/gmock.h"
#include "graph/graph_builder.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "runtime/model.h"
#include "test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrType;
using testing::ExpectTensorEq;
using ::testing::HasSubstr;

Tensor I64(const std::vector<int64_t>& v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor I64(const std::vector<int64_t>& v) { return Tensor::FromVector(v); }
Tensor Strs(const std::vector<std::string>& v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor Strs(const std::vector<std::string>& v) { return Tensor::FromVector(v); }

// Signature "densify": sparse string input "word" -> SparseToDense(default "") plus a plain
// float input "x" -> Identity.
std::unique_ptr<Model> SparseModel() {
  GraphBuilder b;
  b.Placeholder("word/indices", DType::kInt64, PartialShape{-1, 2});
  b.Placeholder("word/values", DType::kString, PartialShape{-1});
  b.Placeholder("word/shape", DType::kInt64, PartialShape{2});
  b.Placeholder("x", DType::kFloat, PartialShape{-1});
  b.Op("dense", "SparseToDense",
       {"word/indices:0", "word/shape:0", "word/values:0",
        b.Const("empty", Tensor::StringScalar(""))},
       {{"T", AttrType(DType::kString)}, {"Tindices", AttrType(DType::kInt64)}});
  b.Op("y", "Identity", {"x:0"}, {{"T", AttrType(DType::kFloat)}});
  tensorflow::MetaGraphDef meta;
  *meta.mutable_graph_def() = b.graph();
  tensorflow::SignatureDef sig;
  sig.set_method_name("tensorflow/serving/predict");
  tensorflow::TensorInfo word;
  word.set_dtype(tensorflow::DT_STRING);
  word.mutable_tensor_shape()->add_dim()->set_size(-1);
  word.mutable_tensor_shape()->add_dim()->set_size(-1);
  word.mutable_coo_sparse()->set_indices_tensor_name("word/indices:0");
  word.mutable_coo_sparse()->set_values_tensor_name("word/values:0");
  word.mutable_coo_sparse()->set_dense_shape_tensor_name("word/shape:0");
  (*sig.mutable_inputs())["word"] = word;
  (*sig.mutable_inputs())["x"] = MakeTensorInfo("x:0", DType::kFloat, PartialShape{-1});
  (*sig.mutable_outputs())["dense"] = MakeTensorInfo("dense:0", DType::kString, PartialShape{});
  (*sig.mutable_outputs())["y"] = MakeTensorInfo("y:0", DType::kFloat, PartialShape{-1});
  (*meta.mutable_signature_def())["densify"] = sig;
  auto m = Model::LoadMetaGraph(meta, "");
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? std::move(*m) : nullptr;
}

TEST(SparseSignatureInput, SpecRecordsTheComponents) {
  auto model = SparseModel();
  ASSERT_NE(model, nullptr);
  const TensorSpec& spec = model->signatures().at("densify").inputs.at("word");
  EXPECT_TRUE(spec.is_sparse());
  EXPECT_EQ(spec.tensor_name, "word/values:0");
  EXPECT_EQ(spec.sparse_indices_tensor, "word/indices:0");
  EXPECT_EQ(spec.sparse_dense_shape_tensor, "word/shape:0");
  EXPECT_EQ(spec.dtype, DType::kString);
  EXPECT_THAT(SignatureFeedNames(model->signatures().at("densify")),
              ::testing::ElementsAre("word/indices:0", "word/values:0", "word/shape:0", "x:0"));
}

TEST(SparseSignatureInput, DenseTensorBecomesEveryEntry) {
  auto model = SparseModel();
  ASSERT_NE(model, nullptr);
  // A [2] tensor for a rank-2 sparse input: one value per row ([2, 1]).
  TFM_ASSERT_OK_AND_ASSIGN(auto out,
                           model->RunSignature("densify", {{"word", Strs({"cat", "dog"})},
                                                           {"x", Tensor::FromVector<float>({1})}}));
  ExpectTensorEq(out["dense"], Strs({"cat", "dog"}, {2, 1}));
  // A [2, 2] tensor keeps its shape.
  TFM_ASSERT_OK_AND_ASSIGN(out, model->RunSignature("densify",
                                                    {{"word", Strs({"a", "b", "c", "d"}, {2, 2})},
                                                     {"x", Tensor::FromVector<float>({1})}},
                                                    {"dense"}));
  ExpectTensorEq(out["dense"], Strs({"a", "b", "c", "d"}, {2, 2}));
  EXPECT_EQ(out.count("y"), 0u);
}

TEST(SparseSignatureInput, ComponentsFedDirectly) {
  auto model = SparseModel();
  ASSERT_NE(model, nullptr);
  TFM_ASSERT_OK_AND_ASSIGN(
      auto out, model->RunSignature("densify", {{"word.indices", I64({0, 0, 1, 2}, {2, 2})},
                                                {"word.values", Strs({"a", "b"})},
                                                {"word.dense_shape", I64({2, 3})},
                                                {"x", Tensor::FromVector<float>({2})}}));
  ExpectTensorEq(out["dense"], Strs({"a", "", "", "", "", "b"}, {2, 3}));
}

TEST(SparseSignatureInput, Errors) {
  auto model = SparseModel();
  ASSERT_NE(model, nullptr);
  const Tensor x = Tensor::FromVector<float>({1});
  auto err = [&](std::map<std::string, Tensor> in) {
    auto r = model->RunSignature("densify", in);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    return r.ok() ? std::string() : std::string(r.status().message());
  };
  EXPECT_THAT(err({{"x", x}}), HasSubstr("'word' is missing (a SparseTensor"));
  EXPECT_THAT(err({{"word.values", Strs({"a"})}, {"x", x}}), HasSubstr("is missing"));
  EXPECT_THAT(err({{"word", Strs({"a"})}, {"word.values", Strs({"a"})}, {"x", x}}),
              HasSubstr("not both"));
  EXPECT_THAT(err({{"word", I64({1})}, {"x", x}}), HasSubstr("expects dtype string"));
  EXPECT_THAT(err({{"word", Strs({"a"}, {1, 1, 1})}, {"x", x}}), HasSubstr("cannot be made"));
  EXPECT_THAT(err({{"word.indices", Tensor::FromVector<int32_t>({0, 0}, {1, 2})},
                   {"word.values", Strs({"a"})},
                   {"word.dense_shape", I64({1, 1})},
                   {"x", x}}),
              HasSubstr("indices must be an int64 matrix"));
  EXPECT_THAT(err({{"word.indices", I64({0, 0}, {1, 2})},
                   {"word.values", Strs({"a", "b"})},
                   {"word.dense_shape", I64({1, 1})},
                   {"x", x}}),
              HasSubstr("one entry per row"));
  EXPECT_THAT(err({{"word.indices", I64({0, 0, 0}, {1, 3})},
                   {"word.values", Strs({"a"})},
                   {"word.dense_shape", I64({1, 1, 1})},
                   {"x", x}}),
              HasSubstr("has rank 2"));
  EXPECT_THAT(err({{"word", Strs({"a"})}, {"word.idx", I64({0})}, {"x", x}}),
              HasSubstr("has no input 'word.idx'"));
}

TEST(DenseToSparse, ListsEveryElementRowMajor) {
  TFM_ASSERT_OK_AND_ASSIGN(
      auto parts,
      DenseToSparse(Tensor::FromVector<int32_t>({5, 6, 7, 8}, {2, 2}), PartialShape{-1, -1}));
  ExpectTensorEq(parts[0], I64({0, 0, 0, 1, 1, 0, 1, 1}, {4, 2}));
  ExpectTensorEq(parts[1], Tensor::FromVector<int32_t>({5, 6, 7, 8}));
  ExpectTensorEq(parts[2], I64({2, 2}));
  TFM_ASSERT_OK_AND_ASSIGN(parts, DenseToSparse(Tensor::FromVector<float>({}), PartialShape()));
  ExpectTensorEq(parts[0], I64({}, {0, 1}));
  ExpectTensorEq(parts[2], I64({0}));
  EXPECT_FALSE(DenseToSparse(Tensor::FromVector<float>({1}), PartialShape{-1, -1, -1}).ok());
}

}  // namespace
}  // namespace tfmodel::runtime
