// Sparse-tensor kernels used by feature columns and tf.sparse: SparseFillEmptyRows,
// SparseReshape, SparseToDense, SparseTensorDenseMatMul, SparseReorder and SparseConcat. A
// SparseTensor is the triple (indices int64 [N, R], values [N], dense_shape int64 [R]). Semantics,
// validation and error texts follow TF's CPU kernels (sparse_fill_empty_rows_op.cc,
// reshape_util.cc, sparse_to_dense_op.cc,
// sparse_tensor_dense_matmul_op.cc, sparse_reorder_op.cc, sparse_concat_op.cc).
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "runtime/kernels/array_util.h"
#include "runtime/kernels/register_all.h"
#include "runtime/kernels/sparse_util.h"
#include "runtime/kernels/wrap_math.h"

namespace tfmodel::runtime {
namespace {

using array_util::DispatchElem;
using array_util::ShapeStr;
using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;
using sparse_util::AccumOf;
using sparse_util::DispatchSegmentValue;
using sparse_util::FromAccum;
using sparse_util::ToAccum;

absl::Status NeedInputs(const KernelContext* ctx, int n) {
  if (ctx->num_inputs() < n) {
    return ctx->Error(absl::StrCat("expected ", n, " inputs, got ", ctx->num_inputs()));
  }
  return absl::OkStatus();
}

absl::Status NeedDType(const KernelContext* ctx, const Tensor& t, DType want,
                       absl::string_view what) {
  if (t.dtype() != want) {
    return ctx->Error(
        absl::StrCat(what, " must be ", DTypeName(want), ", got ", DTypeName(t.dtype())));
  }
  return absl::OkStatus();
}

// Copies element `from` of `src` to element `to` of `dst` (same dtype, any element type).
template <typename E>
void CopyElem(const Tensor& src, int64_t from, Tensor* dst, int64_t to) {
  dst->data<E>()[to] = src.data<E>()[from];
}

// ---------------------------------------------------------------------------------------
// SparseFillEmptyRows

Result MakeSparseFillEmptyRows(const KernelInit& init) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 4));
    const Tensor& indices = ctx->input(0);
    const Tensor& values = ctx->input(1);
    const Tensor& dense_shape = ctx->input(2);
    const Tensor& default_value = ctx->input(3);
    if (dense_shape.rank() != 1) {
      return ctx->Error(
          absl::StrCat("dense_shape must be a vector, saw: ", ShapeStr(dense_shape.shape())));
    }
    if (indices.rank() != 2) {
      return ctx->Error(absl::StrCat("indices must be a matrix, saw: ", ShapeStr(indices.shape())));
    }
    if (values.rank() != 1) {
      return ctx->Error(absl::StrCat("values must be a vector, saw: ", ShapeStr(values.shape())));
    }
    if (indices.dim(0) != values.dim(0)) {
      return ctx->Error(absl::StrCat("The length of `values` (", values.dim(0),
                                     ") must match the first dimension of `indices` (",
                                     indices.dim(0), ")."));
    }
    if (default_value.rank() != 0) {
      return ctx->Error(
          absl::StrCat("default_value must be a scalar, saw: ", ShapeStr(default_value.shape())));
    }
    if (dense_shape.NumElements() == 0) return ctx->Error("Dense shape cannot be empty.");
    TFM_RETURN_IF_ERROR(NeedDType(ctx, indices, DType::kInt64, "indices"));
    TFM_RETURN_IF_ERROR(NeedDType(ctx, dense_shape, DType::kInt64, "dense_shape"));
    if (values.dtype() != default_value.dtype()) {
      return ctx->Error(absl::StrCat("values are ", DTypeName(values.dtype()),
                                     " but default_value is ", DTypeName(default_value.dtype())));
    }
    const int64_t n = indices.dim(0);
    const int64_t rank = indices.dim(1);
    const int64_t dense_rows = dense_shape.data<int64_t>()[0];
    TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, TensorShape{dense_rows}));
    const int64_t* ix = indices.data<int64_t>();
    const DType dt = values.dtype();

    // Built locally and set last (set_output may move earlier outputs).
    Tensor empty_row(DType::kBool, TensorShape{dense_rows});
    Tensor reverse(DType::kInt64, TensorShape{n});
    auto finish = [&](Tensor out_ix, Tensor out_vals) {
      ctx->set_output(0, std::move(out_ix));
      ctx->set_output(1, std::move(out_vals));
      ctx->set_output(2, std::move(empty_row));
      ctx->set_output(3, std::move(reverse));
      return absl::OkStatus();
    };
    if (dense_rows == 0) {
      if (n != 0) {
        return ctx->Error(absl::StrCat(
            "Received SparseTensor with dense_shape[0] = 0 but indices.shape[0] = ", n));
      }
      return finish(Tensor(DType::kInt64, TensorShape{0, rank}), Tensor(dt, TensorShape{0}));
    }
    if (rank < 1) return ctx->Error("indices must have at least one column");

    // Count per row, then turn counts into end offsets (each row holds at least one).
    std::vector<int64_t> offset(static_cast<size_t>(dense_rows), 0);
    bool rows_ordered = true;
    int64_t last_row = 0;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t row = ix[i * rank];
      if (row < 0 || row >= dense_rows) {
        return ctx->Error(
            absl::StrCat("indices(", i, ", 0) is invalid: ", row, " >= ", dense_rows));
      }
      ++offset[row];
      rows_ordered = rows_ordered && row >= last_row;
      last_row = row;
    }
    bool all_full = true;
    bool* empty = empty_row.data<bool>();
    for (int64_t r = 0; r < dense_rows; ++r) {
      empty[r] = offset[r] == 0;
      all_full = all_full && !empty[r];
      offset[r] = std::max<int64_t>(offset[r], 1);
      if (r > 0) offset[r] += offset[r - 1];
    }
    int64_t* rev = reverse.data<int64_t>();
    if (all_full && rows_ordered) {
      for (int64_t i = 0; i < n; ++i) rev[i] = i;
      return finish(indices, values);
    }
    const int64_t n_full = offset[dense_rows - 1];
    Tensor out_ix(DType::kInt64, TensorShape{n_full, rank});
    Tensor out_vals(dt, TensorShape{n_full});
    int64_t* oix = out_ix.data<int64_t>();
    std::vector<int64_t> filled(static_cast<size_t>(dense_rows), 0);
    bool ok = DispatchElem(dt, [&]<typename E>() {
      for (int64_t i = 0; i < n; ++i) {
        const int64_t row = ix[i * rank];
        const int64_t out_i = (row == 0 ? 0 : offset[row - 1]) + filled[row]++;
        std::copy_n(ix + i * rank, rank, oix + out_i * rank);
        CopyElem<E>(values, i, &out_vals, out_i);
        rev[i] = out_i;
      }
      for (int64_t row = 0; row < dense_rows; ++row) {
        if (filled[row] != 0) continue;
        const int64_t start = row == 0 ? 0 : offset[row - 1];
        oix[start * rank] = row;  // other columns stay 0
        CopyElem<E>(default_value, 0, &out_vals, start);
      }
    });
    if (!ok) return array_util::UnsupportedDType(ctx, dt);
    return finish(std::move(out_ix), std::move(out_vals));
  });
}

