// Shape-manipulating kernels that mostly move no data: Reshape, Squeeze, ExpandDims
// (zero-copy views), Shape, ShapeN, Size, Rank, Fill, ZerosLike, OnesLike, BroadcastTo,
// BroadcastArgs, InvertPermutation.
#include <algorithm>
#include <limits>

#include "runtime/kernels/array_util.h"
#include "runtime/kernels/register_all.h"

namespace tfmodel::runtime {
namespace {

using array_util::ReadIntScalar;
using array_util::ReadIntVector;
using array_util::ShapeStr;

absl::Status NeedInputs(const KernelContext* ctx, int n) {
  if (ctx->num_inputs() < n) {
    return ctx->Error(absl::StrCat("expected ", n, " inputs, got ", ctx->num_inputs()));
  }
  return absl::OkStatus();
}

// --- Reshape ---------------------------------------------------------------------------

absl::Status ReshapeCompute(KernelContext* ctx) {
  TFM_RETURN_IF_ERROR(NeedInputs(ctx, 2));
  const Tensor& in = ctx->input(0);
  const Tensor& sizes = ctx->input(1);
  if (sizes.rank() != 1) {
    return ctx->Error(absl::StrCat("sizes input must be 1-D, not ", ShapeStr(sizes.shape())));
  }
  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> dims, array_util::ReadInts(ctx, sizes, "shape"));
  int64_t product = 1;
  int unknown = -1;
  bool sizes_has_zero = false;
  for (size_t d = 0; d < dims.size(); ++d) {
    int64_t s = dims[d];
    if (s == -1) {
      if (unknown != -1) {
        return ctx->Error(
            absl::StrCat("Only one input size may be -1, not both ", unknown, " and ", d));
      }
      unknown = static_cast<int>(d);
    } else if (s < 0) {
      return ctx->Error(absl::StrCat("Size ", d, " must be non-negative, not ", s));
    } else if (s == 0) {
      sizes_has_zero = true;
    } else {
      if (product > kMaxTensorElements / s) {
        return ctx->Error(
            absl::StrCat("requested shape [", absl::StrJoin(dims, ","), "] has too many elements"));
      }
      product *= s;
    }
  }
  if (unknown != -1) {
    // As TF: zero-sized input dims are left out of the count when the requested shape has
    // a zero too, so the other dims can still be inferred.
    int64_t input_elems = 1;
    bool input_has_zero = false;
    for (int i = 0; i < in.rank(); ++i) {
      if (in.dim(i) > 0 || !sizes_has_zero) {
        input_elems *= in.dim(i);
      } else {
        input_has_zero = true;
      }
    }
    const int64_t missing = input_elems / product;
    if (!input_has_zero && product * missing != input_elems) {
      return ctx->Error(absl::StrCat("Input to reshape is a tensor with ", input_elems,
                                     " values, but the requested shape requires a multiple of ",
                                     product));
    }
    dims[unknown] = missing;
  }
  TensorShape shape(dims);
  TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, shape));
  if (shape.NumElements() != in.NumElements()) {
    return ctx->Error(absl::StrCat("Input to reshape is a tensor with ", in.NumElements(),
                                   " values, but the requested shape has ", shape.NumElements()));
  }
  TFM_ASSIGN_OR_RETURN(Tensor out, in.Reshaped(shape));
  ctx->set_output(0, std::move(out));
  return absl::OkStatus();
}

// --- Squeeze ---------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<OpKernel>> MakeSqueeze(const KernelInit& init) {
  std::vector<int64_t> axes;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("squeeze_dims", &axes));
  if (axes.empty()) TFM_RETURN_IF_ERROR(init.GetAttrOr("axis", &axes));
  return MakeKernel([axes](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 1));
    const Tensor& in = ctx->input(0);
    const int rank = in.rank();
    std::vector<bool> wanted(static_cast<size_t>(rank), false);
    for (int64_t a : axes) {
      if (a < -rank || a >= rank) {
        return ctx->Error(absl::StrCat("Tried to squeeze dim index ", a, " for tensor with ", rank,
                                       " dimensions."));
      }
      wanted[a < 0 ? a + rank : a] = true;
    }
    TensorShape shape;
    for (int i = 0; i < rank; ++i) {
      const int64_t d = in.dim(i);
      if (axes.empty()) {
        if (d != 1) shape.AddDim(d);
      } else if (wanted[i]) {
        if (d != 1) {
          return ctx->Error(absl::StrCat("Can not squeeze dim[", i,
                                         "], expected a dimension of 1, got ", d, " (input shape ",
                                         ShapeStr(in.shape()), ")"));
        }
      } else {
        shape.AddDim(d);
      }
    }
    TFM_ASSIGN_OR_RETURN(Tensor out, in.Reshaped(shape));
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

