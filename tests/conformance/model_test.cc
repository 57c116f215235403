// Loading and running TensorFlow-made models (../shared/testdata) through runtime::Model.
#include "runtime/model.h"

#include <thread>

#include "format/saved_model.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/kernel.h"
#include "test_util.h"

namespace tfmodel::runtime {
namespace {

using ::testing::HasSubstr;
using tfmodel::testing::Testdata;

float Scalar(const std::map<std::string, Tensor>& m, const std::string& k) {
  auto it = m.find(k);
  EXPECT_NE(it, m.end()) << k;
  if (it == m.end() || it->second.dtype() != DType::kFloat || it->second.NumElements() != 1)
    return -1e30f;
  return it->second.data<float>()[0];
}

TEST(ModelTest, SavedModelCounterKeepsStateAcrossRuns) {
  TFM_REQUIRE_TESTDATA();
  TFM_ASSERT_OK_AND_ASSIGN(
      auto model, Model::LoadSavedModel(Testdata("tf_serving/saved_model_counter/00000123")));
  const auto& sigs = model->signatures();
  std::vector<std::string> keys;
  for (const auto& [k, v] : sigs) keys.push_back(k);
  EXPECT_THAT(keys, ::testing::ElementsAre("get_counter", "incr_counter", "incr_counter_by",
                                           "reset_counter"));
  EXPECT_EQ(sigs.at("incr_counter_by").inputs.at("delta").tensor_name, "delta:0");
  EXPECT_EQ(sigs.at("get_counter").method_name, "tensorflow/serving/predict");

  auto run = [&](const std::string& key, std::map<std::string, Tensor> in = {}) {
    auto r = model->RunSignature(key, in);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? Scalar(*r, "output") : -1e30f;
  };
  EXPECT_EQ(run("get_counter"), 0.0f);
  EXPECT_EQ(run("incr_counter"), 1.0f);
  EXPECT_EQ(run("incr_counter"), 2.0f);
  EXPECT_EQ(run("get_counter"), 2.0f);
  EXPECT_EQ(run("incr_counter_by", {{"delta", Tensor::Scalar<float>(3)}}), 5.0f);
  EXPECT_EQ(run("reset_counter"), 0.0f);
  EXPECT_EQ(run("get_counter"), 0.0f);
  EXPECT_EQ(run("incr_counter_by", {{"delta", Tensor::Scalar<float>(-2.5f)}}), -2.5f);

  // Bad requests name the alias.
  auto s = model->RunSignature("incr_counter_by", {{"delt", Tensor::Scalar<float>(1)}}).status();
  EXPECT_THAT(s.message(), HasSubstr("has no input 'delt'; did you mean 'delta'?"));
  s = model->RunSignature("incr_counter_by", {}).status();
  EXPECT_THAT(s.message(), HasSubstr("input 'delta' is missing"));
  s = model->RunSignature("incr_counter_by", {{"delta", Tensor::Scalar<int32_t>(1)}}).status();
  EXPECT_THAT(s.message(), HasSubstr("input 'delta' expects dtype float but got int32"));
  s = model->RunSignature("incr_countr", {}).status();
  EXPECT_THAT(s.message(), HasSubstr("signature 'incr_countr' not found"));

  // Increments from many threads are not lost.
  TFM_ASSERT_OK(model->RunSignature("reset_counter", {}).status());
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) (void)model->RunSignature("incr_counter", {});
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(run("get_counter"), 800.0f);
  // Run by tensor names shares the state.
  TFM_ASSERT_OK_AND_ASSIGN(auto out, model->Run({}, {"counter:0"}));
  EXPECT_EQ(out[0].scalar<float>(), 800.0f);
}

TEST(ModelTest, CustomOpModelNamesTheUnsupportedOp) {
  TFM_REQUIRE_TESTDATA();
  auto m = Model::LoadSavedModel(Testdata("stfs/custom_op_model/1"));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(m.status().message(), HasSubstr("unsupported ops: "));
  EXPECT_THAT(m.status().message(), HasSubstr("ZeroOut (node "));
}

TEST(ModelTest, BadHalfPlusTwoFailsCleanly) {
  TFM_REQUIRE_TESTDATA();
  auto m = Model::LoadSavedModel(Testdata("tf_serving/bad_half_plus_two/00000123"));
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), HasSubstr("bad_half_plus_two"));
  EXPECT_THAT(m.status().message(), HasSubstr("has no serving signatures"));
}