// ---------------------------------------------------------------------------------------
// SparseReshape

Result MakeSparseReshape(const KernelInit& init) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 3));
    const Tensor& in_ix = ctx->input(0);
    const Tensor& in_shape = ctx->input(1);
    const Tensor& new_shape = ctx->input(2);
    if (in_ix.rank() != 2) {
      return ctx->Error(absl::StrCat("Input indices should be a matrix but received shape ",
                                     ShapeStr(in_ix.shape())));
    }
    if (in_shape.rank() != 1) {
      return ctx->Error(absl::StrCat("Input shape should be a vector but received shape ",
                                     ShapeStr(in_shape.shape())));
    }
    if (new_shape.rank() != 1) {
      return ctx->Error(absl::StrCat("Target shape should be a vector but received shape ",
                                     ShapeStr(new_shape.shape())));
    }
    TFM_RETURN_IF_ERROR(NeedDType(ctx, in_ix, DType::kInt64, "input_indices"));
    TFM_RETURN_IF_ERROR(NeedDType(ctx, in_shape, DType::kInt64, "input_shape"));
    TFM_RETURN_IF_ERROR(NeedDType(ctx, new_shape, DType::kInt64, "new_shape"));
    const int64_t in_rank = in_shape.NumElements();
    const int64_t out_rank = new_shape.NumElements();
    if (in_ix.dim(1) != in_rank) {
      return ctx->Error(absl::StrCat(
          "Input tensor rank must match input shape length: ", in_ix.dim(1), " vs ", in_rank));
    }
    TensorShape input_shape(absl::Span<const int64_t>(in_shape.data<int64_t>(), in_rank));
    absl::Status valid = TensorShape::Validate(input_shape.dim_sizes());
    if (!valid.ok()) return ctx->Error(valid.message());
    const int64_t dense_size = input_shape.NumElements();
    const int64_t nnz = in_ix.dim(0);

    TensorShape output_shape;
    int64_t product = 1;
    int64_t unknown = -1;
    const int64_t* ns = new_shape.data<int64_t>();
    for (int64_t d = 0; d < out_rank; ++d) {
      const int64_t size = ns[d];
      if (size == -1) {
        if (unknown != -1) {
          return ctx->Error(
              absl::StrCat("only one output dimension may be -1, not both ", unknown, " and ", d));
        }
        unknown = d;
        output_shape.AddDim(1);
      } else {
        if (size < 0) {
          return ctx->Error(absl::StrCat("size ", d, " must be non-negative, not ", size));
        }
        if (size > 0 && product > kMaxTensorElements / size) {
          return ctx->Error(absl::StrCat("requested shape is too large at dimension ", d));
        }
        product *= size;
        output_shape.AddDim(size);
      }
    }
    if (unknown != -1) {
      if (product <= 0) {
        return ctx->Error(
            "reshape cannot infer the missing input size for an empty tensor unless all "
            "specified input sizes are non-zero");
      }
      const int64_t missing = dense_size / product;
      if (product * missing != dense_size) {
        return ctx->Error(absl::StrCat(
            "Input to reshape is a SparseTensor with ", dense_size,
            " dense values, but the requested shape requires a multiple of ", product,
            ". input_shape=", ShapeStr(input_shape), " output_shape=", ShapeStr(output_shape)));
      }
      output_shape.set_dim(static_cast<int>(unknown), missing);
    }
    if (output_shape.NumElements() != dense_size) {
      return ctx->Error(absl::StrCat(
          "Input to reshape is a tensor with ", dense_size,
          " dense values, but the requested shape has ", output_shape.NumElements(),
          ". input_shape=", ShapeStr(input_shape), " output_shape=", ShapeStr(output_shape)));
    }
    if (input_shape == output_shape) {
      ctx->set_output(0, in_ix);
      ctx->set_output(1, in_shape);
      return absl::OkStatus();
    }
    Tensor shape_out(DType::kInt64, TensorShape{out_rank});
    for (int64_t j = 0; j < out_rank; ++j) {
      shape_out.data<int64_t>()[j] = output_shape.dim(static_cast<int>(j));
    }
    Tensor ix_out(DType::kInt64, TensorShape{nnz, out_rank});
    if (nnz == 0) {
      ctx->set_output(0, std::move(ix_out));
      ctx->set_output(1, std::move(shape_out));
      return absl::OkStatus();
    }
    if (dense_size <= 0) {
      return ctx->Error(absl::StrCat("Input tensor has ", nnz,
                                     " non zero elements but input shape (", ShapeStr(input_shape),
                                     ") or output shape (", ShapeStr(output_shape), ") is empty"));
    }
    std::vector<int64_t> in_strides(static_cast<size_t>(in_rank), 1);
    for (int64_t d = in_rank - 2; d >= 0; --d) {
      in_strides[d] = in_strides[d + 1] * input_shape.dim(static_cast<int>(d + 1));
    }
    std::vector<int64_t> out_strides(static_cast<size_t>(out_rank), 1);
    for (int64_t d = out_rank - 2; d >= 0; --d) {
      out_strides[d] = out_strides[d + 1] * output_shape.dim(static_cast<int>(d + 1));
    }
    const int64_t* ix = in_ix.data<int64_t>();
    int64_t* ox = ix_out.data<int64_t>();
    for (int64_t i = 0; i < nnz; ++i) {
      int64_t id = 0;
      for (int64_t j = 0; j < in_rank; ++j) {
        const int64_t v = ix[i * in_rank + j];
        // TF does not check; an index outside the dense shape would give garbage here.
        if (v < 0 || v >= input_shape.dim(static_cast<int>(j))) {
          return ctx->Error(absl::StrCat("indices[", i, ",", j, "] = ", v,
                                         " is out of bounds: need 0 <= index < ",
                                         input_shape.dim(static_cast<int>(j))));
        }
        id += v * in_strides[j];
      }
      for (int64_t j = 0; j < out_rank; ++j) {
        ox[i * out_rank + j] = id / out_strides[j];
        id %= out_strides[j];
      }
    }
    ctx->set_output(0, std::move(ix_out));
    ctx->set_output(1, std::move(shape_out));
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------------------
// SparseToDense

