#include "serving/manager.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/file_util.h"
#include "core/status.h"
#include "format/saved_model.h"
#include "serving/echo_text.h"
#include "serving/source.h"
#include "tensorflow_serving/apis/prediction_log.pb.h"

namespace tfmodel::serving {
namespace {

using tensorflow::serving::ModelVersionStatus;

constexpr size_t kMaxWarmupRecords = 1000;
constexpr char kWarmupFile[] = "assets.extra/tf_serving_warmup_requests";

std::string VersionText(const std::string& name, int64_t version) {
  return absl::StrCat("{name: ", name, " version: ", version, "}");
}

int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

}  // namespace

std::string ServableRequestText(const tensorflow::serving::ModelSpec& spec) {
  if (spec.has_version()) {
    return absl::StrCat("Specific(", EchoText(spec.name()), ", ", spec.version().value(), ")");
  }
  return absl::StrCat("Latest(", EchoText(spec.name()), ")");
}

absl::StatusOr<std::unique_ptr<runtime::Model>> LoadServableModel(
    const std::string& dir, const std::vector<std::string>& tags,
    const runtime::LoadOptions& load_options) {
  auto model = runtime::Model::LoadSavedModel(dir, tags, load_options);
  if (model.ok() || model.status().code() != absl::StatusCode::kNotFound || !IsSavedModelDir(dir)) {
    return model;
  }
  auto sm = ReadSavedModelProto(dir);
  if (!sm.ok()) return model;
  std::vector<std::string> want = tags, sets, flags;
  std::sort(want.begin(), want.end());
  want.erase(std::unique(want.begin(), want.end()), want.end());
  for (const auto& mg : sm->meta_graphs()) {
    std::vector<std::string> t(mg.meta_info_def().tags().begin(), mg.meta_info_def().tags().end());
    std::sort(t.begin(), t.end());
    if (t == want) return model;  // the tag set exists: the error is something else
    sets.push_back(TagSetString(t));
    flags.push_back(absl::StrCat("--saved_model_tags=", absl::StrJoin(t, ",")));
  }
  return absl::NotFoundError(
      absl::StrCat("SavedModel '", dir, "' has no MetaGraphDef with tag set ", TagSetString(want),
                   " (the tags tfmodel serve loads, set by --saved_model_tags); it has ",
                   absl::StrJoin(sets, ", "), ": serve one with ", absl::StrJoin(flags, " or ")));
}

namespace {
uint64_t NextManagerId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

ServableManager::ServableManager(ManagerOptions options)
    : options_(std::move(options)), id_(NextManagerId()) {
  if (!options_.loader) {
    auto tags = options_.saved_model_tags;
    auto load_options = options_.load_options;
    options_.loader = [tags, load_options](const std::string& dir) {
      return LoadServableModel(dir, tags, load_options);
    };
  }
  if (!options_.storage) {
    options_.storage = DefaultVersionStorage(
        options_.s3_cache_dir,
        static_cast<uint64_t>(std::max<int64_t>(0, options_.s3_cache_max_bytes)),
        [this](const std::string& l) { Log(l); });
  }
}

ServableManager::~ServableManager() { Stop(); }

void ServableManager::Log(const std::string& line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
}

bool ServableManager::SleepUnlessStopped(int64_t micros) {
  absl::MutexLock l(&mu_);
  auto stopped = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopped_; };
  mu_.AwaitWithTimeout(absl::Condition(&stopped), absl::Microseconds(micros));
  return !stopped_;
}

void ServableManager::StartPolling() {
  if (options_.file_system_poll_wait_seconds <= 0 || poll_thread_.joinable()) return;
  {
    absl::MutexLock l(&mu_);
    poll_thread_running_ = true;
  }
  poll_thread_ = std::thread([this] {
    while (SleepUnlessStopped(options_.file_system_poll_wait_seconds * 1'000'000)) PollAll();
    absl::MutexLock l(&mu_);
    poll_thread_running_ = false;
  });
}

void ServableManager::RequestStop() {
  absl::MutexLock l(&mu_);
  stopped_ = true;
}

bool ServableManager::Stop(absl::Duration max_wait) {
  {
    absl::MutexLock l(&mu_);
    stopped_ = true;
    auto ended = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !poll_thread_running_; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&ended), max_wait)) return false;
  }
  if (poll_thread_.joinable()) poll_thread_.join();
  return true;
}