// --- ExpandDims ------------------------------------------------------------------------

absl::Status ExpandDimsCompute(KernelContext* ctx) {
  TFM_RETURN_IF_ERROR(NeedInputs(ctx, 2));
  const Tensor& in = ctx->input(0);
  const Tensor& dim_t = ctx->input(1);
  if (dim_t.NumElements() != 1) {
    return ctx->Error(absl::StrCat("'dim' must be a tensor with a single value, got shape ",
                                   ShapeStr(dim_t.shape())));
  }
  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> dv, array_util::ReadInts(ctx, dim_t, "dim"));
  int64_t dim = dv[0];
  const int rank = in.rank();
  if (dim < -1 - rank || dim > rank) {
    return ctx->Error(
        absl::StrCat("Tried to expand dim index ", dim, " for tensor with ", rank, " dimensions."));
  }
  if (dim < 0) dim += rank + 1;
  TensorShape shape = in.shape();
  shape.InsertDim(static_cast<int>(dim), 1);
  TFM_ASSIGN_OR_RETURN(Tensor out, in.Reshaped(shape));
  ctx->set_output(0, std::move(out));
  return absl::OkStatus();
}

// --- Shape, ShapeN, Size, Rank ---------------------------------------------------------

absl::StatusOr<DType> OutType(const KernelInit& init) {
  DType t = DType::kInt32;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("out_type", &t));
  if (!array_util::IsIndexDType(t)) {
    return init.Error(absl::StrCat("out_type must be int32 or int64, got ", DTypeName(t)));
  }
  return t;
}

