// A small HTTP/1.1 server written directly on Linux epoll and non-blocking sockets:
// keep-alive and pipelining, Content-Length and chunked request bodies, `Expect:
// 100-continue`, HTTP/1.0; a fixed pool of worker threads, each with its own epoll instance
// and its own connections (the handler runs inline on the connection's thread); a
// request-body limit (413), a header limit (431), 400 for malformed requests, a deadline
// watchdog (408 to clients too slow to send their request, 504 when the handler overruns,
// and a write deadline), graceful shutdown that finishes in-flight requests.
#ifndef TFMODEL_SERVING_HTTP_SERVER_H_
#define TFMODEL_SERVING_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "serving/rest_api.h"

namespace tfmodel::serving {

struct HttpServerOptions {
  std::string address = "0.0.0.0";
  int port = 0;  // 0 = pick a free port (see HttpServer::port())
  int num_threads = 4;
  // Deadline (--rest_api_timeout_in_ms) for receiving a whole request (then 408, or a silent
  // close when nothing was sent), for the handler (then 504 at the deadline; the handler's
  // late answer is dropped and the connection closed) and for sending the answer. 0 = none.
  int64_t read_timeout_ms = 30000;
  // Larger request bodies get 413.
  uint64_t max_body_bytes = uint64_t{1} << 30;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                           Handler handler);
  virtual ~HttpServer() = default;

  virtual int port() const = 0;
  // Stops accepting, lets requests being processed finish (closing idle connections),
  // then stops the worker threads. Safe to call more than once.
  virtual void Shutdown() = 0;
};

}  // namespace tfmodel::serving

#endif  // TFMODEL_SERVING_HTTP_SERVER_H_
