// Batch scheduler tests: merging, splitting, padding (batch sizes and variable lengths),
// timeout flush, queue full, oversized tasks, incompatible shapes kept apart.
#include "serving/batching.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace tfmodel::serving {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Tensor F(std::vector<float> v, TensorShape shape) { return Tensor::FromVector<float>(v, shape); }

std::vector<float> Values(const Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.NumElements());
}

// y = 2x + 1 on every element; records the rows of each batch it runs.
struct Recorder {
  absl::Mutex mu;
  std::vector<int64_t> batch_rows;
  std::vector<std::vector<float>> batch_values;
  absl::Notification* block = nullptr;  // when set, runs wait for it
  absl::Notification started;
  std::atomic<bool> notified{false};  // Notify() must run once, even with two batch threads

  BatchRunFn Fn() {
    return [this](const TensorMap& in) -> absl::StatusOr<TensorMap> {
      if (!notified.exchange(true)) started.Notify();
      if (block) block->WaitForNotification();
      const Tensor& x = in.at("x");
      Tensor y = Tensor::Empty(DType::kFloat, x.shape());
      for (int64_t i = 0; i < x.NumElements(); ++i) y.data<float>()[i] = 2 * x.data<float>()[i] + 1;
      absl::MutexLock l(&mu);
      batch_rows.push_back(x.dim(0));
      batch_values.push_back(Values(x));
      return TensorMap{{"y", y}};
    };
  }
};

TEST(BatchingOptionsTest, DefaultsAndValidation) {
  tensorflow::serving::BatchingParameters p;
  TFM_ASSERT_OK_AND_ASSIGN(BatchingOptions o, BatchingOptionsFromProto(p));
  EXPECT_EQ(o.max_batch_size, 1000);
  EXPECT_EQ(o.batch_timeout_micros, 0);
  EXPECT_EQ(o.max_enqueued_batches, 10);
  EXPECT_GT(o.num_batch_threads, 0);

  p.mutable_max_batch_size()->set_value(8);
  p.add_allowed_batch_sizes(2);
  p.add_allowed_batch_sizes(4);
  auto bad = BatchingOptionsFromProto(p);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "Last entry in allowed_batch_sizes must match max_batch_size; last entry was 4; "
            "expected 8");
  p.add_allowed_batch_sizes(3);
  bad = BatchingOptionsFromProto(p);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "allowed_batch_sizes entries must be monotonically increasing");
  p.clear_allowed_batch_sizes();
  p.mutable_max_batch_size()->set_value(0);
  EXPECT_THAT(BatchingOptionsFromProto(p).status().message(), HasSubstr("max_batch_size"));

  EXPECT_EQ(RoundToAllowedBatchSize({2, 4, 8}, 3), 4);
  EXPECT_EQ(RoundToAllowedBatchSize({2, 4, 8}, 8), 8);
  EXPECT_EQ(RoundToAllowedBatchSize({}, 5), 5);
}

TEST(BatchingTest, MergePadsWithFirstRowOfLastTaskAndSplits) {
  TensorMap a{{"x", F({1, 2, 3, 4}, {2, 2})}};
  TensorMap b{{"x", F({5, 6}, {1, 2})}};
  TFM_ASSERT_OK_AND_ASSIGN(TensorMap merged, MergeBatchInputs({&a, &b}, 4, false));
  EXPECT_EQ(merged.at("x").shape(), TensorShape({4, 2}));
  EXPECT_THAT(Values(merged.at("x")), ElementsAre(1, 2, 3, 4, 5, 6, 5, 6));

  TensorMap out{{"y", F({10, 11, 12, 13, 14, 15, 16, 17}, {4, 2})}};
  TFM_ASSERT_OK_AND_ASSIGN(auto split, SplitBatchOutputs(out, {2, 1}, 4));
  ASSERT_EQ(split.size(), 2u);
  EXPECT_EQ(split[0].at("y").shape(), TensorShape({2, 2}));
  EXPECT_THAT(Values(split[0].at("y")), ElementsAre(10, 11, 12, 13));
  EXPECT_THAT(Values(split[1].at("y")), ElementsAre(14, 15));

  // Outputs that are not batched along dimension 0 are errors (TF Serving's text).
  TensorMap scalar{{"y", Tensor::Scalar<float>(1)}};
  EXPECT_EQ(SplitBatchOutputs(scalar, {2, 1}, 4).status().message(),
            "Batched output tensor has 0 dimensions");
  TensorMap short_out{{"y", F({1, 2}, {1, 2})}};
  EXPECT_THAT(SplitBatchOutputs(short_out, {2, 1}, 4).status().message(),
              HasSubstr("0th dimension does not equal the sum"));
}

