// Server metrics exported in Prometheus text format (TF Serving's metric names):
//   :tensorflow:serving:request_count{model_name,status}            counter
//   :tensorflow:serving:request_latency{model_name,API,entrypoint}  histogram (microseconds)
//   :tensorflow:cc:saved_model:load_attempt_count{model_path,status} counter
//   :tensorflow:cc:saved_model:load_latency{model_path}             counter (microseconds)
// and, with --enable_batching (TF's batching metric names):
//   :tensorflow:serving:batching_session:processed_batch_size{model_name} histogram (rows,
//       after padding to allowed_batch_sizes)
//   :tensorflow:serving:batching_session:padding_size{model_name}         histogram (rows)
#ifndef TFMODEL_SERVING_METRICS_H_
#define TFMODEL_SERVING_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace tfmodel::serving {

class Metrics {
 public:
  // api: "predict", "classify", "regress", "multi_inference", "get_model_metadata",
  // "get_model_status"; entrypoint: "REST" or "GRPC"; status: absl code name ("OK", ...).
  void RecordRequest(absl::string_view model, absl::string_view api, absl::string_view entrypoint,
                     absl::string_view status, int64_t latency_us);
  void RecordLoad(const std::string& model_path, bool ok, int64_t latency_us);
  // One batch run by the batch scheduler: its size after padding, and the padding rows.
  void RecordBatch(const std::string& model, int64_t processed_size, int64_t padding_size);

  std::string PrometheusText() const;

  // Histogram bucket upper bounds (microseconds).
  static constexpr std::array<double, 12> kBuckets = {100,   250,   500,   1000,   2500,   5000,
                                                      10000, 25000, 50000, 100000, 250000, 1000000};

  // Batch size bucket upper bounds (rows): TF's exponential buckets 1, 2, ..., 2^13.
  static constexpr std::array<double, 14> kBatchBuckets = {1,   2,   4,   8,    16,   32,   64,
                                                           128, 256, 512, 1024, 2048, 4096, 8192};

 private:
  // Bucket counts are kept per bucket (not cumulative) and summed when exported, so an
  // observation is three atomic adds; series are never removed, so pointers to them stay
  // valid for the life of the Metrics object.
  struct Histogram {
    std::array<std::atomic<int64_t>, 16> counts{};  // counts[i]: bucket i; [N]: above all
    std::atomic<int64_t> count{0};
    std::atomic<int64_t> sum{0};  // observations are whole microseconds or rows
    template <size_t N>
    void Add(const std::array<double, N>& buckets, int64_t v) {
      static_assert(N < 16);
      size_t i = 0;
      while (i<N&& static_cast<double>(v)> buckets[i]) ++i;
      counts[i].fetch_add(1, std::memory_order_relaxed);
      count.fetch_add(1, std::memory_order_relaxed);
      sum.fetch_add(v, std::memory_order_relaxed);
    }
  };
  // The series one request updates.
  struct RequestSeries {
    std::atomic<int64_t>* count;
    Histogram* latency;
  };
  template <size_t N>
  static void AppendHistogram(absl::string_view name, absl::string_view labels,
                              const std::array<double, N>& buckets, const Histogram& h,
                              std::string* out);
  RequestSeries FindOrAddRequestSeries(absl::string_view model, absl::string_view api,
                                       absl::string_view entrypoint, absl::string_view status);

  const uint64_t id_ = NextId();  // for each thread's cache of series pointers
  static uint64_t NextId();
  mutable absl::Mutex mu_;
  // Transparent comparators: series are looked up without building key strings.
  std::map<std::tuple<std::string, std::string>, std::atomic<int64_t>, std::less<>> request_count_
      ABSL_GUARDED_BY(mu_);
  std::map<std::tuple<std::string, std::string, std::string>, Histogram, std::less<>> latency_
      ABSL_GUARDED_BY(mu_);
  std::map<std::tuple<std::string, std::string>, int64_t> load_count_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> load_latency_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Histogram> batch_size_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Histogram> padding_size_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tfmodel::serving

#endif  // TFMODEL_SERVING_METRICS_H_
