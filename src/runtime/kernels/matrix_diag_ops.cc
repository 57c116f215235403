// Batched diagonal ops: MatrixBandPart, MatrixDiag / V2 / V3, MatrixDiagPart / V2 / V3,
// MatrixSetDiag / V2 / V3. All dtypes (elements are moved, not computed).
//
// TF semantics: k is a scalar diagonal offset or a pair [lower, upper] (d = col - row);
// several diagonals stack in a [..., num_diags, max_diag_len] tensor ordered from the
// upper one down. Diagonals shorter than max_diag_len are aligned by `align` (V3, default
// RIGHT_LEFT: superdiagonals right-aligned, subdiagonals left-aligned; V1/V2 use
// LEFT_LEFT) and padded with padding_value. MatrixDiag infers num_rows / num_cols (-1)
// from the diagonal; MatrixBandPart keeps elements with (num_lower < 0 || row - col <=
// num_lower) && (num_upper < 0 || col - row <= num_upper).
#include <algorithm>

#include "runtime/kernels/arity.h"
#include "runtime/kernels/array_util.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;
using array_util::ShapeStr;

struct Align {
  bool super_left = true;
  bool sub_left = true;
};

absl::StatusOr<Align> ReadAlign(const KernelInit& init, bool v3) {
  Align a;
  if (!v3) return a;
  std::string s = "RIGHT_LEFT";
  TFM_RETURN_IF_ERROR(init.GetAttrOr("align", &s));
  if (s == "LEFT_LEFT") {
    a = {true, true};
  } else if (s == "LEFT_RIGHT") {
    a = {true, false};
  } else if (s == "RIGHT_LEFT") {
    a = {false, true};
  } else if (s == "RIGHT_RIGHT") {
    a = {false, false};
  } else {
    return init.Error(absl::StrCat(
        "align must be one of LEFT_LEFT, LEFT_RIGHT, RIGHT_LEFT, RIGHT_RIGHT, got '", s, "'"));
  }
  return a;
}

// Length of diagonal d in a rows x cols matrix and where its values start in a row of
// max_len (alignment).
struct DiagPlace {
  int64_t len = 0, offset = 0;
};
DiagPlace Place(int64_t d, int64_t max_len, int64_t rows, int64_t cols, const Align& a) {
  DiagPlace p;
  p.len = std::min(rows + std::min<int64_t>(0, d), cols - std::max<int64_t>(0, d));
  const bool left = (d >= 0 && a.super_left) || (d <= 0 && a.sub_left);
  p.offset = left ? 0 : max_len - p.len;
  return p;
}

// Reads k (scalar or [lower, upper], int32).
absl::Status ReadK(KernelContext* ctx, const Tensor& t, int64_t* lo, int64_t* hi) {
  if (t.rank() > 1 || t.NumElements() < 1 || t.NumElements() > 2) {
    return ctx->Error(
        absl::StrCat("diag_index must be a scalar or vector with 1 or 2 elements, got shape ",
                     ShapeStr(t.shape())));
  }
  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> k, array_util::ReadInts(ctx, t, "k"));
  *lo = k[0];
  *hi = k.size() == 2 ? k[1] : k[0];
  if (*lo > *hi) {
    return ctx->Error(absl::StrCat(
        "lower_diag_index must not be larger than upper_diag_index: ", *lo, " > ", *hi));
  }
  return absl::OkStatus();
}

absl::Status CheckKInMatrix(KernelContext* ctx, int64_t lo, int64_t hi, int64_t rows,
                            int64_t cols) {
  for (auto [name, v] :
       {std::pair<const char*, int64_t>{"lower_diag_index", lo}, {"upper_diag_index", hi}}) {
    if (!((-rows < v && v < cols) || v == 0)) {
      return ctx->Error(absl::StrCat(name, " is out of bound: ", v, ". It must be between ", -rows,
                                     " and ", cols));
    }
  }
  return absl::OkStatus();
}

absl::Status ScalarLike(KernelContext* ctx, const Tensor& v, DType dt, const char* what) {
  if (v.NumElements() != 1 || v.dtype() != dt) {
    return ctx->Error(absl::StrCat(what, " must be a scalar of the input's dtype ", DTypeName(dt),
                                   ", got ", DTypeName(v.dtype()), " ", ShapeStr(v.shape())));
  }
  return absl::OkStatus();
}

