#include "core/tensor.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/float_format.h"
#include "core/tensor_limits.h"

namespace tfmodel {
namespace {

constexpr size_t kAlignment = 64;

class AlignedBuffer : public TensorBuffer {
 public:
  explicit AlignedBuffer(size_t bytes) : size_(bytes) {
    size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
    data_ = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
  }
  ~AlignedBuffer() override { std::free(data_); }
  void* data() override { return data_; }
  size_t size() const override { return size_; }

 private:
  void* data_;
  size_t size_;
};

// Small tensors (scalars, short vectors: most tensors of a serving request) keep their data
// inside the buffer object, so make_shared allocates once instead of twice. Aligned like
// malloc (16 bytes, enough for any vector load of 64 bytes or less) so the allocation
// stays on malloc's fast path.
class SmallBuffer : public TensorBuffer {
 public:
  static constexpr size_t kCapacity = 64;
  explicit SmallBuffer(size_t bytes) : size_(bytes) {}
  void* data() override { return data_; }
  size_t size() const override { return size_; }

 private:
  alignas(16) unsigned char data_[kCapacity];
  size_t size_;
};

template <typename T>
class ObjectBuffer : public TensorBuffer {
 public:
  explicit ObjectBuffer(size_t n) : data_(new T[n == 0 ? 1 : n]()), n_(n) {}
  void* data() override { return data_.get(); }
  size_t size() const override { return n_ * sizeof(T); }

 private:
  std::unique_ptr<T[]> data_;
  size_t n_;
};

std::shared_ptr<TensorBuffer> Allocate(DType dtype, int64_t n, bool zero) {
  switch (dtype) {
    case DType::kString:
      return std::make_shared<ObjectBuffer<std::string>>(n);
    case DType::kResource:
      return std::make_shared<ObjectBuffer<ResourceHandle>>(n);
    case DType::kVariant:
      return std::make_shared<ObjectBuffer<Variant>>(n);
    default: {
      size_t bytes = static_cast<size_t>(n) * DTypeSize(dtype);
      std::shared_ptr<TensorBuffer> b;
      if (bytes <= SmallBuffer::kCapacity) {
        b = std::make_shared<SmallBuffer>(bytes);
      } else {
        b = std::make_shared<AlignedBuffer>(bytes);
      }
      if (zero && bytes) std::memset(b->data(), 0, bytes);
      return b;
    }
  }
}

size_t ElementBytes(DType dtype) {
  switch (dtype) {
    case DType::kString:
      return sizeof(std::string);
    case DType::kResource:
      return sizeof(ResourceHandle);
    case DType::kVariant:
      return sizeof(Variant);
    default:
      return DTypeSize(dtype);
  }
}

std::atomic<size_t>& MaxTensorBytesValue() {
  static std::atomic<size_t> value = [] {
    const long pages = ::sysconf(_SC_PHYS_PAGES);
    const long page_size = ::sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page_size <= 0) return ~size_t{0};
    return static_cast<size_t>(pages) * static_cast<size_t>(page_size);
  }();
  return value;
}

}  // namespace

size_t MaxTensorBytes() { return MaxTensorBytesValue().load(std::memory_order_relaxed); }
void SetMaxTensorBytes(size_t bytes) {
  MaxTensorBytesValue().store(bytes, std::memory_order_relaxed);
}

Tensor::Tensor(DType dtype, const TensorShape& shape)
    : dtype_(dtype), shape_(shape), num_elements_(shape.NumElements()) {
  buffer_ = Allocate(dtype, num_elements_, /*zero=*/true);
  data_ = buffer_->data();
}

Tensor Tensor::Empty(DType dtype, const TensorShape& shape) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = shape;
  t.num_elements_ = shape.NumElements();
  t.buffer_ = Allocate(dtype, t.num_elements_, /*zero=*/false);
  t.data_ = t.buffer_->data();
  return t;
}

absl::StatusOr<Tensor> Tensor::Create(DType dtype, const TensorShape& shape) {
  absl::Status s = TensorShape::Validate(shape.dim_sizes());
  if (!s.ok()) return s;
  if (dtype == DType::kInvalid || (!DTypeIsPod(dtype) && dtype != DType::kString &&
                                   dtype != DType::kResource && dtype != DType::kVariant)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot allocate a tensor of dtype ", DTypeName(dtype)));
  }
  // Validate() bounds the count by 2^40 and element sizes are small, so this cannot overflow.
  const size_t bytes = static_cast<size_t>(shape.NumElements()) * ElementBytes(dtype);
  if (bytes > MaxTensorBytes()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "a ", DTypeName(dtype), " tensor of shape ", shape.ToString(), " needs ", bytes,
        " bytes, more than the ", MaxTensorBytes(), " bytes one tensor may take"));
  }
  return Tensor(dtype, shape);
}

Tensor Tensor::View(DType dtype, const TensorShape& shape, std::shared_ptr<TensorBuffer> buffer,
                    size_t offset) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = shape;
  t.num_elements_ = shape.NumElements();
  t.data_ = static_cast<char*>(buffer->data()) + offset;
  t.buffer_ = std::move(buffer);
  return t;
}

