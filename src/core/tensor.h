// Tensor: a dtype, a shape and a reference-counted buffer. Copies share the buffer
// (as in TensorFlow); DeepCopy() makes an independent one. Numeric buffers over 64 bytes
// are 64-byte aligned (smaller ones 16-byte, stored inside the buffer object), or views
// into memory-mapped files. Strings, resource handles and variants are stored as C++
// objects.
#ifndef TFMODEL_CORE_TENSOR_H_
#define TFMODEL_CORE_TENSOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/dtype.h"
#include "core/tensor_shape.h"

namespace tfmodel {

// The element type of DT_RESOURCE tensors: names a resource (a variable, a table, a
// TensorArray) and, once looked up or created by the runtime, points to it.
struct ResourceHandle {
  std::string device;
  std::string container;
  std::string name;
  std::string type_name;  // e.g. "Var", "LookupTable"
  std::shared_ptr<void> resource;
};

// The element type of DT_VARIANT tensors (TensorLists and the like).
struct Variant {
  std::string type_name;
  std::shared_ptr<void> value;
};

// Owns (or keeps alive) the bytes of one or more tensors.
class TensorBuffer {
 public:
  virtual ~TensorBuffer() = default;
  virtual void* data() = 0;
  virtual size_t size() const = 0;  // in bytes (for object buffers: element count * sizeof)
};

class Tensor {
 public:
  Tensor() = default;  // an invalid tensor (dtype kInvalid)
  // Allocates a zero-filled tensor (strings empty). The shape must be valid.
  Tensor(DType dtype, const TensorShape& shape);
  // Allocates without zero-filling numeric data; for kernels that write every element.
  static Tensor Empty(DType dtype, const TensorShape& shape);
  // Validates the shape first (for untrusted input).
  static absl::StatusOr<Tensor> Create(DType dtype, const TensorShape& shape);
  // A view of POD bytes owned by `buffer` starting at `offset` (no copy).
  static Tensor View(DType dtype, const TensorShape& shape, std::shared_ptr<TensorBuffer> buffer,
                     size_t offset);

  template <typename T>
  static Tensor Scalar(T v) {
    Tensor t(DTypeOf<T>::value, TensorShape{});
    t.data<T>()[0] = std::move(v);
    return t;
  }
  static Tensor StringScalar(std::string v) { return Scalar<std::string>(std::move(v)); }
  template <typename T>
  static Tensor FromVector(const std::vector<T>& v, TensorShape shape) {
    Tensor t(DTypeOf<T>::value, shape);
    T* d = t.data<T>();
    for (size_t i = 0; i < v.size() && i < static_cast<size_t>(t.NumElements()); ++i) d[i] = v[i];
    return t;
  }
  template <typename T>
  static Tensor FromVector(const std::vector<T>& v) {
    return FromVector(v, TensorShape{static_cast<int64_t>(v.size())});
  }

  bool valid() const { return dtype_ != DType::kInvalid; }
  DType dtype() const { return dtype_; }
  const TensorShape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  int64_t dim(int i) const { return shape_.dim(i); }
  int64_t NumElements() const { return num_elements_; }
  // Bytes of element data (0 for non-POD types).
  size_t TotalBytes() const { return static_cast<size_t>(num_elements_) * DTypeSize(dtype_); }

  void* raw_data() { return data_; }
  const void* raw_data() const { return data_; }
  template <typename T>
  T* data() {
    return static_cast<T*>(data_);
  }
  template <typename T>
  const T* data() const {
    return static_cast<const T*>(data_);
  }
  template <typename T>
  absl::Span<T> flat() {
    return absl::Span<T>(data<T>(), static_cast<size_t>(num_elements_));
  }
  template <typename T>
  absl::Span<const T> flat() const {
    return absl::Span<const T>(data<T>(), static_cast<size_t>(num_elements_));
  }
  template <typename T>
  const T& scalar() const {
    return data<T>()[0];
  }
  template <typename T>
  T& scalar() {
    return data<T>()[0];
  }

  // Same buffer, new shape with the same element count.
  absl::StatusOr<Tensor> Reshaped(const TensorShape& shape) const;
  // Rows [begin, end) along dimension 0, sharing the buffer.
  Tensor Slice(int64_t begin, int64_t end) const;
  // An independent copy of the data.
  Tensor DeepCopy() const;
  bool SharesBufferWith(const Tensor& o) const { return buffer_ && buffer_ == o.buffer_; }
  // True when this tensor is the only owner of its buffer (kernels may then reuse it).
  bool BufferIsUnique() const { return buffer_ && buffer_.use_count() == 1; }

  // "float [2,3] [1 2 3 4 5 6]", showing at most `max_entries` values.
  std::string DebugString(int max_entries = 10) const;
  // Element i as text (numbers as %g-like shortest round-trip, strings quoted and escaped).
  std::string ValueString(int64_t i) const;

 private:
  DType dtype_ = DType::kInvalid;
  TensorShape shape_;
  int64_t num_elements_ = 0;
  std::shared_ptr<TensorBuffer> buffer_;
  void* data_ = nullptr;
};

// Calls fn.template operator()<T>() with T the C++ type of `dtype`, for the numeric types
// and bool. Returns false (doing nothing) for other types.
template <typename Fn>
bool DispatchNumeric(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::kFloat:
      fn.template operator()<float>();
      return true;
    case DType::kDouble:
      fn.template operator()<double>();
      return true;
    case DType::kInt32:
      fn.template operator()<int32_t>();
      return true;
    case DType::kInt64:
      fn.template operator()<int64_t>();
      return true;
    case DType::kUInt8:
      fn.template operator()<uint8_t>();
      return true;
    case DType::kInt8:
      fn.template operator()<int8_t>();
      return true;
    case DType::kInt16:
      fn.template operator()<int16_t>();
      return true;
    case DType::kUInt16:
      fn.template operator()<uint16_t>();
      return true;
    case DType::kUInt32:
      fn.template operator()<uint32_t>();
      return true;
    case DType::kUInt64:
      fn.template operator()<uint64_t>();
      return true;
    case DType::kBool:
      fn.template operator()<bool>();
      return true;
    default:
      return false;
  }
}

}  // namespace tfmodel

#endif  // TFMODEL_CORE_TENSOR_H_