std::string IndexString(const std::vector<int64_t>& ix, int64_t n, int64_t dims) {
  std::string s = absl::StrCat("indices[", n, "] = [");
  for (int64_t d = 0; d < dims; ++d)
    absl::StrAppend(&s, ix[n * dims + d], d < dims - 1 ? "," : "]");
  return s;
}

Result MakeSparseToDense(const KernelInit& init) {
  bool validate_indices = true;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("validate_indices", &validate_indices));
  return MakeKernel([validate_indices](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 4));
    const Tensor& indices = ctx->input(0);
    const Tensor& output_shape = ctx->input(1);
    const Tensor& values = ctx->input(2);
    const Tensor& default_value = ctx->input(3);
    if (indices.rank() > 2) {
      return ctx->Error(
          absl::StrCat("sparse_indices should be a scalar, vector, or matrix, got shape ",
                       ShapeStr(indices.shape())));
    }
    const int64_t num_elems = indices.rank() > 0 ? indices.dim(0) : 1;
    const int64_t num_dims = indices.rank() > 1 ? indices.dim(1) : 1;
    if (output_shape.rank() > 1) {
      return ctx->Error(absl::StrCat("output_shape should be a vector, got shape ",
                                     ShapeStr(output_shape.shape())));
    }
    if (output_shape.NumElements() != num_dims) {
      return ctx->Error(absl::StrCat("output_shape has incorrect number of elements: ",
                                     output_shape.NumElements(), " should be: ", num_dims));
    }
    const int64_t num_values = values.NumElements();
    if (!(values.rank() == 0 || (values.rank() == 1 && num_values == num_elems))) {
      return ctx->Error(absl::StrCat("sparse_values has incorrect shape ", ShapeStr(values.shape()),
                                     ", should be [] or [", num_elems, "]"));
    }
    if (default_value.rank() != 0) return ctx->Error("default_value should be a scalar.");
    if (values.dtype() != default_value.dtype()) {
      return ctx->Error(absl::StrCat("sparse_values are ", DTypeName(values.dtype()),
                                     " but default_value is ", DTypeName(default_value.dtype())));
    }
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> ix,
                         array_util::ReadInts(ctx, indices, "sparse_indices"));
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> dims,
                         array_util::ReadInts(ctx, output_shape, "output_shape"));
    TensorShape shape(dims);
    absl::Status valid = TensorShape::Validate(shape.dim_sizes());
    if (!valid.ok()) return ctx->Error(valid.message());

    if (validate_indices) {
      for (int64_t n = 0; n < num_elems; ++n) {
        bool in_bounds = true, increasing = true, different = true;
        for (int64_t d = 0; d < num_dims; ++d) {
          const int64_t v = ix[n * num_dims + d];
          if (v < 0 || v >= dims[d]) in_bounds = false;
        }
        if (n > 0) {
          int cmp = 0;
          for (int64_t d = 0; d < num_dims && cmp == 0; ++d) {
            const int64_t a = ix[n * num_dims + d], b = ix[(n - 1) * num_dims + d];
            cmp = a > b ? 1 : (a < b ? -1 : 0);
          }
          increasing = cmp >= 0;
          different = cmp != 0;
        }
        if (!in_bounds) {
          return ctx->Error(absl::StrCat(IndexString(ix, n, num_dims),
                                         " is out of bounds: need 0 <= index < [",
                                         absl::StrJoin(dims, ","), "]"));
        }
        if (!increasing) {
          return ctx->Error(
              absl::StrCat(IndexString(ix, n, num_dims),
                           " is out of order. Many sparse ops require sorted indices.\n"
                           "    Use `tf.sparse.reorder` to create a correctly ordered copy.\n\n"));
        }
        if (!different)
          return ctx->Error(absl::StrCat(IndexString(ix, n, num_dims), " is repeated"));
      }
    }
    Tensor out(values.dtype(), shape);
    std::vector<int64_t> strides(static_cast<size_t>(num_dims), 1);
    for (int64_t d = num_dims - 2; d >= 0; --d) strides[d] = strides[d + 1] * dims[d + 1];
    bool ok = DispatchElem(values.dtype(), [&]<typename E>() {
      const E dv = default_value.data<E>()[0];
      E* o = out.data<E>();
      for (int64_t i = 0; i < out.NumElements(); ++i) o[i] = dv;
    });
    if (!ok) return array_util::UnsupportedDType(ctx, values.dtype());
    for (int64_t n = 0; n < num_elems; ++n) {
      int64_t off = 0;
      for (int64_t d = 0; d < num_dims; ++d) {
        const int64_t v = ix[n * num_dims + d];
        if (v < 0 || v >= dims[d]) {
          return ctx->Error(
              absl::StrCat("Indices are not valid (out of bounds).  Shape: ", ShapeStr(shape)));
        }
        off += v * strides[d];
      }
      DispatchElem(values.dtype(), [&]<typename E>() {
        CopyElem<E>(values, values.rank() == 0 ? 0 : n, &out, off);
      });
    }
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------------------
// SparseTensorDenseMatMul: dense = op(A) * op(B), A sparse [m, k] (or [k, m] adjointed).

