// End-to-end tests of `tfmodel serve` where it must behave like TF Serving or safer:
// startup failure, signals during loads, health probes, CORS preflights, config reloads,
// classify/regress on TF Serving's documented example, deep JSON and bounded errors.
// The real binary over real sockets.
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "serve_e2e_util.h"
#include "tensorflow_serving/apis/model_service.grpc.pb.h"
#include "tensorflow_serving/apis/prediction_service.grpc.pb.h"
#include "test_util.h"

namespace tfmodel::e2e {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

std::string BadModel() { return testing::Testdata("tf_serving/bad_half_plus_two"); }

// A base path whose version 1 never finishes loading: its saved_model.pb is a FIFO that
// nobody writes, so reading it blocks.
std::string StuckVersion(const std::string& base, const std::string& version) {
  const std::string dir = JoinPath(base, version);
  fs::create_directories(dir);
  EXPECT_EQ(mkfifo(JoinPath(dir, "saved_model.pb").c_str(), 0644), 0);
  return dir;
}

int ExitCode(const ServerProcess& p) {
  return WIFEXITED(p.exit_status) ? WEXITSTATUS(p.exit_status) : -1;
}

TEST(ServeLifecycleE2E, ModelFailingAtStartupExitsNonZeroAsTfServing) {
  TFM_REQUIRE_TESTDATA();
  ServerProcess p;
  p.Launch({"--model_base_path=" + BadModel(), "--max_num_load_retries=1",
            "--load_retry_interval_micros=100000"});
  ASSERT_TRUE(p.WaitExit(60)) << p.Log();
  EXPECT_EQ(ExitCode(p), 255) << p.Log();  // TF Serving's main() returns -1
  const std::string log = p.Log();
  EXPECT_THAT(log, HasSubstr("Retrying load of servable version {name: default version: 123}"));
  EXPECT_THAT(log, HasSubstr("Failed to start server. Error: UNKNOWN: Some servables did not "
                             "become available: {{name: default version: 123}, }"));
  EXPECT_THAT(log, HasSubstr("{name: default version: 123} failed to load: "));
  EXPECT_THAT(log, ::testing::Not(HasSubstr("Exporting HTTP/REST API")));
}

TEST(ServeLifecycleE2E, SigtermDuringLoadRetriesStopsAtOnce) {
  TFM_REQUIRE_TESTDATA();
  ServerProcess p;
  // TF Serving's defaults: five retries a minute apart.
  p.Launch({"--model_base_path=" + BadModel(), "--max_num_load_retries=5",
            "--load_retry_interval_micros=60000000"});
  ASSERT_TRUE(p.WaitLog("Retrying load of servable version", 60)) << p.Log();
  const auto start = std::chrono::steady_clock::now();
  kill(p.pid, SIGTERM);
  ASSERT_TRUE(p.WaitExit(20)) << p.Log();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(ExitCode(p), 0) << p.Log();
  EXPECT_THAT(p.Log(), HasSubstr("Stopped while loading the models."));
}

TEST(ServeLifecycleE2E, SigintDuringASlowInitialLoadStops) {
  const std::string base = JoinPath(testing::TempDir(), "stuck_initial");
  StuckVersion(base, "1");
  ServerProcess p;
  p.Launch({"--model_base_path=" + base});
  // The load has started (and blocks on the stuck version), whatever the machine's load.
  ASSERT_TRUE(p.WaitLog("Approving load for servable version", 60)) << p.Log();
  ASSERT_FALSE(p.Exited()) << p.Log();
  const auto start = std::chrono::steady_clock::now();
  kill(p.pid, SIGINT);
  ASSERT_TRUE(p.WaitExit(20)) << p.Log();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(ExitCode(p), 0) << p.Log();
  EXPECT_THAT(p.Log(), HasSubstr("A model load is still running; exiting without waiting"));
}

TEST(ServeLifecycleE2E, SigtermDuringASlowVersionLoadWhileServing) {
  TFM_REQUIRE_TESTDATA();
  const std::string base = JoinPath(testing::TempDir(), "stuck_second");
  fs::create_directories(base);
  fs::copy(testing::Testdata("tf_serving/matrix_half_plus_two/1"), JoinPath(base, "1"),
           fs::copy_options::recursive);
  ServerProcess p;
  ASSERT_TRUE(p.Start({"--model_base_path=" + base, "--file_system_poll_wait_seconds=1"},
                      "/v1/models/default"))
      << p.ready_status << p.Log();
  StuckVersion(base, "2");
  std::string status;
  for (int i = 0; i < 100 && status.find("LOADING") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    status = Http(p.rest_port, "GET", "/v1/models/default").body;
  }
  ASSERT_THAT(status, HasSubstr("LOADING")) << p.Log();
  // Version 1 keeps serving while 2 is stuck loading.
  auto r = Http(p.rest_port, "POST", "/v1/models/default:predict",
                R"({"instances": [[[0, 0, 0], [0, 0, 0], [0, 0, 2]]]})");
  EXPECT_EQ(r.status, 200) << r.body;
  const auto start = std::chrono::steady_clock::now();
  kill(p.pid, SIGTERM);
  ASSERT_TRUE(p.WaitExit(30)) << p.Log();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
  EXPECT_EQ(ExitCode(p), 0) << p.Log();
  EXPECT_THAT(p.Log(), HasSubstr("a model load still running was abandoned"));
}

TEST(ServeLifecycleE2E, HealthzAndReadyz) {
  TFM_REQUIRE_TESTDATA();
  const std::string later = JoinPath(testing::TempDir(), "later_model");
  fs::create_directories(later);
  const std::string config = JoinPath(testing::TempDir(), "probes.config");
  ASSERT_TRUE(WriteStringToFile(
                  config, absl::StrCat("model_config_list {\n  config { name: 'a' base_path: '",
                                       HalfPlusTwo(), "' }\n  config { name: 'later' base_path: '",
                                       later, "' }\n}\n"))
                  .ok());
  ServerProcess p;
  ASSERT_TRUE(p.Start({"--model_config_file=" + config, "--file_system_poll_wait_seconds=1"},
                      "/v1/models/a"))
      << p.ready_status << p.Log();
  auto r = Http(p.rest_port, "GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok");
  r = Http(p.rest_port, "GET", "/readyz");
  EXPECT_EQ(r.status, 503) << r.body;
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_FALSE(d["ready"].GetBool());
  ASSERT_TRUE(d["models_not_ready"].HasMember("later")) << r.body;
  EXPECT_FALSE(d["models_not_ready"].HasMember("a")) << r.body;
  // The late model gets a version: ready.
  fs::copy(JoinPath(HalfPlusTwo(), "00000123"), JoinPath(later, "1.tmp"),
           fs::copy_options::recursive);
  fs::rename(JoinPath(later, "1.tmp"), JoinPath(later, "1"));
  for (int i = 0; i < 100 && r.status != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    r = Http(p.rest_port, "GET", "/readyz");
  }
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(JsonEq(r.body, R"({"ready": true, "models_not_ready": {}})"));
  EXPECT_EQ(p.Stop(), 0);
}

// TF Serving's REST doc (api_rest.md), exactly: half_plus_three's regress signature
// declares its input DT_FLOAT although the tensor is a tf.Example string placeholder.
TEST(ServeLifecycleE2E, HalfPlusThreeRegressAsTfServingsRestDoc) {
  TFM_REQUIRE_TESTDATA();
  ServerProcess p;
  ASSERT_TRUE(
      p.Start({"--model_name=half_plus_three",
               "--model_base_path=" + testing::Testdata("tf_serving/saved_model_half_plus_three")},
              "/v1/models/half_plus_three"))
      << p.ready_status << p.Log();
  auto r = Http(p.rest_port, "POST", "/v1/models/half_plus_three:predict",
                R"({"instances": [1.0,2.0,5.0]})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(JsonEq(r.body, R"({"predictions": [3.5, 4.0, 5.5]})"));
  r = Http(
      p.rest_port, "POST", "/v1/models/half_plus_three:regress",
      R"({"signature_name": "tensorflow/serving/regress", "examples": [{"x": 1.0}, {"x": 2.0}]})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(JsonEq(r.body, R"({"results": [3.5, 4.0]})"));
  // The same over gRPC.
  auto stub = p.GrpcStub<tensorflow::serving::PredictionService>();
  tensorflow::serving::RegressionRequest req;
  req.mutable_model_spec()->set_name("half_plus_three");
  req.mutable_model_spec()->set_signature_name("tensorflow/serving/regress");
  for (float x : {1.0f, 2.0f}) {
    (*req.mutable_input()
          ->mutable_example_list()
          ->add_examples()
          ->mutable_features()
          ->mutable_feature())["x"]
        .mutable_float_list()
        ->add_value(x);
  }
  tensorflow::serving::RegressionResponse resp;
  grpc::ClientContext ctx;
  grpc::Status s = stub->Regress(&ctx, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp.result().regressions_size(), 2);
  EXPECT_EQ(resp.result().regressions(0).value(), 3.5f);
  EXPECT_EQ(resp.result().regressions(1).value(), 4.0f);
  EXPECT_EQ(p.Stop(), 0);
}

TEST(ServeLifecycleE2E, DeepJsonAndLargeBodiesGetShortErrors) {
  TFM_REQUIRE_TESTDATA();
  ServerProcess p;
  ASSERT_TRUE(p.Start({"--model_base_path=" + HalfPlusTwo()}, "/v1/models/default"))
      << p.ready_status << p.Log();
  constexpr int kDeep = 500000;
  const std::string deep = std::string(kDeep, '[') + "1" + std::string(kDeep, ']');
  // Deep, well-formed JSON beside the tensor: accepted.
  auto r = Http(p.rest_port, "POST", "/v1/models/default:predict",
                absl::StrCat(R"({"note": )", deep, R"(, "instances": [2.0]})"));
  EXPECT_EQ(r.status, 200) << r.body.substr(0, 300);
  EXPECT_TRUE(JsonEq(r.body, R"({"predictions": [3.0]})"));
  // As the tensor: more dimensions than a tensor can have, a short 400.
  r = Http(p.rest_port, "POST", "/v1/models/default:predict",
           absl::StrCat(R"({"instances": [)", deep, "]}"));
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("a tensor has at most 254 dimensions"));
  EXPECT_LT(r.body.size(), 1024u);
  // Malformed deep JSON.
  r = Http(p.rest_port, "POST", "/v1/models/default:predict", std::string(kDeep, '['));
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("JSON Parse error"));
  // A 400 KB body whose error quotes it: the answer stays small.
  const std::string big(400 * 1024, 'k');
  for (const std::string& body :
       {absl::StrCat(R"({"instances": 1, "pad": ")", big, R"("})"),
        absl::StrCat(R"({"instances": [{")", big, R"(": 1.0}]})"),
        absl::StrCat(R"({"signature_name": ")", big, R"(", "instances": [1.0]})"),
        absl::StrCat(R"({"instances": [")", big, R"("]})")}) {
    r = Http(p.rest_port, "POST", "/v1/models/default:predict", body);
    EXPECT_EQ(r.status, 400);
    EXPECT_LT(r.body.size(), 1024u) << r.body.substr(0, 300);
    EXPECT_THAT(r.body, HasSubstr("kkk..."));
  }
  r = Http(p.rest_port, "POST", "/v1/models/default:regress",
           absl::StrCat(R"({"signature_name": "regress_x_to_y", "examples": [{")", big,
                        R"(": [[1]]}]})"));
  EXPECT_EQ(r.status, 400);
  EXPECT_LT(r.body.size(), 1024u);
  r = Http(p.rest_port, "POST", "/v1/models/default:predict", R"({"instances": [2.0]})");
  EXPECT_TRUE(JsonEq(r.body, R"({"predictions": [3.0]})"));
  EXPECT_EQ(p.Stop(), 0);
}

