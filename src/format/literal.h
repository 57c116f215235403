// Parsing tensor literals given on command lines: "[1.0, 2.0, 5.0]", "[[1,2],[3,4]]",
// "'text'", "True", "3" (Python / JSON style, as saved_model_cli's --input_exprs).
#ifndef TFMODEL_FORMAT_LITERAL_H_
#define TFMODEL_FORMAT_LITERAL_H_

#include <string>

#include "absl/status/statusor.h"
#include "core/tensor.h"

namespace tfmodel {

// Parses `text` into a tensor of `dtype` (kInvalid: float if any number has a '.', 'e',
// nan or inf, else int64; strings -> string; True/False -> bool). Rows must be regular.
absl::StatusOr<Tensor> ParseTensorLiteral(const std::string& text, DType dtype = DType::kInvalid);

}  // namespace tfmodel

#endif  // TFMODEL_FORMAT_LITERAL_H_
