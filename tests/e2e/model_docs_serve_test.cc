// GET .../example and .../openapi.json on the real binary with TensorFlow-made models:
// every generated example is POSTed back to the API it is for and must succeed; the
// OpenAPI documents pass a real validator (swagger-parser, pinned in
// tests/e2e/openapi/package-lock.json) and their request examples match their schemas.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "serve_e2e_util.h"
#include "test_util.h"

namespace tfmodel::e2e {
namespace {

using ::testing::HasSubstr;

const std::string kOpenApiDir = JoinPath(TFMODEL_SOURCE_DIR, "tests/e2e/openapi");

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

// Runs the validator (tests/e2e/openapi/validate.mjs) on files; its output and exit code.
testing::CommandResult Validate(const std::vector<std::string>& files) {
  std::string cmd = absl::StrCat("node ", testing::Quote(JoinPath(kOpenApiDir, "validate.mjs")));
  for (const auto& f : files) absl::StrAppend(&cmd, " ", testing::Quote(f));
  return testing::RunCommand(cmd + " 2>&1");
}

TEST(ModelDocsE2E, OpenApiDocumentsPassAValidator) {
  TFM_REQUIRE_TESTDATA();
  std::string why;
  const bool installed = NpmCiOnce(kOpenApiDir, &why);
  TFM_SKIP_WITHOUT_NODE(installed, why);
  ServerProcess p;
  const std::vector<std::pair<std::string, std::string>> models = {
      {"hp2", HalfPlusTwo()},
      {"multi", testing::Testdata("wild/cppflow-multi-io-keras")},
      {"template", testing::Testdata("stfs/tensorflow_template_application_model")},
      {"estimator", testing::Testdata("stfs/tensorflow_estimator_model")},
      {"taxi", testing::Testdata("wild/tfx-chicago-taxi-keras")}};
  std::string config = "model_config_list {\n";
  for (const auto& [name, path] : models) {
    absl::StrAppend(&config, "  config { name: '", name, "' base_path: '", path,
                    "' model_platform: 'tensorflow' }\n");
  }
  config += "}\n";
  ASSERT_TRUE(p.Start({"--model_config_file=" + WriteConfig(config)}, "/v1/models/hp2"))
      << p.ready_status << p.Log();
  std::vector<std::string> files;
  std::string hp2_doc;
  for (const auto& [name, path] : models) {
    ASSERT_TRUE(WaitAvailable(p, "/v1/models/" + name)) << name << p.Log();
    for (const std::string& prefix :
         {absl::StrCat("/v1/models/", name), absl::StrCat("/v1/models/", name, "/labels/stable")}) {
      HttpResult r = Http(p.rest_port, "GET", prefix + "/openapi.json");
      if (prefix.find("/labels/") != std::string::npos) {
        // No labels are configured: the same error as /metadata gives.
        EXPECT_EQ(r.status, Http(p.rest_port, "GET", prefix + "/metadata").status) << r.body;
        continue;
      }
      ASSERT_EQ(r.status, 200) << r.body;
      const std::string file =
          JoinPath(testing::TempDir(), absl::StrCat("openapi_", name, ".json"));
      ASSERT_TRUE(WriteStringToFile(file, r.body).ok());
      files.push_back(file);
      if (name == "hp2") hp2_doc = r.body;
    }
  }
  // A versioned document: its paths carry the version.
  HttpResult versioned = Http(p.rest_port, "GET", "/v1/models/hp2/versions/123/openapi.json");
  ASSERT_EQ(versioned.status, 200) << versioned.body;
  EXPECT_THAT(versioned.body, HasSubstr("\"/v1/models/hp2/versions/123:predict\""));
  const std::string versioned_file = JoinPath(testing::TempDir(), "openapi_hp2_123.json");
  ASSERT_TRUE(WriteStringToFile(versioned_file, versioned.body).ok());
  files.push_back(versioned_file);

  auto r = Validate(files);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (const auto& f : files) EXPECT_THAT(r.output, HasSubstr("valid " + f)) << r.output;
  // hp2: predict on 5 signatures, classify on 1, regress on 3 (all with examples but
  // regress_x2_to_y3, whose input is no tf.Example).
  EXPECT_THAT(r.output, HasSubstr("Model hp2 (tfmodel serve), 6 paths, 8 request examples"));
  EXPECT_THAT(hp2_doc, HasSubstr("\"/v1/models/hp2:classify\""));

  // The validator is not a rubber stamp: a document without "info", and one whose example
  // does not fit its schema, are rejected.
  rapidjson::Document doc;
  doc.Parse(hp2_doc.c_str());
  ASSERT_TRUE(doc.IsObject());
  doc.RemoveMember("info");
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  doc.Accept(w);
  const std::string no_info = JoinPath(testing::TempDir(), "openapi_no_info.json");
  ASSERT_TRUE(WriteStringToFile(no_info, buf.GetString()).ok());
  std::string bad_example_text = hp2_doc;
  const std::string good = "\"instances\": [[0.0]]";
  const size_t at = bad_example_text.find(good);
  ASSERT_NE(at, std::string::npos) << hp2_doc;
  bad_example_text.replace(at, good.size(), "\"instances\": [[\"zero\"]]");
  const std::string bad_example = JoinPath(testing::TempDir(), "openapi_bad_example.json");
  ASSERT_TRUE(WriteStringToFile(bad_example, bad_example_text).ok());
  r = Validate({no_info, bad_example});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("INVALID " + no_info));
  EXPECT_THAT(r.output, HasSubstr("INVALID " + bad_example));
  EXPECT_THAT(r.output, HasSubstr("does not match the request schema"));
}

}  // namespace
}  // namespace tfmodel::e2e