TEST(ServeLifecycleE2E, CorsPreflightAsTfServing) {
  TFM_REQUIRE_TESTDATA();
  for (bool cors : {false, true}) {
    SCOPED_TRACE(cors);
    ServerProcess p;
    std::vector<std::string> flags = {"--model_base_path=" + HalfPlusTwo()};
    if (cors) flags.push_back("--rest_api_enable_cors_support");
    ASSERT_TRUE(p.Start(flags, "/v1/models/default")) << p.ready_status << p.Log();
    auto r = Http(p.rest_port, "OPTIONS", "/v1/models/default:predict", "",
                  "Origin: https://app.example.com\r\nAccess-Control-Request-Method: POST\r\n");
    EXPECT_EQ(r.status, 200) << r.headers;
    EXPECT_EQ(r.body, "");
    EXPECT_EQ(r.headers.find("Access-Control-Allow-Origin: *") != std::string::npos, cors)
        << r.headers;
    r = Http(p.rest_port, "OPTIONS", "/v1/models/default:predict");
    EXPECT_EQ(r.status, 400);
    r = Http(p.rest_port, "POST", "/v1/models/default:predict", R"({"instances": [2.0]})",
             "Origin: https://app.example.com\r\n");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.headers.find("Access-Control-Allow-Methods: POST, GET") != std::string::npos, cors);
    EXPECT_EQ(p.Stop(), 0);
  }
}

