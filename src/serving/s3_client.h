// A minimal S3 client for model base paths on object storage: ListObjectsV2 and GetObject
// over libcurl, signed with libcurl's built-in AWS Signature V4. Works with AWS S3 and
// S3-compatible stores (path-style addressing, as TensorFlow's S3 file system uses).
//
// Configuration comes from the environment, with the variable names TensorFlow's S3 file
// system and the AWS tools read (see S3ConfigFromEnv).
#ifndef TFMODEL_SERVING_S3_CLIENT_H_
#define TFMODEL_SERVING_S3_CLIENT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tfmodel::serving {

struct S3Config {
  std::string endpoint;  // "scheme://host[:port]", no trailing slash
  std::string region = "us-east-1";
  std::string access_key_id;  // empty: anonymous (unsigned) requests
  std::string secret_access_key;
  std::string session_token;
  std::string credentials_source;  // where the keys came from (for error messages)
  bool verify_ssl = true;
  bool virtual_host = false;  // bucket.host/key instead of host/bucket/key
  int64_t connect_timeout_ms = 10'000;
  int64_t low_speed_timeout_s = 60;  // abort a transfer slower than 1 byte/s for this long
  int max_attempts = 5;              // per request, for transient errors
  int64_t backoff_base_ms = 200;     // doubles per attempt, with full jitter
  int64_t backoff_max_ms = 5'000;
};

// Reads the configuration:
//   endpoint: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL (full URLs) or S3_ENDPOINT (host[:port],
//     scheme from S3_USE_HTTPS, "0" = http; a scheme in it is kept); default
//     https://s3.<region>.amazonaws.com
//   region: AWS_REGION, AWS_DEFAULT_REGION, S3_REGION, the profile's region in
//     ~/.aws/config (AWS_CONFIG_FILE); default us-east-1
//   credentials: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), else the
//     profile AWS_PROFILE (default "default") of ~/.aws/credentials
//     (AWS_SHARED_CREDENTIALS_FILE); none: anonymous requests
//   S3_VERIFY_SSL=0 skips TLS verification; S3_VIRTUAL_ADDRESSING=1 uses bucket.host;
//   S3_CONNECT_TIMEOUT_MSEC; S3_MAX_ATTEMPTS.
// `env` looks a variable up (nullptr when unset); tests pass their own.
absl::StatusOr<S3Config> S3ConfigFromEnv(
    const std::function<const char*(const char*)>& env = nullptr);

// One object of a listing.
struct S3Object {
  std::string key;
  uint64_t size = 0;
  std::string etag;  // without quotes
};

// One ListObjectsV2 page.
struct S3ListPage {
  std::vector<S3Object> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_token;  // NextContinuationToken
};

// Parses a ListObjectsV2 response body (XML). InvalidArgument on malformed XML.
absl::StatusOr<S3ListPage> ParseListObjectsV2(absl::string_view xml);

// The Code and Message of an S3 <Error> body (empty when absent).
struct S3ErrorBody {
  std::string code;
  std::string message;
};
S3ErrorBody ParseS3Error(absl::string_view xml);

// XML character data with entities (&amp; &lt; &gt; &quot; &apos; &#N; &#xN;) decoded.
// InvalidArgument on an unknown or malformed entity.
absl::StatusOr<std::string> XmlUnescape(absl::string_view text);

// S3's URI encoding (SigV4 rules): everything but A-Za-z0-9-_.~ as %XX (upper case); '/'
// kept when `keep_slash`.
std::string S3UriEncode(absl::string_view s, bool keep_slash);

// Request URLs. The query is built sorted and fully encoded (its canonical form).
std::string S3ObjectUrl(const S3Config& config, const std::string& bucket, const std::string& key);
std::string S3ListUrl(const S3Config& config, const std::string& bucket, const std::string& prefix,
                      const std::string& delimiter, const std::string& continuation_token);

// The status for a failed request: 403 PermissionDenied (credentials / permissions),
// 404 NotFound (NoSuchBucket, NoSuchKey), 301/400 region or request errors, 5xx
// Unavailable. `what` names the request ("listing s3://bucket/prefix/").
absl::Status S3ErrorToStatus(int http_status, const S3ErrorBody& error, const std::string& what,
                             const S3Config& config);

// Whether a response (HTTP status, S3 error code) is worth retrying.
bool S3Retryable(int http_status, const std::string& error_code);

class S3Client {
 public:
  explicit S3Client(S3Config config);

  const S3Config& config() const { return config_; }

  // Every page of ListObjectsV2 for `prefix` (continuation tokens followed).
  absl::Status List(const std::string& bucket, const std::string& prefix,
                    const std::string& delimiter, std::vector<S3Object>* objects,
                    std::vector<std::string>* common_prefixes) const;

  // Downloads an object into `path` (created or truncated). `expected_size`: checked
  // against the bytes received; `etag`: when it is a single-part MD5 ETag and the object
  // is not KMS-encrypted, the MD5 of the bytes is checked too.
  absl::Status Download(const std::string& bucket, const S3Object& object,
                        const std::string& path) const;

  // Whether the file at `path` already holds `object`: its size, and the MD5 of its bytes
  // equal to a single-part (MD5) ETag. False for multipart ETags (they cannot be checked
  // without the part sizes) and for missing files.
  static bool FileMatches(const std::string& path, const S3Object& object);

 private:
  S3Config config_;
};

}  // namespace tfmodel::serving

#endif  // TFMODEL_SERVING_S3_CLIENT_H_
