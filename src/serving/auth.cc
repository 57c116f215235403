#include "serving/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/file_util.h"
#include "core/status.h"
#include "serving/json_tensor.h"

namespace tfmodel::serving {
namespace {

constexpr char kRealm[] = "realm=\"tfmodel\"";

// Calls `f(line_number, line)` for each credential line of a file's text.
template <typename F>
absl::Status ForEachCredentialLine(absl::string_view text, F f) {
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    TFM_RETURN_IF_ERROR(f(number, line));
  }
  return absl::OkStatus();
}

bool AllPrintable(absl::string_view s, bool allow_space) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e || (u == ' ' && !allow_space)) return false;
  }
  return true;
}

absl::Status LineError(const std::string& path, int line, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(path, " line ", line, ": ", why));
}

absl::Status NoneError(const std::string& path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(
      path, " has no ", what, " (one per line; blank lines and # comments are skipped)"));
}

// "Bearer abc" -> ("Bearer", "abc"); the scheme is everything before the first space.
std::pair<absl::string_view, absl::string_view> SplitScheme(absl::string_view header) {
  header = absl::StripAsciiWhitespace(header);
  const size_t space = header.find_first_of(" \t");
  if (space == absl::string_view::npos) return {header, {}};
  return {header.substr(0, space), absl::StripLeadingAsciiWhitespace(header.substr(space))};
}

}  // namespace

AuthDigest AuthSha256(absl::string_view data) {
  AuthDigest d{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), d.data(), &len, EVP_sha256(), nullptr);
  return d;
}

bool AuthDigestIn(const AuthDigest& digest, const std::vector<AuthDigest>& set) {
  // CRYPTO_memcmp takes the same time wherever the digests differ, and every entry is
  // compared, so the time tells neither which entry nor how much of one matched.
  unsigned found = 0;
  for (const AuthDigest& d : set) {
    found |= static_cast<unsigned>(CRYPTO_memcmp(d.data(), digest.data(), d.size()) == 0);
  }
  return found != 0;
}

absl::StatusOr<std::vector<AuthDigest>> ParseAuthTokenFile(absl::string_view text,
                                                           const std::string& path) {
  std::vector<AuthDigest> out;
  TFM_RETURN_IF_ERROR(ForEachCredentialLine(text, [&](int n, absl::string_view line) {
    if (!AllPrintable(line, /*allow_space=*/false)) {
      return LineError(path, n, "a token must be printable ASCII without spaces");
    }
    out.push_back(AuthSha256(line));
    return absl::OkStatus();
  }));
  if (out.empty()) return NoneError(path, "tokens");
  return out;
}

absl::StatusOr<std::vector<AuthDigest>> ParseAuthBasicFile(absl::string_view text,
                                                           const std::string& path) {
  std::vector<AuthDigest> out;
  TFM_RETURN_IF_ERROR(ForEachCredentialLine(text, [&](int n, absl::string_view line) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) return LineError(path, n, "want user:password");
    if (colon == 0) return LineError(path, n, "empty user name (want user:password)");
    if (colon + 1 == line.size()) return LineError(path, n, "empty password (want user:password)");
    if (!AllPrintable(line, /*allow_space=*/true)) {
      return LineError(path, n, "user and password must be printable ASCII");
    }
    // Basic credentials decode to exactly "user:password".
    out.push_back(AuthSha256(line));
    return absl::OkStatus();
  }));
  if (out.empty()) return NoneError(path, "user:password lines");
  return out;
}

Authenticator::Authenticator(AuthOptions options) : options_(std::move(options)) {}

Authenticator::~Authenticator() {
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
  }
  if (watcher_.joinable()) watcher_.join();
}

absl::StatusOr<Authenticator::FileStamp> Authenticator::Stat(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(
        absl::StrCat("cannot stat ", path, ": ", std::generic_category().message(errno)));
  }
  FileStamp s;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.size = static_cast<uint64_t>(st.st_size);
  s.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  s.ctime_ns = int64_t{st.st_ctim.tv_sec} * 1000000000 + st.st_ctim.tv_nsec;
  return s;
}

