// NumPy .npy files (format versions 1.0-3.0), either byte order, C or Fortran order.
#ifndef TFMODEL_FORMAT_NPY_H_
#define TFMODEL_FORMAT_NPY_H_

#include <string>

#include "absl/status/statusor.h"
#include "core/tensor.h"

namespace tfmodel {

// Parses .npy bytes. Supports bool, int8/16/32/64, uint8/16/32/64, float16/32/64,
// complex64/128 and, as DT_STRING, fixed-width byte strings ('S', trailing NULs dropped),
// fixed-width Unicode ('<U' / '>U', UTF-32 -> UTF-8, trailing NULs dropped) and object
// arrays of Python str / bytes (read from numpy's pickle without running one, see
// npy_pickle.h). Big-endian numbers ('>f4', ...) are converted to the machine's order and
// Fortran-order arrays (np.asfortranarray, fortran_order True) to C order; other object
// arrays and Fortran-order object arrays are rejected with a clear error; `what` names the
// source in errors.
absl::StatusOr<Tensor> ParseNpy(const std::string& data, const std::string& what);
absl::StatusOr<Tensor> ReadNpy(const std::string& path);
// Encodes as .npy version 1.0. Strings are written as TensorFlow's are elsewhere (bytes):
// fixed-width 'S' of the longest element, so UTF-8 text reads back in numpy as bytes
// (`.astype(str)` or `np.char.decode` gives str).
absl::StatusOr<std::string> EncodeNpy(const Tensor& t);
absl::Status WriteNpy(const std::string& path, const Tensor& t);

}  // namespace tfmodel

#endif  // TFMODEL_FORMAT_NPY_H_