std::vector<std::string> ServableManager::ModelNames() const {
  absl::MutexLock l(&mu_);
  std::vector<std::string> out;
  for (const auto& [name, m] : models_) out.push_back(name);
  return out;
}

void ServableManager::SetState(const std::string& name, int64_t version, State state,
                               absl::Status status, std::shared_ptr<const Servable> servable) {
  std::shared_ptr<const Servable> old;  // released outside the lock
  absl::MutexLock l(&mu_);
  auto it = models_.find(name);
  if (it == models_.end()) return;
  VersionState& vs = it->second.versions[version];
  vs.state = state;
  vs.status = std::move(status);
  old = std::move(vs.servable);
  vs.servable = std::move(servable);
  RoutesChanged();
}

absl::Status ServableManager::Warmup(const Servable& servable, const std::string& dir) {
  const std::string path = JoinPath(dir, kWarmupFile);
  if (!FileExists(path)) return absl::OkStatus();
  const int64_t start = NowMicros();
  TFM_ASSIGN_OR_RETURN(auto records, ReadTFRecords(path, kMaxWarmupRecords));
  const int iterations = std::max(1, options_.num_request_iterations_for_warmup);
  for (size_t i = 0; i < records.size(); ++i) {
    tensorflow::serving::PredictionLog log;
    if (!log.ParseFromString(records[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("Failed to parse warmup record ", i, " of ", path, " as PredictionLog"));
    }
    for (int it = 0; it < iterations; ++it) {
      absl::Status s;
      switch (log.log_type_case()) {
        case tensorflow::serving::PredictionLog::kPredictLog: {
          tensorflow::serving::PredictResponse r;
          s = servable.Predict(log.predict_log().request(), &r);
          break;
        }
        case tensorflow::serving::PredictionLog::kClassifyLog: {
          tensorflow::serving::ClassificationResult r;
          const auto& req = log.classify_log().request();
          s = servable.Classify(req.model_spec().signature_name(), req.input(), &r);
          break;
        }
        case tensorflow::serving::PredictionLog::kRegressLog: {
          tensorflow::serving::RegressionResult r;
          const auto& req = log.regress_log().request();
          s = servable.Regress(req.model_spec().signature_name(), req.input(), &r);
          break;
        }
        case tensorflow::serving::PredictionLog::kMultiInferenceLog: {
          tensorflow::serving::MultiInferenceRequest req = log.multi_inference_log().request();
          for (auto& task : *req.mutable_tasks())
            task.mutable_model_spec()->set_name(servable.name());
          tensorflow::serving::MultiInferenceResponse r;
          s = servable.MultiInference(req, &r);
          break;
        }
        default:
          return absl::UnimplementedError(
              absl::StrCat("Unsupported log_type for warmup record ", i, " of ", path,
                           " (supported: predict, classify, regress, multi_inference)"));
      }
      if (!s.ok()) return Annotate(s, absl::StrCat("warmup record ", i, " of ", path));
    }
  }
  Log(absl::StrCat("Finished reading warmup data for model at ", path,
                   ". Number of warmup records read: ", records.size(),
                   ". Elapsed time (microseconds): ", NowMicros() - start, "."));
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const Servable>> ServableManager::LoadVersion(
    const std::string& name, int64_t version, const std::string& location) {
  absl::Status last;
  for (int attempt = 0; attempt <= std::max(0, options_.max_num_load_retries); ++attempt) {
    if (attempt > 0) {
      Log(absl::StrCat("Retrying load of servable version ", VersionText(name, version),
                       " (attempt ", attempt + 1, ") after: ", last.ToString()));
      if (!SleepUnlessStopped(options_.load_retry_interval_micros)) break;
    }
    const int64_t start = NowMicros();
    // A remote version is downloaded to a local folder first (a failure counts as a
    // failed load attempt).
    auto fetched = options_.storage->Fetch(location);
    if (!fetched.ok()) {
      last = fetched.status();
      if (options_.metrics) options_.metrics->RecordLoad(location, false, NowMicros() - start);
      absl::MutexLock l(&mu_);
      if (stopped_) break;
      continue;
    }
    const std::string& dir = *fetched;
    auto model = options_.loader(dir);
    if (model.ok()) {
      auto servable = std::make_shared<const Servable>(
          name, version, std::shared_ptr<runtime::Model>(std::move(*model)),
          options_.servable_options);
      absl::Status warm = options_.enable_model_warmup ? Warmup(*servable, dir) : absl::OkStatus();
      const int64_t took = NowMicros() - start;
      if (options_.metrics) options_.metrics->RecordLoad(dir, warm.ok(), took);
      if (warm.ok()) {
        Log(absl::StrCat("Successfully loaded servable version ", VersionText(name, version),
                         " from ", dir, " in ", took / 1000, " ms"));
        return servable;
      }
      last = warm;
    } else {
      last = model.status();
      if (options_.metrics) options_.metrics->RecordLoad(dir, false, NowMicros() - start);
    }
    {
      absl::MutexLock l(&mu_);
      if (stopped_) break;
    }
  }
  return last;
}

void ServableManager::PollModel(const std::string& name) {
  tensorflow::serving::ModelConfig config;
  {
    absl::MutexLock l(&mu_);
    auto it = models_.find(name);
    if (it == models_.end()) return;
    config = it->second.config;
  }
  auto present = options_.storage->List(config.base_path());
  {
    absl::MutexLock l(&mu_);
    auto it = models_.find(name);
    if (it != models_.end()) {
      it->second.base_path_status = present.status();
      if (present.ok()) it->second.base_path_error_logged = false;  // log the next failure
    }
  }
  if (!present.ok()) {
    absl::MutexLock l(&mu_);
    auto it = models_.find(name);
    if (it != models_.end() && !it->second.base_path_error_logged) {
      it->second.base_path_error_logged = true;
      Log(absl::StrCat("File system storage path source: ", present.status().ToString(),
                       " for servable ", name, "; will keep polling"));
    }
    return;
  }
  std::vector<int64_t> aspired = AspiredVersions(config.model_version_policy(), *present);
  std::set<int64_t> aspired_set(aspired.begin(), aspired.end());
  if (aspired.empty() && !present->empty()) {
    Log(absl::StrCat("No versions of servable ", name, " found under base path ",
                     config.base_path(), " match its version policy"));
  }

  // Load newly aspired versions (highest first), before unloading anything.
  for (auto v = aspired.rbegin(); v != aspired.rend(); ++v) {
    bool need_load = false;
    {
      absl::MutexLock l(&mu_);
      auto mit = models_.find(name);
      if (mit == models_.end() || stopped_) return;
      auto vit = mit->second.versions.find(*v);
      // A version that failed stays failed (END + error); an unloaded one may come back.
      need_load = vit == mit->second.versions.end() ||
                  (vit->second.state == ModelVersionStatus::END && vit->second.status.ok());
    }
    if (!need_load) continue;
    Log(absl::StrCat("Approving load for servable version ", VersionText(name, *v)));
    SetState(name, *v, ModelVersionStatus::LOADING, absl::OkStatus(), nullptr);
    const std::string& location = present->at(*v);
    {
      absl::MutexLock l(&mu_);
      auto mit = models_.find(name);
      if (mit != models_.end()) mit->second.versions[*v].location = location;
    }
    auto servable = LoadVersion(name, *v, location);
    if (servable.ok()) {
      SetState(name, *v, ModelVersionStatus::AVAILABLE, absl::OkStatus(), *servable);
    } else {
      Log(absl::StrCat("Loading servable version ", VersionText(name, *v),
                       " failed: ", servable.status().ToString()));
      SetState(name, *v, ModelVersionStatus::END, servable.status(), nullptr);
      options_.storage->Release(location);
    }
  }

  // Unload versions no longer aspired, keeping the model available: only when some
  // aspired version is available (or nothing is aspired any more).
  std::vector<std::pair<int64_t, std::string>> to_unload;
  {
    absl::MutexLock l(&mu_);
    auto mit = models_.find(name);
    if (mit == models_.end()) return;
    bool aspired_available = aspired.empty();
    for (int64_t v : aspired) {
      auto vit = mit->second.versions.find(v);
      if (vit != mit->second.versions.end() && vit->second.state == ModelVersionStatus::AVAILABLE) {
        aspired_available = true;
      }
    }
    if (!aspired_available) return;
    for (auto& [v, vs] : mit->second.versions) {
      if (!aspired_set.count(v) && vs.state == ModelVersionStatus::AVAILABLE) {
        vs.state = ModelVersionStatus::UNLOADING;
        to_unload.emplace_back(v, vs.location);
      }
    }
  }
  for (const auto& [v, location] : to_unload) {
    const int64_t start = NowMicros();
    SetState(name, v, ModelVersionStatus::END, absl::OkStatus(), nullptr);
    // A downloaded copy goes (in-flight requests keep the loaded model, not its files).
    if (!location.empty()) options_.storage->Release(location);
    Log(absl::StrCat("Successfully unloaded servable version ", VersionText(name, v), " in ",
                     (NowMicros() - start) / 1000, " ms (in-flight requests keep it until done)"));
  }
}

void ServableManager::PollAll() {
  absl::MutexLock load_lock(&load_mu_);
  for (const auto& name : ModelNames()) PollModel(name);
}

absl::Status ServableManager::ReloadConfig(const tensorflow::serving::ModelServerConfig& config) {
  TFM_RETURN_IF_ERROR(ValidateModelServerConfig(config));
  if (config.config_case() == tensorflow::serving::ModelServerConfig::CONFIG_NOT_SET) {
    Log("Taking no action for empty config (no model_config_list).");
    return absl::OkStatus();
  }
  absl::MutexLock load_lock(&load_mu_);
  if (config.model_config_list().config().empty()) {
    // TF Serving unloads everything here; a list emptied by mistake (a template rendered
    // with no entries, a client sending a default message) would take the whole server
    // down, so it is refused while models are served.
    const std::vector<std::string> served = ModelNames();
    if (!served.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Refusing to reload a model_config_list that lists no models: it would unload every "
          "served model (",
          EchoText(absl::StrJoin(served, ", ")),
          "). List the models to keep; to serve none, stop the server."));
    }
  }
  std::set<std::string> wanted;
  std::vector<std::shared_ptr<const Servable>> dropped;  // released outside the lock
  std::vector<std::string> dropped_locations;
  {
    absl::MutexLock l(&mu_);
    for (const auto& m : config.model_config_list().config()) {
      wanted.insert(m.name());
      ModelState& st = models_[m.name()];
      if (st.config.base_path() != m.base_path()) st.base_path_error_logged = false;
      st.config = m;
    }
    for (auto it = models_.begin(); it != models_.end();) {
      if (wanted.count(it->first)) {
        ++it;
        continue;
      }
      for (auto& [v, vs] : it->second.versions) {
        // (Versions in END were released when they were unloaded or failed.)
        if (vs.servable && !vs.location.empty()) dropped_locations.push_back(vs.location);
        if (vs.servable) {
          dropped.push_back(std::move(vs.servable));
          Log(absl::StrCat("Unloading servable version ", VersionText(it->first, v),
                           " (model removed from config)"));
        }
      }
      it = models_.erase(it);
    }
    RoutesChanged();
  }
  dropped.clear();
  for (const auto& location : dropped_locations) options_.storage->Release(location);
  for (const auto& name : wanted) PollModel(name);

  // Labels may only name available versions (unless allowed for new labels).
  absl::MutexLock l(&mu_);
  for (const auto& m : config.model_config_list().config()) {
    ModelState& st = models_[m.name()];
    for (const auto& [label, version] : m.version_labels()) {
      auto vit = st.versions.find(version);
      const bool available =
          vit != st.versions.end() && vit->second.state == ModelVersionStatus::AVAILABLE;
      const bool is_new = !st.labels.count(label) || st.labels.at(label) != version;
      if (!available && !(options_.allow_version_labels_for_unavailable_models && is_new)) {
        return absl::FailedPreconditionError(
            absl::StrCat("Request to assign label to version ", version, " of model ", m.name(),
                         ", which is not currently available for inference"));
      }
    }
  }
  for (const auto& m : config.model_config_list().config()) {
    models_[m.name()].labels =
        std::map<std::string, int64_t>(m.version_labels().begin(), m.version_labels().end());
  }
  RoutesChanged();
  return absl::OkStatus();
}

