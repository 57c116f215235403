// simple_tensorflow_serving's template application model (TF 1.4, versions 1 and 2): the
// serving signature on the request bodies shipped with it, and v1 vs v2.
#include <cmath>
#include <map>
#include <string>

#include "core/file_util.h"
#include "format/checkpoint.h"
#include "format/checkpoint_compare.h"
#include "format/saved_model.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "runtime/model.h"
#include "test_util.h"

namespace tfmodel {
namespace {

using testing::Testdata;

// keys [n,1] int32 and features [n,9] float from rows of (key, 9 features).
std::map<std::string, Tensor> Inputs(
    const std::vector<std::pair<int32_t, std::vector<float>>>& rows) {
  const int64_t n = static_cast<int64_t>(rows.size());
  Tensor keys(DType::kInt32, TensorShape{n, 1});
  Tensor features(DType::kFloat, TensorShape{n, 9});
  for (int64_t i = 0; i < n; ++i) {
    keys.data<int32_t>()[i] = rows[i].first;
    EXPECT_EQ(rows[i].second.size(), 9u);
    for (int64_t j = 0; j < 9 && j < static_cast<int64_t>(rows[i].second.size()); ++j) {
      features.data<float>()[i * 9 + j] = rows[i].second[j];
    }
  }
  return {{"keys", keys}, {"features", features}};
}

// The two request files: simple_tensorflow_serving's {"data": {...}} columns and TF
// Serving's {"instances": [{...}]} rows.
std::vector<std::pair<int32_t, std::vector<float>>> RequestRows(const std::string& file) {
  auto text = ReadFileToString(Testdata("stfs/requests/" + file));
  EXPECT_TRUE(text.ok()) << text.status();
  rapidjson::Document d;
  d.Parse(text.ok() ? text->c_str() : "{}");
  std::vector<std::pair<int32_t, std::vector<float>>> rows;
  auto floats = [](const rapidjson::Value& a) {
    std::vector<float> v;
    for (const auto& x : a.GetArray()) v.push_back(x.GetFloat());
    return v;
  };
  if (d.HasMember("data")) {
    const auto& keys = d["data"]["keys"];
    const auto& feats = d["data"]["features"];
    for (rapidjson::SizeType i = 0; i < keys.Size(); ++i) {
      rows.emplace_back(keys[i][0].GetInt(), floats(feats[i]));
    }
  } else {
    for (const auto& inst : d["instances"].GetArray()) {
      rows.emplace_back(inst["keys"].GetInt(), floats(inst["features"]));
    }
  }
  return rows;
}

// Runs serving_default and checks the invariants; returns the softmax.
Tensor RunAndCheck(runtime::Model& m,
                   const std::vector<std::pair<int32_t, std::vector<float>>>& rows) {
  auto out = m.RunSignature("serving_default", Inputs(rows));
  EXPECT_TRUE(out.ok()) << out.status();
  if (!out.ok()) return Tensor();
  const Tensor& keys = out->at("keys");
  const Tensor& softmax = out->at("softmax");
  const Tensor& prediction = out->at("prediction");
  const int64_t n = static_cast<int64_t>(rows.size());
  EXPECT_EQ(keys.shape(), (TensorShape{n, 1}));
  EXPECT_EQ(softmax.shape(), (TensorShape{n, 2}));
  EXPECT_EQ(prediction.shape(), (TensorShape{n}));
  EXPECT_EQ(prediction.dtype(), DType::kInt64);
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_EQ(keys.data<int32_t>()[i], rows[i].first);  // keys are echoed
    float a = softmax.data<float>()[2 * i], b = softmax.data<float>()[2 * i + 1];
    EXPECT_GE(a, 0.0f);
    EXPECT_GE(b, 0.0f);
    EXPECT_NEAR(a + b, 1.0f, 1e-6);
    EXPECT_EQ(prediction.data<int64_t>()[i], b > a ? 1 : 0);  // argmax
  }
  return softmax;
}

TEST(TemplateApplication, RequestFilesOnBothVersions) {
  TFM_REQUIRE_TESTDATA();
  const std::string base = "stfs/tensorflow_template_application_model/";
  auto v1 = runtime::Model::LoadSavedModel(Testdata(base + "1"));
  auto v2 = runtime::Model::LoadSavedModel(Testdata(base + "2"));
  ASSERT_TRUE(v1.ok()) << v1.status();
  ASSERT_TRUE(v2.ok()) << v2.status();

  auto rows = RequestRows("template_application.json");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows, RequestRows("template_application_tfserving.json"));
  // A bigger batch with varied keys and features.
  for (int i = 0; i < 5; ++i) {
    std::vector<float> f(9);
    for (int j = 0; j < 9; ++j) f[j] = static_cast<float>(((i * 7 + j * 3) % 11) - 5) * 0.37f;
    rows.emplace_back(100 + i, f);
  }
  Tensor s1 = RunAndCheck(**v1, rows);
  Tensor s2 = RunAndCheck(**v2, rows);
  ASSERT_TRUE(s1.valid() && s2.valid());

