#include "serving/version_storage.h"

#include <cstdlib>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "serving/s3_source.h"
#include "serving/source.h"

namespace tfmodel::serving {
namespace {

class DefaultStorage : public VersionStorage {
 public:
  DefaultStorage(std::string cache_dir, uint64_t max_cache_bytes,
                 std::function<void(const std::string&)> log)
      : cache_dir_(std::move(cache_dir)), max_cache_bytes_(max_cache_bytes), log_(std::move(log)) {
    if (cache_dir_.empty()) {
      const char* tmp = std::getenv("TMPDIR");
      cache_dir_ = JoinPath(tmp && *tmp ? tmp : "/tmp", "tfmodel_s3_cache");
    }
  }

  absl::StatusOr<std::map<int64_t, std::string>> List(const std::string& base_path) override {
    if (!IsS3Path(base_path)) return ListVersions(base_path);
    auto s3 = S3();
    if (!s3.ok()) return s3.status();
    return (*s3)->List(base_path);
  }

  absl::StatusOr<std::string> Fetch(const std::string& location) override {
    if (!IsS3Path(location)) return location;
    auto s3 = S3();
    if (!s3.ok()) return s3.status();
    return (*s3)->Fetch(location);
  }

  void Release(const std::string& location) override {
    if (!IsS3Path(location)) return;
    auto s3 = S3();
    if (s3.ok()) (*s3)->Release(location);
  }

 private:
  // The S3 source, configured from the environment on first use.
  absl::StatusOr<S3VersionSource*> S3() {
    std::lock_guard<std::mutex> l(mu_);
    if (!s3_) {
      auto config = S3ConfigFromEnv();
      if (!config.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("S3 configuration: ", config.status().message()));
      }
      s3_ = std::make_unique<S3VersionSource>(S3Client(*std::move(config)), cache_dir_, log_,
                                              max_cache_bytes_);
    }
    return s3_.get();
  }

  std::string cache_dir_;
  uint64_t max_cache_bytes_;
  std::function<void(const std::string&)> log_;
  std::mutex mu_;
  std::unique_ptr<S3VersionSource> s3_;
};

}  // namespace

std::shared_ptr<VersionStorage> DefaultVersionStorage(std::string s3_cache_dir,
                                                      uint64_t s3_cache_max_bytes,
                                                      std::function<void(const std::string&)> log) {
  return std::make_shared<DefaultStorage>(std::move(s3_cache_dir), s3_cache_max_bytes,
                                          std::move(log));
}

}  // namespace tfmodel::serving
