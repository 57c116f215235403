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

using testing::AttrSList;
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

// TF2 composite inputs: a RaggedTensorSpec "r" (padded by RaggedTensorToTensor) and a
// SparseTensorSpec "s" (densified), each with its type_state (shape, dtype, ...).
tensorflow::TensorInfo Composite(tensorflow::TypeSpecProto::TypeSpecClass cls, DType dtype,
                                 const std::vector<std::pair<std::string, DType>>& parts) {
  tensorflow::TensorInfo info;
  auto* ct = info.mutable_composite_tensor();
  ct->mutable_type_spec()->set_type_spec_class(cls);
  auto* state = ct->mutable_type_spec()->mutable_type_state()->mutable_tuple_value();
  auto* shape = state->add_values()->mutable_tensor_shape_value();
  shape->add_dim()->set_size(-1);
  shape->add_dim()->set_size(-1);
  state->add_values()->set_tensor_dtype_value(static_cast<tensorflow::DataType>(dtype));
  for (const auto& [name, dt] : parts) {
    *ct->add_components() = MakeTensorInfo(name, dt, PartialShape{-1});
  }
  return info;
}

std::unique_ptr<Model> CompositeModel(tensorflow::TypeSpecProto::TypeSpecClass ragged_class =
                                          tensorflow::TypeSpecProto::RAGGED_TENSOR_SPEC) {
  GraphBuilder b;
  b.Placeholder("r/values", DType::kFloat, PartialShape{-1});
  b.Placeholder("r/splits", DType::kInt64, PartialShape{-1});
  b.Placeholder("s/indices", DType::kInt64, PartialShape{-1, 2});
  b.Placeholder("s/values", DType::kString, PartialShape{-1});
  b.Placeholder("s/shape", DType::kInt64, PartialShape{2});
  b.Op("padded", "RaggedTensorToTensor",
       {b.Const("shape", Tensor::Scalar<int64_t>(-1)), "r/values:0",
        b.Const("zero", Tensor::Scalar<float>(0)), "r/splits:0"},
       {{"T", AttrType(DType::kFloat)}, {"row_partition_types", AttrSList({"ROW_SPLITS"})}});
  b.Op("dense", "SparseToDense",
       {"s/indices:0", "s/shape:0", "s/values:0", b.Const("empty", Tensor::StringScalar(""))},
       {{"T", AttrType(DType::kString)}});
  tensorflow::MetaGraphDef meta;
  *meta.mutable_graph_def() = b.graph();
  tensorflow::SignatureDef sig;
  (*sig.mutable_inputs())["r"] = Composite(
      ragged_class, DType::kFloat, {{"r/values:0", DType::kFloat}, {"r/splits:0", DType::kInt64}});
  (*sig.mutable_inputs())["s"] =
      Composite(tensorflow::TypeSpecProto::SPARSE_TENSOR_SPEC, DType::kString,
                {{"s/indices:0", DType::kInt64},
                 {"s/values:0", DType::kString},
                 {"s/shape:0", DType::kInt64}});
  (*sig.mutable_outputs())["padded"] = MakeTensorInfo("padded:0", DType::kFloat, PartialShape{});
  (*sig.mutable_outputs())["dense"] = MakeTensorInfo("dense:0", DType::kString, PartialShape{});
  (*meta.mutable_signature_def())["composite"] = sig;
  auto m = Model::LoadMetaGraph(meta, "");
  return m.ok() ? std::move(*m) : nullptr;
}

