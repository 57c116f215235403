// Set-like ops: Unique, UniqueV2, UniqueWithCounts, UniqueWithCountsV2 and ListDiff.
//
// Unique keeps first occurrences in order: y holds the unique values (V2: unique slices
// along `axis`, given as a 0- or 1-element int32/int64 tensor; empty means a 1-D input),
// idx maps every input position to its entry of y, count (WithCounts) counts them.
// Equality is numeric (0.0 == -0.0, NaN never equals NaN, so every NaN is its own entry).
// ListDiff(x, y) returns the values of x not in y, duplicates and order kept, and their
// positions in x. Index outputs are int32 or int64 (attr out_idx).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "runtime/kernels/array_util.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;
using array_util::ShapeStr;

// Element equality and a hash consistent with it, per dtype.
template <typename T>
bool ElemEq(const T& a, const T& b) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
    return a.ToFloat() == b.ToFloat();
  } else {
    return a == b;
  }
}
template <typename T>
size_t ElemHash(const T& v) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
    const float f = v.ToFloat();
    return f == 0.0f ? 0 : std::hash<float>()(f);
  } else if constexpr (std::is_floating_point_v<T>) {
    return v == T(0) ? 0 : std::hash<T>()(v);  // +0 and -0 are equal
  } else if constexpr (std::is_same_v<T, complex64> || std::is_same_v<T, complex128>) {
    return ElemHash(v.real()) * 31 + ElemHash(v.imag());
  } else {
    return std::hash<T>()(v);
  }
}

template <typename Fn>
bool DispatchSetType(DType dt, Fn&& fn) {
  switch (dt) {
    case DType::kString:
      fn.template operator()<std::string>();
      return true;
    case DType::kHalf:
      fn.template operator()<Half>();
      return true;
    case DType::kBFloat16:
      fn.template operator()<BFloat16>();
      return true;
    case DType::kComplex64:
      fn.template operator()<complex64>();
      return true;
    case DType::kComplex128:
      fn.template operator()<complex128>();
      return true;
    default:
      return DispatchNumeric(dt, std::forward<Fn>(fn));
  }
}

struct UniqueResult {
  std::vector<int64_t> firsts;  // slice index of each unique entry's first occurrence
  std::vector<int64_t> idx;     // per input slice
  std::vector<int64_t> counts;  // per unique entry
};

// Unique slices of `in` viewed as [outer, n, inner] (slice j = all (o, j, i)).
template <typename T>
UniqueResult UniqueSlices(const T* x, int64_t outer, int64_t n, int64_t inner) {
  auto at = [&](int64_t j, int64_t e) -> const T& {
    return x[(e / inner * n + j) * inner + e % inner];
  };
  const int64_t width = outer * inner;
  auto hash = [&](int64_t j) {
    size_t h = 0;
    for (int64_t e = 0; e < width; ++e) h = h * 1000003u ^ ElemHash(at(j, e));
    return h;
  };
  auto eq = [&](int64_t a, int64_t b) {
    for (int64_t e = 0; e < width; ++e) {
      if (!ElemEq(at(a, e), at(b, e))) return false;
    }
    return true;
  };
  std::unordered_map<int64_t, int64_t, decltype(hash), decltype(eq)> seen(16, hash, eq);
  UniqueResult r;
  r.idx.resize(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) {
    auto [it, inserted] = seen.emplace(j, static_cast<int64_t>(r.firsts.size()));
    if (inserted) {
      r.firsts.push_back(j);
      r.counts.push_back(0);
    }
    r.idx[j] = it->second;
    ++r.counts[it->second];
  }
  return r;
}

absl::Status CheckIndexRange(const KernelContext* ctx, DType out_idx, int64_t n) {
  if (out_idx == DType::kInt32 && n > std::numeric_limits<int32_t>::max()) {
    return ctx->Error(absl::StrCat("input has ", n, " elements, too many for out_idx int32"));
  }
  return absl::OkStatus();
}

Tensor IndexTensor(DType dt, const std::vector<int64_t>& v) {
  Tensor t = Tensor::Empty(dt, TensorShape{static_cast<int64_t>(v.size())});
  for (size_t i = 0; i < v.size(); ++i) array_util::SetInt(t, static_cast<int64_t>(i), v[i]);
  return t;
}

