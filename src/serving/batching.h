// Server-side request batching, as TF Serving's --enable_batching does it (BatchingSession
// over a SharedBatchScheduler): concurrent runs of the same servable, signature and output
// set are queued, merged along dimension 0 into one run, and the outputs are split back.
//
//  - One BatchScheduler per server owns `num_batch_threads` threads shared by all queues.
//  - A BatchingRunner per servable owns its queues, one per (signature, outputs, input
//    dtypes and non-batch dimensions); runs whose inputs would not concatenate go to
//    different queues instead of failing each other. With pad_variable_length_inputs the
//    non-batch dimensions are padded to the largest in the batch (rank must still agree).
//  - A queue holds batches of up to max_batch_size rows; at most max_enqueued_batches
//    (the open one included) wait. A batch runs once full, once batch_timeout_micros has
//    passed since its first task arrived, or (timeout 0) as soon as a thread is free.
//  - Batches are padded up to the next allowed_batch_sizes entry with copies of the first
//    row of the last task (TF Serving's choice); the padding rows' outputs are dropped.
// Nothing here parses or plans: the merged tensors go straight to the precompiled plan.
#ifndef TFMODEL_SERVING_BATCHING_H_
#define TFMODEL_SERVING_BATCHING_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "core/tensor.h"
#include "serving/metrics.h"
#include "tensorflow_serving/servables/tensorflow/session_bundle_config.pb.h"

namespace tfmodel::serving {

struct BatchingOptions {
  // Defaults are TF's SharedBatchScheduler / TF Serving ones for unset fields.
  int64_t max_batch_size = 1000;
  int64_t batch_timeout_micros = 0;
  int64_t max_enqueued_batches = 10;
  int64_t num_batch_threads = 0;  // 0 = number of CPUs
  std::vector<int64_t> allowed_batch_sizes;
  bool pad_variable_length_inputs = false;
};

// Reads and checks BatchingParameters (TF Serving's validation messages).
absl::StatusOr<BatchingOptions> BatchingOptionsFromProto(
    const tensorflow::serving::BatchingParameters& params);

// Smallest allowed batch size >= n (n itself when the list is empty or too short).
int64_t RoundToAllowedBatchSize(const std::vector<int64_t>& allowed, int64_t n);

using TensorMap = std::map<std::string, Tensor>;
// Runs one merged batch (the servable's precompiled signature plan).
using BatchRunFn = std::function<absl::StatusOr<TensorMap>(const TensorMap& inputs)>;

class BatchQueue;

class BatchScheduler {
 public:
  // `metrics` (optional) receives processed batch sizes by model name.
  static absl::StatusOr<std::unique_ptr<BatchScheduler>> Create(const BatchingOptions& options,
                                                                Metrics* metrics = nullptr);
  ~BatchScheduler();
  BatchScheduler(const BatchScheduler&) = delete;
  BatchScheduler& operator=(const BatchScheduler&) = delete;

  const BatchingOptions& options() const { return options_; }

  // Queues are created by BatchingRunner.
  std::shared_ptr<BatchQueue> AddQueue(std::string model_name, BatchRunFn run);
  void RemoveQueue(const BatchQueue* queue);

 private:
  friend class BatchQueue;
  BatchScheduler(const BatchingOptions& options, Metrics* metrics);
  void ThreadLoop();
  // A queue with a batch ready to run now, round-robin; sets *wait to the time until the
  // next batch becomes ready otherwise.
  std::shared_ptr<BatchQueue> NextReadyQueue(absl::Time now, absl::Duration* wait)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  BatchingOptions options_;
  Metrics* metrics_;
  absl::Mutex mu_;
  absl::CondVar cv_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::shared_ptr<BatchQueue>> queues_ ABSL_GUARDED_BY(mu_);
  size_t next_queue_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::thread> threads_;
};

// One servable's queues. Run() blocks the caller until its rows come back.
class BatchingRunner {
 public:
  explicit BatchingRunner(BatchScheduler* scheduler, std::string model_name)
      : scheduler_(scheduler), model_name_(std::move(model_name)) {}
  ~BatchingRunner();
  BatchingRunner(const BatchingRunner&) = delete;
  BatchingRunner& operator=(const BatchingRunner&) = delete;

  // Runs `inputs` batched with concurrent calls that have the same `queue_key` (the caller's
  // identity of signature + outputs) and compatible inputs. `run` executes a merged batch;
  // it must be the same function for every call with that key.
  absl::StatusOr<TensorMap> Run(const std::string& queue_key, const TensorMap& inputs,
                                const BatchRunFn& run);

 private:
  BatchScheduler* scheduler_;
  std::string model_name_;
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<BatchQueue>> queues_ ABSL_GUARDED_BY(mu_);
};

// Internals, exposed for the scheduler and tests.
struct BatchTask {
  const TensorMap* inputs = nullptr;
  int64_t size = 0;  // rows (dimension 0)
  absl::Time enqueued;
  absl::Notification done;
  absl::Status status;
  TensorMap outputs;
};

class BatchQueue {
 public:
  BatchQueue(BatchScheduler* scheduler, std::string model_name, BatchRunFn run)
      : scheduler_(scheduler), model_name_(std::move(model_name)), run_(std::move(run)) {}

  // Adds a task or fails (queue full, task too large). Caller holds no scheduler lock.
  absl::Status Schedule(BatchTask* task);

 private:
  friend class BatchScheduler;
  struct Batch {
    std::vector<BatchTask*> tasks;
    int64_t size = 0;
    absl::Time start;
  };
  // Under the scheduler's lock.
  bool Ready(absl::Time now, absl::Duration* wait) const;
  void ProcessBatch(Batch batch);

  BatchScheduler* scheduler_;
  std::string model_name_;
  BatchRunFn run_;
  std::deque<Batch> batches_;  // guarded by scheduler_->mu_
};

// Merges the tasks' inputs along dimension 0 (padding non-batch dimensions when asked, and
// the batch up to `padded_size` rows); then splits outputs back. Exposed for tests.
absl::StatusOr<TensorMap> MergeBatchInputs(const std::vector<const TensorMap*>& inputs,
                                           int64_t padded_size, bool pad_variable_length);
absl::StatusOr<std::vector<TensorMap>> SplitBatchOutputs(const TensorMap& outputs,
                                                         const std::vector<int64_t>& sizes,
                                                         int64_t padded_size);

}  // namespace tfmodel::serving

#endif  // TFMODEL_SERVING_BATCHING_H_
