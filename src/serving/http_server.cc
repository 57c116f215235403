#include "serving/http_server.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <set>
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

class ServerImpl;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ServerImpl* server);
  void Start() { DoRead(); }
  void Close();

 private:
  void DoRead();
  void OnRead(beast::error_code ec, size_t bytes);
  void Send(http::response<http::string_body> res, bool close);
  void SendError(http::status status, const std::string& message);

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  ServerImpl* server_;
};

class ServerImpl : public HttpServer {
 public:
  ServerImpl(const HttpServerOptions& options, Handler handler)
      : options_(options),
        handler_(std::move(handler)),
        ioc_(std::max(1, options.num_threads)),
        acceptor_(ioc_) {}

  ~ServerImpl() override { Shutdown(); }

  absl::Status Listen() {
    beast::error_code ec;
    auto addr = asio::ip::make_address(options_.address, ec);
    if (ec) return absl::InvalidArgumentError("bad listen address " + options_.address);
    tcp::endpoint ep(addr, static_cast<unsigned short>(options_.port));
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat("Failed to start HTTP server on ",
                                                 options_.address, ":", options_.port, ": ",
                                                 ec.message()));
    }
    port_ = acceptor_.local_endpoint().port();
    DoAccept();
    for (int i = 0; i < std::max(1, options_.num_threads); ++i) {
      threads_.emplace_back([this] { ioc_.run(); });
    }
    return absl::OkStatus();
  }

  int port() const override { return port_; }

  void Shutdown() override {
    if (shut_down_.exchange(true)) return;
    stopping_ = true;
    asio::post(acceptor_.get_executor(), [this] {
      beast::error_code ec;
      acceptor_.close(ec);
    });
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
    ioc_.stop();
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
    acceptor_.async_accept(asio::make_strand(ioc_),
                           [this](beast::error_code ec, tcp::socket socket) {
                             if (ec) {
                               if (ec == asio::error::operation_aborted || stopping_) return;
                             } else {
                               auto s = std::make_shared<Session>(std::move(socket), this);
                               {
                                 std::lock_guard<std::mutex> l(sessions_mu_);
                                 sessions_.push_back(s);
                               }
                               s->Start();
                             }
                             if (!stopping_) DoAccept();
                           });
  }

  HttpServerOptions options_;
  Handler handler_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> shut_down_{false};
  std::atomic<int> active_{0};
  std::mutex sessions_mu_;
  std::vector<std::weak_ptr<Session>> sessions_;
};

Session::Session(tcp::socket socket, ServerImpl* server)
    : stream_(std::move(socket)), server_(server) {}

void Session::Close() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    beast::error_code ec;
    self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    self->stream_.close();
  });
}

void Session::DoRead() {
  parser_.emplace();
  parser_->body_limit(server_->options().max_body_bytes);
  parser_->header_limit(1 << 20);
  if (server_->options().read_timeout_ms > 0) {
    stream_.expires_after(std::chrono::milliseconds(server_->options().read_timeout_ms));
  }
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&Session::OnRead, shared_from_this()));
}

void Session::SendError(http::status status, const std::string& message) {
  http::response<http::string_body> res{status, 11};
  res.set(http::field::content_type, "application/json");
  res.body() = MakeJsonFromStatus(absl::InvalidArgumentError(message));
  res.prepare_payload();
  Send(std::move(res), true);
}

void Session::OnRead(beast::error_code ec, size_t) {
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
    // Closed by the peer, timed out, or malformed: answer malformed ones, drop the rest.
    if (ec.category() == beast::error_code(http::error::bad_method).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      SendError(http::status::bad_request, "Malformed HTTP request: " + ec.message());
      return;
    }
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    server_->Forget(this);
    return;
  }
  ++server_->active();
  auto& req = parser_->get();
  HttpRequest r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  for (const auto& f : req)
    r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  r.body = std::move(req.body());
  const bool keep_alive = req.keep_alive();
  const unsigned version = req.version();
  stream_.expires_never();
  HttpResponse out;
  try {
    out = server_->Handle(r);
  } catch (const std::exception& e) {
    out.status = 500;
    out.headers = {{"Content-Type", "application/json"}};
    out.body = MakeJsonFromStatus(absl::InternalError(e.what()));
  }
  http::response<http::string_body> res{static_cast<http::status>(out.status), version};
  for (const auto& [k, v] : out.headers) res.set(k, v);
  res.body() = std::move(out.body);
  res.keep_alive(keep_alive && !server_->stopping());
  res.prepare_payload();
  --server_->active();
  Send(std::move(res), !keep_alive || server_->stopping());
}

void Session::Send(http::response<http::string_body> res, bool close) {
  auto sp = std::make_shared<http::response<http::string_body>>(std::move(res));
  if (server_->options().read_timeout_ms > 0) {
    stream_.expires_after(std::chrono::milliseconds(server_->options().read_timeout_ms));
  }
  http::async_write(stream_, *sp,
                    [self = shared_from_this(), sp, close](beast::error_code ec, size_t) {
                      if (ec || close) {
                        beast::error_code ignored;
                        self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                        self->server_->Forget(self.get());
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