Result MakeSparseTensorDenseMatMul(const KernelInit& init) {
  bool adjoint_a = false, adjoint_b = false;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("adjoint_a", &adjoint_a));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("adjoint_b", &adjoint_b));
  return MakeKernel([adjoint_a, adjoint_b](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 4));
    const Tensor& a_indices = ctx->input(0);
    const Tensor& a_values = ctx->input(1);
    const Tensor& a_shape = ctx->input(2);
    const Tensor& b = ctx->input(3);
    if (a_shape.rank() != 1) return ctx->Error("Tensor 'a_shape' is not a vector");
    if (a_shape.NumElements() != 2) return ctx->Error("Tensor 'a_shape' must have 2 elements");
    if (a_values.rank() != 1) return ctx->Error("Tensor 'a_values' is not a vector");
    if (a_indices.rank() != 2) return ctx->Error("Tensor 'a_indices' is not a matrix");
    if (b.rank() != 2) return ctx->Error("Tensor 'b' is not a matrix");
    const int64_t nnz = a_indices.dim(0);
    if (nnz != a_values.NumElements()) {
      return ctx->Error(
          absl::StrCat("Number of rows of a_indices does not match number of "
                       "entries in a_values: ",
                       nnz, " vs ", a_values.NumElements()));
    }
    if (a_indices.dim(1) != a_shape.NumElements()) {
      return ctx->Error(absl::StrCat(
          "Number of columns of a_indices does not match number of entries in a_shape: ",
          a_indices.dim(1), " vs ", a_shape.NumElements()));
    }
    if (a_values.dtype() != b.dtype()) {
      return ctx->Error(absl::StrCat("a_values are ", DTypeName(a_values.dtype()), " but b is ",
                                     DTypeName(b.dtype())));
    }
    TFM_RETURN_IF_ERROR(NeedDType(ctx, a_shape, DType::kInt64, "a_shape"));
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> ix,
                         array_util::ReadInts(ctx, a_indices, "a_indices"));
    const int64_t* as = a_shape.data<int64_t>();
    const int64_t outer_left = adjoint_a ? as[1] : as[0];
    const int64_t inner_left = adjoint_a ? as[0] : as[1];
    const int64_t outer_right = adjoint_b ? b.dim(0) : b.dim(1);
    const int64_t inner_right = adjoint_b ? b.dim(1) : b.dim(0);
    if (inner_left != inner_right) {
      return ctx->Error(absl::StrCat(
          "Cannot multiply A and B because inner dimension does not match: ", inner_left, " vs. ",
          inner_right, ".  Did you forget a transpose?  Dimensions of A: [", as[0], ", ", as[1],
          ").  Dimensions of B: ", ShapeStr(b.shape())));
    }
    TensorShape out_shape{outer_left, outer_right};
    TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, out_shape));
    Tensor out(b.dtype(), out_shape);
    const int lhs_col = adjoint_a ? 0 : 1;
    const int lhs_row = adjoint_a ? 1 : 0;
    absl::Status status;
    bool ok = DispatchSegmentValue(b.dtype(), false, [&]<typename T>() {
      using A = typename AccumOf<T>::type;
      const T* bv = b.data<T>();
      const T* av = a_values.data<T>();
      std::vector<A> acc(static_cast<size_t>(out.NumElements()), A(0));
      for (int64_t i = 0; i < nnz; ++i) {
        const int64_t m = ix[i * 2 + lhs_row];
        const int64_t k = ix[i * 2 + lhs_col];
        if (k < 0 || k >= inner_left) {
          status = ctx->Error(absl::StrCat("k (", k, ") from index[", i, ",", lhs_col,
                                           "] out of bounds (>=", inner_left, ")"));
          return;
        }
        if (m < 0 || m >= outer_left) {
          status = ctx->Error(absl::StrCat("m (", m, ") from index[", i, ",", lhs_row,
                                           "] out of bounds (>=", outer_left, ")"));
          return;
        }
        const A a = ToAccum<T>(av[i]);
        for (int64_t n = 0; n < outer_right; ++n) {
          const T bval = adjoint_b ? bv[n * b.dim(1) + k] : bv[k * b.dim(1) + n];
          A& dst = acc[m * outer_right + n];
          dst = WrapAdd<A>(dst, WrapMul<A>(a, ToAccum<T>(bval)));
        }
      }
      T* o = out.data<T>();
      for (int64_t i = 0; i < out.NumElements(); ++i) o[i] = FromAccum<T>(acc[i]);
    });
    if (!ok) return array_util::UnsupportedDType(ctx, b.dtype());
    TFM_RETURN_IF_ERROR(status);
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------------------
// SparseReorder and SparseConcat: results are in row-major (lexicographic) index order.

