#include "serving/server.h"

#include <algorithm>
#include <climits>
#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/file_util.h"
#include "core/status.h"
#include "google/protobuf/text_format.h"
#include "grpcpp/resource_quota.h"
#include "serving/grpc_auth.h"
#include "serving/source.h"
#include "tensorflow_serving/config/monitoring_config.pb.h"
#include "tensorflow_serving/config/ssl_config.pb.h"

namespace tfmodel::serving {
namespace {

template <typename Proto>
absl::Status ReadTextProto(const std::string& path, const char* type_name, Proto* proto) {
  TFM_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  if (!google::protobuf::TextFormat::ParseFromString(text, proto)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Error parsing text-format ", type_name, " from ", path));
  }
  return absl::OkStatus();
}

}  // namespace

Server::~Server() {
  Shutdown();
  if (config_poll_thread_.joinable()) config_poll_thread_.join();
}

absl::Status Server::ReloadConfig(const tensorflow::serving::ModelServerConfig& config) {
  return manager_->ReloadConfig(config);
}

void Server::PollConfigFile() {
  PollConfigFileUntilShutdown();
  absl::MutexLock l(&mu_);
  config_poll_running_ = false;
}

void Server::PollConfigFileUntilShutdown() {
  while (true) {
    {
      absl::MutexLock l(&mu_);
      auto done = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return shutdown_; };
      mu_.AwaitWithTimeout(absl::Condition(&done),
                           absl::Seconds(options_.model_config_file_poll_wait_seconds));
      if (shutdown_) return;
    }
    auto text = ReadFileToString(options_.model_config_file);
    if (!text.ok()) {
      std::fprintf(stderr, "Failed to read model config file %s: %s\n",
                   options_.model_config_file.c_str(), text.status().ToString().c_str());
      continue;
    }
    if (*text == last_config_text_) continue;
    auto config = ParseModelServerConfig(*text);
    if (!config.ok()) {
      std::fprintf(stderr, "%s (in %s); keeping the previous config\n",
                   std::string(config.status().message()).c_str(),
                   options_.model_config_file.c_str());
      last_config_text_ = *text;
      continue;
    }
    last_config_text_ = *text;
    absl::Status s = ReloadConfig(*config);
    if (s.ok()) {
      std::fprintf(stderr, "Reloaded model config from %s: OK\n",
                   options_.model_config_file.c_str());
    } else {
      std::fprintf(stderr, "Model config from %s not (fully) applied: %s\n",
                   options_.model_config_file.c_str(), s.ToString().c_str());
    }
  }
}

absl::Status Server::StartGrpc() {
  prediction_service_ = std::make_unique<PredictionServiceImpl>(manager_.get(), &metrics_);
  model_service_ = std::make_unique<ModelServiceImpl>(
      manager_.get(),
      [this](const tensorflow::serving::ModelServerConfig& c) { return ReloadConfig(c); });
  v2_service_ = std::make_unique<V2GrpcService>(manager_.get(), &metrics_);
  grpc::ServerBuilder builder;
  std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
  if (!options_.ssl_config_file.empty()) {
    tensorflow::serving::SSLConfig ssl;
    TFM_RETURN_IF_ERROR(
        ReadTextProto(options_.ssl_config_file, "tensorflow.serving.SSLConfig", &ssl));
    grpc::SslServerCredentialsOptions so(
        ssl.client_verify() ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                            : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    so.pem_key_cert_pairs.push_back({ssl.server_key(), ssl.server_cert()});
    so.pem_root_certs = ssl.custom_ca();
    creds = grpc::SslServerCredentials(so);
  }
  if (auth_) {
    creds =
        GrpcCredentialsWithAuth(options_.ssl_config_file.empty() ? nullptr : creds, auth_.get());
  }
  if (options_.grpc_port != 0) {
    builder.AddListeningPort(absl::StrCat("0.0.0.0:", options_.grpc_port), creds, &grpc_port_);
  }
  if (!options_.grpc_socket_path.empty()) {
    builder.AddListeningPort("unix:" + options_.grpc_socket_path, creds);
  }
  builder.RegisterService(prediction_service_.get());
  builder.RegisterService(model_service_.get());
  builder.RegisterService(v2_service_.get());
  builder.SetMaxMessageSize(INT_MAX);
  if (options_.grpc_max_threads > 0) {
    grpc::ResourceQuota quota;
    quota.SetMaxThreads(options_.grpc_max_threads);
    builder.SetResourceQuota(quota);
  }
  if (!options_.grpc_channel_arguments.empty()) {
    for (absl::string_view kv : absl::StrSplit(options_.grpc_channel_arguments, ',')) {
      std::vector<std::string> parts = absl::StrSplit(kv, absl::MaxSplits('=', 1));
      if (parts.size() != 2 || parts[0].empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("Bad --grpc_channel_arguments entry '", kv, "' (want key=value)"));
      }
      int value;
      if (absl::SimpleAtoi(parts[1], &value)) {
        builder.AddChannelArgument(parts[0], value);
      } else {
        builder.AddChannelArgument(parts[0], parts[1]);
      }
    }
  }
  grpc_ = builder.BuildAndStart();
  if (!grpc_) {
    return absl::UnavailableError(absl::StrCat(
        "Failed to start gRPC server on port ", options_.grpc_port,
        options_.grpc_socket_path.empty() ? "" : " / unix:", options_.grpc_socket_path));
  }
  if (options_.grpc_port != 0) {
    std::fprintf(stderr, "Running gRPC ModelServer at 0.0.0.0:%d ...\n", grpc_port_);
  }
  if (!options_.grpc_socket_path.empty()) {
    std::fprintf(stderr, "Running gRPC ModelServer at UNIX socket %s ...\n",
                 options_.grpc_socket_path.c_str());
  }

  return absl::OkStatus();
}

