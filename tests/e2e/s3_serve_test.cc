// `tfmodel serve --model_base_path=s3://...` against a real S3 API server: s3rver (npm,
// pinned in tests/e2e/s3/package-lock.json) behind tests/e2e/s3/s3_server.mjs, which
// verifies every request's SigV4 signature (s3rver 3.7 itself checks only the key id).
// Objects are uploaded and deleted with the curl command-line tool (its own SigV4 signing),
// so the server under test is checked against independent client and server code.
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "serve_e2e_util.h"

namespace tfmodel::e2e {
namespace {

namespace fs = std::filesystem;

const std::string kS3Dir = JoinPath(TFMODEL_SOURCE_DIR, "tests/e2e/s3");

// The S3 server as a child process.
class S3Server {
 public:
  ~S3Server() { Stop(); }

  // Installs the pinned packages when missing (NpmCiOnce); false (with `why`) when
  // node/npm fail.
  bool Start(std::string* why) {
    if (!NpmCiOnce(kS3Dir, why)) return false;
    port = FreePort();
    dir = JoinPath(testing::TempDir(), absl::StrCat("s3rver_", port));
    fs::create_directories(dir);
    const std::string out = dir + ".out";
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      const std::string script = JoinPath(kS3Dir, "s3_server.mjs");
      const std::string port_text = std::to_string(port);
      execlp("node", "node", script.c_str(), port_text.c_str(), dir.c_str(), nullptr);
      _exit(127);
    }
    for (int i = 0; i < 300; ++i) {
      auto text = ReadFileToString(out);
      if (text.ok() && text->find("ready") != std::string::npos) return true;
      int st;
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        *why = "the S3 server exited: " + (text.ok() ? *text : "");
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    *why = "the S3 server did not start within 30 s";
    return false;
  }

  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int st;
    waitpid(pid_, &st, 0);
    pid_ = -1;
  }

  std::string Url(const std::string& path) const {
    return absl::StrCat("http://127.0.0.1:", port, "/", path);
  }

  // curl with SigV4 (S3RVER's account); `args` are the rest of the command line.
  int Curl(const std::string& args) const {
    return std::system(absl::StrCat("curl -sf -o /dev/null --aws-sigv4 aws:amz:us-east-1:s3 --user "
                                    "S3RVER:S3RVER -H x-amz-content-sha256:UNSIGNED-PAYLOAD ",
                                    args)
                           .c_str());
  }

  bool CreateBucket(const std::string& bucket) const {
    return Curl("-X PUT " + testing::Quote(Url(bucket))) == 0;
  }

  // Uploads every file under `dir` as <bucket>/<prefix>/<relative path>; returns the keys.
  std::vector<std::string> UploadFolder(const std::string& dir, const std::string& bucket,
                                        const std::string& prefix) const {
    std::vector<std::string> keys;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      if (!e.is_regular_file()) continue;
      const std::string key =
          absl::StrCat(prefix, "/", fs::relative(e.path(), dir).generic_string());
      EXPECT_EQ(Curl(absl::StrCat("-T ", testing::Quote(e.path().string()), " ",
                                  testing::Quote(Url(bucket + "/" + key)))),
                0)
          << key;
      keys.push_back(key);
    }
    return keys;
  }

  void Delete(const std::string& bucket, const std::vector<std::string>& keys) const {
    for (const auto& k : keys) {
      EXPECT_EQ(Curl("-X DELETE " + testing::Quote(Url(bucket + "/" + k))), 0) << k;
    }
  }

  // The next `n` requests get 503 SlowDown.
  void FailNext(int n) const {
    ASSERT_TRUE(WriteStringToFile(dir + ".fail", std::to_string(n)).ok());
  }
  int FailuresLeft() const {
    auto s = ReadFileToString(dir + ".fail");
    return s.ok() ? std::atoi(s->c_str()) : 0;
  }

  int port = 0;
  std::string dir;

 private:
  pid_t pid_ = -1;
};

std::string HalfPlusTwoVersion() {
  return testing::Testdata("tf_serving/saved_model_half_plus_two_cpu/00000123");
}

// Sets the S3 environment the server process inherits; restores it on destruction.
class ScopedS3Env {
 public:
  ScopedS3Env(int port, const std::string& key, const std::string& secret) {
    Set("S3_ENDPOINT", absl::StrCat("127.0.0.1:", port));
    Set("S3_USE_HTTPS", "0");
    Set("AWS_REGION", "us-east-1");
    Set("AWS_ACCESS_KEY_ID", key);
    Set("AWS_SECRET_ACCESS_KEY", secret);
    Set("S3_MAX_ATTEMPTS", "2");
  }
  ~ScopedS3Env() {
    for (const auto& n : names_) unsetenv(n.c_str());
  }