absl::Status ServableManager::InitialLoadStatus() const {
  absl::MutexLock l(&mu_);
  std::string ids, errors;
  for (const auto& [name, m] : models_) {
    bool available = false;
    const std::pair<const int64_t, VersionState>* failed = nullptr;
    for (const auto& entry : m.versions) {
      const VersionState& vs = entry.second;
      if (vs.state == ModelVersionStatus::AVAILABLE) available = true;
      if (vs.state == ModelVersionStatus::END && !vs.status.ok()) failed = &entry;
    }
    if (available || failed == nullptr) continue;
    // TF Serving's text: each ServableId followed by ", " inside braces.
    absl::StrAppend(&ids, VersionText(name, failed->first), ", ");
    absl::StrAppend(&errors, errors.empty() ? "" : "; ", VersionText(name, failed->first),
                    " failed to load: ", failed->second.status.ToString());
  }
  if (ids.empty()) return absl::OkStatus();
  return absl::UnknownError(
      absl::StrCat("Some servables did not become available: {", ids, "} (", errors, ")"));
}

std::vector<std::pair<std::string, std::string>> ServableManager::ModelsNotReady() const {
  absl::MutexLock l(&mu_);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, m] : models_) {
    std::vector<std::string> states;
    bool available = false;
    for (auto it = m.versions.rbegin(); it != m.versions.rend(); ++it) {
      const VersionState& vs = it->second;
      if (vs.state == ModelVersionStatus::AVAILABLE) {
        available = true;
        break;
      }
      std::string text =
          absl::StrCat("version ", it->first, " ", ModelVersionStatus::State_Name(vs.state));
      if (!vs.status.ok()) absl::StrAppend(&text, " (", vs.status.ToString(), ")");
      states.push_back(std::move(text));
    }
    if (available) continue;
    if (!states.empty()) {
      out.emplace_back(name, absl::StrJoin(states, "; "));
    } else if (!m.base_path_status.ok()) {
      out.emplace_back(name, std::string(m.base_path_status.message()));
    } else {
      out.emplace_back(name,
                       absl::StrCat("no version under base path ", m.config.base_path(), " (yet)"));
    }
  }
  return out;
}

