#include "serving/metrics.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace tfmodel::serving {
namespace {

std::string Escape(const std::string& v) {
  return absl::StrReplaceAll(v, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}});
}

}  // namespace

void Metrics::RecordRequest(absl::string_view model, absl::string_view api,
                            absl::string_view entrypoint, absl::string_view status,
                            int64_t latency_us) {
  const std::tuple<absl::string_view, absl::string_view> count_key(model, status);
  const std::tuple<absl::string_view, absl::string_view, absl::string_view> latency_key(model, api,
                                                                                        entrypoint);
  absl::MutexLock l(&mu_);
  auto c = request_count_.find(count_key);
  if (c == request_count_.end()) {
    c = request_count_.emplace(std::tuple<std::string, std::string>(model, status), 0).first;
  }
  ++c->second;
  auto h = latency_.find(latency_key);
  if (h == latency_.end()) {
    h = latency_
            .emplace(std::tuple<std::string, std::string, std::string>(model, api, entrypoint),
                     Histogram())
            .first;
  }
  h->second.Add(kBuckets, static_cast<double>(latency_us));
}

void Metrics::RecordBatch(const std::string& model, int64_t processed_size, int64_t padding_size) {
  absl::MutexLock l(&mu_);
  batch_size_[model].Add(kBatchBuckets, static_cast<double>(processed_size));
  padding_size_[model].Add(kBatchBuckets, static_cast<double>(padding_size));
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
                    "\",status=\"", Escape(std::get<1>(k)), "\"} ", v, "\n");
  }
  out += "# TYPE :tensorflow:serving:request_latency histogram\n";
  for (const auto& [k, h] : latency_) {
    const std::string labels =
        absl::StrCat("model_name=\"", Escape(std::get<0>(k)), "\",API=\"", Escape(std::get<1>(k)),
                     "\",entrypoint=\"", Escape(std::get<2>(k)), "\"");
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      absl::StrAppend(&out, ":tensorflow:serving:request_latency_bucket{", labels, ",le=\"",
                      kBuckets[i], "\"} ", h.counts[i], "\n");
    }
    absl::StrAppend(&out, ":tensorflow:serving:request_latency_bucket{", labels, ",le=\"+Inf\"} ",
                    h.count, "\n");
    absl::StrAppend(&out, ":tensorflow:serving:request_latency_sum{", labels, "} ", h.sum, "\n");
    absl::StrAppend(&out, ":tensorflow:serving:request_latency_count{", labels, "} ", h.count,
                    "\n");
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
      const std::string labels = absl::StrCat("model_name=\"", Escape(model), "\"");
      for (size_t i = 0; i < kBatchBuckets.size(); ++i) {
        absl::StrAppend(&out, name, "_bucket{", labels, ",le=\"", kBatchBuckets[i], "\"} ",
                        h.counts[i], "\n");
      }
      absl::StrAppend(&out, name, "_bucket{", labels, ",le=\"+Inf\"} ", h.count, "\n");
      absl::StrAppend(&out, name, "_sum{", labels, "} ", h.sum, "\n");
      absl::StrAppend(&out, name, "_count{", labels, "} ", h.count, "\n");
    }
  };
  batch_histograms(":tensorflow:serving:batching_session:processed_batch_size", batch_size_);
  batch_histograms(":tensorflow:serving:batching_session:padding_size", padding_size_);
  return out;
}

}  // namespace tfmodel::serving