Result MakeUnique(const KernelInit& init) {
  DType out_idx = DType::kInt32;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("out_idx", &out_idx));
  if (!array_util::IsIndexDType(out_idx)) {
    return init.Error(absl::StrCat("out_idx must be int32 or int64, got ", DTypeName(out_idx)));
  }
  const bool v2 = init.op() == "UniqueV2" || init.op() == "UniqueWithCountsV2";
  const bool with_counts = init.op() == "UniqueWithCounts" || init.op() == "UniqueWithCountsV2";
  if (init.num_inputs() != (v2 ? 2 : 1)) {
    return init.Error(absl::StrCat("expects ", v2 ? 2 : 1, " inputs, has ", init.num_inputs()));
  }
  return MakeKernel([out_idx, v2, with_counts](KernelContext* ctx) -> absl::Status {
    const Tensor& in = ctx->input(0);
    int axis = -1;  // -1: 1-D input
    if (v2) {
      const Tensor& a = ctx->input(1);
      if (a.NumElements() > 1) {
        return ctx->Error(
            absl::StrCat("axis does not support input tensors larger than 1 elements, got shape ",
                         ShapeStr(a.shape())));
      }
      if (a.NumElements() == 1) {
        TFM_ASSIGN_OR_RETURN(std::vector<int64_t> av, array_util::ReadInts(ctx, a, "axis"));
        const int64_t rank = std::max(in.rank(), 1);
        if (av[0] < -rank || av[0] >= rank) {
          return ctx->Error(
              absl::StrCat("axis has to be between [", -rank, ", ", rank, ")  but got ", av[0]));
        }
        axis = static_cast<int>(av[0] < 0 ? av[0] + rank : av[0]);
        if (in.rank() == 0) axis = -1;
      }
    }
    if (axis == -1 && in.rank() != 1) {
      return ctx->Error(
          absl::StrCat("unique expects a 1D vector, got shape ", ShapeStr(in.shape())));
    }
    const int ax = axis == -1 ? 0 : axis;
    const int64_t n = in.dim(ax);
    const int64_t outer = array_util::Product(in.shape().dim_sizes(), 0, ax);
    const int64_t inner = array_util::Product(in.shape().dim_sizes(), ax + 1, in.rank());
    TFM_RETURN_IF_ERROR(CheckIndexRange(ctx, out_idx, n));
    UniqueResult r;
    bool ok = DispatchSetType(
        in.dtype(), [&]<typename T>() { r = UniqueSlices<T>(in.data<T>(), outer, n, inner); });
    if (!ok) return array_util::UnsupportedDType(ctx, in.dtype());
    const int64_t u = static_cast<int64_t>(r.firsts.size());
    TensorShape y_shape = in.shape();
    y_shape.set_dim(ax, u);
    Tensor y = Tensor::Empty(in.dtype(), y_shape);
    array_util::DispatchElem(in.dtype(), [&]<typename T>() {
      const T* src = in.data<T>();
      T* dst = y.data<T>();
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t j = 0; j < u; ++j) {
          array_util::CopyN(src + (o * n + r.firsts[j]) * inner, inner, dst + (o * u + j) * inner);
        }
      }
    });
    ctx->set_output(0, std::move(y));
    ctx->set_output(1, IndexTensor(out_idx, r.idx));
    if (with_counts) ctx->set_output(2, IndexTensor(out_idx, r.counts));
    return absl::OkStatus();
  });
}

Result MakeListDiff(const KernelInit& init) {
  DType out_idx = DType::kInt32;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("out_idx", &out_idx));
  if (!array_util::IsIndexDType(out_idx)) {
    return init.Error(absl::StrCat("out_idx must be int32 or int64, got ", DTypeName(out_idx)));
  }
  if (init.num_inputs() != 2) return init.Error("expects 2 inputs (x, y)");
  return MakeKernel([out_idx](KernelContext* ctx) -> absl::Status {
    const Tensor& x = ctx->input(0);
    const Tensor& y = ctx->input(1);
    if (x.rank() != 1) {
      return ctx->Error(absl::StrCat("x should be a 1D vector, got shape ", ShapeStr(x.shape())));
    }
    if (y.rank() != 1) {
      return ctx->Error(absl::StrCat("y should be a 1D vector, got shape ", ShapeStr(y.shape())));
    }
    if (x.dtype() != y.dtype()) {
      return ctx->Error(absl::StrCat("x and y must have the same dtype, got ", DTypeName(x.dtype()),
                                     " and ", DTypeName(y.dtype())));
    }
    TFM_RETURN_IF_ERROR(CheckIndexRange(ctx, out_idx, x.dim(0)));
    std::vector<int64_t> keep;
    bool ok = DispatchSetType(x.dtype(), [&]<typename T>() {
      const T* xs = x.data<T>();
      const T* ys = y.data<T>();
      auto hash = [](const T* p) { return ElemHash(*p); };
      auto eq = [](const T* a, const T* b) { return ElemEq(*a, *b); };
      std::unordered_set<const T*, decltype(hash), decltype(eq)> in_y(16, hash, eq);
      for (int64_t i = 0; i < y.dim(0); ++i) in_y.insert(ys + i);
      for (int64_t i = 0; i < x.dim(0); ++i) {
        if (!in_y.count(xs + i)) keep.push_back(i);
      }
    });
    if (!ok) return array_util::UnsupportedDType(ctx, x.dtype());
    Tensor out = Tensor::Empty(x.dtype(), TensorShape{static_cast<int64_t>(keep.size())});
    array_util::DispatchElem(x.dtype(), [&]<typename T>() {
      for (size_t i = 0; i < keep.size(); ++i) out.data<T>()[i] = x.data<T>()[keep[i]];
    });
    ctx->set_output(0, std::move(out));
    ctx->set_output(1, IndexTensor(out_idx, keep));
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterSetKernels(KernelRegistry& r) {
  for (const char* op : {"Unique", "UniqueV2", "UniqueWithCounts", "UniqueWithCountsV2"}) {
    r.Register(op, MakeUnique);
  }
  r.Register("ListDiff", MakeListDiff);
}

}  // namespace tfmodel::runtime
