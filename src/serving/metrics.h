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
  struct Histogram {
    std::array<int64_t, 16> counts{};
    int64_t count = 0;
    double sum = 0;
    template <size_t N>
    void Add(const std::array<double, N>& buckets, double v) {
      static_assert(N <= 16);
      for (size_t i = 0; i < buckets.size(); ++i) {
        if (v <= buckets[i]) ++counts[i];
      }
      ++count;
      sum += v;
    }
  };
  mutable absl::Mutex mu_;
  // Transparent comparators: a request looks its series up without building key strings.
  std::map<std::tuple<std::string, std::string>, int64_t, std::less<>> request_count_
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
