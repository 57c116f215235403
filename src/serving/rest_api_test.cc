// Manager + REST handler tests over a fake model (no executor needed): TF Serving's
// http_rest_api_handler_test cases, version policies, labels, reloads, warmup.
#include "serving/rest_api.h"

#include <filesystem>
#include <thread>

#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "core/file_util.h"
#include "fake_half_plus_two_model.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "serving/grpc_service.h"
#include "serving/manager.h"
#include "serving/source.h"
#include "tensorflow_serving/apis/prediction_log.pb.h"
#include "test_util.h"

namespace tfmodel::serving {
namespace {

using ::testing::HasSubstr;

// A base path with version folders; the fake loader makes version v compute
// y = 0.5 x + (v - 121) so responses reveal which version answered.
struct Fixture {
  std::string base = testing::TempDir();
  std::vector<std::string> logs;
  std::atomic<int> loads{0};
  std::set<std::string> failing;  // folder names whose load fails

  void AddVersion(const std::string& folder) {
    std::filesystem::create_directories(JoinPath(base, folder));
  }
  ManagerOptions Options() {
    ManagerOptions o;
    o.file_system_poll_wait_seconds = 0;
    o.max_num_load_retries = 1;
    o.load_retry_interval_micros = 1000;
    o.loader = [this](const std::string& dir) -> absl::StatusOr<std::unique_ptr<runtime::Model>> {
      ++loads;
      const std::string folder = Basename(dir);
      if (failing.count(folder)) return absl::DataLossError("cannot read " + dir);
      const float b = static_cast<float>(std::stoll(folder) - 121);
      return std::unique_ptr<runtime::Model>(new testing::FakeHalfPlusTwoModel(0.5f, b));
    };
    o.log = [this](const std::string& l) { logs.push_back(l); };
    return o;
  }
  tensorflow::serving::ModelServerConfig Config(const std::string& extra = "") {
    tensorflow::serving::ModelServerConfig c;
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
        "model_config_list { config { name: 'm' base_path: '" + base + "' " + extra + " } }", &c));
    return c;
  }
};

void ExpectJsonEq(const std::string& got, const std::string& want) {
  rapidjson::Document a, b;
  a.Parse<rapidjson::kParseNanAndInfFlag>(got.c_str());
  b.Parse<rapidjson::kParseNanAndInfFlag>(want.c_str());
  ASSERT_FALSE(a.HasParseError()) << got;
  ASSERT_FALSE(b.HasParseError()) << want;
  EXPECT_TRUE(a == b) << "got: " << got << "\nwant: " << want;
}

HttpResponse Call(const RestApiHandler& h, const std::string& method, const std::string& path,
                  const std::string& body = "") {
  HttpRequest r;
  r.method = method;
  r.target = path;
  r.body = body;
  return h.Handle(r);
}

TEST(SourceTest, VersionsAndPolicies) {
  Fixture f;
  f.AddVersion("00000123");
  f.AddVersion("124");
  f.AddVersion("not_a_version");
  f.AddVersion("-3");
  TFM_ASSERT_OK_AND_ASSIGN(auto present, ListVersions(f.base));
  ASSERT_EQ(present.size(), 2u);
  EXPECT_EQ(present.begin()->first, 123);
  VersionPolicy p;
  EXPECT_EQ(AspiredVersions(p, present), std::vector<int64_t>({124}));
  p.mutable_latest()->set_num_versions(2);
  EXPECT_EQ(AspiredVersions(p, present), std::vector<int64_t>({123, 124}));
  p.mutable_all();
  EXPECT_EQ(AspiredVersions(p, present), std::vector<int64_t>({123, 124}));
  p.mutable_specific()->add_versions(123);
  p.mutable_specific()->add_versions(999);
  EXPECT_EQ(AspiredVersions(p, present), std::vector<int64_t>({123}));
  EXPECT_EQ(ListVersions(f.base + "/missing").status().code(), absl::StatusCode::kNotFound);
}

