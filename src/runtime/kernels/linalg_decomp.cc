// Batched matrix decompositions through Eigen, as TF's CPU kernels compute them: Qr
// (HouseholderQR; R's diagonal may be negative, as in LAPACK), SelfAdjointEigV2
// (eigenvalues ascending, reading the lower triangle) and Svd (BDCSVD; singular values
// descending). float and double (half/bfloat16 in float); complex inputs are rejected
// with a clear error (rare in inference graphs, and heavy to compile).
#include "Eigen/Eigenvalues"
#include "Eigen/QR"
#include "Eigen/SVD"
#include "runtime/kernels/arity.h"
#include "runtime/kernels/linalg_util.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;
using linalg::BatchOf;
using linalg::BatchShape;
using linalg::CMap;
using linalg::Io;
using linalg::Mat;
using linalg::MMap;

template <typename Fn>
bool DispatchDecomp(DType dt, Fn&& fn) {
  return linalg::DispatchLinalg<false>(dt, std::forward<Fn>(fn));
}

// ---- Qr ----

Result MakeQr(const KernelInit& init) {
  bool full = false;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("full_matrices", &full));
  return MakeKernel([full](KernelContext* ctx) -> absl::Status {
    TFM_ASSIGN_OR_RETURN(Io io, linalg::CheckMatrices<false>(ctx, ctx->input(0), false));
    const Tensor in = io.in(ctx->input(0));
    const int64_t m = in.dim(in.rank() - 2), n = in.dim(in.rank() - 1), batch = BatchOf(in);
    const int64_t p = std::min(m, n);
    const int64_t qcols = full ? m : p, rrows = full ? m : p;
    TensorShape qs = BatchShape(in), rs = BatchShape(in);
    qs.AddDim(m);
    qs.AddDim(qcols);
    rs.AddDim(rrows);
    rs.AddDim(n);
    Tensor q(in.dtype(), qs), r(in.dtype(), rs);
    DispatchDecomp(in.dtype(), [&]<typename T>() {
      for (int64_t b = 0; b < batch; ++b) {
        CMap<T> a(in.data<T>() + b * m * n, m, n);
        MMap<T> qm(q.data<T>() + b * m * qcols, m, qcols);
        MMap<T> rm(r.data<T>() + b * rrows * n, rrows, n);
        if (m == 0 || n == 0) {
          qm.setIdentity();
          rm.setZero();
          continue;
        }
        Eigen::HouseholderQR<Mat<T>> qr(a);
        qm = qr.householderQ() * Mat<T>::Identity(m, qcols);
        rm = qr.matrixQR().topRows(rrows).template triangularView<Eigen::Upper>();
      }
    });
    ctx->set_output(0, io.out(q));
    ctx->set_output(1, io.out(r));
    return absl::OkStatus();
  });
}

// ---- SelfAdjointEigV2 / Svd ----

Result MakeEig(const KernelInit& init) {
  bool compute_v = true;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("compute_v", &compute_v));
  return MakeKernel([compute_v](KernelContext* ctx) -> absl::Status {
    TFM_ASSIGN_OR_RETURN(Io io, linalg::CheckMatrices<false>(ctx, ctx->input(0), true));
    const Tensor in = io.in(ctx->input(0));
    const int64_t n = in.dim(in.rank() - 1), batch = BatchOf(in);
    TensorShape es = BatchShape(in);
    es.AddDim(n);
    Tensor e(in.dtype(), es);
    Tensor v(in.dtype(), compute_v ? in.shape() : TensorShape{0});
    DispatchDecomp(in.dtype(), [&]<typename T>() {
      for (int64_t b = 0; b < batch && n > 0; ++b) {
        CMap<T> a(in.data<T>() + b * n * n, n, n);
        Eigen::SelfAdjointEigenSolver<Mat<T>> es(
            a, compute_v ? Eigen::ComputeEigenvectors : Eigen::EigenvaluesOnly);
        for (int64_t i = 0; i < n; ++i) e.data<T>()[b * n + i] = T(es.eigenvalues()(i));
        if (compute_v) MMap<T>(v.data<T>() + b * n * n, n, n) = es.eigenvectors();
      }
    });
    ctx->set_output(0, io.out(e));
    ctx->set_output(1, io.out(v));
    return absl::OkStatus();
  });
}

Result MakeSvd(const KernelInit& init) {
  bool compute_uv = true, full = false;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("compute_uv", &compute_uv));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("full_matrices", &full));
  return MakeKernel([compute_uv, full](KernelContext* ctx) -> absl::Status {
    TFM_ASSIGN_OR_RETURN(Io io, linalg::CheckMatrices<false>(ctx, ctx->input(0), false));
    const Tensor in = io.in(ctx->input(0));
    const int64_t m = in.dim(in.rank() - 2), n = in.dim(in.rank() - 1), batch = BatchOf(in);
    const int64_t p = std::min(m, n);
    const int64_t ucols = full ? m : p, vcols = full ? n : p;
    TensorShape ss = BatchShape(in), us = BatchShape(in), vs = BatchShape(in);
    ss.AddDim(p);
    us.AddDim(m);
    us.AddDim(ucols);
    vs.AddDim(n);
    vs.AddDim(vcols);
    Tensor s(in.dtype(), ss);
    Tensor u(in.dtype(), compute_uv ? us : TensorShape{0});
    Tensor v(in.dtype(), compute_uv ? vs : TensorShape{0});
    DispatchDecomp(in.dtype(), [&]<typename T>() {
      for (int64_t b = 0; b < batch && p > 0; ++b) {
        CMap<T> a(in.data<T>() + b * m * n, m, n);
        const unsigned opts = !compute_uv ? 0
                                          : (full ? Eigen::ComputeFullU | Eigen::ComputeFullV
                                                  : Eigen::ComputeThinU | Eigen::ComputeThinV);
        Eigen::BDCSVD<Mat<T>> svd(a, opts);
        for (int64_t i = 0; i < p; ++i) s.data<T>()[b * p + i] = T(svd.singularValues()(i));
        if (compute_uv) {
          MMap<T>(u.data<T>() + b * m * ucols, m, ucols) = svd.matrixU();
          MMap<T>(v.data<T>() + b * n * vcols, n, vcols) = svd.matrixV();
        }
      }
    });
    ctx->set_output(0, io.out(s));
    ctx->set_output(1, io.out(u));
    ctx->set_output(2, io.out(v));
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterLinalgDecompKernels(KernelRegistry& r) {
  r.Register("Qr", WithInputs(1, MakeQr));
  r.Register("SelfAdjointEigV2", WithInputs(1, MakeEig));
  r.Register("Svd", WithInputs(1, MakeSvd));
}

}  // namespace tfmodel::runtime
