#include "core/tensor_shape.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tfmodel {

absl::Status TensorShape::Validate(absl::Span<const int64_t> dims) {
  int64_t n = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = dims[i];
    if (d < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "shape [", absl::StrJoin(dims, ","), "] has negative dimension ", d, " at index ", i));
    }
    if (d != 0 && n > kMaxTensorElements / d) {
      return absl::InvalidArgumentError(absl::StrCat("shape [", absl::StrJoin(dims, ","),
                                                     "] has too many elements (limit 2^40)"));
    }
    n *= d;
  }
  return absl::OkStatus();
}

int64_t TensorShape::NumElements() const {
  int64_t n = 1;
  for (int64_t d : dims_) n *= d;
  return n;
}

std::string TensorShape::ToString() const {
  return absl::StrCat("[", absl::StrJoin(dims_, ","), "]");
}

bool PartialShape::IsFullyDefined() const {
  if (unknown_rank_) return false;
  for (int64_t d : dims_) {
    if (d < 0) return false;
  }
  return true;
}

bool PartialShape::IsCompatibleWith(const TensorShape& s) const {
  if (unknown_rank_) return true;
  if (s.rank() != rank()) return false;
  for (int i = 0; i < rank(); ++i) {
    if (dims_[i] >= 0 && dims_[i] != s.dim(i)) return false;
  }
  return true;
}

std::string PartialShape::ToString() const {
  if (unknown_rank_) return "<unknown>";
  std::string out = "[";
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i) out += ",";
    out += dims_[i] < 0 ? std::string("?") : absl::StrCat(dims_[i]);
  }
  return out + "]";
}

std::string PartialShape::ToCliString() const {
  if (unknown_rank_) return "unknown_rank";
  if (dims_.size() == 1) return absl::StrCat("(", dims_[0], ",)");  // a Python 1-tuple
  return absl::StrCat("(", absl::StrJoin(dims_, ", "), ")");
}

}  // namespace tfmodel
