// Segment reductions: SegmentSum/Mean/Prod/Max/Min (sorted ids along dim 0) and
// UnsortedSegmentSum/Prod/Max/Min (ids of any shape that prefixes data's shape, plus
// num_segments).
//
// TF semantics: segment ids are int32 or int64. Sorted ops need ids >= 0 and
// non-decreasing; the output has last_id + 1 rows. Unsorted ops drop rows whose id is
// negative and fail on ids >= num_segments. Segments that receive no row hold 0 (1 for
// Prod) in the sorted ops; in the unsorted ones the reducer's identity: 0 for Sum, 1 for
// Prod, the lowest finite value for Max and the highest for Min (not +-inf). Integer Mean
// divides with truncation; integer Sum/Prod wrap around. Sum/Prod/Mean also take complex;
// half and bfloat16 reduce in float.
#include <algorithm>
#include <limits>
#include <vector>

#include "runtime/kernels/array_util.h"
#include "runtime/kernels/broadcast.h"
#include "runtime/kernels/wrap_math.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;
using array_util::ShapeStr;

enum class Seg { kSum, kMean, kProd, kMax, kMin };

template <typename T>
constexpr bool kIsComplex = std::is_same_v<T, complex64> || std::is_same_v<T, complex128>;

template <Seg R, typename T>
T SegIdentity() {
  if constexpr (R == Seg::kProd) return T(1);
  if constexpr (R == Seg::kMax) {
    if constexpr (!kIsComplex<T>) return std::numeric_limits<T>::lowest();
  }
  if constexpr (R == Seg::kMin) {
    if constexpr (!kIsComplex<T>) return std::numeric_limits<T>::max();
  }
  return T(0);
}

template <Seg R, typename T>
void Combine(T* acc, const T* row, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if constexpr (R == Seg::kSum || R == Seg::kMean) {
      acc[i] = WrapAdd(acc[i], row[i]);
    } else if constexpr (R == Seg::kProd) {
      acc[i] = WrapMul(acc[i], row[i]);
    } else if constexpr (!kIsComplex<T>) {
      if constexpr (R == Seg::kMax) {
        acc[i] = row[i] > acc[i] ? row[i] : acc[i];
      } else {
        acc[i] = row[i] < acc[i] ? row[i] : acc[i];
      }
    }
  }
}

// Runs fn.template operator()<T>() for the dtypes reducer R supports (computing types:
// half/bfloat16 inputs arrive here already as float).
template <Seg R, typename Fn>
bool DispatchSeg(DType dt, Fn&& fn) {
  if constexpr (R == Seg::kMax || R == Seg::kMin) {
    return DispatchRealTypes(dt, std::forward<Fn>(fn));
  } else {
    return DispatchNumberTypes(dt, std::forward<Fn>(fn));
  }
}

// Reduces `data` (rows of `inner` values) into `out` (rows of the same width) by `ids`;
// rows with a negative id are skipped (ids are validated by the caller). Output rows no
// id names hold the identity, or 0 when `empty_is_zero` (TF's sorted Max/Min).
template <Seg R>
absl::Status Reduce(KernelContext* ctx, const Tensor& data, const std::vector<int64_t>& ids,
                    int64_t inner, bool empty_is_zero, Tensor* out) {
  const int64_t out_rows = out->shape().rank() == 0 ? 0 : out->dim(0);
  bool ok = DispatchSeg<R>(data.dtype(), [&]<typename T>() {
    T* o = out->data<T>();
    const T* d = data.data<T>();
    std::fill(o, o + out->NumElements(), SegIdentity<R, T>());
    std::vector<int64_t> counts(static_cast<size_t>(out_rows), 0);
    for (size_t i = 0; i < ids.size(); ++i) {
      const int64_t s = ids[i];
      if (s < 0) continue;
      Combine<R, T>(o + s * inner, d + static_cast<int64_t>(i) * inner, inner);
      ++counts[s];
    }
    for (int64_t s = 0; s < out_rows; ++s) {
      if (counts[s] == 0) {
        if (empty_is_zero) std::fill(o + s * inner, o + (s + 1) * inner, T(0));
      } else if constexpr (R == Seg::kMean) {
        const T c = static_cast<T>(counts[s]);
        for (int64_t j = 0; j < inner; ++j) o[s * inner + j] /= c;
      }
    }
  });
  if (!ok) return array_util::UnsupportedDType(ctx, data.dtype());
  return absl::OkStatus();
}

