// Index/sequence kernels: Range, LinSpace, Where (one input), Bucketize, TopKV2, OneHot.
// (Unique lives with the other set ops in set_ops.cc.)
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "runtime/kernels/array_util.h"
#include "runtime/kernels/broadcast.h"
#include "runtime/kernels/register_all.h"

namespace tfmodel::runtime {
namespace {

using array_util::DispatchElem;
using array_util::ShapeStr;

absl::Status NeedInputs(const KernelContext* ctx, int n) {
  if (ctx->num_inputs() < n) {
    return ctx->Error(absl::StrCat("expected ", n, " inputs, got ", ctx->num_inputs()));
  }
  return absl::OkStatus();
}

// --- Range -----------------------------------------------------------------------------

template <typename T>
absl::Status RangeTyped(KernelContext* ctx, const Tensor& st, const Tensor& lt, const Tensor& dt) {
  const T start = st.data<T>()[0], limit = lt.data<T>()[0], delta = dt.data<T>()[0];
  if (delta == 0) return ctx->Error(absl::StrCat("Requires delta != 0: ", delta));
  if (delta > 0 && !(start <= limit)) {
    return ctx->Error(absl::StrCat("Requires start <= limit when delta > 0: ", start, "/", limit));
  }
  if (delta < 0 && !(start >= limit)) {
    return ctx->Error(absl::StrCat("Requires start >= limit when delta < 0: ", start, "/", limit));
  }
  int64_t size = 0;
  if constexpr (std::is_integral_v<T>) {
    // Exact in 128 bits (TF's int arithmetic would overflow for extreme values).
    __int128 span = static_cast<__int128>(limit) - start;
    __int128 d = delta;
    if (span < 0) span = -span;
    if (d < 0) d = -d;
    __int128 n = (span + d - 1) / d;
    if (n > kMaxTensorElements) return ctx->Error("Range output is too large");
    size = static_cast<int64_t>(n);
  } else {
    double n = std::ceil(std::abs((static_cast<double>(limit) - start) / delta));
    if (!(n <= static_cast<double>(kMaxTensorElements))) {
      return ctx->Error(
          absl::StrCat("Range output is too large (", start, ", ", limit, ", ", delta, ")"));
    }
    // TF computes the size in T's precision; for float keep that rounding.
    if constexpr (std::is_same_v<T, float>) {
      n = std::ceil(std::abs((limit - start) / delta));
      if (!(n <= static_cast<double>(kMaxTensorElements))) {
        return ctx->Error(
            absl::StrCat("Range output is too large (", start, ", ", limit, ", ", delta, ")"));
      }
    }
    size = static_cast<int64_t>(n);
  }
  Tensor out = Tensor::Empty(DTypeOf<T>::value, TensorShape{size});
  T* o = out.data<T>();
  if constexpr (std::is_integral_v<T>) {
    for (int64_t i = 0; i < size; ++i) {
      o[i] = static_cast<T>(static_cast<__int128>(start) + static_cast<__int128>(i) * delta);
    }
  } else {
    // TF accumulates (val += delta), so later values carry the accumulated rounding.
    T val = start;
    for (int64_t i = 0; i < size; ++i) {
      o[i] = val;
      val += delta;
    }
  }
  ctx->set_output(0, std::move(out));
  return absl::OkStatus();
}

absl::Status RangeCompute(KernelContext* ctx) {
  TFM_RETURN_IF_ERROR(NeedInputs(ctx, 3));
  const char* names[3] = {"start", "limit", "delta"};
  for (int i = 0; i < 3; ++i) {
    const Tensor& t = ctx->input(i);
    if (!(t.rank() == 0 || (t.rank() == 1 && t.dim(0) == 1))) {
      return ctx->Error(
          absl::StrCat(names[i], " must be a scalar, not shape ", ShapeStr(t.shape())));
    }
    if (t.dtype() != ctx->input(0).dtype()) {
      return ctx->Error("start, limit and delta must have the same dtype");
    }
  }
  const Tensor &s = ctx->input(0), &l = ctx->input(1), &d = ctx->input(2);
  switch (s.dtype()) {
    case DType::kFloat:
      return RangeTyped<float>(ctx, s, l, d);
    case DType::kDouble:
      return RangeTyped<double>(ctx, s, l, d);
    case DType::kInt32:
      return RangeTyped<int32_t>(ctx, s, l, d);
    case DType::kInt64:
      return RangeTyped<int64_t>(ctx, s, l, d);
    default:
      return array_util::UnsupportedDType(ctx, s.dtype());
  }
}

// --- LinSpace --------------------------------------------------------------------------

// num evenly spaced values from start to stop inclusive; the last one is exactly stop.
template <typename T>
void LinSpaceTyped(T start, T stop, int64_t num, T* o) {
  if (num == 1) {
    o[0] = start;
    return;
  }
  const T step = (stop - start) / static_cast<T>(num - 1);
  for (int64_t i = 0; i < num - 1; ++i) o[i] = start + step * static_cast<T>(i);
  o[num - 1] = stop;
}

absl::Status LinSpaceCompute(KernelContext* ctx) {
  TFM_RETURN_IF_ERROR(NeedInputs(ctx, 3));
  const Tensor& start = ctx->input(0);
  const Tensor& stop = ctx->input(1);
  if (start.rank() != 0) {
    return ctx->Error(absl::StrCat("start must be a scalar, not shape ", ShapeStr(start.shape())));
  }
  if (stop.rank() != 0) {
    return ctx->Error(absl::StrCat("stop must be a scalar, not shape ", ShapeStr(stop.shape())));
  }
  if (ctx->input(2).rank() != 0) {
    return ctx->Error(
        absl::StrCat("num must be a scalar, not shape ", ShapeStr(ctx->input(2).shape())));
  }
  if (start.dtype() != stop.dtype()) return ctx->Error("start and stop must have the same dtype");
  TFM_ASSIGN_OR_RETURN(int64_t num, array_util::ReadIntScalar(ctx, ctx->input(2), "num", false));
  if (num <= 0) return ctx->Error(absl::StrCat("Requires num > 0: ", num));
  if (num > kMaxTensorElements) return ctx->Error("LinSpace output is too large");
  const DType dt = start.dtype();
  if (dt == DType::kDouble) {
    Tensor out = Tensor::Empty(dt, TensorShape{num});
    LinSpaceTyped(start.scalar<double>(), stop.scalar<double>(), num, out.data<double>());
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  }
  if (dt != DType::kFloat && dt != DType::kHalf && dt != DType::kBFloat16) {
    return array_util::UnsupportedDType(ctx, dt);
  }
  Tensor out = Tensor::Empty(DType::kFloat, TensorShape{num});
  LinSpaceTyped(static_cast<float>(array_util::ElementAsDouble(start, 0)),
                static_cast<float>(array_util::ElementAsDouble(stop, 0)), num, out.data<float>());
  ctx->set_output(0, dt == DType::kFloat ? out : FloatToHalfLike(out, dt));
  return absl::OkStatus();
}

// --- Where -----------------------------------------------------------------------------

absl::Status WhereCompute(KernelContext* ctx) {
  if (ctx->num_inputs() != 1) {
    return ctx->Error("only the one-input form of Where is supported (use SelectV2 for three)");
  }
  const Tensor& in = ctx->input(0);
  const int64_t n = in.NumElements();
  std::vector<char> truth(static_cast<size_t>(n));
  const unsigned char* raw = static_cast<const unsigned char*>(in.raw_data());
  switch (in.dtype()) {
    case DType::kHalf:
    case DType::kBFloat16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t b;
        std::memcpy(&b, raw + 2 * i, 2);
        truth[i] = (b & 0x7fff) != 0;  // +0 and -0 are false
      }
      break;
    case DType::kComplex64:
      for (int64_t i = 0; i < n; ++i) truth[i] = in.data<complex64>()[i] != complex64(0, 0);
      break;
    case DType::kComplex128:
      for (int64_t i = 0; i < n; ++i) truth[i] = in.data<complex128>()[i] != complex128(0, 0);
      break;
    default: {
      bool ok = DispatchNumeric(in.dtype(), [&]<typename T>() {
        const T* p = in.data<T>();
        for (int64_t i = 0; i < n; ++i) truth[i] = p[i] != T(0);
      });
      if (!ok) return array_util::UnsupportedDType(ctx, in.dtype());
    }
  }
  const int64_t count = std::count(truth.begin(), truth.end(), 1);
  const int rank = in.rank();
  Tensor out = Tensor::Empty(DType::kInt64, TensorShape{count, rank});
  int64_t* o = out.data<int64_t>();
  std::vector<int64_t> idx(static_cast<size_t>(rank), 0);
  for (int64_t i = 0; i < n; ++i) {
    if (truth[i]) {
      for (int k = 0; k < rank; ++k) *o++ = idx[k];
    }
    for (int k = rank - 1; k >= 0; --k) {
      if (++idx[k] < in.dim(k)) break;
      idx[k] = 0;
    }
  }
  ctx->set_output(0, std::move(out));
  return absl::OkStatus();
}

// --- Bucketize -------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<OpKernel>> MakeBucketize(const KernelInit& init) {
  std::vector<float> boundaries;
  TFM_RETURN_IF_ERROR(init.GetAttr("boundaries", &boundaries));
  if (!std::is_sorted(boundaries.begin(), boundaries.end())) {
    return init.Error("Expected sorted boundaries");
  }
  return MakeKernel([boundaries](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 1));
    const Tensor& in = ctx->input(0);
    Tensor out = Tensor::Empty(DType::kInt32, in.shape());
    int32_t* o = out.data<int32_t>();
    auto bucket = [&](auto v) {
      // Number of boundaries <= v (upper_bound), comparing in the usual promoted type.
      return static_cast<int32_t>(std::upper_bound(boundaries.begin(), boundaries.end(), v) -
                                  boundaries.begin());
    };
    bool ok = false;
    switch (in.dtype()) {
      case DType::kFloat:
      case DType::kDouble:
      case DType::kInt32:
      case DType::kInt64:
        ok = DispatchNumeric(in.dtype(), [&]<typename T>() {
          const T* p = in.data<T>();
          for (int64_t i = 0; i < in.NumElements(); ++i) o[i] = bucket(p[i]);
        });
        break;
      default:
        break;
    }
    if (!ok) return array_util::UnsupportedDType(ctx, in.dtype());
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

// --- TopKV2 ----------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<OpKernel>> MakeTopK(const KernelInit& init) {
  bool sorted = true;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("sorted", &sorted));
  DType index_type = DType::kInt32;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("index_type", &index_type));
  if (!array_util::IsIndexDType(index_type)) {
    return init.Error(
        absl::StrCat("index_type must be int32 or int64, got ", DTypeName(index_type)));
  }
  // A k attr means the legacy TopK op (k fixed at build time).
  int64_t k_attr = -1;
  const bool legacy = init.op() == "TopK";
  if (legacy) TFM_RETURN_IF_ERROR(init.GetAttr("k", &k_attr));
  return MakeKernel([index_type, legacy, k_attr](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, legacy ? 1 : 2));
    const Tensor& in = ctx->input(0);
    int64_t k = k_attr;
    if (!legacy) {
      TFM_ASSIGN_OR_RETURN(k, array_util::ReadIntScalar(ctx, ctx->input(1), "k", false));
    }
    if (k < 0) return ctx->Error(absl::StrCat("Need k >= 0, got ", k));
    if (in.rank() < 1) {
      return ctx->Error(absl::StrCat("input must be >= 1-D, got shape ", ShapeStr(in.shape())));
    }
    const int64_t n = in.dim(in.rank() - 1);
    if (n < k) {
      return ctx->Error(
          absl::StrCat("input must have at least k columns. Had ", n, ", needed ", k));
    }
    if (index_type == DType::kInt32 && n > std::numeric_limits<int32_t>::max()) {
      return ctx->Error("input has too many columns for int32 indices");
    }
    TensorShape out_shape = in.shape();
    out_shape.set_dim(in.rank() - 1, k);
    const int64_t rows = n == 0 ? 0 : in.NumElements() / n;
    Tensor values = Tensor::Empty(in.dtype(), out_shape);
    Tensor indices = Tensor::Empty(index_type, out_shape);
    // Keys compared as double (exact for every supported type except int64/uint64 beyond
    // 2^53, which are compared natively below). NaN sorts above every number.
    auto topk = [&]<typename T>(auto key_of) {
      std::vector<int64_t> order(static_cast<size_t>(n));
      const T* src = in.data<T>();
      T* vdst = values.data<T>();
      for (int64_t r = 0; r < rows; ++r) {
        std::iota(order.begin(), order.end(), 0);
        auto greater = [&](int64_t a, int64_t b) {
          auto x = key_of(src[r * n + a]);
          auto y = key_of(src[r * n + b]);
          if constexpr (std::is_floating_point_v<decltype(x)>) {
            const bool xn = std::isnan(x), yn = std::isnan(y);
            if (xn != yn) return xn;
            if (xn) return a < b;
          }
          if (x != y) return x > y;
          return a < b;  // ties: lower index first
        };
        std::partial_sort(order.begin(), order.begin() + k, order.end(), greater);
        for (int64_t j = 0; j < k; ++j) {
          vdst[r * k + j] = src[r * n + order[j]];
          array_util::SetInt(indices, r * k + j, order[j]);
        }
      }
    };
    bool ok = true;
    switch (in.dtype()) {
      case DType::kHalf:
        topk.operator()<Half>([](Half h) { return h.ToFloat(); });
        break;
      case DType::kBFloat16:
        topk.operator()<BFloat16>([](BFloat16 h) { return h.ToFloat(); });
        break;
      case DType::kBool:
        ok = false;
        break;
      default:
        ok = DispatchNumeric(
            in.dtype(), [&]<typename T>() { topk.template operator()<T>([](T v) { return v; }); });
    }
    if (!ok) return array_util::UnsupportedDType(ctx, in.dtype());
    ctx->set_output(0, std::move(values));
    ctx->set_output(1, std::move(indices));
    return absl::OkStatus();
  });
}

