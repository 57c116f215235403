// The TF Serving half_plus_two models' regress / classify signatures, which parse
// tf.Example inputs (ParseExample in the TF1 model, ParseExampleV2 in the TF2 ones), run
// through runtime::Model with Examples built here.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/model.h"
#include "tensorflow/core/example/example.pb.h"
#include "test_util.h"

namespace tfmodel::runtime {
namespace {

using ::testing::HasSubstr;
using tfmodel::testing::Testdata;

std::string Example(const std::string& key, float v) {
  tensorflow::Example e;
  (*e.mutable_features()->mutable_feature())[key].mutable_float_list()->add_value(v);
  return e.SerializeAsString();
}

Tensor Examples(const std::string& key, const std::vector<float>& xs) {
  std::vector<std::string> v;
  for (float x : xs) v.push_back(Example(key, x));
  return Tensor::FromVector<std::string>(v);
}

// Runs a one-input, one-output signature and returns the output's floats.
std::vector<float> RunOne(Model& m, const std::string& sig, const Tensor& in,
                          const std::string& out_key = "") {
  auto it = m.signatures().find(sig);
  EXPECT_NE(it, m.signatures().end()) << sig;
  if (it == m.signatures().end()) return {};
  EXPECT_EQ(it->second.inputs.size(), 1u) << sig;
  const std::string in_key = it->second.inputs.begin()->first;
  auto r = m.RunSignature(sig, {{in_key, in}});
  EXPECT_TRUE(r.ok()) << sig << ": " << r.status();
  if (!r.ok()) return {};
  const Tensor* t = nullptr;
  if (!out_key.empty()) {
    auto o = r->find(out_key);
    EXPECT_NE(o, r->end()) << out_key;
    if (o == r->end()) return {};
    t = &o->second;
  } else {
    EXPECT_EQ(r->size(), 1u);
    t = &r->begin()->second;
  }
  EXPECT_EQ(t->dtype(), DType::kFloat);
  if (t->dtype() != DType::kFloat) return {};
  return std::vector<float>(t->data<float>(), t->data<float>() + t->NumElements());
}

void CheckExampleSignatures(const std::string& dir, bool tf1) {
  auto loaded = Model::LoadSavedModel(Testdata(dir));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  Model& m = **loaded;
  using ::testing::ElementsAre;
  EXPECT_THAT(RunOne(m, "regress_x_to_y", Examples("x", {80, 1, 5})), ElementsAre(42, 2.5f, 4.5f));
  EXPECT_THAT(RunOne(m, "regress_x_to_y2", Examples("x", {80, 2})), ElementsAre(43, 4));
  EXPECT_THAT(RunOne(m, "classify_x_to_y", Examples("x", {4, 0}), "scores"), ElementsAre(4, 2));
  EXPECT_THAT(RunOne(m, "serving_default", Tensor::FromVector<float>({1, 2, 5})),
              ElementsAre(2.5f, 3, 4.5f));
  if (tf1) {
    // regress_x2_to_y3 takes x2 as a float tensor directly: y3 = 0.5 * x2 + 3.
    EXPECT_THAT(RunOne(m, "regress_x2_to_y3", Tensor::FromVector<float>({4, 10})),
                ElementsAre(5, 8));
  }
  // An Example without x: x is required (no default).
  const std::string in_key = m.signatures().at("regress_x_to_y").inputs.begin()->first;
  auto r = m.RunSignature("regress_x_to_y", {{in_key, Examples("z", {1})}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("Feature: x (data type: float) is required but could not be found."));
  // A wrongly typed x.
  tensorflow::Example e;
  (*e.mutable_features()->mutable_feature())["x"].mutable_int64_list()->add_value(1);
  r = m.RunSignature("regress_x_to_y",
                     {{in_key, Tensor::FromVector<std::string>({e.SerializeAsString()})}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("Data types don't match. Data type: int64 but expected type: float"));
}

TEST(ParseExampleConformance, HalfPlusTwoCpu) {
  TFM_REQUIRE_TESTDATA();
  CheckExampleSignatures("tf_serving/saved_model_half_plus_two_cpu/00000123", true);
}

TEST(ParseExampleConformance, HalfPlusTwoTf2Cpu) {
  TFM_REQUIRE_TESTDATA();
  CheckExampleSignatures("tf_serving/saved_model_half_plus_two_tf2_cpu/00000123", false);
}

TEST(ParseExampleConformance, HalfPlusTwoMlmd) {
  TFM_REQUIRE_TESTDATA();
  CheckExampleSignatures("tf_serving/saved_model_half_plus_two_mlmd/00000123", false);
}

TEST(ParseExampleConformance, HalfPlusTwoGpuTrt) {
  TFM_REQUIRE_TESTDATA();
  CheckExampleSignatures("tf_serving/saved_model_half_plus_two_gpu_trt/00000123", false);
}

}  // namespace
}  // namespace tfmodel::runtime
