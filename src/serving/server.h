// The model server: servable manager + gRPC (PredictionService, ModelService) + REST,
// configured like tensorflow_model_server (see cli/serve.cc for the flags).
#ifndef TFMODEL_SERVING_SERVER_H_
#define TFMODEL_SERVING_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "serving/auth.h"
#include "serving/batching.h"
#include "serving/grpc_service.h"
#include "serving/http_server.h"
#include "serving/manager.h"
#include "serving/metrics.h"
#include "serving/rest_api.h"
#include "serving/v2_grpc_service.h"

namespace tfmodel::serving {

struct ServerOptions {
  int grpc_port = 8500;  // 0 = no TCP gRPC listener
  std::string grpc_socket_path;
  std::string grpc_channel_arguments;  // "k=v,k2=v2"
  int grpc_max_threads = 0;            // 0 = gRPC default
  int rest_api_port = 0;               // 0 = no REST server
  int rest_api_num_threads = 4;
  int64_t rest_api_timeout_in_ms = 30000;
  bool rest_api_enable_cors_support = false;
  uint64_t rest_api_max_body_bytes = uint64_t{1} << 30;
  std::string model_name = "default";
  std::string model_base_path;
  std::string model_config_file;
  int64_t model_config_file_poll_wait_seconds = 0;
  std::string ssl_config_file;
  std::string monitoring_config_file;
  // --enable_batching / --batching_parameters_file (text BatchingParameters; empty = the
  // scheduler defaults).
  bool enable_batching = false;
  std::string batching_parameters_file;
  // --auth_token_file / --auth_basic_file (off when both are empty).
  AuthOptions auth;
  ManagerOptions manager;
};

class Server {
 public:
  Server() = default;
  ~Server();

  // Loads the models (waiting for their first versions), then starts the listeners. Fails
  // as TF Serving does when a configured model's versions all failed to load (after the
  // load retries): UNKNOWN "Some servables did not become available: ...". CANCELLED
  // when RequestShutdown() came while the models were loading.
  absl::Status BuildAndStart(const ServerOptions& options);
  // Blocks until RequestShutdown() or Shutdown() is called.
  void WaitForTermination();
  // Asks the server to stop, from any thread (a signal watcher), also while BuildAndStart
  // is still loading: ends load-retry waits, starts no further loads, and wakes
  // WaitForTermination. The caller then runs Shutdown().
  void RequestShutdown();
  bool shutdown_requested() const;
  // RequestShutdown, then stops accepting requests, finishes in-flight ones (gRPC calls
  // are cancelled after `drain_deadline`) and waits up to `max_wait_for_loads` for
  // background model loads (config polls, version polls) to end. False when a load is
  // still running: the Server must then not be destroyed (exit the process instead).
  // Idempotent.
  bool Shutdown(absl::Duration drain_deadline = absl::Seconds(30),
                absl::Duration max_wait_for_loads = absl::InfiniteDuration());

  int grpc_port() const { return grpc_port_; }
  int rest_port() const { return http_ ? http_->port() : 0; }
  ServableManager* manager() { return manager_.get(); }

 private:
  absl::Status ReloadConfig(const tensorflow::serving::ModelServerConfig& config);
  // The gRPC listeners (TCP and/or UNIX socket), PredictionService and ModelService.
  absl::Status StartGrpc();
  void PollConfigFile();
  void PollConfigFileUntilShutdown();

  ServerOptions options_;
  Metrics metrics_;
  // Outlives the manager (servables hold queues in it).
  std::unique_ptr<BatchScheduler> batch_scheduler_;
  std::unique_ptr<ServableManager> manager_;
  std::unique_ptr<Authenticator> auth_;  // outlives the listeners
  std::unique_ptr<RestApiHandler> rest_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<PredictionServiceImpl> prediction_service_;
  std::unique_ptr<ModelServiceImpl> model_service_;
  std::unique_ptr<V2GrpcService> v2_service_;  // Open Inference Protocol
  std::unique_ptr<grpc::Server> grpc_;
  int grpc_port_ = 0;
  std::string last_config_text_;
  mutable absl::Mutex mu_;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  bool torn_down_ ABSL_GUARDED_BY(mu_) = false;
  bool config_poll_running_ ABSL_GUARDED_BY(mu_) = false;
  std::thread config_poll_thread_;
};

}  // namespace tfmodel::serving

#endif  // TFMODEL_SERVING_SERVER_H_