// Checks indices [n, rank] against `shape`; errors name the entry as TF's SparseTensor does.
absl::Status CheckIndexBounds(const KernelContext* ctx, const int64_t* ix, int64_t n,
                              const std::vector<int64_t>& shape, absl::string_view where) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t d = 0; d < rank; ++d) {
      const int64_t v = ix[i * rank + d];
      if (v < 0 || v >= shape[d]) {
        std::vector<int64_t> row(ix + i * rank, ix + (i + 1) * rank);
        return ctx->Error(absl::StrCat(where, IndexString(row, 0, rank),
                                       " is out of bounds: need 0 <= index < [",
                                       absl::StrJoin(shape, ","), "]"));
      }
    }
  }
  return absl::OkStatus();
}

// Output positions of the entries in lexicographic index order (stable for repeats).
std::vector<int64_t> LexOrder(const int64_t* ix, int64_t n, int64_t rank) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return std::lexicographical_compare(ix + a * rank, ix + (a + 1) * rank, ix + b * rank,
                                        ix + (b + 1) * rank);
  });
  return order;
}

absl::Status GatherEntries(const KernelContext* ctx, const int64_t* ix, const Tensor& values,
                           const std::vector<int64_t>& order, int64_t rank, Tensor* out_ix,
                           Tensor* out_vals) {
  const int64_t n = static_cast<int64_t>(order.size());
  *out_ix = Tensor(DType::kInt64, TensorShape{n, rank});
  *out_vals = Tensor(values.dtype(), TensorShape{n});
  int64_t* o = out_ix->data<int64_t>();
  for (int64_t i = 0; i < n; ++i) std::copy_n(ix + order[i] * rank, rank, o + i * rank);
  bool ok = DispatchElem(values.dtype(), [&]<typename E>() {
    for (int64_t i = 0; i < n; ++i) CopyElem<E>(values, order[i], out_vals, i);
  });
  if (!ok) return array_util::UnsupportedDType(ctx, values.dtype());
  return absl::OkStatus();
}

