// Data-moving array kernels: ConcatV2, Concat, Split, SplitV, Pack, Unpack, Slice,
// StridedSlice, Transpose, Tile, ReverseV2. All are dtype-agnostic (bytes for POD types,
// element copies for strings/resources/variants).
#include <algorithm>

#include "runtime/kernels/array_util.h"
#include "runtime/kernels/register_all.h"

namespace tfmodel::runtime {
namespace {

using array_util::DispatchElem;
using array_util::ReadInts;
using array_util::ShapeStr;

absl::Status NeedInputs(const KernelContext* ctx, int n) {
  if (ctx->num_inputs() < n) {
    return ctx->Error(absl::StrCat("expected ", n, " inputs, got ", ctx->num_inputs()));
  }
  return absl::OkStatus();
}

// --- Concat ----------------------------------------------------------------------------

// Concatenates inputs [first, first+n) along the axis given by tensor `axis_t`.
absl::Status ConcatImpl(KernelContext* ctx, int first, int n, const Tensor& axis_t) {
  if (n < 1) return ctx->Error("ConcatOp : Expected at least one input");
  TFM_ASSIGN_OR_RETURN(int64_t axis_v, array_util::ReadIntScalar(ctx, axis_t, "axis", false));
  const Tensor& in0 = ctx->input(first);
  const int rank = in0.rank();
  if (rank == 0) return ctx->Error("ConcatOp : Can't concatenate scalars (use tf.stack instead)");
  if (axis_v < -rank || axis_v >= rank) {
    return ctx->Error(absl::StrCat("ConcatOp : Expected concatenating dimensions in the range [",
                                   -rank, ", ", rank, "), but got ", axis_v));
  }
  const int axis = static_cast<int>(axis_v < 0 ? axis_v + rank : axis_v);
  int64_t out_axis = 0;
  for (int i = 0; i < n; ++i) {
    const Tensor& t = ctx->input(first + i);
    if (t.dtype() != in0.dtype()) {
      return ctx->Error(absl::StrCat("ConcatOp : input ", i, " has dtype ", DTypeName(t.dtype()),
                                     " but input 0 has ", DTypeName(in0.dtype())));
    }
    if (t.rank() != rank) {
      return ctx->Error(absl::StrCat(
          "ConcatOp : Ranks of all input tensors should match: shape[0] = ", ShapeStr(in0.shape()),
          " vs. shape[", i, "] = ", ShapeStr(t.shape())));
    }
    for (int d = 0; d < rank; ++d) {
      if (d != axis && t.dim(d) != in0.dim(d)) {
        return ctx->Error(
            absl::StrCat("ConcatOp : Dimension ", d, " in both shapes must be equal: shape[0] = ",
                         ShapeStr(in0.shape()), " vs. shape[", i, "] = ", ShapeStr(t.shape())));
      }
    }
    out_axis += t.dim(axis);
  }
  TensorShape out_shape = in0.shape();
  out_shape.set_dim(axis, out_axis);
  TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, out_shape));
  if (n == 1) {
    ctx->set_output(0, in0);
    return absl::OkStatus();
  }
  const int64_t outer = array_util::Product(in0.shape().dim_sizes(), 0, axis);
  const int64_t inner = array_util::Product(in0.shape().dim_sizes(), axis + 1, rank);
  const int64_t out_row = out_axis * inner;
  Tensor out = Tensor::Empty(in0.dtype(), out_shape);
  bool ok = DispatchElem(in0.dtype(), [&]<typename T>() {
    T* dst = out.data<T>();
    int64_t col = 0;
    for (int i = 0; i < n; ++i) {
      const Tensor& t = ctx->input(first + i);
      const int64_t row = t.dim(axis) * inner;
      const T* src = t.data<T>();
      for (int64_t o = 0; o < outer; ++o) {
        array_util::CopyN(src + o * row, row, dst + o * out_row + col);
      }
      col += row;
    }
  });
  if (!ok) return array_util::UnsupportedDType(ctx, in0.dtype());
  ctx->set_output(0, std::move(out));
  return absl::OkStatus();
}

