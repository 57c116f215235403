// Output size and leading padding of a sliding window (convolution, pooling) along one
// spatial dimension, with TFLite's SAME / VALID rules.
#ifndef TFMODEL_TFLITE_OPS_WINDOW_H_
#define TFMODEL_TFLITE_OPS_WINDOW_H_

#include <algorithm>
#include <cstdint>

#include "absl/status/status.h"

namespace tfmodel::tflite {

inline absl::Status WindowGeometry(bool same, int64_t in, int64_t filter, int64_t stride,
                                   int64_t dilation, int64_t* out, int64_t* pad_before) {
  if (stride <= 0 || dilation <= 0 || filter <= 0) {
    return absl::InvalidArgumentError("stride, dilation and filter size must be positive");
  }
  const int64_t eff = (filter - 1) * dilation + 1;
  if (same) {
    *out = (in + stride - 1) / stride;
  } else {
    *out = in >= eff ? (in - eff + stride) / stride : 0;
  }
  const int64_t total = std::max<int64_t>((*out - 1) * stride + eff - in, 0);
  *pad_before = total / 2;
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite

#endif  // TFMODEL_TFLITE_OPS_WINDOW_H_