Result MakeSparseReorder(const KernelInit& init) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 3));
    const Tensor& ix = ctx->input(0);
    const Tensor& values = ctx->input(1);
    const Tensor& shape = ctx->input(2);
    if (ix.rank() != 2) {
      return ctx->Error(absl::StrCat("Input indices should be a matrix but received shape ",
                                     ShapeStr(ix.shape())));
    }
    if (values.rank() != 1) {
      return ctx->Error(absl::StrCat("Input values should be a vector but received shape ",
                                     ShapeStr(values.shape())));
    }
    if (shape.rank() != 1) {
      return ctx->Error(absl::StrCat("Input shape should be a vector but received shape ",
                                     ShapeStr(shape.shape())));
    }
    TFM_RETURN_IF_ERROR(NeedDType(ctx, ix, DType::kInt64, "input_indices"));
    TFM_RETURN_IF_ERROR(NeedDType(ctx, shape, DType::kInt64, "input_shape"));
    const int64_t n = ix.dim(0), rank = ix.dim(1);
    if (values.dim(0) != n) {
      return ctx->Error(absl::StrCat("indices has ", n, " entries but values has ", values.dim(0)));
    }
    if (shape.NumElements() != rank) {
      return ctx->Error(absl::StrCat("Input tensor rank must match input shape length: ", rank,
                                     " vs ", shape.NumElements()));
    }
    std::vector<int64_t> dims(shape.flat<int64_t>().begin(), shape.flat<int64_t>().end());
    TFM_RETURN_IF_ERROR(CheckIndexBounds(ctx, ix.data<int64_t>(), n, dims, ""));
    Tensor out_ix, out_vals;
    TFM_RETURN_IF_ERROR(GatherEntries(ctx, ix.data<int64_t>(), values,
                                      LexOrder(ix.data<int64_t>(), n, rank), rank, &out_ix,
                                      &out_vals));
    ctx->set_output(0, std::move(out_ix));
    ctx->set_output(1, std::move(out_vals));
    return absl::OkStatus();
  });
}

