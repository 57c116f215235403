// TensorFlow tensor slices (partitions of a variable) and the keys checkpoints store them
// under. A slice gives, per dimension, a start and a length; length -1 means "the whole
// dimension" (TF's kFullExtent). The text form is TF's TensorSlice::DebugString syntax:
// "start,length:start,length:-" with "-" for a full dimension.
#ifndef TFMODEL_FORMAT_TENSOR_SLICE_H_
#define TFMODEL_FORMAT_TENSOR_SLICE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/tensor.h"
#include "tensorflow/core/framework/tensor_slice.pb.h"

namespace tfmodel {

class TensorSlice {
 public:
  static constexpr int64_t kFullExtent = -1;

  TensorSlice() = default;  // rank 0 (the slice of a scalar)
  // A full slice of the given rank.
  static TensorSlice Full(int rank);
  // From (start, length) pairs; length kFullExtent means the whole dimension.
  static TensorSlice FromExtents(std::vector<std::pair<int64_t, int64_t>> extents);
  // "-:0,2" style text; "" is rank 0. Fails on malformed text or negative values.
  static absl::StatusOr<TensorSlice> Parse(absl::string_view text);
  // Fails on a negative start or length.
  static absl::StatusOr<TensorSlice> FromProto(const tensorflow::TensorSliceProto& proto);
  void ToProto(tensorflow::TensorSliceProto* proto) const;

  int rank() const { return static_cast<int>(start_.size()); }
  int64_t start(int d) const { return start_[d]; }
  int64_t length(int d) const { return length_[d]; }
  bool IsFullAt(int d) const { return length_[d] == kFullExtent; }
  // Every dimension is full (a rank-0 slice is full).
  bool IsFull() const;
  std::string ToString() const;

  // Concrete start/size per dimension against `shape` (full extents become [0, dim)).
  // Fails when the rank differs or the slice exceeds the shape.
  absl::Status Resolve(const TensorShape& shape, std::vector<int64_t>* starts,
                       std::vector<int64_t>* sizes) const;
  // The shape of the slice taken out of `shape`.
  absl::StatusOr<TensorShape> SliceShape(const TensorShape& shape) const;

  bool operator==(const TensorSlice& o) const { return start_ == o.start_ && length_ == o.length_; }

 private:
  std::vector<int64_t> start_;
  std::vector<int64_t> length_;
};

// TF's checkpoint::EncodeTensorNameSlice: OrderedCode of (0, name, rank, start_0, length_0,
// ...). V1 checkpoints store every slice under this key, V2 bundles the partitions of a
// sliced variable.
std::string EncodeTensorNameSlice(absl::string_view name, const TensorSlice& slice);
// The inverse; fails on malformed input (TF additionally rejects rank 0; we accept it since
// V1 files store scalars under rank-0 keys).
absl::Status DecodeTensorNameSlice(absl::string_view code, std::string* name, TensorSlice* slice);

// RestoreV2's shape_and_slice: "dim0 dim1 ... <slice>" (at least two fields). Sets the
// full shape, the slice and the sliced shape.
absl::Status ParseShapeAndSlice(absl::string_view text, TensorShape* shape, TensorSlice* slice,
                                TensorShape* slice_shape);

// Copies the elements of `src`, which holds the box (src_start, src_size) of a tensor of
// rank n, that fall inside the box (dst_start, dst_size) held by `dst`. Both tensors must
// have the same dtype (POD, string or variant) and element counts matching their boxes.
// Returns the number of elements copied.
absl::StatusOr<int64_t> CopySliceIntersection(const Tensor& src,
                                              const std::vector<int64_t>& src_start,
                                              const std::vector<int64_t>& src_size, Tensor* dst,
                                              const std::vector<int64_t>& dst_start,
                                              const std::vector<int64_t>& dst_size);

namespace ordered_code {
void WriteNumIncreasing(std::string* dest, uint64_t value);
void WriteSignedNumIncreasing(std::string* dest, int64_t value);
void WriteString(std::string* dest, absl::string_view s);
bool ReadNumIncreasing(absl::string_view* src, uint64_t* value);
bool ReadSignedNumIncreasing(absl::string_view* src, int64_t* value);
bool ReadString(absl::string_view* src, std::string* value);
}  // namespace ordered_code

}  // namespace tfmodel

#endif  // TFMODEL_FORMAT_TENSOR_SLICE_H_