 private:
  void Set(const std::string& name, const std::string& value) {
    setenv(name.c_str(), value.c_str(), 1);
    names_.push_back(name);
  }
  std::vector<std::string> names_;
};

#define START_S3_OR_SKIP(server)                                 \
  do {                                                           \
    std::string why;                                             \
    const bool started = (server).Start(&why);                   \
    TFM_SKIP_WITHOUT_NODE(started, "no S3 test server: " + why); \
  } while (0)

// Waits up to `seconds` for GET `path` to answer a body containing `text`.
HttpResult WaitFor(int port, const std::string& path, const std::string& text, double seconds) {
  HttpResult r;
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    r = Http(port, "GET", path);
    if (r.body.find(text) != std::string::npos) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return r;
}

TEST(S3ServeE2E, ServesPollsNewVersionsAndEvictsTheCache) {
  TFM_REQUIRE_TESTDATA();
  S3Server s3;
  START_S3_OR_SKIP(s3);
  ASSERT_TRUE(s3.CreateBucket("models"));
  auto v1 = s3.UploadFolder(HalfPlusTwoVersion(), "models", "zoo/hp2/1");
  ASSERT_FALSE(v1.empty());
  // An unrelated object and a non-numeric folder beside the versions are ignored.
  s3.UploadFolder(HalfPlusTwoVersion() + "/variables", "models", "zoo/hp2/notes");

  ScopedS3Env env(s3.port, "S3RVER", "S3RVER");
  const std::string cache = JoinPath(testing::TempDir(), "s3_cache");
  ServerProcess p;
  ASSERT_TRUE(p.Start({"--model_name=hp2", "--model_base_path=s3://models/zoo/hp2",
                       "--file_system_poll_wait_seconds=1", "--s3_cache_dir=" + cache},
                      "/v1/models/hp2"))
      << p.ready_status << p.Log();
  auto r = Http(p.rest_port, "POST", "/v1/models/hp2:predict", R"({"instances": [1.0, 2.0, 5.0]})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(JsonEq(r.body, R"({"predictions": [2.5, 3.0, 4.5]})"));
  EXPECT_TRUE(fs::exists(JoinPath(cache, "models/zoo/hp2/1/saved_model.pb"))) << p.Log();
  EXPECT_TRUE(p.WaitLog("Downloaded s3://models/zoo/hp2/1", 1)) << p.Log();

  // Version 2 appears: the server loads it and unloads 1, deleting 1's cached copy.
  s3.UploadFolder(HalfPlusTwoVersion(), "models", "zoo/hp2/2");
  for (int i = 0; i < 300; ++i) {
    r = Http(p.rest_port, "GET", "/v1/models/hp2");
    rapidjson::Document d;
    d.Parse(r.body.c_str());
    if (d.IsObject() && d.HasMember("model_version_status") &&
        d["model_version_status"].Size() == 2 &&
        std::string(d["model_version_status"][0]["state"].GetString()) == "AVAILABLE" &&
        std::string(d["model_version_status"][1]["state"].GetString()) == "END") {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  ASSERT_TRUE(d.IsObject() && d.HasMember("model_version_status") &&
              d["model_version_status"].Size() == 2)
      << r.body << p.Log();
  EXPECT_STREQ(d["model_version_status"][0]["version"].GetString(), "2");
  EXPECT_STREQ(d["model_version_status"][0]["state"].GetString(), "AVAILABLE");
  EXPECT_STREQ(d["model_version_status"][1]["version"].GetString(), "1");
  EXPECT_STREQ(d["model_version_status"][1]["state"].GetString(), "END");
  EXPECT_TRUE(fs::exists(JoinPath(cache, "models/zoo/hp2/2/saved_model.pb")));
  EXPECT_TRUE(p.WaitLog("Deleted the S3 cache folder", 5)) << p.Log();
  EXPECT_FALSE(fs::exists(JoinPath(cache, "models/zoo/hp2/1"))) << p.Log();
  r = Http(p.rest_port, "POST", "/v1/models/hp2/versions/2:predict", R"({"instances": [4.0]})");
  EXPECT_TRUE(JsonEq(r.body, R"({"predictions": [4.0]})")) << r.body;

  // Version 1 is deleted from the bucket: version 2 keeps serving.
  s3.Delete("models", v1);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  r = Http(p.rest_port, "POST", "/v1/models/hp2:predict", R"({"instances": [0.0]})");
  EXPECT_TRUE(JsonEq(r.body, R"({"predictions": [2.0]})")) << r.body << p.Log();
  EXPECT_EQ(p.Stop(), 0) << p.Log();
}

// 503s are retried (S3_MAX_ATTEMPTS, backoff with jitter): the model still loads.
TEST(S3ServeE2E, TransientErrorsAreRetried) {
  TFM_REQUIRE_TESTDATA();
  S3Server s3;
  START_S3_OR_SKIP(s3);
  ASSERT_TRUE(s3.CreateBucket("models"));
  s3.UploadFolder(HalfPlusTwoVersion(), "models", "hp2/3");
  ScopedS3Env env(s3.port, "S3RVER", "S3RVER");
  setenv("S3_MAX_ATTEMPTS", "4", 1);  // ScopedS3Env unsets it
  s3.FailNext(3);
  ServerProcess p;
  ASSERT_TRUE(p.Start(
      {"--model_name=hp2", "--model_base_path=s3://models/hp2", "--file_system_poll_wait_seconds=1",
       "--s3_cache_dir=" + JoinPath(testing::TempDir(), "s3_cache_retry")},
      "/v1/models/hp2"))
      << p.ready_status << p.Log();
  EXPECT_EQ(s3.FailuresLeft(), 0);
  auto r = Http(p.rest_port, "POST", "/v1/models/hp2:predict", R"({"instances": [3.0]})");
  EXPECT_TRUE(JsonEq(r.body, R"({"predictions": [3.5]})")) << r.body;
}

TEST(S3ServeE2E, WrongSecretIsAPermissionErrorInModelStatus) {
  TFM_REQUIRE_TESTDATA();
  S3Server s3;
  START_S3_OR_SKIP(s3);
  ASSERT_TRUE(s3.CreateBucket("models"));
  s3.UploadFolder(HalfPlusTwoVersion(), "models", "hp2/1");
  ScopedS3Env env(s3.port, "S3RVER", "not-the-secret");
  ServerProcess p;
  p.Launch({"--model_name=hp2", "--model_base_path=s3://models/hp2",
            "--file_system_poll_wait_seconds=1",
            "--s3_cache_dir=" + JoinPath(testing::TempDir(), "s3_cache_denied")});
  HttpResult r = WaitFor(p.rest_port, "/v1/models/hp2", "SignatureDoesNotMatch", 30);
  EXPECT_EQ(r.status, 403) << r.body << p.Log();
  EXPECT_NE(r.body.find("S3 access denied"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("s3://models/hp2/"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("check the access key S3RVER"), std::string::npos) << r.body;
  r = Http(p.rest_port, "POST", "/v1/models/hp2:predict", R"({"instances": [1.0]})");
  EXPECT_NE(r.status, 200);
  EXPECT_FALSE(p.Exited()) << p.Log();  // keeps polling: fixing access makes it serve
}

TEST(S3ServeE2E, UnknownAccessKeyIsAPermissionError) {
  TFM_REQUIRE_TESTDATA();
  S3Server s3;
  START_S3_OR_SKIP(s3);
  ASSERT_TRUE(s3.CreateBucket("models"));
  ScopedS3Env env(s3.port, "NOSUCHKEY", "x");
  ServerProcess p;
  p.Launch({"--model_name=hp2", "--model_base_path=s3://models/hp2",
            "--file_system_poll_wait_seconds=1",
            "--s3_cache_dir=" + JoinPath(testing::TempDir(), "s3_cache_key")});
  HttpResult r = WaitFor(p.rest_port, "/v1/models/hp2", "InvalidAccessKeyId", 30);
  EXPECT_EQ(r.status, 403) << r.body << p.Log();
  EXPECT_NE(r.body.find("NOSUCHKEY"), std::string::npos) << r.body;
}

TEST(S3ServeE2E, MissingBucketIsNotFoundInModelStatus) {
  TFM_REQUIRE_TESTDATA();
  S3Server s3;
  START_S3_OR_SKIP(s3);
  ScopedS3Env env(s3.port, "S3RVER", "S3RVER");
  ServerProcess p;
  p.Launch({"--model_name=hp2", "--model_base_path=s3://no-such-bucket/hp2",
            "--file_system_poll_wait_seconds=1",
            "--s3_cache_dir=" + JoinPath(testing::TempDir(), "s3_cache_missing")});
  HttpResult r = WaitFor(p.rest_port, "/v1/models/hp2", "NoSuchBucket", 30);
  EXPECT_EQ(r.status, 404) << r.body << p.Log();
  EXPECT_NE(r.body.find("S3 bucket does not exist"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("s3://no-such-bucket/hp2/"), std::string::npos) << r.body;
}

TEST(S3ServeE2E, VersionOverTheCacheBoundIsRefused) {
  TFM_REQUIRE_TESTDATA();
  S3Server s3;
  START_S3_OR_SKIP(s3);
  ASSERT_TRUE(s3.CreateBucket("models"));
  s3.UploadFolder(HalfPlusTwoVersion(), "models", "hp2/1");
  ScopedS3Env env(s3.port, "S3RVER", "S3RVER");
  // half_plus_two takes 12318 bytes: one version fits in 20000, two do not.
  const std::string cache = JoinPath(testing::TempDir(), "s3_cache_bounded");
  ServerProcess p;
  ASSERT_TRUE(p.Start(
      {"--model_name=hp2", "--model_base_path=s3://models/hp2", "--file_system_poll_wait_seconds=1",
       "--s3_cache_max_bytes=20000", "--s3_cache_dir=" + cache},
      "/v1/models/hp2"))
      << p.Log();
  // Version 2 would take the cache over the bound while version 1 is served: refused before
  // any byte is downloaded, said in the model status; version 1 keeps serving.
  s3.UploadFolder(HalfPlusTwoVersion(), "models", "hp2/2");
  HttpResult r = WaitFor(p.rest_port, "/v1/models/hp2", "s3_cache_max_bytes", 30);
  EXPECT_NE(r.body.find("s3://models/hp2/2 needs 12318 bytes"), std::string::npos)
      << r.body << p.Log();
  EXPECT_NE(r.body.find("holds 12318 bytes"), std::string::npos) << r.body;
  EXPECT_FALSE(fs::exists(JoinPath(cache, "models/hp2/2")));
  r = Http(p.rest_port, "POST", "/v1/models/hp2:predict", R"({"instances": [1.0]})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("2.5"), std::string::npos) << r.body;
  // At startup the same refusal stops the server, as any failed initial load does.
  ServerProcess q;
  q.Launch({"--model_name=hp2", "--model_base_path=s3://models/hp2", "--s3_cache_max_bytes=1000",
            "--s3_cache_dir=" + JoinPath(testing::TempDir(), "s3_cache_tiny")});
  ASSERT_TRUE(q.WaitExit(30)) << q.Log();
  EXPECT_NE(q.Log().find("--s3_cache_max_bytes is 1000"), std::string::npos) << q.Log();
}

TEST(S3ServeE2E, InterruptedDownloadIsResumed) {
  TFM_REQUIRE_TESTDATA();
  S3Server s3;
  START_S3_OR_SKIP(s3);
  ASSERT_TRUE(s3.CreateBucket("models"));
  s3.UploadFolder(HalfPlusTwoVersion(), "models", "hp2/1");
  ScopedS3Env env(s3.port, "S3RVER", "S3RVER");
  // What a server killed mid-download leaves: "<version>.partial-<pid>-<n>" of a process
  // that is gone, holding one intact object, one of the right size but wrong bytes, and a
  // file the version does not have.
  const std::string cache = JoinPath(testing::TempDir(), "s3_cache_resume");
  const std::string partial = JoinPath(cache, "models/hp2/1.partial-1073741824-7");
  fs::create_directories(JoinPath(partial, "variables"));
  fs::copy_file(JoinPath(HalfPlusTwoVersion(), "saved_model.pb"),
                JoinPath(partial, "saved_model.pb"));
  const std::string index = JoinPath(HalfPlusTwoVersion(), "variables/variables.index");
  ASSERT_TRUE(WriteStringToFile(JoinPath(partial, "variables/variables.index"),
                                std::string(fs::file_size(index), 'x'))
                  .ok());
  ASSERT_TRUE(WriteStringToFile(JoinPath(partial, "junk.txt"), "not in the bucket").ok());
  ServerProcess p;
  ASSERT_TRUE(p.Start({"--model_name=hp2", "--model_base_path=s3://models/hp2",
                       "--file_system_poll_wait_seconds=1", "--s3_cache_dir=" + cache},
                      "/v1/models/hp2"))
      << p.Log();
  EXPECT_NE(p.Log().find("Resuming an interrupted download of s3://models/hp2/1: 1 of 4 "
                         "objects already there"),
            std::string::npos)
      << p.Log();
  HttpResult r = Http(p.rest_port, "POST", "/v1/models/hp2:predict", R"({"instances": [1.0]})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("2.5"), std::string::npos) << r.body;
  EXPECT_FALSE(fs::exists(partial));
  EXPECT_FALSE(fs::exists(JoinPath(cache, "models/hp2/1/junk.txt")));
  auto got = ReadFileToString(JoinPath(cache, "models/hp2/1/variables/variables.index"));
  auto want = ReadFileToString(index);
  ASSERT_TRUE(got.ok() && want.ok());
  EXPECT_EQ(*got, *want);  // the damaged object was fetched again
}

}  // namespace
}  // namespace tfmodel::e2e
