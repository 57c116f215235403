// Helpers for the end-to-end tests of `tfmodel serve`: a tiny blocking HTTP client, the
// server binary as a child process, config files.
#ifndef TFMODEL_TESTS_E2E_SERVE_E2E_UTIL_H_
#define TFMODEL_TESTS_E2E_SERVE_E2E_UTIL_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "test_util.h"

namespace tfmodel::e2e {

inline int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

struct HttpResult {
  int status = 0;
  std::string headers;
  std::string body;
};

// One request on a fresh connection ("Connection: close"); status 0 on socket failure.
// `extra_headers`: more header lines, each ending in "\r\n".
inline HttpResult Http(int port, const std::string& method, const std::string& path,
                       const std::string& body = "", const std::string& extra_headers = "") {
  HttpResult r;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return r;
  }
  std::string req = absl::StrCat(method, " ", path, " HTTP/1.1\r\nHost: localhost\r\n",
                                 "Connection: close\r\nContent-Type: application/json\r\n",
                                 extra_headers, "Content-Length: ", body.size(), "\r\n\r\n", body);
  size_t sent = 0;
  while (sent < req.size()) {
    ssize_t n = send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string resp;
  char buf[65536];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) resp.append(buf, static_cast<size_t>(n));
  close(fd);
  size_t hdr_end = resp.find("\r\n\r\n");
  if (resp.size() < 12 || hdr_end == std::string::npos) return r;
  r.status = std::atoi(resp.substr(9, 3).c_str());
  r.headers = resp.substr(0, hdr_end);
  r.body = resp.substr(hdr_end + 4);
  return r;
}

inline ::testing::AssertionResult JsonEq(const std::string& got, const std::string& want) {
  rapidjson::Document a, b;
  a.Parse<rapidjson::kParseNanAndInfFlag>(got.c_str());
  b.Parse<rapidjson::kParseNanAndInfFlag>(want.c_str());
  if (a.HasParseError()) return ::testing::AssertionFailure() << "bad JSON: " << got;
  if (b.HasParseError()) return ::testing::AssertionFailure() << "bad JSON: " << want;
  if (a != b) return ::testing::AssertionFailure() << "got: " << got << "\nwant: " << want;
  return ::testing::AssertionSuccess();
}

class ServerProcess {
 public:
  ~ServerProcess() { Stop(); }

  // Starts `tfmodel serve` with the given flags plus ports (and --max_num_load_retries=0
  // unless the flags set it) without waiting for anything.
  void Launch(std::vector<std::string> flags) {
    grpc_port = FreePort();
    rest_port = FreePort();
    log_path = JoinPath(testing::TempDir(), absl::StrCat("server_", rest_port, ".log"));
    flags.push_back(absl::StrCat("--port=", grpc_port));
    flags.push_back(absl::StrCat("--rest_api_port=", rest_port));
    bool retries_set = false;
    for (const auto& f : flags) retries_set |= f.rfind("--max_num_load_retries", 0) == 0;
    // Fail fast on load errors instead of TF Serving's minute-long retry interval.
    if (!retries_set) flags.push_back("--max_num_load_retries=0");
    std::vector<std::string> args = {TFMODEL_BINARY, "serve"};
    args.insert(args.end(), flags.begin(), flags.end());
    pid = fork();
    if (pid == 0) {
      int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 2);
      dup2(fd, 1);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }

