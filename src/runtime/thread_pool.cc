#define EIGEN_USE_THREADS
#include "runtime/thread_pool.h"

#include <algorithm>
#include <thread>
#include <unsupported/Eigen/CXX11/Tensor>

namespace tfmodel::runtime {

struct IntraOpPool::Impl {
  explicit Impl(int n) : pool(n), device(&pool, n) {}
  Eigen::ThreadPool pool;
  Eigen::ThreadPoolDevice device;
};

IntraOpPool::IntraOpPool(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads_ = threads;
  if (threads > 1) impl_ = std::make_unique<Impl>(threads);
}

IntraOpPool::~IntraOpPool() = default;

const Eigen::ThreadPoolDevice* IntraOpPool::device() const {
  return impl_ ? &impl_->device : nullptr;
}

}  // namespace tfmodel::runtime