const ServableManager::Routes& ServableManager::CurrentRoutes() const {
  struct Cached {
    uint64_t manager_id = 0;
    uint64_t generation = 0;
    std::shared_ptr<const Routes> routes;
  };
  thread_local Cached cached;
  const uint64_t generation = routes_generation_.load(std::memory_order_acquire);
  if (cached.manager_id == id_ && cached.generation == generation) return *cached.routes;
  absl::MutexLock l(&mu_);
  const uint64_t current = routes_generation_.load(std::memory_order_acquire);
  if (!routes_ || routes_->generation != current) {
    auto r = std::make_shared<Routes>();
    r->generation = current;
    for (const auto& [name, m] : models_) {
      Routes::Model& rm = r->models[name];
      for (const auto& [v, vs] : m.versions) {
        if (vs.servable) rm.versions.emplace(v, vs.servable);
      }
      rm.labels.insert(m.labels.begin(), m.labels.end());
    }
    routes_ = std::move(r);
  }
  cached = Cached{id_, routes_->generation, routes_};
  return *cached.routes;
}

std::shared_ptr<const Servable> ServableManager::FromRoutes(
    const tensorflow::serving::ModelSpec& spec) const {
  const Routes& routes = CurrentRoutes();
  auto mit = routes.models.find(spec.name());
  if (mit == routes.models.end()) return nullptr;
  const Routes::Model& m = mit->second;
  std::optional<int64_t> version;
  if (spec.has_version()) version = spec.version().value();
  if (!spec.version_label().empty()) {
    auto lit = m.labels.find(spec.version_label());
    if (lit == m.labels.end()) return nullptr;
    version = lit->second;
  }
  if (version) {
    auto vit = m.versions.find(*version);
    return vit == m.versions.end() ? nullptr : vit->second.lock();
  }
  // Latest: the newest version in the snapshot; if it was unloaded since (a newer one
  // became available meanwhile), the caller asks the manager itself.
  return m.versions.empty() ? nullptr : m.versions.rbegin()->second.lock();
}

