#include "serving/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tfmodel::serving {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Echoes the request: "<method> <target> <body>" plus "x-foo=<value>" when the request had
// that header. Special targets: /sleep (1 s), /big (8 MiB answer), /throw.
HttpResponse Echo(const HttpRequest& r) {
  HttpResponse out;
  if (r.target == "/sleep") std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  if (r.target == "/throw") throw std::runtime_error("boom");
  if (r.target == "/big") {
    out.body.assign(8 << 20, 'x');
    out.body.back() = 'y';
    return out;
  }
  out.headers.emplace_back("Content-Type", "text/plain");
  out.body = absl::StrCat(r.method, " ", r.target, " ", r.body);
  for (const auto& [k, v] : r.headers) {
    if (absl::AsciiStrToLower(k) == "x-foo") absl::StrAppend(&out.body, " x-foo=", v);
  }
  return out;
}

class Client {
 public:
  explicit Client(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~Client() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  void Send(const std::string& s) {
    size_t sent = 0;
    while (sent < s.size()) {
      ssize_t n = send(fd_, s.data() + sent, s.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<size_t>(n);
    }
  }
  // Reads more bytes; false on close or after timeout_ms without data.
  bool Fill(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
    char buf[65536];
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    buf_.append(buf, static_cast<size_t>(n));
    return true;
  }
  // One whole response (head + Content-Length body), "" on failure.
  std::string Response(int timeout_ms = 3000) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < end) {
      const size_t he = buf_.find("\r\n\r\n");
      if (he != std::string::npos) {
        size_t len = 0;
        const std::string head = absl::AsciiStrToLower(buf_.substr(0, he));
        const size_t cl = head.find("content-length: ");
        if (cl != std::string::npos) {
          const size_t e = head.find("\r\n", cl);
          (void)absl::SimpleAtoi(head.substr(cl + 16, e - cl - 16), &len);
        }
        if (buf_.size() >= he + 4 + len) {
          std::string r = buf_.substr(0, he + 4 + len);
          buf_.erase(0, he + 4 + len);
          return r;
        }
      }
      if (!Fill(50) && closed_) break;
    }
    return "";
  }
  // True when the server closes the connection within timeout_ms.
  bool Closed(int timeout_ms = 3000) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!closed_ && std::chrono::steady_clock::now() < end) Fill(50);
    return closed_;
  }
  std::string& buffer() { return buf_; }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  bool closed_ = false;
  std::string buf_;
};

