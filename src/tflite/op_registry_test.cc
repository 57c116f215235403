#include "tflite/op_registry.h"

#include "gtest/gtest.h"
#include "test_util.h"
#include "tflite/ops/ops.h"
#include "tflite/tf_steps.h"
#include "tflite_test_util.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;
using testing::TfLiteModelBuilder;
using TT = fb::TensorType;

// The registration chosen for operator 0 of a one-operator model.
struct Found {
  std::unique_ptr<TfLiteFile> file;
  std::vector<SubgraphPlan> plans;
  const OpRegistration* reg = nullptr;
};

Found Find(TfLiteModelBuilder& b, std::vector<int32_t> in, std::vector<int32_t> out) {
  Found f;
  auto file = TfLiteFile::FromBytes(b.Bytes(in, out), "reg.tflite");
  EXPECT_TRUE(file.ok()) << file.status();
  if (!file.ok()) return f;
  f.file = std::move(*file);
  (void)BuildPlans(*f.file, &f.plans);  // tensors are read even when operators fail
  std::map<int, Tensor> weights;
  OpBuilder ob(*f.file, 0, 0, f.plans, &weights);
  f.reg = FindOpRegistration(ob);
  return f;
}

TEST(TfLiteOpRegistryTest, QuantizedOperandsPickTheIntegerKernel) {
  for (TT type : {TT::INT8, TT::FLOAT32}) {
    TfLiteModelBuilder b;
    const bool q = type == TT::INT8;
    std::vector<float> scale = q ? std::vector<float>{0.5f} : std::vector<float>{};
    std::vector<int64_t> zp = q ? std::vector<int64_t>{0} : std::vector<int64_t>{};
    int x = b.Tensor<float>("x", type, {1, 2}, scale, zp);
    int w = b.Tensor<int8_t>("w", TT::INT8, {1, 2}, {0.5f}, {0}, 0, {1, 2});
    int y = b.Tensor<float>("y", type, {1, 1}, scale, zp);
    b.Op(B::FULLY_CONNECTED, {x, w}, {y});
    Found f = Find(b, {x}, {y});
    ASSERT_NE(f.reg, nullptr);
    EXPECT_EQ(f.reg->eval, q ? &EvalQuantizedFullyConnected : &EvalTfSteps);
    EXPECT_EQ(f.reg->types, q ? OpTypes::kQuantized : OpTypes::kAny);
  }
}

TEST(TfLiteOpRegistryTest, CustomOperatorsByName) {
  struct Case {
    const char* name;
    PrepareFn want;
  } cases[] = {{"ParseExampleV2", PrepareParseExampleV2},
               {"ParseExample", PrepareParseExample},
               {"FlexAddV2", PrepareFlexOp}};
  for (const Case& c : cases) {
    TfLiteModelBuilder b;
    int x = b.Tensor<float>("x", TT::FLOAT32, {1});
    int y = b.Tensor<float>("y", TT::FLOAT32, {1});
    b.Op(B::CUSTOM, {x}, {y});
    b.SetCustom(c.name, {});
    Found f = Find(b, {x}, {y});
    ASSERT_NE(f.reg, nullptr) << c.name;
    EXPECT_EQ(f.reg->prepare, c.want) << c.name;
  }
}

TEST(TfLiteOpRegistryTest, ElementwiseTableAndUnknownBuiltins) {
  TfLiteModelBuilder b;
  int x = b.Tensor<float>("x", TT::FLOAT32, {2});
  int y = b.Tensor<float>("y", TT::FLOAT32, {2});
  b.Op(B::LOGISTIC, {x}, {y});
  Found f = Find(b, {x}, {y});
  ASSERT_NE(f.reg, nullptr);
  EXPECT_EQ(f.reg->prepare, &PrepareElementwise);

  TfLiteModelBuilder u;
  int ux = u.Tensor<float>("x", TT::FLOAT32, {2});
  int uy = u.Tensor<float>("y", TT::FLOAT32, {2});
  u.Op(B::HARD_SWISH, {ux}, {uy});
  EXPECT_EQ(Find(u, {ux}, {uy}).reg, nullptr);
}

}  // namespace
}  // namespace tfmodel::tflite
