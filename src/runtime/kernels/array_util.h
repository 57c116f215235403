// Helpers shared by the array/shape kernels: dtype-agnostic element movement, reading
// int32/int64 index tensors, axis canonicalisation and strided N-d copies.
#ifndef TFMODEL_RUNTIME_KERNELS_ARRAY_UTIL_H_
#define TFMODEL_RUNTIME_KERNELS_ARRAY_UTIL_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/types/span.h"
#include "core/tensor.h"
#include "runtime/kernel.h"

namespace tfmodel::runtime::array_util {

// A POD element of N bytes with alignment 1: copying it is a memcpy, so kernels can move
// any fixed-size dtype (including views with arbitrary offsets) without misaligned loads.
template <size_t N>
struct Bytes {
  unsigned char b[N];
};

// Calls fn.template operator()<T>() with T = Bytes<DTypeSize> for POD dtypes, or the
// object type for string / resource / variant tensors. Returns false for other dtypes.
template <typename Fn>
bool DispatchElem(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::kString:
      fn.template operator()<std::string>();
      return true;
    case DType::kResource:
      fn.template operator()<ResourceHandle>();
      return true;
    case DType::kVariant:
      fn.template operator()<Variant>();
      return true;
    default:
      break;
  }
  if (!DTypeIsPod(dtype)) return false;
  switch (DTypeSize(dtype)) {
    case 1:
      fn.template operator()<Bytes<1>>();
      return true;
    case 2:
      fn.template operator()<Bytes<2>>();
      return true;
    case 4:
      fn.template operator()<Bytes<4>>();
      return true;
    case 8:
      fn.template operator()<Bytes<8>>();
      return true;
    case 16:
      fn.template operator()<Bytes<16>>();
      return true;
    default:
      return false;
  }
}

inline absl::Status UnsupportedDType(const KernelContext* ctx, DType dtype) {
  return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(dtype)));
}

// "[2,3]" as TF prints shapes in messages.
inline std::string ShapeStr(const TensorShape& s) { return s.ToString(); }

inline bool IsIndexDType(DType d) { return d == DType::kInt32 || d == DType::kInt64; }

// Reads every element of an int32/int64 tensor as int64.
inline absl::StatusOr<std::vector<int64_t>> ReadInts(const KernelContext* ctx, const Tensor& t,
                                                     absl::string_view what) {
  std::vector<int64_t> v(static_cast<size_t>(t.NumElements()));
  if (t.dtype() == DType::kInt32) {
    const int32_t* p = t.data<int32_t>();
    for (size_t i = 0; i < v.size(); ++i) v[i] = p[i];
  } else if (t.dtype() == DType::kInt64) {
    const int64_t* p = t.data<int64_t>();
    for (size_t i = 0; i < v.size(); ++i) v[i] = p[i];
  } else {
    return ctx->Error(absl::StrCat(what, " must be int32 or int64, got ", DTypeName(t.dtype())));
  }
  return v;
}

// A 1-D int vector (TF's "must be a vector" checks).
inline absl::StatusOr<std::vector<int64_t>> ReadIntVector(const KernelContext* ctx, const Tensor& t,
                                                          absl::string_view what) {
  if (t.rank() != 1) {
    return ctx->Error(absl::StrCat(what, " must be a vector, got shape ", ShapeStr(t.shape())));
  }
  return ReadInts(ctx, t, what);
}

// A scalar (or, as TF tolerates for axis-like inputs, a 1-element vector) int.
inline absl::StatusOr<int64_t> ReadIntScalar(const KernelContext* ctx, const Tensor& t,
                                             absl::string_view what, bool allow_one_vector) {
  bool ok = t.rank() == 0 || (allow_one_vector && t.rank() == 1 && t.NumElements() == 1);
  if (!ok) {
    return ctx->Error(absl::StrCat(what, " must be a scalar, got shape ", ShapeStr(t.shape())));
  }
  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> v, ReadInts(ctx, t, what));
  return v[0];
}

// Validates a shape computed from untrusted values (non-negative, bounded element count).
inline absl::Status CheckShape(const KernelContext* ctx, const TensorShape& s) {
  absl::Status st = TensorShape::Validate(s.dim_sizes());
  if (!st.ok()) return ctx->Error(absl::StrCat("invalid output shape: ", st.message()));
  return absl::OkStatus();
}

// Output dtype for Shape/Size/Rank-like ops.
inline absl::StatusOr<std::vector<int64_t>> Dims(const TensorShape& s) {
  return std::vector<int64_t>(s.dim_sizes().begin(), s.dim_sizes().end());
}

// Row-major element strides of a shape.
inline std::vector<int64_t> Strides(const TensorShape& s) {
  std::vector<int64_t> st(static_cast<size_t>(s.rank()));
  int64_t acc = 1;
  for (int i = s.rank() - 1; i >= 0; --i) {
    st[i] = acc;
    acc *= s.dim(i);
  }
  return st;
}

inline int64_t Product(absl::Span<const int64_t> dims, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= dims[i];
  return p;
}

// Copies count elements (src and dst do not overlap).
template <typename T>
inline void CopyN(const T* src, int64_t count, T* dst) {
  if constexpr (std::is_trivially_copyable_v<T>) {
    if (count > 0)
      std::memcpy(static_cast<void*>(dst), src, static_cast<size_t>(count) * sizeof(T));
  } else {
    for (int64_t i = 0; i < count; ++i) dst[i] = src[i];
  }
}