TEST(SourceTest, ConfigParsing) {
  auto bad = ParseModelServerConfig("improperly formatted file");
  EXPECT_THAT(bad.status().message(),
              HasSubstr("Error parsing text-format tensorflow.serving.ModelServerConfig"));
  auto dup = ParseModelServerConfig(
      "model_config_list { config { name: 'a' base_path: '/x' } config { name: 'a' base_path: "
      "'/y' } }");
  EXPECT_THAT(dup.status().message(), HasSubstr("multiple times"));
  auto label = ParseModelServerConfig(
      "model_config_list { config { name: 'a' base_path: '/x' version_labels { key: 'a-b' "
      "value: 1 } } }");
  EXPECT_THAT(label.status().message(), HasSubstr("Invalid version label: 'a-b'"));
  TFM_REQUIRE_TESTDATA();
  TFM_ASSERT_OK_AND_ASSIGN(std::string text,
                           ReadFileToString(testing::Testdata("tf_serving/good_model_config.txt")));
  TFM_ASSERT_OK_AND_ASSIGN(auto good, ParseModelServerConfig(text));
  ASSERT_EQ(good.model_config_list().config_size(), 2);
  EXPECT_EQ(good.model_config_list().config(1).name(), "half_plus_three");
}

TEST(SourceTest, TFRecordRoundTripAndCorruption) {
  const std::string path = JoinPath(testing::TempDir(), "recs");
  TFM_ASSERT_OK(WriteStringToFile(path, EncodeTFRecords({"abc", "", "hello"})));
  TFM_ASSERT_OK_AND_ASSIGN(auto recs, ReadTFRecords(path, 1000));
  EXPECT_EQ(recs, std::vector<std::string>({"abc", "", "hello"}));
  TFM_ASSERT_OK_AND_ASSIGN(recs, ReadTFRecords(path, 2));
  EXPECT_EQ(recs.size(), 2u);
  std::string data = EncodeTFRecords({"abc"});
  data[13] ^= 1;
  TFM_ASSERT_OK(WriteStringToFile(path, data));
  EXPECT_EQ(ReadTFRecords(path, 10).status().code(), absl::StatusCode::kDataLoss);
  TFM_ASSERT_OK(WriteStringToFile(path, data.substr(0, 5)));
  EXPECT_EQ(ReadTFRecords(path, 10).status().code(), absl::StatusCode::kDataLoss);
}

class RestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    f_.AddVersion("123");
    f_.AddVersion("124");
    manager_ = std::make_unique<ServableManager>(f_.Options());
    TFM_ASSERT_OK(manager_->ReloadConfig(f_.Config(
        "model_version_policy { all {} } version_labels { key: 'Version_Label' value: 123 }")));
    handler_ = std::make_unique<RestApiHandler>(manager_.get(), &metrics_, RestOptions{});
  }
  Fixture f_;
  Metrics metrics_;
  std::unique_ptr<ServableManager> manager_;
  std::unique_ptr<RestApiHandler> handler_;
};

TEST_F(RestTest, Predict) {
  auto r = Call(*handler_, "POST", "/v1/models/m:predict", R"({"instances": [[1,2],[3,4]]})");
  EXPECT_EQ(r.status, 200);
  ExpectJsonEq(r.body, R"({"predictions": [[3.5, 4.0], [4.5, 5.0]]})");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0],
            std::make_pair(std::string("Content-Type"), std::string("application/json")));
  r = Call(*handler_, "POST", "/v1/models/m/versions/123:predict",
           R"({"instances": [[1,2],[3,4]]})");
  ExpectJsonEq(r.body, R"({"predictions": [[2.5, 3.0], [3.5, 4.0]]})");
  r = Call(*handler_, "POST", "/v1/models/m/labels/Version_Label:predict",
           R"({"signature_name": "serving_default", "instances": [[1,2],[3,4]]})");
  ExpectJsonEq(r.body, R"({"predictions": [[2.5, 3.0], [3.5, 4.0]]})");
  r = Call(*handler_, "POST", "/v1/models/m/versions/123:predict", R"({"inputs": [3.0, 4.0]})");
  ExpectJsonEq(r.body, R"({"outputs": [3.5, 4.0]})");
  r = Call(*handler_, "POST", "/V1/MODELS/m:PREDICT", R"({"inputs": {"x": [1.0]}})");
  EXPECT_EQ(r.status, 200) << r.body;
  // Bytes outputs are b64-wrapped; int64 passes through.
  r = Call(
      *handler_, "POST", "/v1/models/m:predict",
      R"({"signature_name": "echo_bytes", "instances": [{"s_bytes": {"b64": "aGk="}, "n": 7}]})");
  ExpectJsonEq(r.body, R"({"predictions": [{"s_bytes": {"b64": "aGk="}, "n": 7}]})");
}

