#include "tflite/tf_steps.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util.h"
#include "tflite_test_util.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::TfLiteModelBuilder;
using TT = fb::TensorType;

// An OpBuilder for a two-input (second optional and absent), one-output operator.
struct Fixture {
  Fixture() {
    TfLiteModelBuilder b;
    int x = b.Tensor<float>("x", TT::FLOAT32, {2});
    int y = b.Tensor<float>("y", TT::FLOAT32, {2});
    b.Op(fb::BuiltinOperator::ADD, {x, -1}, {y});
    file = *TfLiteFile::FromBytes(b.Bytes({x}, {y}), "steps.tflite");
    (void)BuildPlans(*file, &plans);
  }
  OpBuilder Builder() { return OpBuilder(*file, 0, 0, plans, &weights); }
  std::unique_ptr<TfLiteFile> file;
  std::vector<SubgraphPlan> plans;
  std::map<int, Tensor> weights;
};

TEST(TfLiteTfStepsTest, OperandsTemporariesAndConstants) {
  Fixture fx;
  OpBuilder b = fx.Builder();
  TfSteps s(b);
  EXPECT_EQ(s.In(0), 0);
  EXPECT_EQ(s.In(1), -1);  // absent optional input
  EXPECT_EQ(s.Out(0), 2);
  const int t = s.Temp();
  const int c = s.Const(Tensor::FromVector<float>({10, 20}));
  // t = x * 2 (Mul kernel with a constant), out = t + c, then RELU in place.
  TFM_ASSERT_OK(
      s.AddTf("Mul", TypeAttrs(DType::kFloat), {s.In(0), s.Const(Tensor::Scalar<float>(2))}, {t}));
  TFM_ASSERT_OK(s.AddTf("AddV2", TypeAttrs(DType::kFloat), {t, c}, {s.Out(0)}));
  s.AddActivation(fb::ActivationFunctionType::RELU, s.Out(0));
  Tensor x = Tensor::FromVector<float>({1, -20});
  std::vector<Tensor> out(1);
  TFM_ASSERT_OK(EvalTfSteps(s, {&x, nullptr}, &out));
  EXPECT_THAT(std::vector<float>(out[0].data<float>(), out[0].data<float>() + 2),
              ElementsAre(12, 0));
}

TEST(TfLiteTfStepsTest, MissingKernelsAndValuesAreErrors) {
  Fixture fx;
  OpBuilder b = fx.Builder();
  TfSteps s(b);
  auto st = s.AddTf("NoSuchOp", {}, {s.In(0)}, {s.Out(0)});
  EXPECT_TRUE(absl::IsUnimplemented(st));
  EXPECT_THAT(st.message(), HasSubstr("no kernel for TF op NoSuchOp"));
  // A temporary read before anything wrote it.
  TfSteps t(b);
  const int tmp = t.Temp();
  t.AddFn({tmp}, {t.Out(0)}, [](const std::vector<const Tensor*>& i, std::vector<Tensor>* o) {
    (*o)[0] = *i[0];
    return absl::OkStatus();
  });
  Tensor x = Tensor::FromVector<float>({1, 2});
  std::vector<Tensor> out(1);
  EXPECT_THAT(EvalTfSteps(t, {&x, nullptr}, &out).message(), HasSubstr("has no value"));
  // An output never written.
  TfSteps u(b);
  std::vector<Tensor> out2(1);
  TFM_EXPECT_OK(EvalTfSteps(u, {&x, nullptr}, &out2));
  EXPECT_FALSE(out2[0].valid());
}

TEST(TfLiteTfStepsTest, ActivationsOnFloatOnly) {
  Tensor t = Tensor::FromVector<float>({-2, 0.5f, 9});
  TFM_ASSERT_OK(ApplyActivation(fb::ActivationFunctionType::RELU6, &t));
  EXPECT_THAT(std::vector<float>(t.data<float>(), t.data<float>() + 3), ElementsAre(0, 0.5f, 6));
  Tensor s = Tensor::FromVector<float>({-2, 0, 3});
  TFM_ASSERT_OK(ApplyActivation(fb::ActivationFunctionType::SIGN_BIT, &s));
  EXPECT_THAT(std::vector<float>(s.data<float>(), s.data<float>() + 3), ElementsAre(1, 0, 0));
  Tensor i = Tensor::FromVector<int32_t>({1});
  EXPECT_TRUE(absl::IsUnimplemented(ApplyActivation(fb::ActivationFunctionType::RELU, &i)));
}

}  // namespace
}  // namespace tfmodel::tflite
