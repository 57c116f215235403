// End-to-end tests of `tfmodel serve --auth_token_file / --auth_basic_file`: the real
// binary over loopback REST and gRPC, with the credential files edited while it serves.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "inference/open_inference_grpc.grpc.pb.h"
#include "serve_e2e_util.h"
#include "tensorflow_serving/apis/model_service.grpc.pb.h"
#include "tensorflow_serving/apis/prediction_service.grpc.pb.h"
#include "test_util.h"

namespace tfmodel::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPredict[] = "/v1/models/default:predict";
constexpr char kBody[] = R"({"instances": [2.0, 3.0]})";
constexpr char kAnswer[] = R"({"predictions": [3.0, 3.5]})";

std::string Header(const std::string& authorization) {
  return absl::StrCat("Authorization: ", authorization, "\r\n");
}

std::string Basic(const std::string& user_password) {
  return "Basic " + absl::Base64Escape(user_password);
}

std::string AuthFile(const std::string& name, const std::string& text) {
  const std::string path =
      JoinPath(testing::TempDir(), absl::StrCat("auth_", getpid(), "_", rand(), "_", name));
  EXPECT_TRUE(WriteStringToFile(path, text).ok());
  return path;
}

// Launches the server and waits until /readyz (which needs no credentials) says ready.
bool StartWithAuth(ServerProcess* p, std::vector<std::string> flags) {
  flags.push_back("--model_base_path=" + HalfPlusTwo());
  p->Launch(std::move(flags));
  for (int i = 0; i < 300; ++i) {
    if (p->Exited()) return false;
    if (Http(p->rest_port, "GET", "/readyz").status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

TEST(AuthServeE2E, RestBearerAndBasic) {
  TFM_REQUIRE_TESTDATA();
  const std::string tokens = AuthFile("tokens", "# clients\ntoken-one\n\ntoken-two\n");
  const std::string users = AuthFile("users", "alice:s3cret:x\n");
  ServerProcess p;
  ASSERT_TRUE(StartWithAuth(
      &p, {"--auth_token_file=" + tokens, "--auth_basic_file=" + users,
           "--monitoring_config_file=" + testing::Testdata("tf_serving/monitoring_config.txt")}))
      << p.Log();
  EXPECT_THAT(p.Log(), HasSubstr("Authentication required: bearer tokens from " + tokens));

  // No credentials, wrong ones, a scheme it does not take: 401 with both challenges.
  for (const std::string& extra :
       {std::string(), Header("Bearer token-three"), Header(Basic("alice:wrong")),
        Header("Digest x"), Header("Basic ***")}) {
    auto r = Http(p.rest_port, "POST", kPredict, kBody, extra);
    EXPECT_EQ(r.status, 401) << extra << r.body;
    EXPECT_THAT(r.headers, HasSubstr("WWW-Authenticate: Bearer realm=\"tfmodel\""));
    EXPECT_THAT(r.headers, HasSubstr("WWW-Authenticate: Basic realm=\"tfmodel\""));
    EXPECT_THAT(r.headers, HasSubstr("Content-Type: application/json"));
    EXPECT_THAT(r.body, HasSubstr("\"error\""));
    EXPECT_THAT(r.body, Not(HasSubstr("token-three")));
    EXPECT_THAT(r.body, Not(HasSubstr("wrong")));
  }
  auto r = Http(p.rest_port, "POST", kPredict, kBody);
  EXPECT_THAT(r.body, HasSubstr("Missing credentials"));
  r = Http(p.rest_port, "POST", kPredict, kBody, Header("Bearer token-three"));
  EXPECT_THAT(r.body, HasSubstr("Invalid credentials"));

  // The right ones.
  for (const std::string& good : {std::string("Bearer token-one"), std::string("bearer token-two"),
                                  Basic("alice:s3cret:x")}) {
    r = Http(p.rest_port, "POST", kPredict, kBody, Header(good));
    EXPECT_EQ(r.status, 200) << good << r.body;
    EXPECT_TRUE(JsonEq(r.body, kAnswer));
  }
  r = Http(p.rest_port, "GET", "/v1/models/default", "", Header("Bearer token-one"));
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("AVAILABLE"));

  // Probes need nothing; metrics do.
  EXPECT_EQ(Http(p.rest_port, "GET", "/healthz").status, 200);
  EXPECT_EQ(Http(p.rest_port, "GET", "/health").status, 200);
  EXPECT_EQ(Http(p.rest_port, "GET", "/readyz").status, 200);
  EXPECT_EQ(Http(p.rest_port, "GET", "/v2/health/live").status, 200);
  EXPECT_EQ(Http(p.rest_port, "GET", "/v1/models/default").status, 401);
  EXPECT_EQ(Http(p.rest_port, "GET", "/v2/models/default").status, 401);
  r = Http(p.rest_port, "GET", "/monitoring/prometheus/metrics");
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(r.body, Not(HasSubstr("# TYPE")));
  r = Http(p.rest_port, "GET", "/monitoring/prometheus/metrics", "", Header("Bearer token-two"));
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("model_name=\"default\""));
  // A CORS preflight carries no credentials and is answered; it lets browsers send them.
  r = Http(p.rest_port, "OPTIONS", kPredict, "", "Origin: http://example.com\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(p.Stop(), 0);
}

TEST(AuthServeE2E, TokenFileEditedWhileServing) {
  TFM_REQUIRE_TESTDATA();
  const std::string tokens = AuthFile("tokens", "before\n");
  ServerProcess p;
  ASSERT_TRUE(StartWithAuth(&p, {"--auth_token_file=" + tokens})) << p.Log();
  EXPECT_EQ(Http(p.rest_port, "POST", kPredict, kBody, Header("Bearer before")).status, 200);
  ASSERT_TRUE(WriteStringToFile(tokens, "after-1\nafter-2\n").ok());
  // The file is looked at every second.
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    status = Http(p.rest_port, "POST", kPredict, kBody, Header("Bearer after-2")).status;
  }
  EXPECT_EQ(status, 200) << p.Log();
  EXPECT_EQ(Http(p.rest_port, "POST", kPredict, kBody, Header("Bearer before")).status, 401);
  EXPECT_TRUE(p.WaitLog("Reloaded auth token file " + tokens + ": 2 credentials", 5));

  // A bad file keeps the previous tokens and says why in the log.
  ASSERT_TRUE(WriteStringToFile(tokens, "has a space\n").ok());
  EXPECT_TRUE(p.WaitLog(tokens + " line 1", 10)) << p.Log();
  EXPECT_THAT(p.Log(), HasSubstr("keeping the previous credentials"));
  EXPECT_THAT(p.Log(), Not(HasSubstr("has a space")));
  EXPECT_EQ(Http(p.rest_port, "POST", kPredict, kBody, Header("Bearer after-1")).status, 200);
  EXPECT_EQ(p.Stop(), 0);
}

TEST(AuthServeE2E, BadFileAtStartupIsAnError) {
  TFM_REQUIRE_TESTDATA();
  const std::string missing = JoinPath(testing::TempDir(), "no_such_auth_tokens.txt");
  ServerProcess p;
  EXPECT_FALSE(StartWithAuth(&p, {"--auth_token_file=" + missing}));
  EXPECT_TRUE(WIFEXITED(p.exit_status));
  EXPECT_NE(WEXITSTATUS(p.exit_status), 0);
  EXPECT_THAT(p.Log(), HasSubstr("--auth_token_file"));
  EXPECT_THAT(p.Log(), HasSubstr(missing));

  const std::string bad = AuthFile("users", "alice\n");
  ServerProcess q;
  EXPECT_FALSE(StartWithAuth(&q, {"--auth_basic_file=" + bad}));
  EXPECT_NE(WEXITSTATUS(q.exit_status), 0);
  EXPECT_THAT(q.Log(), HasSubstr(bad + " line 1: want user:password"));
}

template <typename Call>
grpc::Status CallWith(const std::string& authorization, Call call) {
  grpc::ClientContext ctx;
  if (!authorization.empty()) ctx.AddMetadata("authorization", authorization);
  return call(&ctx);
}

TEST(AuthServeE2E, GrpcEveryService) {
  TFM_REQUIRE_TESTDATA();
  const std::string tokens = AuthFile("tokens", "grpc-token\n");
  const std::string users = AuthFile("users", "bob:pw\n");
  const std::string socket_path =
      JoinPath(testing::TempDir(), absl::StrCat("auth_grpc_", getpid(), ".sock"));
  ServerProcess p;
  ASSERT_TRUE(StartWithAuth(&p, {"--auth_token_file=" + tokens, "--auth_basic_file=" + users,
                                 "--grpc_socket_path=" + socket_path}))
      << p.Log();
  auto predict = p.GrpcStub<tensorflow::serving::PredictionService>();
  tensorflow::serving::PredictRequest req;
  req.mutable_model_spec()->set_name("default");
  auto& x = (*req.mutable_inputs())["x"];
  x.set_dtype(tensorflow::DT_FLOAT);
  x.mutable_tensor_shape()->add_dim()->set_size(1);
  x.add_float_val(2.0f);
  auto do_predict = [&](grpc::ClientContext* ctx) {
    tensorflow::serving::PredictResponse resp;
    grpc::Status s = predict->Predict(ctx, req, &resp);
    if (s.ok()) {
      EXPECT_EQ(resp.outputs().at("y").float_val(0), 3.0f);
    }
    return s;
  };
  for (const std::string& bad :
       {std::string(), std::string("Bearer nope"), Basic("bob:wrong"), std::string("grpc-token")}) {
    grpc::Status s = CallWith(bad, do_predict);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << bad;
    EXPECT_THAT(s.error_message(), Not(HasSubstr("nope")));
  }
  EXPECT_THAT(CallWith("", do_predict).error_message(), HasSubstr("Missing credentials"));
  EXPECT_TRUE(CallWith("Bearer grpc-token", do_predict).ok());
  EXPECT_TRUE(CallWith(Basic("bob:pw"), do_predict).ok());

  auto models = p.GrpcStub<tensorflow::serving::ModelService>();
  auto do_status = [&](grpc::ClientContext* ctx) {
    tensorflow::serving::GetModelStatusRequest sreq;
    sreq.mutable_model_spec()->set_name("default");
    tensorflow::serving::GetModelStatusResponse sresp;
    return models->GetModelStatus(ctx, sreq, &sresp);
  };
  EXPECT_EQ(CallWith("Bearer nope", do_status).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(CallWith("Bearer grpc-token", do_status).ok());

  auto v2 = p.GrpcStub<inference::GRPCInferenceService>();
  auto do_live = [&](grpc::ClientContext* ctx) {
    inference::ServerLiveResponse resp;
    return v2->ServerLive(ctx, {}, &resp);
  };
  EXPECT_EQ(CallWith("", do_live).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(CallWith(Basic("bob:pw"), do_live).ok());

  // The UNIX socket is checked the same way.
  auto unix_stub = tensorflow::serving::PredictionService::NewStub(
      grpc::CreateChannel("unix:" + socket_path, grpc::InsecureChannelCredentials()));
  auto unix_predict = [&](grpc::ClientContext* ctx) {
    tensorflow::serving::PredictResponse resp;
    return unix_stub->Predict(ctx, req, &resp);
  };
  EXPECT_EQ(CallWith("", unix_predict).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(CallWith("Bearer grpc-token", unix_predict).ok());
  // Channels closed first: the server's drain otherwise waits ≈ 5 s for open connections
  // (with or without auth).
  predict.reset();
  models.reset();
  v2.reset();
  unix_stub.reset();
  EXPECT_EQ(p.Stop(), 0);
}

TEST(AuthServeE2E, GrpcOverTls) {
  TFM_REQUIRE_TESTDATA();
  const std::string dir = JoinPath(testing::TempDir(), absl::StrCat("auth_tls_", getpid()));
  std::filesystem::create_directories(dir);
  const std::string key = JoinPath(dir, "key.pem"), cert = JoinPath(dir, "cert.pem");
  const std::string cmd = absl::StrCat(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
      "-addext subjectAltName=DNS:localhost -keyout ",
      key, " -out ", cert, " >/dev/null 2>&1");
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl CLI failed: " << cmd;
  auto key_pem = ReadFileToString(key);
  auto cert_pem = ReadFileToString(cert);
  ASSERT_TRUE(key_pem.ok() && cert_pem.ok());
  const std::string ssl_config =
      WriteConfig(absl::StrCat("server_key: \"", absl::CEscape(*key_pem), "\"\nserver_cert: \"",
                               absl::CEscape(*cert_pem), "\"\nclient_verify: false\n"));
  ServerProcess p;
  ASSERT_TRUE(StartWithAuth(
      &p, {"--ssl_config_file=" + ssl_config, "--auth_token_file=" + AuthFile("t", "tls-tok\n")}))
      << p.Log();
  grpc::SslCredentialsOptions so;
  so.pem_root_certs = *cert_pem;
  // 127.0.0.1 with the certificate's name as an override: no DNS lookup (none in the
  // fresh-machine root; c-ares also leaks a few bytes under LeakSanitizer).
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  auto stub = tensorflow::serving::ModelService::NewStub(grpc::CreateCustomChannel(
      absl::StrCat("127.0.0.1:", p.grpc_port), grpc::SslCredentials(so), args));
  auto do_status = [&](grpc::ClientContext* ctx) {
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    tensorflow::serving::GetModelStatusRequest sreq;
    sreq.mutable_model_spec()->set_name("default");
    tensorflow::serving::GetModelStatusResponse sresp;
    return stub->GetModelStatus(ctx, sreq, &sresp);
  };
  EXPECT_EQ(CallWith("", do_status).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status s = CallWith("Bearer wrong", do_status);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("Invalid credentials"));
  s = CallWith("Bearer tls-tok", do_status);
  EXPECT_TRUE(s.ok()) << s.error_message();
  stub.reset();
  EXPECT_EQ(p.Stop(), 0);
}

}  // namespace
}  // namespace tfmodel::e2e