TEST_F(RestTest, PredictErrors) {
  struct Case {
    std::string path, body;
    int status;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"/v1/models/m:predict", "", 400, "JSON Parse error: The document is empty"},
      {"/v1/models/m:predict", "instances = [1, 2]", 400, "JSON Parse error: Invalid value"},
      {"/v1/models/m:predict", R"({"instances": ["x", "y"]})", 400, "not of expected type: float"},
      {"/v1/models/m:predict", R"({"signature_name": 100, "instances": [1]})", 400,
       "'signature_name' key must be a string value."},
      {"/v1/models/m:predict", R"({"signature_name": "nope", "instances": [1]})", 400,
       R"(Serving signature name: \"nope\" not found in signature def)"},
      {"/v1/models/m/labels/nope:predict", R"({"instances": [1]})", 400,
       "Unrecognized servable version label: nope"},
      {"/v1/models/other:predict", R"({"instances": [1]})", 404,
       "Servable not found for request: Latest(other)"},
      {"/v1/models/m/versions/999:predict", R"({"instances": [1]})", 404,
       "Servable not found for request: Specific(m, 999)"},
      {"/v1/models/m:predict", R"({"instances": [[1], [2, 3]]})", 400, "Expecting tensor size"},
  };
  for (const auto& c : cases) {
    auto r = Call(*handler_, "POST", c.path, c.body);
    EXPECT_EQ(r.status, c.status) << c.path << " " << c.body << " -> " << r.body;
    EXPECT_THAT(r.body, HasSubstr(c.message)) << c.body;
    EXPECT_THAT(r.body, HasSubstr("\"error\": ")) << c.body;
  }
}

TEST_F(RestTest, UnsupportedApiCalls) {
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"GET", "/v1/foo", "Malformed request: GET /v1/foo"},
      {"POST", "/v1/foo", "Malformed request"},
      {"GET", "/v1/models", "Missing model name in request."},
      {"GET", "/v1/models/debug/model_name", "Malformed request"},
      {"POST", "/v1/models", "Malformed request"},
      {"GET", "/v1/models/m:predict", "Malformed request"},
      {"POST", "/v1/models/m/version/50:predict", "Malformed request"},
      {"POST", "/v1/models/m/versions/HELLO:regress", "Malformed request"},
      {"POST", "/v1/models/m/versions/18446744073709551615:regress",
       "Failed to convert version: 18446744073709551615"},
      {"POST", "/v1/models/m/metadata", "Malformed request"},
      {"POST", "/v1/models/m/label/x:regress", "Malformed request"},
      {"POST", "/v1/models/m/versions/50/labels/x:regress", "Malformed request"},
      {"POST", "/v1/models/m/versions/some_label:regress", "Malformed request"},
      {"PUT", "/v1/models/m:predict", "Malformed request: PUT /v1/models/m:predict"},
  };
  for (const auto& [method, path, msg] : cases) {
    auto r = Call(*handler_, method, path);
    EXPECT_EQ(r.status, 400) << method << " " << path;
    EXPECT_THAT(r.body, HasSubstr(msg)) << method << " " << path;
  }
  EXPECT_EQ(Call(*handler_, "GET", "/statuspage").status, 404);
  auto h = Call(*handler_, "GET", "/health");
  EXPECT_EQ(h.body, "healthy");
  // TF Serving's full text; request parts quoted in errors are bounded.
  EXPECT_THAT(Call(*handler_, "POST", "/v1/models/m/versions/99999999999999999999:predict").body,
              HasSubstr("Failed to convert version: 99999999999999999999 to numeric."));
  const std::string long_name(100000, 'n');
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/v1/" + long_name},
           {"POST", "/v1/models/" + long_name + ":predict"},
           {"GET", "/v1/models/" + long_name},
           {"POST", "/v1/models/m/labels/" + long_name + ":predict"},
           {"POST", "/v1/models/m/versions/" + std::string(5000, '9') + ":predict"}}) {
    auto r = Call(*handler_, method, path, R"({"instances": [1]})");
    EXPECT_GE(r.status, 400);
    EXPECT_LT(r.body.size(), 1024u) << r.body.substr(0, 200);
    EXPECT_THAT(r.body, HasSubstr("...")) << r.body.substr(0, 200);
  }
}

