// SparseSegmentSum / Mean / SqrtN and their WithNumSegments forms (TF's
// segment_reduction_ops_impl.h): rows of `data` picked by `indices` are reduced into the
// segments `segment_ids` names (sorted, non-negative). Integer sums wrap around as TF's do;
// half and bfloat16 accumulate in float.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "runtime/kernels/arity.h"
#include "runtime/kernels/array_util.h"
#include "runtime/kernels/register_all.h"
#include "runtime/kernels/sparse_util.h"
#include "runtime/kernels/wrap_math.h"

namespace tfmodel::runtime {
namespace {

using array_util::ShapeStr;
using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;
using sparse_util::AccumOf;
using sparse_util::DispatchSegmentValue;
using sparse_util::FromAccum;
using sparse_util::ToAccum;

enum class SegmentReduce { kSum, kMean, kSqrtN };

template <typename T, typename Index, typename SegId>
absl::Status SparseSegmentCompute(KernelContext* ctx, SegmentReduce kind, bool has_num_segments,
                                  int64_t num_segments) {
  using A = typename AccumOf<T>::type;
  const Tensor& input = ctx->input(0);
  const Tensor& indices = ctx->input(1);
  const Tensor& segment_ids = ctx->input(2);
  const int64_t num_indices = indices.NumElements();
  const int64_t in_rows = input.dim(0);
  int64_t cols = 1;
  for (int d = 1; d < input.rank(); ++d) cols *= input.dim(d);
  const Index* idx = indices.data<Index>();
  const SegId* seg = segment_ids.data<SegId>();

  const int64_t last_id = num_indices > 0 ? static_cast<int64_t>(seg[num_indices - 1]) : 0;
  const int64_t limit = std::is_same_v<Index, int32_t> ? std::numeric_limits<int32_t>::max()
                                                       : std::numeric_limits<int64_t>::max();
  if (last_id >= limit) {
    return ctx->Error(
        absl::StrCat("Last segment id must be < kintmax, got ", last_id, " limit ", limit));
  }
  const int64_t last_plus_one = num_indices > 0 ? last_id + 1 : 0;
  int64_t output_rows;
  if (has_num_segments) {
    output_rows = num_segments;
    if (output_rows < last_plus_one) return ctx->Error("segment ids must be < num_segments");
  } else {
    output_rows = last_plus_one;
  }
  if (output_rows < 0) return ctx->Error("segment ids must be >= 0");
  TensorShape out_shape = input.shape();
  out_shape.set_dim(0, output_rows);
  TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, out_shape));
  Tensor out(input.dtype(), out_shape);  // zero-filled: the default for empty segments
  if (num_indices == 0) {
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  }
  if (output_rows <= 0) return ctx->Error("segment ids must be >= 0");
  const T* in = input.data<T>();
  T* o = out.data<T>();
  std::vector<A> acc(static_cast<size_t>(cols));
  std::vector<A> group(static_cast<size_t>(cols));

  // Reduces indices[start, start+num) into segment row `row`, grouping the additions as TF's
  // CPU kernel does (first 1-9 rows, scaled for mean/sqrtn when num < 10, then blocks of 8)
  // so float results match TF's bit for bit. Returns the offset of a bad index or -1.
  auto reduce = [&](int64_t start, int64_t num, int64_t row) -> int64_t {
    for (int64_t i = 0; i < num; ++i) {
      const int64_t ix = static_cast<int64_t>(idx[start + i]);
      if (ix < 0 || ix >= in_rows) return i;
    }
    auto load = [&](int64_t i, int64_t c) -> A {
      return ToAccum<T>(in[static_cast<int64_t>(idx[start + i]) * cols + c]);
    };
    if (num == 1) {
      for (int64_t c = 0; c < cols; ++c) acc[c] = load(0, c);
    } else {
      int64_t r = num & 7;
      if (r == 0) r = 8;
      if (r == 1) r = 9;
      A scale = A(1);
      if (num < 10) {
        if (kind == SegmentReduce::kMean) scale = A(1) / static_cast<A>(num);
        if (kind == SegmentReduce::kSqrtN) {
          scale = A(1) / static_cast<A>(std::sqrt(static_cast<double>(num)));
        }
      }
      for (int64_t c = 0; c < cols; ++c) {
        A s = load(0, c);
        for (int64_t i = 1; i < r; ++i) s = WrapAdd<A>(s, load(i, c));
        acc[c] = WrapMul<A>(s, scale);
      }
      for (; r < num; r += 8) {
        for (int64_t c = 0; c < cols; ++c) {
          A s = load(r, c);
          for (int64_t i = 1; i < 8; ++i) s = WrapAdd<A>(s, load(r + i, c));
          acc[c] = WrapAdd<A>(acc[c], s);
        }
      }
      if (num >= 10 && kind != SegmentReduce::kSum) {
        if constexpr (std::is_floating_point_v<A>) {
          const A div = kind == SegmentReduce::kMean
                            ? static_cast<A>(num)
                            : static_cast<A>(std::sqrt(static_cast<double>(num)));
          for (int64_t c = 0; c < cols; ++c) acc[c] = acc[c] / div;
        }
      }
    }
    for (int64_t c = 0; c < cols; ++c) o[row * cols + c] = FromAccum<T>(acc[c]);
    return -1;
  };

