#include "serving/version_storage.h"

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "core/file_util.h"
#include "fake_half_plus_two_model.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "serving/manager.h"
#include "test_util.h"

namespace tfmodel::serving {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Remote-like storage: versions listed from a map, fetched to "/local/<location>", with a
// record of fetches and releases.
class FakeStorage : public VersionStorage {
 public:
  absl::StatusOr<std::map<int64_t, std::string>> List(const std::string& base_path) override {
    absl::MutexLock l(&mu);
    if (!list_error.ok()) return list_error;
    return versions;
  }
  absl::StatusOr<std::string> Fetch(const std::string& location) override {
    absl::MutexLock l(&mu);
    fetched.push_back(location);
    if (fetch_errors.count(location)) return fetch_errors.at(location);
    return "/local/" + location;
  }
  void Release(const std::string& location) override {
    absl::MutexLock l(&mu);
    released.push_back(location);
  }

  absl::Mutex mu;
  absl::Status list_error;
  std::map<int64_t, std::string> versions;
  std::map<std::string, absl::Status> fetch_errors;
  std::vector<std::string> fetched, released;
};

struct StorageFixture {
  std::shared_ptr<FakeStorage> storage = std::make_shared<FakeStorage>();
  std::vector<std::string> loaded_dirs;

  std::unique_ptr<ServableManager> Manager() {
    ManagerOptions o;
    o.file_system_poll_wait_seconds = 0;
    o.max_num_load_retries = 0;
    o.storage = storage;
    o.loader = [this](const std::string& dir) -> absl::StatusOr<std::unique_ptr<runtime::Model>> {
      loaded_dirs.push_back(dir);
      return std::unique_ptr<runtime::Model>(new testing::FakeHalfPlusTwoModel(0.5f, 2.0f));
    };
    o.log = [](const std::string&) {};
    return std::make_unique<ServableManager>(std::move(o));
  }
};

tensorflow::serving::ModelServerConfig Config(const std::string& base_path) {
  tensorflow::serving::ModelServerConfig c;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
      "model_config_list { config { name: 'm' base_path: '" + base_path + "' } }", &c));
  return c;
}

tensorflow::serving::GetModelStatusResponse Status(const ServableManager& m, absl::Status* s) {
  tensorflow::serving::GetModelStatusRequest req;
  req.mutable_model_spec()->set_name("m");
  tensorflow::serving::GetModelStatusResponse resp;
  *s = m.GetModelStatus(req, &resp);
  return resp;
}

TEST(VersionStorageTest, ManagerFetchesVersionsAndReleasesUnloadedOnes) {
  StorageFixture setup;
  setup.storage->versions = {{1, "s3://b/m/1"}};
  auto manager = setup.Manager();
  ASSERT_TRUE(manager->ReloadConfig(Config("s3://b/m")).ok());
  EXPECT_THAT(setup.loaded_dirs, ElementsAre("/local/s3://b/m/1"));
  EXPECT_TRUE(setup.storage->released.empty());

  setup.storage->versions[2] = "s3://b/m/2";
  manager->PollAll();
  EXPECT_THAT(setup.loaded_dirs, ElementsAre("/local/s3://b/m/1", "/local/s3://b/m/2"));
  // Version 1 is unloaded by the latest-1 policy: its local copy is released.
  EXPECT_THAT(setup.storage->released, ElementsAre("s3://b/m/1"));

  // The model leaves the config (another takes its place; a list of no models is refused
  // while models are served): its remaining version is released too.
  tensorflow::serving::ModelServerConfig other;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      "model_config_list { config { name: 'other' base_path: 's3://b/other' } }", &other));
  ASSERT_TRUE(manager->ReloadConfig(other).ok());
  EXPECT_THAT(setup.storage->released, ElementsAre("s3://b/m/1", "s3://b/m/2"));
}

TEST(VersionStorageTest, FetchFailureIsALoadFailureInModelStatus) {
  StorageFixture setup;
  setup.storage->versions = {{5, "s3://b/m/5"}};
  setup.storage->fetch_errors["s3://b/m/5"] =
      absl::DataLossError("downloading s3://b/m/5/saved_model.pb: got 3 bytes, the listing says 9");
  auto manager = setup.Manager();
  ASSERT_TRUE(manager->ReloadConfig(Config("s3://b/m")).ok());
  EXPECT_TRUE(setup.loaded_dirs.empty());
  absl::Status s;
  auto resp = Status(*manager, &s);
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(resp.model_version_status_size(), 1);
  EXPECT_EQ(resp.model_version_status(0).state(), tensorflow::serving::ModelVersionStatus::END);
  EXPECT_THAT(resp.model_version_status(0).status().error_message(), HasSubstr("got 3 bytes"));
  EXPECT_EQ(static_cast<int>(resp.model_version_status(0).status().error_code()),
            static_cast<int>(absl::StatusCode::kDataLoss));
  EXPECT_THAT(setup.storage->released, ElementsAre("s3://b/m/5"));  // partial copy dropped
}

TEST(VersionStorageTest, ListingErrorIsTheModelStatusError) {
  StorageFixture setup;
  setup.storage->list_error = absl::PermissionDeniedError("S3 access denied listing s3://b/m/");
  auto manager = setup.Manager();
  ASSERT_TRUE(manager->ReloadConfig(Config("s3://b/m")).ok());
  ASSERT_TRUE(manager->InitialLoadStatus().ok());  // polled on: fixing access makes it serve
  absl::Status s;
  Status(*manager, &s);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("Could not find any versions of model m"));
  EXPECT_THAT(s.message(), HasSubstr("S3 access denied listing s3://b/m/"));

  // Access restored: the next poll loads the version.
  {
    absl::MutexLock l(&setup.storage->mu);
    setup.storage->list_error = absl::OkStatus();
    setup.storage->versions = {{1, "s3://b/m/1"}};
  }
  manager->PollAll();
  auto resp = Status(*manager, &s);
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(resp.model_version_status_size(), 1);
  EXPECT_EQ(resp.model_version_status(0).state(),
            tensorflow::serving::ModelVersionStatus::AVAILABLE);
}

TEST(VersionStorageTest, DefaultStorageListsLocalFolders) {
  const std::string base = testing::TempDir();
  std::filesystem::create_directories(JoinPath(base, "00000007"));
  std::filesystem::create_directories(JoinPath(base, "notes"));
  auto storage = DefaultVersionStorage("", 0, [](const std::string&) {});
  auto versions = storage->List(base);
  ASSERT_TRUE(versions.ok()) << versions.status();
  ASSERT_EQ(versions->size(), 1u);
  EXPECT_EQ(versions->begin()->first, 7);
  EXPECT_EQ(*storage->Fetch(versions->begin()->second), versions->begin()->second);
  // A malformed s3:// base path is an error naming it, not a crash.
  auto bad = storage->List("s3://");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tfmodel::serving