absl::Status ConcatV2Compute(KernelContext* ctx) {
  TFM_RETURN_IF_ERROR(NeedInputs(ctx, 2));
  const int n = ctx->num_inputs() - 1;
  return ConcatImpl(ctx, 0, n, ctx->input(n));
}

absl::Status ConcatCompute(KernelContext* ctx) {
  TFM_RETURN_IF_ERROR(NeedInputs(ctx, 2));
  return ConcatImpl(ctx, 1, ctx->num_inputs() - 1, ctx->input(0));
}

// --- Split / SplitV --------------------------------------------------------------------

// Splits `in` along `axis` into pieces of the given sizes (which sum to the dim).
absl::Status SplitImpl(KernelContext* ctx, const Tensor& in, int axis,
                       const std::vector<int64_t>& sizes) {
  const int rank = in.rank();
  const int64_t outer = array_util::Product(in.shape().dim_sizes(), 0, axis);
  const int64_t inner = array_util::Product(in.shape().dim_sizes(), axis + 1, rank);
  const int64_t in_row = in.dim(axis) * inner;
  int64_t start = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    TensorShape s = in.shape();
    s.set_dim(axis, sizes[i]);
    if (outer == 1 && in.NumElements() > 0) {
      // Contiguous piece: share the input buffer.
      TensorShape flat{in.dim(axis) * inner};
      TFM_ASSIGN_OR_RETURN(Tensor f, in.Reshaped(flat));
      TFM_ASSIGN_OR_RETURN(Tensor piece,
                           f.Slice(start * inner, (start + sizes[i]) * inner).Reshaped(s));
      ctx->set_output(static_cast<int>(i), std::move(piece));
    } else {
      Tensor out = Tensor::Empty(in.dtype(), s);
      const int64_t row = sizes[i] * inner;
      bool ok = DispatchElem(in.dtype(), [&]<typename T>() {
        const T* src = in.data<T>();
        T* dst = out.data<T>();
        for (int64_t o = 0; o < outer; ++o) {
          array_util::CopyN(src + o * in_row + start * inner, row, dst + o * row);
        }
      });
      if (!ok) return array_util::UnsupportedDType(ctx, in.dtype());
      ctx->set_output(static_cast<int>(i), std::move(out));
    }
    start += sizes[i];
  }
  return absl::OkStatus();
}

