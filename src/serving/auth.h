// Authentication for `tfmodel serve` (off by default): bearer tokens (--auth_token_file)
// and HTTP basic credentials (--auth_basic_file), checked on REST (the Authorization
// header) and gRPC (the "authorization" metadata, serving/grpc_auth.h).
//
// Files: one credential per line; blank lines and lines starting with '#' are skipped,
// leading and trailing whitespace is dropped. A token file holds tokens (printable ASCII
// without spaces); a basic file holds "user:password" lines in plain text (the user has
// no ':', the password may). Only SHA-256 digests of the credentials are kept in memory.
// Each file is watched (size, mtime, ctime, inode; one stat per file per reload interval,
// never on a request): a changed file is re-read, and a bad one keeps the previous
// credentials and logs why. At startup a bad or unreadable file is an error naming it.
//
// Matching hashes what the client sent and compares the digest with every configured
// digest of that scheme, in constant time, without stopping at a match.
#ifndef TFMODEL_SERVING_AUTH_H_
#define TFMODEL_SERVING_AUTH_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "serving/rest_api.h"

namespace tfmodel::serving {

struct AuthOptions {
  std::string token_file;  // --auth_token_file
  std::string basic_file;  // --auth_basic_file
  // How often the files are checked for changes; zero or infinite: no watcher (then
  // only ReloadIfChanged() reloads).
  absl::Duration reload_interval = absl::Seconds(1);
  bool enabled() const { return !token_file.empty() || !basic_file.empty(); }
};

using AuthDigest = std::array<uint8_t, 32>;  // SHA-256

AuthDigest AuthSha256(absl::string_view data);

// The digests of the credentials in a token file / basic file's text. Errors name `path`
// and the line (never its content, which is a secret); a file without any credential is
// an error.
absl::StatusOr<std::vector<AuthDigest>> ParseAuthTokenFile(absl::string_view text,
                                                           const std::string& path);
absl::StatusOr<std::vector<AuthDigest>> ParseAuthBasicFile(absl::string_view text,
                                                           const std::string& path);

// Whether `digest` equals one of `set`: compares with all of them, in constant time.
bool AuthDigestIn(const AuthDigest& digest, const std::vector<AuthDigest>& set);

enum class AuthResult {
  kOk,
  kMissing,            // no Authorization header / metadata
  kUnsupportedScheme,  // neither a configured "Bearer" nor "Basic"
  kMalformed,          // Basic credentials that are not base64 of "user:password"
  kDenied,             // well-formed, but not a configured credential
};

class Authenticator {
 public:
  // Reads the files (an error names the bad one) and starts watching them.
  static absl::StatusOr<std::unique_ptr<Authenticator>> Create(const AuthOptions& options);
  ~Authenticator();
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  // `authorization`: the Authorization header's value (empty when there is none).
  AuthResult Check(absl::string_view authorization) const;
  // The text a client is told when Check fails (never contains what it sent).
  std::string Explain(AuthResult result) const;

  // REST: nullopt when `request` may go on (it is authenticated, or it is a GET of a health
  // probe: /healthz, /readyz, /health, /v2/health/live, /v2/health/ready;
  // or an OPTIONS preflight), else the 401 answer with WWW-Authenticate challenges and a
  // JSON {"error": ...} body (plus CORS headers when `cors`).
  std::optional<HttpResponse> CheckHttp(const HttpRequest& request, bool cors) const;
  // CheckHttp, then `handler` for a request that may go on; a preflight's
  // Access-Control-Allow-Headers also gets "Authorization", so browsers may send it.
  HttpResponse HandleHttp(const HttpRequest& request, bool cors,
                          absl::FunctionRef<HttpResponse(const HttpRequest&)> handler) const;

  // Re-reads the files that changed since the last look; the watcher calls it every
  // reload interval. Returns whether credentials were replaced.
  bool ReloadIfChanged();

  bool has_tokens() const { return !options_.token_file.empty(); }
  bool has_basic() const { return !options_.basic_file.empty(); }

 private:
  // What identifies a version of a file without reading it.
  struct FileStamp {
    uint64_t dev = 0, ino = 0, size = 0;
    int64_t mtime_ns = 0, ctime_ns = 0;
    bool operator==(const FileStamp&) const = default;
  };
  struct WatchedFile {
    std::string path;
    bool basic = false;
    std::optional<FileStamp> stamp;  // of the text last read (applied or rejected)
  };

  explicit Authenticator(AuthOptions options);
  // Reads and parses one file; `stamp` gets its stamp from before the read.
  static absl::StatusOr<std::vector<AuthDigest>> Load(const WatchedFile& file, FileStamp* stamp);
  static absl::StatusOr<FileStamp> Stat(const std::string& path);
  bool ReloadOne(WatchedFile* file);
  void Watch();

  AuthOptions options_;
  absl::Mutex reload_mu_;  // one reload at a time
  std::vector<WatchedFile> files_ ABSL_GUARDED_BY(reload_mu_);
  mutable absl::Mutex mu_;
  std::shared_ptr<const std::vector<AuthDigest>> tokens_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const std::vector<AuthDigest>> basic_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread watcher_;
};

}  // namespace tfmodel::serving

#endif  // TFMODEL_SERVING_AUTH_H_
