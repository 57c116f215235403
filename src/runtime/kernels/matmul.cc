// MatMul, BatchMatMul, BatchMatMulV2 and BatchMatMulV3 (TF semantics: transpose_a/b for
// MatMul, adj_x/adj_y for the batch forms — the conjugate transpose for complex types —
// batch dimensions broadcast in V2/V3, Tout for V3). float uses oneDNN's sgemm; other
// types use Eigen's GEMM; half and bfloat16 compute in float.
#include "runtime/kernels/matmul.h"

#include <dnnl.h>

#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "runtime/kernel.h"
#include "runtime/kernels/nn_util.h"

namespace tfmodel::runtime {
namespace {

using nn::ShapeStr;

template <typename T>
void EigenGemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, const T* b, T* c) {
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::Map<Mat> cm(c, m, n);
  // Row-major A is [m,k], or [k,m] when transposed (likewise B).
  Eigen::Map<const Mat> am(a, ta ? k : m, ta ? m : k);
  Eigen::Map<const Mat> bm(b, tb ? n : k, tb ? k : n);
  if (!ta && !tb) {
    cm.noalias() = am * bm;
  } else if (ta && !tb) {
    cm.noalias() = am.transpose() * bm;
  } else if (!ta && tb) {
    cm.noalias() = am * bm.transpose();
  } else {
    cm.noalias() = am.transpose() * bm.transpose();
  }
}

// C[m,n] = op(A) * op(B), row-major, dense.
template <typename T>
absl::Status Gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, const T* b, T* c,
                  int threads) {
  if (m == 0 || n == 0) return absl::OkStatus();
  if (k == 0) {
    std::fill(c, c + m * n, T(0));
    return absl::OkStatus();
  }
  if constexpr (std::is_same_v<T, float>) {
    nn::ScopedOmpThreads omp(threads);
    const int64_t lda = ta ? m : k;
    const int64_t ldb = tb ? k : n;
    dnnl_status_t st =
        dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
    if (st != dnnl_success) {
      return absl::InternalError(
          absl::StrCat("dnnl_sgemm failed with status ", static_cast<int>(st)));
    }
  } else {
    EigenGemm<T>(ta, tb, m, n, k, a, b, c);
  }
  return absl::OkStatus();
}

// Numeric cast of a tensor to `to` (for BatchMatMulV3's Ta/Tb != Tout).
absl::StatusOr<Tensor> CastTo(const Tensor& t, DType to) {
  if (t.dtype() == to) return t;
  Tensor src = nn::IsHalfLike(t.dtype()) ? nn::ToFloat(t) : t;
  DType inter = nn::IsHalfLike(to) ? DType::kFloat : to;
  Tensor out;
  bool ok = true;
  if (src.dtype() == inter) {
    out = src;
  } else {
    out = Tensor::Empty(inter, src.shape());
    const int64_t n = src.NumElements();
    ok = DispatchNumeric(src.dtype(),
                         [&]<typename S>() {
                           ok = DispatchNumeric(inter, [&]<typename D>() {
                             const S* s = src.data<S>();
                             D* d = out.data<D>();
                             for (int64_t i = 0; i < n; ++i) d[i] = static_cast<D>(s[i]);
                           });
                         }) &&
         ok;
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot convert ", DTypeName(t.dtype()), " to ", DTypeName(to)));
  }
  if (nn::IsHalfLike(to)) out = nn::FromFloat(out, to);
  return out;
}

// A copy of a complex tensor with every element conjugated.
Tensor Conjugated(const Tensor& t) {
  Tensor out = t.DeepCopy();
  if (t.dtype() == DType::kComplex64) {
    for (complex64& v : out.flat<complex64>()) v = std::conj(v);
  } else {
    for (complex128& v : out.flat<complex128>()) v = std::conj(v);
  }
  return out;
}

// Dispatches the GEMM element type: float, double, int32, int64 (+ half/bfloat16 via float).
template <typename Fn>
bool DispatchGemmType(DType d, Fn&& fn) {
  switch (d) {
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
    case DType::kInt16:
      fn.template operator()<int16_t>();
      return true;
    case DType::kInt8:
      fn.template operator()<int8_t>();
      return true;
    case DType::kUInt8:
      fn.template operator()<uint8_t>();
      return true;
    case DType::kComplex64:
      fn.template operator()<complex64>();
      return true;
    case DType::kComplex128:
      fn.template operator()<complex128>();
      return true;
    default:
      return false;
  }
}

}  // namespace

