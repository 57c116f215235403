// Tensor shapes: TensorShape is fully known (what a tensor has); PartialShape may have
// unknown dimensions (-1) or unknown rank (what a signature or placeholder promises).
#ifndef TFMODEL_CORE_TENSOR_SHAPE_H_
#define TFMODEL_CORE_TENSOR_SHAPE_H_

#include <cstdint>
#include <initializer_list>
#include <string>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/types/span.h"

namespace tfmodel {

// Largest element count tfmodel accepts for one tensor (TF uses int64 counts; we cap at
// 2^40 elements so that byte counts never overflow and absurd shapes fail early).
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 40;

class TensorShape {
 public:
  using Dims = absl::InlinedVector<int64_t, 6>;
  TensorShape() = default;  // a scalar
  TensorShape(std::initializer_list<int64_t> dims) : dims_(dims) {}
  explicit TensorShape(absl::Span<const int64_t> dims) : dims_(dims.begin(), dims.end()) {}

  // Checks every dim is >= 0 and the element count stays below kMaxTensorElements.
  static absl::Status Validate(absl::Span<const int64_t> dims);

  int rank() const { return static_cast<int>(dims_.size()); }
  int dims() const { return rank(); }
  int64_t dim(int i) const { return dims_[i]; }
  int64_t dim_size(int i) const { return dims_[i]; }
  absl::Span<const int64_t> dim_sizes() const { return dims_; }
  int64_t NumElements() const;

  void AddDim(int64_t d) { dims_.push_back(d); }
  void InsertDim(int i, int64_t d) { dims_.insert(dims_.begin() + i, d); }
  void RemoveDim(int i) { dims_.erase(dims_.begin() + i); }
  void set_dim(int i, int64_t d) { dims_[i] = d; }
  void Clear() { dims_.clear(); }

  // "[2,3]"; a scalar is "[]".
  std::string ToString() const;

  bool operator==(const TensorShape& o) const { return dims_ == o.dims_; }
  bool operator!=(const TensorShape& o) const { return !(*this == o); }

 private:
  Dims dims_;
};

class PartialShape {
 public:
  PartialShape() : unknown_rank_(true) {}
  explicit PartialShape(absl::Span<const int64_t> dims)
      : unknown_rank_(false), dims_(dims.begin(), dims.end()) {}
  PartialShape(std::initializer_list<int64_t> dims) : unknown_rank_(false), dims_(dims) {}
  static PartialShape FromShape(const TensorShape& s) { return PartialShape(s.dim_sizes()); }

  bool unknown_rank() const { return unknown_rank_; }
  int rank() const { return unknown_rank_ ? -1 : static_cast<int>(dims_.size()); }
  int64_t dim(int i) const { return dims_[i]; }
  absl::Span<const int64_t> dims() const { return dims_; }
  bool IsFullyDefined() const;

  // Whether a concrete shape fits: same rank (if known) and equal dims where known.
  bool IsCompatibleWith(const TensorShape& s) const;
  // "[?,1]" style; unknown rank is "<unknown>".
  std::string ToString() const;
  // "(-1, 1)" as saved_model_cli prints it; unknown rank is "unknown_rank".
  std::string ToCliString() const;

 private:
  bool unknown_rank_;
  TensorShape::Dims dims_;
};

}  // namespace tfmodel

#endif  // TFMODEL_CORE_TENSOR_SHAPE_H_
