// `tfmodel serve`: tensorflow_model_server's command line (same flag names and defaults),
// backed by serving::Server.
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli/commands.h"
#include "core/file_util.h"
#include "core/version.h"
#include "format/detect.h"
#include "serving/server.h"
#include "tflite/model.h"

namespace tfmodel::cli {
namespace {

enum class Kind { kBool, kInt, kString, kFloat };

struct Flag {
  Kind kind;
  std::string help;
  std::function<bool(const std::string&)> set;  // false = bad value
  bool runtime_only = false;  // affects TF's own runtime only: accepted with a warning
};

bool ParseBool(const std::string& v, bool* out) {
  const std::string l = absl::AsciiStrToLower(v);
  if (l == "true" || l == "1") {
    *out = true;
    return true;
  }
  if (l == "false" || l == "0") {
    *out = false;
    return true;
  }
  return false;
}

int NumCpus() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

void PrintUsage(const std::map<std::string, Flag>& flags) {
  std::fprintf(stderr,
               "usage: tfmodel serve --model_base_path=<dir> [--model_name=<name>] "
               "[--port=8500] [--rest_api_port=8501] ...\n"
               "       tfmodel serve --model_config_file=<file> ...\n\nFlags:\n");
  for (const auto& [name, f] : flags) {
    std::fprintf(stderr, "  --%s\t%s%s\n", name.c_str(), f.help.c_str(),
                 f.runtime_only ? " (accepted, no effect here)" : "");
  }
}

// Runs the server until SIGTERM or SIGINT. A watcher thread takes the signals (every
// other thread has them blocked) from the start, so a signal always stops the server:
// while the models load (retry waits end at once; a load that is running is not waited
// for), and while serving (in-flight requests get the drain deadline, then the process
// exits regardless). A second signal exits at once.
int RunServer(const serving::ServerOptions& o) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const absl::Duration drain = o.rest_api_timeout_in_ms > 0
                                   ? absl::Milliseconds(o.rest_api_timeout_in_ms)
                                   : absl::Seconds(30);
  serving::Server server;
  std::atomic<bool> started{false}, main_done{false}, got_signal{false};
  std::thread watcher([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (main_done) return;
    got_signal = true;
    std::fprintf(stderr, "Received signal %d: shutting down (finishing in-flight requests)\n", sig);
    server.RequestShutdown();
    const absl::Time signalled = absl::Now();
    while (!main_done) {
      // While loading: give the load a moment to notice; while serving: the drain deadline.
      const absl::Duration budget = started ? drain + absl::Seconds(5) : absl::Seconds(1);
      if (absl::Now() - signalled > budget) {
        std::fprintf(stderr,
                     started ? "Shutdown did not finish within %.0f s; exiting now.\n"
                             : "A model load is still running; exiting without waiting for it "
                               "(%.0f s after the signal).\n",
                     absl::ToDoubleSeconds(budget));
        std::fflush(nullptr);
        _exit(started ? 1 : 0);
      }
      timespec wait{0, 100'000'000};
      const int again = sigtimedwait(&signals, nullptr, &wait);
      if (again > 0 && !main_done) {
        std::fprintf(stderr, "Received signal %d again: exiting now.\n", again);
        std::fflush(nullptr);
        _exit(1);
      }
    }
  });
  auto finish = [&](int code) {
    main_done = true;
    if (!got_signal) pthread_kill(watcher.native_handle(), SIGTERM);  // wake its sigwait
    watcher.join();
    return code;
  };

