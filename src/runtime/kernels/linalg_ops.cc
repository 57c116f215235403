// Batched dense linear algebra through Eigen (the library TF's own CPU kernels call, so
// pivoting conventions match): MatrixInverse, MatrixDeterminant, LogMatrixDeterminant,
// Cholesky, MatrixSolve and MatrixTriangularSolve. (Qr, SelfAdjointEigV2 and Svd are in
// linalg_decomp.cc.) Inputs are [..., M, N] batches of row-major matrices of float,
// double, complex64 or complex128 (half/bfloat16 are computed in float).
//
// As in TF: MatrixInverse / MatrixSolve use partial-pivot LU and fail with "Input is not
// invertible." on an exactly zero pivot; Cholesky reads only the lower triangle and fails
// when the matrix is not positive definite; LogMatrixDeterminant returns (sign, log|det|)
// with sign 0 and -inf for singular matrices; the determinant of a 0x0 matrix is 1.
// MatrixTriangularSolve broadcasts batch dims; MatrixSolve needs equal batch dims.
#include <cmath>
#include <complex>
#include <limits>
#include <vector>

#include "Eigen/Cholesky"
#include "Eigen/Core"
#include "Eigen/LU"
#include "runtime/kernels/arity.h"
#include "runtime/kernels/array_util.h"
#include "runtime/kernels/broadcast.h"
#include "runtime/kernels/linalg_util.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;
using array_util::ShapeStr;

using linalg::BatchOf;
using linalg::BatchShape;
using linalg::CheckMatrices;
using linalg::CMap;
using linalg::DispatchLinalg;
using linalg::Io;
using linalg::Mat;
using linalg::MMap;

// ---- MatrixInverse / MatrixDeterminant / LogMatrixDeterminant ----

Result MakeInverse(const KernelInit& init) {
  bool adjoint = false;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("adjoint", &adjoint));
  return MakeKernel([adjoint](KernelContext* ctx) -> absl::Status {
    TFM_ASSIGN_OR_RETURN(Io io, CheckMatrices(ctx, ctx->input(0), true));
    const Tensor in = io.in(ctx->input(0));
    const int64_t n = in.dim(in.rank() - 1), batch = BatchOf(in);
    Tensor out = Tensor::Empty(in.dtype(), in.shape());
    bool singular = false;
    DispatchLinalg(in.dtype(), [&]<typename T>() {
      for (int64_t b = 0; b < batch && !singular && n > 0; ++b) {
        CMap<T> a(in.data<T>() + b * n * n, n, n);
        Eigen::PartialPivLU<Mat<T>> lu(adjoint ? Mat<T>(a.adjoint()) : Mat<T>(a));
        if (!(lu.matrixLU().diagonal().cwiseAbs().minCoeff() > 0)) {
          singular = true;
          break;
        }
        MMap<T>(out.data<T>() + b * n * n, n, n) = lu.inverse();
      }
    });
    if (singular) return ctx->Error("Input is not invertible.");
    ctx->set_output(0, io.out(out));
    return absl::OkStatus();
  });
}

// sign and log|det| of one matrix through partial-pivot LU.
template <typename T>
void SLogDet(const CMap<T>& a, T* sign, double* log_abs) {
  using Real = typename Eigen::NumTraits<T>::Real;
  const int64_t n = a.rows();
  if (n == 0) {
    *sign = T(1);
    *log_abs = 0;
    return;
  }
  Eigen::PartialPivLU<Mat<T>> lu(a);
  T s = static_cast<T>(static_cast<Real>(lu.permutationP().determinant()));
  double la = 0;
  for (int64_t i = 0; i < n; ++i) {
    const T u = lu.matrixLU()(i, i);
    const Real au = std::abs(u);
    if (au == Real(0)) {
      *sign = T(0);
      *log_abs = -std::numeric_limits<double>::infinity();
      return;
    }
    s *= u / au;
    la += std::log(static_cast<double>(au));
  }
  *sign = s;
  *log_abs = la;
}