absl::StatusOr<int> SplitAxis(const KernelContext* ctx, const Tensor& axis_t, int rank) {
  TFM_ASSIGN_OR_RETURN(int64_t a, array_util::ReadIntScalar(ctx, axis_t, "split_dim", false));
  if (a < -rank || a >= rank) {
    return ctx->Error(absl::StrCat("-input rank(-", rank, ") <= split_dim < input rank (", rank,
                                   ") is required but got ", a));
  }
  return static_cast<int>(a < 0 ? a + rank : a);
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeSplit(const KernelInit& init) {
  int64_t num_split = 0;
  TFM_RETURN_IF_ERROR(init.GetAttr("num_split", &num_split));
  if (num_split < 1) {
    return init.Error(absl::StrCat("num_split must be >= 1, got ", num_split));
  }
  return MakeKernel([num_split](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 2));
    const Tensor& in = ctx->input(1);
    TFM_ASSIGN_OR_RETURN(int axis, SplitAxis(ctx, ctx->input(0), in.rank()));
    const int64_t d = in.dim(axis);
    if (d % num_split != 0) {
      return ctx->Error(absl::StrCat(
          "Number of ways to split should evenly divide the split dimension, but got split_dim ",
          axis, " (size = ", d, ") and num_split ", num_split));
    }
    return SplitImpl(ctx, in, axis, std::vector<int64_t>(num_split, d / num_split));
  });
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeSplitV(const KernelInit& init) {
  int64_t num_split = 0;
  TFM_RETURN_IF_ERROR(init.GetAttr("num_split", &num_split));
  if (num_split < 1) {
    return init.Error(absl::StrCat("num_split must be >= 1, got ", num_split));
  }
  return MakeKernel([num_split](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 3));
    const Tensor& in = ctx->input(0);
    TFM_ASSIGN_OR_RETURN(int axis, SplitAxis(ctx, ctx->input(2), in.rank()));
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> sizes,
                         array_util::ReadIntVector(ctx, ctx->input(1), "size_splits"));
    if (static_cast<int64_t>(sizes.size()) != num_split) {
      return ctx->Error(absl::StrCat("Number of ways to split should be equal to num_split (",
                                     num_split, ") but got ", sizes.size(), " size_splits"));
    }
    const int64_t d = in.dim(axis);
    int unknown = -1;
    int64_t known = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
      if (sizes[i] == -1) {
        if (unknown != -1) return ctx->Error("There can only be one -1 in the input.");
        unknown = static_cast<int>(i);
      } else if (sizes[i] < 0) {
        return ctx->Error(
            absl::StrCat("Split size at index ", i, " must be >= 0. Got: ", sizes[i]));
      } else {
        if (sizes[i] > d)
          known = d + 1;  // avoids overflow; fails the check below
        else
          known += sizes[i];
      }
    }
    if ((unknown == -1 && known != d) || (unknown != -1 && known > d)) {
      return ctx->Error(absl::StrCat(
          "Determined shape must either match input shape along split_dim exactly if fully "
          "specified, or be less than the size of the input along split_dim if not fully "
          "specified.  Got: ",
          known, " (size_splits [", absl::StrJoin(sizes, ","), "], input shape ",
          ShapeStr(in.shape()), ")"));
    }
    if (unknown != -1) sizes[unknown] = d - known;
    return SplitImpl(ctx, in, axis, sizes);
  });
}

