// NumPy .npy files (format versions 1.0-3.0): little-endian, C order.
#ifndef TFMODEL_FORMAT_NPY_H_
#define TFMODEL_FORMAT_NPY_H_

#include <string>

#include "absl/status/statusor.h"
#include "core/tensor.h"

namespace tfmodel {

// Parses .npy bytes. Supports bool, int8/16/32/64, uint8/16/32/64, float16/32/64,
// complex64/128 and fixed-width byte strings ('S'). Fortran order, big-endian data and
// object arrays are rejected with a clear error; `what` names the source in errors.
absl::StatusOr<Tensor> ParseNpy(const std::string& data, const std::string& what);
absl::StatusOr<Tensor> ReadNpy(const std::string& path);
// Encodes as .npy version 1.0 (strings as fixed-width 'S' of the longest element).
absl::StatusOr<std::string> EncodeNpy(const Tensor& t);
absl::Status WriteNpy(const std::string& path, const Tensor& t);

}  // namespace tfmodel

#endif  // TFMODEL_FORMAT_NPY_H_