TEST_F(RestTest, CorsPreflightAsTfServing) {
  auto options = [&](const RestApiHandler& h, const std::string& origin) {
    HttpRequest r;
    r.method = "OPTIONS";
    r.target = "/v1/models/m:predict";
    if (!origin.empty()) r.headers.emplace_back("origin", origin);
    return h.Handle(r);
  };
  auto has_cors = [](const HttpResponse& r) {
    for (const auto& [k, v] : r.headers) {
      if (k == "Access-Control-Allow-Origin") return v == "*";
    }
    return false;
  };
  // Without --rest_api_enable_cors_support the preflight is still answered (200, empty),
  // only without Access-Control-* headers.
  auto r = options(*handler_, "https://app.example.com");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  EXPECT_FALSE(has_cors(r));
  r = options(*handler_, "");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("Origin"));
  r = options(*handler_, "file://x");
  EXPECT_EQ(r.status, 400);
  RestOptions o;
  o.enable_cors = true;
  RestApiHandler cors(manager_.get(), &metrics_, o);
  r = options(cors, "http://localhost:3000");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(has_cors(r));
  std::vector<std::pair<std::string, std::string>> want = {
      {"Access-Control-Allow-Origin", "*"},
      {"Access-Control-Allow-Methods", "POST, GET"},
      {"Access-Control-Allow-Headers", "Content-Type"}};
  EXPECT_EQ(r.headers, want);
  r = options(cors, "");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(has_cors(r));
  // Outside /v1/ OPTIONS is not a REST API call.
  HttpRequest other;
  other.method = "OPTIONS";
  other.target = "/healthz";
  EXPECT_EQ(cors.Handle(other).status, 404);
}

