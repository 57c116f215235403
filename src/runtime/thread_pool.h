// The intra-op thread pool a model's kernels split large ops over (TensorFlow's
// intra_op_parallelism_threads): an Eigen thread pool behind a ThreadPoolDevice.
#ifndef TFMODEL_RUNTIME_THREAD_POOL_H_
#define TFMODEL_RUNTIME_THREAD_POOL_H_

#include <memory>

namespace Eigen {
struct ThreadPoolDevice;
}

namespace tfmodel::runtime {

class IntraOpPool {
 public:
  // `threads` <= 0 means one per hardware thread. With one thread there is no pool and
  // device() is null: kernels then run on the calling thread.
  explicit IntraOpPool(int threads);
  ~IntraOpPool();
  IntraOpPool(const IntraOpPool&) = delete;
  IntraOpPool& operator=(const IntraOpPool&) = delete;

  const Eigen::ThreadPoolDevice* device() const;
  int num_threads() const { return threads_; }

 private:
  struct Impl;
  int threads_ = 1;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tfmodel::runtime

#endif  // TFMODEL_RUNTIME_THREAD_POOL_H_
