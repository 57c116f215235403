// Helpers shared by the neural-network kernels (matmul, conv, pooling, ...): attr parsing
// for data formats and paddings, TF's windowed output size rule, half/bfloat16 conversion
// and control of oneDNN's OpenMP thread count.
#ifndef TFMODEL_RUNTIME_KERNELS_NN_UTIL_H_
#define TFMODEL_RUNTIME_KERNELS_NN_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/tensor.h"
#include "runtime/kernel.h"

namespace tfmodel::runtime::nn {

enum class DataFormat { kNHWC, kNCHW };
enum class Padding { kSame, kValid, kExplicit };

// Reads the "data_format" attr (default NHWC); accepts NHWC and NCHW only.
absl::Status GetDataFormat(const KernelInit& init, DataFormat* f);
// Reads the "padding" attr: SAME, VALID, or EXPLICIT when allow_explicit.
absl::Status GetPadding(const KernelInit& init, bool allow_explicit, Padding* p);

// One spatial dimension of a windowed op, as TF's GetWindowedOutputSizeVerbose computes it.
struct Window {
  int64_t out = 0;
  int64_t pad_before = 0;
  int64_t pad_after = 0;
};
// Fails (message without node prefix) when the output would be negative or args are bad.
absl::Status ComputeWindow(int64_t in, int64_t ksize, int64_t dilation, int64_t stride,
                           Padding padding, int64_t explicit_before, int64_t explicit_after,
                           Window* w);

// Number of threads a kernel may use: the device's pool size, or 1 without a device.
int NumThreads(const KernelContext* ctx);

// Sets the calling thread's OpenMP thread count (used by oneDNN) for the scope.
class ScopedOmpThreads {
 public:
  explicit ScopedOmpThreads(int n);
  ~ScopedOmpThreads();
  ScopedOmpThreads(const ScopedOmpThreads&) = delete;
  ScopedOmpThreads& operator=(const ScopedOmpThreads&) = delete;

 private:
  int previous_ = -1;
};

// Converts a half/bfloat16/float tensor to a new float tensor and back.
Tensor ToFloat(const Tensor& t);
// Converts a float tensor into dtype (half, bfloat16 or float).
Tensor FromFloat(const Tensor& t, DType dtype);
inline bool IsHalfLike(DType d) { return d == DType::kHalf || d == DType::kBFloat16; }

// Runs fn(begin, end) over [0, n) on the context's device, or inline.
// cost_per_unit is a rough count of cycles per index.
void ParallelFor(const KernelContext* ctx, int64_t n, double cost_per_unit,
                 const std::function<void(int64_t, int64_t)>& fn);
// The same on a device (null: inline), for callers without a KernelContext.
void ParallelFor(const Eigen::ThreadPoolDevice* device, int64_t n, double cost_per_unit,
                 const std::function<void(int64_t, int64_t)>& fn);

std::string ShapeStr(const Tensor& t);

}  // namespace tfmodel::runtime::nn

#endif  // TFMODEL_RUNTIME_KERNELS_NN_UTIL_H_
