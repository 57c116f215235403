// Helpers shared by the linear algebra kernels (linalg_ops.cc, linalg_decomp.cc): Eigen
// maps over row-major matrix batches, dtype dispatch and input checks.
#ifndef TFMODEL_RUNTIME_KERNELS_LINALG_UTIL_H_
#define TFMODEL_RUNTIME_KERNELS_LINALG_UTIL_H_

#include "Eigen/Core"
#include "runtime/kernels/array_util.h"
#include "runtime/kernels/broadcast.h"

namespace tfmodel::runtime::linalg {

template <typename T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using CMap = Eigen::Map<const Mat<T>>;
template <typename T>
using MMap = Eigen::Map<Mat<T>>;

// float, double and, when allow_complex, complex64 / complex128.
template <bool AllowComplex = true, typename Fn>
bool DispatchLinalg(DType dt, Fn&& fn) {
  switch (dt) {
    case DType::kFloat:
      fn.template operator()<float>();
      return true;
    case DType::kDouble:
      fn.template operator()<double>();
      return true;
    case DType::kComplex64:
      if constexpr (AllowComplex) fn.template operator()<complex64>();
      return AllowComplex;
    case DType::kComplex128:
      if constexpr (AllowComplex) fn.template operator()<complex128>();
      return AllowComplex;
    default:
      return false;
  }
}

// Converts half-likes to float on the way in and back on the way out.
struct Io {
  DType dtype;
  bool half;
  Tensor in(const Tensor& t) const { return half ? HalfLikeToFloat(t) : t; }
  Tensor out(const Tensor& t) const { return half ? FloatToHalfLike(t, dtype) : t; }
};

// Checks a [..., M, N] batch (square when asked) of a supported dtype.
template <bool AllowComplex = true>
absl::StatusOr<Io> CheckMatrices(KernelContext* ctx, const Tensor& t, bool square) {
  if (t.rank() < 2) {
    return ctx->Error(absl::StrCat("Input tensor 0 must have rank >= 2, got shape ",
                                   array_util::ShapeStr(t.shape())));
  }
  const int64_t m = t.dim(t.rank() - 2), n = t.dim(t.rank() - 1);
  if (square && m != n) {
    return ctx->Error(
        absl::StrCat("Input matrix must be square, got shape ", array_util::ShapeStr(t.shape())));
  }
  Io io{t.dtype(), IsHalfLike(t.dtype())};
  if (!io.half && !DispatchLinalg<AllowComplex>(t.dtype(), []<typename T>() {})) {
    return array_util::UnsupportedDType(ctx, t.dtype());
  }
  return io;
}

inline int64_t BatchOf(const Tensor& t) {
  return array_util::Product(t.shape().dim_sizes(), 0, static_cast<size_t>(t.rank() - 2));
}

inline TensorShape BatchShape(const Tensor& t) {
  TensorShape s;
  for (int d = 0; d < t.rank() - 2; ++d) s.AddDim(t.dim(d));
  return s;
}

}  // namespace tfmodel::runtime::linalg

#endif  // TFMODEL_RUNTIME_KERNELS_LINALG_UTIL_H_