absl::Status Server::BuildAndStart(const ServerOptions& options) {
  options_ = options;
  if (options_.grpc_port != 0 && options_.grpc_port == options_.rest_api_port) {
    return absl::InvalidArgumentError(
        "server_options.grpc_port cannot be the same as server_options.http_port");
  }
  tensorflow::serving::ModelServerConfig config;
  if (!options_.model_config_file.empty()) {
    TFM_ASSIGN_OR_RETURN(last_config_text_, ReadFileToString(options_.model_config_file));
    auto parsed = ParseModelServerConfig(last_config_text_);
    if (!parsed.ok()) {
      return absl::Status(parsed.status().code(), absl::StrCat(parsed.status().message(), " (file ",
                                                               options_.model_config_file, ")"));
    }
    config = *parsed;
  } else {
    if (options_.model_base_path.empty()) {
      return absl::InvalidArgumentError(
          "Both server_options.model_base_path and server_options.model_config_file are "
          "empty!");
    }
    auto* m = config.mutable_model_config_list()->add_config();
    m->set_name(options_.model_name);
    m->set_base_path(options_.model_base_path);
    m->set_model_platform("tensorflow");
  }

  if (options_.auth.enabled()) {
    TFM_ASSIGN_OR_RETURN(auth_, Authenticator::Create(options_.auth));
  }

  std::string prometheus_path;
  if (!options_.monitoring_config_file.empty()) {
    tensorflow::serving::MonitoringConfig mc;
    TFM_RETURN_IF_ERROR(
        ReadTextProto(options_.monitoring_config_file, "tensorflow.serving.MonitoringConfig", &mc));
    if (mc.prometheus_config().enable()) {
      prometheus_path = mc.prometheus_config().path().empty() ? "/monitoring/prometheus/metrics"
                                                              : mc.prometheus_config().path();
    }
  }

  ManagerOptions mo = options_.manager;
  mo.metrics = &metrics_;
  if (!options_.batching_parameters_file.empty() && !options_.enable_batching) {
    return absl::InvalidArgumentError(
        "--batching_parameters_file requires --enable_batching to be true");
  }
  if (options_.enable_batching) {
    tensorflow::serving::BatchingParameters params;
    if (!options_.batching_parameters_file.empty()) {
      TFM_RETURN_IF_ERROR(ReadTextProto(options_.batching_parameters_file,
                                        "tensorflow.serving.BatchingParameters", &params));
    }
    auto bo = BatchingOptionsFromProto(params);
    if (!bo.ok()) {
      return Annotate(bo.status(), absl::StrCat("batching parameters ",
                                                options_.batching_parameters_file.empty()
                                                    ? std::string("(defaults)")
                                                    : options_.batching_parameters_file));
    }
    TFM_ASSIGN_OR_RETURN(batch_scheduler_, BatchScheduler::Create(*bo, &metrics_));
    mo.servable_options.batch_scheduler = batch_scheduler_.get();
    std::fprintf(stderr,
                 "Batching enabled: max_batch_size=%lld batch_timeout_micros=%lld "
                 "max_enqueued_batches=%lld num_batch_threads=%lld\n",
                 static_cast<long long>(bo->max_batch_size),
                 static_cast<long long>(bo->batch_timeout_micros),
                 static_cast<long long>(bo->max_enqueued_batches),
                 static_cast<long long>(bo->num_batch_threads));
  }
  {
    absl::MutexLock l(&mu_);
    if (shutdown_) return absl::CancelledError("Shutdown requested before the models loaded");
    manager_ = std::make_unique<ServableManager>(mo);
  }
  absl::Status loaded = ReloadConfig(config);
  if (shutdown_requested()) {
    return absl::CancelledError("Shutdown requested while the models were loading");
  }
  // A model that failed to load explains more than a label naming its version.
  TFM_RETURN_IF_ERROR(manager_->InitialLoadStatus());
  TFM_RETURN_IF_ERROR(loaded);
  manager_->StartPolling();

  if (options_.grpc_port != 0 || !options_.grpc_socket_path.empty()) {
    TFM_RETURN_IF_ERROR(StartGrpc());
  }

  // REST.
  if (options_.rest_api_port != 0) {
    RestOptions ro;
    ro.enable_cors = options_.rest_api_enable_cors_support;
    ro.prometheus_path = prometheus_path;
    ro.timeout_ms = options_.rest_api_timeout_in_ms;
    rest_ = std::make_unique<RestApiHandler>(manager_.get(), &metrics_, ro);
    HttpServerOptions ho;
    ho.port = options_.rest_api_port;
    ho.num_threads = options_.rest_api_num_threads;
    ho.read_timeout_ms = options_.rest_api_timeout_in_ms;
    ho.max_body_bytes = options_.rest_api_max_body_bytes;
    auto rest = [this](const HttpRequest& r) { return rest_->Handle(r); };
    auto handler = [this, rest](const HttpRequest& r) {
      return auth_ ? auth_->HandleHttp(r, options_.rest_api_enable_cors_support, rest) : rest(r);
    };
    TFM_ASSIGN_OR_RETURN(http_, HttpServer::Start(ho, handler));
    std::fprintf(stderr, "Exporting HTTP/REST API at:localhost:%d ...\n", http_->port());
  }

  if (!options_.model_config_file.empty() && options_.model_config_file_poll_wait_seconds > 0) {
    {
      absl::MutexLock l(&mu_);
      config_poll_running_ = true;
    }
    config_poll_thread_ = std::thread([this] { PollConfigFile(); });
  }
  return absl::OkStatus();
}