TEST(CompositeSignatureInput, RaggedAndSparseSpecs) {
  auto model = CompositeModel();
  ASSERT_NE(model, nullptr);
  const auto& sig = model->signatures().at("composite");
  EXPECT_TRUE(sig.inputs.at("r").is_ragged());
  EXPECT_EQ(sig.inputs.at("r").dtype, DType::kFloat);
  EXPECT_EQ(sig.inputs.at("r").shape.ToString(), PartialShape({-1, -1}).ToString());
  EXPECT_TRUE(sig.inputs.at("s").is_sparse());
  EXPECT_THAT(
      SignatureFeedNames(sig),
      ::testing::ElementsAre("r/values:0", "r/splits:0", "s/indices:0", "s/values:0", "s/shape:0"));
  // Dense tensors: uniform rows.
  const Tensor m = Tensor::FromVector<float>({1, 2, 3, 4}, {2, 2});
  TFM_ASSERT_OK_AND_ASSIGN(auto out,
                           model->RunSignature("composite", {{"r", m}, {"s", Strs({"a", "b"})}}));
  ExpectTensorEq(out["padded"], m);
  ExpectTensorEq(out["dense"], Strs({"a", "b"}, {2, 1}));
  // Components: [[1, 2], [3]].
  TFM_ASSERT_OK_AND_ASSIGN(
      out,
      model->RunSignature("composite", {{"r.flat_values", Tensor::FromVector<float>({1, 2, 3})},
                                        {"r.row_splits_0", I64({0, 2, 3})},
                                        {"s", Strs({"x"})}}));
  ExpectTensorEq(out["padded"], Tensor::FromVector<float>({1, 2, 3, 0}, {2, 2}));
}

TEST(CompositeSignatureInput, Errors) {
  auto model = CompositeModel();
  ASSERT_NE(model, nullptr);
  auto err = [&](std::map<std::string, Tensor> in) {
    in["s"] = Strs({"x"});
    auto r = model->RunSignature("composite", in);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : std::string(r.status().message());
  };
  const Tensor v = Tensor::FromVector<float>({1, 2, 3});
  EXPECT_THAT(err({{"r.flat_values", v}}), HasSubstr("'r' is missing (a RaggedTensor"));
  EXPECT_THAT(err({{"r.flat_values", v}, {"r.row_splits_0", I64({0, 3, 2})}}),
              HasSubstr("never decrease"));
  EXPECT_THAT(err({{"r.flat_values", v}, {"r.row_splits_0", I64({1, 3})}}),
              HasSubstr("start at 0"));
  EXPECT_THAT(err({{"r.flat_values", v}, {"r.row_splits_0", I64({0, 2})}}),
              HasSubstr("ends at 2 but the level below has 3 rows"));
  EXPECT_THAT(err({{"r.flat_values", v}, {"r.row_splits_0", Tensor::FromVector<int32_t>({0, 3})}}),
              HasSubstr("int64"));
  EXPECT_THAT(err({{"r", Tensor::FromVector<float>({1, 2})}}), HasSubstr("ragged rank 1"));
  EXPECT_THAT(err({{"r", Tensor::FromVector<float>({1}, {1, 1})}, {"r.row_splits_1", I64({0})}}),
              HasSubstr("has no input 'r.row_splits_1'"));
  // A composite kind other than sparse or ragged leaves the signature out (the model still
  // loads); running it names the kind.
  auto other = CompositeModel(tensorflow::TypeSpecProto::TENSOR_ARRAY_SPEC);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->signatures().count("composite"), 0u);
  auto left_out = other->RunSignature("composite", {{"s", Strs({"a"})}});
  EXPECT_EQ(left_out.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(left_out.status().message(), HasSubstr("TENSOR_ARRAY_SPEC"));
}

TEST(FeedDType, AliasesAndComponents) {
  auto sparse = SparseModel();
  ASSERT_NE(sparse, nullptr);
  const Signature& s = sparse->signatures().at("densify");
  EXPECT_EQ(*FeedDType(s, "word"), DType::kString);
  EXPECT_EQ(*FeedDType(s, "word.values"), DType::kString);
  EXPECT_EQ(*FeedDType(s, "word.indices"), DType::kInt64);
  EXPECT_EQ(*FeedDType(s, "word.dense_shape"), DType::kInt64);
  EXPECT_EQ(*FeedDType(s, "x"), DType::kFloat);
  EXPECT_EQ(FeedDType(s, "x.values").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(FeedDType(s, "word.shape").status().code(), absl::StatusCode::kNotFound);
  auto composite = CompositeModel();
  ASSERT_NE(composite, nullptr);
  const Signature& c = composite->signatures().at("composite");
  EXPECT_EQ(*FeedDType(c, "r.flat_values"), DType::kFloat);
  EXPECT_EQ(*FeedDType(c, "r.row_splits_0"), DType::kInt64);
  EXPECT_EQ(FeedDType(c, "r.row_splits_1").status().code(), absl::StatusCode::kNotFound);
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
