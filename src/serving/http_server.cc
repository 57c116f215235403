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

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "serving/json_tensor.h"

namespace tfmodel::serving {
namespace {

constexpr size_t kMaxHeadBytes = size_t{1} << 20;  // request line + headers; more = 431
constexpr size_t kMaxChunkLine = 4096;             // chunk size line incl. extensions
constexpr size_t kReadChunk = 16384;               // free space ensured before each recv
constexpr int64_t kDrainMs = 1000;                 // lingering read after a closing answer

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

class ServerImpl;
class Worker;

// State visible to the watchdog (guarded by Conn::mu).
enum class ConnState { kReading, kHandling, kWriting, kDraining, kClosed };

// One connection; everything but `mu`-guarded fields and `deadline_ns` belongs to the
// owning worker's thread.
struct Conn {
  int fd = -1;
  uint64_t id = 0;

  std::mutex mu;
  ConnState state = ConnState::kReading;  // guarded by mu
  uint64_t generation = 0;                // guarded by mu; bumped on every state change
  bool handler_timed_out = false;         // guarded by mu
  std::atomic<int64_t> deadline_ns{0};    // 0 = none

  // Input: bytes [in_begin, in_end) of `in` are received and not yet consumed.
  std::unique_ptr<char[]> in;
  size_t in_cap = 0, in_begin = 0, in_end = 0;
  size_t head_scan = 0;  // where to resume looking for the end of the head

  // Request being parsed.
  enum class Parse { kHead, kBody, kChunkSize, kChunkData, kChunkCrlf, kTrailer };
  Parse parse = Parse::kHead;
  HttpRequest req;
  uint64_t body_left = 0;  // kBody / kChunkData
  size_t trailer_bytes = 0;
  bool keep_alive = true;
  bool http10 = false;
  bool got_some = false;  // bytes of the current request were received

  // Output not yet sent: out[out_off..].
  std::string out;
  size_t out_off = 0;
  bool close_after_write = false;
  uint32_t watched = EPOLLIN;  // epoll events asked for
  bool dead = false;           // closed; freed after the current event batch
};

class Worker {
 public:
  Worker(ServerImpl* server) : server_(server) {}
  ~Worker() {
    if (epfd_ >= 0) ::close(epfd_);
    if (evfd_ >= 0) ::close(evfd_);
  }