absl::StatusOr<std::shared_ptr<const Servable>> ServableManager::GetServable(
    const tensorflow::serving::ModelSpec& spec) const {
  // Every request: the thread's routing snapshot, no lock. Misses (unknown names, versions
  // or labels, and versions unloaded since the snapshot) are resolved under the lock.
  if (std::shared_ptr<const Servable> s = FromRoutes(spec)) return s;
  absl::ReaderMutexLock l(&mu_);
  auto mit = models_.find(spec.name());
  std::optional<int64_t> version;
  if (spec.has_version()) version = spec.version().value();
  if (!spec.version_label().empty()) {
    const int64_t* labelled = nullptr;
    if (mit != models_.end()) {
      auto lit = mit->second.labels.find(spec.version_label());
      if (lit != mit->second.labels.end()) labelled = &lit->second;
    }
    if (labelled == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("Unrecognized servable version label: ", EchoText(spec.version_label())));
    }
    version = *labelled;
  }
  auto not_found = [&] {
    tensorflow::serving::ModelSpec resolved;
    resolved.set_name(spec.name());
    if (version) resolved.mutable_version()->set_value(*version);
    return absl::NotFoundError(
        absl::StrCat("Servable not found for request: ", ServableRequestText(resolved)));
  };
  if (mit == models_.end()) return not_found();
  const auto& versions = mit->second.versions;
  if (version) {
    auto vit = versions.find(*version);
    if (vit == versions.end() || !vit->second.servable) return not_found();
    return vit->second.servable;
  }
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    if (it->second.servable) return it->second.servable;
  }
  return not_found();
}