  // Launch, then wait until `ready_path` answers 200 with no version LOADING (or the
  // process exits). Returns whether a version is AVAILABLE then.
  bool Start(std::vector<std::string> flags, const std::string& ready_path) {
    Launch(std::move(flags));
    for (int i = 0; i < 300; ++i) {
      if (Exited()) return false;
      // Ready once the model's versions have settled (loaded, or failed with an error).
      HttpResult r = Http(rest_port, "GET", ready_path);
      if (r.status == 200 && r.body.find("\"LOADING\"") == std::string::npos) {
        ready_status = r.body;
        return r.body.find("\"AVAILABLE\"") != std::string::npos;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  // Whether the process has exited (then exit_status holds its wait status).
  bool Exited() {
    if (pid <= 0) return true;
    int st;
    if (waitpid(pid, &st, WNOHANG) != pid) return false;
    exit_status = st;
    pid = -1;
    return true;
  }

  // Waits up to `seconds` for the process to exit by itself.
  bool WaitExit(double seconds) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end) {
      if (Exited()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return Exited();
  }

  // Waits up to `seconds` until the log contains `text`.
  bool WaitLog(const std::string& text, double seconds) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end) {
      if (Log().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // SIGTERM and wait; returns the exit code (or -1).
  int Stop() {
    if (pid <= 0) return exit_status >= 0 && WIFEXITED(exit_status) ? WEXITSTATUS(exit_status) : -1;
    kill(pid, SIGTERM);
    int st = 0;
    for (int i = 0; i < 300; ++i) {
      if (waitpid(pid, &st, WNOHANG) == pid) {
        pid = -1;
        exit_status = st;
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    pid = -1;
    return -1;
  }

  std::string Log() const {
    auto s = ReadFileToString(log_path);
    return s.ok() ? *s : "";
  }

  template <typename Stub>
  std::unique_ptr<typename Stub::Stub> GrpcStub() const {
    auto ch = grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port),
                                  grpc::InsecureChannelCredentials());
    return Stub::NewStub(ch);
  }

  pid_t pid = -1;
  int exit_status = -1;
  std::string ready_status;  // status JSON seen at readiness
  int grpc_port = 0, rest_port = 0;
  std::string log_path;
};

inline std::string HalfPlusTwo() {
  return testing::Testdata("tf_serving/saved_model_half_plus_two_cpu");
}

inline std::string WriteConfig(const std::string& text) {
  const std::string path = JoinPath(testing::TempDir(), absl::StrCat("config_", rand(), ".txt"));
  EXPECT_TRUE(WriteStringToFile(path, text).ok());
  return path;
}

inline int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

inline void SendAll(int fd, const std::string& s) {
  size_t sent = 0;
  while (sent < s.size()) {
    ssize_t n = send(fd, s.data() + sent, s.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

// Reads until the peer closes or `timeout_ms` passes; *closed tells which.
inline std::string RecvUntilClosed(int fd, int timeout_ms, bool* closed) {
  std::string out;
  *closed = false;
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) {
      *closed = true;
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// Installs the npm packages pinned in `dir` (package.json + package-lock.json) unless
// done already; false (with `why`) when node/npm fail. CTest runs tests in parallel
// processes: the install runs under an flock and counts as done only when its marker
// exists (written after npm ci succeeded), so no test uses a half-installed node_modules.
inline bool NpmCiOnce(const std::string& dir, std::string* why) {
  auto r = testing::RunCommand(
      absl::StrCat("cd ", testing::Quote(dir),
                   " && flock .npm-install.lock sh -c 'test -f node_modules/.tfmodel-installed || "
                   "(npm ci --no-audit --no-fund --prefer-offline --loglevel=error && "
                   "touch node_modules/.tfmodel-installed)' 2>&1"));
  if (r.exit_code != 0) {
    *why = absl::StrCat("npm ci in ", dir, " failed: ", r.output);
    return false;
  }
  return true;
}

// For tests that need node/npm: skips the test when `ok` is false, or fails it when
// CI=true (where node and npm must be installed).
#define TFM_SKIP_WITHOUT_NODE(ok, why)                      \
  do {                                                      \
    if (!(ok)) {                                            \
      const char* ci = std::getenv("CI");                   \
      if (ci && std::string(ci) == "true") FAIL() << (why); \
      GTEST_SKIP() << "node/npm not usable: " << (why);     \
    }                                                       \
  } while (0)

inline double SecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace tfmodel::e2e

#endif  // TFMODEL_TESTS_E2E_SERVE_E2E_UTIL_H_
