#include "serving/metrics.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace tfmodel::serving {
namespace {

std::string Escape(const std::string& v) {
  return absl::StrReplaceAll(v, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}});
}

}  // namespace

template <size_t N>
void Metrics::AppendHistogram(absl::string_view name, absl::string_view labels,
                              const std::array<double, N>& buckets, const Histogram& h,
                              std::string* out) {
  // Cumulative, as Prometheus wants; +Inf and _count are the same total so they agree
  // even while requests are being recorded.
  int64_t total = 0;
  for (size_t i = 0; i < N; ++i) {
    total += h.counts[i].load(std::memory_order_relaxed);
    absl::StrAppend(out, name, "_bucket{", labels, ",le=\"", buckets[i], "\"} ", total, "\n");
  }
  total += h.counts[N].load(std::memory_order_relaxed);
  absl::StrAppend(out, name, "_bucket{", labels, ",le=\"+Inf\"} ", total, "\n");
  absl::StrAppend(out, name, "_sum{", labels, "} ", h.sum.load(std::memory_order_relaxed), "\n");
  absl::StrAppend(out, name, "_count{", labels, "} ", total, "\n");
}

uint64_t Metrics::NextId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

Metrics::RequestSeries Metrics::FindOrAddRequestSeries(absl::string_view model,
                                                       absl::string_view api,
                                                       absl::string_view entrypoint,
                                                       absl::string_view status) {
  const std::tuple<absl::string_view, absl::string_view> count_key(model, status);
  const std::tuple<absl::string_view, absl::string_view, absl::string_view> latency_key(model, api,
                                                                                        entrypoint);
  absl::MutexLock l(&mu_);
  auto c = request_count_.find(count_key);
  if (c == request_count_.end()) {
    c = request_count_.try_emplace(std::tuple<std::string, std::string>(model, status), 0).first;
  }
  auto h = latency_.find(latency_key);
  if (h == latency_.end()) {
    h = latency_
            .try_emplace(std::tuple<std::string, std::string, std::string>(model, api, entrypoint))
            .first;
  }
  return RequestSeries{&c->second, &h->second};
}

void Metrics::RecordRequest(absl::string_view model, absl::string_view api,
                            absl::string_view entrypoint, absl::string_view status,
                            int64_t latency_us) {
  // Each thread remembers the series it updated (a handful: models x APIs x statuses), so a
  // request takes no lock.
  struct Cached {
    std::string model, api, entrypoint, status;
    RequestSeries series;
  };
  thread_local uint64_t cache_owner = 0;
  thread_local std::vector<Cached> cache;
  if (cache_owner != id_) {
    cache.clear();
    cache_owner = id_;
  }
  const RequestSeries* series = nullptr;
  for (const Cached& e : cache) {
    if (e.model == model && e.status == status && e.api == api && e.entrypoint == entrypoint) {
      series = &e.series;
      break;
    }
  }
  if (series == nullptr) {
    if (cache.size() >= 64) cache.clear();  // bounded: many distinct models or statuses
    cache.push_back(Cached{std::string(model), std::string(api), std::string(entrypoint),
                           std::string(status),
                           FindOrAddRequestSeries(model, api, entrypoint, status)});
    series = &cache.back().series;
  }
  series->count->fetch_add(1, std::memory_order_relaxed);
  series->latency->Add(kBuckets, latency_us);
}

void Metrics::RecordBatch(const std::string& model, int64_t processed_size, int64_t padding_size) {
  absl::MutexLock l(&mu_);
  batch_size_[model].Add(kBatchBuckets, processed_size);
  padding_size_[model].Add(kBatchBuckets, padding_size);
}

void Metrics::RecordLoad(const std::string& model_path, bool ok, int64_t latency_us) {
  absl::MutexLock l(&mu_);
  ++load_count_[{model_path, ok ? "success" : "failure"}];
  if (ok) load_latency_[model_path] += latency_us;
}

std::string Metrics::PrometheusText() const {
  absl::MutexLock l(&mu_);
  std::string out;
  out += "# TYPE :tensorflow:serving:request_count counter\n";
  for (const auto& [k, v] : request_count_) {
    absl::StrAppend(&out, ":tensorflow:serving:request_count{model_name=\"", Escape(std::get<0>(k)),
                    "\",status=\"", Escape(std::get<1>(k)), "\"} ",
                    v.load(std::memory_order_relaxed), "\n");
  }
  out += "# TYPE :tensorflow:serving:request_latency histogram\n";
  for (const auto& [k, h] : latency_) {
    const std::string labels =
        absl::StrCat("model_name=\"", Escape(std::get<0>(k)), "\",API=\"", Escape(std::get<1>(k)),
                     "\",entrypoint=\"", Escape(std::get<2>(k)), "\"");
    AppendHistogram(":tensorflow:serving:request_latency", labels, kBuckets, h, &out);
  }
  out += "# TYPE :tensorflow:cc:saved_model:load_attempt_count counter\n";
  for (const auto& [k, v] : load_count_) {
    absl::StrAppend(&out, ":tensorflow:cc:saved_model:load_attempt_count{model_path=\"",
                    Escape(std::get<0>(k)), "\",status=\"", std::get<1>(k), "\"} ", v, "\n");
  }
  out += "# TYPE :tensorflow:cc:saved_model:load_latency counter\n";
  for (const auto& [k, v] : load_latency_) {
    absl::StrAppend(&out, ":tensorflow:cc:saved_model:load_latency{model_path=\"", Escape(k),
                    "\"} ", v, "\n");
  }
  auto batch_histograms = [&](const char* name, const std::map<std::string, Histogram>& m) {
    if (m.empty()) return;
    absl::StrAppend(&out, "# TYPE ", name, " histogram\n");
    for (const auto& [model, h] : m) {
      AppendHistogram(name, absl::StrCat("model_name=\"", Escape(model), "\""), kBatchBuckets, h,
                      &out);
    }
  };
  batch_histograms(":tensorflow:serving:batching_session:processed_batch_size", batch_size_);
  batch_histograms(":tensorflow:serving:batching_session:padding_size", padding_size_);
  return out;
}

}  // namespace tfmodel::serving