  int64_t start = 0, end = 1;
  int64_t out_index = static_cast<int64_t>(seg[0]);
  while (true) {
    int64_t next_index = 0;
    if (end < num_indices) {
      next_index = static_cast<int64_t>(seg[end]);
      if (out_index == next_index) {
        ++end;
        continue;
      }
      if (!(out_index < next_index)) return ctx->Error("segment ids are not increasing");
    }
    if (out_index < 0 || out_index >= output_rows) {
      return ctx->Error(absl::StrCat("Segment id ", out_index, " out of range [0, ", output_rows,
                                     "), possibly because 'segment_ids' input is not sorted."));
    }
    const int64_t bad = reduce(start, end - start, out_index);
    if (bad >= 0) {
      return ctx->Error(absl::StrCat("Bad: indices[", start + bad,
                                     "] == ", static_cast<int64_t>(idx[start + bad]),
                                     " out of range [0, ", in_rows, ")"));
    }
    start = end;
    ++end;
    out_index = next_index;
    if (end > num_indices) break;
  }
  ctx->set_output(0, std::move(out));
  return absl::OkStatus();
}

Result MakeSparseSegment(SegmentReduce kind, bool has_num_segments) {
  return MakeKernel([kind, has_num_segments](KernelContext* ctx) -> absl::Status {
    const Tensor& input = ctx->input(0);
    const Tensor& indices = ctx->input(1);
    const Tensor& segment_ids = ctx->input(2);
    int64_t num_segments = -1;
    if (has_num_segments) {
      const Tensor& ns = ctx->input(3);
      if (ns.rank() != 0) {
        return ctx->Error(
            absl::StrCat("num_segments should be a scalar, not shape ", ShapeStr(ns.shape())));
      }
      TFM_ASSIGN_OR_RETURN(num_segments, array_util::ReadIntScalar(ctx, ns, "num_segments", false));
      if (num_segments < 0) return ctx->Error("segment ids must be >= 0");
    }
    if (indices.rank() != 1) return ctx->Error("indices should be a vector.");
    if (segment_ids.rank() != 1) return ctx->Error("segment_ids should be a vector.");
    if (indices.NumElements() != segment_ids.NumElements()) {
      return ctx->Error("segment_ids and indices should have same size.");
    }
    if (input.rank() < 1) return ctx->Error("Shape must be at least rank 1");
    if (!array_util::IsIndexDType(indices.dtype())) {
      return ctx->Error(
          absl::StrCat("indices must be int32 or int64, got ", DTypeName(indices.dtype())));
    }
    if (!array_util::IsIndexDType(segment_ids.dtype())) {
      return ctx->Error(
          absl::StrCat("segment_ids must be int32 or int64, got ", DTypeName(segment_ids.dtype())));
    }
    absl::Status status;
    const bool i64 = indices.dtype() == DType::kInt64;
    const bool s64 = segment_ids.dtype() == DType::kInt64;
    bool ok = DispatchSegmentValue(input.dtype(), kind != SegmentReduce::kSum, [&]<typename T>() {
      if (i64 && s64) {
        status =
            SparseSegmentCompute<T, int64_t, int64_t>(ctx, kind, has_num_segments, num_segments);
      } else if (i64) {
        status =
            SparseSegmentCompute<T, int64_t, int32_t>(ctx, kind, has_num_segments, num_segments);
      } else if (s64) {
        status =
            SparseSegmentCompute<T, int32_t, int64_t>(ctx, kind, has_num_segments, num_segments);
      } else {
        status =
            SparseSegmentCompute<T, int32_t, int32_t>(ctx, kind, has_num_segments, num_segments);
      }
    });
    if (!ok) return array_util::UnsupportedDType(ctx, input.dtype());
    return status;
  });
}

}  // namespace

void RegisterSparseSegmentKernels(KernelRegistry& r) {
  struct Seg {
    const char* op;
    SegmentReduce kind;
    bool num_segments;
  };
  for (const Seg& s : {Seg{"SparseSegmentSum", SegmentReduce::kSum, false},
                       Seg{"SparseSegmentMean", SegmentReduce::kMean, false},
                       Seg{"SparseSegmentSqrtN", SegmentReduce::kSqrtN, false},
                       Seg{"SparseSegmentSumWithNumSegments", SegmentReduce::kSum, true},
                       Seg{"SparseSegmentMeanWithNumSegments", SegmentReduce::kMean, true},
                       Seg{"SparseSegmentSqrtNWithNumSegments", SegmentReduce::kSqrtN, true}}) {
    SegmentReduce kind = s.kind;
    bool ns = s.num_segments;
    r.Register(s.op, WithInputs(ns ? 4 : 3, [kind, ns](const KernelInit&) {
                 return MakeSparseSegment(kind, ns);
               }));
  }
}

}  // namespace tfmodel::runtime
