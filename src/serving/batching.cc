#include "serving/batching.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "core/status.h"

namespace tfmodel::serving {
namespace {

constexpr size_t kMaxQueuesPerServable = 256;

int64_t DefaultThreads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int64_t>(n);
}

// Copies `src` (rank r, dimension 0 = rows) into `dst` at row `row0`; dst's non-batch
// dimensions may be larger (variable-length padding); dst must be pre-filled.
template <typename T>
void CopyPadded(const Tensor& src, Tensor* dst, int64_t row0) {
  const int r = src.rank();
  const T* s = src.data<T>();
  T* d = dst->data<T>();
  // Strides of dst.
  std::vector<int64_t> dstride(r, 1), idx(r, 0);
  for (int i = r - 2; i >= 0; --i) dstride[i] = dstride[i + 1] * dst->dim(i + 1);
  const int64_t inner = r == 0 ? 1 : src.dim(r - 1);
  const int64_t n = src.NumElements();
  if (n == 0) return;
  for (int64_t off = 0; off < n; off += inner) {
    int64_t doff = row0 * dstride[0];
    for (int i = 0; i < r - 1; ++i) doff += idx[i] * dstride[i];
    std::copy(s + off, s + off + inner, d + doff);
    // Advance the index over dimensions 0..r-2.
    for (int i = r - 2; i >= 0; --i) {
      if (++idx[i] < src.dim(i)) break;
      idx[i] = 0;
    }
  }
}

// Calls fn.template operator()<T>() with a copyable element type of the same size for
// every dtype whose rows can be merged (all fixed-size types, by bytes, and strings).
template <typename Fn>
absl::Status DispatchCopyable(DType dtype, Fn&& fn) {
  if (dtype == DType::kString) {
    fn.template operator()<std::string>();
    return absl::OkStatus();
  }
  if (!DTypeIsPod(dtype)) {
    return absl::UnimplementedError(
        absl::StrCat("Batching does not support tensors of type ", DTypeName(dtype)));
  }
  switch (DTypeSize(dtype)) {
    case 1:
      fn.template operator()<uint8_t>();
      break;
    case 2:
      fn.template operator()<uint16_t>();
      break;
    case 4:
      fn.template operator()<uint32_t>();
      break;
    case 8:
      fn.template operator()<uint64_t>();
      break;
    case 16:
      fn.template operator()<std::pair<uint64_t, uint64_t>>();
      break;
    default:
      return absl::UnimplementedError(
          absl::StrCat("Batching does not support tensors of type ", DTypeName(dtype)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<BatchingOptions> BatchingOptionsFromProto(
    const tensorflow::serving::BatchingParameters& p) {
  BatchingOptions o;
  if (p.has_max_batch_size()) o.max_batch_size = p.max_batch_size().value();
  if (p.has_batch_timeout_micros()) o.batch_timeout_micros = p.batch_timeout_micros().value();
  if (p.has_max_enqueued_batches()) o.max_enqueued_batches = p.max_enqueued_batches().value();
  if (p.has_num_batch_threads()) o.num_batch_threads = p.num_batch_threads().value();
  o.allowed_batch_sizes.assign(p.allowed_batch_sizes().begin(), p.allowed_batch_sizes().end());
  o.pad_variable_length_inputs = p.pad_variable_length_inputs();
  if (p.has_enable_large_batch_splitting() && p.enable_large_batch_splitting().value()) {
    return absl::UnimplementedError(
        "BatchingParameters.enable_large_batch_splitting is not supported by tfmodel");
  }
  if (o.max_batch_size <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_batch_size must be positive; was ", o.max_batch_size));
  }
  if (o.batch_timeout_micros < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch_timeout_micros must be non-negative; was ", o.batch_timeout_micros));
  }
  if (o.max_enqueued_batches <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_enqueued_batches must be positive; was ", o.max_enqueued_batches));
  }
  if (o.num_batch_threads < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("num_batch_threads must be positive; was ", o.num_batch_threads));
  }
  if (o.num_batch_threads == 0) o.num_batch_threads = DefaultThreads();
  int64_t last = 0;
  for (int64_t size : o.allowed_batch_sizes) {
    if (size <= last) {
      return absl::InvalidArgumentError(
          "allowed_batch_sizes entries must be monotonically increasing");
    }
    last = size;
  }
  if (!o.allowed_batch_sizes.empty() && last != o.max_batch_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("Last entry in allowed_batch_sizes must match max_batch_size; last entry was ",
                     last, "; expected ", o.max_batch_size));
  }
  return o;
}

int64_t RoundToAllowedBatchSize(const std::vector<int64_t>& allowed, int64_t n) {
  for (int64_t size : allowed) {
    if (size >= n) return size;
  }
  return n;
}

absl::StatusOr<TensorMap> MergeBatchInputs(const std::vector<const TensorMap*>& inputs,
                                           int64_t padded_size, bool pad_variable_length) {
  if (inputs.empty()) return absl::InternalError("Batch size expected to be positive; was 0");
  TensorMap merged;
  for (const auto& [alias, first] : *inputs.front()) {
    // Merged shape: rows summed; other dimensions equal or (padding) the largest.
    TensorShape shape = first.shape();
    int64_t rows = 0;
    for (const TensorMap* in : inputs) {
      auto it = in->find(alias);
      if (it == in->end()) {
        return absl::InternalError("One or more tasks does not conform to batch signature");
      }
      const Tensor& t = it->second;
      if (t.dtype() != first.dtype() || t.rank() != first.rank() || t.rank() == 0) {
        return absl::InternalError("One or more tasks does not conform to batch signature");
      }
      for (int d = 1; d < t.rank(); ++d) {
        if (t.dim(d) != shape.dim(d)) {
          if (!pad_variable_length) {
            return absl::FailedPreconditionError(absl::StrCat(
                "Tensors with name '", alias,
                "' from different tasks have different shapes and padding is turned off."
                "Set pad_variable_length_inputs to true, or ensure that all tensors with the "
                "same name have equal dimensions starting with the first dim."));
          }
          shape.set_dim(d, std::max(shape.dim(d), t.dim(d)));
        }
      }
      rows += t.dim(0);
    }
    if (padded_size < rows) {
      return absl::InternalError(absl::StrCat("Padded batch size ", padded_size,
                                              " is smaller than the batch (", rows, " rows)"));
    }
    shape.set_dim(0, padded_size);
    TFM_ASSIGN_OR_RETURN(Tensor out, Tensor::Create(first.dtype(), shape));
    // Clang before 16 rejects capturing a structured binding in a lambda.
    const std::string& name = alias;
    absl::Status copy_status = DispatchCopyable(first.dtype(), [&]<typename T>() {
      T* d = out.data<T>();
      const int64_t row_elems = shape.dim(0) == 0 ? 0 : out.NumElements() / shape.dim(0);
      int64_t row = 0;
      for (const TensorMap* in : inputs) {
        const Tensor& t = in->at(name);
        const bool same_inner = t.NumElements() == t.dim(0) * row_elems;
        if (same_inner) {
          std::copy(t.data<T>(), t.data<T>() + t.NumElements(), d + row * row_elems);
        } else {
          // Variable-length padding value: the tensor's first element (TF Serving's
          // batching_util PadTensor); a tensor without elements pads with T{}.
          const T pad = t.NumElements() > 0 ? t.data<T>()[0] : T{};
          std::fill(d + row * row_elems, d + (row + t.dim(0)) * row_elems, pad);
          CopyPadded<T>(t, &out, row);
        }
        row += t.dim(0);
      }
      // Batch padding: copies of the first row of the last task.
      const int64_t last_first_row = row - inputs.back()->at(name).dim(0);
      for (; row < padded_size; ++row) {
        std::copy(d + last_first_row * row_elems, d + (last_first_row + 1) * row_elems,
                  d + row * row_elems);
      }
    });
    TFM_RETURN_IF_ERROR(copy_status);
    merged.emplace(alias, std::move(out));
  }
  return merged;
}

absl::StatusOr<std::vector<TensorMap>> SplitBatchOutputs(const TensorMap& outputs,
                                                         const std::vector<int64_t>& sizes,
                                                         int64_t padded_size) {
  std::vector<TensorMap> split(sizes.size());
  for (const auto& [alias, t] : outputs) {
    if (t.rank() == 0) {
      return absl::FailedPreconditionError("Batched output tensor has 0 dimensions");
    }
    if (t.dim(0) != padded_size) {
      return absl::FailedPreconditionError(
          "Batched output tensor's 0th dimension does not equal the sum of the 0th dimension "
          "sizes of the input tensors");
    }
    int64_t row = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
      // A slice shares the batch's buffer; the task owns a reference to it.
      split[i].emplace(alias, t.Slice(row, row + sizes[i]));
      row += sizes[i];
    }
  }
  return split;
}

// ---------------------------------------------------------------------------------------
// BatchScheduler

BatchScheduler::BatchScheduler(const BatchingOptions& options, Metrics* metrics)
    : options_(options), metrics_(metrics) {}

absl::StatusOr<std::unique_ptr<BatchScheduler>> BatchScheduler::Create(
    const BatchingOptions& options, Metrics* metrics) {
  BatchingOptions o = options;
  if (o.num_batch_threads <= 0) o.num_batch_threads = DefaultThreads();
  if (o.max_batch_size <= 0 || o.max_enqueued_batches <= 0 || o.batch_timeout_micros < 0) {
    return absl::InvalidArgumentError("Bad batching options");
  }
  std::unique_ptr<BatchScheduler> s(new BatchScheduler(o, metrics));
  for (int64_t i = 0; i < o.num_batch_threads; ++i) {
    s->threads_.emplace_back([p = s.get()] { p->ThreadLoop(); });
  }
  return s;
}

BatchScheduler::~BatchScheduler() {
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
    cv_.SignalAll();
  }
  for (auto& t : threads_) t.join();
  // Tasks still queued (no runner should exist any more) are failed, never left hanging.
  absl::MutexLock l(&mu_);
  for (auto& q : queues_) {
    for (auto& b : q->batches_) {
      for (BatchTask* t : b.tasks) {
        t->status = absl::UnavailableError("Batch scheduler is shutting down");
        t->done.Notify();
      }
    }
    q->batches_.clear();
  }
}

std::shared_ptr<BatchQueue> BatchScheduler::AddQueue(std::string model_name, BatchRunFn run) {
  auto q = std::make_shared<BatchQueue>(this, std::move(model_name), std::move(run));
  absl::MutexLock l(&mu_);
  q->batches_.emplace_back();  // the open batch
  queues_.push_back(q);
  return q;
}

void BatchScheduler::RemoveQueue(const BatchQueue* queue) {
  absl::MutexLock l(&mu_);
  for (auto it = queues_.begin(); it != queues_.end(); ++it) {
    if (it->get() == queue) {
      queues_.erase(it);
      break;
    }
  }
  if (next_queue_ >= queues_.size()) next_queue_ = 0;
}

std::shared_ptr<BatchQueue> BatchScheduler::NextReadyQueue(absl::Time now, absl::Duration* wait) {
  *wait = absl::InfiniteDuration();
  for (size_t i = 0; i < queues_.size(); ++i) {
    const size_t k = (next_queue_ + i) % queues_.size();
    absl::Duration w;
    if (queues_[k]->Ready(now, &w)) {
      next_queue_ = (k + 1) % queues_.size();
      return queues_[k];
    }
    *wait = std::min(*wait, w);
  }
  return nullptr;
}

void BatchScheduler::ThreadLoop() {
  while (true) {
    std::shared_ptr<BatchQueue> queue;
    BatchQueue::Batch batch;
    {
      absl::MutexLock l(&mu_);
      while (true) {
        if (stop_) return;
        absl::Duration wait;
        queue = NextReadyQueue(absl::Now(), &wait);
        if (queue) break;
        if (wait == absl::InfiniteDuration()) {
          cv_.Wait(&mu_);
        } else {
          cv_.WaitWithTimeout(&mu_, wait);
        }
      }
      batch = std::move(queue->batches_.front());
      queue->batches_.pop_front();
      if (queue->batches_.empty()) queue->batches_.emplace_back();
    }
    queue->ProcessBatch(std::move(batch));
  }
}

// ---------------------------------------------------------------------------------------
// BatchQueue

absl::Status BatchQueue::Schedule(BatchTask* task) {
  const BatchingOptions& o = scheduler_->options_;
  if (task->size > o.max_batch_size) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "Task size %d is larger than maximum input batch size %d", task->size, o.max_batch_size));
  }
  absl::MutexLock l(&scheduler_->mu_);
  if (scheduler_->stop_) return absl::UnavailableError("Batch scheduler is shutting down");
  if (batches_.empty()) batches_.emplace_back();
  if (batches_.back().size + task->size > o.max_batch_size) {
    if (static_cast<int64_t>(batches_.size()) >= o.max_enqueued_batches) {
      return absl::UnavailableError(
          "The batch scheduling queue to which this task was submitted is full");
    }
    batches_.emplace_back();
  }
  Batch& open = batches_.back();
  if (open.tasks.empty()) open.start = task->enqueued;
  open.tasks.push_back(task);
  open.size += task->size;
  scheduler_->cv_.Signal();
  return absl::OkStatus();
}