TEST(ModelTest, SessionBundleSignaturesAreUpConverted) {
  TFM_REQUIRE_TESTDATA();
  TFM_ASSERT_OK_AND_ASSIGN(
      auto model,
      Model::LoadSavedModel(Testdata("tf_serving/session_bundle_half_plus_two/00000123")));
  const auto& sigs = model->signatures();
  ASSERT_TRUE(sigs.count("serving_default"));
  EXPECT_EQ(sigs.at("serving_default").method_name, "tensorflow/serving/regress");
  EXPECT_EQ(sigs.at("serving_default").inputs.at("inputs").tensor_name, "tf_example:0");
  ASSERT_TRUE(sigs.count("serving_default_from_named"));
  EXPECT_EQ(sigs.at("serving_default_from_named").inputs.at("x").tensor_name, "x:0");
  TFM_ASSERT_OK_AND_ASSIGN(auto out,
                           model->RunSignature("serving_default_from_named",
                                               {{"x", Tensor::FromVector<float>({1, 2, 5})}}));
  const Tensor& y = out.at("y");
  ASSERT_EQ(y.NumElements(), 3);
  EXPECT_EQ(y.data<float>()[0], 2.5f);
  EXPECT_EQ(y.data<float>()[2], 4.5f);
}

TEST(ModelTest, HalfPlusTwoCpu) {
  TFM_REQUIRE_TESTDATA();
  TFM_ASSERT_OK_AND_ASSIGN(
      auto model,
      Model::LoadSavedModel(Testdata("tf_serving/saved_model_half_plus_two_cpu/00000123")));
  TFM_ASSERT_OK_AND_ASSIGN(
      auto out,
      model->RunSignature("serving_default", {{"x", Tensor::FromVector<float>({1, 2, 5})}}));
  const Tensor& y = out.at("y");
  ASSERT_EQ(y.NumElements(), 3);
  EXPECT_EQ(y.data<float>()[0], 2.5f);
  EXPECT_EQ(y.data<float>()[1], 3.0f);
  EXPECT_EQ(y.data<float>()[2], 4.5f);
}

TEST(ModelTest, HalfPlusTwoTf2) {
  TFM_REQUIRE_TESTDATA();
  TFM_ASSERT_OK_AND_ASSIGN(
      auto model,
      Model::LoadSavedModel(Testdata("tf_serving/saved_model_half_plus_two_tf2_cpu/00000123")));
  TFM_ASSERT_OK_AND_ASSIGN(
      auto out,
      model->RunSignature("serving_default", {{"x", Tensor::FromVector<float>({1, 2, 5})}}));
  ASSERT_EQ(out.size(), 1u);
  const Tensor& y = out.begin()->second;
  ASSERT_EQ(y.NumElements(), 3);
  EXPECT_EQ(y.data<float>()[0], 2.5f);
  EXPECT_EQ(y.data<float>()[1], 3.0f);
  EXPECT_EQ(y.data<float>()[2], 4.5f);
}

// The serving_default signature alone (no ParseExample needed): restore through the
// saver's restore op, then y = 0.5 * x + 2.
void CheckServingDefaultOnly(const std::string& dir) {
  auto a = ReadModelArtifact(dir);
  ASSERT_TRUE(a.ok()) << a.status();
  auto* defs = a->meta_graph.mutable_signature_def();
  for (auto it = defs->begin(); it != defs->end();) {
    it = it->first == "serving_default" ? std::next(it) : defs->erase(it);
  }
  TFM_ASSERT_OK_AND_ASSIGN(auto model, Model::LoadMetaGraph(a->meta_graph, a->variables_prefix));
  ASSERT_EQ(model->signatures().size(), 1u);
  TFM_ASSERT_OK_AND_ASSIGN(
      auto out,
      model->RunSignature("serving_default", {{"x", Tensor::FromVector<float>({1, 2, 5})}}));
  ASSERT_EQ(out.size(), 1u);
  const Tensor& y = out.begin()->second;
  ASSERT_EQ(y.NumElements(), 3);
  EXPECT_EQ(y.data<float>()[0], 2.5f);
  EXPECT_EQ(y.data<float>()[1], 3.0f);
  EXPECT_EQ(y.data<float>()[2], 4.5f);
}

TEST(ModelTest, HalfPlusTwoCpuServingDefaultOnly) {
  TFM_REQUIRE_TESTDATA();
  CheckServingDefaultOnly(Testdata("tf_serving/saved_model_half_plus_two_cpu/00000123"));
}

TEST(ModelTest, HalfPlusTwoTf2ServingDefaultOnly) {
  TFM_REQUIRE_TESTDATA();
  CheckServingDefaultOnly(Testdata("tf_serving/saved_model_half_plus_two_tf2_cpu/00000123"));
}

}  // namespace
}  // namespace tfmodel::runtime
