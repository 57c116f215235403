#include "serving/s3_client.h"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace tfmodel::serving {
namespace {

// The digest of `ctx` in lower-case hex (what S3 puts in a single-part ETag).
std::string FinalHex(EVP_MD_CTX* ctx) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, digest, &len);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i)
    absl::StrAppend(&hex, absl::Hex(digest[i], absl::kZeroPad2));
  return hex;
}

// Sections of an AWS ini file ("[name]" -> key -> value).
std::map<std::string, std::map<std::string, std::string>> ReadIni(const std::string& path) {
  std::map<std::string, std::map<std::string, std::string>> out;
  std::ifstream in(path);
  std::string line, section;
  while (std::getline(in, line)) {
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == '#' || l[0] == ';') continue;
    if (l.front() == '[' && l.back() == ']') {
      section = std::string(absl::StripAsciiWhitespace(l.substr(1, l.size() - 2)));
      continue;
    }
    const size_t eq = l.find('=');
    if (eq == absl::string_view::npos) continue;
    out[section][std::string(absl::StripAsciiWhitespace(l.substr(0, eq)))] =
        std::string(absl::StripAsciiWhitespace(l.substr(eq + 1)));
  }
  return out;
}

std::string HomeFile(const char* override_value, const char* home, const char* rel) {
  if (override_value && *override_value) return override_value;
  return absl::StrCat(home ? home : "", "/", rel);
}

void CurlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

// What one request's callbacks collect.
struct Transfer {
  CURL* curl = nullptr;
  std::FILE* file = nullptr;  // body of a 2xx response goes here when set
  std::string body;           // otherwise (and for error responses) here
  uint64_t bytes = 0;
  EVP_MD_CTX* md5 = nullptr;
  std::string sse;  // x-amz-server-side-encryption
  bool write_failed = false;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  long code = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
  if (t->file && code >= 200 && code < 300) {
    if (std::fwrite(data, 1, len, t->file) != len) {
      t->write_failed = true;
      return 0;
    }
    if (t->md5) EVP_DigestUpdate(t->md5, data, len);
    t->bytes += len;
  } else if (t->body.size() < (16u << 20)) {
    t->body.append(data, len);
  }
  return len;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  absl::string_view line(data, size * n);
  constexpr absl::string_view kSse = "x-amz-server-side-encryption:";
  if (line.size() > kSse.size() && absl::EqualsIgnoreCase(line.substr(0, kSse.size()), kSse)) {
    t->sse = std::string(absl::StripAsciiWhitespace(line.substr(kSse.size())));
  }
  return size * n;
}

bool RetryableCurlError(CURLcode c) {
  switch (c) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

}  // namespace