TEST_F(RestTest, HealthAndReadiness) {
  auto r = Call(*handler_, "GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok");
  r = Call(*handler_, "GET", "/readyz");
  EXPECT_EQ(r.status, 200);
  ExpectJsonEq(r.body, R"({"ready": true, "models_not_ready": {}})");
  EXPECT_EQ(Call(*handler_, "POST", "/readyz").status, 404);
  EXPECT_EQ(Call(*handler_, "GET", "/readyz/m").status, 404);

  // A second model with no version yet, a third whose only version fails to load.
  Fixture g;
  g.failing.insert("7");
  const std::string empty_base = JoinPath(g.base, "empty");
  const std::string bad_base = JoinPath(g.base, "bad");
  std::filesystem::create_directories(empty_base);
  std::filesystem::create_directories(JoinPath(bad_base, "7"));
  tensorflow::serving::ModelServerConfig c = f_.Config("model_version_policy { all {} }");
  auto* e = c.mutable_model_config_list()->add_config();
  e->set_name("empty");
  e->set_base_path(empty_base);
  auto* b = c.mutable_model_config_list()->add_config();
  b->set_name("bad");
  b->set_base_path(bad_base);
  ManagerOptions mo = g.Options();
  mo.loader = [&](const std::string& dir) -> absl::StatusOr<std::unique_ptr<runtime::Model>> {
    if (Basename(dir) == "7") return absl::DataLossError("cannot read " + dir);
    return std::unique_ptr<runtime::Model>(new testing::FakeHalfPlusTwoModel());
  };
  ServableManager m(mo);
  TFM_ASSERT_OK(m.ReloadConfig(c));
  RestApiHandler h(&m, &metrics_, RestOptions{});
  r = Call(h, "GET", "/readyz");
  EXPECT_EQ(r.status, 503);
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_FALSE(d["ready"].GetBool());
  const auto& not_ready = d["models_not_ready"];
  EXPECT_FALSE(not_ready.HasMember("m"));
  ASSERT_TRUE(not_ready.HasMember("empty")) << r.body;
  EXPECT_THAT(not_ready["empty"].GetString(), HasSubstr("no version under base path"));
  ASSERT_TRUE(not_ready.HasMember("bad")) << r.body;
  EXPECT_THAT(not_ready["bad"].GetString(), HasSubstr("version 7 END (DATA_LOSS: cannot read"));
  EXPECT_EQ(Call(h, "GET", "/healthz").status, 200);
  // Once the empty model gets a version and the bad one a good version, all are ready.
  std::filesystem::create_directories(JoinPath(empty_base, "1"));
  std::filesystem::create_directories(JoinPath(bad_base, "8"));
  m.PollAll();
  r = Call(h, "GET", "/readyz");
  EXPECT_EQ(r.status, 200) << r.body;
  // No models at all is not ready.
  ServableManager none(g.Options());
  RestApiHandler hn(&none, &metrics_, RestOptions{});
  r = Call(hn, "GET", "/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_THAT(r.body, HasSubstr("no models are configured"));
}

TEST_F(RestTest, RegressAndClassify) {
  auto r = Call(*handler_, "POST", "/v1/models/m:regress",
                R"({"signature_name": "regress_x_to_y", "examples": [{"x": 80.0}]})");
  EXPECT_EQ(r.status, 200);
  ExpectJsonEq(r.body, R"({"results": [43.0]})");
  r = Call(*handler_, "POST", "/v1/models/m/versions/123:regress",
           R"({"signature_name": "regress_x_to_y", "examples": [{"x": 80.0}]})");
  ExpectJsonEq(r.body, R"({"results": [42.0]})");
  r = Call(*handler_, "POST", "/v1/models/m/labels/Version_Label:classify",
           R"({"signature_name": "classify_x_to_y", "examples": [{"x": 20.0}]})");
  ExpectJsonEq(r.body, R"({"results": [[["", 12.0]]]})");
  // Context features merge into each example.
  r = Call(
      *handler_, "POST", "/v1/models/m/versions/123:classify",
      R"({"signature_name": "classify_x_to_y", "context": {"x": 10.0}, "examples": [{}, {"x": 2.0}]})");
  ExpectJsonEq(r.body, R"({"results": [[["", 7.0]], [["", 3.0]]]})");
  r = Call(*handler_, "POST", "/v1/models/m:classify", R"({"examples": [{"x": 1.0}]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("No classification inputs found in SignatureDef: serving_default"));
  r = Call(*handler_, "POST", "/v1/models/m:regress",
           R"({"signature_name": "serving_default", "examples": [{"x": 1.0}]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("No regression inputs found in SignatureDef"));
}

TEST_F(RestTest, StatusAndMetadata) {
  auto r = Call(*handler_, "GET", "/v1/models/m");
  EXPECT_EQ(r.status, 200);
  ExpectJsonEq(r.body, R"({"model_version_status": [
      {"version": "124", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}},
      {"version": "123", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]})");
  r = Call(*handler_, "GET", "/v1/models/m/versions/123");
  ExpectJsonEq(r.body, R"({"model_version_status": [
      {"version": "123", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]})");
  r = Call(*handler_, "GET", "/v1/models/m/labels/Version_Label");
  ExpectJsonEq(r.body, R"({"model_version_status": [
      {"version": "123", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]})");
  r = Call(*handler_, "GET", "/v1/models/m/versions/5");
  EXPECT_EQ(r.status, 404);
  EXPECT_THAT(r.body, HasSubstr("Could not find version 5 of model m"));
  r = Call(*handler_, "GET", "/v1/models/zz");
  EXPECT_THAT(r.body, HasSubstr("Could not find any versions of model zz"));
  r = Call(*handler_, "GET", "/v1/models/m/versions/123/metadata");
  EXPECT_EQ(r.status, 200) << r.body;
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  ASSERT_FALSE(d.HasParseError()) << r.body;
  EXPECT_STREQ(d["model_spec"]["name"].GetString(), "m");
  EXPECT_STREQ(d["model_spec"]["version"].GetString(), "123");
  EXPECT_STREQ(d["model_spec"]["signature_name"].GetString(), "");
  const auto& sig = d["metadata"]["signature_def"]["signature_def"]["serving_default"];
  EXPECT_STREQ(sig["method_name"].GetString(), "tensorflow/serving/predict");
  EXPECT_STREQ(sig["inputs"]["x"]["dtype"].GetString(), "DT_FLOAT");
  EXPECT_TRUE(sig["defaults"].IsObject());
}