std::string Body(const std::string& response) {
  const size_t he = response.find("\r\n\r\n");
  return he == std::string::npos ? "" : response.substr(he + 4);
}

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(int64_t timeout_ms = 2000, uint64_t max_body = 1000) {
    HttpServerOptions o;
    o.address = "127.0.0.1";
    o.num_threads = 2;
    o.read_timeout_ms = timeout_ms;
    o.max_body_bytes = max_body;
    auto s = HttpServer::Start(o, Echo);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    ASSERT_GT(server_->port(), 0);
  }
  int port() const { return server_->port(); }
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, KeepAlivePipeliningAndCaseInsensitiveHeaders) {
  StartServer();
  Client c(port());
  ASSERT_TRUE(c.ok());
  c.Send("GET /a?q=1 HTTP/1.1\r\nhOsT: x\r\nX-FOO:   bar baz  \r\n\r\n");
  std::string r = c.Response();
  EXPECT_THAT(r, HasSubstr("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(r, HasSubstr("Content-Type: text/plain\r\n"));
  EXPECT_THAT(r, Not(HasSubstr("Connection: close")));
  EXPECT_EQ(Body(r), "GET /a?q=1  x-foo=bar baz");
  // Two pipelined requests in one write (the second split over two writes), answered in
  // order on the same connection.
  c.Send(
      "POST /p1 HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloPOST /p2 HTTP/1.1\r\ncontent-length: "
      "3\r\n\r\nab");
  EXPECT_EQ(Body(c.Response()), "POST /p1 hello");
  c.Send("c");
  EXPECT_EQ(Body(c.Response()), "POST /p2 abc");
  // A body arriving in pieces.
  c.Send("PUT /x HTTP/1.1\r\nContent-Length: 10\r\n\r\n01234");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  c.Send("56789");
  EXPECT_EQ(Body(c.Response()), "PUT /x 0123456789");
  // Connection: close is honoured.
  c.Send("GET /z HTTP/1.1\r\nConnection: close\r\n\r\n");
  r = c.Response();
  EXPECT_THAT(r, HasSubstr("Connection: close\r\n"));
  EXPECT_TRUE(c.Closed());
}

TEST_F(HttpServerTest, ChunkedBodyAndExpectContinue) {
  StartServer();
  Client c(port());
  c.Send(
      "POST /c HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n4\r\nWiki\r\n5;name=v\r\npedia\r\n"
      "E\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: t\r\n\r\n");
  EXPECT_EQ(Body(c.Response()), "POST /c Wikipedia in\r\n\r\nchunks.");
  // Expect: 100-continue gets the interim answer before the body is sent.
  c.Send("POST /e HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 4\r\n\r\n");
  ASSERT_TRUE(c.Fill(2000));
  EXPECT_EQ(c.buffer(), "HTTP/1.1 100 Continue\r\n\r\n");
  c.buffer().clear();
  c.Send("data");
  EXPECT_EQ(Body(c.Response()), "POST /e data");
  // Chunked body sent in small pieces.
  c.Send("POST /d HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  c.Send("\r\nab");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  c.Send("c\r\n0\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  c.Send("\r\n");
  EXPECT_EQ(Body(c.Response()), "POST /d abc");
}

TEST_F(HttpServerTest, Http10) {
  StartServer();
  {
    Client c(port());
    c.Send("GET /old HTTP/1.0\r\n\r\n");
    std::string r = c.Response();
    EXPECT_THAT(r, HasSubstr("HTTP/1.0 200 OK\r\n"));
    EXPECT_THAT(r, HasSubstr("Connection: close\r\n"));
    EXPECT_TRUE(c.Closed());
  }
  Client c(port());
  c.Send("GET /ka HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
  std::string r = c.Response();
  EXPECT_THAT(r, HasSubstr("HTTP/1.0 200 OK\r\n"));
  EXPECT_THAT(r, HasSubstr("Connection: keep-alive\r\n"));
  c.Send("GET /ka2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(Body(c.Response()), "GET /ka2 ");
}

TEST_F(HttpServerTest, BareLfLineEndsAsRfc9112Allows) {
  StartServer();
  Client c(port());
  ASSERT_TRUE(c.ok());
  // Request line and fields ended by LF alone (leading empty lines skipped too).
  c.Send("\nGET /lf HTTP/1.1\nHost: x\nX-Foo: bar\n\n");
  std::string r = c.Response();
  EXPECT_THAT(r, HasSubstr("HTTP/1.1 200 OK\r\n"));
  EXPECT_EQ(Body(r), "GET /lf  x-foo=bar");
  // A body after a bare-LF head, then mixed CRLF / LF lines, pipelined.
  c.Send("POST /b HTTP/1.1\nContent-Length: 5\n\nhelloPOST /m HTTP/1.1\r\nX-Foo: m\n\r\n");
  EXPECT_EQ(Body(c.Response()), "POST /b hello");
  EXPECT_EQ(Body(c.Response()), "POST /m  x-foo=m");
  // The head's end split between writes right after a LF (LF, then CR, then LF).
  c.Send("GET /split HTTP/1.1\nX-Foo: s\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  c.Send("\r");
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  c.Send("\n");
  EXPECT_EQ(Body(c.Response()), "GET /split  x-foo=s");
  // A chunked body with LF-only chunk lines, data ends and trailers.
  c.Send("POST /c HTTP/1.1\nTransfer-Encoding: chunked\n\n4\nWiki\n5\r\npedia\n0\nT: 1\n\n");
  EXPECT_EQ(Body(c.Response()), "POST /c Wikipedia");
  // A CR that is not part of a line end is still refused.
  Client bad(port());
  bad.Send("GET /x HTTP/1.1\rX\n\n");
  r = bad.Response();
  EXPECT_THAT(r, HasSubstr("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_TRUE(bad.Closed());
}

struct BadCase {
  std::string request;
  std::string status_line;
  std::string message;
};

TEST_F(HttpServerTest, MalformedRequestsAreAnsweredAndClosed) {
  StartServer();
  const BadCase cases[] = {
      {"GARBAGE\r\n\r\n", "HTTP/1.1 400 Bad Request", "bad request line"},
      {"GET  /x HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request", "bad target"},
      {"G(T /x HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request", "bad method"},
      {"GET /x HTTP/1.1x\r\n\r\n", "HTTP/1.1 400 Bad Request", "bad version"},
      {"GET /x HTTP/2.0\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported", "HTTP/2.0"},
      {"GET /x HTTP/1.1\r\nNoColon\r\n\r\n", "HTTP/1.1 400 Bad Request", "header without ':'"},
      {"GET /x HTTP/1.1\r\nBad Name: v\r\n\r\n", "HTTP/1.1 400 Bad Request", "bad header name"},
      {"GET /x HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", "HTTP/1.1 400 Bad Request",
       "obsolete line folding"},
      {"POST /x HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", "HTTP/1.1 400 Bad Request",
       "bad Content-Length"},
      {"POST /x HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
       "HTTP/1.1 400 Bad Request", "bad Content-Length"},
      {"POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
       "HTTP/1.1 400 Bad Request", "conflicting Content-Length"},
      {"POST /x HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
       "HTTP/1.1 400 Bad Request", "both Content-Length and Transfer-Encoding"},
      {"POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "HTTP/1.1 501 Not Implemented",
       "Unsupported Transfer-Encoding: gzip"},
      {"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "HTTP/1.1 400 Bad Request",
       "bad chunk size"},
      {"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX", "HTTP/1.1 400 Bad Request",
       "chunk data not followed by CRLF"},
      {"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n",
       "HTTP/1.1 400 Bad Request", "chunk size overflows"},
      {"POST /x HTTP/1.1\r\nContent-Length: 1001\r\n\r\n", "HTTP/1.1 413 Payload Too Large",
       "Request body exceeds the limit of 1000 bytes"},
      {absl::StrCat("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n",
                    std::string(1000, 'a'), "\r\n1\r\n"),
       "HTTP/1.1 413 Payload Too Large", "Request body exceeds the limit of 1000 bytes"},
  };
  for (const auto& bc : cases) {
    Client c(port());
    c.Send(bc.request);
    const std::string r = c.Response();
    EXPECT_THAT(r, HasSubstr(bc.status_line + "\r\n")) << bc.request;
    EXPECT_THAT(r, HasSubstr("Connection: close\r\n")) << bc.request;
    EXPECT_THAT(Body(r), HasSubstr(bc.message)) << bc.request;
    EXPECT_THAT(Body(r), HasSubstr("\"error\"")) << bc.request;
    EXPECT_TRUE(c.Closed()) << bc.request;
  }
  // Headers over 1 MiB: 431.
  Client c(port());
  c.Send(absl::StrCat("GET /x HTTP/1.1\r\nX-Big: ", std::string((1 << 20) + 10, 'a'), "\r\n\r\n"));
  const std::string r = c.Response();
  EXPECT_THAT(r, HasSubstr("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
  EXPECT_TRUE(c.Closed());
  // The server still serves.
  Client ok(port());
  ok.Send("GET /fine HTTP/1.1\r\n\r\n");
  EXPECT_EQ(Body(ok.Response()), "GET /fine ");
}

TEST_F(HttpServerTest, TimeoutsAnswer408And504AndCloseIdle) {
  StartServer(/*timeout_ms=*/300);
  {
    Client c(port());
    c.Send("POST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\n{");
    const std::string r = c.Response(3000);
    EXPECT_THAT(r, HasSubstr("HTTP/1.1 408 Request Timeout\r\n"));
    EXPECT_THAT(Body(r), HasSubstr("Request not received within --rest_api_timeout_in_ms=300 ms"));
    EXPECT_TRUE(c.Closed());
  }
  {
    Client c(port());  // idle: closed without an answer
    EXPECT_TRUE(c.Closed(3000));
    EXPECT_EQ(c.buffer(), "");
  }
  {
    Client c(port());
    const auto start = std::chrono::steady_clock::now();
    c.Send("GET /sleep HTTP/1.1\r\n\r\n");
    const std::string r = c.Response(3000);
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_THAT(r, HasSubstr("HTTP/1.1 504 Gateway Timeout\r\n"));
    EXPECT_THAT(Body(r), HasSubstr("Request did not finish within --rest_api_timeout_in_ms=300"));
    EXPECT_LT(took, 0.8);  // at the deadline, not when the handler ends (1 s)
    EXPECT_TRUE(c.Closed());
  }
  Client c(port());
  c.Send("GET /after HTTP/1.1\r\n\r\n");
  EXPECT_EQ(Body(c.Response()), "GET /after ");
}

TEST_F(HttpServerTest, LargeAnswerToASlowReaderAndHandlerException) {
  StartServer(/*timeout_ms=*/5000);
  Client c(port());
  c.Send("GET /big HTTP/1.1\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the socket fills up
  const std::string r = c.Response(5000);
  ASSERT_EQ(Body(r).size(), size_t{8} << 20);
  EXPECT_EQ(Body(r).back(), 'y');
  c.Send("GET /throw HTTP/1.1\r\n\r\n");
  const std::string e = c.Response();
  EXPECT_THAT(e, HasSubstr("HTTP/1.1 500 Internal Server Error\r\n"));
  EXPECT_THAT(Body(e), HasSubstr("boom"));
}

TEST_F(HttpServerTest, DisconnectsMidRequest) {
  StartServer();
  for (int i = 0; i < 20; ++i) {
    Client a(port());
    a.Send("POST /x HTTP/1.1\r\nContent-Length: 50\r\n\r\n{\"a\"");
  }
  {
    Client b(port());
    b.Send("GET /sleep HTTP/1.1\r\n\r\n");  // gone before the handler answers
  }
  {
    Client big(port());
    big.Send("GET /big HTTP/1.1\r\n\r\n");  // gone with the answer half sent
    big.Fill(500);
  }
  Client c(port());
  c.Send("GET /ok HTTP/1.1\r\n\r\n");
  EXPECT_EQ(Body(c.Response()), "GET /ok ");
}

TEST_F(HttpServerTest, ShutdownFinishesInFlightRequests) {
  StartServer(/*timeout_ms=*/5000);
  Client idle(port());
  Client busy(port());
  busy.Send("GET /sleep HTTP/1.1\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::thread t([&] { server_->Shutdown(); });
  const std::string r = busy.Response(3000);
  t.join();
  EXPECT_THAT(r, HasSubstr("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(r, HasSubstr("Connection: close\r\n"));
  EXPECT_EQ(Body(r), "GET /sleep ");
  EXPECT_TRUE(idle.Closed(1000));
  server_->Shutdown();  // again: no-op
  Client late(port());
  EXPECT_FALSE(late.ok());
}

TEST(HttpServerStartTest, AddressesAndPorts) {
  HttpServerOptions o;
  o.address = "localhost";
  o.num_threads = 1;
  auto a = HttpServer::Start(o, Echo);
  ASSERT_TRUE(a.ok()) << a.status();
  Client c((*a)->port());
  c.Send("GET /l HTTP/1.1\r\n\r\n");
  EXPECT_EQ(Body(c.Response()), "GET /l ");
  // The same port again fails with a message naming it.
  o.port = (*a)->port();
  auto b = HttpServer::Start(o, Echo);
  ASSERT_FALSE(b.ok());
  EXPECT_THAT(std::string(b.status().message()),
              HasSubstr(absl::StrCat("Failed to start HTTP server on localhost:", o.port)));
  o.address = "not an address";
  o.port = 0;
  auto d = HttpServer::Start(o, Echo);
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("bad listen address not an address"));
  o.address = "0.0.0.0";
  auto e = HttpServer::Start(o, Echo);
  ASSERT_TRUE(e.ok()) << e.status();
  Client f((*e)->port());
  f.Send("GET /any HTTP/1.1\r\n\r\n");
  EXPECT_EQ(Body(f.Response()), "GET /any ");
}

}  // namespace
}  // namespace tfmodel::serving
