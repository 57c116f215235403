// `tfmodel serve` on the TFX models of ../shared/testdata/wild (the real binary, real
// sockets): the tf.Transform transform_fn (tag "transform", SparseTensor inputs fed as
// one value per instance) and the TF2 Keras model (base64 tf.Examples). Each REST predict
// must equal what the runtime computes in-process for the same inputs.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "runtime/model.h"
#include "serve_e2e_util.h"
#include "tensorflow/core/example/example.pb.h"
#include "test_util.h"

namespace tfmodel {
namespace {

// "<status> <body>" of one request ("" when the connection fails).
std::string Request(int port, const std::string& method, const std::string& path,
                    const std::string& body = "") {
  e2e::HttpResult r = e2e::Http(port, method, path, body);
  return r.status == 0 ? "" : absl::StrCat(r.status, " ", r.body);
}

// `tfmodel serve` on `base_path` as model "m" with `tags`; true once a version is AVAILABLE.
bool StartServer(e2e::ServerProcess* server, const std::string& base_path,
                 const std::string& tags) {
  return server->Start(
      {"--model_name=m", "--model_base_path=" + base_path, "--saved_model_tags=" + tags},
      "/v1/models/m");
}

std::string Wild(const std::string& id) { return testing::Testdata("wild/" + id); }

// The JSON number(s) of `v` (a number or a nested list) in order.
void Numbers(const rapidjson::Value& v, std::vector<double>* out) {
  if (v.IsArray()) {
    for (const auto& e : v.GetArray()) Numbers(e, out);
  } else if (v.IsNumber()) {
    out->push_back(v.GetDouble());
  }
}

std::vector<double> TensorNumbers(const Tensor& t) {
  std::vector<double> out;
  for (int64_t i = 0; i < t.NumElements(); ++i) {
    if (t.dtype() == DType::kFloat) out.push_back(t.data<float>()[i]);
    if (t.dtype() == DType::kInt64) out.push_back(static_cast<double>(t.data<int64_t>()[i]));
  }
  return out;
}

TEST(TfxServeE2E, TransformFnRestPredictEqualsRun) {
  TFM_REQUIRE_TESTDATA();
  e2e::ServerProcess server;
  ASSERT_TRUE(StartServer(&server, Wild("tfx-chicago-taxi-transform-fn"), "transform"))
      << server.Log();
  const std::string body = R"({"signature_name": "transform_signature", "instances": [{
      "company": "Dispatch Taxi Affiliation", "payment_type": "Cash",
      "trip_miles": 3.5, "fare": 12.25, "trip_seconds": 900, "tips": 3.0,
      "pickup_latitude": 41.9, "pickup_longitude": -87.63,
      "dropoff_latitude": 41.88, "dropoff_longitude": -87.64,
      "trip_start_hour": 18, "trip_start_day": 6, "trip_start_month": 7,
      "trip_start_timestamp": 1420000000, "pickup_census_tract": 17031839100,
      "dropoff_census_tract": 17031839100, "pickup_community_area": 8,
      "dropoff_community_area": 32}]})";
  std::string r = Request(server.rest_port, "POST", "/v1/models/m:predict", body);
  ASSERT_TRUE(absl::StartsWith(r, "200 ")) << r;
  rapidjson::Document doc;
  doc.Parse(r.substr(4).c_str());
  ASSERT_FALSE(doc.HasParseError()) << r;
  ASSERT_TRUE(doc.HasMember("predictions")) << r;
  const auto& row = doc["predictions"][0];

  auto model =
      runtime::Model::LoadSavedModel(Wild("tfx-chicago-taxi-transform-fn") + "/1", {"transform"});
  ASSERT_TRUE(model.ok()) << model.status();
  std::map<std::string, Tensor> in = {
      {"company", Tensor::FromVector<std::string>({"Dispatch Taxi Affiliation"})},
      {"payment_type", Tensor::FromVector<std::string>({"Cash"})},
      {"trip_miles", Tensor::FromVector<float>({3.5f})},
      {"fare", Tensor::FromVector<float>({12.25f})},
      {"trip_seconds", Tensor::FromVector<int64_t>({900})},
      {"tips", Tensor::FromVector<float>({3.0f})},
      {"pickup_latitude", Tensor::FromVector<float>({41.9f})},
      {"pickup_longitude", Tensor::FromVector<float>({-87.63f})},
      {"dropoff_latitude", Tensor::FromVector<float>({41.88f})},
      {"dropoff_longitude", Tensor::FromVector<float>({-87.64f})},
      {"trip_start_hour", Tensor::FromVector<int64_t>({18})},
      {"trip_start_day", Tensor::FromVector<int64_t>({6})},
      {"trip_start_month", Tensor::FromVector<int64_t>({7})},
      {"trip_start_timestamp", Tensor::FromVector<int64_t>({1420000000})},
      {"pickup_census_tract", Tensor::FromVector<int64_t>({17031839100})},
      {"dropoff_census_tract", Tensor::FromVector<int64_t>({17031839100})},
      {"pickup_community_area", Tensor::FromVector<int64_t>({8})},
      {"dropoff_community_area", Tensor::FromVector<int64_t>({32})}};
  auto want = (*model)->RunSignature("transform_signature", in);
  ASSERT_TRUE(want.ok()) << want.status();
  ASSERT_EQ(want->size(), 17u);
  for (const auto& [alias, t] : *want) {
    ASSERT_TRUE(row.HasMember(alias.c_str())) << alias << " missing in " << r;
    std::vector<double> got;
    Numbers(row[alias.c_str()], &got);
    std::vector<double> expected = TensorNumbers(t);
    ASSERT_EQ(got.size(), expected.size()) << alias;
    for (size_t i = 0; i < got.size(); ++i) {
      // Floats are written so that they parse back to the same float.
      if (t.dtype() == DType::kFloat) {
        EXPECT_EQ(static_cast<float>(got[i]), static_cast<float>(expected[i])) << alias;
      } else {
        EXPECT_EQ(got[i], expected[i]) << alias;
      }
    }
  }
  // "Dispatch Taxi Affiliation" is line 1 of the company vocabulary.
  std::vector<double> company;
  Numbers(row["company_xf"], &company);
  EXPECT_EQ(company, std::vector<double>{1});
}