void Server::WaitForTermination() {
  absl::MutexLock l(&mu_);
  auto done = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return shutdown_; };
  mu_.Await(absl::Condition(&done));
}

void Server::RequestShutdown() {
  absl::MutexLock l(&mu_);
  shutdown_ = true;
  if (manager_) manager_->RequestStop();
}

bool Server::shutdown_requested() const {
  absl::MutexLock l(&mu_);
  return shutdown_;
}

bool Server::Shutdown(absl::Duration drain_deadline, absl::Duration max_wait_for_loads) {
  RequestShutdown();
  {
    absl::MutexLock l(&mu_);
    if (torn_down_) return true;
    torn_down_ = true;
  }
  if (http_) http_->Shutdown();
  if (grpc_) grpc_->Shutdown(absl::ToChronoTime(absl::Now() + drain_deadline));
  const absl::Time give_up = absl::Now() + max_wait_for_loads;
  {
    absl::MutexLock l(&mu_);
    auto ended = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !config_poll_running_; };
    if (!mu_.AwaitWithDeadline(absl::Condition(&ended), give_up)) return false;
  }
  if (config_poll_thread_.joinable()) config_poll_thread_.join();
  return manager_ ? manager_->Stop(std::max(absl::ZeroDuration(), give_up - absl::Now())) : true;
}

}  // namespace tfmodel::serving