// --- Pack / Unpack ---------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<OpKernel>> MakePack(const KernelInit& init) {
  int64_t axis_attr = 0;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("axis", &axis_attr));
  return MakeKernel([axis_attr](KernelContext* ctx) -> absl::Status {
    const int n = ctx->num_inputs();
    if (n < 1) return ctx->Error("Pack needs at least one input");
    const Tensor& in0 = ctx->input(0);
    const int out_rank = in0.rank() + 1;
    if (axis_attr < -out_rank || axis_attr >= out_rank) {
      return ctx->Error(
          absl::StrCat("axis = ", axis_attr, " not in [", -out_rank, ", ", out_rank, ")"));
    }
    const int axis = static_cast<int>(axis_attr < 0 ? axis_attr + out_rank : axis_attr);
    for (int i = 1; i < n; ++i) {
      const Tensor& t = ctx->input(i);
      if (t.dtype() != in0.dtype() || t.shape() != in0.shape()) {
        return ctx->Error(absl::StrCat(
            "Shapes of all inputs must match: values[0].shape = ", ShapeStr(in0.shape()), " (",
            DTypeName(in0.dtype()), ") != values[", i, "].shape = ", ShapeStr(t.shape()), " (",
            DTypeName(t.dtype()), ")"));
      }
    }
    TensorShape out_shape = in0.shape();
    out_shape.InsertDim(axis, n);
    TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, out_shape));
    const int64_t outer = array_util::Product(in0.shape().dim_sizes(), 0, axis);
    const int64_t inner = array_util::Product(in0.shape().dim_sizes(), axis, in0.rank());
    Tensor out = Tensor::Empty(in0.dtype(), out_shape);
    bool ok = DispatchElem(in0.dtype(), [&]<typename T>() {
      T* dst = out.data<T>();
      for (int i = 0; i < n; ++i) {
        const T* src = ctx->input(i).data<T>();
        for (int64_t o = 0; o < outer; ++o) {
          array_util::CopyN(src + o * inner, inner, dst + (o * n + i) * inner);
        }
      }
    });
    if (!ok) return array_util::UnsupportedDType(ctx, in0.dtype());
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeUnpack(const KernelInit& init) {
  int64_t axis_attr = 0;
  int64_t num = -1;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("axis", &axis_attr));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("num", &num));
  return MakeKernel([axis_attr, num](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 1));
    const Tensor& in = ctx->input(0);
    const int rank = in.rank();
    if (axis_attr < -rank || axis_attr >= rank) {
      return ctx->Error(absl::StrCat("axis = ", axis_attr, " not in [", -rank, ", ", rank, ")"));
    }
    const int axis = static_cast<int>(axis_attr < 0 ? axis_attr + rank : axis_attr);
    const int64_t d = in.dim(axis);
    if (num >= 0 && d != num) {
      return ctx->Error(absl::StrCat("Input shape axis ", axis, " must equal ", num, ", got shape ",
                                     ShapeStr(in.shape())));
    }
    TensorShape piece = in.shape();
    piece.RemoveDim(axis);
    const int64_t outer = array_util::Product(in.shape().dim_sizes(), 0, axis);
    const int64_t inner = array_util::Product(in.shape().dim_sizes(), axis + 1, rank);
    for (int64_t i = 0; i < d; ++i) {
      Tensor out = Tensor::Empty(in.dtype(), piece);
      bool ok = DispatchElem(in.dtype(), [&]<typename T>() {
        const T* src = in.data<T>();
        T* dst = out.data<T>();
        for (int64_t o = 0; o < outer; ++o) {
          array_util::CopyN(src + (o * d + i) * inner, inner, dst + o * inner);
        }
      });
      if (!ok) return array_util::UnsupportedDType(ctx, in.dtype());
      ctx->set_output(static_cast<int>(i), std::move(out));
    }
    return absl::OkStatus();
  });
}

// --- Slice -----------------------------------------------------------------------------

absl::Status SliceCompute(KernelContext* ctx) {
  TFM_RETURN_IF_ERROR(NeedInputs(ctx, 3));
  const Tensor& in = ctx->input(0);
  const Tensor& begin_t = ctx->input(1);
  const Tensor& size_t_ = ctx->input(2);
  const int rank = in.rank();
  if (begin_t.rank() != 1 || size_t_.rank() != 1 || begin_t.NumElements() != rank ||
      size_t_.NumElements() != rank) {
    return ctx->Error(absl::StrCat("Expected begin and size arguments to be 1-D tensors of size ",
                                   rank, ", but got shapes ", ShapeStr(begin_t.shape()), " and ",
                                   ShapeStr(size_t_.shape()), " instead."));
  }
  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> begin, ReadInts(ctx, begin_t, "begin"));
  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> size, ReadInts(ctx, size_t_, "size"));
  TensorShape out_shape;
  std::vector<int64_t> strides = array_util::Strides(in.shape());
  int64_t base = 0;
  for (int i = 0; i < rank; ++i) {
    const int64_t d = in.dim(i);
    int64_t b = begin[i];
    int64_t s = size[i];
    if (s == -1) {
      if (b < 0 || b > d) {
        return ctx->Error(absl::StrCat("Expected begin[", i, "] in [0, ", d, "], but got ", b));
      }
      s = d - b;
    }
    if (b < 0 || b > d) {
      return ctx->Error(absl::StrCat("Expected begin[", i, "] in [0, ", d, "], but got ", b));
    }
    if (s < 0 || s > d - b) {
      return ctx->Error(absl::StrCat("Expected size[", i, "] in [0, ", d - b, "], but got ", s));
    }
    out_shape.AddDim(s);
    base += b * strides[i];
  }
  if (out_shape == in.shape()) {
    ctx->set_output(0, in);
    return absl::OkStatus();
  }
  if (out_shape.NumElements() == 0) base = 0;
  TFM_ASSIGN_OR_RETURN(Tensor out, array_util::GatherStrided(ctx, in, base, strides, out_shape));
  ctx->set_output(0, std::move(out));
  return absl::OkStatus();
}

