// The S3 client's text work: ListObjectsV2 / Error XML parsing, URI encoding, request URLs
// and the mapping of S3 errors to statuses (declared in s3_client.h).
#include <cstdint>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "serving/s3_client.h"

namespace tfmodel::serving {
namespace {

// Appends `cp` as UTF-8.
void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// A flat view of an XML document: finds elements by name inside a range. S3's responses
// are shallow and attribute-free where we read them, so this is all the parsing needed.
class XmlScan {
 public:
  explicit XmlScan(absl::string_view doc) : doc_(doc) {}

  // The content of the next <name>...</name> (or <name/>: empty) starting at *pos within
  // [.., end); advances *pos past it. False when there is none.
  bool Next(absl::string_view name, size_t* pos, size_t end, absl::string_view* content) const {
    while (*pos < end) {
      size_t open = doc_.find('<', *pos);
      if (open == absl::string_view::npos || open >= end) return false;
      size_t name_end = open + 1;
      while (name_end < end && doc_[name_end] != '>' && doc_[name_end] != '/' &&
             doc_[name_end] != ' ' && doc_[name_end] != '\t' && doc_[name_end] != '\n' &&
             doc_[name_end] != '\r') {
        ++name_end;
      }
      size_t gt = doc_.find('>', open);
      if (gt == absl::string_view::npos || gt >= end) return false;
      if (doc_.substr(open + 1, name_end - open - 1) != name) {
        *pos = gt + 1;
        continue;
      }
      if (doc_[gt - 1] == '/') {  // <name/>
        *content = absl::string_view();
        *pos = gt + 1;
        return true;
      }
      const std::string close = absl::StrCat("</", name, ">");
      size_t c = doc_.find(close, gt + 1);
      if (c == absl::string_view::npos || c + close.size() > end) {
        error_ = absl::StrCat("element <", name, "> is not closed");
        return false;
      }
      *content = doc_.substr(gt + 1, c - gt - 1);
      *pos = c + close.size();
      return true;
    }
    return false;
  }

  // The first <name> element's unescaped text within `within` (a view into the doc).
  bool Text(absl::string_view within, absl::string_view name, std::string* out) const {
    size_t pos = static_cast<size_t>(within.data() - doc_.data());
    absl::string_view content;
    if (!Next(name, &pos, pos + within.size(), &content)) return false;
    auto text = XmlUnescape(content);
    if (!text.ok()) {
      error_ = std::string(text.status().message());
      return false;
    }
    *out = *std::move(text);
    return true;
  }

  const std::string& error() const { return error_; }

 private:
  absl::string_view doc_;
  mutable std::string error_;
};

}  // namespace

absl::StatusOr<std::string> XmlUnescape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out.push_back(text[i]);
      continue;
    }
    size_t semi = text.find(';', i);
    if (semi == absl::string_view::npos || semi - i > 12) {
      return absl::InvalidArgumentError(
          absl::StrCat("malformed XML entity at offset ", i, " of '", text, "'"));
    }
    absl::string_view ent = text.substr(i + 1, semi - i - 1);
    if (ent == "amp") {
      out.push_back('&');
    } else if (ent == "lt") {
      out.push_back('<');
    } else if (ent == "gt") {
      out.push_back('>');
    } else if (ent == "quot") {
      out.push_back('"');
    } else if (ent == "apos") {
      out.push_back('\'');
    } else if (ent.size() > 1 && ent[0] == '#') {
      uint32_t cp = 0;
      const bool hex = ent[1] == 'x' || ent[1] == 'X';
      absl::string_view digits = ent.substr(hex ? 2 : 1);
      bool ok = !digits.empty() &&
                (hex ? absl::SimpleHexAtoi(digits, &cp) : absl::SimpleAtoi(digits, &cp));
      if (!ok || cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return absl::InvalidArgumentError(absl::StrCat("bad XML character reference &", ent, ";"));
      }
      AppendUtf8(cp, &out);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown XML entity &", ent, ";"));
    }
    i = semi;
  }
  return out;
}

absl::StatusOr<S3ListPage> ParseListObjectsV2(absl::string_view xml) {
  XmlScan scan(xml);
  size_t pos = 0;
  absl::string_view root;
  if (!scan.Next("ListBucketResult", &pos, xml.size(), &root)) {
    return absl::InvalidArgumentError(
        absl::StrCat("ListObjectsV2 response has no <ListBucketResult>",
                     scan.error().empty() ? "" : absl::StrCat(" (", scan.error(), ")"), ": '",
                     xml.substr(0, 200), "'"));
  }
  auto bad = [&](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat("malformed ListObjectsV2 response: ", what,
                                                   scan.error().empty() ? "" : ": ", scan.error()));
  };
  S3ListPage page;
  const size_t root_begin = static_cast<size_t>(root.data() - xml.data());
  const size_t root_end = root_begin + root.size();
  // Top-level scalars: only outside <Contents> / <CommonPrefixes> (which hold no such
  // names), so the first match inside the root is the right one.
  std::string truncated;
  if (scan.Text(root, "IsTruncated", &truncated)) page.truncated = truncated == "true";
  scan.Text(root, "NextContinuationToken", &page.next_token);
  if (!scan.error().empty()) return bad("IsTruncated/NextContinuationToken");
  absl::string_view item;
  pos = root_begin;
  while (scan.Next("Contents", &pos, root_end, &item)) {
    S3Object obj;
    std::string size;
    if (!scan.Text(item, "Key", &obj.key)) return bad("<Contents> without <Key>");
    if (!scan.Text(item, "Size", &size) || !absl::SimpleAtoi(size, &obj.size)) {
      return bad(absl::StrCat("<Contents> of '", obj.key, "' without a valid <Size>"));
    }
    std::string etag;
    scan.Text(item, "ETag", &etag);
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
      etag = etag.substr(1, etag.size() - 2);
    }
    obj.etag = etag;
    page.objects.push_back(std::move(obj));
  }
  if (!scan.error().empty()) return bad("<Contents>");
  pos = root_begin;
  while (scan.Next("CommonPrefixes", &pos, root_end, &item)) {
    std::string prefix;
    if (!scan.Text(item, "Prefix", &prefix)) return bad("<CommonPrefixes> without <Prefix>");
    page.common_prefixes.push_back(std::move(prefix));
  }
  if (!scan.error().empty()) return bad("<CommonPrefixes>");
  if (page.truncated && page.next_token.empty()) {
    return bad("IsTruncated is true but there is no NextContinuationToken");
  }
  return page;
}