// ---- MatrixDiag ----

Result MakeMatrixDiag(const KernelInit& init) {
  const int v = init.op() == "MatrixDiag" ? 1 : init.op() == "MatrixDiagV2" ? 2 : 3;
  TFM_ASSIGN_OR_RETURN(Align align, ReadAlign(init, v == 3));
  return MakeKernel([v, align](KernelContext* ctx) -> absl::Status {
    const Tensor& diag = ctx->input(0);
    int64_t lo = 0, hi = 0, rows = -1, cols = -1;
    Tensor pad(diag.dtype(), TensorShape{});
    if (v > 1) {
      TFM_RETURN_IF_ERROR(ReadK(ctx, ctx->input(1), &lo, &hi));
      TFM_ASSIGN_OR_RETURN(rows, array_util::ReadIntScalar(ctx, ctx->input(2), "num_rows", true));
      TFM_ASSIGN_OR_RETURN(cols, array_util::ReadIntScalar(ctx, ctx->input(3), "num_cols", true));
      TFM_RETURN_IF_ERROR(ScalarLike(ctx, ctx->input(4), diag.dtype(), "padding_value"));
      pad = ctx->input(4);
    }
    const int need = lo == hi ? 1 : 2;
    if (diag.rank() < need) {
      return ctx->Error(absl::StrCat("diagonal must be at least ", need,
                                     "-dim, received shape: ", ShapeStr(diag.shape())));
    }
    const int64_t num_diags = hi - lo + 1;
    if (lo != hi && diag.dim(diag.rank() - 2) != num_diags) {
      return ctx->Error(
          absl::StrCat("The number of diagonals provided in the input does not "
                       "match the lower_diag_index and upper_diag_index range: ",
                       diag.dim(diag.rank() - 2), " vs. ", num_diags));
    }
    const int64_t max_len = diag.dim(diag.rank() - 1);
    const int64_t min_rows = max_len - std::min<int64_t>(hi, 0);
    const int64_t min_cols = max_len + std::max<int64_t>(lo, 0);
    if (rows == -1 && cols == -1) {
      rows = cols = std::max(min_rows, min_cols);
    } else if (rows == -1) {
      rows = min_rows;
    } else if (cols == -1) {
      cols = min_cols;
    }
    if (rows != min_rows && cols != min_cols) {
      return ctx->Error(
          absl::StrCat("The number of rows or columns is not consistent with the "
                       "specified d_lower, d_upper, and diagonal: rows ",
                       rows, ", cols ", cols));
    }
    TensorShape out_shape;
    for (int d = 0; d < diag.rank() - need; ++d) out_shape.AddDim(diag.dim(d));
    const int64_t batch = out_shape.NumElements();
    out_shape.AddDim(rows);
    out_shape.AddDim(cols);
    TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, out_shape));
    Tensor out = Tensor::Empty(diag.dtype(), out_shape);
    bool ok = array_util::DispatchElem(diag.dtype(), [&]<typename T>() {
      const T* src = diag.data<T>();
      const T& padv = pad.data<T>()[0];
      T* o = out.data<T>();
      for (int64_t b = 0; b < batch; ++b) {
        for (int64_t i = 0; i < rows; ++i) {
          for (int64_t j = 0; j < cols; ++j) {
            const int64_t d = j - i;
            T* dst = o + (b * rows + i) * cols + j;
            if (d < lo || d > hi) {
              *dst = padv;
              continue;
            }
            const DiagPlace p = Place(d, max_len, rows, cols, align);
            const int64_t n = j - std::max<int64_t>(d, 0) + p.offset;
            *dst = src[(b * num_diags + (hi - d)) * max_len + n];
          }
        }
      }
    });
    if (!ok) return array_util::UnsupportedDType(ctx, diag.dtype());
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

// ---- MatrixDiagPart ----

Result MakeMatrixDiagPart(const KernelInit& init) {
  const int v = init.op() == "MatrixDiagPart" ? 1 : init.op() == "MatrixDiagPartV2" ? 2 : 3;
  TFM_ASSIGN_OR_RETURN(Align align, ReadAlign(init, v == 3));
  return MakeKernel([v, align](KernelContext* ctx) -> absl::Status {
    const Tensor& in = ctx->input(0);
    if (in.rank() < 2) {
      return ctx->Error(
          absl::StrCat("input must be at least 2-dim, received shape: ", ShapeStr(in.shape())));
    }
    const int64_t rows = in.dim(in.rank() - 2), cols = in.dim(in.rank() - 1);
    int64_t lo = 0, hi = 0;
    Tensor pad(in.dtype(), TensorShape{});
    if (v > 1) {
      TFM_RETURN_IF_ERROR(ReadK(ctx, ctx->input(1), &lo, &hi));
      TFM_RETURN_IF_ERROR(ScalarLike(ctx, ctx->input(2), in.dtype(), "padding_value"));
      pad = ctx->input(2);
    }
    TFM_RETURN_IF_ERROR(CheckKInMatrix(ctx, lo, hi, rows, cols));
    const int64_t num_diags = hi - lo + 1;
    const int64_t max_len = std::max<int64_t>(
        0, std::min(rows + std::min<int64_t>(hi, 0), cols - std::max<int64_t>(lo, 0)));
    TensorShape out_shape;
    for (int d = 0; d < in.rank() - 2; ++d) out_shape.AddDim(in.dim(d));
    const int64_t batch = out_shape.NumElements();
    if (lo != hi) out_shape.AddDim(num_diags);
    out_shape.AddDim(max_len);
    Tensor out = Tensor::Empty(in.dtype(), out_shape);
    bool ok = array_util::DispatchElem(in.dtype(), [&]<typename T>() {
      const T* src = in.data<T>();
      const T& padv = pad.data<T>()[0];
      T* o = out.data<T>();
      for (int64_t b = 0; b < batch; ++b) {
        for (int64_t m = 0; m < num_diags; ++m) {
          const int64_t d = hi - m;
          const DiagPlace p = Place(d, max_len, rows, cols, align);
          T* row = o + (b * num_diags + m) * max_len;
          for (int64_t n = 0; n < max_len; ++n) row[n] = padv;
          const int64_t y0 = std::max<int64_t>(0, -d), x0 = std::max<int64_t>(0, d);
          for (int64_t n = 0; n < p.len; ++n) {
            row[n + p.offset] = src[(b * rows + n + y0) * cols + n + x0];
          }
        }
      }
    });
    if (!ok) return array_util::UnsupportedDType(ctx, in.dtype());
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

// ---- MatrixSetDiag ----

Result MakeMatrixSetDiag(const KernelInit& init) {
  const int v = init.op() == "MatrixSetDiag" ? 1 : init.op() == "MatrixSetDiagV2" ? 2 : 3;
  TFM_ASSIGN_OR_RETURN(Align align, ReadAlign(init, v == 3));
  return MakeKernel([v, align](KernelContext* ctx) -> absl::Status {
    const Tensor& in = ctx->input(0);
    const Tensor& diag = ctx->input(1);
    if (in.rank() < 2) {
      return ctx->Error(
          absl::StrCat("input must be at least 2-dim, received shape: ", ShapeStr(in.shape())));
    }
    if (diag.dtype() != in.dtype()) {
      return ctx->Error("diagonal must have the input's dtype");
    }
    const int64_t rows = in.dim(in.rank() - 2), cols = in.dim(in.rank() - 1);
    int64_t lo = 0, hi = 0;
    if (v > 1) TFM_RETURN_IF_ERROR(ReadK(ctx, ctx->input(2), &lo, &hi));
    TFM_RETURN_IF_ERROR(CheckKInMatrix(ctx, lo, hi, rows, cols));
    const int64_t num_diags = hi - lo + 1;
    const int64_t max_len = std::max<int64_t>(
        0, std::min(rows + std::min<int64_t>(hi, 0), cols - std::max<int64_t>(lo, 0)));
    TensorShape want;
    for (int d = 0; d < in.rank() - 2; ++d) want.AddDim(in.dim(d));
    const int64_t batch = want.NumElements();
    if (lo != hi) want.AddDim(num_diags);
    want.AddDim(max_len);
    if (diag.shape() != want) {
      return ctx->Error(absl::StrCat("diagonal must have shape ", ShapeStr(want), ", got ",
                                     ShapeStr(diag.shape())));
    }
    Tensor out = ctx->ForwardInput(0);
    if (!out.valid()) out = in.DeepCopy();
    bool ok = array_util::DispatchElem(in.dtype(), [&]<typename T>() {
      const T* src = diag.data<T>();
      T* o = out.data<T>();
      for (int64_t b = 0; b < batch; ++b) {
        for (int64_t m = 0; m < num_diags; ++m) {
          const int64_t d = hi - m;
          const DiagPlace p = Place(d, max_len, rows, cols, align);
          const T* row = src + (b * num_diags + m) * max_len;
          const int64_t y0 = std::max<int64_t>(0, -d), x0 = std::max<int64_t>(0, d);
          for (int64_t n = 0; n < p.len; ++n) {
            o[(b * rows + n + y0) * cols + n + x0] = row[n + p.offset];
          }
        }
      }
    });
    if (!ok) return array_util::UnsupportedDType(ctx, in.dtype());
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

// ---- MatrixBandPart ----

Result MakeMatrixBandPart(const KernelInit& init) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    const Tensor& in = ctx->input(0);
    if (in.rank() < 2) {
      return ctx->Error(
          absl::StrCat("input must be at least 2-dim, received shape: ", ShapeStr(in.shape())));
    }
    const int64_t rows = in.dim(in.rank() - 2), cols = in.dim(in.rank() - 1);
    if (ctx->input(1).rank() != 0) return ctx->Error("num_lower must be scalar");
    if (ctx->input(2).rank() != 0) return ctx->Error("num_upper must be scalar");
    TFM_ASSIGN_OR_RETURN(int64_t lower,
                         array_util::ReadIntScalar(ctx, ctx->input(1), "num_lower", false));
    TFM_ASSIGN_OR_RETURN(int64_t upper,
                         array_util::ReadIntScalar(ctx, ctx->input(2), "num_upper", false));
    if (lower > rows) {
      return ctx->Error(
          absl::StrCat("num_lower must be negative or less or equal to number of rows (", rows,
                       ") got: ", lower));
    }
    if (upper > cols) {
      return ctx->Error(
          absl::StrCat("num_upper must be negative or less or equal to number of columns (", cols,
                       ") got: ", upper));
    }
    Tensor out(in.dtype(), in.shape());  // zeros
    const int64_t batch = rows * cols == 0 ? 0 : in.NumElements() / (rows * cols);
    bool ok = array_util::DispatchElem(in.dtype(), [&]<typename T>() {
      const T* src = in.data<T>();
      T* o = out.data<T>();
      for (int64_t b = 0; b < batch; ++b) {
        for (int64_t i = 0; i < rows; ++i) {
          for (int64_t j = 0; j < cols; ++j) {
            if ((lower < 0 || i - j <= lower) && (upper < 0 || j - i <= upper)) {
              const int64_t at = (b * rows + i) * cols + j;
              o[at] = src[at];
            }
          }
        }
      }
    });
    if (!ok) return array_util::UnsupportedDType(ctx, in.dtype());
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterMatrixDiagKernels(KernelRegistry& r) {
  r.Register("MatrixDiag", WithInputs(1, MakeMatrixDiag));
  r.Register("MatrixDiagV2", WithInputs(5, MakeMatrixDiag));
  r.Register("MatrixDiagV3", WithInputs(5, MakeMatrixDiag));
  r.Register("MatrixDiagPart", WithInputs(1, MakeMatrixDiagPart));
  r.Register("MatrixDiagPartV2", WithInputs(3, MakeMatrixDiagPart));
  r.Register("MatrixDiagPartV3", WithInputs(3, MakeMatrixDiagPart));
  r.Register("MatrixSetDiag", WithInputs(2, MakeMatrixSetDiag));
  r.Register("MatrixSetDiagV2", WithInputs(3, MakeMatrixSetDiag));
  r.Register("MatrixSetDiagV3", WithInputs(3, MakeMatrixSetDiag));
  r.Register("MatrixBandPart", WithInputs(3, MakeMatrixBandPart));
}

}  // namespace tfmodel::runtime