bool BatchQueue::Ready(absl::Time now, absl::Duration* wait) const {
  *wait = absl::InfiniteDuration();
  if (batches_.empty() || batches_.front().tasks.empty()) return false;
  const Batch& b = batches_.front();
  const BatchingOptions& o = scheduler_->options_;
  // Closed (a newer batch exists), full, or timed out.
  if (batches_.size() > 1 || b.size >= o.max_batch_size) return true;
  const absl::Time due = b.start + absl::Microseconds(o.batch_timeout_micros);
  if (now >= due) return true;
  *wait = due - now;
  return false;
}

void BatchQueue::ProcessBatch(Batch batch) {
  const BatchingOptions& o = scheduler_->options_;
  const int64_t padded = RoundToAllowedBatchSize(o.allowed_batch_sizes, batch.size);
  std::vector<const TensorMap*> inputs;
  std::vector<int64_t> sizes;
  for (BatchTask* t : batch.tasks) {
    inputs.push_back(t->inputs);
    sizes.push_back(t->size);
  }
  absl::StatusOr<std::vector<TensorMap>> split = [&]() -> absl::StatusOr<std::vector<TensorMap>> {
    TFM_ASSIGN_OR_RETURN(TensorMap merged,
                         MergeBatchInputs(inputs, padded, o.pad_variable_length_inputs));
    TFM_ASSIGN_OR_RETURN(TensorMap outputs, run_(merged));
    return SplitBatchOutputs(outputs, sizes, padded);
  }();
  if (scheduler_->metrics_) {
    scheduler_->metrics_->RecordBatch(model_name_, padded, padded - batch.size);
  }
  for (size_t i = 0; i < batch.tasks.size(); ++i) {
    BatchTask* t = batch.tasks[i];
    if (split.ok()) {
      t->outputs = std::move((*split)[i]);
    } else {
      t->status = split.status();
    }
    t->done.Notify();  // the task (on the caller's stack) may be gone after this
  }
}

