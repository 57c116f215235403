// GET .../example on the real binary with TensorFlow-made models: every generated example
// is POSTed back to the API it is for and must succeed.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "serve_e2e_util.h"
#include "test_util.h"

namespace tfmodel::e2e {
namespace {

using ::testing::HasSubstr;

// GETs the example `query` asks for, POSTs it to `verb` and expects both to answer 200;
// returns the answer to the POST.
std::string RoundTrip(const ServerProcess& p, const std::string& model_path,
                      const std::string& query, const std::string& verb) {
  HttpResult ex = Http(p.rest_port, "GET", absl::StrCat(model_path, "/example", query));
  EXPECT_EQ(ex.status, 200) << model_path << query << ": " << ex.body;
  EXPECT_THAT(ex.headers, HasSubstr("Content-Type: application/json"));
  HttpResult r = Http(p.rest_port, "POST", absl::StrCat(model_path, ":", verb), ex.body);
  EXPECT_EQ(r.status, 200) << model_path << query << " -> :" << verb << "\nexample: " << ex.body
                           << "\nanswer: " << r.body;
  return r.body;
}

std::string Get(const ServerProcess& p, const std::string& path, int want_status) {
  HttpResult r = Http(p.rest_port, "GET", path);
  EXPECT_EQ(r.status, want_status) << path << ": " << r.body;
  return r.body;
}

// Waits up to 30 s for a model of a running server to have an AVAILABLE version.
bool WaitAvailable(const ServerProcess& p, const std::string& status_path) {
  for (int i = 0; i < 300; ++i) {
    if (Http(p.rest_port, "GET", status_path).body.find("\"AVAILABLE\"") != std::string::npos) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

TEST(ModelDocsE2E, HalfPlusTwoExamplesRunOnEverySignature) {
  TFM_REQUIRE_TESTDATA();
  ServerProcess p;
  ASSERT_TRUE(p.Start({"--model_name=hp2", "--model_base_path=" + HalfPlusTwo()}, "/v1/models/hp2"))
      << p.ready_status << p.Log();
  // serving_default: x float [-1, 1] -> rows of one value.
  EXPECT_TRUE(JsonEq(Get(p, "/v1/models/hp2/example", 200), R"({"instances": [[0.0]]})"));
  EXPECT_TRUE(JsonEq(RoundTrip(p, "/v1/models/hp2", "", "predict"), R"({"predictions": [[2.0]]})"));
  // The version and label forms, and the ignore-case literal parts, as for /metadata.
  RoundTrip(p, "/v1/models/hp2/versions/123", "", "predict");
  RoundTrip(p, "/V1/Models/hp2/versions/123", "?signature_name=serving_default", "predict");
  // Classify and regress signatures parse tf.Examples with features x and x2: their
  // examples carry those, and each one runs as predict too (a serialized Example, b64).
  const std::string classify =
      Get(p, "/v1/models/hp2/example?signature_name=classify_x_to_y&method=classify", 200);
  EXPECT_TRUE(JsonEq(classify, R"({"signature_name": "classify_x_to_y",
                                  "examples": [{"x": 0.0, "x2": 0.0}]})"));
  EXPECT_TRUE(JsonEq(
      RoundTrip(p, "/v1/models/hp2", "?signature_name=classify_x_to_y&method=classify", "classify"),
      R"({"results": [[["", 2.0]]]})"));
  EXPECT_TRUE(JsonEq(
      RoundTrip(p, "/v1/models/hp2", "?signature_name=regress_x_to_y&method=regress", "regress"),
      R"({"results": [2.0]})"));
  EXPECT_TRUE(JsonEq(
      RoundTrip(p, "/v1/models/hp2", "?signature_name=regress_x_to_y2&method=regress", "regress"),
      R"({"results": [3.0]})"));
  for (const char* sig :
       {"classify_x_to_y", "regress_x_to_y", "regress_x_to_y2", "regress_x2_to_y3"}) {
    RoundTrip(p, "/v1/models/hp2", absl::StrCat("?signature_name=", sig), "predict");
  }

  // Errors: as /metadata for an unknown model or version; 400 naming model and signature.
  HttpResult want = Http(p.rest_port, "GET", "/v1/models/nope/metadata");
  HttpResult got = Http(p.rest_port, "GET", "/v1/models/nope/example");
  EXPECT_EQ(got.status, 404);
  EXPECT_EQ(got.body, want.body);
  want = Http(p.rest_port, "GET", "/v1/models/hp2/versions/7/metadata");
  got = Http(p.rest_port, "GET", "/v1/models/hp2/versions/7/example");
  EXPECT_EQ(got.status, want.status);
  EXPECT_EQ(got.body, want.body);
  EXPECT_THAT(Get(p, "/v1/models/hp2/example?signature_name=nope", 400),
              HasSubstr("Serving signature name: \\\"nope\\\" not found in signature def of "
                        "model \\\"hp2\\\" version 123 (its signatures: classify_x_to_y, "));
  EXPECT_THAT(Get(p, "/v1/models/hp2/example?method=classify", 400),
              HasSubstr("Signature \\\"serving_default\\\" has method_name "
                        "\\\"tensorflow/serving/predict\\\", not tensorflow/serving/classify"));
  EXPECT_THAT(Get(p, "/v1/models/hp2/example?signature_name=regress_x2_to_y3&method=regress", 400),
              HasSubstr("does not take a serialized tf.Example"));
  EXPECT_THAT(Get(p, "/v1/models/hp2/example?method=explain", 400),
              HasSubstr("Unknown method \\\"explain\\\""));
  // Other methods on these paths stay malformed requests; the server keeps serving.
  EXPECT_EQ(Http(p.rest_port, "POST", "/v1/models/hp2/example", "{}").status, 400);
  RoundTrip(p, "/v1/models/hp2", "", "predict");
}

TEST(ModelDocsE2E, KerasMultiInputAndTemplateApplication) {
  TFM_REQUIRE_TESTDATA();
  ServerProcess p;
  const std::string config =
      WriteConfig(absl::StrCat("model_config_list {\n"
                               "  config { name: 'multi' base_path: '",
                               testing::Testdata("wild/cppflow-multi-io-keras"),
                               "' model_platform: 'tensorflow' }\n"
                               "  config { name: 'template' base_path: '",
                               testing::Testdata("stfs/tensorflow_template_application_model"),
                               "' model_platform: 'tensorflow' }\n"
                               "}\n"));
  ASSERT_TRUE(p.Start({"--model_config_file=" + config}, "/v1/models/multi"))
      << p.ready_status << p.Log();
  ASSERT_TRUE(WaitAvailable(p, "/v1/models/template")) << p.Log();
  // Two float [-1, 5] inputs: rows of named inputs.
  EXPECT_TRUE(JsonEq(Get(p, "/v1/models/multi/example", 200), R"({"instances": [
      {"my_input_1": [0.0, 1.0, 0.0, 1.0, 0.0], "my_input_2": [0.0, 1.0, 0.0, 1.0, 0.0]}]})"));
  const std::string answer = RoundTrip(p, "/v1/models/multi", "", "predict");
  rapidjson::Document doc;
  doc.Parse(answer.c_str());
  ASSERT_TRUE(doc.IsObject()) << answer;
  ASSERT_TRUE(doc["predictions"].IsArray()) << answer;
  EXPECT_EQ(doc["predictions"].Size(), 1u);
  EXPECT_TRUE(doc["predictions"][0].HasMember("my_outputs_1")) << answer;
  EXPECT_TRUE(doc["predictions"][0].HasMember("my_outputs_2")) << answer;
  // features float [-1, 9] and keys int32 [-1, 1] (version 2, whose method is predict).
  EXPECT_TRUE(JsonEq(Get(p, "/v1/models/template/example", 200), R"({"instances": [
      {"features": [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0], "keys": [0]}]})"));
  RoundTrip(p, "/v1/models/template", "", "predict");
  EXPECT_THAT(Get(p, "/v1/models/template/example?method=classify", 400),
              HasSubstr("Model \\\"template\\\" version 2: Signature \\\"serving_default\\\" has "
                        "method_name \\\"tensorflow/serving/predict\\\", not "
                        "tensorflow/serving/classify"));
}

TEST(ModelDocsE2E, StringExampleInputs) {
  TFM_REQUIRE_TESTDATA();
  ServerProcess p;
  const std::string config =
      WriteConfig(absl::StrCat("model_config_list {\n"
                               "  config { name: 'estimator' base_path: '",
                               testing::Testdata("stfs/tensorflow_estimator_model"),
                               "' model_platform: 'tensorflow' }\n"
                               "  config { name: 'taxi' base_path: '",
                               testing::Testdata("wild/tfx-chicago-taxi-keras"),
                               "' model_platform: 'tensorflow' }\n"
                               "}\n"));
  ASSERT_TRUE(p.Start({"--model_config_file=" + config}, "/v1/models/estimator"))
      << p.ready_status << p.Log();
  // A TF1 estimator: ParseExample of sparse string "a" and dense float "b" [1].
  EXPECT_TRUE(JsonEq(Get(p, "/v1/models/estimator/example?method=classify", 200),
                     R"({"examples": [{"a": "", "b": 0.0}]})"));
  const std::string classified =
      RoundTrip(p, "/v1/models/estimator", "?method=classify", "classify");
  EXPECT_THAT(classified, HasSubstr("\"results\""));
  RoundTrip(p, "/v1/models/estimator", "", "predict");
  RoundTrip(p, "/v1/models/estimator", "?signature_name=default_input_alternative:None", "predict");
  // A TF2 TFX Keras model: ParseExampleV2 inside the serving function; the predict example
  // carries a serialized tf.Example with its features, which the model runs.
  ASSERT_TRUE(WaitAvailable(p, "/v1/models/taxi")) << p.Log();
  const std::string taxi = Get(p, "/v1/models/taxi/example", 200);
  EXPECT_THAT(taxi, HasSubstr("\"b64\""));
  const std::string answer = RoundTrip(p, "/v1/models/taxi", "", "predict");
  EXPECT_THAT(answer, HasSubstr("\"predictions\""));
}

}  // namespace
}  // namespace tfmodel::e2e
