#include "serving/http_server.h"

#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/asio.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "serving/json_tensor.h"

namespace tfmodel::serving {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class ServerImpl;

// One connection. All socket operations run on the connection's io_context thread, except
// the watchdog's 504 answer, which is written while that thread is busy in the handler
// (and so not touching the socket); `mu_` orders the two.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ServerImpl* server);
  void Start() { DoRead(); }
  // From any thread: close the connection on its own thread.
  void Close();
  // Watchdog: called when deadline() has passed.
  void OnDeadline();
  int64_t deadline() const { return deadline_ns_.load(std::memory_order_relaxed); }
  tcp::socket::executor_type executor() { return socket_.get_executor(); }

 private:
  enum class State { kReading, kHandling, kWriting, kClosed };

  void DoRead();
  void OnRead(beast::error_code ec, size_t bytes);
  void OnReadTimeout(uint64_t read_generation);
  void Handle();
  void Send(http::status status, unsigned version,
            std::vector<std::pair<std::string, std::string>> headers, std::string body, bool close);
  void SendError(http::status status, const std::string& message);
  void CloseNow();

  tcp::socket socket_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string head_, body_;
  ServerImpl* server_;
  std::mutex mu_;
  State state_ = State::kReading;        // guarded by mu_
  bool read_timed_out_ = false;          // io thread only
  uint64_t read_generation_ = 0;         // guarded by mu_; one per request read
  bool handler_timed_out_ = false;       // guarded by mu_
  std::atomic<int64_t> deadline_ns_{0};  // 0 = none
};

class ServerImpl : public HttpServer {
 public:
  ServerImpl(const HttpServerOptions& options, Handler handler)
      : options_(options), handler_(std::move(handler)) {
    const int n = std::max(1, options_.num_threads);
    for (int i = 0; i < n; ++i) {
      // One io_context per thread: a connection's reads, handler and writes stay on one
      // thread, with no hand-offs between threads per request.
      contexts_.push_back(std::make_unique<asio::io_context>(1));
      guards_.emplace_back(asio::make_work_guard(*contexts_.back()));
    }
    acceptor_.emplace(*contexts_[0]);
  }

  ~ServerImpl() override { Shutdown(); }

  absl::Status Listen() {
    beast::error_code ec;
    auto addr = asio::ip::make_address(options_.address, ec);
    if (ec) return absl::InvalidArgumentError("bad listen address " + options_.address);
    tcp::endpoint ep(addr, static_cast<unsigned short>(options_.port));
    acceptor_->open(ep.protocol(), ec);
    if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_->bind(ep, ec);
    if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat("Failed to start HTTP server on ",
                                                 options_.address, ":", options_.port, ": ",
                                                 ec.message()));
    }
    port_ = acceptor_->local_endpoint().port();
    DoAccept();
    for (auto& ctx : contexts_) {
      threads_.emplace_back([c = ctx.get()] { c->run(); });
    }
    watchdog_ = std::thread([this] { Watchdog(); });
    return absl::OkStatus();
  }

  int port() const override { return port_; }

  void Shutdown() override {
    if (shut_down_.exchange(true)) return;
    stopping_ = true;
    if (threads_.empty()) {  // never started
      beast::error_code ec;
      acceptor_->close(ec);
    } else {
      std::promise<void> closed;
      asio::post(acceptor_->get_executor(), [this, &closed] {
        beast::error_code ec;
        acceptor_->close(ec);
        closed.set_value();
      });
      closed.get_future().wait();
    }
    // Let requests already being handled finish (bounded wait), then close idle ones.
    for (int i = 0; i < 3000 && active_.load() > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    {
      std::lock_guard<std::mutex> l(sessions_mu_);
      for (auto& w : sessions_) {
        if (auto s = w.lock()) s->Close();
      }
    }
    {
      std::lock_guard<std::mutex> l(watchdog_mu_);
      watchdog_stop_ = true;
    }
    watchdog_cv_.notify_all();
    if (watchdog_.joinable()) watchdog_.join();
    guards_.clear();
    for (auto& ctx : contexts_) ctx->stop();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  const HttpServerOptions& options() const { return options_; }
  HttpResponse Handle(const HttpRequest& r) { return handler_(r); }
  bool stopping() const { return stopping_.load(); }
  std::atomic<int>& active() { return active_; }
  void Forget(Session* s) {
    std::lock_guard<std::mutex> l(sessions_mu_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      auto sp = it->lock();
      if (!sp || sp.get() == s) {
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
  }

 private:
  void DoAccept() {
    asio::io_context& target = *contexts_[next_context_++ % contexts_.size()];
    acceptor_->async_accept(target, [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == asio::error::operation_aborted || stopping_) return;
      } else {
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        auto s = std::make_shared<Session>(std::move(socket), this);
        {
          std::lock_guard<std::mutex> l(sessions_mu_);
          sessions_.push_back(s);
        }
        // Start on the connection's own thread.
        asio::post(s->executor(), [s] { s->Start(); });
      }
      if (!stopping_) DoAccept();
    });
  }

  // Checks every connection's deadline (read timeouts, handler timeouts) a few times per
  // timeout period.
  void Watchdog() {
    const int64_t timeout_ms = options_.read_timeout_ms;
    if (timeout_ms <= 0) return;
    const auto tick = std::chrono::milliseconds(std::clamp<int64_t>(timeout_ms / 20, 1, 20));
    std::vector<std::shared_ptr<Session>> due;
    while (true) {
      {
        std::unique_lock<std::mutex> l(watchdog_mu_);
        watchdog_cv_.wait_for(l, tick, [this] { return watchdog_stop_; });
        if (watchdog_stop_) return;
      }
      const int64_t now = NowNs();
      due.clear();
      {
        std::lock_guard<std::mutex> l(sessions_mu_);
        for (auto& w : sessions_) {
          auto s = w.lock();
          if (s && s->deadline() != 0 && s->deadline() <= now) due.push_back(std::move(s));
        }
      }
      for (auto& s : due) s->OnDeadline();
    }
  }

  HttpServerOptions options_;
  Handler handler_;
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::optional<tcp::acceptor> acceptor_;
  size_t next_context_ = 0;
  std::vector<std::thread> threads_;
  std::thread watchdog_;
  std::mutex watchdog_mu_;
  std::condition_variable watchdog_cv_;
  bool watchdog_stop_ = false;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> shut_down_{false};
  std::atomic<int> active_{0};
  std::mutex sessions_mu_;
  std::vector<std::weak_ptr<Session>> sessions_;
};

Session::Session(tcp::socket socket, ServerImpl* server)
    : socket_(std::move(socket)), server_(server) {}

void Session::Close() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->CloseNow(); });
}