// --- StridedSlice ----------------------------------------------------------------------
// Follows TF's ValidateStridedSliceOp: a sparse spec (the user's begin/end/strides with
// ellipsis and new-axis entries) is expanded to a dense spec over the input dims, then
// each dim is canonicalised and clamped, giving the processing shape; the final shape
// drops shrunk dims and adds new axes.

struct StridedSliceAttrs {
  int64_t begin_mask = 0, end_mask = 0, ellipsis_mask = 0, new_axis_mask = 0, shrink_axis_mask = 0;
};

struct StridedSliceResult {
  std::vector<int64_t> begin, end, strides;  // dense, canonical
  TensorShape processing_shape;
  TensorShape final_shape;
  bool is_identity = true;
};

constexpr int64_t kNewAxis = -1;
constexpr int64_t kShrinkAxis = -2;

absl::StatusOr<StridedSliceResult> ValidateStridedSlice(const KernelContext* ctx,
                                                        const TensorShape& input_shape,
                                                        const Tensor& begin_t, const Tensor& end_t,
                                                        const Tensor& strides_t,
                                                        const StridedSliceAttrs& a) {
  const int64_t n = strides_t.NumElements();
  auto bad_vec = [&](const Tensor& t) {
    return t.rank() != 1 || t.NumElements() != n || t.NumElements() >= 32;
  };
  if (bad_vec(begin_t) || bad_vec(end_t) || strides_t.rank() != 1) {
    return ctx->Error(absl::StrCat(
        "Expected begin, end, and strides to be 1D equal size tensors, but got shapes ",
        ShapeStr(begin_t.shape()), ", ", ShapeStr(end_t.shape()), ", and ",
        ShapeStr(strides_t.shape()), " instead."));
  }
  if (begin_t.dtype() != strides_t.dtype() || end_t.dtype() != strides_t.dtype()) {
    return ctx->Error("begin, end and strides must have the same dtype");
  }
  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> sb, ReadInts(ctx, begin_t, "begin"));
  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> se, ReadInts(ctx, end_t, "end"));
  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> ss, ReadInts(ctx, strides_t, "strides"));
  if (a.ellipsis_mask != 0 && (a.ellipsis_mask & (a.ellipsis_mask - 1)) != 0) {
    return ctx->Error("Multiple ellipses in slice spec not allowed");
  }
  const int dims = input_shape.rank();
  if (dims > 62) {
    return ctx->Error(absl::StrCat("StridedSlice supports inputs of rank <= 62, got ", dims));
  }
  auto bit = [](int64_t mask, int64_t i) { return (mask >> i) & 1; };

  // Step 1: count new axes after the ellipsis; add an implicit trailing ellipsis.
  int sparse_dims = static_cast<int>(n);
  int64_t ellipsis_mask = a.ellipsis_mask & ((int64_t{1} << 32) - 1);
  int num_add_axis_after_ellipsis = 0;
  bool ellipsis_seen = false;
  for (int i = 0; i < sparse_dims; ++i) {
    if (ellipsis_seen && bit(a.new_axis_mask, i)) ++num_add_axis_after_ellipsis;
    if (bit(ellipsis_mask, i)) ellipsis_seen = true;
  }
  if (!ellipsis_seen) {
    ellipsis_mask |= int64_t{1} << sparse_dims;
    ++sparse_dims;
  }

  // Step 2: sparse -> dense.
  StridedSliceResult r;
  r.begin.assign(dims, 0);
  r.end.assign(dims, 0);
  r.strides.assign(dims, 1);
  int64_t begin_mask = 0, end_mask = 0, shrink_mask = 0;
  std::vector<int64_t> final_gather;
  int full = 0;
  for (int i = 0; i < sparse_dims; ++i) {
    if (bit(ellipsis_mask, i)) {
      int next = std::min(dims - (sparse_dims - i) + 1 + num_add_axis_after_ellipsis, dims);
      for (; full < next; ++full) {
        r.begin[full] = r.end[full] = 0;
        r.strides[full] = 1;
        begin_mask |= int64_t{1} << full;
        end_mask |= int64_t{1} << full;
        final_gather.push_back(full);
      }
    } else if (bit(a.new_axis_mask, i)) {
      final_gather.push_back(kNewAxis);
    } else {
      if (full == dims) {
        return ctx->Error(absl::StrCat("Index out of range using input dim ", full,
                                       "; input has only ", dims, " dims"));
      }
      r.begin[full] = sb[i];
      r.end[full] = se[i];
      r.strides[full] = ss[i];
      if (bit(a.begin_mask, i)) begin_mask |= int64_t{1} << full;
      if (bit(a.end_mask, i)) end_mask |= int64_t{1} << full;
      if (bit(a.shrink_axis_mask, i)) {
        final_gather.push_back(kShrinkAxis);
        shrink_mask |= int64_t{1} << full;
      } else {
        final_gather.push_back(full);
      }
      ++full;
    }
  }

  // Step 3: canonicalise, clamp and bounds-check each dense dim.
  for (int i = 0; i < dims; ++i) {
    int64_t& b = r.begin[i];
    int64_t& e = r.end[i];
    const int64_t s = r.strides[i];
    const int64_t d = input_shape.dim(i);
    if (s == 0) return ctx->Error(absl::StrCat("strides[", i, "] must be non-zero"));
    const bool shrink = bit(shrink_mask, i);
    if (shrink && s <= 0) {
      return ctx->Error("only stride 1 allowed on non-range indexing.");
    }
    const bool masks[2] = {bit(begin_mask, i) != 0, bit(end_mask, i) != 0};
    const int64_t valid[2] = {s > 0 ? 0 : -1, s > 0 ? d : d - 1};
    auto canonical = [&](int64_t x, int c) -> int64_t {
      if (masks[c]) return s > 0 ? valid[c] : valid[(c + 1) & 1];
      int64_t fwd = x < 0 ? d + x : x;
      return fwd < valid[0] ? valid[0] : (fwd > valid[1] ? valid[1] : fwd);
    };
    if (shrink) {
      // foo[-1] arrives as begin=-1,end=0: rebuild end as begin+1.
      int64_t fwd = b < 0 ? d + b : b;
      if (fwd < 0 || fwd >= d) {
        return ctx->Error(absl::StrCat("slice index ", fwd, " of dimension ", i,
                                       " out of bounds (input shape ", ShapeStr(input_shape),
                                       ")."));
      }
      b = fwd;
      e = fwd + 1;
    } else {
      b = canonical(b, 0);
      e = canonical(e, 1);
    }
    r.is_identity &= s == 1 && b == 0 && e == d;
    const int64_t len = e - b;
    int64_t size = 0;
    if (len != 0 && ((len < 0) == (s < 0))) {
      size = len / s + (len % s != 0 ? 1 : 0);
    }
    r.processing_shape.AddDim(size);
  }

  // Step 4: the final shape.
  for (int64_t g : final_gather) {
    if (g >= 0) {
      r.final_shape.AddDim(r.processing_shape.dim(static_cast<int>(g)));
    } else if (g == kNewAxis) {
      r.final_shape.AddDim(1);
    }
  }
  return r;
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeStridedSlice(const KernelInit& init) {
  StridedSliceAttrs a;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("begin_mask", &a.begin_mask));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("end_mask", &a.end_mask));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("ellipsis_mask", &a.ellipsis_mask));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("new_axis_mask", &a.new_axis_mask));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("shrink_axis_mask", &a.shrink_axis_mask));
  return MakeKernel([a](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 4));
    const Tensor& in = ctx->input(0);
    TFM_ASSIGN_OR_RETURN(
        StridedSliceResult r,
        ValidateStridedSlice(ctx, in.shape(), ctx->input(1), ctx->input(2), ctx->input(3), a));
    if (r.is_identity) {
      TFM_ASSIGN_OR_RETURN(Tensor out, in.Reshaped(r.final_shape));
      ctx->set_output(0, std::move(out));
      return absl::OkStatus();
    }
    std::vector<int64_t> in_strides = array_util::Strides(in.shape());
    std::vector<int64_t> src_strides(in_strides.size());
    int64_t base = 0;
    if (r.processing_shape.NumElements() > 0) {
      for (size_t i = 0; i < in_strides.size(); ++i) {
        base += r.begin[i] * in_strides[i];
        src_strides[i] = r.strides[i] * in_strides[i];
      }
    }
    TFM_ASSIGN_OR_RETURN(Tensor out,
                         array_util::GatherStrided(ctx, in, base, src_strides, r.processing_shape));
    TFM_ASSIGN_OR_RETURN(Tensor shaped, out.Reshaped(r.final_shape));
    ctx->set_output(0, std::move(shaped));
    return absl::OkStatus();
  });
}

