// tfmodel C++ API: Tensor, an owned n-dimensional array (a TFM_Tensor). Header-only over
// the C API.
#ifndef TFMODEL_PUBLIC_TENSOR_H_
#define TFMODEL_PUBLIC_TENSOR_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tfmodel/c_api.h"
#include "tfmodel/status.h"

namespace tfmodel {

class Tensor {
 public:
  Tensor() = default;
  // Takes ownership of a TFM_Tensor (may be null).
  explicit Tensor(TFM_Tensor* t) : t_(t) {}
  ~Tensor() { TFM_DeleteTensor(t_); }
  Tensor(Tensor&& o) noexcept : t_(std::exchange(o.t_, nullptr)) {}
  Tensor& operator=(Tensor&& o) noexcept {
    if (this != &o) {
      TFM_DeleteTensor(t_);
      t_ = std::exchange(o.t_, nullptr);
    }
    return *this;
  }
  Tensor(const Tensor&) = delete;
  Tensor& operator=(const Tensor&) = delete;

  // A tensor of `dtype` and `dims` holding a copy of the `bytes` bytes at `data` (which
  // must match the shape). String tensors: null data and 0 bytes; elements start empty.
  static Status Create(TFM_DataType dtype, const std::vector<int64_t>& dims, const void* data,
                       size_t bytes, Tensor* out) {
    detail::CStatus st;
    TFM_Tensor* t =
        TFM_NewTensor(dtype, dims.data(), static_cast<int>(dims.size()), data, bytes, st.get());
    Status s = st.ToStatus();
    if (s.ok()) *out = Tensor(t);
    return s;
  }
  // Typed convenience: Create<float>(TFM_FLOAT, {2, 1}, {1.f, 4.f}, &t).
  template <typename T>
  static Status Create(TFM_DataType dtype, const std::vector<int64_t>& dims,
                       const std::vector<T>& values, Tensor* out) {
    return Create(dtype, dims, values.data(), values.size() * sizeof(T), out);
  }

  bool valid() const { return t_ != nullptr; }
  TFM_DataType dtype() const { return TFM_TensorType(t_); }
  std::vector<int64_t> dims() const {
    std::vector<int64_t> d(static_cast<size_t>(TFM_TensorRank(t_)));
    for (size_t i = 0; i < d.size(); ++i) d[i] = TFM_TensorDim(t_, static_cast<int>(i));
    return d;
  }
  int64_t element_count() const { return TFM_TensorElementCount(t_); }
  size_t byte_size() const { return TFM_TensorByteSize(t_); }
  // The elements of a numeric tensor (T must match dtype()).
  template <typename T>
  T* data() {
    return static_cast<T*>(TFM_TensorData(t_));
  }
  template <typename T>
  std::vector<T> ToVector() const {
    const T* p = static_cast<const T*>(TFM_TensorData(const_cast<TFM_Tensor*>(t_)));
    return std::vector<T>(p, p + element_count());
  }
  // Element `index` of a string tensor.
  Status GetString(int64_t index, std::string* out) const {
    detail::CStatus st;
    size_t len = 0;
    const char* p = TFM_TensorGetString(t_, index, &len, st.get());
    Status s = st.ToStatus();
    if (s.ok()) out->assign(p, len);
    return s;
  }
  Status SetString(int64_t index, const std::string& value) {
    detail::CStatus st;
    TFM_TensorSetString(t_, index, value.data(), value.size(), st.get());
    return st.ToStatus();
  }

  TFM_Tensor* handle() { return t_; }
  const TFM_Tensor* handle() const { return t_; }

 private:
  TFM_Tensor* t_ = nullptr;
};

}  // namespace tfmodel

#endif  // TFMODEL_PUBLIC_TENSOR_H_