S3ErrorBody ParseS3Error(absl::string_view xml) {
  XmlScan scan(xml);
  size_t pos = 0;
  absl::string_view root;
  S3ErrorBody out;
  if (!scan.Next("Error", &pos, xml.size(), &root)) return out;
  scan.Text(root, "Code", &out.code);
  scan.Text(root, "Message", &out.message);
  return out;
}

std::string S3UriEncode(absl::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

namespace {
// "scheme://[bucket.]host[:port][/bucket]" for a bucket.
std::string BucketBase(const S3Config& config, const std::string& bucket) {
  if (!config.virtual_host) return absl::StrCat(config.endpoint, "/", S3UriEncode(bucket, false));
  const size_t scheme_end = config.endpoint.find("://");
  if (scheme_end == std::string::npos) return absl::StrCat(bucket, ".", config.endpoint);
  return absl::StrCat(config.endpoint.substr(0, scheme_end + 3), bucket, ".",
                      config.endpoint.substr(scheme_end + 3));
}
}  // namespace

std::string S3ObjectUrl(const S3Config& config, const std::string& bucket, const std::string& key) {
  return absl::StrCat(BucketBase(config, bucket), "/", S3UriEncode(key, true));
}

std::string S3ListUrl(const S3Config& config, const std::string& bucket, const std::string& prefix,
                      const std::string& delimiter, const std::string& continuation_token) {
  // Parameters in byte order of their names, values encoded: the canonical query string,
  // which SigV4 signs (libcurl 7.88 signs the query as given).
  std::string q;
  auto add = [&q](absl::string_view name, const std::string& value) {
    absl::StrAppend(&q, q.empty() ? "?" : "&", name, "=", S3UriEncode(value, false));
  };
  if (!continuation_token.empty()) add("continuation-token", continuation_token);
  if (!delimiter.empty()) add("delimiter", delimiter);
  add("list-type", "2");
  add("prefix", prefix);
  return absl::StrCat(BucketBase(config, bucket), "/", q);
}

bool S3Retryable(int http_status, const std::string& error_code) {
  if (http_status >= 500 || http_status == 429 || http_status == 408) return true;
  return error_code == "RequestTimeout" || error_code == "SlowDown" ||
         error_code == "RequestTimeTooSkewed" || error_code == "InternalError";
}

absl::Status S3ErrorToStatus(int http_status, const S3ErrorBody& error, const std::string& what,
                             const S3Config& config) {
  std::string detail = absl::StrCat("HTTP ", http_status);
  if (!error.code.empty()) absl::StrAppend(&detail, " ", error.code);
  if (!error.message.empty()) absl::StrAppend(&detail, ": ", error.message);
  const std::string where = absl::StrCat(what, " at ", config.endpoint);
  if (http_status == 403 || http_status == 401) {
    const std::string creds =
        config.access_key_id.empty()
            ? std::string(
                  "no credentials were found (anonymous request): set AWS_ACCESS_KEY_ID "
                  "and AWS_SECRET_ACCESS_KEY or a ~/.aws/credentials profile")
            : absl::StrCat("check the access key ", config.access_key_id, " (from ",
                           config.credentials_source,
                           "), its secret, and that it may read the bucket");
    return absl::PermissionDeniedError(
        absl::StrCat("S3 access denied ", where, " (", detail, "); ", creds));
  }
  if (http_status == 404) {
    if (error.code == "NoSuchBucket") {
      return absl::NotFoundError(
          absl::StrCat("S3 bucket does not exist: ", where, " (", detail, ")"));
    }
    return absl::NotFoundError(absl::StrCat("S3 object not found: ", where, " (", detail, ")"));
  }
  if (http_status == 301 || error.code == "AuthorizationHeaderMalformed" ||
      error.code == "PermanentRedirect") {
    return absl::FailedPreconditionError(
        absl::StrCat("S3 bucket is not reachable with region ", config.region, " ", where, " (",
                     detail, "); set AWS_REGION to the bucket's region or S3_ENDPOINT"));
  }
  if (S3Retryable(http_status, error.code)) {
    return absl::UnavailableError(
        absl::StrCat("S3 service unavailable ", where, " (", detail, ")"));
  }
  return absl::InvalidArgumentError(absl::StrCat("S3 request failed ", where, " (", detail, ")"));
}

}  // namespace tfmodel::serving