// The general N-d copy: for every index (i_0..i_{n-1}) of `dims`,
//   dst[dst_base + sum i_k*dst_strides[k]] = src[src_base + sum i_k*src_strides[k]].
// Strides may be zero (broadcast) or negative (reverse). Offsets must be in range: the
// caller validates shapes first.
template <typename T>
void StridedCopy(const T* src, int64_t src_base, absl::Span<const int64_t> src_strides, T* dst,
                 int64_t dst_base, absl::Span<const int64_t> dst_strides,
                 absl::Span<const int64_t> dims) {
  const int n = static_cast<int>(dims.size());
  for (int64_t d : dims) {
    if (d == 0) return;
  }
  if (n == 0) {
    dst[dst_base] = src[src_base];
    return;
  }
  const int64_t inner = dims[n - 1];
  const int64_t ss = src_strides[n - 1];
  const int64_t ds = dst_strides[n - 1];
  std::vector<int64_t> idx(static_cast<size_t>(n), 0);
  int64_t so = src_base, dof = dst_base;
  while (true) {
    if (ss == 1 && ds == 1) {
      CopyN(src + so, inner, dst + dof);
    } else {
      const T* s = src + so;
      T* d = dst + dof;
      for (int64_t i = 0; i < inner; ++i) d[i * ds] = s[i * ss];
    }
    int k = n - 2;
    for (; k >= 0; --k) {
      so += src_strides[k];
      dof += dst_strides[k];
      if (++idx[k] < dims[k]) break;
      so -= src_strides[k] * dims[k];
      dof -= dst_strides[k] * dims[k];
      idx[k] = 0;
    }
    if (k < 0) return;
  }
}

// StridedCopy into a fresh contiguous destination whose shape is `dims`.
template <typename T>
void StridedGather(const T* src, int64_t src_base, absl::Span<const int64_t> src_strides, T* dst,
                   absl::Span<const int64_t> dims) {
  std::vector<int64_t> ds(dims.size());
  int64_t acc = 1;
  for (int i = static_cast<int>(dims.size()) - 1; i >= 0; --i) {
    ds[i] = acc;
    acc *= dims[i];
  }
  StridedCopy(src, src_base, src_strides, dst, 0, ds, dims);
}

// Dtype-agnostic StridedGather into a new tensor of shape `out_shape`.
inline absl::StatusOr<Tensor> GatherStrided(const KernelContext* ctx, const Tensor& in,
                                            int64_t src_base, absl::Span<const int64_t> src_strides,
                                            const TensorShape& out_shape) {
  Tensor out = Tensor::Empty(in.dtype(), out_shape);
  bool ok = DispatchElem(in.dtype(), [&]<typename T>() {
    StridedGather(in.data<T>(), src_base, src_strides, out.data<T>(), out_shape.dim_sizes());
  });
  if (!ok) return UnsupportedDType(ctx, in.dtype());
  return out;
}

// Fills `n` elements of `dst` with the single element at `value`.
template <typename T>
void FillN(T* dst, int64_t n, const T& value) {
  for (int64_t i = 0; i < n; ++i) dst[i] = value;
}

// A tensor of `shape` with every element equal to scalar tensor `value`'s element.
inline absl::StatusOr<Tensor> FilledLike(const KernelContext* ctx, const Tensor& value,
                                         const TensorShape& shape) {
  Tensor out = Tensor::Empty(value.dtype(), shape);
  bool ok = DispatchElem(value.dtype(), [&]<typename T>() {
    FillN(out.data<T>(), out.NumElements(), value.data<T>()[0]);
  });
  if (!ok) return UnsupportedDType(ctx, value.dtype());
  return out;
}

// Canonicalises axis in [-rank, rank) to [0, rank).
inline absl::StatusOr<int> CanonicalAxis(const KernelContext* ctx, int64_t axis, int rank,
                                         absl::string_view what) {
  if (axis < -rank || axis >= rank) {
    return ctx->Error(
        absl::StrCat("Expected ", what, " in the range [", -rank, ", ", rank, "), but got ", axis));
  }
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

// Formats a position like TF's SliceDebugString: "[1,2]" (empty for scalars).
inline std::string IndexStr(const TensorShape& shape, int64_t flat) {
  if (shape.rank() == 0) return "";
  std::vector<int64_t> pos(static_cast<size_t>(shape.rank()));
  for (int i = shape.rank() - 1; i >= 0; --i) {
    int64_t d = shape.dim(i);
    pos[i] = d == 0 ? 0 : flat % d;
    flat = d == 0 ? 0 : flat / d;
  }
  return absl::StrCat("[", absl::StrJoin(pos, ","), "]");
}

// Writes `v` (already validated to fit) to element i of an int32/int64 tensor.
inline void SetInt(Tensor& t, int64_t i, int64_t v) {
  if (t.dtype() == DType::kInt32) {
    t.data<int32_t>()[i] = static_cast<int32_t>(v);
  } else {
    t.data<int64_t>()[i] = v;
  }
}

// Reads an element of any numeric/bool tensor as double (for Bucketize-like ops).
inline double ElementAsDouble(const Tensor& t, int64_t i) {
  double r = 0;
  switch (t.dtype()) {
    case DType::kHalf: {
      Half h;
      std::memcpy(&h, static_cast<const char*>(t.raw_data()) + i * 2, 2);
      return h.ToFloat();
    }
    case DType::kBFloat16: {
      BFloat16 h;
      std::memcpy(&h, static_cast<const char*>(t.raw_data()) + i * 2, 2);
      return h.ToFloat();
    }
    default:
      DispatchNumeric(t.dtype(), [&]<typename T>() { r = static_cast<double>(t.data<T>()[i]); });
      return r;
  }
}

}  // namespace tfmodel::runtime::array_util

#endif  // TFMODEL_RUNTIME_KERNELS_ARRAY_UTIL_H_
