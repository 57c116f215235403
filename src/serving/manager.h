// Servable manager: keeps, for each configured model, the versions its policy aspires to
// loaded (polling the base path for new version folders), resolves requests to a loaded
// version, and reports version states the way TF Serving's ModelService does.
//
// New versions are loaded before old ones are unloaded. A request holds a
// shared_ptr<const Servable>; unloading only drops the manager's reference.
#ifndef TFMODEL_SERVING_MANAGER_H_
#define TFMODEL_SERVING_MANAGER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "runtime/model.h"
#include "serving/metrics.h"
#include "serving/servable.h"
#include "serving/version_storage.h"
#include "tensorflow_serving/apis/get_model_status.pb.h"
#include "tensorflow_serving/apis/model.pb.h"
#include "tensorflow_serving/config/model_server_config.pb.h"

namespace tfmodel::serving {

using ModelLoader =
    std::function<absl::StatusOr<std::unique_ptr<runtime::Model>>(const std::string& dir)>;

// Model::LoadSavedModel for serving: when the folder has no MetaGraphDef with `tags`, the
// error names the tag sets it does have and the --saved_model_tags flag that picks one.
absl::StatusOr<std::unique_ptr<runtime::Model>> LoadServableModel(
    const std::string& dir, const std::vector<std::string>& tags,
    const runtime::LoadOptions& load_options);

struct ManagerOptions {
  // Seconds between base-path polls; 0 = poll once at (re)configuration; < 0 = same.
  int64_t file_system_poll_wait_seconds = 1;
  int max_num_load_retries = 5;
  int64_t load_retry_interval_micros = 60'000'000;
  bool enable_model_warmup = true;
  int num_request_iterations_for_warmup = 0;  // 0 = replay each record once
  bool allow_version_labels_for_unavailable_models = false;
  std::vector<std::string> saved_model_tags = {"serve"};
  runtime::LoadOptions load_options;
  ServableOptions servable_options;
  // Loads one version folder; default Model::LoadSavedModel(dir, saved_model_tags).
  ModelLoader loader;
  // One line per event (default: stderr).
  std::function<void(const std::string&)> log;
  Metrics* metrics = nullptr;  // optional
  // Where base paths are listed and versions fetched (default: local folders and s3://,
  // DefaultVersionStorage with s3_cache_dir).
  std::shared_ptr<VersionStorage> storage;
  std::string s3_cache_dir;        // local cache of s3:// versions (empty: $TMPDIR)
  int64_t s3_cache_max_bytes = 0;  // bound on that cache (0: the disk's free space)
};

class ServableManager {
 public:
  explicit ServableManager(ManagerOptions options);
  ~ServableManager();
  ServableManager(const ServableManager&) = delete;
  ServableManager& operator=(const ServableManager&) = delete;

  // Replaces the set of served models (models absent from `config` are unloaded), then
  // loads what each model's policy aspires to, waiting until every aspired version is
  // loaded or has failed. Version labels are checked after loading. As TF Serving's
  // ServerCore: a config with no model_config_list set (an empty config file) changes
  // nothing. Unlike TF Serving, a set but empty model_config_list is INVALID_ARGUMENT
  // (naming the served models) while any model is served, instead of unloading them all.
  absl::Status ReloadConfig(const tensorflow::serving::ModelServerConfig& config);

  // After the first ReloadConfig: TF Serving's startup rule. UNKNOWN "Some servables did
  // not become available: {...}" when a configured model has no available version and a
  // version of it failed to load (after its retries); OK otherwise (also for a model whose
  // base path holds no versions yet: it is polled until one appears).
  absl::Status InitialLoadStatus() const;

  // The configured models that cannot serve yet (no AVAILABLE version), each with why.
  // Empty when every configured model can serve.
  std::vector<std::pair<std::string, std::string>> ModelsNotReady() const;

  // Starts the background poll thread (no-op when the poll period is <= 0).
  void StartPolling();
  // Asks loading to stop, from any thread: retry waits end at once and no further load
  // starts (a load already running finishes; loaders cannot be interrupted).
  void RequestStop();
  // RequestStop, then waits up to `max_wait` for the poll thread to end. False when it is
  // still inside a load; the manager must then not be destroyed. Loaded versions stay
  // until destruction.
  bool Stop(absl::Duration max_wait = absl::InfiniteDuration());
  // One synchronous poll of every model's base path (tests; the poll thread).
  void PollAll();

  // The version a request's ModelSpec names (latest available when none is given).
  absl::StatusOr<std::shared_ptr<const Servable>> GetServable(
      const tensorflow::serving::ModelSpec& spec) const;
  absl::Status GetModelStatus(const tensorflow::serving::GetModelStatusRequest& request,
                              tensorflow::serving::GetModelStatusResponse* response) const;
  std::vector<std::string> ModelNames() const;

 private:
  using State = tensorflow::serving::ModelVersionStatus::State;
  struct VersionState {
    State state = tensorflow::serving::ModelVersionStatus::START;
    absl::Status status;
    std::shared_ptr<const Servable> servable;
    std::string location;  // in the storage (a folder, or an s3:// URL)
  };
  struct ModelState {
    tensorflow::serving::ModelConfig config;
    std::map<int64_t, VersionState> versions;
    std::map<std::string, int64_t> labels;
    bool base_path_error_logged = false;
    absl::Status base_path_status;  // of the last poll
  };

  void PollModel(const std::string& name);
  absl::StatusOr<std::shared_ptr<const Servable>> LoadVersion(const std::string& name,
                                                              int64_t version,
                                                              const std::string& location);
  absl::Status Warmup(const Servable& servable, const std::string& dir);
  void SetState(const std::string& name, int64_t version, State state, absl::Status status,
                std::shared_ptr<const Servable> servable);
  void Log(const std::string& line) const;
  bool SleepUnlessStopped(int64_t micros);

  // What GetServable reads, as an immutable snapshot: servables by model and version (weak:
  // the snapshot never keeps an unloaded version alive) and the labels. Each request
  // thread keeps the snapshot it last used and takes a lock only when the routing
  // generation changed since, so concurrent requests do not contend on mu_.
  struct Routes {
    struct Model {
      std::map<int64_t, std::weak_ptr<const Servable>> versions;  // ascending
      std::map<std::string, int64_t, std::less<>> labels;
    };
    std::map<std::string, Model, std::less<>> models;
    uint64_t generation = 0;
  };
  const Routes& CurrentRoutes() const;
  // The servable a spec names per the thread's snapshot, or null (then ask under mu_).
  std::shared_ptr<const Servable> FromRoutes(const tensorflow::serving::ModelSpec& spec) const;
  // Call under mu_ after any change to servables or labels.
  void RoutesChanged() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    routes_generation_.fetch_add(1, std::memory_order_release);
  }

  ManagerOptions options_;
  // Serialises polls and reloads (loading runs without holding mu_).
  absl::Mutex load_mu_;
  mutable absl::Mutex mu_;
  std::map<std::string, ModelState> models_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  bool poll_thread_running_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<uint64_t> routes_generation_{1};
  mutable std::shared_ptr<const Routes> routes_ ABSL_GUARDED_BY(mu_);
  const uint64_t id_;  // unique per manager in the process (for the per-thread snapshot)
  std::thread poll_thread_;
};

// The TF Serving ServableRequest text used in "Servable not found" errors.
std::string ServableRequestText(const tensorflow::serving::ModelSpec& spec);

}  // namespace tfmodel::serving

#endif  // TFMODEL_SERVING_MANAGER_H_