absl::StatusOr<Tensor> Tensor::Reshaped(const TensorShape& shape) const {
  if (shape.NumElements() != num_elements_) {
    return absl::InvalidArgumentError(absl::StrCat("cannot reshape a tensor with ", num_elements_,
                                                   " elements to shape ", shape.ToString()));
  }
  Tensor t = *this;
  t.shape_ = shape;
  return t;
}

Tensor Tensor::Slice(int64_t begin, int64_t end) const {
  Tensor t = *this;
  int64_t row = shape_.rank() == 0 || shape_.dim(0) == 0 ? 0 : num_elements_ / shape_.dim(0);
  t.shape_.set_dim(0, end - begin);
  t.num_elements_ = row * (end - begin);
  t.data_ = static_cast<char*>(data_) + static_cast<size_t>(begin * row) * ElementBytes(dtype_);
  return t;
}

Tensor Tensor::DeepCopy() const {
  if (!valid()) return Tensor();
  Tensor t = Empty(dtype_, shape_);
  switch (dtype_) {
    case DType::kString:
      std::copy(data<std::string>(), data<std::string>() + num_elements_, t.data<std::string>());
      break;
    case DType::kResource:
      std::copy(data<ResourceHandle>(), data<ResourceHandle>() + num_elements_,
                t.data<ResourceHandle>());
      break;
    case DType::kVariant:
      std::copy(data<Variant>(), data<Variant>() + num_elements_, t.data<Variant>());
      break;
    default:
      if (TotalBytes()) std::memcpy(t.data_, data_, TotalBytes());
  }
  return t;
}

std::string Tensor::ValueString(int64_t i) const {
  switch (dtype_) {
    case DType::kFloat:
      return FormatFloatShortest(data<float>()[i]);
    case DType::kDouble:
      return FormatDoubleShortest(data<double>()[i]);
    case DType::kHalf:
      return FormatFloatShortest(data<Half>()[i].ToFloat());
    case DType::kBFloat16:
      return FormatFloatShortest(data<BFloat16>()[i].ToFloat());
    case DType::kInt32:
      return absl::StrCat(data<int32_t>()[i]);
    case DType::kInt64:
      return absl::StrCat(data<int64_t>()[i]);
    case DType::kInt16:
      return absl::StrCat(data<int16_t>()[i]);
    case DType::kInt8:
      return absl::StrCat(data<int8_t>()[i]);
    case DType::kUInt8:
      return absl::StrCat(data<uint8_t>()[i]);
    case DType::kUInt16:
      return absl::StrCat(data<uint16_t>()[i]);
    case DType::kUInt32:
      return absl::StrCat(data<uint32_t>()[i]);
    case DType::kUInt64:
      return absl::StrCat(data<uint64_t>()[i]);
    case DType::kQInt8:
      return absl::StrCat(static_cast<const int8_t*>(data_)[i]);
    case DType::kQUInt8:
      return absl::StrCat(static_cast<const uint8_t*>(data_)[i]);
    case DType::kQInt32:
      return absl::StrCat(static_cast<const int32_t*>(data_)[i]);
    case DType::kQInt16:
      return absl::StrCat(static_cast<const int16_t*>(data_)[i]);
    case DType::kQUInt16:
      return absl::StrCat(static_cast<const uint16_t*>(data_)[i]);
    case DType::kBool:
      return data<bool>()[i] ? "True" : "False";
    case DType::kString: {
      const std::string& s = data<std::string>()[i];
      constexpr size_t kMax = 80;
      std::string shown = s.size() > kMax ? s.substr(0, kMax) : s;
      return absl::StrCat("b'", absl::CHexEscape(shown), s.size() > kMax ? "...'" : "'");
    }
    case DType::kComplex64: {
      auto c = data<complex64>()[i];
      return absl::StrCat("(", FormatFloat(c.real()), c.imag() < 0 ? "" : "+",
                          FormatFloat(c.imag()), "j)");
    }
    case DType::kComplex128: {
      auto c = data<complex128>()[i];
      return absl::StrCat("(", FormatDouble(c.real()), c.imag() < 0 ? "" : "+",
                          FormatDouble(c.imag()), "j)");
    }
    case DType::kResource: {
      const ResourceHandle& h = data<ResourceHandle>()[i];
      return absl::StrCat("<resource ", h.container, "/", h.name, ">");
    }
    case DType::kVariant:
      return absl::StrCat("<variant ", data<Variant>()[i].type_name, ">");
    default:
      return "?";
  }
}

std::string Tensor::DebugString(int max_entries) const {
  if (!valid()) return "<invalid tensor>";
  std::string out = absl::StrCat(DTypeName(dtype_), " ", shape_.ToString(), " [");
  int64_t n = std::min<int64_t>(num_elements_, max_entries);
  for (int64_t i = 0; i < n; ++i) {
    if (i) out += " ";
    out += ValueString(i);
  }
  if (n < num_elements_) out += " ...";
  return out + "]";
}

}  // namespace tfmodel
