// Where a model's version folders live: a local base path, or s3://bucket/prefix (whose
// versions are downloaded into a local cache before loading). The manager lists versions,
// fetches one to a local folder to load it, and releases it when it is unloaded.
#ifndef TFMODEL_SERVING_VERSION_STORAGE_H_
#define TFMODEL_SERVING_VERSION_STORAGE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace tfmodel::serving {

class VersionStorage {
 public:
  virtual ~VersionStorage() = default;
  // Version number -> location, for every numeric version folder under `base_path`.
  virtual absl::StatusOr<std::map<int64_t, std::string>> List(const std::string& base_path) = 0;
  // A local folder holding the version at `location` (a listed location), complete.
  virtual absl::StatusOr<std::string> Fetch(const std::string& location) = 0;
  // The version at `location` is no longer served: drop any local copy.
  virtual void Release(const std::string& location) = 0;
};

// Local base paths as they are; s3:// ones through S3 (configured from the environment on
// first use, see s3_client.h), cached under `s3_cache_dir` (empty: $TMPDIR or /tmp, then
// "tfmodel_s3_cache"), holding at most `s3_cache_max_bytes` (0: no bound but the disk's free
// space, which is checked before each download). `log` gets one line per download or
// eviction.
std::shared_ptr<VersionStorage> DefaultVersionStorage(std::string s3_cache_dir,
                                                      uint64_t s3_cache_max_bytes,
                                                      std::function<void(const std::string&)> log);

}  // namespace tfmodel::serving

#endif  // TFMODEL_SERVING_VERSION_STORAGE_H_
