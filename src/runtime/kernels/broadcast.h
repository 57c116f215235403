// Numpy-style broadcasting for element-wise kernels, plus small helpers shared by the
// math kernels (dtype dispatch, half/bfloat16 <-> float conversion).
//
// A BroadcastPlan describes the iteration space of an element-wise op over N inputs:
// dimensions are right-aligned, size-1 dims are dropped, and adjacent dims are merged
// whenever every input broadcasts (or does not broadcast) along both of them. The
// result is a short list of "collapsed" dims in which each input has a stride of 0
// (broadcast) or its contiguous stride. The two hot cases — same shape, and one input
// a scalar — collapse to a single row.
#ifndef TFMODEL_RUNTIME_KERNELS_BROADCAST_H_
#define TFMODEL_RUNTIME_KERNELS_BROADCAST_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "core/tensor.h"

namespace tfmodel::runtime {

struct BroadcastPlan {
  TensorShape out_shape;
  int64_t out_elements = 0;
  // Inline storage: a plan is made on every call of an element-wise kernel, and the
  // common ranks and input counts must not touch the heap.
  using Dims = absl::InlinedVector<int64_t, 6>;
  // Collapsed dims, outermost first (empty when the output has one element or none).
  Dims dims;
  // strides[i][d]: element stride of input i along collapsed dim d (0 = broadcast).
  absl::InlinedVector<Dims, 3> strides;
  // True when every input already has out_shape (no broadcasting at all).
  bool same_shape = true;
};

// Joins shapes as "[2,3] vs. [4]" for error messages.
inline std::string ShapesString(absl::Span<const TensorShape* const> shapes) {
  std::string s;
  for (size_t i = 0; i < shapes.size(); ++i) {
    if (i) absl::StrAppend(&s, " vs. ");
    absl::StrAppend(&s, shapes[i]->ToString());
  }
  return s;
}

// Computes the broadcast output shape; false when the shapes are incompatible.
inline bool BroadcastShape(absl::Span<const TensorShape* const> shapes, TensorShape* out) {
  int rank = 0;
  for (const TensorShape* s : shapes) rank = std::max(rank, s->rank());
  TensorShape::Dims dims(rank, 1);
  for (const TensorShape* s : shapes) {
    int off = rank - s->rank();
    for (int d = 0; d < s->rank(); ++d) {
      int64_t v = s->dim(d);
      int64_t& o = dims[off + d];
      if (v == o || v == 1) continue;
      if (o == 1) {
        o = v;
      } else {
        return false;
      }
    }
  }
  *out = TensorShape(absl::Span<const int64_t>(dims));
  return true;
}

// Builds the plan, or returns InvalidArgument "Incompatible shapes: [2,3] vs. [4]".
inline absl::Status MakeBroadcastPlan(absl::Span<const TensorShape* const> shapes,
                                      BroadcastPlan* plan) {
  // Fast path for the two hot cases: every input has the same shape, or is a scalar.
  const TensorShape* full = nullptr;
  bool simple = true;
  for (const TensorShape* s : shapes) {
    if (s->rank() == 0) continue;
    if (full == nullptr) {
      full = s;
    } else if (*s != *full) {
      simple = false;
      break;
    }
  }
  if (simple) {
    static const TensorShape kScalar;
    const TensorShape& out = full ? *full : kScalar;
    plan->out_shape = out;
    plan->out_elements = out.NumElements();
    plan->same_shape = true;
    plan->dims.clear();
    plan->strides.resize(shapes.size());
    // One collapsed dim unless the output has a single element (then none).
    const bool one_dim = plan->out_elements != 1;
    if (one_dim) plan->dims.push_back(plan->out_elements);
    for (size_t i = 0; i < shapes.size(); ++i) {
      const bool scalar = shapes[i]->rank() == 0;
      plan->same_shape &= (*shapes[i] == out);
      plan->strides[i].clear();
      if (one_dim) plan->strides[i].push_back(scalar ? 0 : 1);
    }
    return absl::OkStatus();
  }
  if (!BroadcastShape(shapes, &plan->out_shape)) {
    return absl::InvalidArgumentError(absl::StrCat("Incompatible shapes: ", ShapesString(shapes)));
  }
  const TensorShape& out = plan->out_shape;
  plan->out_elements = out.NumElements();
  const size_t n = shapes.size();
  plan->same_shape = true;
  for (const TensorShape* s : shapes) plan->same_shape &= (*s == out);
  plan->dims.clear();
  plan->strides.assign(n, {});
  const int rank = out.rank();
  // bcast[g * n + i]: whether input i is broadcast along collapsed group g.
  absl::InlinedVector<char, 18> bcast;
  BroadcastPlan::Dims& group_dims = plan->dims;
  for (int d = 0; d < rank; ++d) {
    int64_t od = out.dim(d);
    if (od == 1) continue;
    const size_t g = group_dims.size();
    bcast.resize((g + 1) * n);
    char* b = bcast.data() + g * n;
    for (size_t i = 0; i < n; ++i) {
      int k = d - (rank - shapes[i]->rank());
      b[i] = (k < 0 || shapes[i]->dim(k) == 1);
    }
    if (g > 0 && std::equal(b, b + n, b - n)) {
      group_dims.back() *= od;
      bcast.resize(g * n);
    } else {
      group_dims.push_back(od);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    BroadcastPlan::Dims& st = plan->strides[i];
    st.assign(group_dims.size(), 0);
    int64_t stride = 1;
    for (int g = static_cast<int>(group_dims.size()) - 1; g >= 0; --g) {
      if (!bcast[g * n + i]) {
        st[g] = stride;
        stride *= group_dims[g];
      }
    }
  }
  return absl::OkStatus();
}

// Calls fn(out_offset, in_offsets, n, in_inner_strides) for each contiguous output row
// of length n; in_inner_strides[i] is 0 or 1. Nothing is called for empty outputs.
template <typename Fn>
void ForEachRow(const BroadcastPlan& plan, Fn&& fn) {
  const size_t n_in = plan.strides.size();
  if (plan.out_elements == 0) return;
  // Scratch on the stack for the usual input counts and ranks, on the heap beyond them.
  constexpr size_t kInline = 8;
  std::array<int64_t, kInline> offs_a{}, inner_a{}, idx_a{};
  std::vector<int64_t> offs_v, inner_v, idx_v;
  int64_t* offs = offs_a.data();
  int64_t* inner = inner_a.data();
  if (n_in > kInline) {
    offs_v.assign(n_in, 0);
    inner_v.assign(n_in, 0);
    offs = offs_v.data();
    inner = inner_v.data();
  }
  if (plan.dims.empty()) {
    fn(int64_t{0}, static_cast<const int64_t*>(offs), int64_t{1},
       static_cast<const int64_t*>(inner));
    return;
  }
  const int k = static_cast<int>(plan.dims.size());
  const int64_t row = plan.dims[k - 1];
  for (size_t i = 0; i < n_in; ++i) inner[i] = plan.strides[i][k - 1];
  int64_t* idx = idx_a.data();
  if (static_cast<size_t>(k) > kInline) {
    idx_v.assign(k, 0);
    idx = idx_v.data();
  }
  const int64_t rows = plan.out_elements / row;
  for (int64_t r = 0; r < rows; ++r) {
    fn(r * row, static_cast<const int64_t*>(offs), row, static_cast<const int64_t*>(inner));
    // Advance the odometer over the outer dims.
    for (int d = k - 2; d >= 0; --d) {
      if (++idx[d] < plan.dims[d]) {
        for (size_t i = 0; i < n_in; ++i) offs[i] += plan.strides[i][d];
        break;
      }
      for (size_t i = 0; i < n_in; ++i) offs[i] -= plan.strides[i][d] * (plan.dims[d] - 1);
      idx[d] = 0;
    }
  }
}

// Generic broadcast loop over rows with a scalar function f(a, b) -> Tout.
template <typename Tin, typename Tout, typename F>
void BroadcastLoop(const BroadcastPlan& plan, const Tin* a, const Tin* b, Tout* out, F&& f) {
  ForEachRow(plan, [&](int64_t o, const int64_t* offs, int64_t n, const int64_t* inner) {
    const Tin* pa = a + offs[0];
    const Tin* pb = b + offs[1];
    Tout* po = out + o;
    const int64_t sa = inner[0], sb = inner[1];
    if (sa && sb) {
      for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
    } else if (sa) {
      for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], *pb);
    } else if (sb) {
      for (int64_t i = 0; i < n; ++i) po[i] = f(*pa, pb[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) po[i] = f(*pa, *pb);
    }
  });
}

// ---- dtype helpers ----

// Calls fn.template operator()<T>() for the real number types (no bool, no half).
template <typename Fn>
bool DispatchReal(DType dtype, Fn&& fn) {
  if (dtype == DType::kBool) return false;
  return DispatchNumeric(dtype, std::forward<Fn>(fn));
}

inline bool IsHalfLike(DType t) { return t == DType::kHalf || t == DType::kBFloat16; }

// half / bfloat16 tensor -> float tensor (same shape).
inline Tensor HalfLikeToFloat(const Tensor& t) {
  Tensor out = Tensor::Empty(DType::kFloat, t.shape());
  float* o = out.data<float>();
  const int64_t n = t.NumElements();
  if (t.dtype() == DType::kHalf) {
    const Half* s = t.data<Half>();
    for (int64_t i = 0; i < n; ++i) o[i] = s[i].ToFloat();
  } else {
    const BFloat16* s = t.data<BFloat16>();
    for (int64_t i = 0; i < n; ++i) o[i] = s[i].ToFloat();
  }
  return out;
}

// float tensor -> half / bfloat16 tensor (round to nearest even).
inline Tensor FloatToHalfLike(const Tensor& t, DType dtype) {
  Tensor out = Tensor::Empty(dtype, t.shape());
  const float* s = t.data<float>();
  const int64_t n = t.NumElements();
  if (dtype == DType::kHalf) {
    Half* o = out.data<Half>();
    for (int64_t i = 0; i < n; ++i) o[i] = Half::FromFloat(s[i]);
  } else {
    BFloat16* o = out.data<BFloat16>();
    for (int64_t i = 0; i < n; ++i) o[i] = BFloat16::FromFloat(s[i]);
  }
  return out;
}

// Normalises an axis in [-rank, rank) to [0, rank); false when out of range.
inline bool NormalizeAxis(int64_t axis, int rank, int* out) {
  if (axis < -rank || axis >= rank) return false;
  *out = static_cast<int>(axis < 0 ? axis + rank : axis);
  return true;
}

}  // namespace tfmodel::runtime

#endif  // TFMODEL_RUNTIME_KERNELS_BROADCAST_H_