// ---------------------------------------------------------------------------------------
// BatchingRunner

BatchingRunner::~BatchingRunner() {
  absl::MutexLock l(&mu_);
  for (auto& [key, q] : queues_) scheduler_->RemoveQueue(q.get());
}

absl::StatusOr<TensorMap> BatchingRunner::Run(const std::string& queue_key, const TensorMap& inputs,
                                              const BatchRunFn& run) {
  // TF Serving's BatchingSession::ComputeInputSize rules.
  if (inputs.empty()) {
    return absl::InvalidArgumentError("Batching session Run() must have at least one input tensor");
  }
  int64_t size = -1;
  std::string key = queue_key;
  const bool pad = scheduler_->options().pad_variable_length_inputs;
  for (const auto& [alias, t] : inputs) {
    if (t.rank() == 0) {
      return absl::InvalidArgumentError(
          "Batching session Run() input tensors must have at least one dimension");
    }
    if (size < 0) {
      size = t.dim(0);
    } else if (t.dim(0) != size) {
      return absl::InvalidArgumentError(
          "Batching session Run() input tensors must have equal 0th-dimension size");
    }
    // Runs whose inputs would not concatenate wait in different queues.
    absl::StrAppend(&key, "\x1f", alias, ":", static_cast<int>(t.dtype()), ":", t.rank());
    if (!pad) {
      for (int d = 1; d < t.rank(); ++d) absl::StrAppend(&key, ",", t.dim(d));
    }
  }
  // Runs without rows have nothing to share.
  if (size == 0) return run(inputs);
  std::shared_ptr<BatchQueue> queue;
  {
    absl::MutexLock l(&mu_);
    auto it = queues_.find(key);
    if (it == queues_.end()) {
      // Bound the queues a client can make us create with ever new shapes: beyond the
      // cap, runs of new shapes go unbatched (as TF Serving does for unknown signatures).
      if (queues_.size() >= kMaxQueuesPerServable) return run(inputs);
      it = queues_.emplace(key, scheduler_->AddQueue(model_name_, run)).first;
    }
    queue = it->second;
  }
  BatchTask task;
  task.inputs = &inputs;
  task.size = size;
  task.enqueued = absl::Now();
  TFM_RETURN_IF_ERROR(queue->Schedule(&task));
  task.done.WaitForNotification();
  if (!task.status.ok()) return task.status;
  return std::move(task.outputs);
}

}  // namespace tfmodel::serving