  absl::Status Init() {
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    evfd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epfd_ < 0 || evfd_ < 0) {
      return absl::InternalError(absl::StrCat("epoll/eventfd: ", std::strerror(errno)));
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, evfd_, &ev) != 0) {
      return absl::InternalError(absl::StrCat("epoll_ctl: ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

  void StartThread() {
    thread_ = std::thread([this] { Run(); });
  }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

  // From the acceptor.
  void AddSocket(int fd) {
    {
      std::lock_guard<std::mutex> l(mu_);
      new_fds_.push_back(fd);
    }
    WakeFd(evfd_);
  }
  // From Shutdown: close idle connections, finish writing the others, then end the thread.
  void Stop() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    WakeFd(evfd_);
  }

  // Watchdog: handles every connection whose deadline has passed.
  void CheckDeadlines(int64_t now);

 private:
  void Run();
  void TakeNewSockets();
  void HandleTimeouts();
  void OnEvent(Conn* c, uint32_t events);
  void OnReadable(Conn* c);
  // Parses and answers the requests in c's buffer while no answer is pending.
  void ProcessInput(Conn* c);
  // Returns true when a whole request is in c->req; false when more bytes are needed or an
  // error was answered (c->close_after_write or c->dead then).
  bool ParseStep(Conn* c, bool* progress);
  bool ParseHead(Conn* c, absl::string_view head);
  void Dispatch(Conn* c);
  void SendError(Conn* c, int status, const std::string& message);
  void Send(Conn* c, int status, const std::vector<std::pair<std::string, std::string>>& headers,
            const std::string& body, bool close, bool http10);
  void SendRaw(Conn* c, absl::string_view data);
  // Sends c->out; arms EPOLLOUT if the socket is full. Returns true when all is sent.
  bool Flush(Conn* c);
  // After a whole answer went out: next request, or the end of the connection.
  void AfterWrite(Conn* c);
  void StartDraining(Conn* c);
  void SetState(Conn* c, ConnState s, int64_t deadline_ns);
  int64_t Deadline() const;
  void WatchOut(Conn* c, bool out, bool in);
  void CloseConn(Conn* c);
  void Compact(Conn* c);

  ServerImpl* server_;
  int epfd_ = -1, evfd_ = -1;
  std::thread thread_;
  uint64_t next_id_ = 1;

  std::mutex mu_;  // guards the fields below and insertion/removal in conns_
  std::vector<int> new_fds_;
  std::vector<std::pair<uint64_t, uint64_t>> timed_out_;  // (conn id, generation)
  bool stop_ = false;
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns_;

  std::vector<Conn*> dead_;  // worker thread only
  bool stopping_ = false;    // worker thread only
  std::string head_;         // worker thread only: the status line and headers being sent
};

class ServerImpl : public HttpServer {
 public:
  ServerImpl(const HttpServerOptions& options, Handler handler)
      : options_(options), handler_(std::move(handler)) {}

  ~ServerImpl() override {
    Shutdown();
    if (listen_fd_ >= 0) ::close(listen_fd_);
    if (accept_evfd_ >= 0) ::close(accept_evfd_);
  }

  absl::Status Listen() {
    sockaddr_storage ss{};
    socklen_t ss_len = 0;
    int family = AF_INET;
    const std::string& a = options_.address;
    if (options_.port < 0 || options_.port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("bad listen port ", options_.port));
    }
    const uint16_t port = htons(static_cast<uint16_t>(options_.port));
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (a.empty() || a == "0.0.0.0") {
      v4->sin_family = AF_INET;
      v4->sin_addr.s_addr = htonl(INADDR_ANY);
      v4->sin_port = port;
      ss_len = sizeof(sockaddr_in);
    } else if (a == "localhost") {
      v4->sin_family = AF_INET;
      v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      v4->sin_port = port;
      ss_len = sizeof(sockaddr_in);
    } else if (::inet_pton(AF_INET, a.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = port;
      ss_len = sizeof(sockaddr_in);
    } else if (::inet_pton(AF_INET6, a.c_str(), &v6->sin6_addr) == 1) {
      family = AF_INET6;
      v6->sin6_family = AF_INET6;
      v6->sin6_port = port;
      ss_len = sizeof(sockaddr_in6);
    } else {
      return absl::InvalidArgumentError("bad listen address " + a);
    }
    auto fail = [&](const char* what) {
      return absl::UnavailableError(absl::StrCat("Failed to start HTTP server on ", a, ":",
                                                 options_.port, ": ", what, ": ",
                                                 std::strerror(errno)));
    };
    listen_fd_ = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) return fail("socket");
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&ss), ss_len) != 0) return fail("bind");
    if (::listen(listen_fd_, SOMAXCONN) != 0) return fail("listen");
    sockaddr_storage bound{};
    socklen_t bound_len = sizeof(bound);
    if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &bound_len) != 0) {
      return fail("getsockname");
    }
    port_ = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                    : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
    accept_evfd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (accept_evfd_ < 0) return fail("eventfd");

    const int n = std::max(1, options_.num_threads);
    for (int i = 0; i < n; ++i) {
      workers_.push_back(std::make_unique<Worker>(this));
      if (auto s = workers_.back()->Init(); !s.ok()) return s;
    }
    for (auto& w : workers_) w->StartThread();
    acceptor_ = std::thread([this] { Accept(); });
    watchdog_ = std::thread([this] { Watchdog(); });
    started_ = true;
    return absl::OkStatus();
  }

  int port() const override { return port_; }

  void Shutdown() override {
    if (shut_down_.exchange(true)) return;
    stopping_ = true;
    if (!started_) {
      for (auto& w : workers_) {
        w->Stop();
        w->Join();
      }
      return;
    }
    // Stop accepting.
    WakeFd(accept_evfd_);
    if (acceptor_.joinable()) acceptor_.join();
    ::close(listen_fd_);  // new connections are refused from here on
    listen_fd_ = -1;
    // Let requests already being handled finish (bounded wait), then close idle connections
    // and let the workers finish writing what they have.
    for (int i = 0; i < 3000 && active_.load() > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    for (auto& w : workers_) w->Stop();
    for (auto& w : workers_) w->Join();
    {
      std::lock_guard<std::mutex> l(watchdog_mu_);
      watchdog_stop_ = true;
    }
    watchdog_cv_.notify_all();
    if (watchdog_.joinable()) watchdog_.join();
  }

  const HttpServerOptions& options() const { return options_; }
  HttpResponse Handle(const HttpRequest& r) { return handler_(r); }
  bool stopping() const { return stopping_.load(std::memory_order_relaxed); }
  std::atomic<int>& active() { return active_; }
  int64_t TimeoutNs() const {
    return options_.read_timeout_ms > 0 ? options_.read_timeout_ms * 1'000'000 : 0;
  }

 private:
  void Accept() {
    size_t next = 0;
    while (true) {
      pollfd p[2] = {{listen_fd_, POLLIN, 0}, {accept_evfd_, POLLIN, 0}};
      const int r = ::poll(p, 2, -1);
      if (r < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (p[1].revents != 0) return;  // Shutdown
      if (p[0].revents == 0) continue;
      while (true) {
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
          if (errno == EINTR || errno == ECONNABORTED) continue;
          if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            // Out of descriptors: back off instead of spinning.
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
          }
          break;  // EAGAIN and the rest
        }
        SetNoDelay(fd);
        workers_[next++ % workers_.size()]->AddSocket(fd);
      }
    }
  }

  // Checks every connection's deadline a few times per timeout period.
  void Watchdog() {
    const int64_t timeout_ms = options_.read_timeout_ms;
    const auto tick = std::chrono::milliseconds(
        timeout_ms > 0 ? std::clamp<int64_t>(timeout_ms / 20, 1, 20) : 20);
    while (true) {
      {
        std::unique_lock<std::mutex> l(watchdog_mu_);
        watchdog_cv_.wait_for(l, tick, [this] { return watchdog_stop_; });
        if (watchdog_stop_) return;
      }
      const int64_t now = NowNs();
      for (auto& w : workers_) w->CheckDeadlines(now);
    }
  }

  HttpServerOptions options_;
  Handler handler_;
  int listen_fd_ = -1;
  int accept_evfd_ = -1;
  int port_ = 0;
  bool started_ = false;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::thread acceptor_;
  std::thread watchdog_;
  std::mutex watchdog_mu_;
  std::condition_variable watchdog_cv_;
  bool watchdog_stop_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> shut_down_{false};
  std::atomic<int> active_{0};
};

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