absl::StatusOr<std::vector<AuthDigest>> Authenticator::Load(const WatchedFile& file,
                                                            FileStamp* stamp) {
  TFM_ASSIGN_OR_RETURN(*stamp, Stat(file.path));
  TFM_ASSIGN_OR_RETURN(std::string text, ReadFileToString(file.path));
  return file.basic ? ParseAuthBasicFile(text, file.path) : ParseAuthTokenFile(text, file.path);
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(const AuthOptions& options) {
  std::unique_ptr<Authenticator> a(new Authenticator(options));
  absl::MutexLock reload(&a->reload_mu_);
  for (const auto& [path, basic] :
       {std::pair{options.token_file, false}, {options.basic_file, true}}) {
    if (path.empty()) continue;
    WatchedFile file{path, basic, std::nullopt};
    FileStamp stamp;
    auto digests = Load(file, &stamp);
    if (!digests.ok()) {
      return Annotate(digests.status(), basic ? "--auth_basic_file" : "--auth_token_file");
    }
    file.stamp = stamp;
    absl::MutexLock l(&a->mu_);
    (basic ? a->basic_ : a->tokens_) =
        std::make_shared<const std::vector<AuthDigest>>(*std::move(digests));
    a->files_.push_back(std::move(file));
  }
  std::string sources;
  {
    absl::MutexLock l(&a->mu_);
    if (a->tokens_) {
      absl::StrAppend(&sources, " bearer tokens from ", options.token_file, " (",
                      a->tokens_->size(), ")");
    }
    if (a->basic_) {
      absl::StrAppend(&sources, a->tokens_ ? ";" : "", " basic auth from ", options.basic_file,
                      " (", a->basic_->size(), ")");
    }
  }
  std::fprintf(stderr, "Authentication required:%s\n", sources.c_str());
  const absl::Duration every = options.reload_interval;
  if (every > absl::ZeroDuration() && every != absl::InfiniteDuration()) {
    a->watcher_ = std::thread([p = a.get()] { p->Watch(); });
  }
  return a;
}

void Authenticator::Watch() {
  while (true) {
    {
      absl::MutexLock l(&mu_);
      auto stop = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stop_; };
      mu_.AwaitWithTimeout(absl::Condition(&stop), options_.reload_interval);
      if (stop_) return;
    }
    ReloadIfChanged();
  }
}

bool Authenticator::ReloadIfChanged() {
  absl::MutexLock reload(&reload_mu_);
  bool changed = false;
  for (WatchedFile& f : files_) changed |= ReloadOne(&f);
  return changed;
}

bool Authenticator::ReloadOne(WatchedFile* file) {
  const char* what = file->basic ? "basic auth file" : "auth token file";
  auto now = Stat(file->path);
  if (!now.ok()) {
    if (file->stamp.has_value()) {  // say it once, not every interval
      std::fprintf(stderr, "Not reloading %s: %s; keeping the previous credentials\n", what,
                   std::string(now.status().message()).c_str());
      file->stamp.reset();
    }
    return false;
  }
  if (file->stamp == *now) return false;
  FileStamp stamp;
  auto digests = Load(*file, &stamp);
  // A file still being written gets another look at the next interval.
  auto after = Stat(file->path);
  if (after.ok() && *after == stamp) file->stamp = stamp;
  if (!digests.ok()) {
    std::fprintf(stderr, "Not reloading %s: %s; keeping the previous credentials\n", what,
                 std::string(digests.status().message()).c_str());
    return false;
  }
  const size_t n = digests->size();
  {
    absl::MutexLock l(&mu_);
    (file->basic ? basic_ : tokens_) =
        std::make_shared<const std::vector<AuthDigest>>(*std::move(digests));
  }
  std::fprintf(stderr, "Reloaded %s %s: %zu credential%s\n", what, file->path.c_str(), n,
               n == 1 ? "" : "s");
  return true;
}

