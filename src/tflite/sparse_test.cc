// Sparse constants (Tensor.sparsity): CSR and block-sparse encodings densified at load, the
// DENSIFY builtin, FULLY_CONNECTED on sparse weights, and malformed encodings rejected with
// errors naming the tensor. Expected dense values are written out by hand.
#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tflite_test_util.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using testing::TfLiteModelBuilder;
using TT = fb::TensorType;

std::unique_ptr<fb::DimensionMetadataT> Dense(int size) {
  auto d = std::make_unique<fb::DimensionMetadataT>();
  d->format = fb::DimensionType::DENSE;
  d->dense_size = size;
  return d;
}

fb::SparseIndexVectorUnion Int32s(std::vector<int32_t> v) {
  fb::Int32VectorT t;
  t.values = std::move(v);
  fb::SparseIndexVectorUnion u;
  u.Set(std::move(t));
  return u;
}
fb::SparseIndexVectorUnion Uint16s(std::vector<uint16_t> v) {
  fb::Uint16VectorT t;
  t.values = std::move(v);
  fb::SparseIndexVectorUnion u;
  u.Set(std::move(t));
  return u;
}
fb::SparseIndexVectorUnion Uint8s(std::vector<uint8_t> v) {
  fb::Uint8VectorT t;
  t.values = std::move(v);
  fb::SparseIndexVectorUnion u;
  u.Set(std::move(t));
  return u;
}

std::unique_ptr<fb::DimensionMetadataT> Csr(fb::SparseIndexVectorUnion segments,
                                            fb::SparseIndexVectorUnion indices) {
  auto d = std::make_unique<fb::DimensionMetadataT>();
  d->format = fb::DimensionType::SPARSE_CSR;
  d->array_segments = std::move(segments);
  d->array_indices = std::move(indices);
  return d;
}

std::unique_ptr<fb::SparsityParametersT> Sparsity(
    std::vector<int32_t> order, std::vector<int32_t> block_map,
    std::vector<std::unique_ptr<fb::DimensionMetadataT>> levels) {
  auto s = std::make_unique<fb::SparsityParametersT>();
  s->traversal_order = std::move(order);
  s->block_map = std::move(block_map);
  s->dim_metadata = std::move(levels);
  return s;
}

// The CSR encoding of
//   [[1, 0, 0, 2],
//    [0, 0, 0, 0],
//    [0, 3, 0, 0],
//    [4, 0, 5, 6]]
const std::vector<float> kCsrDense = {1, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0, 4, 0, 5, 6};
const std::vector<float> kCsrValues = {1, 2, 3, 4, 5, 6};

std::unique_ptr<fb::SparsityParametersT> CsrSparsity(
    std::vector<int32_t> segments = {0, 2, 2, 3, 6},
    std::vector<int32_t> indices = {0, 3, 1, 0, 2, 3}, std::vector<int32_t> order = {0, 1}) {
  std::vector<std::unique_ptr<fb::DimensionMetadataT>> levels;
  levels.push_back(Dense(4));
  levels.push_back(Csr(Int32s(std::move(segments)), Int32s(std::move(indices))));
  return Sparsity(std::move(order), {}, std::move(levels));
}

// A model: y = DENSIFY(w), w sparse with `values` and `sparsity`, shape `shape`.
template <typename T>
absl::StatusOr<std::unique_ptr<TfLiteModel>> DensifyModel(
    TT type, std::vector<int32_t> shape, const std::vector<T>& values,
    std::unique_ptr<fb::SparsityParametersT> sparsity) {
  TfLiteModelBuilder b;
  const int w = b.Tensor<T>("w", type, shape, {}, {}, 0, values);
  b.SetSparsity(w, std::move(sparsity));
  const int y = b.Tensor<T>("y", type, shape);
  b.Op(B::DENSIFY, {w}, {y});
  return b.Load({}, {y});
}

template <typename T>
std::vector<T> RunDensify(TfLiteModel& m) {
  auto out = m.Run({}, {"y"}, {});
  EXPECT_TRUE(out.ok()) << out.status();
  if (!out.ok()) return {};
  const Tensor& t = (*out)[0];
  return std::vector<T>(t.data<T>(), t.data<T>() + t.NumElements());
}

TEST(TfLiteSparseTest, DensifyCsrMatrix) {
  auto m = DensifyModel<float>(TT::FLOAT32, {4, 4}, kCsrValues, CsrSparsity());
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_THAT(RunDensify<float>(**m), ElementsAreArray(kCsrDense));
}

TEST(TfLiteSparseTest, DensifyColumnMajorTraversal) {
  // The same matrix stored by columns: traversal order (1, 0), column c's rows.
  std::vector<std::unique_ptr<fb::DimensionMetadataT>> levels;
  levels.push_back(Dense(4));
  levels.push_back(Csr(Uint16s({0, 2, 3, 4, 6}), Uint16s({0, 3, 2, 3, 0, 3})));
  auto m = DensifyModel<float>(TT::FLOAT32, {4, 4}, {1, 4, 3, 5, 2, 6},
                               Sparsity({1, 0}, {}, std::move(levels)));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_THAT(RunDensify<float>(**m), ElementsAreArray(kCsrDense));
}