TEST(BatchingTest, MergeStringsAndVariableLengthPadding) {
  TensorMap a{{"s", Tensor::FromVector<std::string>({"a", "b"}, {2})}};
  TensorMap b{{"s", Tensor::FromVector<std::string>({"c"}, {1})}};
  TFM_ASSERT_OK_AND_ASSIGN(TensorMap merged, MergeBatchInputs({&a, &b}, 4, false));
  const Tensor& s = merged.at("s");
  ASSERT_EQ(s.NumElements(), 4);
  EXPECT_EQ(s.data<std::string>()[2], "c");
  EXPECT_EQ(s.data<std::string>()[3], "c");

  TensorMap c{{"x", F({1, 2}, {1, 2})}};
  TensorMap d{{"x", F({7, 8, 9, 10, 11, 12}, {2, 3})}};
  auto no_pad = MergeBatchInputs({&c, &d}, 3, false);
  ASSERT_FALSE(no_pad.ok());
  EXPECT_THAT(no_pad.status().message(),
              HasSubstr("Tensors with name 'x' from different tasks have different shapes and "
                        "padding is turned off."));
  TFM_ASSERT_OK_AND_ASSIGN(TensorMap padded, MergeBatchInputs({&c, &d}, 3, true));
  EXPECT_EQ(padded.at("x").shape(), TensorShape({3, 3}));
  // c's row is padded with c's first element.
  EXPECT_THAT(Values(padded.at("x")), ElementsAre(1, 2, 1, 7, 8, 9, 10, 11, 12));
}

TEST(BatchingTest, ConcurrentRequestsAreMergedAndAnsweredSeparately) {
  BatchingOptions o;
  o.max_batch_size = 4;
  o.batch_timeout_micros = 10'000'000;  // only a full batch runs
  o.num_batch_threads = 1;
  Metrics metrics;
  TFM_ASSERT_OK_AND_ASSIGN(auto scheduler, BatchScheduler::Create(o, &metrics));
  BatchingRunner runner(scheduler.get(), "m");
  Recorder rec;
  std::vector<std::thread> clients;
  std::vector<std::vector<float>> got(4);
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&, i] {
      TensorMap in{{"x", F({static_cast<float>(i)}, {1, 1})}};
      auto out = runner.Run("sig", in, rec.Fn());
      if (!out.ok()) {
        ++failures;
        return;
      }
      got[i] = Values(out->at("y"));
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(failures.load(), 0);
  for (int i = 0; i < 4; ++i) EXPECT_THAT(got[i], ElementsAre(2.0f * i + 1)) << i;
  EXPECT_THAT(rec.batch_rows, ElementsAre(4));
  EXPECT_THAT(metrics.PrometheusText(),
              HasSubstr(":tensorflow:serving:batching_session:processed_batch_size_bucket{"
                        "model_name=\"m\",le=\"4\"} 1"));
}

TEST(BatchingTest, TimeoutFlushesAPartialBatchPaddedToAllowedSize) {
  BatchingOptions o;
  o.max_batch_size = 8;
  o.batch_timeout_micros = 50'000;
  o.num_batch_threads = 1;
  o.allowed_batch_sizes = {4, 8};
  TFM_ASSERT_OK_AND_ASSIGN(auto scheduler, BatchScheduler::Create(o));
  BatchingRunner runner(scheduler.get(), "m");
  Recorder rec;
  TensorMap in{{"x", F({3, 5}, {2, 1})}};
  const absl::Time start = absl::Now();
  TFM_ASSERT_OK_AND_ASSIGN(TensorMap out, runner.Run("sig", in, rec.Fn()));
  const absl::Duration took = absl::Now() - start;
  EXPECT_GE(took, absl::Milliseconds(45));
  EXPECT_LT(took, absl::Seconds(5));
  EXPECT_THAT(Values(out.at("y")), ElementsAre(7, 11));
  EXPECT_EQ(out.at("y").shape(), TensorShape({2, 1}));
  ASSERT_EQ(rec.batch_rows.size(), 1u);
  EXPECT_EQ(rec.batch_rows[0], 4);
  EXPECT_THAT(rec.batch_values[0], ElementsAre(3, 5, 3, 3));
}