// Finds CRLF in [from, end); returns its offset or npos.
size_t FindCrlf(const char* buf, size_t from, size_t end) {
  if (end < from + 2) return std::string::npos;
  const void* p = ::memmem(buf + from, end - from, "\r\n", 2);
  return p ? static_cast<size_t>(static_cast<const char*>(p) - buf) : std::string::npos;
}

bool Worker::ParseStep(Conn* c, bool* progress) {
  const char* buf = c->in.get();
  const size_t end = c->in_end;
  const uint64_t max_body = server_->options().max_body_bytes;
  if (c->in_begin < end) c->got_some = true;
  switch (c->parse) {
    case Conn::Parse::kHead: {
      // Leading empty lines before a request line are ignored (RFC 9112 2.2).
      while (c->in_begin + 2 <= end && buf[c->in_begin] == '\r' && buf[c->in_begin + 1] == '\n') {
        c->in_begin += 2;
      }
      if (c->in_begin == end) {
        c->got_some = false;
        return false;
      }
      const size_t from = std::max(c->head_scan, c->in_begin);
      const void* p = end >= from + 4 ? ::memmem(buf + from, end - from, "\r\n\r\n", 4) : nullptr;
      if (p == nullptr) {
        if (end - c->in_begin > kMaxHeadBytes) {
          SendError(c, 431, "Request headers too large");
          return false;
        }
        c->head_scan = end >= 3 ? std::max(end - 3, c->in_begin) : c->in_begin;
        return false;
      }
      const size_t head_end = static_cast<size_t>(static_cast<const char*>(p) - buf);
      if (head_end + 4 - c->in_begin > kMaxHeadBytes) {
        SendError(c, 431, "Request headers too large");
        return false;
      }
      const absl::string_view head(buf + c->in_begin, head_end + 2 - c->in_begin);
      c->in_begin = head_end + 4;
      c->head_scan = c->in_begin;
      *progress = true;
      if (!ParseHead(c, head)) return false;
      if (c->parse == Conn::Parse::kHead) return true;  // no body
      return false;
    }
    case Conn::Parse::kBody: {
      const size_t avail = end - c->in_begin;
      const size_t take = static_cast<size_t>(std::min<uint64_t>(avail, c->body_left));
      if (take > 0) {
        c->req.body.append(buf + c->in_begin, take);
        c->in_begin += take;
        c->body_left -= take;
        *progress = true;
      }
      if (c->body_left == 0) {
        c->parse = Conn::Parse::kHead;
        return true;
      }
      return false;
    }
    case Conn::Parse::kChunkSize: {
      const size_t eol = FindCrlf(buf, c->in_begin, end);
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
      c->in_begin = eol + 2;
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
    case Conn::Parse::kChunkData: {
      const size_t avail = end - c->in_begin;
      const size_t take = static_cast<size_t>(std::min<uint64_t>(avail, c->body_left));
      if (take > 0) {
        c->req.body.append(buf + c->in_begin, take);
        c->in_begin += take;
        c->body_left -= take;
        *progress = true;
      }
      if (c->body_left == 0) c->parse = Conn::Parse::kChunkCrlf;
      return false;
    }
    case Conn::Parse::kChunkCrlf: {
      const size_t avail = end - c->in_begin;
      if (avail == 0) return false;
      if (buf[c->in_begin] != '\r' || (avail >= 2 && buf[c->in_begin + 1] != '\n')) {
        SendError(c, 400, "Malformed HTTP request: chunk data not followed by CRLF");
        return false;
      }
      if (avail < 2) return false;
      c->in_begin += 2;
      c->parse = Conn::Parse::kChunkSize;
      *progress = true;
      return false;
    }
    case Conn::Parse::kTrailer: {
      const size_t eol = FindCrlf(buf, c->in_begin, end);
      if (eol == std::string::npos) {
        if (c->trailer_bytes + (end - c->in_begin) > kMaxHeadBytes) {
          SendError(c, 431, "Request headers too large");
        }
        return false;
      }
      const size_t len = eol - c->in_begin;
      c->in_begin = eol + 2;
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
  // Request line: method SP target SP HTTP/1.x
  const size_t eol = head.find("\r\n");
  const absl::string_view line = head.substr(0, eol);
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
  size_t pos = eol + 2;
  while (pos < head.size()) {
    const size_t e = head.find("\r\n", pos);
    const absl::string_view field = head.substr(pos, e - pos);
    pos = e + 2;
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

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                              Handler handler) {
  auto server = std::make_unique<ServerImpl>(options, std::move(handler));
  if (auto s = server->Listen(); !s.ok()) return s;
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace tfmodel::serving