  // Same weights -> same answers; the two versions here were trained apart, and `tfmodel
  // inspect` on the base path says so. Then their answers differ somewhere.
  auto a1 = ReadModelArtifact(Testdata(base + "1"));
  auto a2 = ReadModelArtifact(Testdata(base + "2"));
  ASSERT_TRUE(a1.ok() && a2.ok());
  auto r1 = CheckpointReader::Open(a1->variables_prefix);
  auto r2 = CheckpointReader::Open(a2->variables_prefix);
  ASSERT_TRUE(r1.ok() && r2.ok());
  auto cmp = CompareCheckpoints(**r1, **r2);
  ASSERT_TRUE(cmp.ok()) << cmp.status();
  EXPECT_FALSE(cmp->AllEqual());
  EXPECT_EQ(cmp->different.size(), 17u);
  bool differ = false;
  for (int64_t i = 0; i < s1.NumElements(); ++i) {
    differ |= s1.data<float>()[i] != s2.data<float>()[i];
  }
  EXPECT_TRUE(differ);

  auto inspect = testing::RunCommand(absl::StrCat(testing::Quote(testing::TfmodelBinary()),
                                                  " inspect ", testing::Quote(Testdata(base))));
  EXPECT_THAT(inspect.output,
              ::testing::HasSubstr("Versions 1 and 2: variables differ: 17 tensors"));
}

// Where two versions do hold the same weights, inspect says so and the answers agree.
TEST(TemplateApplication, EqualWeightsGiveEqualAnswers) {
  TFM_REQUIRE_TESTDATA();
  const std::string base = Testdata("tf_serving/saved_model_half_plus_two_2_versions");
  auto inspect = testing::RunCommand(
      absl::StrCat(testing::Quote(testing::TfmodelBinary()), " inspect ", testing::Quote(base)));
  EXPECT_THAT(inspect.output,
              ::testing::HasSubstr("Versions 123 and 124: identical variables (3 tensors)"));
  auto m1 = runtime::Model::LoadSavedModel(JoinPath(base, "00000123"));
  auto m2 = runtime::Model::LoadSavedModel(JoinPath(base, "00000124"));
  ASSERT_TRUE(m1.ok() && m2.ok());
  Tensor x = Tensor::FromVector<float>({1, 2, 5}, TensorShape{3, 1});
  auto y1 = (*m1)->RunSignature("serving_default", {{"x", x}});
  auto y2 = (*m2)->RunSignature("serving_default", {{"x", x}});
  ASSERT_TRUE(y1.ok() && y2.ok());
  const Tensor& a = y1->at("y");
  const Tensor& b = y2->at("y");
  ASSERT_EQ(a.NumElements(), 3);
  for (int64_t i = 0; i < 3; ++i) EXPECT_EQ(a.data<float>()[i], b.data<float>()[i]);
  EXPECT_EQ(a.data<float>()[2], 4.5f);
}

}  // namespace
}  // namespace tfmodel