TEST(TfLiteSparseTest, DensifyBlockSparse2x1) {
  // 2x1 blocks (dimension 0 blocked by 2) of
  //   [[1, 0, 0, 3],
  //    [2, 0, 0, 4],
  //    [0, 0, 5, 0],
  //    [0, 0, 6, 0]]
  // block row 0 stores columns 0 and 3, block row 1 column 2; each block holds 2 values.
  std::vector<std::unique_ptr<fb::DimensionMetadataT>> levels;
  levels.push_back(Dense(2));
  levels.push_back(Csr(Int32s({0, 2, 3}), Int32s({0, 3, 2})));
  levels.push_back(Dense(2));
  auto m = DensifyModel<float>(TT::FLOAT32, {4, 4}, {1, 2, 3, 4, 5, 6},
                               Sparsity({0, 1, 2}, {0}, std::move(levels)));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_THAT(RunDensify<float>(**m), ElementsAreArray({1.f, 0.f, 0.f, 3.f, 2.f, 0.f, 0.f, 4.f, 0.f,
                                                        0.f, 5.f, 0.f, 0.f, 0.f, 6.f, 0.f}));
}

// 1x4 blocks (dimension 1 blocked by 4) of
//   [[0, 0, 0, 0, 1, 2, 3, 4],
//    [5, 6, 7, 8, 0, 0, 0, 0]]
std::unique_ptr<fb::SparsityParametersT> Block1x4Sparsity() {
  std::vector<std::unique_ptr<fb::DimensionMetadataT>> levels;
  levels.push_back(Dense(2));
  levels.push_back(Csr(Uint8s({0, 1, 2}), Uint8s({1, 0})));
  levels.push_back(Dense(4));
  return Sparsity({0, 1, 2}, {1}, std::move(levels));
}
const std::vector<float> kBlockDense = {0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0};

TEST(TfLiteSparseTest, DensifyBlockSparse1x4Int8) {
  auto m = DensifyModel<int8_t>(TT::INT8, {2, 8}, {1, 2, 3, 4, 5, 6, 7, 8}, Block1x4Sparsity());
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_THAT(RunDensify<int8_t>(**m),
              ElementsAreArray({0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0}));
}

TEST(TfLiteSparseTest, DensifyFloat16) {
  std::vector<Half> values;
  for (float v : kCsrValues) values.push_back(Half::FromFloat(v));
  auto m = DensifyModel<Half>(TT::FLOAT16, {4, 4}, values, CsrSparsity());
  ASSERT_TRUE(m.ok()) << m.status();
  const std::vector<Half> got = RunDensify<Half>(**m);
  ASSERT_EQ(got.size(), kCsrDense.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].ToFloat(), kCsrDense[i]) << i;
}

// y = FULLY_CONNECTED(x, w) with w [out, in] either sparse or dense.
std::vector<float> RunFullyConnected(std::vector<int32_t> shape, const std::vector<float>& w_data,
                                     std::unique_ptr<fb::SparsityParametersT> sparsity,
                                     const std::vector<float>& x) {
  TfLiteModelBuilder b;
  const int xi = b.Tensor<float>("x", TT::FLOAT32, {1, shape[1]});
  const int w = b.Const("w", shape, w_data);
  if (sparsity) b.SetSparsity(w, std::move(sparsity));
  const int y = b.Tensor<float>("y", TT::FLOAT32, {1, shape[0]});
  fb::FullyConnectedOptionsT o;
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  b.Op(B::FULLY_CONNECTED, {xi, w, -1}, {y}, std::move(u));
  auto m = b.Build({xi}, {y});
  if (!m) return {};
  auto out = m->Run({{"x", Tensor::FromVector<float>(x, TensorShape{1, shape[1]})}}, {"y"}, {});
  EXPECT_TRUE(out.ok()) << out.status();
  if (!out.ok()) return {};
  return std::vector<float>((*out)[0].data<float>(),
                            (*out)[0].data<float>() + (*out)[0].NumElements());
}

TEST(TfLiteSparseTest, FullyConnectedOnCsrWeights) {
  const std::vector<float> x = {1, 2, 3, 4};
  const std::vector<float> sparse = RunFullyConnected({4, 4}, kCsrValues, CsrSparsity(), x);
  // Rows of the dense matrix times x: 1 + 2*4, 0, 3*2, 4 + 5*3 + 6*4.
  EXPECT_THAT(sparse, ElementsAreArray({9.f, 0.f, 6.f, 43.f}));
  EXPECT_EQ(sparse, RunFullyConnected({4, 4}, kCsrDense, nullptr, x));
}

TEST(TfLiteSparseTest, FullyConnectedOnBlockSparseWeights) {
  const std::vector<float> x = {1, 0, 0, 0, 0, 0, 0, 2};
  const std::vector<float> sparse =
      RunFullyConnected({2, 8}, {1, 2, 3, 4, 5, 6, 7, 8}, Block1x4Sparsity(), x);
  EXPECT_THAT(sparse, ElementsAreArray({8.f, 5.f}));
  EXPECT_EQ(sparse, RunFullyConnected({2, 8}, kBlockDense, nullptr, x));
}