absl::StatusOr<S3Config> S3ConfigFromEnv(const std::function<const char*(const char*)>& env_in) {
  std::function<const char*(const char*)> env = env_in;
  if (!env) env = [](const char* name) { return static_cast<const char*>(std::getenv(name)); };
  auto get = [&](const char* name) -> std::string {
    const char* v = env(name);
    return v ? std::string(v) : std::string();
  };
  S3Config c;
  const std::string profile = get("AWS_PROFILE").empty() ? "default" : get("AWS_PROFILE");
  const char* home = env("HOME");
  // Region.
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION", "S3_REGION"}) {
    if (!get(name).empty()) {
      c.region = get(name);
      break;
    }
    if (std::string(name) == "S3_REGION") {
      auto config = ReadIni(HomeFile(env("AWS_CONFIG_FILE"), home, ".aws/config"));
      const std::string section = profile == "default" ? "default" : "profile " + profile;
      if (config.count(section) && config[section].count("region")) {
        c.region = config[section]["region"];
      }
    }
  }
  // Endpoint.
  std::string endpoint = get("AWS_ENDPOINT_URL_S3");
  if (endpoint.empty()) endpoint = get("AWS_ENDPOINT_URL");
  if (endpoint.empty() && !get("S3_ENDPOINT").empty()) {
    endpoint = get("S3_ENDPOINT");
    if (endpoint.find("://") == std::string::npos) {
      endpoint = absl::StrCat(get("S3_USE_HTTPS") == "0" ? "http://" : "https://", endpoint);
    }
  }
  if (endpoint.empty()) endpoint = absl::StrCat("https://s3.", c.region, ".amazonaws.com");
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  if (endpoint.rfind("http://", 0) != 0 && endpoint.rfind("https://", 0) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("S3 endpoint '", endpoint,
                     "' must start with http:// or https:// (AWS_ENDPOINT_URL) "
                     "or be host[:port] (S3_ENDPOINT)"));
  }
  c.endpoint = endpoint;
  c.verify_ssl = get("S3_VERIFY_SSL") != "0";
  c.virtual_host = get("S3_VIRTUAL_ADDRESSING") == "1";
  for (auto [name, field] : {std::pair{"S3_CONNECT_TIMEOUT_MSEC", &c.connect_timeout_ms}}) {
    if (!get(name).empty() && (!absl::SimpleAtoi(get(name), field) || *field <= 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, "='", get(name), "' is not a positive number"));
    }
  }
  if (!get("S3_MAX_ATTEMPTS").empty() &&
      (!absl::SimpleAtoi(get("S3_MAX_ATTEMPTS"), &c.max_attempts) || c.max_attempts < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("S3_MAX_ATTEMPTS='", get("S3_MAX_ATTEMPTS"), "' is not a positive number"));
  }
  // Credentials.
  if (!get("AWS_ACCESS_KEY_ID").empty()) {
    c.access_key_id = get("AWS_ACCESS_KEY_ID");
    c.secret_access_key = get("AWS_SECRET_ACCESS_KEY");
    c.session_token = get("AWS_SESSION_TOKEN");
    c.credentials_source = "AWS_ACCESS_KEY_ID";
    if (c.secret_access_key.empty()) {
      return absl::InvalidArgumentError(
          "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    }
  } else {
    const std::string path = HomeFile(env("AWS_SHARED_CREDENTIALS_FILE"), home, ".aws/credentials");
    auto creds = ReadIni(path);
    if (creds.count(profile)) {
      auto& p = creds[profile];
      c.access_key_id = p["aws_access_key_id"];
      c.secret_access_key = p["aws_secret_access_key"];
      c.session_token = p["aws_session_token"];
      c.credentials_source = absl::StrCat("profile ", profile, " of ", path);
      if (c.access_key_id.empty() || c.secret_access_key.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("Profile [", profile, "] of ", path,
                         " lacks aws_access_key_id or aws_secret_access_key"));
      }
    } else if (!get("AWS_PROFILE").empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("AWS_PROFILE=", profile, " but ", path, " has no [", profile, "] profile"));
    }
  }
  return c;
}

S3Client::S3Client(S3Config config) : config_(std::move(config)) { CurlGlobalInit(); }

namespace {

// One GET with retries. `file`: where a 2xx body goes (rewound per attempt), else
// `t.body`. Returns the final HTTP status (2xx) or the error.
absl::Status Get(const S3Config& config, const std::string& url, const std::string& what,
                 std::FILE* file, bool want_md5, Transfer* out) {
  std::mt19937_64 rng(std::random_device{}());
  absl::Status last;
  for (int attempt = 0; attempt < config.max_attempts; ++attempt) {
    if (attempt > 0) {
      const int64_t cap = std::min<int64_t>(config.backoff_max_ms,
                                            config.backoff_base_ms << std::min(attempt - 1, 20));
      std::this_thread::sleep_for(std::chrono::milliseconds(
          std::uniform_int_distribution<int64_t>(cap / 2, std::max<int64_t>(cap, 1))(rng)));
    }
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) return absl::InternalError("curl_easy_init failed");
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> md5(want_md5 ? EVP_MD_CTX_new() : nullptr,
                                                           EVP_MD_CTX_free);
    if (md5) EVP_DigestInit_ex(md5.get(), EVP_md5(), nullptr);
    *out = Transfer();
    out->curl = curl.get();
    out->md5 = md5.get();
    if (file) {
      std::rewind(file);
      out->file = file;
    }
    CURL* c = curl.get();
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config.connect_timeout_ms));
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(config.low_speed_timeout_s));
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, config.verify_ssl ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, config.verify_ssl ? 2L : 0L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    std::unique_ptr<curl_slist, CurlDeleter> headers;
    std::string sigv4, userpwd;
    if (!config.access_key_id.empty()) {
      sigv4 = absl::StrCat("aws:amz:", config.region, ":s3");
      userpwd = absl::StrCat(config.access_key_id, ":", config.secret_access_key);
      curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4.c_str());
      curl_easy_setopt(c, CURLOPT_USERPWD, userpwd.c_str());
      // S3 wants the payload hash header; a GET has an empty payload.
      curl_slist* h = curl_slist_append(
          nullptr,
          "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
      if (!config.session_token.empty()) {
        h = curl_slist_append(h,
                              absl::StrCat("x-amz-security-token: ", config.session_token).c_str());
      }
      headers.reset(h);
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    }
    const CURLcode rc = curl_easy_perform(c);
    if (out->write_failed) {
      return absl::InternalError(absl::StrCat("could not write the download of ", what));
    }
    if (rc != CURLE_OK) {
      last = absl::UnavailableError(absl::StrCat("S3 request failed ", what, " at ",
                                                 config.endpoint, ": ", curl_easy_strerror(rc),
                                                 errbuf[0] ? absl::StrCat(" (", errbuf, ")") : ""));
      if (!RetryableCurlError(rc)) return last;
      continue;
    }
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 200 && code < 300) {
      if (md5) {
        out->body = FinalHex(md5.get());  // the caller compares it with the ETag
      }
      out->md5 = nullptr;
      return absl::OkStatus();
    }
    const S3ErrorBody err = ParseS3Error(out->body);
    last = S3ErrorToStatus(static_cast<int>(code), err, what, config);
    if (!S3Retryable(static_cast<int>(code), err.code)) return last;
  }
  return absl::Status(last.code(),
                      absl::StrCat(last.message(), " (after ", config.max_attempts, " attempts)"));
}

}  // namespace