TEST(ServeLifecycleE2E, GrpcReloadWithoutConfigOrModelsIsRefusedAndModelsStay) {
  TFM_REQUIRE_TESTDATA();
  ServerProcess p;
  ASSERT_TRUE(p.Start({"--model_base_path=" + HalfPlusTwo()}, "/v1/models/default"))
      << p.ready_status << p.Log();
  auto stub = p.GrpcStub<tensorflow::serving::ModelService>();
  tensorflow::serving::ReloadConfigRequest req;
  tensorflow::serving::ReloadConfigResponse resp;
  grpc::ClientContext ctx;
  grpc::Status s = stub->HandleReloadConfigRequest(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("Only ModelConfigList is currently supported"));
  // An empty model_config_list would unload every model: refused too, naming them.
  req.mutable_config()->mutable_model_config_list();
  grpc::ClientContext ctx2;
  s = stub->HandleReloadConfigRequest(&ctx2, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("it would unload every served model (default)"));
  auto r = Http(p.rest_port, "POST", "/v1/models/default:predict", R"({"instances": [2.0]})");
  EXPECT_TRUE(JsonEq(r.body, R"({"predictions": [3.0]})"));
  EXPECT_EQ(Http(p.rest_port, "GET", "/readyz").status, 200);
  EXPECT_EQ(p.Stop(), 0);
}

}  // namespace
}  // namespace tfmodel::e2e

