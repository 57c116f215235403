// A lean HTTP/1.1 server written directly on Linux epoll and non-blocking sockets.
//
// Threads: one acceptor (poll on the listening socket) hands accepted sockets round-robin to
// N workers; each worker owns an epoll instance and its connections for their whole life. A
// request is read into a per-connection buffer with one recv() per readiness event, parsed in
// place, handled inline on the worker, and answered with one writev() of head + body (the
// rest, if the socket is full, is sent on EPOLLOUT). A watchdog thread scans deadlines: it
// asks the owning worker to end connections too slow to send a request (408, or a silent
// close when idle) or to read their answer, and answers 504 itself while a handler overruns
// (the worker is inside the handler then and does not touch the socket; the connection's
// mutex orders the two).
#include "serving/http_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "serving/http_server_internal.h"

namespace tfmodel::serving {
namespace http_internal {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

absl::string_view Reason(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 499:
      return "Client Closed Request";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

// RFC 9110 token characters.
bool IsTchar(unsigned char c) {
  if (absl::ascii_isalnum(c)) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTchar(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// True when the comma-separated list `value` holds `token` (case-insensitive).
bool HasToken(absl::string_view value, absl::string_view token) {
  for (absl::string_view part : absl::StrSplit(value, ',')) {
    if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(part), token)) return true;
  }
  return false;
}

void SetNoDelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

void WakeFd(int fd) {
  uint64_t one = 1;
  while (::write(fd, &one, sizeof(one)) < 0 && errno == EINTR) {
  }
}

void DrainFd(int fd) {
  uint64_t v;
  while (::read(fd, &v, sizeof(v)) < 0 && errno == EINTR) {
  }
}

// ---------------------------------------------------------------------------------------
// Worker

void Worker::CheckDeadlines(int64_t now) {
  bool wake = false;
  std::lock_guard<std::mutex> l(mu_);
  for (auto& [id, cp] : conns_) {
    Conn* c = cp.get();
    const int64_t d = c->deadline_ns.load(std::memory_order_relaxed);
    if (d == 0 || d > now) continue;
    std::lock_guard<std::mutex> cl(c->mu);
    if (c->deadline_ns.load() != d) continue;  // re-armed meanwhile
    c->deadline_ns = 0;
    if (c->state == ConnState::kHandling) {
      // The handler is still running on the worker, which does not touch the socket until
      // it returns: answer 504 now (TF Serving maps DEADLINE_EXCEEDED to 504) and end the
      // connection; the handler's late result is dropped.
      c->handler_timed_out = true;
      const std::string body = MakeJsonFromStatus(absl::DeadlineExceededError(
          absl::StrCat("Request did not finish within --rest_api_timeout_in_ms=",
                       server_->options().read_timeout_ms, " ms")));
      const std::string msg = absl::StrCat(
          "HTTP/1.1 504 Gateway Timeout\r\nContent-Type: application/json\r\n"
          "Connection: close\r\nContent-Length: ",
          body.size(), "\r\n\r\n", body);
      // Nothing else is queued on the socket (answers are sent before the next request is
      // handled), so the small answer fits the send buffer; a client that does not read at
      // all loses it.
      ssize_t n;
      do {
        n = ::send(c->fd, msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      } while (n < 0 && errno == EINTR);
      ::shutdown(c->fd, SHUT_WR);
    } else if (c->state != ConnState::kClosed) {
      timed_out_.emplace_back(id, c->generation);
      wake = true;
    }
  }
  if (wake) WakeFd(evfd_);
}

void Worker::SetState(Conn* c, ConnState s, int64_t deadline_ns) {
  std::lock_guard<std::mutex> l(c->mu);
  c->state = s;
  ++c->generation;
  c->deadline_ns.store(deadline_ns, std::memory_order_relaxed);
}

int64_t Worker::Deadline() const {
  const int64_t t = server_->TimeoutNs();
  return t > 0 ? NowNs() + t : 0;
}

void Worker::WatchOut(Conn* c, bool out, bool in) {
  const uint32_t want = (out ? uint32_t{EPOLLOUT} : 0u) | (in ? uint32_t{EPOLLIN} : 0u);
  if (c->watched == want) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.ptr = c;
  ::epoll_ctl(epfd_, EPOLL_CTL_MOD, c->fd, &ev);
  c->watched = want;
}

void Worker::Run() {
  std::vector<epoll_event> events(128);
  while (true) {
    const int n = ::epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; ++i) {
      Conn* c = static_cast<Conn*>(events[i].data.ptr);
      if (c == nullptr) {
        DrainFd(evfd_);
        TakeNewSockets();
        HandleTimeouts();
        continue;
      }
      if (!c->dead) OnEvent(c, events[i].events);
    }
    if (!dead_.empty()) {
      std::lock_guard<std::mutex> l(mu_);
      for (Conn* c : dead_) conns_.erase(c->id);
      dead_.clear();
    }
    if (stopping_) {
      std::lock_guard<std::mutex> l(mu_);
      if (conns_.empty()) break;
    }
  }
  // Whatever is left (a failed epoll_wait): close it.
  std::lock_guard<std::mutex> l(mu_);
  for (auto& [id, c] : conns_) {
    if (!c->dead) ::close(c->fd);
  }
  conns_.clear();
  for (int fd : new_fds_) ::close(fd);
  new_fds_.clear();
}

void Worker::TakeNewSockets() {
  std::vector<int> fds;
  bool stop;
  {
    std::lock_guard<std::mutex> l(mu_);
    fds.swap(new_fds_);
    stop = stop_;
  }
  for (int fd : fds) {
    if (stop) {
      ::close(fd);
      continue;
    }
    auto c = std::make_unique<Conn>();
    c->fd = fd;
    c->id = next_id_++;
    c->deadline_ns = Deadline();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = c.get();
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      ::close(fd);
      continue;
    }
    std::lock_guard<std::mutex> l(mu_);
    conns_.emplace(c->id, std::move(c));
  }
  if (stop && !stopping_) {
    stopping_ = true;
    // Close idle connections (and ones part-way through sending a request); those with an
    // answer still being written finish it, then close.
    std::vector<Conn*> all;
    {
      std::lock_guard<std::mutex> l(mu_);
      for (auto& [id, c] : conns_) all.push_back(c.get());
    }
    for (Conn* c : all) {
      if (c->dead) continue;
      if (c->state == ConnState::kWriting && c->out_off < c->out.size()) {
        c->close_after_write = true;
        const int64_t bound = NowNs() + int64_t{2000} * 1'000'000;
        const int64_t d = c->deadline_ns.load(std::memory_order_relaxed);
        if (d == 0 || d > bound) SetState(c, ConnState::kWriting, bound);
      } else {
        CloseConn(c);
      }
    }
  }
}

void Worker::HandleTimeouts() {
  std::vector<std::pair<uint64_t, uint64_t>> due;
  {
    std::lock_guard<std::mutex> l(mu_);
    due.swap(timed_out_);
  }
  for (const auto& [id, generation] : due) {
    auto it = conns_.find(id);
    if (it == conns_.end()) continue;
    Conn* c = it->second.get();
    if (c->dead) continue;
    // Only this thread writes state and generation.
    if (c->generation != generation) continue;  // moved on since the watchdog looked
    const ConnState state = c->state;
    if (state == ConnState::kReading && (c->got_some || c->in_end > c->in_begin)) {
      // Too slow sending its request.
      SendError(c, 408,
                absl::StrCat("Request not received within --rest_api_timeout_in_ms=",
                             server_->options().read_timeout_ms, " ms"));
    } else {
      // Idle keep-alive connection, a client that does not read its answer, or the end of
      // a lingering close.
      CloseConn(c);
    }
  }
}

void Worker::CloseConn(Conn* c) {
  if (c->dead) return;
  SetState(c, ConnState::kClosed, 0);
  c->dead = true;
  ::close(c->fd);  // also removes it from the epoll set
  dead_.push_back(c);
}

void Worker::OnEvent(Conn* c, uint32_t events) {
  if ((events & EPOLLOUT) && c->out_off < c->out.size()) {
    if (Flush(c)) {
      if (c->state == ConnState::kWriting) {
        AfterWrite(c);
      } else {
        WatchOut(c, false, true);  // a queued "100 Continue" went out while reading
      }
      if (!c->dead && c->state == ConnState::kReading && c->in_begin < c->in_end) {
        ProcessInput(c);  // requests pipelined behind the one just answered
      }
    }
    return;
  }
  if (c->dead) return;
  if (c->state == ConnState::kWriting) {
    if (events & (EPOLLERR | EPOLLHUP)) CloseConn(c);
    return;
  }
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) OnReadable(c);
}

void Worker::Compact(Conn* c) {
  if (c->in_begin == c->in_end) {
    c->in_begin = c->in_end = c->head_scan = 0;
    if (c->in_cap > 4 * kReadChunk) {  // give back a large buffer once it is empty
      c->in.reset();
      c->in_cap = 0;
    }
    return;
  }
  if (c->in_begin > 0) {
    std::memmove(c->in.get(), c->in.get() + c->in_begin, c->in_end - c->in_begin);
    c->head_scan -= std::min(c->head_scan, c->in_begin);
    c->in_end -= c->in_begin;
    c->in_begin = 0;
  }
}

void Worker::OnReadable(Conn* c) {
  const ConnState state = c->state;  // only this thread writes it
  if (c->in_cap - c->in_end < kReadChunk) {
    Compact(c);
    if (c->in_cap - c->in_end < kReadChunk) {
      const size_t cap = std::max(c->in_cap * 2, c->in_end + kReadChunk);
      auto bigger = std::make_unique<char[]>(cap);
      if (c->in_end > 0) std::memcpy(bigger.get(), c->in.get(), c->in_end);
      c->in = std::move(bigger);
      c->in_cap = cap;
    }
  }
  ssize_t n;
  do {
    n = ::recv(c->fd, c->in.get() + c->in_end, c->in_cap - c->in_end, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
  if (n <= 0) {
    // Closed by the peer (or reset), possibly mid-request: nothing to answer.
    CloseConn(c);
    return;
  }
  if (state == ConnState::kDraining) {
    c->in_begin = c->in_end = 0;  // discard
    return;
  }
  c->in_end += static_cast<size_t>(n);
  ProcessInput(c);
}

void Worker::ProcessInput(Conn* c) {
  // One request at a time: the next is parsed once the answer before it went out.
  while (!c->dead && c->state == ConnState::kReading && c->out_off >= c->out.size()) {
    bool progress = false;
    if (ParseStep(c, &progress)) {
      Dispatch(c);
      continue;
    }
    if (!progress) break;
  }
  if (!c->dead && c->in_begin == c->in_end) Compact(c);
}

void Worker::Dispatch(Conn* c) {
  ++server_->active();
  SetState(c, ConnState::kHandling, Deadline());
  HttpResponse out;
  try {
    out = server_->Handle(c->req);
  } catch (const std::exception& e) {
    out = HttpResponse{};
    out.status = 500;
    out.headers = {{"Content-Type", "application/json"}};
    out.body = MakeJsonFromStatus(absl::InternalError(e.what()));
  }
  --server_->active();
  bool timed_out;
  {
    std::lock_guard<std::mutex> l(c->mu);
    c->deadline_ns.store(0, std::memory_order_relaxed);
    timed_out = c->handler_timed_out;
    c->state = timed_out ? ConnState::kClosed : ConnState::kWriting;
    ++c->generation;
  }
  c->got_some = false;
  if (c->req.body.capacity() > (size_t{1} << 20)) c->req.body = std::string();
  if (timed_out) {
    CloseConn(c);  // the watchdog answered 504 already
    return;
  }
  const bool close = !c->keep_alive || server_->stopping();
  Send(c, out.status, out.headers, out.body, close, c->http10);
}

void Worker::SendError(Conn* c, int status, const std::string& message) {
  SetState(c, ConnState::kWriting, 0);
  c->parse = Conn::Parse::kHead;
  c->got_some = false;
  Send(c, status, {{"Content-Type", "application/json"}},
       MakeJsonFromStatus(absl::InvalidArgumentError(message)), /*close=*/true, /*http10=*/false);
}

void Worker::Send(Conn* c, int status,
                  const std::vector<std::pair<std::string, std::string>>& headers,
                  const std::string& body, bool close, bool http10) {
  std::string& head = head_;  // reused: keeps its capacity across answers
  head.clear();
  absl::StrAppend(&head, http10 ? "HTTP/1.0 " : "HTTP/1.1 ", status, " ", Reason(status), "\r\n");
  for (const auto& [k, v] : headers) absl::StrAppend(&head, k, ": ", v, "\r\n");
  absl::StrAppend(&head, "Content-Length: ", body.size(), "\r\n");
  if (close) {
    head += "Connection: close\r\n";
  } else if (http10) {
    head += "Connection: keep-alive\r\n";
  }
  head += "\r\n";
  c->close_after_write = close;
  size_t sent = 0;
  if (c->out_off >= c->out.size()) {
    // Straight to the socket: head and body in one gather write.
    c->out.clear();
    c->out_off = 0;
    iovec iov[2] = {{head.data(), head.size()}, {const_cast<char*>(body.data()), body.size()}};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = body.empty() ? 1 : 2;
    ssize_t n;
    do {
      n = ::sendmsg(c->fd, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      CloseConn(c);
      return;
    }
    sent = n > 0 ? static_cast<size_t>(n) : 0;
    if (sent == head.size() + body.size()) {
      AfterWrite(c);
      return;
    }
  }
  if (sent < head.size()) {
    c->out.append(head, sent);
    c->out.append(body);
  } else {
    c->out.append(body, sent - head.size());
  }
  if (Flush(c)) AfterWrite(c);
}

void Worker::SendRaw(Conn* c, absl::string_view data) {
  if (c->out_off >= c->out.size()) {
    c->out.clear();
    c->out_off = 0;
    ssize_t n;
    do {
      n = ::send(c->fd, data.data(), data.size(), MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      CloseConn(c);
      return;
    }
    const size_t sent = n > 0 ? static_cast<size_t>(n) : 0;
    if (sent == data.size()) return;
    data.remove_prefix(sent);
  }
  c->out.append(data.data(), data.size());
  // Sent on EPOLLOUT while reading goes on (the 100 answer is only a hint to the client).
  WatchOut(c, true, true);
}

bool Worker::Flush(Conn* c) {
  while (c->out_off < c->out.size()) {
    const ssize_t n =
        ::send(c->fd, c->out.data() + c->out_off, c->out.size() - c->out_off, MSG_NOSIGNAL);
    if (n > 0) {
      c->out_off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (c->state == ConnState::kWriting) {
        // Writing has a deadline too (a client that never reads its answer); no reading
        // meanwhile.
        if (c->deadline_ns.load(std::memory_order_relaxed) == 0) {
          SetState(c, ConnState::kWriting, Deadline());
        }
        WatchOut(c, true, false);
      } else {
        WatchOut(c, true, true);
      }
      return false;
    }
    CloseConn(c);
    return false;
  }
  c->out.clear();
  c->out_off = 0;
  return true;
}

void Worker::AfterWrite(Conn* c) {
  if (c->dead) return;
  if (stopping_) {  // shutting down: no lingering
    ::shutdown(c->fd, SHUT_WR);
    CloseConn(c);
    return;
  }
  if (c->close_after_write) {
    StartDraining(c);
    return;
  }
  SetState(c, ConnState::kReading, Deadline());
  WatchOut(c, false, true);
}

void Worker::StartDraining(Conn* c) {
  // Half-close, then read and drop what the client still sends for a while, so that closing
  // with unread input does not reset the connection before the client read the answer.
  ::shutdown(c->fd, SHUT_WR);
  SetState(c, ConnState::kDraining, NowNs() + kDrainMs * 1'000'000);
  c->in_begin = c->in_end = 0;
  c->head_scan = 0;
  WatchOut(c, false, true);
}

}  // namespace http_internal

using http_internal::ServerImpl;

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                              Handler handler) {
  auto server = std::make_unique<ServerImpl>(options, std::move(handler));
  if (auto s = server->Listen(); !s.ok()) return s;
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace tfmodel::serving