  absl::Status s = server.BuildAndStart(o);
  if (!s.ok()) {
    if (server.shutdown_requested()) {
      std::fprintf(stderr, "Stopped while loading the models.\n");
      return finish(0);
    }
    // TF Serving's words and exit status (main() returns -1).
    std::fprintf(stderr, "Failed to start server. Error: %s\n", s.ToString().c_str());
    return finish(255);
  }
  started = true;
  server.WaitForTermination();
  if (!server.Shutdown(drain, absl::Seconds(1))) {
    // Requests are drained; only a model load (a new version, a config reload) is left.
    std::fprintf(stderr, "Server stopped (a model load still running was abandoned).\n");
    std::fflush(nullptr);
    _exit(0);
  }
  std::fprintf(stderr, "Server stopped.\n");
  return finish(0);
}

// What the flags set, besides the server's options.
struct ServeFlagValues {
  serving::ServerOptions o;
  bool show_version = false;
  bool show_help = false;
  std::string tags = "serve";
  int64_t tf_intra = 0, tf_inter = 0, tf_session_parallelism = 0;
  bool prefer_tflite = false;
};

// tensorflow_model_server's flags (and tfmodel's few extensions), each writing into `v`.
std::map<std::string, Flag> ServeFlags(ServeFlagValues& v) {
  serving::ServerOptions& o = v.o;
  std::map<std::string, Flag> flags;
  auto add_int = [&](const char* name, auto* target, const char* help, bool runtime = false) {
    flags[name] = {Kind::kInt, help,
                   [target](const std::string& v) {
                     int64_t x;
                     if (!absl::SimpleAtoi(v, &x)) return false;
                     *target = static_cast<std::remove_pointer_t<decltype(target)>>(x);
                     return static_cast<int64_t>(*target) == x;
                   },
                   runtime};
  };
  auto add_bool = [&](const char* name, bool* target, const char* help, bool runtime = false) {
    flags[name] = {Kind::kBool, help,
                   [target](const std::string& v) { return ParseBool(v, target); }, runtime};
  };
  auto add_str = [&](const char* name, std::string* target, const char* help,
                     bool runtime = false) {
    flags[name] = {Kind::kString, help,
                   [target](const std::string& v) {
                     *target = v;
                     return true;
                   },
                   runtime};
  };
  // Accepted for compatibility; they tune TensorFlow's own runtime.
  auto add_ignored = [&](const char* name, Kind kind, const char* help) {
    flags[name] = {kind, help,
                   [kind](const std::string& v) {
                     bool b;
                     double d;
                     int64_t i;
                     switch (kind) {
                       case Kind::kBool:
                         return ParseBool(v, &b);
                       case Kind::kInt:
                         return absl::SimpleAtoi(v, &i);
                       case Kind::kFloat:
                         return absl::SimpleAtod(v, &d);
                       default:
                         return true;
                     }
                   },
                   true};
  };

  add_int("port", &o.grpc_port, "TCP port for gRPC (0 disables it)");
  add_str("grpc_socket_path", &o.grpc_socket_path, "also serve gRPC on this UNIX socket");
  add_int("rest_api_port", &o.rest_api_port, "TCP port for HTTP/REST (0 disables it)");
  add_int("rest_api_num_threads", &o.rest_api_num_threads, "HTTP worker threads");
  add_int("rest_api_timeout_in_ms", &o.rest_api_timeout_in_ms, "timeout for REST calls");
  add_bool("rest_api_enable_cors_support", &o.rest_api_enable_cors_support,
           "add CORS headers to REST responses");
  add_int("rest_api_max_body_bytes", &o.rest_api_max_body_bytes,
          "largest REST request body (larger ones get 413) [tfmodel extension]");
  add_str("model_name", &o.model_name, "name of the model (single-model mode)");
  add_str("model_base_path", &o.model_base_path,
          "folder (or s3://bucket/prefix) of numeric model versions");
  add_str("model_config_file", &o.model_config_file, "text ModelServerConfig");
  add_str("s3_cache_dir", &o.manager.s3_cache_dir,
          "local folder s3:// model versions are downloaded to (default $TMPDIR/tfmodel_s3_cache) "
          "[tfmodel extension]");
  add_int("s3_cache_max_bytes", &o.manager.s3_cache_max_bytes,
          "most bytes the S3 cache may hold; a version that does not fit is not downloaded "
          "and its status says why (0 = only the disk's free space) [tfmodel extension]");
  add_int("model_config_file_poll_wait_seconds", &o.model_config_file_poll_wait_seconds,
          "re-read the config file every N s (0 = read once)");
  add_int("file_system_poll_wait_seconds", &o.manager.file_system_poll_wait_seconds,
          "poll for new model versions every N s");
  add_int("max_num_load_retries", &o.manager.max_num_load_retries, "load retries after a failure");
  add_int("load_retry_interval_micros", &o.manager.load_retry_interval_micros,
          "wait between load retries");
  add_bool("enable_model_warmup", &o.manager.enable_model_warmup,
           "replay assets.extra/tf_serving_warmup_requests after loading");
  add_int("num_request_iterations_for_warmup", &o.manager.num_request_iterations_for_warmup,
          "times each warmup record is replayed");
  add_bool("allow_version_labels_for_unavailable_models",
           &o.manager.allow_version_labels_for_unavailable_models,
           "allow new labels on versions not loaded yet");
  add_bool("enable_signature_method_name_check", &o.manager.servable_options.check_method_name,
           "check method_name of classify/regress/predict signatures");
  add_bool("enable_serialization_as_tensor_content",
           &o.manager.servable_options.tensor_content_outputs,
           "gRPC Predict outputs use tensor_content");
  add_str("saved_model_tags", &v.tags, "comma-separated MetaGraphDef tags");
  add_str("ssl_config_file", &o.ssl_config_file, "text SSLConfig for gRPC TLS");
  add_str("monitoring_config_file", &o.monitoring_config_file, "text MonitoringConfig");
  add_str("auth_token_file", &o.auth.token_file,
          "require Authorization: Bearer <token> (REST) / authorization metadata (gRPC); file "
          "of tokens, one per line, re-read when it changes [tfmodel extension]");
  add_str("auth_basic_file", &o.auth.basic_file,
          "require HTTP basic auth; file of user:password lines (plain text), re-read when it "
          "changes [tfmodel extension]");
  add_str("grpc_channel_arguments", &o.grpc_channel_arguments, "gRPC channel args k=v,...");
  add_int("grpc_max_threads", &o.grpc_max_threads, "gRPC server threads");
  add_int("tensorflow_intra_op_parallelism", &v.tf_intra, "threads inside one op (0 = cores)");
  add_int("tensorflow_inter_op_parallelism", &v.tf_inter, "ops run at once (0 = cores)");
  add_int("tensorflow_session_parallelism", &v.tf_session_parallelism,
          "sets both parallelism values (0 = cores)");
  add_bool("enable_batching", &o.enable_batching,
           "batch concurrent requests (see --batching_parameters_file)");
  add_str("batching_parameters_file", &o.batching_parameters_file, "text BatchingParameters");
  add_bool("version", &v.show_version, "print the version and exit");
  add_bool("help", &v.show_help, "print this help");
  add_ignored("num_load_threads", Kind::kInt, "model load threads");
  add_ignored("num_unload_threads", Kind::kInt, "model unload threads");
  add_ignored("flush_filesystem_caches", Kind::kBool, "flush file system caches after loads");
  add_ignored("tensorflow_session_config_file", Kind::kString, "text ConfigProto");
  add_ignored("platform_config_file", Kind::kString, "PlatformConfigMap");
  add_ignored("per_process_gpu_memory_fraction", Kind::kFloat, "GPU memory fraction");
  add_ignored("xla_cpu_compilation_enabled", Kind::kBool, "XLA on CPU");
  add_ignored("xla_gpu_compilation_enabled", Kind::kBool, "XLA on GPU");
  add_ignored("use_alts_credentials", Kind::kBool, "ALTS credentials");
  add_ignored("enable_per_model_batching_parameters", Kind::kBool, "per-model batching");
  add_ignored("remove_unused_fields_from_bundle_metagraph", Kind::kBool, "metagraph trimming");
  add_bool("prefer_tflite_model", &v.prefer_tflite,
           "load model.tflite from a version folder when it has one");
  add_ignored("num_tflite_pools", Kind::kInt, "TFLite pools");
  add_ignored("num_tflite_interpreters_per_pool", Kind::kInt, "TFLite interpreters");
  add_ignored("enable_profiler", Kind::kBool, "profiler service");
  add_ignored("thread_pool_factory_config_file", Kind::kString, "thread pool factory");
  add_ignored("mixed_precision", Kind::kString, "bfloat16 AMP");
  add_ignored("skip_initialize_tpu", Kind::kBool, "TPU init");
  add_ignored("enable_grpc_healthcheck_service", Kind::kBool, "grpc.health.v1 service");
  add_ignored("tfrt_use_tfrt_mlir", Kind::kBool, "TFRT");

  return flags;
}

// Parses argv into `flags` as tensorflow_model_server does (--name=value, --name value,
// bare booleans, --noname). Returns 0, or 2 after printing what is wrong.
int ParseServeFlags(int argc, char** argv, const std::map<std::string, Flag>& flags) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0 && arg.rfind("-", 0) == 0 && arg.size() > 1) arg = "-" + arg;
    if (arg.rfind("--", 0) != 0) {
      std::fprintf(stderr,
                   "tfmodel serve: unexpected argument '%s' (flags look like --name=value)\n",
                   argv[i]);
      return 2;
    }
    std::string name = arg.substr(2), value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    auto it = flags.find(name);
    if (it == flags.end() && name.rfind("no", 0) == 0 && !has_value) {
      auto neg = flags.find(name.substr(2));
      if (neg != flags.end() && neg->second.kind == Kind::kBool) {
        it = neg;
        value = "false";
        has_value = true;
      }
    }
    if (it == flags.end()) {
      std::fprintf(stderr, "tfmodel serve: unknown flag --%s (see tfmodel serve --help)\n",
                   name.c_str());
      return 2;
    }
    if (!has_value) {
      if (it->second.kind == Kind::kBool) {
        bool b;
        if (i + 1 < argc && ParseBool(argv[i + 1], &b)) {
          value = argv[++i];
        } else {
          value = "true";
        }
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        std::fprintf(stderr, "tfmodel serve: flag --%s needs a value\n", name.c_str());
        return 2;
      }
    }
    if (!it->second.set(value)) {
      std::fprintf(stderr, "tfmodel serve: bad value '%s' for flag --%s\n", value.c_str(),
                   name.c_str());
      return 2;
    }
    if (it->second.runtime_only) {
      std::fprintf(stderr,
                   "tfmodel serve: warning: --%s only tunes TensorFlow's own runtime; accepted "
                   "and ignored\n",
                   name.c_str());
    }
  }
  return 0;
}

}  // namespace