// --- OneHot ----------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<OpKernel>> MakeOneHot(const KernelInit& init) {
  int64_t axis = -1;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("axis", &axis));
  return MakeKernel([axis](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 4));
    const Tensor& indices = ctx->input(0);
    const Tensor& depth_t = ctx->input(1);
    const Tensor& on = ctx->input(2);
    const Tensor& off = ctx->input(3);
    const int irank = indices.rank();
    if (axis < -1 || axis > irank) {
      return ctx->Error(absl::StrCat("Expected axis to be -1 or between [0, ", irank,
                                     "].  But received: ", axis));
    }
    if (depth_t.rank() != 0) {
      return ctx->Error(
          absl::StrCat("depth must be a scalar, but got: ", ShapeStr(depth_t.shape())));
    }
    if (on.rank() != 0) {
      return ctx->Error(absl::StrCat("on_value must be a scalar, but got: ", ShapeStr(on.shape())));
    }
    if (off.rank() != 0) {
      return ctx->Error(
          absl::StrCat("off_value must be a scalar, but got: ", ShapeStr(off.shape())));
    }
    if (on.dtype() != off.dtype()) {
      return ctx->Error("on_value and off_value must have the same dtype");
    }
    TFM_ASSIGN_OR_RETURN(int64_t depth, array_util::ReadIntScalar(ctx, depth_t, "depth", false));
    if (depth < 0) return ctx->Error(absl::StrCat("depth must be non-negative, got: ", depth));
    std::vector<int64_t> idx;
    if (indices.dtype() == DType::kUInt8) {
      idx.resize(static_cast<size_t>(indices.NumElements()));
      for (size_t i = 0; i < idx.size(); ++i) idx[i] = indices.data<uint8_t>()[i];
    } else {
      TFM_ASSIGN_OR_RETURN(idx, array_util::ReadInts(ctx, indices, "indices"));
    }
    const int ax = static_cast<int>(axis == -1 ? irank : axis);
    TensorShape out_shape = indices.shape();
    out_shape.InsertDim(ax, depth);
    TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, out_shape));
    const int64_t prefix = array_util::Product(indices.shape().dim_sizes(), 0, ax);
    const int64_t suffix = array_util::Product(indices.shape().dim_sizes(), ax, irank);
    Tensor out = Tensor::Empty(on.dtype(), out_shape);
    bool ok = DispatchElem(on.dtype(), [&]<typename T>() {
      const T& onv = on.data<T>()[0];
      const T& offv = off.data<T>()[0];
      T* o = out.data<T>();
      for (int64_t p = 0; p < prefix; ++p) {
        for (int64_t d = 0; d < depth; ++d) {
          for (int64_t s = 0; s < suffix; ++s) {
            *o++ = idx[p * suffix + s] == d ? onv : offv;
          }
        }
      }
    });
    if (!ok) return array_util::UnsupportedDType(ctx, on.dtype());
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterSequenceKernels(KernelRegistry& r) {
  r.Register("Range", [](const KernelInit&) -> absl::StatusOr<std::unique_ptr<OpKernel>> {
    return MakeKernel(RangeCompute);
  });
  r.Register("LinSpace", [](const KernelInit&) -> absl::StatusOr<std::unique_ptr<OpKernel>> {
    return MakeKernel(LinSpaceCompute);
  });
  r.Register("Where", [](const KernelInit&) -> absl::StatusOr<std::unique_ptr<OpKernel>> {
    return MakeKernel(WhereCompute);
  });
  r.Register("Bucketize", MakeBucketize);
  r.Register("TopKV2", MakeTopK);
  r.Register("TopK", MakeTopK);
  r.Register("OneHot", MakeOneHot);
}

}  // namespace tfmodel::runtime
