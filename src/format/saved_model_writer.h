// Writing SavedModel folders atomically: everything is written into a hidden temporary
// folder beside the target and renamed into place last, so a server watching the parent
// folder never sees a half-written version.
#ifndef TFMODEL_FORMAT_SAVED_MODEL_WRITER_H_
#define TFMODEL_FORMAT_SAVED_MODEL_WRITER_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "core/tensor.h"
#include "tensorflow/core/protobuf/saved_model.pb.h"

namespace tfmodel {

struct SavedModelWriteOptions {
  bool as_text = false;    // saved_model.pbtxt instead of saved_model.pb
  bool overwrite = false;  // replace an existing export_dir
};

// `variables`: (checkpoint key, value) written to variables/variables.{index,data-*}.
// `assets`: source files copied into assets/ under their base names.
absl::Status WriteSavedModel(const std::string& export_dir,
                             const tensorflow::SavedModel& saved_model,
                             const std::vector<std::pair<std::string, Tensor>>& variables,
                             const std::vector<std::string>& assets,
                             const SavedModelWriteOptions& options = {});

}  // namespace tfmodel

#endif  // TFMODEL_FORMAT_SAVED_MODEL_WRITER_H_
