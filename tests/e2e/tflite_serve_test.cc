// `tfmodel serve --prefer_tflite_model` on TF Serving's TFLite test models (the real binary,
// real sockets): REST and gRPC Predict give half_plus_two's answers; without the flag the
// TFLite-only version folder does not load.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tensorflow_serving/apis/prediction_service.grpc.pb.h"
#include "test_util.h"

namespace tfmodel {
namespace {

using ::testing::HasSubstr;

int UnusedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// One HTTP/1.1 request; returns "<status> <body>" ("" when the connection fails).
std::string Request(int port, const std::string& method, const std::string& path,
                    const std::string& body = "") {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return "";
  }
  const std::string req =
      absl::StrCat(method, " ", path, " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n",
                   "Content-Length: ", body.size(), "\r\n\r\n", body);
  (void)send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string resp;
  char buf[8192];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) resp.append(buf, static_cast<size_t>(n));
  close(fd);
  const size_t hdr = resp.find("\r\n\r\n");
  if (resp.size() < 12 || hdr == std::string::npos) return "";
  return resp.substr(9, 3) + " " + resp.substr(hdr + 4);
}

class Server {
 public:
  ~Server() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int st;
      waitpid(pid_, &st, 0);
    }
  }
  // Starts the server; returns the model status JSON once no version is LOADING.
  std::string Start(const std::string& base_path, bool prefer_tflite) {
    grpc_port = UnusedPort();
    rest_port = UnusedPort();
    std::vector<std::string> args = {TFMODEL_BINARY,
                                     "serve",
                                     "--model_name=tfl",
                                     "--model_base_path=" + base_path,
                                     absl::StrCat("--port=", grpc_port),
                                     absl::StrCat("--rest_api_port=", rest_port),
                                     "--max_num_load_retries=0"};
    if (prefer_tflite) args.push_back("--prefer_tflite_model");
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open("/dev/null", O_WRONLY);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<char*> argv;
      for (auto& s : args) argv.push_back(s.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    for (int i = 0; i < 300; ++i) {
      int st;
      if (waitpid(pid_, &st, WNOHANG) == pid_) {  // exited: the model failed to load
        pid_ = -1;
        exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        return "";
      }
      std::string r = Request(rest_port, "GET", "/v1/models/tfl");
      if (absl::StartsWith(r, "200") && r.find("LOADING") == std::string::npos) return r;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return "";
  }
  int grpc_port = 0, rest_port = 0;
  int exit_code = -1;  // set when the server exited during Start

 private:
  pid_t pid_ = -1;
};

TEST(TfLiteServeE2E, PreferTfLiteModelServesRestAndGrpc) {
  TFM_REQUIRE_TESTDATA();
  for (const char* model :
       {"saved_model_half_plus_two_tflite", "saved_model_half_plus_two_tflite_with_sigdef"}) {
    SCOPED_TRACE(model);
    Server s;
    std::string status = s.Start(testing::Testdata(absl::StrCat("tf_serving/", model)), true);
    ASSERT_THAT(status, HasSubstr("AVAILABLE"));
    std::string r =
        Request(s.rest_port, "POST", "/v1/models/tfl:predict", R"({"instances": [1.0, 2.0, 5.0]})");
    EXPECT_THAT(r, HasSubstr("200 "));
    EXPECT_THAT(r, HasSubstr("2.5, 3.0, 4.5"));
    r = Request(s.rest_port, "GET", "/v1/models/tfl/metadata");
    EXPECT_THAT(r, HasSubstr("serving_default"));

    auto stub = tensorflow::serving::PredictionService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", s.grpc_port), grpc::InsecureChannelCredentials()));
    tensorflow::serving::PredictRequest req;
    req.mutable_model_spec()->set_name("tfl");
    auto& x = (*req.mutable_inputs())["x"];
    x.set_dtype(tensorflow::DT_FLOAT);
    x.mutable_tensor_shape()->add_dim()->set_size(1);
    x.add_float_val(2.0f);
    tensorflow::serving::PredictResponse resp;
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub->Predict(&ctx, req, &resp).ok());
    ASSERT_EQ(resp.outputs().at("y").float_val_size(), 1);
    EXPECT_EQ(resp.outputs().at("y").float_val(0), 3.0f);  // TF Serving's testPredictOnTfLite
  }
}

TEST(TfLiteServeE2E, WithoutTheFlagATfLiteOnlyVersionDoesNotLoad) {
  TFM_REQUIRE_TESTDATA();
  Server s;
  std::string status =
      s.Start(testing::Testdata("tf_serving/saved_model_half_plus_two_tflite"), false);
  EXPECT_THAT(status, ::testing::Not(HasSubstr("AVAILABLE")));
  // As TF Serving: a model that fails to load at startup stops the server.
  EXPECT_EQ(s.exit_code, 255);
}

}  // namespace
}  // namespace tfmodel