std::string PenguinExample(float a, float b, float c, float d) {
  tensorflow::Example ex;
  auto& f = *ex.mutable_features()->mutable_feature();
  f["body_mass_g"].mutable_float_list()->add_value(a);
  f["culmen_depth_mm"].mutable_float_list()->add_value(b);
  f["culmen_length_mm"].mutable_float_list()->add_value(c);
  f["flipper_length_mm"].mutable_float_list()->add_value(d);
  return ex.SerializeAsString();
}

TEST(TfxServeE2E, KerasExamplesRestPredictEqualsRun) {
  TFM_REQUIRE_TESTDATA();
  e2e::ServerProcess server;
  ASSERT_TRUE(StartServer(&server, Wild("tfx-chicago-taxi-keras"), "serve")) << server.Log();
  const std::vector<std::string> examples = {PenguinExample(0.5f, 0.4f, 0.3f, 0.6f),
                                             PenguinExample(0.1f, 0.9f, 0.2f, 0.1f)};
  const std::string body =
      absl::StrCat(R"({"instances": [{"b64": ")", absl::Base64Escape(examples[0]),
                   R"("}, {"b64": ")", absl::Base64Escape(examples[1]), R"("}]})");
  std::string r = Request(server.rest_port, "POST", "/v1/models/m:predict", body);
  ASSERT_TRUE(absl::StartsWith(r, "200 ")) << r;
  rapidjson::Document doc;
  doc.Parse(r.substr(4).c_str());
  ASSERT_FALSE(doc.HasParseError()) << r;
  std::vector<double> got;
  Numbers(doc["predictions"], &got);

  auto model = runtime::Model::LoadSavedModel(Wild("tfx-chicago-taxi-keras") + "/1");
  ASSERT_TRUE(model.ok()) << model.status();
  auto want = (*model)->RunSignature("serving_default",
                                     {{"examples", Tensor::FromVector<std::string>(examples)}});
  ASSERT_TRUE(want.ok()) << want.status();
  const Tensor& p = want->at("output_0");
  ASSERT_EQ(got.size(), static_cast<size_t>(p.NumElements())) << r;
  // JSON carries floats with up to 9 significant digits: they round-trip exactly.
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(static_cast<float>(got[i]), p.data<float>()[i]) << i;
  }
}