int ServeMain(int argc, char** argv) {
  ServeFlagValues v;
  v.o.rest_api_num_threads = 4 * NumCpus();
  const std::map<std::string, Flag> flags = ServeFlags(v);
  if (int rc = ParseServeFlags(argc, argv, flags)) return rc;
  serving::ServerOptions& o = v.o;
  if (v.show_help) {
    PrintUsage(flags);
    return 0;
  }
  if (v.show_version) {
    std::printf("TensorFlow ModelServer: tfmodel-%s\nTensorFlow Library: none (tfmodel %s)\n",
                kVersion, kVersion);
    return 0;
  }
  if (!o.batching_parameters_file.empty() && !o.enable_batching) {
    std::fprintf(stderr, "tfmodel serve: --batching_parameters_file requires --enable_batching\n");
    return 2;
  }
  if (v.tf_session_parallelism > 0) {
    if (v.tf_intra == 0) v.tf_intra = v.tf_session_parallelism;
    if (v.tf_inter == 0) v.tf_inter = v.tf_session_parallelism;
  }
  o.manager.load_options.intra_op_threads = static_cast<int>(v.tf_intra);
  o.manager.load_options.inter_op_threads = static_cast<int>(v.tf_inter);
  o.manager.saved_model_tags.clear();
  for (absl::string_view t : absl::StrSplit(v.tags, ',', absl::SkipEmpty())) {
    o.manager.saved_model_tags.emplace_back(t);
  }
  if (o.manager.saved_model_tags.empty()) o.manager.saved_model_tags = {"serve"};
  if (v.prefer_tflite) {
    // TF Serving's --prefer_tflite_model: model.tflite when present, else the SavedModel.
    auto tags_copy = o.manager.saved_model_tags;
    auto load_options = o.manager.load_options;
    o.manager.loader =
        [tags_copy,
         load_options](const std::string& dir) -> absl::StatusOr<std::unique_ptr<runtime::Model>> {
      const std::string tflite_path = TfLiteModelInFolder(dir);
      if (!tflite_path.empty()) return tflite::LoadTfLiteModel(tflite_path, load_options);
      return serving::LoadServableModel(dir, tags_copy, load_options);
    };
  }
  if (o.model_config_file.empty() && o.model_base_path.empty()) {
    PrintUsage(flags);
    std::fprintf(stderr, "\ntfmodel serve: --model_base_path or --model_config_file is required\n");
    return 2;
  }

  return RunServer(o);
}

}  // namespace tfmodel::cli