void ExpectSparsityError(absl::StatusOr<std::unique_ptr<TfLiteModel>> m, const std::string& text) {
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), HasSubstr("sparse constant tensor 'w'"));
  EXPECT_THAT(m.status().message(), HasSubstr("built.tflite"));
  EXPECT_THAT(m.status().message(), HasSubstr(text));
}

TEST(TfLiteSparseTest, IndexOutOfRangeIsAnError) {
  ExpectSparsityError(DensifyModel<float>(TT::FLOAT32, {4, 4}, kCsrValues,
                                          CsrSparsity({0, 2, 2, 3, 6}, {0, 4, 1, 0, 2, 3})),
                      "array_indices[1] = 4 is out of range [0, 4)");
  ExpectSparsityError(DensifyModel<float>(TT::FLOAT32, {4, 4}, kCsrValues,
                                          CsrSparsity({0, 2, 2, 3, 6}, {0, -1, 1, 0, 2, 3})),
                      "out of range");
}

TEST(TfLiteSparseTest, WrongSegmentsAreAnError) {
  // One segment entry short for 4 rows.
  ExpectSparsityError(
      DensifyModel<float>(TT::FLOAT32, {4, 4}, kCsrValues, CsrSparsity({0, 2, 3, 6})),
      "has 4 array_segments, expected 5");
  // Decreasing.
  ExpectSparsityError(
      DensifyModel<float>(TT::FLOAT32, {4, 4}, kCsrValues, CsrSparsity({0, 3, 2, 3, 6})),
      "array_segments decrease at entry 2");
  // Not starting at 0.
  ExpectSparsityError(
      DensifyModel<float>(TT::FLOAT32, {4, 4}, kCsrValues, CsrSparsity({1, 2, 2, 3, 6})),
      "start at 1");
  // Ending past the indices.
  ExpectSparsityError(
      DensifyModel<float>(TT::FLOAT32, {4, 4}, kCsrValues, CsrSparsity({0, 2, 2, 3, 7})),
      "end at 7 but 6 array_indices");
}

TEST(TfLiteSparseTest, TraversalOrderMustBeAPermutation) {
  ExpectSparsityError(DensifyModel<float>(TT::FLOAT32, {4, 4}, kCsrValues,
                                          CsrSparsity({0, 2, 2, 3, 6}, {0, 3, 1, 0, 2, 3}, {0, 0})),
                      "traversal_order is not a permutation");
  ExpectSparsityError(DensifyModel<float>(TT::FLOAT32, {4, 4}, kCsrValues,
                                          CsrSparsity({0, 2, 2, 3, 6}, {0, 3, 1, 0, 2, 3}, {0})),
                      "traversal_order has 1 entries, expected 2");
}

TEST(TfLiteSparseTest, ValueCountMustMatchTheBuffer) {
  ExpectSparsityError(DensifyModel<float>(TT::FLOAT32, {4, 4}, {1, 2, 3, 4, 5}, CsrSparsity()),
                      "6 stored values of float need 24 bytes, the buffer has 20");
}

TEST(TfLiteSparseTest, BadBlocksAreAnError) {
  // Block size 3 does not divide 4.
  std::vector<std::unique_ptr<fb::DimensionMetadataT>> levels;
  levels.push_back(Dense(2));
  levels.push_back(Csr(Int32s({0, 0, 0}), Int32s({})));
  levels.push_back(Dense(3));
  ExpectSparsityError(
      DensifyModel<float>(TT::FLOAT32, {4, 4}, {1.0f}, Sparsity({0, 1, 2}, {0}, std::move(levels))),
      "block size 3 of block dimension 0 does not divide dimension 0");
  // block_map naming a dimension outside the shape.
  std::vector<std::unique_ptr<fb::DimensionMetadataT>> levels2;
  levels2.push_back(Dense(4));
  levels2.push_back(Dense(4));
  levels2.push_back(Dense(2));
  ExpectSparsityError(DensifyModel<float>(TT::FLOAT32, {4, 4}, kCsrDense,
                                          Sparsity({0, 1, 2}, {5}, std::move(levels2))),
                      "block_map entry 0 is 5");
  // A dense level whose size is not the (blocked) dimension.
  std::vector<std::unique_ptr<fb::DimensionMetadataT>> levels3;
  levels3.push_back(Dense(3));
  levels3.push_back(Dense(4));
  ExpectSparsityError(
      DensifyModel<float>(TT::FLOAT32, {4, 4}, kCsrDense, Sparsity({0, 1}, {}, std::move(levels3))),
      "is DENSE of size 3, expected 4");
}

TEST(TfLiteSparseTest, DensifyNeedsASparseConstant) {
  TfLiteModelBuilder b;
  const int w = b.Const("w", {2}, {1, 2});
  const int y = b.Tensor<float>("y", TT::FLOAT32, {2});
  b.Op(B::DENSIFY, {w}, {y});
  b.ExpectLoadError({}, {y}, "input 0 must be a sparse constant tensor");
}

}  // namespace
}  // namespace tfmodel::tflite