TEST_F(RestTest, MetricsAndCors) {
  Call(*handler_, "POST", "/v1/models/m:predict", R"({"instances": [1]})");
  RestOptions o;
  o.prometheus_path = "/monitoring/prometheus/metrics";
  o.enable_cors = true;
  RestApiHandler h(manager_.get(), &metrics_, o);
  auto r = Call(h, "GET", "/monitoring/prometheus/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("# TYPE"));
  EXPECT_THAT(r.body,
              HasSubstr(":tensorflow:serving:request_count{model_name=\"m\",status=\"OK\"} 1"));
  r = Call(h, "GET", "/v1/models/m");
  bool cors = false;
  for (const auto& [k, v] : r.headers) cors |= k == "Access-Control-Allow-Origin" && v == "*";
  EXPECT_TRUE(cors);
}

TEST(ManagerTest, LatestPolicyLoadsNewBeforeUnloadingOld) {
  Fixture f;
  f.AddVersion("123");
  ServableManager m(f.Options());
  TFM_ASSERT_OK(m.ReloadConfig(f.Config()));
  tensorflow::serving::ModelSpec spec;
  spec.set_name("m");
  TFM_ASSERT_OK_AND_ASSIGN(auto held, m.GetServable(spec));
  EXPECT_EQ(held->version(), 123);
  f.AddVersion("124");
  m.PollAll();
  TFM_ASSERT_OK_AND_ASSIGN(auto now, m.GetServable(spec));
  EXPECT_EQ(now->version(), 124);
  // The old version was unloaded, but the request holding it can still run.
  spec.mutable_version()->set_value(123);
  EXPECT_EQ(m.GetServable(spec).status().message(),
            "Servable not found for request: Specific(m, 123)");
  auto out = held->RunPredict("", {{"x", Tensor::FromVector<float>({2.0f}, TensorShape{1, 1})}});
  TFM_ASSERT_OK(out.status());
  EXPECT_EQ(out->at("y").data<float>()[0], 3.0f);
  tensorflow::serving::GetModelStatusRequest req;
  req.mutable_model_spec()->set_name("m");
  tensorflow::serving::GetModelStatusResponse resp;
  TFM_ASSERT_OK(m.GetModelStatus(req, &resp));
  ASSERT_EQ(resp.model_version_status_size(), 2);
  EXPECT_EQ(resp.model_version_status(0).state(),
            tensorflow::serving::ModelVersionStatus::AVAILABLE);
  EXPECT_EQ(resp.model_version_status(1).state(), tensorflow::serving::ModelVersionStatus::END);
  EXPECT_THAT(absl::StrJoin(f.logs, "\n"),
              HasSubstr("Successfully loaded servable version {name: m version: 124}"));
  EXPECT_THAT(absl::StrJoin(f.logs, "\n"),
              HasSubstr("Successfully unloaded servable version {name: m version: 123}"));
  // Removing the newest version brings the older one back.
  std::filesystem::remove_all(JoinPath(f.base, "124"));
  m.PollAll();
  spec.clear_version();
  TFM_ASSERT_OK_AND_ASSIGN(now, m.GetServable(spec));
  EXPECT_EQ(now->version(), 123);
  EXPECT_EQ(m.GetModelStatus(tensorflow::serving::GetModelStatusRequest(), &resp).message(),
            "Missing ModelSpec");
}

TEST(ManagerTest, FailedLoadIsRecordedAndRetried) {
  Fixture f;
  f.AddVersion("123");
  f.AddVersion("124");
  f.failing.insert("124");
  ManagerOptions o = f.Options();
  o.max_num_load_retries = 2;
  ServableManager m(o);
  TFM_ASSERT_OK(m.ReloadConfig(f.Config("model_version_policy { all {} }")));
  EXPECT_EQ(f.loads.load(), 1 + 3);
  tensorflow::serving::GetModelStatusRequest req;
  req.mutable_model_spec()->set_name("m");
  req.mutable_model_spec()->mutable_version()->set_value(124);
  tensorflow::serving::GetModelStatusResponse resp;
  TFM_ASSERT_OK(m.GetModelStatus(req, &resp));
  ASSERT_EQ(resp.model_version_status_size(), 1);
  EXPECT_EQ(resp.model_version_status(0).state(), tensorflow::serving::ModelVersionStatus::END);
  EXPECT_EQ(resp.model_version_status(0).status().error_code(), tensorflow::error::DATA_LOSS);
  EXPECT_THAT(resp.model_version_status(0).status().error_message(), HasSubstr("cannot read"));
  // Failed versions are not retried on every poll.
  m.PollAll();
  EXPECT_EQ(f.loads.load(), 4);
}

TEST(ManagerTest, ConfigReloadAndLabels) {
  Fixture f;
  f.AddVersion("123");
  ServableManager m(f.Options());
  TFM_ASSERT_OK(m.ReloadConfig(f.Config()));
  auto s = m.ReloadConfig(f.Config("version_labels { key: 'stable' value: 5 }"));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("Request to assign label to version 5 of model m"));
  TFM_ASSERT_OK(m.ReloadConfig(f.Config("version_labels { key: 'stable' value: 123 }")));
  tensorflow::serving::ModelSpec spec;
  spec.set_name("m");
  spec.set_version_label("stable");
  TFM_ASSERT_OK_AND_ASSIGN(auto sv, m.GetServable(spec));
  EXPECT_EQ(sv->version(), 123);
  // A config without the model unloads it.
  auto other = f.Config();
  other.mutable_model_config_list()->mutable_config(0)->set_name("other");
  TFM_ASSERT_OK(m.ReloadConfig(other));
  spec.clear_version_label();
  EXPECT_EQ(m.GetServable(spec).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m.ModelNames(), std::vector<std::string>{"other"});
}