std::string TaxiExample() {
  tensorflow::Example ex;
  auto& f = *ex.mutable_features()->mutable_feature();
  f["company"].mutable_bytes_list()->add_value("Blue Ribbon Taxi Association Inc.");
  f["payment_type"].mutable_bytes_list()->add_value("Cash");
  for (const auto& [k, v] :
       std::vector<std::pair<std::string, float>>{{"trip_miles", 2.5f},
                                                  {"fare", 9.75f},
                                                  {"pickup_latitude", 41.9f},
                                                  {"pickup_longitude", -87.63f},
                                                  {"dropoff_latitude", 41.88f},
                                                  {"dropoff_longitude", -87.64f}}) {
    f[k].mutable_float_list()->add_value(v);
  }
  for (const auto& [k, v] :
       std::vector<std::pair<std::string, int64_t>>{{"trip_seconds", 720},
                                                    {"trip_start_hour", 9},
                                                    {"trip_start_day", 2},
                                                    {"trip_start_month", 4},
                                                    {"trip_start_timestamp", 1420000000},
                                                    {"pickup_census_tract", 17031839100},
                                                    {"dropoff_census_tract", 17031320100},
                                                    {"pickup_community_area", 8},
                                                    {"dropoff_community_area", 32}}) {
    f[k].mutable_int64_list()->add_value(v);
  }
  return ex.SerializeAsString();
}

// The Estimator's embedding and linear columns read their weights with ResourceGather.
TEST(TfxServeE2E, EstimatorRestPredictEqualsRun) {
  TFM_REQUIRE_TESTDATA();
  e2e::ServerProcess server;
  ASSERT_TRUE(StartServer(&server, Wild("tfx-chicago-taxi-estimator"), "serve")) << server.Log();
  const std::string example = TaxiExample();
  const std::string body = absl::StrCat(R"({"signature_name": "predict", "instances": [{"b64": ")",
                                        absl::Base64Escape(example), R"("}]})");
  std::string r = Request(server.rest_port, "POST", "/v1/models/m:predict", body);
  ASSERT_TRUE(absl::StartsWith(r, "200 ")) << r;
  rapidjson::Document doc;
  doc.Parse(r.substr(4).c_str());
  ASSERT_FALSE(doc.HasParseError()) << r;
  const auto& row = doc["predictions"][0];
  auto model = runtime::Model::LoadSavedModel(Wild("tfx-chicago-taxi-estimator") + "/1");
  ASSERT_TRUE(model.ok()) << model.status();
  auto want =
      (*model)->RunSignature("predict", {{"examples", Tensor::FromVector<std::string>({example})}});
  ASSERT_TRUE(want.ok()) << want.status();
  for (const char* alias : {"logits", "logistic", "probabilities"}) {
    std::vector<double> got;
    Numbers(row[alias], &got);
    const Tensor& t = want->at(alias);
    ASSERT_EQ(got.size(), static_cast<size_t>(t.NumElements())) << alias;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(static_cast<float>(got[i]), t.data<float>()[i]) << alias;
    }
  }
}

}  // namespace
}  // namespace tfmodel