Result MakeDeterminant(const KernelInit& init) {
  const bool log = init.op() == "LogMatrixDeterminant";
  return MakeKernel([log](KernelContext* ctx) -> absl::Status {
    TFM_ASSIGN_OR_RETURN(Io io, CheckMatrices(ctx, ctx->input(0), true));
    const Tensor in = io.in(ctx->input(0));
    const int64_t n = in.dim(in.rank() - 1), batch = BatchOf(in);
    Tensor det = Tensor::Empty(in.dtype(), BatchShape(in));
    Tensor logabs = Tensor::Empty(in.dtype(), BatchShape(in));
    DispatchLinalg(in.dtype(), [&]<typename T>() {
      using Real = typename Eigen::NumTraits<T>::Real;
      for (int64_t b = 0; b < batch; ++b) {
        CMap<T> a(in.data<T>() + b * n * n, n, n);
        if (!log) {
          det.data<T>()[b] = n == 0 ? T(1) : Eigen::PartialPivLU<Mat<T>>(a).determinant();
          continue;
        }
        T sign;
        double la;
        SLogDet<T>(a, &sign, &la);
        det.data<T>()[b] = sign;
        logabs.data<T>()[b] = T(static_cast<Real>(la));
      }
    });
    ctx->set_output(0, io.out(det));
    if (log) ctx->set_output(1, io.out(logabs));
    return absl::OkStatus();
  });
}

// ---- Cholesky ----

Result MakeCholesky(const KernelInit&) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    TFM_ASSIGN_OR_RETURN(Io io, CheckMatrices(ctx, ctx->input(0), true));
    const Tensor in = io.in(ctx->input(0));
    const int64_t n = in.dim(in.rank() - 1), batch = BatchOf(in);
    Tensor out(in.dtype(), in.shape());
    bool failed = false;
    DispatchLinalg(in.dtype(), [&]<typename T>() {
      for (int64_t b = 0; b < batch && n > 0; ++b) {
        CMap<T> a(in.data<T>() + b * n * n, n, n);
        Eigen::LLT<Mat<T>, Eigen::Lower> llt(a);
        if (llt.info() != Eigen::Success) {
          failed = true;
          return;
        }
        MMap<T>(out.data<T>() + b * n * n, n, n) = llt.matrixL();
      }
    });
    if (failed) {
      return ctx->Error("Cholesky decomposition was not successful. The input might not be valid.");
    }
    ctx->set_output(0, io.out(out));
    return absl::OkStatus();
  });
}

// ---- MatrixSolve / MatrixTriangularSolve ----

absl::Status CheckRhs(KernelContext* ctx, const Tensor& a, const Tensor& rhs) {
  if (rhs.dtype() != a.dtype()) {
    return ctx->Error(absl::StrCat("matrix and rhs must have the same dtype, got ",
                                   DTypeName(a.dtype()), " and ", DTypeName(rhs.dtype())));
  }
  if (rhs.rank() < 2) {
    return ctx->Error(absl::StrCat("rhs must have rank >= 2, got shape ", ShapeStr(rhs.shape())));
  }
  if (rhs.dim(rhs.rank() - 2) != a.dim(a.rank() - 1)) {
    return ctx->Error(
        absl::StrCat("Input matrix and right-hand side must have the same number of "
                     "rows, got ",
                     ShapeStr(a.shape()), " and ", ShapeStr(rhs.shape())));
  }
  return absl::OkStatus();
}

Result MakeSolve(const KernelInit& init) {
  bool adjoint = false;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("adjoint", &adjoint));
  return MakeKernel([adjoint](KernelContext* ctx) -> absl::Status {
    TFM_ASSIGN_OR_RETURN(Io io, CheckMatrices(ctx, ctx->input(0), true));
    TFM_RETURN_IF_ERROR(CheckRhs(ctx, ctx->input(0), ctx->input(1)));
    const Tensor a = io.in(ctx->input(0)), rhs = io.in(ctx->input(1));
    if (BatchShape(a) != BatchShape(rhs)) {
      return ctx->Error(absl::StrCat("matrix and rhs must have the same batch dimensions, got ",
                                     ShapeStr(a.shape()), " and ", ShapeStr(rhs.shape())));
    }
    const int64_t n = a.dim(a.rank() - 1), k = rhs.dim(rhs.rank() - 1), batch = BatchOf(a);
    Tensor out(a.dtype(), rhs.shape());
    bool singular = false;
    DispatchLinalg(a.dtype(), [&]<typename T>() {
      for (int64_t b = 0; b < batch && n > 0 && k > 0; ++b) {
        CMap<T> am(a.data<T>() + b * n * n, n, n);
        CMap<T> bm(rhs.data<T>() + b * n * k, n, k);
        Eigen::PartialPivLU<Mat<T>> lu(adjoint ? Mat<T>(am.adjoint()) : Mat<T>(am));
        if (!(lu.matrixLU().diagonal().cwiseAbs().minCoeff() > 0)) {
          singular = true;
          return;
        }
        MMap<T>(out.data<T>() + b * n * k, n, k) = lu.solve(bm);
      }
    });
    if (singular) return ctx->Error("Input matrix is not invertible.");
    ctx->set_output(0, io.out(out));
    return absl::OkStatus();
  });
}