namespace tfmodel::e2e {
namespace {

// RFC 9112 2.2 lets a server take a bare LF as a line end; clients such as `printf | nc`
// send no CR. The real binary answers such a request as it answers a CRLF one.
TEST(ServeLifecycleE2E, BareLfRequestIsAnswered) {
  TFM_REQUIRE_TESTDATA();
  ServerProcess p;
  ASSERT_TRUE(p.Start({"--model_base_path=" + HalfPlusTwo()}, "/v1/models/default"))
      << p.ready_status << p.Log();
  const std::string body = R"({"instances": [2.0, 4.0]})";
  const int fd = ConnectLoopback(p.rest_port);
  ASSERT_GE(fd, 0);
  SendAll(fd, absl::StrCat("POST /v1/models/default:predict HTTP/1.1\nHost: localhost\n",
                           "Connection: close\nContent-Length: ", body.size(), "\n\n", body));
  bool closed = false;
  const std::string resp = RecvUntilClosed(fd, 5000, &closed);
  close(fd);
  EXPECT_TRUE(closed);
  ASSERT_EQ(resp.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << resp;
  const size_t he = resp.find("\r\n\r\n");
  ASSERT_NE(he, std::string::npos) << resp;
  EXPECT_TRUE(JsonEq(resp.substr(he + 4), R"({"predictions": [3.0, 4.0]})")) << resp;
  EXPECT_EQ(p.Stop(), 0);
}

}  // namespace
}  // namespace tfmodel::e2e