TEST(ManagerTest, WarmupReplaysRecords) {
  Fixture f;
  f.AddVersion("123");
  std::filesystem::create_directories(JoinPath(f.base, "123/assets.extra"));
  tensorflow::serving::PredictionLog log;
  auto* req = log.mutable_predict_log()->mutable_request();
  auto& x = (*req->mutable_inputs())["x"];
  google::protobuf::TextFormat::ParseFromString(
      "dtype: DT_FLOAT tensor_shape { dim { size: 1 } dim { size: 1 } } float_val: 1", &x);
  tensorflow::serving::PredictionLog rlog;
  auto* ex = rlog.mutable_regress_log()->mutable_request();
  ex->mutable_model_spec()->set_signature_name("regress_x_to_y");
  (*ex->mutable_input()
        ->mutable_example_list()
        ->add_examples()
        ->mutable_features()
        ->mutable_feature())["x"]
      .mutable_float_list()
      ->add_value(1);
  TFM_ASSERT_OK(
      WriteStringToFile(JoinPath(f.base, "123/assets.extra/tf_serving_warmup_requests"),
                        EncodeTFRecords({log.SerializeAsString(), rlog.SerializeAsString()})));
  ServableManager m(f.Options());
  TFM_ASSERT_OK(m.ReloadConfig(f.Config()));
  EXPECT_THAT(absl::StrJoin(f.logs, "\n"), HasSubstr("Number of warmup records read: 2"));
  // A broken warmup record fails the load.
  TFM_ASSERT_OK(WriteStringToFile(JoinPath(f.base, "123/assets.extra/tf_serving_warmup_requests"),
                                  EncodeTFRecords({"\xff\xff garbage"})));
  ServableManager m2(f.Options());
  TFM_ASSERT_OK(m2.ReloadConfig(f.Config()));
  tensorflow::serving::ModelSpec spec;
  spec.set_name("m");
  EXPECT_FALSE(m2.GetServable(spec).ok());
}

TEST(ManagerTest, ConcurrentRequestsDuringVersionChanges) {
  Fixture f;
  f.AddVersion("123");
  ServableManager m(f.Options());
  TFM_ASSERT_OK(m.ReloadConfig(f.Config()));
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, bad{0};
  std::thread client([&] {
    tensorflow::serving::ModelSpec spec;
    spec.set_name("m");
    while (!stop) {
      auto s = m.GetServable(spec);
      if (!s.ok()) {
        ++bad;
        continue;
      }
      auto out =
          (*s)->RunPredict("", {{"x", Tensor::FromVector<float>({2.0f}, TensorShape{1, 1})}});
      if (out.ok())
        ++ok;
      else
        ++bad;
    }
  });
  for (int v = 124; v < 140; ++v) {
    f.AddVersion(std::to_string(v));
    m.PollAll();
    std::filesystem::remove_all(JoinPath(f.base, std::to_string(v - 1)));
  }
  stop = true;
  client.join();
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(bad.load(), 0);
}