AuthResult Authenticator::Check(absl::string_view authorization) const {
  const auto [scheme, credentials] = SplitScheme(authorization);
  if (scheme.empty()) return AuthResult::kMissing;
  std::string decoded;
  absl::string_view secret = credentials;
  const bool bearer = absl::EqualsIgnoreCase(scheme, "Bearer") && has_tokens();
  if (!bearer) {
    if (!absl::EqualsIgnoreCase(scheme, "Basic") || !has_basic()) {
      return AuthResult::kUnsupportedScheme;
    }
    if (!absl::Base64Unescape(credentials, &decoded) || decoded.find(':') == std::string::npos) {
      return AuthResult::kMalformed;
    }
    secret = decoded;
  }
  if (secret.empty()) return AuthResult::kDenied;
  const AuthDigest digest = AuthSha256(secret);
  // Compared under the reader lock: no reference count traffic between request threads.
  absl::ReaderMutexLock l(&mu_);
  const auto& set = bearer ? tokens_ : basic_;
  return set != nullptr && AuthDigestIn(digest, *set) ? AuthResult::kOk : AuthResult::kDenied;
}

std::string Authenticator::Explain(AuthResult result) const {
  const char* schemes = has_tokens() && has_basic() ? "Bearer or Basic"
                        : has_tokens()              ? "Bearer"
                                                    : "Basic";
  switch (result) {
    case AuthResult::kOk:
      return "";
    case AuthResult::kMissing:
      return absl::StrCat("Missing credentials: this server needs an Authorization header (",
                          schemes, ")");
    case AuthResult::kUnsupportedScheme:
      return absl::StrCat("Unsupported authorization scheme: this server accepts ", schemes);
    case AuthResult::kMalformed:
      return "Malformed Basic credentials: want base64 of user:password";
    case AuthResult::kDenied:
      return "Invalid credentials";
  }
  return "Invalid credentials";
}

std::optional<HttpResponse> Authenticator::CheckHttp(const HttpRequest& request, bool cors) const {
  if (request.method == "OPTIONS") return std::nullopt;  // CORS preflights carry no credentials
  const absl::string_view target = request.target;
  const absl::string_view path = target.substr(0, target.find('?'));
  // Probes (the KServe v2 ones too) tell only whether the server is up and ready.
  if (request.method == "GET" && (path == "/healthz" || path == "/readyz" || path == "/health" ||
                                  path == "/v2/health/live" || path == "/v2/health/ready")) {
    return std::nullopt;
  }
  absl::string_view header;
  for (const auto& [k, v] : request.headers) {
    if (absl::EqualsIgnoreCase(k, "Authorization")) header = v;
  }
  const AuthResult result = Check(header);
  if (result == AuthResult::kOk) return std::nullopt;
  HttpResponse response;
  response.status = 401;
  if (has_tokens())
    response.headers.emplace_back("WWW-Authenticate", absl::StrCat("Bearer ", kRealm));
  if (has_basic())
    response.headers.emplace_back("WWW-Authenticate", absl::StrCat("Basic ", kRealm));
  response.headers.emplace_back("Content-Type", "application/json");
  if (cors) {
    response.headers.emplace_back("Access-Control-Allow-Origin", "*");
    response.headers.emplace_back("Access-Control-Allow-Methods", "POST, GET");
    response.headers.emplace_back("Access-Control-Allow-Headers", "Content-Type, Authorization");
  }
  response.body = MakeJsonFromStatus(absl::UnauthenticatedError(Explain(result)));
  return response;
}

HttpResponse Authenticator::HandleHttp(
    const HttpRequest& request, bool cors,
    absl::FunctionRef<HttpResponse(const HttpRequest&)> handler) const {
  if (auto denied = CheckHttp(request, cors)) return *std::move(denied);
  HttpResponse response = handler(request);
  if (request.method == "OPTIONS") {
    for (auto& [k, v] : response.headers) {
      if (absl::EqualsIgnoreCase(k, "Access-Control-Allow-Headers")) {
        absl::StrAppend(&v, ", Authorization");
      }
    }
  }
  return response;
}

}  // namespace tfmodel::serving
