// HTTP/1.1 request parsing for the server's workers (http_server_internal.h): the request
// line and headers (RFC 9112 framing: Content-Length, chunked transfer coding, trailers; CRLF
// or bare-LF line ends), parsed in place in the connection's buffer; malformed or oversized input
// is answered with the matching 4xx/5xx and the connection closed.
#include <cstring>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "serving/http_server_internal.h"

namespace tfmodel::serving::http_internal {
namespace {

// Line ends: CRLF, or a bare LF, which RFC 9112 section 2.2 lets a recipient take as a line
// terminator (ignoring a CR before it). curl and browsers send CRLF; hand-written clients
// (printf | nc, some embedded stacks) send LF alone.

// Finds the next line end in [from, end): returns the offset where the line's text stops
// (before an optional CR) and sets *next to just past the LF; npos when no LF yet.
size_t FindEol(const char* buf, size_t from, size_t end, size_t* next) {
  if (end <= from) return std::string::npos;
  const void* p = std::memchr(buf + from, '\n', end - from);
  if (p == nullptr) return std::string::npos;
  const size_t lf = static_cast<size_t>(static_cast<const char*>(p) - buf);
  *next = lf + 1;
  return lf > from && buf[lf - 1] == '\r' ? lf - 1 : lf;
}

// Finds the empty line that ends a request head, scanning LFs from `from`: a LF followed by
// LF or CRLF. Returns the offset just past the head's last field line (its LF) and sets
// *body to where the body starts; npos when the head is incomplete, with *resume where the
// next scan must start (a LF whose following bytes have not all arrived yet).
size_t FindHeadEnd(const char* buf, size_t from, size_t end, size_t* body, size_t* resume) {
  size_t i = from;
  while (i < end) {
    const void* p = std::memchr(buf + i, '\n', end - i);
    if (p == nullptr) break;
    const size_t lf = static_cast<size_t>(static_cast<const char*>(p) - buf);
    size_t j = lf + 1;
    if (j < end && buf[j] == '\r') ++j;
    if (j >= end) {
      *resume = lf;
      return std::string::npos;
    }
    if (buf[j] == '\n') {
      *body = j + 1;
      return lf + 1;
    }
    i = lf + 1;
  }
  *resume = end;
  return std::string::npos;
}

// Splits the next line off `rest` (LF-terminated, a CR before the LF dropped).
absl::string_view NextLine(absl::string_view* rest) {
  const size_t e = rest->find('\n');
  absl::string_view line = rest->substr(0, e);
  rest->remove_prefix(e == absl::string_view::npos ? rest->size() : e + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}
}  // namespace

// The request line and header fields; true when a whole request (without body) is ready.
bool Worker::ParseRequestHead(Conn* c, bool* progress) {
  const char* buf = c->in.get();
  const size_t end = c->in_end;
  // Leading empty lines (CRLF or LF) before a request line are ignored (RFC 9112 2.2).
  while (c->in_begin < end) {
    if (buf[c->in_begin] == '\n') {
      c->in_begin += 1;
    } else if (c->in_begin + 2 <= end && buf[c->in_begin] == '\r' && buf[c->in_begin + 1] == '\n') {
      c->in_begin += 2;
    } else {
      break;
    }
  }
  if (c->in_begin == end) {
    c->got_some = false;
    return false;
  }
  const size_t from = std::max(c->head_scan, c->in_begin);
  size_t body = 0, resume = 0;
  const size_t head_end = FindHeadEnd(buf, from, end, &body, &resume);
  if (head_end == std::string::npos) {
    if (end - c->in_begin > kMaxHeadBytes) {
      SendError(c, 431, "Request headers too large");
      return false;
    }
    c->head_scan = std::max(resume, c->in_begin);
    return false;
  }
  if (body - c->in_begin > kMaxHeadBytes) {
    SendError(c, 431, "Request headers too large");
    return false;
  }
  const absl::string_view head(buf + c->in_begin, head_end - c->in_begin);
  c->in_begin = body;
  c->head_scan = c->in_begin;
  *progress = true;
  if (!ParseHead(c, head)) return false;
  if (c->parse == Conn::Parse::kHead) return true;  // no body
  return false;
}

// Body bytes, of a Content-Length body (kBody: the request is ready when they are all in)
// or of one chunk (kChunkData: its line end follows).
bool Worker::TakeBodyBytes(Conn* c, bool* progress) {
  const size_t avail = c->in_end - c->in_begin;
  const size_t take = static_cast<size_t>(std::min<uint64_t>(avail, c->body_left));
  if (take > 0) {
    c->req.body.append(c->in.get() + c->in_begin, take);
    c->in_begin += take;
    c->body_left -= take;
    *progress = true;
  }
  if (c->body_left != 0) return false;
  if (c->parse == Conn::Parse::kBody) {
    c->parse = Conn::Parse::kHead;
    return true;
  }
  c->parse = Conn::Parse::kChunkCrlf;
  return false;
}

// A chunk-size line (extensions ignored).
bool Worker::ParseChunkSize(Conn* c, bool* progress) {
  const char* buf = c->in.get();
  const size_t end = c->in_end;
  const uint64_t max_body = server_->options().max_body_bytes;
  size_t next = 0;
  const size_t eol = FindEol(buf, c->in_begin, end, &next);
  if (eol == std::string::npos) {
    if (end - c->in_begin > kMaxChunkLine)
      SendError(c, 400, "Malformed HTTP request: bad chunk size line");
    return false;
  }
  absl::string_view line(buf + c->in_begin, eol - c->in_begin);
  uint64_t size = 0;
  size_t i = 0;
  for (; i < line.size() && absl::ascii_isxdigit(static_cast<unsigned char>(line[i])); ++i) {
    if (size > (std::numeric_limits<uint64_t>::max() >> 4)) {
      SendError(c, 400, "Malformed HTTP request: chunk size overflows");
      return false;
    }
    const char h = line[i];
    const int v =
        h <= '9' ? h - '0' : (absl::ascii_tolower(static_cast<unsigned char>(h)) - 'a' + 10);
    size = (size << 4) | static_cast<uint64_t>(v);
  }
  if (i == 0 || (i < line.size() && line[i] != ';' && line[i] != ' ' && line[i] != '\t')) {
    SendError(c, 400, "Malformed HTTP request: bad chunk size");
    return false;
  }
  c->in_begin = next;
  *progress = true;
  if (size == 0) {
    c->parse = Conn::Parse::kTrailer;
    c->trailer_bytes = 0;
    return false;
  }
  if (size > max_body || c->req.body.size() > max_body - size) {
    SendError(c, 413, absl::StrCat("Request body exceeds the limit of ", max_body, " bytes"));
    return false;
  }
  c->body_left = size;
  c->parse = Conn::Parse::kChunkData;
  return false;
}

// The line end after chunk data (CRLF or a bare LF).
bool Worker::ParseChunkEnd(Conn* c, bool* progress) {
  const char* buf = c->in.get();
  const size_t end = c->in_end;
  const size_t avail = end - c->in_begin;
  if (avail == 0) return false;
  size_t eol_len = 0;
  if (buf[c->in_begin] == '\n') {
    eol_len = 1;
  } else if (buf[c->in_begin] == '\r' && (avail < 2 || buf[c->in_begin + 1] == '\n')) {
    if (avail < 2) return false;
    eol_len = 2;
  } else {
    SendError(c, 400, "Malformed HTTP request: chunk data not followed by CRLF");
    return false;
  }
  c->in_begin += eol_len;
  c->parse = Conn::Parse::kChunkSize;
  *progress = true;
  return false;
}

// Trailer fields (read and ignored) up to the empty line.
bool Worker::ParseTrailer(Conn* c, bool* progress) {
  const char* buf = c->in.get();
  const size_t end = c->in_end;
  size_t next = 0;
  const size_t eol = FindEol(buf, c->in_begin, end, &next);
  if (eol == std::string::npos) {
    if (c->trailer_bytes + (end - c->in_begin) > kMaxHeadBytes) {
      SendError(c, 431, "Request headers too large");
    }
    return false;
  }
  const size_t len = eol - c->in_begin;
  c->in_begin = next;
  *progress = true;
  if (len == 0) {
    c->parse = Conn::Parse::kHead;
    return true;
  }
  c->trailer_bytes += len + 2;  // trailer fields are read and ignored
  if (c->trailer_bytes > kMaxHeadBytes) {
    SendError(c, 431, "Request headers too large");
  }
  return false;
}

bool Worker::ParseStep(Conn* c, bool* progress) {
  if (c->in_begin < c->in_end) c->got_some = true;
  switch (c->parse) {
    case Conn::Parse::kHead:
      return ParseRequestHead(c, progress);
    case Conn::Parse::kBody:
    case Conn::Parse::kChunkData:
      return TakeBodyBytes(c, progress);
    case Conn::Parse::kChunkSize:
      return ParseChunkSize(c, progress);
    case Conn::Parse::kChunkCrlf:
      return ParseChunkEnd(c, progress);
    case Conn::Parse::kTrailer:
      return ParseTrailer(c, progress);
  }
  return false;
}

bool Worker::ParseHead(Conn* c, absl::string_view head) {
  auto bad = [&](absl::string_view why) {
    SendError(c, 400, absl::StrCat("Malformed HTTP request: ", why));
    return false;
  };
  c->req.method.clear();
  c->req.target.clear();
  c->req.body.clear();
  // Header strings are reused from the previous request on this connection (assign keeps
  // their capacity); the vector is trimmed to this request's count at the end.
  size_t num_headers = 0;
  // Request line: method SP target SP HTTP/1.x. `head` holds the request line and the field
  // lines, each ended by LF (a CR before it is dropped).
  absl::string_view rest = head;
  const absl::string_view line = NextLine(&rest);
  const size_t sp1 = line.find(' ');
  if (sp1 == absl::string_view::npos) return bad("bad request line");
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == absl::string_view::npos) return bad("bad request line");
  const absl::string_view method = line.substr(0, sp1);
  const absl::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const absl::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method)) return bad("bad method");
  if (target.empty()) return bad("bad target");
  for (char ch : target) {
    const auto u = static_cast<unsigned char>(ch);
    if (u <= 0x20 || u == 0x7f) return bad("bad target");
  }
  if (version.size() != 8 || !absl::StartsWith(version, "HTTP/") ||
      !absl::ascii_isdigit(static_cast<unsigned char>(version[5])) || version[6] != '.' ||
      !absl::ascii_isdigit(static_cast<unsigned char>(version[7]))) {
    return bad("bad version");
  }
  if (version[5] != '1') {
    SendError(c, 505, absl::StrCat("HTTP version not supported: ", version));
    return false;
  }
  c->http10 = version[7] == '0';
  c->req.method.assign(method.data(), method.size());
  c->req.target.assign(target.data(), target.size());

  bool has_length = false, chunked = false, has_te = false, expect_continue = false;
  bool conn_close = false, conn_keep_alive = false;
  uint64_t length = 0;
  while (!rest.empty()) {
    const absl::string_view field = NextLine(&rest);
    if (field.empty()) break;
    if (field[0] == ' ' || field[0] == '\t') return bad("obsolete line folding");
    const size_t colon = field.find(':');
    if (colon == absl::string_view::npos) return bad("header without ':'");
    const absl::string_view name = field.substr(0, colon);
    if (!IsToken(name)) return bad("bad header name");
    const absl::string_view value = absl::StripAsciiWhitespace(field.substr(colon + 1));
    for (char ch : value) {
      const auto u = static_cast<unsigned char>(ch);
      if ((u < 0x20 && u != '\t') || u == 0x7f) return bad("bad header value");
    }
    if (absl::EqualsIgnoreCase(name, "content-length")) {
      uint64_t v = 0;
      if (value.empty() || value.size() > 19) return bad("bad Content-Length");
      for (char ch : value) {
        if (!absl::ascii_isdigit(static_cast<unsigned char>(ch))) return bad("bad Content-Length");
        v = v * 10 + static_cast<uint64_t>(ch - '0');
      }
      if (has_length && v != length) return bad("conflicting Content-Length");
      has_length = true;
      length = v;
    } else if (absl::EqualsIgnoreCase(name, "transfer-encoding")) {
      if (has_te || !absl::EqualsIgnoreCase(value, "chunked")) {
        SendError(c, 501, absl::StrCat("Unsupported Transfer-Encoding: ", value));
        return false;
      }
      has_te = chunked = true;
    } else if (absl::EqualsIgnoreCase(name, "connection")) {
      if (HasToken(value, "close")) conn_close = true;
      if (HasToken(value, "keep-alive")) conn_keep_alive = true;
    } else if (absl::EqualsIgnoreCase(name, "expect")) {
      if (absl::EqualsIgnoreCase(value, "100-continue")) expect_continue = true;
    }
    if (num_headers < c->req.headers.size()) {
      c->req.headers[num_headers].first.assign(name.data(), name.size());
      c->req.headers[num_headers].second.assign(value.data(), value.size());
    } else {
      c->req.headers.emplace_back(std::string(name.data(), name.size()),
                                  std::string(value.data(), value.size()));
    }
    ++num_headers;
  }
  c->req.headers.resize(num_headers);
  if (chunked && has_length) return bad("both Content-Length and Transfer-Encoding");
  if (chunked && c->http10) return bad("chunked body in HTTP/1.0");
  c->keep_alive = c->http10 ? (conn_keep_alive && !conn_close) : !conn_close;
  const uint64_t max_body = server_->options().max_body_bytes;
  if (has_length && length > max_body) {
    SendError(c, 413, absl::StrCat("Request body exceeds the limit of ", max_body, " bytes"));
    return false;
  }
  const bool has_body = chunked || length > 0;
  if (expect_continue && !c->http10 && has_body && c->in_begin == c->in_end) {
    SendRaw(c, "HTTP/1.1 100 Continue\r\n\r\n");
    if (c->dead) return false;
  }
  if (chunked) {
    c->parse = Conn::Parse::kChunkSize;
  } else if (length > 0) {
    c->req.body.reserve(static_cast<size_t>(std::min<uint64_t>(length, uint64_t{64} << 20)));
    c->body_left = length;
    c->parse = Conn::Parse::kBody;
  } else {
    c->parse = Conn::Parse::kHead;
  }
  return true;
}

}  // namespace tfmodel::serving::http_internal
