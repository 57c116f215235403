#include "serving/s3_source.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <random>
#include <set>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/file_util.h"

namespace tfmodel::serving {
namespace {

constexpr absl::string_view kScheme = "s3://";

bool SafeSegment(absl::string_view s) { return !s.empty() && s != "." && s != ".."; }

// Whether every object has a file of its listed size under `dir`.
bool CacheIntact(const std::string& dir,
                 const std::vector<std::pair<std::string, uint64_t>>& files) {
  for (const auto& [rel, size] : files) {
    std::error_code ec;
    const auto got = std::filesystem::file_size(JoinPath(dir, rel), ec);
    if (ec || got != size) return false;
  }
  return true;
}

// Moves a partial download of `final_dir` left by a process that is gone (a sibling named
// "<final_dir>.partial-<pid>-<n>" whose pid no longer runs) to `tmp`. False if there is none.
bool ClaimStalePartial(const std::string& final_dir, const std::string& tmp) {
  const std::filesystem::path final_path(final_dir);
  const std::string stem = final_path.filename().string() + ".partial-";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(final_path.parent_path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.compare(0, stem.size(), stem) != 0) continue;
    int64_t pid = 0;
    const std::string rest = name.substr(stem.size());
    if (!absl::SimpleAtoi(rest.substr(0, rest.find('-')), &pid) || pid <= 0 || pid == getpid()) {
      continue;
    }
    if (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // still running
    std::error_code mv;
    std::filesystem::rename(entry.path(), tmp, mv);
    if (!mv) return true;
  }
  return false;
}

// Deletes the regular files under `dir` that are not among `files` (relative paths).
void RemoveUnlisted(const std::string& dir,
                    const std::vector<std::pair<std::string, uint64_t>>& files) {
  std::set<std::string> listed;
  for (const auto& f : files) listed.insert(f.first);
  std::vector<std::filesystem::path> extra;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code type;
    if (!it->is_regular_file(type)) continue;
    const std::string rel = std::filesystem::relative(it->path(), dir, type).generic_string();
    if (!listed.count(rel)) extra.push_back(it->path());
  }
  for (const auto& p : extra) std::filesystem::remove(p, ec);
}

}  // namespace

uint64_t CacheBytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(
           dir, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      const uint64_t size = it->file_size(size_ec);
      if (!size_ec) total += size;
    }
  }
  return total;
}

bool IsS3Path(absl::string_view path) { return path.substr(0, kScheme.size()) == kScheme; }

absl::StatusOr<S3Url> ParseS3Url(absl::string_view url) {
  if (!IsS3Path(url)) {
    return absl::InvalidArgumentError(absl::StrCat("'", url, "' is not an s3:// path"));
  }
  absl::string_view rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  S3Url out;
  out.bucket = std::string(rest.substr(0, slash));
  absl::string_view prefix = slash == absl::string_view::npos ? "" : rest.substr(slash + 1);
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  // Bucket names: 3-63 of [a-z0-9.-] (S3's rules; older buckets may have upper case and _).
  const bool bucket_ok =
      out.bucket.size() >= 3 && out.bucket.size() <= 63 &&
      std::all_of(out.bucket.begin(), out.bucket.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
      });
  if (!bucket_ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", url,
                     "' does not name a valid S3 bucket (s3://bucket/prefix; bucket names are 3-63 "
                     "characters of a-z, 0-9, '.' and '-')"));
  }
  if (!prefix.empty()) {
    for (absl::string_view seg : absl::StrSplit(prefix, '/')) {
      if (!SafeSegment(seg)) {
        return absl::InvalidArgumentError(
            absl::StrCat("S3 path '", url, "' has an empty, '.' or '..' segment in its prefix"));
      }
    }
  }
  out.prefix = std::string(prefix);
  return out;
}