// --- Transpose -------------------------------------------------------------------------

absl::Status TransposeCompute(KernelContext* ctx) {
  TFM_RETURN_IF_ERROR(NeedInputs(ctx, 2));
  const Tensor& in = ctx->input(0);
  const Tensor& perm_t = ctx->input(1);
  if (perm_t.rank() != 1) {
    return ctx->Error(absl::StrCat("perm must be rank 1, got shape ", ShapeStr(perm_t.shape())));
  }
  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> perm, ReadInts(ctx, perm_t, "perm"));
  const int rank = in.rank();
  if (static_cast<int>(perm.size()) != rank) {
    return ctx->Error(absl::StrCat("transpose expects a vector of size ", rank,
                                   ". But input(1) is a vector of size ", perm.size()));
  }
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  std::vector<int64_t> in_strides = array_util::Strides(in.shape());
  std::vector<int64_t> src_strides(static_cast<size_t>(rank));
  TensorShape out_shape;
  bool identity = true;
  for (int i = 0; i < rank; ++i) {
    const int64_t p = perm[i];
    if (p < 0 || p >= rank) {
      return ctx->Error(absl::StrCat(p, " is out of range [0 .. ", rank, ")"));
    }
    if (seen[p]) return ctx->Error(absl::StrCat(p, " is duplicated in perm"));
    seen[p] = true;
    identity &= p == i;
    out_shape.AddDim(in.dim(static_cast<int>(p)));
    src_strides[i] = in_strides[p];
  }
  if (identity) {
    ctx->set_output(0, in);
    return absl::OkStatus();
  }
  TFM_ASSIGN_OR_RETURN(Tensor out, array_util::GatherStrided(ctx, in, 0, src_strides, out_shape));
  ctx->set_output(0, std::move(out));
  return absl::OkStatus();
}