void Session::CloseNow() {
  {
    std::lock_guard<std::mutex> l(mu_);
    state_ = State::kClosed;
  }
  deadline_ns_ = 0;
  beast::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  server_->Forget(this);
}

void Session::DoRead() {
  parser_.emplace();
  parser_->body_limit(server_->options().max_body_bytes);
  parser_->header_limit(1 << 20);
  {
    std::lock_guard<std::mutex> l(mu_);
    if (state_ == State::kClosed) return;
    state_ = State::kReading;
    ++read_generation_;
  }
  read_timed_out_ = false;
  if (server_->options().read_timeout_ms > 0) {
    deadline_ns_ = NowNs() + server_->options().read_timeout_ms * 1'000'000;
  }
  http::async_read(socket_, buffer_, *parser_,
                   beast::bind_front_handler(&Session::OnRead, shared_from_this()));
}

void Session::OnDeadline() {
  std::unique_lock<std::mutex> l(mu_);
  const int64_t d = deadline_ns_.load();
  if (d == 0 || d > NowNs()) return;
  deadline_ns_ = 0;
  if (state_ == State::kReading) {
    // The client is too slow sending its request (or idle): handled on its own thread.
    const uint64_t generation = read_generation_;
    l.unlock();
    asio::post(socket_.get_executor(),
               [self = shared_from_this(), generation] { self->OnReadTimeout(generation); });
    return;
  }
  if (state_ == State::kWriting) {
    // The client does not read its answer: drop it.
    l.unlock();
    Close();
    return;
  }
  if (state_ != State::kHandling) return;
  // The handler is still running on the connection's thread, which does not touch the
  // socket until it returns: answer 504 now (TF Serving maps DEADLINE_EXCEEDED to 504),
  // and end the connection; the handler's late result is dropped.
  handler_timed_out_ = true;
  const std::string body = MakeJsonFromStatus(absl::DeadlineExceededError(absl::StrCat(
      "Request did not finish within --rest_api_timeout_in_ms=", server_->options().read_timeout_ms,
      " ms")));
  const std::string msg = absl::StrCat(
      "HTTP/1.1 504 Gateway Timeout\r\nContent-Type: application/json\r\nConnection: close\r\n"
      "Content-Length: ",
      body.size(), "\r\n\r\n", body);
  const int fd = socket_.native_handle();
  size_t sent = 0;
  for (int tries = 0; sent < msg.size() && tries < 100; ++tries) {
    const ssize_t n = ::send(fd, msg.data() + sent, msg.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 10);
    } else {
      break;
    }
  }
  ::shutdown(fd, SHUT_WR);
}