absl::StatusOr<Tensor> IntVectorTensor(const KernelContext* ctx, DType t,
                                       absl::Span<const int64_t> v, TensorShape shape) {
  Tensor out(t, shape);
  for (size_t i = 0; i < v.size(); ++i) {
    if (t == DType::kInt32 && v[i] > std::numeric_limits<int32_t>::max()) {
      return ctx->Error(absl::StrCat("output type is 32-bit but value ", i, " is ", v[i],
                                     " (use out_type int64)"));
    }
    array_util::SetInt(out, static_cast<int64_t>(i), v[i]);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeShape(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(DType t, OutType(init));
  return MakeKernel([t](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 1));
    const TensorShape& s = ctx->input(0).shape();
    TFM_ASSIGN_OR_RETURN(Tensor out, IntVectorTensor(ctx, t, s.dim_sizes(), TensorShape{s.rank()}));
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeShapeN(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(DType t, OutType(init));
  return MakeKernel([t](KernelContext* ctx) -> absl::Status {
    for (int i = 0; i < ctx->num_inputs(); ++i) {
      const TensorShape& s = ctx->input(i).shape();
      TFM_ASSIGN_OR_RETURN(Tensor out,
                           IntVectorTensor(ctx, t, s.dim_sizes(), TensorShape{s.rank()}));
      ctx->set_output(i, std::move(out));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeSize(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(DType t, OutType(init));
  return MakeKernel([t](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 1));
    int64_t n = ctx->input(0).NumElements();
    TFM_ASSIGN_OR_RETURN(Tensor out, IntVectorTensor(ctx, t, {n}, TensorShape{}));
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

absl::Status RankCompute(KernelContext* ctx) {
  TFM_RETURN_IF_ERROR(NeedInputs(ctx, 1));
  ctx->set_output(0, Tensor::Scalar<int32_t>(ctx->input(0).rank()));
  return absl::OkStatus();
}

// --- Fill, ZerosLike, OnesLike ---------------------------------------------------------

absl::Status FillCompute(KernelContext* ctx) {
  TFM_RETURN_IF_ERROR(NeedInputs(ctx, 2));
  const Tensor& dims_t = ctx->input(0);
  const Tensor& value = ctx->input(1);
  if (dims_t.rank() != 1) {
    return ctx->Error(absl::StrCat("dims must be a vector, got shape ", ShapeStr(dims_t.shape())));
  }
  if (value.rank() != 0) {
    return ctx->Error(absl::StrCat("value must be a scalar, got shape ", ShapeStr(value.shape())));
  }
  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> dims, array_util::ReadInts(ctx, dims_t, "dims"));
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] < 0) {
      return ctx->Error(absl::StrCat("dims[", i, "] must be non-negative, got ", dims[i]));
    }
  }
  TensorShape shape(dims);
  TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, shape));
  TFM_ASSIGN_OR_RETURN(Tensor out, array_util::FilledLike(ctx, value, shape));
  ctx->set_output(0, std::move(out));
  return absl::OkStatus();
}

absl::Status ZerosLikeCompute(KernelContext* ctx) {
  TFM_RETURN_IF_ERROR(NeedInputs(ctx, 1));
  const Tensor& in = ctx->input(0);
  if (!DTypeIsPod(in.dtype()) && in.dtype() != DType::kString) {
    return array_util::UnsupportedDType(ctx, in.dtype());
  }
  // Zero bytes are the zero of every POD dtype; strings start empty.
  ctx->set_output(0, Tensor(in.dtype(), in.shape()));
  return absl::OkStatus();
}

absl::Status OnesLikeCompute(KernelContext* ctx) {
  TFM_RETURN_IF_ERROR(NeedInputs(ctx, 1));
  const Tensor& in = ctx->input(0);
  Tensor one;
  switch (in.dtype()) {
    case DType::kHalf:
      one = Tensor::Scalar<Half>(Half::FromFloat(1.0f));
      break;
    case DType::kBFloat16:
      one = Tensor::Scalar<BFloat16>(BFloat16::FromFloat(1.0f));
      break;
    case DType::kComplex64:
      one = Tensor::Scalar<complex64>(complex64(1, 0));
      break;
    case DType::kComplex128:
      one = Tensor::Scalar<complex128>(complex128(1, 0));
      break;
    default:
      DispatchNumeric(in.dtype(), [&]<typename T>() { one = Tensor::Scalar<T>(T(1)); });
  }
  if (!one.valid()) return array_util::UnsupportedDType(ctx, in.dtype());
  TFM_ASSIGN_OR_RETURN(Tensor out, array_util::FilledLike(ctx, one, in.shape()));
  ctx->set_output(0, std::move(out));
  return absl::OkStatus();
}

// --- Broadcasting ----------------------------------------------------------------------

// numpy-style broadcast of two shapes; nullopt-like error when incompatible.
absl::StatusOr<std::vector<int64_t>> BroadcastShapes(const KernelContext* ctx,
                                                     const std::vector<int64_t>& a,
                                                     const std::vector<int64_t>& b) {
  const size_t n = std::max(a.size(), b.size());
  std::vector<int64_t> out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t x = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t y = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (x == y || y == 1) {
      out[i] = x;
    } else if (x == 1) {
      out[i] = y;
    } else {
      return ctx->Error(absl::StrCat("Incompatible shapes: [", absl::StrJoin(a, ","), "] vs. [",
                                     absl::StrJoin(b, ","), "]"));
    }
  }
  return out;
}

absl::Status BroadcastArgsCompute(KernelContext* ctx) {
  TFM_RETURN_IF_ERROR(NeedInputs(ctx, 2));
  const Tensor& s0 = ctx->input(0);
  const Tensor& s1 = ctx->input(1);
  if (s0.dtype() != s1.dtype()) {
    return ctx->Error(absl::StrCat("s0 and s1 must have the same dtype, got ",
                                   DTypeName(s0.dtype()), " and ", DTypeName(s1.dtype())));
  }
  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> a, ReadIntVector(ctx, s0, "s0"));
  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> b, ReadIntVector(ctx, s1, "s1"));
  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> out, BroadcastShapes(ctx, a, b));
  Tensor t(s0.dtype(), TensorShape{static_cast<int64_t>(out.size())});
  for (size_t i = 0; i < out.size(); ++i) array_util::SetInt(t, static_cast<int64_t>(i), out[i]);
  ctx->set_output(0, std::move(t));
  return absl::OkStatus();
}