// --- Tile ------------------------------------------------------------------------------

absl::Status TileCompute(KernelContext* ctx) {
  TFM_RETURN_IF_ERROR(NeedInputs(ctx, 2));
  const Tensor& in = ctx->input(0);
  const Tensor& m_t = ctx->input(1);
  const int rank = in.rank();
  if (m_t.rank() != 1 || m_t.NumElements() != rank) {
    return ctx->Error(absl::StrCat("Expected multiples argument to be a vector of length ", rank,
                                   " but got shape ", ShapeStr(m_t.shape())));
  }
  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> mult, ReadInts(ctx, m_t, "multiples"));
  TensorShape out_shape;
  // The output viewed as [m0, d0, m1, d1, ...] is a broadcast (stride 0 over each m_i).
  std::vector<int64_t> dims2, strides2;
  std::vector<int64_t> in_strides = array_util::Strides(in.shape());
  for (int i = 0; i < rank; ++i) {
    if (mult[i] < 0) {
      return ctx->Error(absl::StrCat("Expected multiples[", i, "] >= 0, but got ", mult[i]));
    }
    const int64_t d = in.dim(i);
    if (d != 0 && mult[i] > kMaxTensorElements / d) {
      return ctx->Error(absl::StrCat("Tile output dim ", i, " is too large"));
    }
    out_shape.AddDim(d * mult[i]);
    dims2.push_back(mult[i]);
    dims2.push_back(d);
    strides2.push_back(0);
    strides2.push_back(in_strides[i]);
  }
  TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, out_shape));
  Tensor out = Tensor::Empty(in.dtype(), out_shape);
  bool ok = DispatchElem(in.dtype(), [&]<typename T>() {
    array_util::StridedGather(in.data<T>(), 0, strides2, out.data<T>(), dims2);
  });
  if (!ok) return array_util::UnsupportedDType(ctx, in.dtype());
  ctx->set_output(0, std::move(out));
  return absl::OkStatus();
}