Result MakeTriangularSolve(const KernelInit& init) {
  bool lower = true, adjoint = false;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("lower", &lower));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("adjoint", &adjoint));
  return MakeKernel([lower, adjoint](KernelContext* ctx) -> absl::Status {
    TFM_ASSIGN_OR_RETURN(Io io, CheckMatrices(ctx, ctx->input(0), true));
    TFM_RETURN_IF_ERROR(CheckRhs(ctx, ctx->input(0), ctx->input(1)));
    const Tensor a = io.in(ctx->input(0)), rhs = io.in(ctx->input(1));
    const TensorShape ab = BatchShape(a), bb = BatchShape(rhs);
    TensorShape out_batch;
    const TensorShape* shapes[] = {&ab, &bb};
    if (!BroadcastShape(shapes, &out_batch)) {
      return ctx->Error(absl::StrCat("Incompatible batch shapes: ", ShapeStr(a.shape()), " vs. ",
                                     ShapeStr(rhs.shape())));
    }
    const int64_t n = a.dim(a.rank() - 1), k = rhs.dim(rhs.rank() - 1);
    TensorShape out_shape = out_batch;
    out_shape.AddDim(n);
    out_shape.AddDim(k);
    TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, out_shape));
    Tensor out(a.dtype(), out_shape);
    // Batch offsets of each operand (right-aligned broadcasting).
    const int br = out_batch.rank();
    auto offset = [&](const TensorShape& s, int64_t flat) {
      int64_t off = 0, stride = 1;
      for (int d = br - 1; d >= 0; --d) {
        const int64_t idx = flat % out_batch.dim(d);
        flat /= out_batch.dim(d);
        const int sd = d - (br - s.rank());
        if (sd >= 0) {
          if (s.dim(sd) != 1) off += idx * stride;
          stride *= s.dim(sd);
        }
      }
      return off;
    };
    DispatchLinalg(a.dtype(), [&]<typename T>() {
      for (int64_t b = 0; b < out_batch.NumElements() && n > 0 && k > 0; ++b) {
        CMap<T> am(a.data<T>() + offset(ab, b) * n * n, n, n);
        CMap<T> bm(rhs.data<T>() + offset(bb, b) * n * k, n, k);
        MMap<T> om(out.data<T>() + b * n * k, n, k);
        if (lower && !adjoint) {
          om = am.template triangularView<Eigen::Lower>().solve(bm);
        } else if (lower) {
          om = am.adjoint().template triangularView<Eigen::Upper>().solve(bm);
        } else if (!adjoint) {
          om = am.template triangularView<Eigen::Upper>().solve(bm);
        } else {
          om = am.adjoint().template triangularView<Eigen::Lower>().solve(bm);
        }
      }
    });
    ctx->set_output(0, io.out(out));
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterLinalgKernels(KernelRegistry& r) {
  r.Register("MatrixInverse", WithInputs(1, MakeInverse));
  r.Register("MatrixDeterminant", WithInputs(1, MakeDeterminant));
  r.Register("LogMatrixDeterminant", WithInputs(1, MakeDeterminant));
  r.Register("Cholesky", WithInputs(1, MakeCholesky));
  r.Register("MatrixSolve", WithInputs(2, MakeSolve));
  r.Register("MatrixTriangularSolve", WithInputs(2, MakeTriangularSolve));
}

}  // namespace tfmodel::runtime