absl::StatusOr<Tensor> BatchMatMulTensors(const KernelContext* ctx, const Tensor& x_in,
                                          const Tensor& y_in, bool adj_x, bool adj_y,
                                          bool broadcast, bool is_matmul) {
  if (x_in.dtype() != y_in.dtype()) {
    return ctx->Error(absl::StrCat("inputs have different dtypes: ", DTypeName(x_in.dtype()),
                                   " vs. ", DTypeName(y_in.dtype())));
  }
  const DType out_dtype = x_in.dtype();
  if (is_matmul) {
    for (int i = 0; i < 2; ++i) {
      const Tensor& t = i == 0 ? x_in : y_in;
      if (t.rank() != 2) {
        return ctx->Error(
            absl::StrCat("In[", i, "] is not a matrix. Instead it has shape ", ShapeStr(t)));
      }
    }
  } else {
    for (int i = 0; i < 2; ++i) {
      const Tensor& t = i == 0 ? x_in : y_in;
      if (t.rank() < 2) {
        return ctx->Error(absl::StrCat("In[", i, "] ndims must be >= 2: ", t.rank()));
      }
    }
    if (!broadcast && x_in.rank() != y_in.rank()) {
      return ctx->Error(absl::StrCat("In[0] and In[1] has different ndims: ", ShapeStr(x_in),
                                     " vs. ", ShapeStr(y_in)));
    }
  }
  const int xr = x_in.rank(), yr = y_in.rank();
  const int64_t m = adj_x ? x_in.dim(xr - 1) : x_in.dim(xr - 2);
  const int64_t kx = adj_x ? x_in.dim(xr - 2) : x_in.dim(xr - 1);
  const int64_t ky = adj_y ? y_in.dim(yr - 1) : y_in.dim(yr - 2);
  const int64_t n = adj_y ? y_in.dim(yr - 2) : y_in.dim(yr - 1);
  if (kx != ky) {
    return ctx->Error(absl::StrCat("Matrix size-incompatible: In[0]: ", ShapeStr(x_in),
                                   ", In[1]: ", ShapeStr(y_in)));
  }
  // Batch dims (right-aligned broadcasting).
  const int br = std::max(xr, yr) - 2;
  std::vector<int64_t> out_batch(br), xb(br, 1), yb(br, 1);
  for (int i = 0; i < br; ++i) {
    int xi = i - (br - (xr - 2)), yi = i - (br - (yr - 2));
    if (xi >= 0) xb[i] = x_in.dim(xi);
    if (yi >= 0) yb[i] = y_in.dim(yi);
    if (xb[i] == yb[i] || yb[i] == 1) {
      out_batch[i] = xb[i];
    } else if (xb[i] == 1 && broadcast) {
      out_batch[i] = yb[i];
    } else {
      if (broadcast) {
        return ctx->Error(absl::StrCat("In[0] and In[1] must have compatible batch dimensions: ",
                                       ShapeStr(x_in), " vs. ", ShapeStr(y_in)));
      }
      return ctx->Error(absl::StrCat("In[0].dim(", i, ") and In[1].dim(", i, ") must be the same: ",
                                     ShapeStr(x_in), " vs ", ShapeStr(y_in)));
    }
    if (!broadcast && xb[i] != yb[i]) {
      return ctx->Error(absl::StrCat("In[0].dim(", i, ") and In[1].dim(", i, ") must be the same: ",
                                     ShapeStr(x_in), " vs ", ShapeStr(y_in)));
    }
  }
  std::vector<int64_t> out_dims = out_batch;
  out_dims.push_back(m);
  out_dims.push_back(n);
  TFM_RETURN_IF_ERROR(TensorShape::Validate(out_dims));
  int64_t nbatch = 1;
  for (int64_t d : out_batch) nbatch *= d;

  const bool half = nn::IsHalfLike(out_dtype);
  // The batch forms take the adjoint: conjugate complex operands, then transpose.
  const bool conj =
      !is_matmul && (out_dtype == DType::kComplex64 || out_dtype == DType::kComplex128);
  const Tensor x = half ? nn::ToFloat(x_in) : (conj && adj_x ? Conjugated(x_in) : x_in);
  const Tensor y = half ? nn::ToFloat(y_in) : (conj && adj_y ? Conjugated(y_in) : y_in);
  const DType compute = half ? DType::kFloat : out_dtype;
  Tensor out = Tensor::Empty(compute, TensorShape(out_dims));
  const int threads = nn::NumThreads(ctx);

  // Offsets (in matrices) of each output batch's x and y operands.
  std::vector<int64_t> xoff(nbatch), yoff(nbatch);
  {
    std::vector<int64_t> idx(br, 0);
    for (int64_t b = 0; b < nbatch; ++b) {
      int64_t xo = 0, yo = 0;
      for (int i = 0; i < br; ++i) {
        xo = xo * xb[i] + (xb[i] == 1 ? 0 : idx[i]);
        yo = yo * yb[i] + (yb[i] == 1 ? 0 : idx[i]);
      }
      xoff[b] = xo;
      yoff[b] = yo;
      for (int i = br - 1; i >= 0; --i) {
        if (++idx[i] < out_batch[i]) break;
        idx[i] = 0;
      }
    }
  }
  absl::Status status;
  bool ok = DispatchGemmType(compute, [&]<typename T>() {
    const T* xp = x.data<T>();
    const T* yp = y.data<T>();
    T* op = out.data<T>();
    const int64_t xs = m * kx, ys = kx * n, os = m * n;
    if (nbatch == 1) {
      status = Gemm<T>(adj_x, adj_y, m, n, kx, xp, yp, op, threads);
      return;
    }
    // Many small products: spread batches over the pool, one thread each.
    std::mutex mu;
    nn::ParallelFor(ctx, nbatch, static_cast<double>(m) * n * kx * 2, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        absl::Status s =
            Gemm<T>(adj_x, adj_y, m, n, kx, xp + xoff[b] * xs, yp + yoff[b] * ys, op + b * os, 1);
        if (!s.ok()) {
          std::lock_guard<std::mutex> l(mu);
          status = s;
        }
      }
    });
  });
  if (!ok) return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(out_dtype)));
  TFM_RETURN_IF_ERROR(status);
  return half ? nn::FromFloat(out, out_dtype) : out;
}