int64_t S3VersionOfPrefix(const std::string& common_prefix, const std::string& parent_prefix) {
  if (common_prefix.size() <= parent_prefix.size() ||
      common_prefix.compare(0, parent_prefix.size(), parent_prefix) != 0) {
    return -1;
  }
  absl::string_view name(common_prefix);
  name.remove_prefix(parent_prefix.size());
  if (!name.empty() && name.back() == '/') name.remove_suffix(1);
  if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) return -1;
  int64_t v;
  if (!absl::SimpleAtoi(name, &v) || v < 0) return -1;
  return v;
}

absl::StatusOr<std::string> S3RelativePath(const std::string& key,
                                           const std::string& version_prefix) {
  if (key.compare(0, version_prefix.size(), version_prefix) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("S3 key '", key, "' is not under '", version_prefix, "'"));
  }
  std::string rel = key.substr(version_prefix.size());
  if (rel.empty() || rel.back() == '/') return std::string();  // folder marker
  for (absl::string_view seg : absl::StrSplit(rel, '/')) {
    if (!SafeSegment(seg)) {
      return absl::InvalidArgumentError(
          absl::StrCat("S3 key '", key,
                       "' has an empty, '.' or '..' path segment; it cannot be stored in a "
                       "local model folder"));
    }
  }
  return rel;
}

S3VersionSource::S3VersionSource(S3Client client, std::string cache_dir,
                                 std::function<void(const std::string&)> log,
                                 uint64_t max_cache_bytes)
    : client_(std::move(client)),
      cache_dir_(std::move(cache_dir)),
      log_(std::move(log)),
      max_cache_bytes_(max_cache_bytes) {}

