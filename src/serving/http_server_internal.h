// Internal to the HTTP server (http_server.cc: helpers, acceptor, watchdog and the worker's
// event loop and write path; http_parse.cc: request parsing): the connection, worker and
// server classes they share.
#ifndef TFMODEL_SERVING_HTTP_SERVER_INTERNAL_H_
#define TFMODEL_SERVING_HTTP_SERVER_INTERNAL_H_

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
#include "serving/http_server.h"
#include "serving/json_tensor.h"

namespace tfmodel::serving::http_internal {

constexpr size_t kMaxHeadBytes = size_t{1} << 20;  // request line + headers; more = 431
constexpr size_t kMaxChunkLine = 4096;             // chunk size line incl. extensions
constexpr size_t kReadChunk = 16384;               // free space ensured before each recv
constexpr int64_t kDrainMs = 1000;                 // lingering read after a closing answer

// Defined in http_server.cc.
int64_t NowNs();
absl::string_view Reason(int status);
bool IsTchar(unsigned char c);
bool IsToken(absl::string_view s);
bool HasToken(absl::string_view value, absl::string_view token);
void SetNoDelay(int fd);
void WakeFd(int fd);
void DrainFd(int fd);

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
  // One parse state each (ParseStep dispatches): true when a whole request is ready.
  bool ParseRequestHead(Conn* c, bool* progress);
  bool TakeBodyBytes(Conn* c, bool* progress);
  bool ParseChunkSize(Conn* c, bool* progress);
  bool ParseChunkEnd(Conn* c, bool* progress);
  bool ParseTrailer(Conn* c, bool* progress);
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

}  // namespace tfmodel::serving::http_internal

#endif  // TFMODEL_SERVING_HTTP_SERVER_INTERNAL_H_
