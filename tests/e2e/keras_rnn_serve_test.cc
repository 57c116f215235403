// `tfmodel serve` on the wild TF2 Keras LSTM SavedModel (a While loop over TensorLists):
// REST predict answers what the in-process runtime computes for the same input.
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "runtime/model.h"
#include "serve_e2e_util.h"
#include "test_util.h"

namespace tfmodel {
namespace {

TEST(ServeE2E, KerasLstmPredict) {
  TFM_REQUIRE_TESTDATA();
  const std::string base = testing::Testdata("wild/tf2-keras-lstm-sequential");
  // Two sequences of 5 steps x 3 features.
  Tensor x(DType::kFloat, TensorShape{2, 5, 3});
  std::string instances;
  for (int64_t n = 0; n < 2; ++n) {
    absl::StrAppend(&instances, n ? ", [" : "[");
    for (int64_t t = 0; t < 5; ++t) {
      absl::StrAppend(&instances, t ? ", [" : "[");
      for (int64_t f = 0; f < 3; ++f) {
        const float v = 0.25f * static_cast<float>((n * 15 + t * 3 + f) % 7) - 0.5f;
        x.data<float>()[(n * 5 + t) * 3 + f] = v;
        absl::StrAppend(&instances, f ? ", " : "", v);
      }
      absl::StrAppend(&instances, "]");
    }
    absl::StrAppend(&instances, "]");
  }
  auto model = runtime::Model::LoadSavedModel(base + "/1");
  ASSERT_TRUE(model.ok()) << model.status();
  auto want = (*model)->RunSignature("serving_default", {{"input_1", x}});
  ASSERT_TRUE(want.ok()) << want.status();

  e2e::ServerProcess p;
  ASSERT_TRUE(p.Start({"--model_base_path=" + base, "--model_name=lstm"}, "/v1/models/lstm"))
      << p.ready_status << p.Log();
  auto r = e2e::Http(p.rest_port, "POST", "/v1/models/lstm:predict",
                     absl::StrCat(R"({"instances": [)", instances, "]}"));
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  ASSERT_FALSE(d.HasParseError()) << r.body;
  const auto& preds = d["predictions"];
  ASSERT_TRUE(preds.IsArray()) << r.body;
  ASSERT_EQ(preds.Size(), 2u) << r.body;
  for (rapidjson::SizeType i = 0; i < 2; ++i) {
    ASSERT_TRUE(preds[i].IsArray() && preds[i].Size() == 1) << r.body;
    EXPECT_NEAR(preds[i][0].GetDouble(), want->at("dense").data<float>()[i], 1e-6) << r.body;
  }
  EXPECT_EQ(p.Stop(), 0);
}

}  // namespace
}  // namespace tfmodel