absl::Status S3VersionSource::CheckRoom(uint64_t need, const std::string& version_url) const {
  std::error_code ec;
  std::filesystem::create_directories(cache_dir_, ec);
  const std::filesystem::space_info space = std::filesystem::space(cache_dir_, ec);
  if (!ec && need > space.available) {
    return absl::ResourceExhaustedError(absl::StrCat(
        version_url, " needs ", need, " bytes but the S3 cache folder ", cache_dir_, " has ",
        space.available, " bytes free (set --s3_cache_dir to a larger disk)"));
  }
  if (max_cache_bytes_ == 0) return absl::OkStatus();
  const uint64_t used = CacheBytes(cache_dir_);
  if (used + need > max_cache_bytes_) {
    return absl::ResourceExhaustedError(
        absl::StrCat(version_url, " needs ", need, " bytes; the S3 cache ", cache_dir_, " holds ",
                     used, " bytes of versions being served and --s3_cache_max_bytes is ",
                     max_cache_bytes_, " (raise it, or serve fewer versions at once)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<int64_t, std::string>> S3VersionSource::List(const std::string& base_url) {
  auto url = ParseS3Url(base_url);
  if (!url.ok()) return url.status();
  const std::string parent = url->prefix.empty() ? "" : url->prefix + "/";
  std::vector<S3Object> objects;
  std::vector<std::string> prefixes;
  if (auto s = client_.List(url->bucket, parent, "/", &objects, &prefixes); !s.ok()) return s;
  std::map<int64_t, std::string> out;
  for (const auto& p : prefixes) {
    const int64_t v = S3VersionOfPrefix(p, parent);
    if (v < 0) continue;
    absl::string_view folder(p);
    folder.remove_suffix(1);  // the delimiter
    out.emplace(v, absl::StrCat(kScheme, url->bucket, "/", folder));
  }
  return out;
}

absl::StatusOr<std::string> S3VersionSource::CachePath(const std::string& version_url) const {
  auto url = ParseS3Url(version_url);
  if (!url.ok()) return url.status();
  return JoinPath(JoinPath(cache_dir_, url->bucket), url->prefix);
}

absl::StatusOr<std::string> S3VersionSource::Fetch(const std::string& version_url) {
  auto url = ParseS3Url(version_url);
  if (!url.ok()) return url.status();
  auto final_dir = CachePath(version_url);
  if (!final_dir.ok()) return final_dir.status();
  const std::string version_prefix = url->prefix + "/";
  std::vector<S3Object> objects;
  std::vector<std::string> unused;
  if (auto s = client_.List(url->bucket, version_prefix, "", &objects, &unused); !s.ok()) return s;
  std::vector<std::pair<std::string, uint64_t>> files;
  std::vector<const S3Object*> to_get;
  for (const auto& o : objects) {
    auto rel = S3RelativePath(o.key, version_prefix);
    if (!rel.ok()) return rel.status();
    if (rel->empty()) continue;
    files.emplace_back(*rel, o.size);
    to_get.push_back(&o);
  }
  if (files.empty()) {
    return absl::NotFoundError(absl::StrCat("No objects under ", version_url, "/"));
  }
  std::error_code ec;
  if (std::filesystem::is_directory(*final_dir, ec)) {
    if (CacheIntact(*final_dir, files)) {
      log_(absl::StrCat("Using the cached copy of ", version_url, " in ", *final_dir));
      return *final_dir;
    }
    std::filesystem::remove_all(*final_dir, ec);
  }
  const std::string tmp =
      absl::StrCat(*final_dir, ".partial-", getpid(), "-", std::random_device{}());
  auto fail = [&](absl::Status s) {
    std::error_code rm;
    std::filesystem::remove_all(tmp, rm);
    return s;
  };
  // Objects an interrupted earlier download already fetched intact are kept.
  std::vector<char> have(files.size(), 0);
  size_t kept = 0;
  uint64_t need = 0;
  if (ClaimStalePartial(*final_dir, tmp)) {
    RemoveUnlisted(tmp, files);
    for (size_t i = 0; i < files.size(); ++i) {
      have[i] = S3Client::FileMatches(JoinPath(tmp, files[i].first), *to_get[i]);
      kept += have[i];
    }
    log_(absl::StrCat("Resuming an interrupted download of ", version_url, ": ", kept, " of ",
                      files.size(), " objects already there"));
  }
  for (size_t i = 0; i < files.size(); ++i) need += have[i] ? 0 : files[i].second;
  if (auto room = CheckRoom(need, version_url); !room.ok()) return fail(room);
  std::filesystem::create_directories(tmp, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("Cannot create the S3 cache folder ", tmp, ": ",
                                            ec.message(),
                                            " (set --s3_cache_dir to a writable folder)"));
  }
  uint64_t total = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    total += files[i].second;
    if (have[i]) continue;
    const std::string path = JoinPath(tmp, files[i].first);
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    if (ec) return fail(absl::InternalError(absl::StrCat("Cannot create folder for ", path)));
    if (auto s = client_.Download(url->bucket, *to_get[i], path); !s.ok()) return fail(s);
  }
  std::filesystem::rename(tmp, *final_dir, ec);
  if (ec) {
    // Another process sharing the cache may have finished the same version first.
    if (std::filesystem::is_directory(*final_dir) && CacheIntact(*final_dir, files)) {
      fail(absl::OkStatus()).IgnoreError();
      return *final_dir;
    }
    return fail(absl::InternalError(
        absl::StrCat("Cannot move ", tmp, " to ", *final_dir, ": ", ec.message())));
  }
  log_(absl::StrCat("Downloaded ", version_url, " (", files.size(), " objects, ", total,
                    " bytes) to ", *final_dir));
  return *final_dir;
}

void S3VersionSource::Release(const std::string& version_url) {
  auto dir = CachePath(version_url);
  if (!dir.ok()) return;
  std::error_code ec;
  if (!std::filesystem::exists(*dir, ec)) return;
  std::filesystem::remove_all(*dir, ec);
  log_(ec ? absl::StrCat("Could not delete the S3 cache folder ", *dir, ": ", ec.message())
          : absl::StrCat("Deleted the S3 cache folder ", *dir, " of ", version_url));
}

}  // namespace tfmodel::serving
