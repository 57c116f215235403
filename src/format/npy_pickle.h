// The body of a .npy file holding an object array (descr '|O'): numpy writes the ndarray
// with pickle (protocols 2-5). This reads only what numpy emits for an array of Python str
// / bytes objects — ndarray._reconstruct + BUILD with (version, shape, dtype('O8'), fortran,
// [items]) — with a small, strictly bounded reader of the pickle opcodes involved. It never
// runs a pickle VM: no global is called, and any global other than numpy's reconstructor,
// ndarray, dtype and _codecs.encode (protocol 2's bytes) is refused.
#ifndef TFMODEL_FORMAT_NPY_PICKLE_H_
#define TFMODEL_FORMAT_NPY_PICKLE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tfmodel {

struct PickledStringArray {
  std::vector<int64_t> shape;
  std::vector<std::string> items;  // str as UTF-8, bytes as they are; C order
};

// `what` names the file in errors.
absl::StatusOr<PickledStringArray> ParsePickledStringArray(absl::string_view data,
                                                           const std::string& what);

}  // namespace tfmodel

#endif  // TFMODEL_FORMAT_NPY_PICKLE_H_