// Runs the reduction in float for half/bfloat16 inputs.
template <Seg R>
absl::Status ReduceAnyType(KernelContext* ctx, const Tensor& data0, const std::vector<int64_t>& ids,
                           int64_t inner, bool empty_is_zero, const TensorShape& out_shape) {
  TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, out_shape));
  const DType dt = data0.dtype();
  const bool half = IsHalfLike(dt);
  Tensor data = half ? HalfLikeToFloat(data0) : data0;
  Tensor out = Tensor::Empty(data.dtype(), out_shape);
  TFM_RETURN_IF_ERROR(Reduce<R>(ctx, data, ids, inner, empty_is_zero, &out));
  ctx->set_output(0, half ? FloatToHalfLike(out, dt) : out);
  return absl::OkStatus();
}

template <Seg R>
Result MakeSorted(const KernelInit& init) {
  if (init.num_inputs() != 2) return init.Error("expects 2 inputs (data, segment_ids)");
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    const Tensor& data = ctx->input(0);
    const Tensor& seg = ctx->input(1);
    if (data.rank() < 1) return ctx->Error("input must be at least rank 1");
    if (seg.rank() != 1) {
      return ctx->Error(
          absl::StrCat("segment_ids should be a vector, got shape ", ShapeStr(seg.shape())));
    }
    if (seg.dim(0) != data.dim(0)) {
      return ctx->Error(
          absl::StrCat("segment_ids should be the same size as dimension 0 of input: ", seg.dim(0),
                       " vs. ", data.dim(0)));
    }
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> ids, array_util::ReadInts(ctx, seg, "segment_ids"));
    for (size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] < 0) return ctx->Error("segment ids must be >= 0");
      if (i > 0 && ids[i] < ids[i - 1]) return ctx->Error("segment ids are not increasing");
    }
    TensorShape out_shape = data.shape();
    out_shape.set_dim(0, ids.empty() ? 0 : ids.back() + 1);
    const int64_t inner = array_util::Product(data.shape().dim_sizes(), 1, data.rank());
    // TF's sorted kernels fill empty segments with 0 (Prod: 1, its identity anyway).
    return ReduceAnyType<R>(ctx, data, ids, inner, R != Seg::kProd, out_shape);
  });
}

template <Seg R>
Result MakeUnsorted(const KernelInit& init) {
  if (init.num_inputs() != 3) {
    return init.Error("expects 3 inputs (data, segment_ids, num_segments)");
  }
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    const Tensor& data = ctx->input(0);
    const Tensor& seg = ctx->input(1);
    const Tensor& ns = ctx->input(2);
    if (ns.rank() != 0) {
      return ctx->Error(
          absl::StrCat("num_segments should be a scalar, not shape ", ShapeStr(ns.shape())));
    }
    TFM_ASSIGN_OR_RETURN(int64_t num_segments,
                         array_util::ReadIntScalar(ctx, ns, "num_segments", false));
    if (num_segments < 0) {
      return ctx->Error(
          absl::StrCat("Input num_segments == ", num_segments, " must not be negative."));
    }
    bool prefix = seg.rank() <= data.rank();
    for (int d = 0; prefix && d < seg.rank(); ++d) prefix = seg.dim(d) == data.dim(d);
    if (!prefix) {
      return ctx->Error(
          absl::StrCat("data.shape = ", ShapeStr(data.shape()),
                       " does not start with segment_ids.shape = ", ShapeStr(seg.shape())));
    }
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> ids, array_util::ReadInts(ctx, seg, "segment_ids"));
    for (size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] >= num_segments) {
        return ctx->Error(absl::StrCat("segment_ids",
                                       array_util::IndexStr(seg.shape(), static_cast<int64_t>(i)),
                                       " = ", ids[i], " is out of range [0, ", num_segments, ")"));
      }
    }
    TensorShape out_shape{num_segments};
    for (int d = seg.rank(); d < data.rank(); ++d) out_shape.AddDim(data.dim(d));
    const int64_t inner =
        array_util::Product(data.shape().dim_sizes(), static_cast<size_t>(seg.rank()),
                            static_cast<size_t>(data.rank()));
    return ReduceAnyType<R>(ctx, data, ids, inner, /*empty_is_zero=*/false, out_shape);
  });
}

}  // namespace

void RegisterSegmentKernels(KernelRegistry& r) {
  r.Register("SegmentSum", MakeSorted<Seg::kSum>);
  r.Register("SegmentMean", MakeSorted<Seg::kMean>);
  r.Register("SegmentProd", MakeSorted<Seg::kProd>);
  r.Register("SegmentMax", MakeSorted<Seg::kMax>);
  r.Register("SegmentMin", MakeSorted<Seg::kMin>);
  r.Register("UnsortedSegmentSum", MakeUnsorted<Seg::kSum>);
  r.Register("UnsortedSegmentProd", MakeUnsorted<Seg::kProd>);
  r.Register("UnsortedSegmentMax", MakeUnsorted<Seg::kMax>);
  r.Register("UnsortedSegmentMin", MakeUnsorted<Seg::kMin>);
}

}  // namespace tfmodel::runtime