TEST(BatchingTest, QueueFullIsUnavailableAndTooLargeIsInvalid) {
  BatchingOptions o;
  o.max_batch_size = 1;
  o.max_enqueued_batches = 1;
  o.num_batch_threads = 1;
  TFM_ASSERT_OK_AND_ASSIGN(auto scheduler, BatchScheduler::Create(o));
  BatchingRunner runner(scheduler.get(), "m");
  absl::Notification release;
  Recorder rec;
  rec.block = &release;
  TensorMap in{{"x", F({1}, {1, 1})}};
  absl::Status a_status, b_status;
  std::thread a([&] { a_status = runner.Run("sig", in, rec.Fn()).status(); });
  rec.started.WaitForNotification();  // a's batch runs (blocked) on the only thread
  std::thread b([&] { b_status = runner.Run("sig", in, rec.Fn()).status(); });
  // b fills the open batch; wait until it is queued.
  absl::Status c_status;
  for (int i = 0; i < 200; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
    TensorMap probe{{"x", F({1}, {1, 1})}};
    // A task of the same queue now finds it full.
    c_status = runner.Run("sig", probe, rec.Fn()).status();
    if (!c_status.ok()) break;
  }
  EXPECT_EQ(c_status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(c_status.message(),
            "The batch scheduling queue to which this task was submitted is full");
  TensorMap big{{"x", F({1, 2}, {2, 1})}};
  auto too_big = runner.Run("sig", big, rec.Fn());
  EXPECT_EQ(too_big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(too_big.status().message(), "Task size 2 is larger than maximum input batch size 1");
  release.Notify();
  a.join();
  b.join();
  TFM_EXPECT_OK(a_status);
  TFM_EXPECT_OK(b_status);
}

TEST(BatchingTest, MismatchedShapesAreNotMergedAndBadInputsAreRejected) {
  BatchingOptions o;
  o.max_batch_size = 8;
  o.batch_timeout_micros = 100'000;
  o.num_batch_threads = 2;
  TFM_ASSERT_OK_AND_ASSIGN(auto scheduler, BatchScheduler::Create(o));
  BatchingRunner runner(scheduler.get(), "m");
  Recorder rec;
  std::vector<float> got_a, got_b;
  std::thread a([&] {
    TensorMap in{{"x", F({1, 2}, {1, 2})}};
    auto out = runner.Run("sig", in, rec.Fn());
    if (out.ok()) got_a = Values(out->at("y"));
  });
  std::thread b([&] {
    TensorMap in{{"x", F({1, 2, 3}, {1, 3})}};
    auto out = runner.Run("sig", in, rec.Fn());
    if (out.ok()) got_b = Values(out->at("y"));
  });
  a.join();
  b.join();
  EXPECT_THAT(got_a, ElementsAre(3, 5));
  EXPECT_THAT(got_b, ElementsAre(3, 5, 7));
  EXPECT_THAT(rec.batch_rows, ElementsAre(1, 1));

  TensorMap scalar{{"x", Tensor::Scalar<float>(1)}};
  EXPECT_EQ(runner.Run("sig", scalar, rec.Fn()).status().message(),
            "Batching session Run() input tensors must have at least one dimension");
  TensorMap ragged{{"x", F({1}, {1, 1})}, {"z", F({1, 2}, {2, 1})}};
  EXPECT_EQ(runner.Run("sig", ragged, rec.Fn()).status().message(),
            "Batching session Run() input tensors must have equal 0th-dimension size");
  EXPECT_EQ(runner.Run("sig", {}, rec.Fn()).status().message(),
            "Batching session Run() must have at least one input tensor");
}

}  // namespace
}  // namespace tfmodel::serving
