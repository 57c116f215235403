#include "tflite/converter.h"

#include "gmock/gmock.h"
#include "graph/graph_builder.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "test_util.h"
#include "tflite/convert/lowerings.h"
#include "tflite/model.h"

namespace tfmodel::tflite {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(TfLiteConverterTest, LoweringTable) {
  EXPECT_EQ(FindLowering("Relu"), &LowerRelu);
  EXPECT_EQ(FindLowering("BiasAdd"), &LowerAdd);
  EXPECT_EQ(FindLowering("DepthwiseConv2dNative"), &LowerConv2D);
  EXPECT_EQ(FindLowering("Sigmoid"), &LowerElementwise);  // the shared element-wise table
  EXPECT_EQ(FindLowering("NoSuchOp"), nullptr);
}

// x -> MatMul(w) -> BiasAdd(b) -> Relu -> Sub(c) -> Sigmoid: one FULLY_CONNECTED with the
// bias and RELU fused, SUB, LOGISTIC; the converted model computes what the graph does.
TEST(TfLiteConverterTest, ConvertsFusesAndRuns) {
  GraphBuilder g;
  auto x = g.Placeholder("x", DType::kFloat, PartialShape{-1, 2});
  auto w = g.Const("w", Tensor::FromVector<float>({1, 2, 3, -4, 5, 6}, TensorShape{2, 3}));
  auto b = g.Const("b", Tensor::FromVector<float>({0.5f, 0, -1}));
  auto mm = g.Op("mm", "MatMul", {x, w}, {{"T", AttrType(DType::kFloat)}});
  auto ba = g.Binary("ba", "BiasAdd", mm, b);
  auto r = g.Op("r", "Relu", {ba}, {{"T", AttrType(DType::kFloat)}});
  auto c = g.Const("c", Tensor::Scalar<float>(1.0f));
  auto s = g.Binary("s", "Sub", r, c);
  g.Op("y", "Sigmoid", {s}, {{"T", AttrType(DType::kFloat)}});
  TfLiteConvertOptions opt;
  opt.input_arrays = {"x"};
  opt.output_arrays = {"y"};
  TfLiteConvertReport report;
  TFM_ASSERT_OK_AND_ASSIGN(std::string bytes, ConvertGraphToTfLite(g.graph(), opt, &report));
  EXPECT_THAT(report.operators, ElementsAre("FULLY_CONNECTED", "SUB", "LOGISTIC"));
  EXPECT_EQ(report.fused_ops, 2);
  TFM_ASSERT_OK_AND_ASSIGN(auto file, TfLiteFile::FromBytes(bytes, "conv.tflite"));
  TFM_ASSERT_OK_AND_ASSIGN(auto lite, LoadTfLiteModel(std::move(file)));
  TFM_ASSERT_OK_AND_ASSIGN(auto tf, runtime::Model::LoadGraph(g.graph()));
  auto xv = Tensor::FromVector<float>({1, 1, -2, 0.5f}, TensorShape{2, 2});
  TFM_ASSERT_OK_AND_ASSIGN(auto want, tf->Run({{"x:0", xv}}, {"y:0"}));
  TFM_ASSERT_OK_AND_ASSIGN(auto got, lite->RunSignature("serving_default", {{"x", xv}}));
  testing::ExpectTensorNear(got.at("y"), want[0], 1e-6, 1e-6);
}

// --quantize_float16: the weights and bias become float16 constants behind DEQUANTIZE
// operators placed first; the model computes the graph with float16-rounded weights.
TEST(TfLiteConverterTest, Float16WeightsSitBehindDequantize) {
  GraphBuilder g;
  auto x = g.Placeholder("x", DType::kFloat, PartialShape{-1, 2});
  // 0.1 and 1/3 are not float16 values: the result moves by float16 rounding only.
  auto w =
      g.Const("w", Tensor::FromVector<float>({0.1f, 2, 3, -4, 1.0f / 3, 6}, TensorShape{2, 3}));
  auto b = g.Const("b", Tensor::FromVector<float>({0.5f, 0, -1}));
  auto mm = g.Op("mm", "MatMul", {x, w}, {{"T", AttrType(DType::kFloat)}});
  g.Binary("y", "BiasAdd", mm, b);
  TfLiteConvertOptions opt;
  opt.input_arrays = {"x"};
  opt.output_arrays = {"y"};
  opt.quantize_float16 = true;
  TfLiteConvertReport report;
  TFM_ASSERT_OK_AND_ASSIGN(std::string bytes, ConvertGraphToTfLite(g.graph(), opt, &report));
  EXPECT_THAT(report.operators, ElementsAre("DEQUANTIZE", "DEQUANTIZE", "FULLY_CONNECTED"));
  EXPECT_EQ(report.quantized_tensors, 2);
  EXPECT_EQ(report.float_weight_bytes, 4 * 9);
  EXPECT_EQ(report.quantized_weight_bytes, 2 * 9);
  TFM_ASSERT_OK_AND_ASSIGN(auto file, TfLiteFile::FromBytes(bytes, "fp16.tflite"));
  int half_tensors = 0;
  for (const auto* t : *file->model().subgraphs()->Get(0)->tensors()) {
    half_tensors += t->type() == tflite_fb::TensorType::FLOAT16;
  }
  EXPECT_EQ(half_tensors, 2);
  TFM_ASSERT_OK_AND_ASSIGN(auto lite, LoadTfLiteModel(std::move(file)));
  TFM_ASSERT_OK_AND_ASSIGN(auto tf, runtime::Model::LoadGraph(g.graph()));
  auto xv = Tensor::FromVector<float>({1, 1, -2, 0.5f}, TensorShape{2, 2});
  TFM_ASSERT_OK_AND_ASSIGN(auto want, tf->Run({{"x:0", xv}}, {"y:0"}));
  TFM_ASSERT_OK_AND_ASSIGN(auto got, lite->RunSignature("serving_default", {{"x", xv}}));
  testing::ExpectTensorNear(got.at("y"), want[0], 1e-3, 1e-3);
  // Not bit-equal: 0.1 became 0.0999755859375.
  EXPECT_NE(got.at("y").data<float>()[0], want[0].data<float>()[0]);
  opt.quantize_weights = true;
  EXPECT_THAT(ConvertGraphToTfLite(g.graph(), opt).status().message(),
              HasSubstr("choose one of --quantize_weights"));
}

TEST(TfLiteConverterTest, OpsWithoutLoweringAreListedOrKeptAsCustom) {
  GraphBuilder g;
  auto x = g.Placeholder("x", DType::kFloat, PartialShape{3});
  auto e = g.Op("e", "Erf", {x}, {{"T", AttrType(DType::kFloat)}});
  g.Op("y", "Erf", {e}, {{"T", AttrType(DType::kFloat)}});
  TfLiteConvertOptions opt;
  opt.input_arrays = {"x"};
  opt.output_arrays = {"y"};
  auto r = ConvertGraphToTfLite(g.graph(), opt);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("Erf (2 nodes, e.g. 'e')"));
  opt.allow_custom_ops = true;
  TfLiteConvertReport report;
  TFM_ASSERT_OK_AND_ASSIGN(std::string bytes, ConvertGraphToTfLite(g.graph(), opt, &report));
  EXPECT_THAT(report.operators, ElementsAre("Erf", "Erf"));
}

}  // namespace
}  // namespace tfmodel::tflite
