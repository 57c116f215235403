// Model versions on S3: numeric "folders" (key prefixes) under s3://bucket/prefix, each
// downloaded into a local cache folder <cache>/<bucket>/<prefix>/<version> before it is
// loaded. A download goes into a temporary sibling folder and is renamed into place only
// when every object arrived with the listed size (and, for single-part uploads, the MD5 its
// ETag names), so a half-downloaded version is never loaded. Releasing a version deletes
// its cache folder.
#ifndef TFMODEL_SERVING_S3_SOURCE_H_
#define TFMODEL_SERVING_S3_SOURCE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "serving/s3_client.h"

namespace tfmodel::serving {

bool IsS3Path(absl::string_view path);

struct S3Url {
  std::string bucket;
  std::string prefix;  // no leading or trailing '/', may be empty
};
// "s3://bucket[/prefix][/]". InvalidArgument for a bad bucket name or a prefix with "." or
// ".." segments (they would escape the cache folder).
absl::StatusOr<S3Url> ParseS3Url(absl::string_view url);

// The version a listed common prefix names ("models/m/00123/" under "models/m" is 123);
// -1 when it is not a non-negative integer folder.
int64_t S3VersionOfPrefix(const std::string& common_prefix, const std::string& parent_prefix);

// The path below a version folder an object key names ("pre/1/variables/x" under "pre/1/"
// is "variables/x"); empty for folder markers ("pre/1/variables/"). InvalidArgument for
// keys that would leave the folder ("..", ".", empty segments).
absl::StatusOr<std::string> S3RelativePath(const std::string& key,
                                           const std::string& version_prefix);

// Bytes in the regular files under `dir` (0 when it does not exist).
uint64_t CacheBytes(const std::string& dir);

class S3VersionSource {
 public:
  // `max_cache_bytes` > 0 bounds what the cache folder may hold: a version that would take
  // it over the bound is not downloaded (RESOURCE_EXHAUSTED, in the model's status).
  S3VersionSource(S3Client client, std::string cache_dir,
                  std::function<void(const std::string&)> log, uint64_t max_cache_bytes = 0);

  // Version -> "s3://bucket/prefix/<folder>" for each numeric folder. NotFound (with why)
  // when the bucket does not exist; PermissionDenied when access is refused.
  absl::StatusOr<std::map<int64_t, std::string>> List(const std::string& base_url);
  // Downloads (or reuses an intact cached copy of) the version; returns its local folder.
  absl::StatusOr<std::string> Fetch(const std::string& version_url);
  // Deletes the version's cache folder.
  void Release(const std::string& version_url);
  // The cache folder of a version URL.
  absl::StatusOr<std::string> CachePath(const std::string& version_url) const;

 private:
  // OK when `need` more bytes fit: in the cache folder's free disk space and under
  // max_cache_bytes_. Checked before a download starts, so a version is never half fetched
  // for want of room.
  absl::Status CheckRoom(uint64_t need, const std::string& version_url) const;

  S3Client client_;
  std::string cache_dir_;
  std::function<void(const std::string&)> log_;
  uint64_t max_cache_bytes_ = 0;
};

}  // namespace tfmodel::serving

#endif  // TFMODEL_SERVING_S3_SOURCE_H_
