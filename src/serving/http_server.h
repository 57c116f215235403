// A small HTTP/1.1 server (Boost.Beast parser over asio): keep-alive, a fixed pool of
// threads each running its own event loop (a connection stays on one thread; the handler runs
// inline on it), a request-body limit (413), a deadline watchdog (408 to clients too slow to
// send their request, 504 when the handler overruns), graceful shutdown that finishes
// in-flight requests.
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