absl::Status ServableManager::GetModelStatus(
    const tensorflow::serving::GetModelStatusRequest& request,
    tensorflow::serving::GetModelStatusResponse* response) const {
  if (!request.has_model_spec()) return absl::InvalidArgumentError("Missing ModelSpec");
  const auto& spec = request.model_spec();
  absl::MutexLock l(&mu_);
  auto mit = models_.find(spec.name());
  std::optional<int64_t> version;
  if (spec.has_version()) version = spec.version().value();
  if (!spec.version_label().empty()) {
    if (mit == models_.end() || !mit->second.labels.count(spec.version_label())) {
      return absl::InvalidArgumentError(
          absl::StrCat("Unrecognized servable version label: ", EchoText(spec.version_label())));
    }
    version = mit->second.labels.at(spec.version_label());
  }
  if (mit != models_.end() && mit->second.versions.empty() && !mit->second.base_path_status.ok()) {
    // The base path cannot be listed (missing, access denied, S3 errors): say why.
    const absl::Status& why = mit->second.base_path_status;
    return absl::Status(why.code(), absl::StrCat("Could not find any versions of model ",
                                                 EchoText(spec.name()), ": ", why.message()));
  }
  if (mit == models_.end() || mit->second.versions.empty()) {
    return absl::NotFoundError(
        absl::StrCat("Could not find any versions of model ", EchoText(spec.name())));
  }
  auto add = [&](int64_t v, const VersionState& vs) {
    auto* s = response->add_model_version_status();
    s->set_version(v);
    s->set_state(vs.state);
    s->mutable_status()->set_error_code(
        static_cast<tensorflow::error::Code>(static_cast<int>(vs.status.code())));
    s->mutable_status()->set_error_message(std::string(vs.status.message()));
  };
  if (version) {
    auto vit = mit->second.versions.find(*version);
    if (vit == mit->second.versions.end()) {
      return absl::NotFoundError(
          absl::StrCat("Could not find version ", *version, " of model ", EchoText(spec.name())));
    }
    add(vit->first, vit->second);
    return absl::OkStatus();
  }
  // Newest first, as TF Serving's state monitor orders versions.
  for (auto it = mit->second.versions.rbegin(); it != mit->second.versions.rend(); ++it) {
    add(it->first, it->second);
  }
  return absl::OkStatus();
}

}  // namespace tfmodel::serving