TEST(ManagerTest, ReloadRulesAsTfServing) {
  Fixture f;
  f.AddVersion("123");
  ServableManager m(f.Options());
  TFM_ASSERT_OK(m.ReloadConfig(f.Config()));
  ModelServiceImpl service(
      &m, [&m](const tensorflow::serving::ModelServerConfig& c) { return m.ReloadConfig(c); });
  tensorflow::serving::ModelSpec spec;
  spec.set_name("m");
  // An unset config (a request without "config"): INVALID_ARGUMENT, models untouched.
  tensorflow::serving::ReloadConfigRequest req;
  tensorflow::serving::ReloadConfigResponse resp;
  grpc::Status g = service.HandleReloadConfigRequest(nullptr, &req, &resp);
  EXPECT_EQ(g.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(g.error_message(),
            "ServerModelConfig type not supported by HandleReloadConfigRequest. Only "
            "ModelConfigList is currently supported");
  EXPECT_EQ(resp.status().error_code(), tensorflow::error::INVALID_ARGUMENT);
  TFM_EXPECT_OK(m.GetServable(spec).status());
  // A custom config: the same.
  req.mutable_config()->mutable_custom_model_config();
  g = service.HandleReloadConfigRequest(nullptr, &req, &resp);
  EXPECT_EQ(g.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  TFM_EXPECT_OK(m.GetServable(spec).status());
  // The manager itself (config file polls) takes no action for an unset config.
  TFM_EXPECT_OK(m.ReloadConfig(tensorflow::serving::ModelServerConfig()));
  TFM_EXPECT_OK(m.GetServable(spec).status());
  EXPECT_THAT(absl::StrJoin(f.logs, "\n"), HasSubstr("Taking no action for empty config"));
  // A set model_config_list that is empty would unload every model (TF Serving does that):
  // refused while models are served, naming them, and nothing changes.
  req.mutable_config()->mutable_model_config_list();
  g = service.HandleReloadConfigRequest(nullptr, &req, &resp);
  EXPECT_EQ(g.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(g.error_message(),
            "Refusing to reload a model_config_list that lists no models: it would unload every "
            "served model (m). List the models to keep; to serve none, stop the server.");
  EXPECT_EQ(resp.status().error_code(), tensorflow::error::INVALID_ARGUMENT);
  TFM_EXPECT_OK(m.GetServable(spec).status());
  EXPECT_EQ(m.ModelNames(), std::vector<std::string>{"m"});
  // Dropping some models (not all) is a normal reload: a config listing only "n" unloads
  // "m" (n has no versions yet: it is polled).
  auto only_n = f.Config();
  only_n.mutable_model_config_list()->mutable_config(0)->set_name("n");
  *req.mutable_config() = only_n;
  g = service.HandleReloadConfigRequest(nullptr, &req, &resp);
  EXPECT_TRUE(g.ok()) << g.error_message();
  EXPECT_EQ(m.GetServable(spec).status().code(), absl::StatusCode::kNotFound);
  // A good config brings it back.
  *req.mutable_config() = f.Config();
  EXPECT_TRUE(service.HandleReloadConfigRequest(nullptr, &req, &resp).ok());
  TFM_EXPECT_OK(m.GetServable(spec).status());
}

TEST(ManagerTest, EmptyModelListIsAcceptedWhenNothingIsServed) {
  Fixture f;
  f.AddVersion("123");
  ServableManager m(f.Options());
  // The first config may list no models (a server started with nothing to serve yet).
  tensorflow::serving::ModelServerConfig empty;
  empty.mutable_model_config_list();
  TFM_EXPECT_OK(m.ReloadConfig(empty));
  EXPECT_TRUE(m.ModelNames().empty());
  TFM_ASSERT_OK(m.ReloadConfig(f.Config()));
  auto s = m.ReloadConfig(empty);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("would unload every served model (m)"));
  EXPECT_EQ(m.ModelNames(), std::vector<std::string>{"m"});
}

TEST(ManagerTest, InitialLoadStatusAsTfServingStartup) {
  Fixture f;
  f.AddVersion("123");
  f.failing.insert("123");
  ServableManager m(f.Options());
  TFM_ASSERT_OK(m.ReloadConfig(f.Config()));
  absl::Status s = m.InitialLoadStatus();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnknown);
  EXPECT_THAT(s.message(),
              HasSubstr("Some servables did not become available: {{name: m version: 123}, }"));
  EXPECT_THAT(s.message(), HasSubstr("failed to load: DATA_LOSS: cannot read"));
  EXPECT_EQ(f.loads.load(), 2);  // the first attempt and max_num_load_retries=1
  // One good version is enough; no versions yet is not a failure (polled until one comes).
  Fixture g;
  g.AddVersion("5");
  ServableManager ok(g.Options());
  TFM_ASSERT_OK(ok.ReloadConfig(g.Config()));
  TFM_EXPECT_OK(ok.InitialLoadStatus());
  Fixture e;
  ServableManager none(e.Options());
  TFM_ASSERT_OK(none.ReloadConfig(e.Config()));
  TFM_EXPECT_OK(none.InitialLoadStatus());
}

TEST(ManagerTest, StopEndsRetryWaitsAtOnce) {
  Fixture f;
  f.AddVersion("123");
  f.failing.insert("123");
  ManagerOptions o = f.Options();
  o.max_num_load_retries = 5;
  o.load_retry_interval_micros = 60'000'000;  // TF Serving's default minute
  ServableManager m(o);
  std::thread stopper([&] {
    while (f.loads.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    m.RequestStop();
  });
  const absl::Time start = absl::Now();
  TFM_EXPECT_OK(m.ReloadConfig(f.Config()));
  stopper.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_EQ(f.loads.load(), 1);
  EXPECT_TRUE(m.Stop(absl::Seconds(1)));
}

}  // namespace
}  // namespace tfmodel::serving