void Session::OnReadTimeout(uint64_t read_generation) {
  {
    std::lock_guard<std::mutex> l(mu_);
    // The read may have completed (and a new one started) since the watchdog looked.
    if (state_ != State::kReading || read_generation_ != read_generation) return;
  }
  read_timed_out_ = true;
  const bool partial = parser_->got_some() || buffer_.size() > 0;
  beast::error_code ec;
  socket_.cancel(ec);
  if (partial) {
    SendError(http::status::request_timeout,
              absl::StrCat("Request not received within --rest_api_timeout_in_ms=",
                           server_->options().read_timeout_ms, " ms"));
  } else {
    CloseNow();  // an idle keep-alive connection
  }
}

void Session::SendError(http::status status, const std::string& message) {
  Send(status, 11, {{"Content-Type", "application/json"}},
       MakeJsonFromStatus(absl::InvalidArgumentError(message)), true);
}

void Session::OnRead(beast::error_code ec, size_t) {
  if (read_timed_out_) return;  // OnReadTimeout answered
  if (ec == http::error::body_limit) {
    SendError(http::status::payload_too_large,
              absl::StrCat("Request body exceeds the limit of ", server_->options().max_body_bytes,
                           " bytes"));
    return;
  }
  if (ec == http::error::header_limit) {
    SendError(http::status::request_header_fields_too_large, "Request headers too large");
    return;
  }
  if (ec) {
    // Closed by the peer, or malformed: answer malformed ones, drop the rest.
    if (ec.category() == beast::error_code(http::error::bad_method).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      SendError(http::status::bad_request, "Malformed HTTP request: " + ec.message());
      return;
    }
    CloseNow();
    return;
  }
  Handle();
}

void Session::Handle() {
  ++server_->active();
  auto& req = parser_->get();
  HttpRequest r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  r.headers.reserve(8);
  for (const auto& f : req) {
    r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  }
  r.body = std::move(req.body());
  const bool keep_alive = req.keep_alive();
  const unsigned version = req.version();
  {
    std::lock_guard<std::mutex> l(mu_);
    state_ = State::kHandling;
    deadline_ns_ = server_->options().read_timeout_ms > 0
                       ? NowNs() + server_->options().read_timeout_ms * 1'000'000
                       : 0;
  }
  HttpResponse out;
  try {
    out = server_->Handle(r);
  } catch (const std::exception& e) {
    out.status = 500;
    out.headers = {{"Content-Type", "application/json"}};
    out.body = MakeJsonFromStatus(absl::InternalError(e.what()));
  }
  --server_->active();
  bool timed_out;
  {
    std::lock_guard<std::mutex> l(mu_);
    deadline_ns_ = 0;
    timed_out = handler_timed_out_;
    state_ = timed_out ? State::kClosed : State::kWriting;
  }
  if (timed_out) {
    CloseNow();  // the watchdog answered 504 already
    return;
  }
  const bool close = !keep_alive || server_->stopping();
  Send(static_cast<http::status>(out.status), version, std::move(out.headers), std::move(out.body),
       close);
}

void Session::Send(http::status status, unsigned version,
                   std::vector<std::pair<std::string, std::string>> headers, std::string body,
                   bool close) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (state_ == State::kClosed) return;
    state_ = State::kWriting;
  }
  // Writing has a deadline too (a client that never reads its answer).
  if (server_->options().read_timeout_ms > 0) {
    deadline_ns_ = NowNs() + server_->options().read_timeout_ms * 1'000'000;
  }
  // The head is written by hand (one string, reused) and sent with the body in one
  // gather write.
  head_.clear();
  absl::StrAppend(
      &head_, version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ", static_cast<int>(status), " ",
      absl::string_view(http::obsolete_reason(status).data(), http::obsolete_reason(status).size()),
      "\r\n");
  for (const auto& [k, v] : headers) absl::StrAppend(&head_, k, ": ", v, "\r\n");
  absl::StrAppend(&head_, "Content-Length: ", body.size(), "\r\n");
  if (close) {
    head_ += "Connection: close\r\n";
  } else if (version == 10) {
    head_ += "Connection: keep-alive\r\n";
  }
  head_ += "\r\n";
  body_ = std::move(body);
  std::array<asio::const_buffer, 2> buffers = {asio::buffer(head_), asio::buffer(body_)};
  asio::async_write(socket_, buffers,
                    [self = shared_from_this(), close](beast::error_code ec, size_t) {
                      self->deadline_ns_ = 0;
                      if (ec || close) {
                        beast::error_code ignored;
                        self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
                        self->CloseNow();
                        return;
                      }
                      self->DoRead();
                    });
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                              Handler handler) {
  auto server = std::make_unique<ServerImpl>(options, std::move(handler));
  if (auto s = server->Listen(); !s.ok()) return s;
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace tfmodel::serving