Result MakeSparseConcat(const KernelInit& init) {
  int64_t concat_dim_attr = 0;
  TFM_RETURN_IF_ERROR(init.GetAttr("concat_dim", &concat_dim_attr));
  int64_t n_inputs = 0;
  TFM_RETURN_IF_ERROR(init.GetAttr("N", &n_inputs));
  if (n_inputs < 2) return init.Error(absl::StrCat("N must be at least 2, got ", n_inputs));
  if (init.num_inputs() != 3 * n_inputs) {
    return init.Error(absl::StrCat("expected ", 3 * n_inputs, " inputs (N = ", n_inputs,
                                   " indices, values and shapes), got ", init.num_inputs()));
  }
  const int n_in = static_cast<int>(n_inputs);
  return MakeKernel([concat_dim_attr, n_in](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 3 * n_in));
    for (int i = 0; i < n_in; ++i) {
      const Tensor& ix = ctx->input(i);
      if (ix.rank() != 2) {
        return ctx->Error(absl::StrCat("Input indices should be a matrix but received shape ",
                                       ShapeStr(ix.shape()), " at position ", i));
      }
      TFM_RETURN_IF_ERROR(NeedDType(ctx, ix, DType::kInt64, "indices"));
    }
    for (int i = 0; i < n_in; ++i) {
      const Tensor& v = ctx->input(n_in + i);
      if (v.rank() != 1) {
        return ctx->Error(absl::StrCat("Input values should be a vector but received shape ",
                                       ShapeStr(v.shape()), " at position ", i));
      }
      if (v.dtype() != ctx->input(n_in).dtype()) {
        return ctx->Error(absl::StrCat("values at position ", i, " are ", DTypeName(v.dtype()),
                                       ", expected ", DTypeName(ctx->input(n_in).dtype())));
      }
      if (v.dim(0) != ctx->input(i).dim(0)) {
        return ctx->Error(absl::StrCat("indices at position ", i, " have ", ctx->input(i).dim(0),
                                       " entries but values have ", v.dim(0)));
      }
    }
    std::vector<std::vector<int64_t>> shapes;
    for (int i = 0; i < n_in; ++i) {
      const Tensor& s = ctx->input(2 * n_in + i);
      if (s.rank() != 1) {
        return ctx->Error(absl::StrCat("Input shapes should be a vector but received shape ",
                                       ShapeStr(s.shape()), " at position ", i));
      }
      TFM_RETURN_IF_ERROR(NeedDType(ctx, s, DType::kInt64, "shapes"));
      shapes.emplace_back(s.flat<int64_t>().begin(), s.flat<int64_t>().end());
    }
    const int64_t rank = static_cast<int64_t>(shapes[0].size());
    const int64_t cd = concat_dim_attr < 0 ? rank + concat_dim_attr : concat_dim_attr;
    if (cd < 0 || cd >= rank) {
      return ctx->Error(absl::StrCat("Concat dimension must be in range [", -rank, ", ", rank,
                                     "), got ", concat_dim_attr));
    }
    for (int i = 1; i < n_in; ++i) {
      if (static_cast<int64_t>(shapes[i].size()) != rank) {
        return ctx->Error(absl::StrCat("Ranks of all input tensors must match: expected ", rank,
                                       " but got ", shapes[i].size(), " at position ", i));
      }
      for (int64_t j = 0; j < rank; ++j) {
        if (j != cd && shapes[i][j] != shapes[0][j]) {
          return ctx->Error(absl::StrCat("Input shapes must match: expected ", shapes[0][j],
                                         " for dimension ", j, " but got ", shapes[i][j],
                                         " at position ", i));
        }
      }
    }
    // Shift each input along concat_dim, then sort everything into row-major order.
    std::vector<int64_t> all_ix;
    int64_t total = 0, offset = 0;
    for (int i = 0; i < n_in; ++i) total += ctx->input(i).dim(0);
    all_ix.reserve(static_cast<size_t>(total * rank));
    Tensor all_vals(ctx->input(n_in).dtype(), TensorShape{total});
    int64_t at = 0;
    for (int i = 0; i < n_in; ++i) {
      const Tensor& ix = ctx->input(i);
      const Tensor& v = ctx->input(n_in + i);
      if (ix.dim(1) != rank) {
        return ctx->Error(absl::StrCat("indices at position ", i, " have ", ix.dim(1),
                                       " columns but the shapes have rank ", rank));
      }
      TFM_RETURN_IF_ERROR(CheckIndexBounds(ctx, ix.data<int64_t>(), ix.dim(0), shapes[i],
                                           absl::StrCat("input ", i, ": ")));
      for (int64_t r = 0; r < ix.dim(0); ++r) {
        for (int64_t d = 0; d < rank; ++d) {
          all_ix.push_back(ix.data<int64_t>()[r * rank + d] + (d == cd ? offset : 0));
        }
      }
      bool ok = DispatchElem(v.dtype(), [&]<typename E>() {
        for (int64_t r = 0; r < v.dim(0); ++r) CopyElem<E>(v, r, &all_vals, at + r);
      });
      if (!ok) return array_util::UnsupportedDType(ctx, v.dtype());
      at += v.dim(0);
      offset += shapes[i][cd];
    }
    Tensor out_ix, out_vals;
    TFM_RETURN_IF_ERROR(GatherEntries(ctx, all_ix.data(), all_vals,
                                      LexOrder(all_ix.data(), total, rank), rank, &out_ix,
                                      &out_vals));
    std::vector<int64_t> out_shape = shapes[0];
    out_shape[cd] = offset;
    ctx->set_output(0, std::move(out_ix));
    ctx->set_output(1, std::move(out_vals));
    ctx->set_output(2, Tensor::FromVector(out_shape));
    return absl::OkStatus();
  });
}

}  // namespace

// SparseSegmentSum / Mean / SqrtN live in sparse_segment_ops.cc.
void RegisterSparseSegmentKernels(KernelRegistry& r);

void RegisterSparseKernels(KernelRegistry& r) {
  r.Register("SparseFillEmptyRows", MakeSparseFillEmptyRows);
  r.Register("SparseReshape", MakeSparseReshape);
  r.Register("SparseToDense", MakeSparseToDense);
  r.Register("SparseTensorDenseMatMul", MakeSparseTensorDenseMatMul);
  r.Register("SparseReorder", MakeSparseReorder);
  r.Register("SparseConcat", MakeSparseConcat);
  RegisterSparseSegmentKernels(r);
}

}  // namespace tfmodel::runtime