namespace {

absl::Status BatchMatMul(KernelContext* ctx, const Tensor& x, const Tensor& y, bool adj_x,
                         bool adj_y, bool broadcast, bool is_matmul) {
  TFM_ASSIGN_OR_RETURN(Tensor out,
                       BatchMatMulTensors(ctx, x, y, adj_x, adj_y, broadcast, is_matmul));
  ctx->set_output(0, std::move(out));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeMatMul(const KernelInit& init) {
  bool ta = false, tb = false;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("transpose_a", &ta));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("transpose_b", &tb));
  if (init.num_inputs() != 2) return init.Error("expects 2 inputs");
  return MakeKernel([ta, tb](KernelContext* ctx) {
    return BatchMatMul(ctx, ctx->input(0), ctx->input(1), ta, tb, false, true);
  });
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeBatchMatMul(const KernelInit& init) {
  bool ax = false, ay = false;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("adj_x", &ax));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("adj_y", &ay));
  if (init.num_inputs() != 2) return init.Error("expects 2 inputs");
  const bool broadcast = init.op() != "BatchMatMul";
  DType tout = DType::kInvalid;
  if (init.op() == "BatchMatMulV3") TFM_RETURN_IF_ERROR(init.GetAttr("Tout", &tout));
  return MakeKernel([ax, ay, broadcast, tout](KernelContext* ctx) -> absl::Status {
    if (tout == DType::kInvalid) {
      return BatchMatMul(ctx, ctx->input(0), ctx->input(1), ax, ay, broadcast, false);
    }
    auto x = CastTo(ctx->input(0), tout);
    if (!x.ok()) return ctx->Error(x.status().message());
    auto y = CastTo(ctx->input(1), tout);
    if (!y.ok()) return ctx->Error(y.status().message());
    return BatchMatMul(ctx, *x, *y, ax, ay, broadcast, false);
  });
}

}  // namespace

absl::StatusOr<std::unique_ptr<OpKernel>> MakeFusedMatMulKernel(const KernelInit& init,
                                                                const BiasEpilogue& epilogue) {
  bool ta = false, tb = false;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("transpose_a", &ta));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("transpose_b", &tb));
  const int want = epilogue.bias ? 3 : 2;
  if (init.num_inputs() != want) return init.Error(absl::StrCat("expects ", want, " inputs"));
  return MakeKernel([ta, tb, epilogue](KernelContext* ctx) -> absl::Status {
    const Tensor& a = ctx->input(0);
    const DType dtype = a.dtype();
    if (dtype != DType::kFloat && dtype != DType::kDouble && !nn::IsHalfLike(dtype)) {
      return ctx->Error(absl::StrCat("_FusedMatMul does not support dtype ", DTypeName(dtype)));
    }
    Tensor bias;
    if (epilogue.bias) {
      bias = ctx->input(2);
      if (bias.rank() != 1 || bias.dtype() != dtype) {
        return ctx->Error(absl::StrCat("bias must be a 1-D ", DTypeName(dtype), " tensor, got ",
                                       DTypeName(bias.dtype()), " ", ShapeStr(bias)));
      }
    }
    TFM_ASSIGN_OR_RETURN(Tensor out,
                         BatchMatMulTensors(ctx, a, ctx->input(1), ta, tb, false, true));
    const int64_t rows = out.dim(0), cols = out.dim(1);
    if (epilogue.bias && bias.dim(0) != cols) {
      return ctx->Error(absl::StrCat(
          "Must provide as many biases as the last dimension of the product: ", ShapeStr(bias),
          " vs. ", ShapeStr(out)));
    }
    auto run = [&]<typename T>(Tensor* t, const Tensor& b) {
      ApplyBiasEpilogue<T>(epilogue, t->data<T>(), epilogue.bias ? b.data<T>() : nullptr, rows,
                           cols, 1, t->data<T>());
    };
    if (dtype == DType::kDouble) {
      run.template operator()<double>(&out, bias);
    } else if (dtype == DType::kFloat) {
      run.template operator()<float>(&out, bias);
    } else {
      Tensor f = nn::ToFloat(out);
      run.template operator()<float>(&f, epilogue.bias ? nn::ToFloat(bias) : bias);
      out = nn::FromFloat(f, dtype);
    }
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

void RegisterMatMulKernels(KernelRegistry& r) {
  r.Register("MatMul", MakeMatMul);
  r.Register("BatchMatMul", MakeBatchMatMul);
  r.Register("BatchMatMulV2", MakeBatchMatMul);
  r.Register("BatchMatMulV3", MakeBatchMatMul);
}

}  // namespace tfmodel::runtime
