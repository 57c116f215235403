// PNG and BMP decoding behind the image kernels (image_ops.cc). Errors name the op via `ctx`.
#ifndef TFMODEL_RUNTIME_KERNELS_IMAGE_DECODE_H_
#define TFMODEL_RUNTIME_KERNELS_IMAGE_DECODE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/tensor.h"
#include "runtime/kernel.h"

namespace tfmodel::runtime::image_decode {

// A PNG as a [h, w, c] tensor of `dtype` (uint8 or uint16); channels 0 keeps the image's.
absl::StatusOr<Tensor> DecodePngBytes(KernelContext* ctx, absl::string_view data, int channels,
                                      DType dtype);

// A BMP as a uint8 [h, w, c] tensor; channels 0 keeps the image's (3 or 4).
absl::StatusOr<Tensor> DecodeBmpBytes(KernelContext* ctx, absl::string_view data, int channels);

}  // namespace tfmodel::runtime::image_decode

#endif  // TFMODEL_RUNTIME_KERNELS_IMAGE_DECODE_H_