absl::Status S3Client::List(const std::string& bucket, const std::string& prefix,
                            const std::string& delimiter, std::vector<S3Object>* objects,
                            std::vector<std::string>* common_prefixes) const {
  std::string token;
  const std::string what = absl::StrCat("listing s3://", bucket, "/", prefix);
  for (int page = 0;; ++page) {
    if (page > 100000) return absl::ResourceExhaustedError(absl::StrCat("too many pages ", what));
    Transfer t;
    auto s = Get(config_, S3ListUrl(config_, bucket, prefix, delimiter, token), what, nullptr,
                 false, &t);
    if (!s.ok()) return s;
    auto parsed = ParseListObjectsV2(t.body);
    if (!parsed.ok()) {
      return absl::Status(parsed.status().code(),
                          absl::StrCat(parsed.status().message(), " (", what, ")"));
    }
    for (auto& o : parsed->objects) objects->push_back(std::move(o));
    for (auto& p : parsed->common_prefixes) common_prefixes->push_back(std::move(p));
    if (!parsed->truncated) return absl::OkStatus();
    if (parsed->next_token == token) {
      return absl::InternalError(absl::StrCat("S3 returned the same continuation token ", what));
    }
    token = parsed->next_token;
  }
}

absl::Status S3Client::Download(const std::string& bucket, const S3Object& object,
                                const std::string& path) const {
  const std::string what = absl::StrCat("downloading s3://", bucket, "/", object.key);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "wb"), std::fclose);
  if (!file) return absl::InternalError(absl::StrCat("cannot create ", path, " for ", what));
  // A single-part upload's ETag is the hex MD5 of the object (multipart ones end "-N").
  const bool md5_etag = object.etag.size() == 32 &&
                        object.etag.find_first_not_of("0123456789abcdef") == std::string::npos;
  Transfer t;
  auto s = Get(config_, S3ObjectUrl(config_, bucket, object.key), what, file.get(), md5_etag, &t);
  if (!s.ok()) return s;
  if (std::fflush(file.get()) != 0) return absl::InternalError(absl::StrCat("cannot write ", path));
  if (t.bytes != object.size) {
    return absl::DataLossError(
        absl::StrCat(what, ": got ", t.bytes, " bytes, the listing says ", object.size));
  }
  // KMS-encrypted objects' ETags are not the MD5 of the data.
  if (md5_etag && (t.sse.empty() || t.sse == "AES256") && t.body != object.etag) {
    return absl::DataLossError(absl::StrCat(what, ": MD5 of the bytes received is ", t.body,
                                            ", the object's ETag is ", object.etag));
  }
  return absl::OkStatus();
}

bool S3Client::FileMatches(const std::string& path, const S3Object& object) {
  const bool md5_etag = object.etag.size() == 32 &&
                        object.etag.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (!md5_etag) return false;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!file) return false;
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> md5(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!md5 || EVP_DigestInit_ex(md5.get(), EVP_md5(), nullptr) != 1) return false;
  std::vector<char> buf(1 << 16);
  uint64_t total = 0;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), file.get())) > 0) {
    EVP_DigestUpdate(md5.get(), buf.data(), n);
    total += n;
  }
  if (std::ferror(file.get()) || total != object.size) return false;
  return FinalHex(md5.get()) == object.etag;
}

}  // namespace tfmodel::serving