// --- ReverseV2 -------------------------------------------------------------------------

absl::Status ReverseV2Compute(KernelContext* ctx) {
  TFM_RETURN_IF_ERROR(NeedInputs(ctx, 2));
  const Tensor& in = ctx->input(0);
  const Tensor& axis_t = ctx->input(1);
  if (axis_t.rank() != 1) {
    return ctx->Error(absl::StrCat("'axis' must be 1-D, not ", ShapeStr(axis_t.shape())));
  }
  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> axes, ReadInts(ctx, axis_t, "axis"));
  const int rank = in.rank();
  std::vector<bool> rev(static_cast<size_t>(rank), false);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t a = axes[i];
    if (a < -rank || a >= rank) {
      return ctx->Error(absl::StrCat("'axis'[", i, "] = ", a, " is out of valid range [", -rank,
                                     ", ", rank, ")"));
    }
    if (a < 0) a += rank;
    if (rev[a]) {
      return ctx->Error(absl::StrCat("axis ", a, " specified more than once."));
    }
    rev[a] = true;
  }
  std::vector<int64_t> strides = array_util::Strides(in.shape());
  int64_t base = 0;
  for (int i = 0; i < rank; ++i) {
    if (rev[i] && in.dim(i) > 0) {
      base += (in.dim(i) - 1) * strides[i];
      strides[i] = -strides[i];
    }
  }
  if (in.NumElements() == 0) base = 0;
  TFM_ASSIGN_OR_RETURN(Tensor out, array_util::GatherStrided(ctx, in, base, strides, in.shape()));
  ctx->set_output(0, std::move(out));
  return absl::OkStatus();
}

}  // namespace

void RegisterArrayKernels(KernelRegistry& r) {
  auto simple = [&r](const char* op, absl::Status (*f)(KernelContext*)) {
    r.Register(op, [f](const KernelInit&) -> absl::StatusOr<std::unique_ptr<OpKernel>> {
      return MakeKernel(f);
    });
  };
  simple("ConcatV2", ConcatV2Compute);
  simple("Concat", ConcatCompute);
  simple("Slice", SliceCompute);
  simple("Transpose", TransposeCompute);
  simple("Tile", TileCompute);
  simple("ReverseV2", ReverseV2Compute);
  r.Register("Split", MakeSplit);
  r.Register("SplitV", MakeSplitV);
  r.Register("Pack", MakePack);
  r.Register("Unpack", MakeUnpack);
  r.Register("StridedSlice", MakeStridedSlice);
}

}  // namespace tfmodel::runtime
