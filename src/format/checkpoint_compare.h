// Comparing the variables of two checkpoints (e.g. two versions of one model): which
// tensors hold the same values, which differ, and which only one side has.
#ifndef TFMODEL_FORMAT_CHECKPOINT_COMPARE_H_
#define TFMODEL_FORMAT_CHECKPOINT_COMPARE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "format/checkpoint.h"

namespace tfmodel {

struct CheckpointComparison {
  std::vector<std::string> equal;      // same dtype, shape and bytes
  std::vector<std::string> different;  // same name, other dtype, shape or values
  std::vector<std::string> only_in_a, only_in_b;
  bool AllEqual() const { return different.empty() && only_in_a.empty() && only_in_b.empty(); }
};

// Compares every tensor by name (string tensors by their elements). Errors name the
// checkpoint and tensor that could not be read.
absl::StatusOr<CheckpointComparison> CompareCheckpoints(const CheckpointReader& a,
                                                        const CheckpointReader& b);

}  // namespace tfmodel

#endif  // TFMODEL_FORMAT_CHECKPOINT_COMPARE_H_