absl::Status BroadcastToCompute(KernelContext* ctx) {
  TFM_RETURN_IF_ERROR(NeedInputs(ctx, 2));
  const Tensor& in = ctx->input(0);
  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> dims, ReadIntVector(ctx, ctx->input(1), "shape"));
  TensorShape out_shape(dims);
  TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, out_shape));
  const int in_rank = in.rank();
  const int out_rank = out_shape.rank();
  if (in_rank > out_rank) {
    return ctx->Error(absl::StrCat("Rank of input (", in_rank,
                                   ") must be no greater than rank of output shape (", out_rank,
                                   ")."));
  }
  std::vector<int64_t> in_strides = array_util::Strides(in.shape());
  std::vector<int64_t> src_strides(static_cast<size_t>(out_rank), 0);
  for (int i = 0; i < out_rank; ++i) {
    int j = i - (out_rank - in_rank);
    if (j < 0) continue;
    int64_t d = in.dim(j);
    if (d == out_shape.dim(i)) {
      src_strides[i] = in_strides[j];
    } else if (d == 1) {
      src_strides[i] = 0;
    } else {
      return ctx->Error(absl::StrCat("Unable to broadcast tensor of shape ", ShapeStr(in.shape()),
                                     " to tensor of shape ", ShapeStr(out_shape)));
    }
  }
  if (out_shape == in.shape()) {
    ctx->set_output(0, in);
    return absl::OkStatus();
  }
  TFM_ASSIGN_OR_RETURN(Tensor out, array_util::GatherStrided(ctx, in, 0, src_strides, out_shape));
  ctx->set_output(0, std::move(out));
  return absl::OkStatus();
}

// --- InvertPermutation -----------------------------------------------------------------

absl::Status InvertPermutationCompute(KernelContext* ctx) {
  TFM_RETURN_IF_ERROR(NeedInputs(ctx, 1));
  const Tensor& x = ctx->input(0);
  if (x.rank() != 1) {
    return ctx->Error(
        absl::StrCat("invert_permutation expects a 1D vector, got shape ", ShapeStr(x.shape())));
  }
  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> p, array_util::ReadInts(ctx, x, "x"));
  const int64_t n = static_cast<int64_t>(p.size());
  Tensor out(x.dtype(), x.shape());
  std::vector<bool> seen(p.size(), false);
  for (int64_t i = 0; i < n; ++i) {
    int64_t d = p[i];
    if (d < 0 || d >= n) {
      return ctx->Error(absl::StrCat(d, " is not between 0 and ", n));
    }
    if (seen[d]) return ctx->Error(absl::StrCat(d, " is duplicated in the input."));
    seen[d] = true;
    array_util::SetInt(out, d, i);
  }
  ctx->set_output(0, std::move(out));
  return absl::OkStatus();
}

std::unique_ptr<OpKernel> Fn(absl::Status (*f)(KernelContext*)) { return MakeKernel(f); }

}  // namespace

void RegisterShapeKernels(KernelRegistry& r) {
  auto simple = [&r](const char* op, absl::Status (*f)(KernelContext*)) {
    r.Register(
        op, [f](const KernelInit&) -> absl::StatusOr<std::unique_ptr<OpKernel>> { return Fn(f); });
  };
  simple("Reshape", ReshapeCompute);
  simple("ExpandDims", ExpandDimsCompute);
  simple("Rank", RankCompute);
  simple("Fill", FillCompute);
  simple("ZerosLike", ZerosLikeCompute);
  simple("OnesLike", OnesLikeCompute);
  simple("BroadcastArgs", BroadcastArgsCompute);
  simple("BroadcastTo", BroadcastToCompute);
  simple("InvertPermutation", InvertPermutationCompute);
  r.Register("Squeeze", MakeSqueeze);
  r.Register("Shape", MakeShape);
  r.Register("ShapeN", MakeShapeN);
  r.Register("Size", MakeSize);
}

}  // namespace tfmodel::runtime
