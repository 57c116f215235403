// End-to-end tests of `tfmodel serve`: the real binary on TF Serving's test models,
// talked to over loopback HTTP (a tiny blocking client) and gRPC (generated stubs).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/file_util.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "serve_e2e_util.h"
#include "tensorflow_serving/apis/model_service.grpc.pb.h"
#include "tensorflow_serving/apis/prediction_service.grpc.pb.h"
#include "test_util.h"

namespace tfmodel::e2e {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

TEST(ServeE2E, BadFlagsAndVersion) {
  ServerProcess p;
  EXPECT_FALSE(p.Start({"--no_such_flag=1"}, "/v1/models/default"));
  EXPECT_TRUE(WIFEXITED(p.exit_status));
  EXPECT_EQ(WEXITSTATUS(p.exit_status), 2);
  EXPECT_THAT(p.Log(), HasSubstr("unknown flag --no_such_flag"));
}

TEST(ServeE2E, BadModelConfig) {
  TFM_REQUIRE_TESTDATA();
  ServerProcess p;
  EXPECT_FALSE(
      p.Start({"--model_config_file=" + testing::Testdata("tf_serving/bad_model_config.txt")},
              "/v1/models/default"));
  EXPECT_NE(WEXITSTATUS(p.exit_status), 0);
  EXPECT_THAT(p.Log(), HasSubstr("Error parsing text-format tensorflow.serving.ModelServerConfig"));
}

TEST(ServeE2E, RestPredictClassifyRegressStatusMetadata) {
  TFM_REQUIRE_TESTDATA();
  ServerProcess p;
  ASSERT_TRUE(p.Start({"--model_base_path=" + HalfPlusTwo(), "--rest_api_timeout_in_ms=60000"},
                      "/v1/models/default"))
      << p.ready_status << p.Log();
  EXPECT_THAT(p.Log(),
              HasSubstr(absl::StrCat("Running gRPC ModelServer at 0.0.0.0:", p.grpc_port)));
  EXPECT_THAT(p.Log(),
              HasSubstr(absl::StrCat("Exporting HTTP/REST API at:localhost:", p.rest_port)));

  auto r =
      Http(p.rest_port, "POST", "/v1/models/default:predict", R"({"instances": [2.0, 3.0, 4.0]})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(JsonEq(r.body, R"({"predictions": [3.0, 3.5, 4.0]})"));
  EXPECT_THAT(r.headers, HasSubstr("Content-Type: application/json"));
  r = Http(p.rest_port, "POST", "/v1/models/default:predict", R"({"inputs": [2.0, 3.0, 4.0]})");
  EXPECT_TRUE(JsonEq(r.body, R"({"outputs": [3.0, 3.5, 4.0]})"));
  r = Http(p.rest_port, "POST", "/v1/models/default:predict", R"({"instances": [1.0, 2.0, 5.0]})");
  EXPECT_TRUE(JsonEq(r.body, R"({"predictions": [2.5, 3.0, 4.5]})"));
  r = Http(p.rest_port, "POST", "/v1/models/default:classify",
           R"({"signature_name": "classify_x_to_y", "examples": [{"x": 2.0}]})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(JsonEq(r.body, R"({"results": [[["", 3.0]]]})"));
  r = Http(p.rest_port, "POST", "/v1/models/default:regress",
           R"({"signature_name": "regress_x_to_y", "examples": [{"x": 2.0}]})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(JsonEq(r.body, R"({"results": [3.0]})"));

  r = Http(p.rest_port, "GET", "/v1/models/default");
  EXPECT_TRUE(JsonEq(r.body, R"({"model_version_status": [{"version": "123", "state": "AVAILABLE",
      "status": {"error_code": "OK", "error_message": ""}}]})"));
  r = Http(p.rest_port, "GET", "/v1/models/default/metadata");
  EXPECT_EQ(r.status, 200) << r.body;
  auto want = ReadFileToString(testing::Testdata("tf_serving/half_plus_two_model_metadata.json"));
  ASSERT_TRUE(want.ok());
  EXPECT_TRUE(JsonEq(r.body, *want));

  // Bad requests get TF Serving's codes and messages; the server keeps serving.
  r = Http(p.rest_port, "POST", "/v1/models/default:predict", "{bad json");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("JSON Parse error"));
  r = Http(p.rest_port, "POST", "/v1/models/default:predict", R"({"instances": ["a"]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("is not of expected type: float"));
  r = Http(p.rest_port, "POST", "/v1/models/half:predict", R"({"instances": [1.0]})");
  EXPECT_EQ(r.status, 404);
  EXPECT_THAT(r.body, HasSubstr("Servable not found for request: Latest(half)"));
  r = Http(p.rest_port, "POST", "/v1/models/default/versions/7:predict", R"({"instances": [1.0]})");
  EXPECT_EQ(r.status, 404);
  r = Http(p.rest_port, "POST", "/v1/models/default/labels/x:predict", R"({"instances": [1.0]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("Unrecognized servable version label"));
  r = Http(p.rest_port, "POST", "/v1/models/default:predict",
           R"({"signature_name": "nope", "instances": [1.0]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("not found in signature def"));
  r = Http(p.rest_port, "GET", "/v1/foo");
  EXPECT_EQ(r.status, 400);
  r = Http(p.rest_port, "POST", "/v1/models/default:predict", R"({"instances": [2.0]})");
  EXPECT_TRUE(JsonEq(r.body, R"({"predictions": [3.0]})"));
  EXPECT_EQ(p.Stop(), 0);
}

TEST(ServeE2E, Grpc) {
  TFM_REQUIRE_TESTDATA();
  ServerProcess p;
  ASSERT_TRUE(p.Start({"--model_base_path=" + HalfPlusTwo()}, "/v1/models/default")) << p.Log();
  auto stub = p.GrpcStub<tensorflow::serving::PredictionService>();
  tensorflow::serving::PredictRequest req;
  req.mutable_model_spec()->set_name("default");
  auto& x = (*req.mutable_inputs())["x"];
  x.set_dtype(tensorflow::DT_FLOAT);
  x.mutable_tensor_shape()->add_dim()->set_size(1);
  x.mutable_tensor_shape()->add_dim()->set_size(1);
  x.add_float_val(2.0f);
  tensorflow::serving::PredictResponse resp;
  grpc::ClientContext ctx;
  grpc::Status s = stub->Predict(&ctx, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(resp.outputs().count("y"));
  EXPECT_EQ(resp.outputs().at("y").dtype(), tensorflow::DT_FLOAT);
  EXPECT_EQ(resp.outputs().at("y").float_val(0), 3.0f);
  EXPECT_EQ(resp.model_spec().name(), "default");
  EXPECT_EQ(resp.model_spec().version().value(), 123);
  EXPECT_EQ(resp.model_spec().signature_name(), "serving_default");

  tensorflow::serving::ClassificationRequest creq;
  creq.mutable_model_spec()->set_name("default");
  creq.mutable_model_spec()->set_signature_name("classify_x_to_y");
  (*creq.mutable_input()
        ->mutable_example_list()
        ->add_examples()
        ->mutable_features()
        ->mutable_feature())["x"]
      .mutable_float_list()
      ->add_value(2.0f);
  tensorflow::serving::ClassificationResponse cresp;
  grpc::ClientContext cctx;
  s = stub->Classify(&cctx, creq, &cresp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(cresp.result().classifications_size(), 1);
  EXPECT_EQ(cresp.result().classifications(0).classes(0).score(), 3.0f);

  tensorflow::serving::MultiInferenceRequest mreq;
  for (const char* sig : {"regress_x_to_y", "classify_x_to_y"}) {
    auto* t = mreq.add_tasks();
    t->mutable_model_spec()->set_name("default");
    t->mutable_model_spec()->set_signature_name(sig);
    t->set_method_name(std::string(sig).rfind("regress", 0) == 0 ? "tensorflow/serving/regress"
                                                                 : "tensorflow/serving/classify");
  }
  *mreq.mutable_input() = creq.input();
  tensorflow::serving::MultiInferenceResponse mresp;
  grpc::ClientContext mctx;
  s = stub->MultiInference(&mctx, mreq, &mresp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(mresp.results_size(), 2);
  EXPECT_EQ(mresp.results(0).regression_result().regressions(0).value(), 3.0f);
  EXPECT_EQ(mresp.results(1).classification_result().classifications(0).classes(0).score(), 3.0f);

  tensorflow::serving::GetModelMetadataRequest mdreq;
  mdreq.mutable_model_spec()->set_name("default");
  mdreq.add_metadata_field("signature_def");
  tensorflow::serving::GetModelMetadataResponse mdresp;
  grpc::ClientContext mdctx;
  s = stub->GetModelMetadata(&mdctx, mdreq, &mdresp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(mdresp.metadata().size(), 1u);
  EXPECT_EQ(mdresp.model_spec().version().value(), 123);

  auto mstub = p.GrpcStub<tensorflow::serving::ModelService>();
  tensorflow::serving::GetModelStatusRequest sreq;
  sreq.mutable_model_spec()->set_name("default");
  tensorflow::serving::GetModelStatusResponse sresp;
  grpc::ClientContext sctx;
  s = mstub->GetModelStatus(&sctx, sreq, &sresp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(sresp.model_version_status_size(), 1);
  EXPECT_EQ(sresp.model_version_status(0).version(), 123);
  EXPECT_EQ(sresp.model_version_status(0).status().error_code(), tensorflow::error::OK);

  req.mutable_model_spec()->set_name("nope");
  grpc::ClientContext ectx;
  s = stub->Predict(&ectx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
}

// A broken new version is reported (END with its error) while the version already
// loaded keeps serving. (A model that fails at startup stops the server: see
// serve_lifecycle_test.cc.)
TEST(ServeE2E, BrokenNewVersionIsReportedAndServerKeepsServing) {
  TFM_REQUIRE_TESTDATA();
  const std::string base = JoinPath(testing::TempDir(), "broken_new_version");
  fs::create_directories(base);
  fs::copy(JoinPath(HalfPlusTwo(), "00000123"), JoinPath(base, "123"), fs::copy_options::recursive);
  ServerProcess p;
  ASSERT_TRUE(p.Start({"--model_base_path=" + base, "--file_system_poll_wait_seconds=1"},
                      "/v1/models/default"))
      << p.ready_status << p.Log();
  fs::copy(JoinPath(testing::Testdata("tf_serving/bad_half_plus_two"), "00000123"),
           JoinPath(base, "124.tmp"), fs::copy_options::recursive);
  fs::rename(JoinPath(base, "124.tmp"), JoinPath(base, "124"));
  std::string status;
  for (int i = 0; i < 100 && status.find("\"END\"") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    status = Http(p.rest_port, "GET", "/v1/models/default").body;
  }
  rapidjson::Document d;
  d.Parse(status.c_str());
  ASSERT_TRUE(d.IsObject() && d["model_version_status"].Size() == 2) << status << p.Log();
  const auto& bad = d["model_version_status"][0];
  EXPECT_STREQ(bad["version"].GetString(), "124");
  EXPECT_STREQ(bad["state"].GetString(), "END");
  EXPECT_STRNE(bad["status"]["error_code"].GetString(), "OK");
  EXPECT_GT(bad["status"]["error_message"].GetStringLength(), 0u);
  EXPECT_STREQ(d["model_version_status"][1]["state"].GetString(), "AVAILABLE");
  auto r = Http(p.rest_port, "POST", "/v1/models/default:predict", R"({"instances": [2.0]})");
  EXPECT_TRUE(JsonEq(r.body, R"({"predictions": [3.0]})"));
  r = Http(p.rest_port, "POST", "/v1/models/default/versions/124:predict",
           R"({"instances": [1.0]})");
  EXPECT_EQ(r.status, 404);
  EXPECT_THAT(r.body, HasSubstr("Servable not found for request: Specific(default, 124)"));
  EXPECT_EQ(Http(p.rest_port, "GET", "/readyz").status, 200);
  auto mstub = p.GrpcStub<tensorflow::serving::ModelService>();
  tensorflow::serving::GetModelStatusRequest sreq;
  sreq.mutable_model_spec()->set_name("default");
  sreq.mutable_model_spec()->mutable_version()->set_value(124);
  tensorflow::serving::GetModelStatusResponse sresp;
  grpc::ClientContext sctx;
  grpc::Status s = mstub->GetModelStatus(&sctx, sreq, &sresp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(sresp.model_version_status(0).state(), tensorflow::serving::ModelVersionStatus::END);
  EXPECT_EQ(p.Stop(), 0);
}

TEST(ServeE2E, GoodModelConfigTwoVersionsAndLabels) {
  TFM_REQUIRE_TESTDATA();
  auto good = ReadFileToString(testing::Testdata("tf_serving/good_model_config.txt"));
  ASSERT_TRUE(good.ok());
  std::string text =
      absl::StrReplaceAll(*good, {{"${TEST_HALF_PLUS_TWO_DIR}", HalfPlusTwo()},
                                  {"${TEST_HALF_PLUS_THREE_DIR}",
                                   testing::Testdata("tf_serving/saved_model_half_plus_three")}});
  text = absl::StrReplaceAll(
      text, {{"model_config_list: {",
              absl::StrCat("model_config_list: {\n  config: { name: 'two_versions' base_path: '",
                           testing::Testdata("tf_serving/saved_model_half_plus_two_2_versions"),
                           "' model_platform: 'tensorflow' model_version_policy { all {} } "
                           "version_labels { key: 'stable' value: 123 } version_labels { key: "
                           "'canary' value: 124 } },")}});
  ServerProcess p;
  ASSERT_TRUE(p.Start({"--model_config_file=" + WriteConfig(text)}, "/v1/models/half_plus_three"))
      << p.ready_status << p.Log();
  auto r = Http(p.rest_port, "POST", "/v1/models/half_plus_two:predict", R"({"instances": [2.0]})");
  EXPECT_TRUE(JsonEq(r.body, R"({"predictions": [3.0]})"));
  r = Http(p.rest_port, "POST", "/v1/models/half_plus_three:predict", R"({"instances": [2.0]})");
  EXPECT_TRUE(JsonEq(r.body, R"({"predictions": [4.0]})"));
  r = Http(p.rest_port, "GET", "/v1/models/two_versions");
  EXPECT_TRUE(JsonEq(r.body, R"({"model_version_status": [
      {"version": "124", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}},
      {"version": "123", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]})"));
  r = Http(p.rest_port, "GET", "/v1/models/two_versions/versions/123/metadata");
  auto want = ReadFileToString(
      testing::Testdata("tf_serving/saved_model_half_plus_two_2_versions_metadata.json"));
  ASSERT_TRUE(want.ok());
  std::string want_text = absl::StrReplaceAll(
      *want, {{"\"saved_model_half_plus_two_2_versions\"", "\"two_versions\""}});
  EXPECT_TRUE(JsonEq(r.body, want_text));
  for (const char* path : {"/v1/models/two_versions/versions/123:predict",
                           "/v1/models/two_versions/labels/stable:predict",
                           "/v1/models/two_versions/versions/124:predict",
                           "/v1/models/two_versions/labels/canary:predict"}) {
    r = Http(p.rest_port, "POST", path, R"({"instances": [[1.0], [2.0]]})");
    EXPECT_EQ(r.status, 200) << path << r.body;
    EXPECT_TRUE(JsonEq(r.body, R"({"predictions": [[2.5], [3.0]]})")) << path;
  }
  r = Http(p.rest_port, "GET", "/v1/models/two_versions/labels/stable");
  EXPECT_TRUE(JsonEq(r.body, R"({"model_version_status": [
      {"version": "123", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]})"));
}

constexpr char kMatrixRequest[] =
    R"({"instances": [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]})";
constexpr char kMatrixPredictions[] =
    R"({"predictions": [[[2.5, 3.0, 3.5], [4.0, 4.5, 5.0], [5.5, 6.0, 6.5]]]})";

TEST(ServeE2E, MatrixModelRestAndGrpc) {
  TFM_REQUIRE_TESTDATA();
  ServerProcess p;
  ASSERT_TRUE(p.Start({"--model_base_path=" + testing::Testdata("tf_serving/matrix_half_plus_two"),
                       "--model_name=matrix"},
                      "/v1/models/matrix"))
      << p.ready_status << p.Log();
  auto r = Http(p.rest_port, "POST", "/v1/models/matrix:predict", kMatrixRequest);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(JsonEq(r.body, kMatrixPredictions));
  r = Http(p.rest_port, "POST", "/v1/models/matrix/versions/1:predict",
           R"({"inputs": {"x": [[[0, 0, 0], [0, 0, 0], [0, 0, 2]]]}})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(
      JsonEq(r.body, R"({"outputs": [[[2.0, 2.0, 2.0], [2.0, 2.0, 2.0], [2.0, 2.0, 3.0]]]})"));
  // Like TensorFlow, fed tensors are not checked against the placeholder's declared
  // shape (TF Serving's own tests feed [N,2] into an [N,1] signature); ragged JSON is.
  r = Http(p.rest_port, "POST", "/v1/models/matrix:predict", R"({"instances": [[1.0, 2.0]]})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(JsonEq(r.body, R"({"predictions": [[2.5, 3.0]]})"));
  r = Http(p.rest_port, "POST", "/v1/models/matrix:predict", R"({"instances": [[1.0, [2.0]]]})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_THAT(r.body, HasSubstr("Encountered list at unexpected level"));
  r = Http(p.rest_port, "GET", "/v1/models/matrix/metadata");
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("\"serving_default\""));

  auto stub = p.GrpcStub<tensorflow::serving::PredictionService>();
  tensorflow::serving::PredictRequest req;
  req.mutable_model_spec()->set_name("matrix");
  auto& x = (*req.mutable_inputs())["x"];
  x.set_dtype(tensorflow::DT_FLOAT);
  for (int d : {1, 3, 3}) x.mutable_tensor_shape()->add_dim()->set_size(d);
  for (int i = 0; i < 9; ++i) x.add_float_val(static_cast<float>(i));
  tensorflow::serving::PredictResponse resp;
  grpc::ClientContext ctx;
  grpc::Status s = stub->Predict(&ctx, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(resp.outputs().count("y")) << resp.DebugString();
  const auto& y = resp.outputs().at("y");
  ASSERT_EQ(y.float_val_size(), 9);
  EXPECT_EQ(y.float_val(8), 6.0f);
  EXPECT_EQ(resp.model_spec().version().value(), 1);
  EXPECT_EQ(p.Stop(), 0);
}

void CopyVersion(const std::string& from, const std::string& to) {
  fs::copy(from, to + ".tmp", fs::copy_options::recursive);
  fs::rename(to + ".tmp", to);  // appears atomically under its numeric name
}

TEST(ServeE2E, LiveVersionChangesWhileClientLoops) {
  TFM_REQUIRE_TESTDATA();
  const std::string base = JoinPath(testing::TempDir(), "live_model");
  fs::create_directories(base);
  // matrix_half_plus_two needs no ParseExample kernel: y = 0.5 x + 2 on [N,3,3].
  const std::string src = testing::Testdata("tf_serving/matrix_half_plus_two");
  CopyVersion(JoinPath(src, "1"), JoinPath(base, "1"));
  ServerProcess p;
  ASSERT_TRUE(p.Start(
      {"--model_base_path=" + base, "--model_name=live", "--file_system_poll_wait_seconds=1"},
      "/v1/models/live"))
      << p.ready_status << p.Log();
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, bad{0};
  std::string last_bad;
  std::thread client([&] {
    while (!stop) {
      auto r = Http(p.rest_port, "POST", "/v1/models/live:predict", kMatrixRequest);
      if (r.status == 200 && JsonEq(r.body, kMatrixPredictions)) {
        ++ok;
      } else {
        ++bad;
        last_bad = r.body;
      }
    }
  });
  auto wait_for = [&](const std::string& needle) {
    for (int i = 0; i < 100; ++i) {
      if (Http(p.rest_port, "GET", "/v1/models/live").body.find(needle) != std::string::npos) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  CopyVersion(JoinPath(src, "1"), JoinPath(base, "2"));
  EXPECT_TRUE(wait_for("\"2\""));
  fs::remove_all(JoinPath(base, "2"));
  // Version 2's unload is the state this part checks, not a fixed time.
  EXPECT_TRUE(p.WaitLog("unloaded servable version {name: live version: 2}", 30)) << p.Log();
  stop = true;
  client.join();
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(bad.load(), 0) << last_bad;
  auto r = Http(p.rest_port, "GET", "/v1/models/live/versions/1");
  EXPECT_THAT(r.body, HasSubstr("AVAILABLE"));
  EXPECT_THAT(p.Log(), HasSubstr("Successfully loaded servable version {name: live version: 2}"));
  EXPECT_THAT(p.Log(), HasSubstr("unloaded servable version {name: live version: 2}"));
}

TEST(ServeE2E, OversizedBodyMetricsAndCors) {
  TFM_REQUIRE_TESTDATA();
  ServerProcess p;
  ASSERT_TRUE(
      p.Start({"--model_base_path=" + testing::Testdata("tf_serving/matrix_half_plus_two"),
               "--rest_api_max_body_bytes=1000", "--rest_api_enable_cors_support",
               "--monitoring_config_file=" + testing::Testdata("tf_serving/monitoring_config.txt")},
              "/v1/models/default"))
      << p.ready_status << p.Log();
  auto r = Http(p.rest_port, "POST", "/v1/models/default:predict",
                absl::StrCat(R"({"instances": [)", std::string(2000, ' '), "1.0]}"));
  EXPECT_EQ(r.status, 413);
  r = Http(p.rest_port, "POST", "/v1/models/default:predict", kMatrixRequest);
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.headers, HasSubstr("Access-Control-Allow-Origin: *"));
  r = Http(p.rest_port, "GET", "/monitoring/prometheus/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("# TYPE"));
  EXPECT_THAT(r.body, HasSubstr("model_name=\"default\""));
  EXPECT_EQ(p.Stop(), 0);
}

}  // namespace
}  // namespace tfmodel::e2e

namespace tfmodel::e2e {
namespace {

TEST(ServeE2E, BatchingConcurrentClientsGetTheirOwnAnswers) {
  TFM_REQUIRE_TESTDATA();
  const std::string params = WriteConfig(
      "max_batch_size { value: 8 } batch_timeout_micros { value: 5000 } "
      "max_enqueued_batches { value: 100 } num_batch_threads { value: 1 } "
      "allowed_batch_sizes: 2 allowed_batch_sizes: 4 allowed_batch_sizes: 8");
  ServerProcess p;
  ASSERT_TRUE(
      p.Start({"--model_base_path=" + HalfPlusTwo(), "--enable_batching",
               "--batching_parameters_file=" + params,
               "--monitoring_config_file=" + testing::Testdata("tf_serving/monitoring_config.txt")},
              "/v1/models/default"))
      << p.ready_status << p.Log();
  EXPECT_THAT(p.Log(), HasSubstr("Batching enabled: max_batch_size=8 batch_timeout_micros=5000"));
  constexpr int kClients = 8, kRequests = 15;
  std::atomic<int> ok{0};
  std::vector<std::string> errors(kClients);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      auto stub = p.GrpcStub<tensorflow::serving::PredictionService>();
      for (int i = 0; i < kRequests; ++i) {
        // Distinct values (and 1 or 2 rows) per request, REST, gRPC and regress mixed.
        const float x = static_cast<float>(c * 100 + i) + 0.25f;
        const int kind = (c + i) % 3;
        if (kind == 0) {
          auto r = Http(p.rest_port, "POST", "/v1/models/default:predict",
                        absl::StrCat(R"({"instances": [)", x, ", ", x + 1, "]}"));
          if (r.status == 200 && JsonEq(r.body, absl::StrCat(R"({"predictions": [)", 0.5 * x + 2,
                                                             ", ", 0.5 * (x + 1) + 2, "]}"))) {
            ++ok;
          } else {
            errors[c] = r.body;
          }
        } else if (kind == 1) {
          tensorflow::serving::PredictRequest req;
          req.mutable_model_spec()->set_name("default");
          auto& t = (*req.mutable_inputs())["x"];
          t.set_dtype(tensorflow::DT_FLOAT);
          t.mutable_tensor_shape()->add_dim()->set_size(1);
          t.add_float_val(x);
          tensorflow::serving::PredictResponse resp;
          grpc::ClientContext ctx;
          grpc::Status s = stub->Predict(&ctx, req, &resp);
          if (s.ok() && resp.outputs().count("y") && resp.outputs().at("y").float_val_size() == 1 &&
              resp.outputs().at("y").float_val(0) == 0.5f * x + 2) {
            ++ok;
          } else {
            errors[c] = s.error_message() + resp.DebugString();
          }
        } else {
          auto r = Http(p.rest_port, "POST", "/v1/models/default:regress",
                        absl::StrCat(R"({"signature_name": "regress_x_to_y", "examples": [{"x": )",
                                     x, "}]}"));
          if (r.status == 200 &&
              JsonEq(r.body, absl::StrCat(R"({"results": [)", 0.5 * x + 2, "]}"))) {
            ++ok;
          } else {
            errors[c] = r.body;
          }
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), kClients * kRequests);
  for (const auto& e : errors) EXPECT_EQ(e, "");
  auto m = Http(p.rest_port, "GET", "/monitoring/prometheus/metrics");
  EXPECT_THAT(m.body, HasSubstr(":tensorflow:serving:batching_session:processed_batch_size_count{"
                                "model_name=\"default\"}"));
  // Requests were merged: fewer batches than requests (8 clients, 5 ms batch timeout).
  const std::string key =
      ":tensorflow:serving:batching_session:processed_batch_size_count{model_name=\"default\"} ";
  const size_t at = m.body.find(key);
  ASSERT_NE(at, std::string::npos) << m.body;
  const int batches = std::atoi(m.body.c_str() + at + key.size());
  EXPECT_GT(batches, 0);
  EXPECT_LT(batches, kClients * kRequests);
  // A scalar input cannot be batched (TF Serving's message).
  auto r = Http(p.rest_port, "POST", "/v1/models/default:predict", R"({"inputs": 1.0})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("input tensors must have at least one dimension"));
  EXPECT_EQ(p.Stop(), 0);
}

TEST(ServeE2E, BatchingFlagErrors) {
  TFM_REQUIRE_TESTDATA();
  ServerProcess p;
  EXPECT_FALSE(p.Start({"--model_base_path=" + HalfPlusTwo(), "--enable_batching",
                        "--batching_parameters_file=" +
                            WriteConfig("max_batch_size { value: 4 } allowed_batch_sizes: 2")},
                       "/v1/models/default"));
  EXPECT_NE(WEXITSTATUS(p.exit_status), 0);
  EXPECT_THAT(p.Log(), HasSubstr("Last entry in allowed_batch_sizes must match max_batch_size"));
  ServerProcess q;
  EXPECT_FALSE(q.Start({"--model_base_path=" + HalfPlusTwo(),
                        "--batching_parameters_file=" + WriteConfig("max_batch_size { value: 4 }")},
                       "/v1/models/default"));
  EXPECT_THAT(q.Log(), HasSubstr("--batching_parameters_file requires --enable_batching"));
}

}  // namespace
}  // namespace tfmodel::e2e

namespace tfmodel::e2e {
namespace {

TEST(ServeE2E, RestTimeoutAnswers504WhileWorkIsStillRunning) {
  TFM_REQUIRE_TESTDATA();
  // A 3 s batch timeout keeps a lone request waiting well past the 500 ms REST deadline.
  const std::string params = WriteConfig(
      "max_batch_size { value: 100 } batch_timeout_micros { value: 3000000 } "
      "num_batch_threads { value: 1 }");
  ServerProcess p;
  ASSERT_TRUE(p.Start({"--model_base_path=" + HalfPlusTwo(), "--enable_batching",
                       "--batching_parameters_file=" + params, "--rest_api_timeout_in_ms=500"},
                      "/v1/models/default"))
      << p.ready_status << p.Log();
  auto start = std::chrono::steady_clock::now();
  auto r = Http(p.rest_port, "POST", "/v1/models/default:predict", R"({"instances": [1.0]})");
  const double took = SecondsSince(start);
  EXPECT_EQ(r.status, 504) << r.body;
  EXPECT_THAT(r.body, HasSubstr("\"error\""));
  EXPECT_THAT(r.body, HasSubstr("Request did not finish within --rest_api_timeout_in_ms=500 ms"));
  EXPECT_GE(took, 0.45);
  EXPECT_LT(took, 2.0) << "the 504 must come at the deadline, not when the work ends";
  // The server keeps serving: status over REST, and the same predict over gRPC (no REST
  // deadline there) finishes after the batch timeout with the right answer.
  r = Http(p.rest_port, "GET", "/v1/models/default");
  EXPECT_EQ(r.status, 200);
  auto stub = p.GrpcStub<tensorflow::serving::PredictionService>();
  tensorflow::serving::PredictRequest req;
  req.mutable_model_spec()->set_name("default");
  auto& x = (*req.mutable_inputs())["x"];
  x.set_dtype(tensorflow::DT_FLOAT);
  x.mutable_tensor_shape()->add_dim()->set_size(1);
  x.add_float_val(4.0f);
  tensorflow::serving::PredictResponse resp;
  grpc::ClientContext ctx;
  grpc::Status s = stub->Predict(&ctx, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.outputs().at("y").float_val(0), 4.0f);

  // A client that disconnects while its request waits: the server drops the late answer.
  int fd = ConnectLoopback(p.rest_port);
  ASSERT_GE(fd, 0);
  const std::string body = R"({"instances": [1.0]})";
  SendAll(fd, absl::StrCat("POST /v1/models/default:predict HTTP/1.1\r\nHost: x\r\n",
                           "Content-Length: ", body.size(), "\r\n\r\n", body));
  close(fd);
  EXPECT_EQ(Http(p.rest_port, "GET", "/health").body, "healthy");
  EXPECT_EQ(p.Stop(), 0);
}

TEST(ServeE2E, SlowAndDisconnectingClients) {
  TFM_REQUIRE_TESTDATA();
  ServerProcess p;
  ASSERT_TRUE(p.Start({"--model_base_path=" + HalfPlusTwo(), "--rest_api_timeout_in_ms=500"},
                      "/v1/models/default"))
      << p.ready_status << p.Log();
  // Headers and part of the body, then nothing: 408 with a JSON error, connection closed.
  int fd = ConnectLoopback(p.rest_port);
  ASSERT_GE(fd, 0);
  auto start = std::chrono::steady_clock::now();
  SendAll(fd,
          "POST /v1/models/default:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{");
  bool closed = false;
  std::string got = RecvUntilClosed(fd, 5000, &closed);
  close(fd);
  EXPECT_TRUE(closed);
  EXPECT_LT(SecondsSince(start), 3.0);
  EXPECT_THAT(got, HasSubstr("HTTP/1.1 408"));
  EXPECT_THAT(got, HasSubstr("Request not received within --rest_api_timeout_in_ms=500 ms"));

  // A client trickling its headers one byte at a time gets the same.
  fd = ConnectLoopback(p.rest_port);
  ASSERT_GE(fd, 0);
  const std::string head = "GET /v1/models/default HTTP/1.1\r\nHost: x\r\n";
  for (size_t i = 0; i < head.size() && i < 12; ++i) {
    SendAll(fd, head.substr(i, 1));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  got = RecvUntilClosed(fd, 5000, &closed);
  close(fd);
  EXPECT_TRUE(closed);
  EXPECT_THAT(got, HasSubstr("HTTP/1.1 408"));

  // An idle connection is closed without an answer.
  fd = ConnectLoopback(p.rest_port);
  ASSERT_GE(fd, 0);
  got = RecvUntilClosed(fd, 5000, &closed);
  close(fd);
  EXPECT_TRUE(closed);
  EXPECT_EQ(got, "");

  // Disconnecting mid-body, or right after sending a whole request.
  fd = ConnectLoopback(p.rest_port);
  SendAll(fd,
          "POST /v1/models/default:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n"
          R"({"instances": [1.)");
  close(fd);
  fd = ConnectLoopback(p.rest_port);
  SendAll(fd,
          "POST /v1/models/default:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n"
          R"({"instances": [1.0]})");
  close(fd);

  // Keep-alive: two requests on one connection, then the server still serves others.
  fd = ConnectLoopback(p.rest_port);
  const std::string body = R"({"instances": [2.0]})";
  const std::string req = absl::StrCat("POST /v1/models/default:predict HTTP/1.1\r\nHost: x\r\n",
                                       "Content-Length: ", body.size(), "\r\n\r\n", body);
  SendAll(fd, req + req);
  got = RecvUntilClosed(fd, 1500, &closed);  // closed once idle for 500 ms
  close(fd);
  size_t first = got.find("HTTP/1.1 200 OK");
  ASSERT_NE(first, std::string::npos) << got;
  EXPECT_NE(got.find("HTTP/1.1 200 OK", first + 1), std::string::npos) << got;
  auto r = Http(p.rest_port, "POST", "/v1/models/default:predict", body);
  EXPECT_TRUE(JsonEq(r.body, R"({"predictions": [3.0]})"));
  EXPECT_EQ(p.Stop(), 0);
}

}  // namespace
}  // namespace tfmodel::e2e

namespace tfmodel::e2e {
namespace {

tensorflow::serving::PredictRequest HalfPlusTwoRequest(float value) {
  tensorflow::serving::PredictRequest req;
  req.mutable_model_spec()->set_name("default");
  auto& x = (*req.mutable_inputs())["x"];
  x.set_dtype(tensorflow::DT_FLOAT);
  x.mutable_tensor_shape()->add_dim()->set_size(1);
  x.add_float_val(value);
  return req;
}

TEST(ServeE2E, GrpcOverTlsAndUnixSocket) {
  TFM_REQUIRE_TESTDATA();
  const std::string dir = JoinPath(testing::TempDir(), absl::StrCat("tls_", getpid()));
  fs::create_directories(dir);
  const std::string key = JoinPath(dir, "key.pem"), cert = JoinPath(dir, "cert.pem");
  const std::string cmd = absl::StrCat(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
      "-addext subjectAltName=DNS:localhost -keyout ",
      key, " -out ", cert, " >/dev/null 2>&1");
  ASSERT_EQ(std::system(cmd.c_str()), 0)
      << "openssl CLI failed (scripts/setup.sh installs it): " << cmd;
  auto key_pem = ReadFileToString(key);
  auto cert_pem = ReadFileToString(cert);
  ASSERT_TRUE(key_pem.ok() && cert_pem.ok());
  const std::string ssl_config =
      WriteConfig(absl::StrCat("server_key: \"", absl::CEscape(*key_pem), "\"\nserver_cert: \"",
                               absl::CEscape(*cert_pem), "\"\nclient_verify: false\n"));
  const std::string socket_path = JoinPath(dir, "grpc.sock");
  ServerProcess p;
  ASSERT_TRUE(p.Start({"--model_base_path=" + HalfPlusTwo(), "--ssl_config_file=" + ssl_config,
                       "--grpc_socket_path=" + socket_path},
                      "/v1/models/default"))
      << p.ready_status << p.Log();
  EXPECT_THAT(p.Log(), HasSubstr("Running gRPC ModelServer at UNIX socket " + socket_path));

  grpc::SslCredentialsOptions so;
  so.pem_root_certs = *cert_pem;
  auto tls = tensorflow::serving::PredictionService::NewStub(
      grpc::CreateChannel(absl::StrCat("localhost:", p.grpc_port), grpc::SslCredentials(so)));
  tensorflow::serving::PredictResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  grpc::Status s = tls->Predict(&ctx, HalfPlusTwoRequest(2.0f), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.outputs().at("y").float_val(0), 3.0f);

  // A plaintext client cannot talk to the TLS port.
  auto plain = p.GrpcStub<tensorflow::serving::PredictionService>();
  grpc::ClientContext pctx;
  pctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  s = plain->Predict(&pctx, HalfPlusTwoRequest(2.0f), &resp);
  EXPECT_FALSE(s.ok());

  // The UNIX socket (same credentials as the TCP port, like TF Serving).
  grpc::SslCredentialsOptions uso;
  uso.pem_root_certs = *cert_pem;
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  auto unix_stub = tensorflow::serving::PredictionService::NewStub(
      grpc::CreateCustomChannel("unix:" + socket_path, grpc::SslCredentials(uso), args));
  tensorflow::serving::PredictResponse uresp;
  grpc::ClientContext uctx;
  uctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  s = unix_stub->Predict(&uctx, HalfPlusTwoRequest(5.0f), &uresp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(uresp.outputs().at("y").float_val(0), 4.5f);
  EXPECT_EQ(p.Stop(), 0);
}

TEST(ServeE2E, GrpcUnixSocketPlaintextAndClassifyRegressEqualRest) {
  TFM_REQUIRE_TESTDATA();
  const std::string socket_path =
      JoinPath(testing::TempDir(), absl::StrCat("grpc_", getpid(), ".sock"));
  ServerProcess p;
  ASSERT_TRUE(p.Start({"--model_base_path=" + HalfPlusTwo(), "--grpc_socket_path=" + socket_path},
                      "/v1/models/default"))
      << p.ready_status << p.Log();
  auto stub = tensorflow::serving::PredictionService::NewStub(
      grpc::CreateChannel("unix:" + socket_path, grpc::InsecureChannelCredentials()));
  tensorflow::serving::PredictResponse resp;
  grpc::ClientContext ctx;
  grpc::Status s = stub->Predict(&ctx, HalfPlusTwoRequest(1.0f), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.outputs().at("y").float_val(0), 2.5f);

  // Classify and Regress over gRPC give REST's numbers, example by example.
  const std::vector<float> xs = {0.5f, 2.5f, -3.25f};  // not integral: JSON ints are int64
  tensorflow::serving::Input input;
  std::string examples_json;
  for (float x : xs) {
    (*input.mutable_example_list()->add_examples()->mutable_features()->mutable_feature())["x"]
        .mutable_float_list()
        ->add_value(x);
    absl::StrAppend(&examples_json, examples_json.empty() ? "" : ", ", R"({"x": )", x, "}");
  }
  tensorflow::serving::RegressionRequest rreq;
  rreq.mutable_model_spec()->set_name("default");
  rreq.mutable_model_spec()->set_signature_name("regress_x_to_y");
  *rreq.mutable_input() = input;
  tensorflow::serving::RegressionResponse rresp;
  grpc::ClientContext rctx;
  s = stub->Regress(&rctx, rreq, &rresp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  auto rest = Http(
      p.rest_port, "POST", "/v1/models/default:regress",
      absl::StrCat(R"({"signature_name": "regress_x_to_y", "examples": [)", examples_json, "]}"));
  ASSERT_EQ(rest.status, 200) << rest.body;
  rapidjson::Document d;
  d.Parse(rest.body.c_str());
  ASSERT_TRUE(d.IsObject() && d["results"].IsArray()) << rest.body;
  ASSERT_EQ(rresp.result().regressions_size(), 3);
  ASSERT_EQ(d["results"].Size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(rresp.result().regressions(i).value(), d["results"][i].GetFloat()) << i;
    EXPECT_EQ(rresp.result().regressions(i).value(), 0.5f * xs[i] + 2) << i;
  }
  EXPECT_EQ(rresp.model_spec().signature_name(), "regress_x_to_y");

  tensorflow::serving::ClassificationRequest creq;
  creq.mutable_model_spec()->set_name("default");
  creq.mutable_model_spec()->set_signature_name("classify_x_to_y");
  *creq.mutable_input() = input;
  tensorflow::serving::ClassificationResponse cresp;
  grpc::ClientContext cctx;
  s = stub->Classify(&cctx, creq, &cresp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  rest = Http(
      p.rest_port, "POST", "/v1/models/default:classify",
      absl::StrCat(R"({"signature_name": "classify_x_to_y", "examples": [)", examples_json, "]}"));
  ASSERT_EQ(rest.status, 200) << rest.body;
  d.Parse(rest.body.c_str());
  ASSERT_TRUE(d.IsObject() && d["results"].IsArray()) << rest.body;
  ASSERT_EQ(cresp.result().classifications_size(), 3);
  for (int i = 0; i < 3; ++i) {
    const auto& cls = cresp.result().classifications(i).classes(0);
    // REST: [[label, score]] per example.
    EXPECT_EQ(cls.label(), d["results"][i][0][0].GetString()) << i;
    EXPECT_EQ(cls.score(), d["results"][i][0][1].GetFloat()) << i;
    EXPECT_EQ(cls.score(), 0.5f * xs[i] + 2) << i;
  }
  // Errors are the same too: an unknown signature.
  rreq.mutable_model_spec()->set_signature_name("nope");
  grpc::ClientContext ectx;
  s = stub->Regress(&ectx, rreq, &rresp);
  rest = Http(p.rest_port, "POST", "/v1/models/default:regress",
              absl::StrCat(R"({"signature_name": "nope", "examples": [)", examples_json, "]}"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(rest.status, 400);
  EXPECT_THAT(rest.body, HasSubstr(s.error_message()));
  EXPECT_EQ(p.Stop(), 0);
}

TEST(ServeE2E, ModelConfigFileIsPolledModelsAddedAndRemoved) {
  TFM_REQUIRE_TESTDATA();
  const std::string three = testing::Testdata("tf_serving/saved_model_half_plus_three");
  auto config = [&](bool with_a, bool with_b) {
    std::string text = "model_config_list {\n";
    if (with_a) {
      absl::StrAppend(&text, "  config { name: 'a' base_path: '", HalfPlusTwo(),
                      "' model_platform: 'tensorflow' }\n");
    }
    if (with_b) {
      absl::StrAppend(&text, "  config { name: 'b' base_path: '", three,
                      "' model_platform: 'tensorflow' }\n");
    }
    return text + "}\n";
  };
  const std::string path = WriteConfig(config(true, false));
  ServerProcess p;
  ASSERT_TRUE(p.Start({"--model_config_file=" + path, "--model_config_file_poll_wait_seconds=1"},
                      "/v1/models/a"))
      << p.ready_status << p.Log();
  EXPECT_EQ(Http(p.rest_port, "GET", "/v1/models/b").status, 404);
  auto wait_status = [&](const std::string& model, int want) {
    for (int i = 0; i < 100; ++i) {
      auto r = Http(p.rest_port, "GET", "/v1/models/" + model);
      if (r.status == want && (want != 200 || r.body.find("AVAILABLE") != std::string::npos)) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  // Add b.
  ASSERT_TRUE(WriteStringToFile(path + ".tmp", config(true, true)).ok());
  fs::rename(path + ".tmp", path);
  EXPECT_TRUE(wait_status("b", 200)) << p.Log();
  auto r = Http(p.rest_port, "POST", "/v1/models/b:predict", R"({"instances": [2.0]})");
  EXPECT_TRUE(JsonEq(r.body, R"({"predictions": [4.0]})"));
  r = Http(p.rest_port, "POST", "/v1/models/a:predict", R"({"instances": [2.0]})");
  EXPECT_TRUE(JsonEq(r.body, R"({"predictions": [3.0]})"));
  // Remove a.
  ASSERT_TRUE(WriteStringToFile(path + ".tmp", config(false, true)).ok());
  fs::rename(path + ".tmp", path);
  EXPECT_TRUE(wait_status("a", 404)) << p.Log();
  r = Http(p.rest_port, "POST", "/v1/models/a:predict", R"({"instances": [2.0]})");
  EXPECT_EQ(r.status, 404);
  r = Http(p.rest_port, "POST", "/v1/models/b:predict", R"({"instances": [2.0]})");
  EXPECT_TRUE(JsonEq(r.body, R"({"predictions": [4.0]})"));
  // A broken edit is reported and the served models stay.
  ASSERT_TRUE(WriteStringToFile(path + ".tmp", "model_config_list { config { name: ").ok());
  fs::rename(path + ".tmp", path);
  EXPECT_TRUE(p.WaitLog("keeping the previous config", 30)) << p.Log();
  r = Http(p.rest_port, "POST", "/v1/models/b:predict", R"({"instances": [2.0]})");
  EXPECT_TRUE(JsonEq(r.body, R"({"predictions": [4.0]})"));
  // A list with no models would unload everything: refused, b stays.
  ASSERT_TRUE(WriteStringToFile(path + ".tmp", config(false, false)).ok());
  fs::rename(path + ".tmp", path);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_THAT(p.Log(), HasSubstr("it would unload every served model (b)"));
  r = Http(p.rest_port, "POST", "/v1/models/b:predict", R"({"instances": [2.0]})");
  EXPECT_TRUE(JsonEq(r.body, R"({"predictions": [4.0]})"));
  EXPECT_EQ(p.Stop(), 0);
}

}  // namespace
}  // namespace tfmodel::e2e

namespace tfmodel::e2e {
namespace {

// The seed's pipeline end to end: a TF checkpoint exported by `tfmodel export` into a base
// path is served, and answers pred = W*X + b with the checkpoint's weights.
TEST(ServeE2E, ExportedCheckpointIsServed) {
  TFM_REQUIRE_TESTDATA();
  const std::string base = JoinPath(testing::TempDir(), "exported_regression");
  std::filesystem::remove_all(base);
  auto e = testing::RunCommand(absl::StrCat(
      testing::Quote(TFMODEL_BINARY), " export --input_meta_graph ",
      testing::Quote(testing::Testdata("tf2onnx/regression/checkpoint/model.meta")),
      " --input_checkpoint ", testing::Quote(testing::Testdata("tf2onnx/regression/checkpoint")),
      " --signature 'serving_default: inputs X=X:0; outputs pred=pred:0; method predict'",
      " --export_base ", testing::Quote(base)));
  ASSERT_EQ(e.exit_code, 0) << e.output;
  ServerProcess p;
  ASSERT_TRUE(
      p.Start({"--model_name=regression", "--model_base_path=" + base}, "/v1/models/regression"))
      << p.ready_status << p.Log();
  EXPECT_THAT(p.ready_status, HasSubstr("\"version\": \"1\""));
  auto r = Http(p.rest_port, "POST", "/v1/models/regression:predict",
                R"({"instances": [1.0, 2.0, -3.5]})");
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  ASSERT_TRUE(d.IsObject() && d.HasMember("predictions")) << r.body;
  const auto& preds = d["predictions"];
  ASSERT_TRUE(preds.IsArray() && preds.Size() == 3) << r.body;
  const double xs[] = {1.0, 2.0, -3.5};
  for (rapidjson::SizeType i = 0; i < 3; ++i) {
    EXPECT_NEAR(preds[i].GetDouble(), 0.21396178 * xs[i] + 1.0495254, 1e-6) << r.body;
  }
  r = Http(p.rest_port, "GET", "/v1/models/regression/metadata");
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("\"pred\""));
  EXPECT_THAT(r.body, HasSubstr("\"X:0\""));
}

}  // namespace
}  // namespace tfmodel::e2e
