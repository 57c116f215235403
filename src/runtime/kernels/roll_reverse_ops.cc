// Element-moving ops along axes: Roll, Reverse (v1, a bool per dim; ReverseV2 is in
// array_ops.cc) and ReverseSequence. All dtypes.
//
// Roll shifts elements circularly: out[(i + shift) mod n] = in[i]; shift and axis are
// scalars or equal-length vectors, an axis may repeat (its shifts add up), negative
// shifts roll backwards. ReverseSequence reverses, for each index b of batch_dim, the
// first seq_lengths[b] elements along seq_dim and copies the rest.
#include <algorithm>

#include "runtime/kernels/arity.h"
#include "runtime/kernels/array_util.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;
using array_util::ShapeStr;

// ---- Roll ----

Result MakeRoll(const KernelInit& init) {
  if (init.num_inputs() != 3) return init.Error("expects 3 inputs (input, shift, axis)");
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    const Tensor& in = ctx->input(0);
    const Tensor& shift_t = ctx->input(1);
    const Tensor& axis_t = ctx->input(2);
    if (in.rank() < 1) return ctx->Error("input must be 1-D or higher");
    if (shift_t.rank() > 1) {
      return ctx->Error(absl::StrCat("shift must be a scalar or a 1-D vector. Found: ",
                                     ShapeStr(shift_t.shape())));
    }
    if (axis_t.rank() > 1) {
      return ctx->Error(
          absl::StrCat("axis must be a scalar or a 1-D vector. Found: ", ShapeStr(axis_t.shape())));
    }
    if (shift_t.shape() != axis_t.shape()) {
      return ctx->Error(absl::StrCat("shift and axis must have the same size: ",
                                     ShapeStr(shift_t.shape()), " vs. ", ShapeStr(axis_t.shape())));
    }
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> shifts, array_util::ReadInts(ctx, shift_t, "shift"));
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> axes, array_util::ReadInts(ctx, axis_t, "axis"));
    const int rank = in.rank();
    std::vector<int64_t> total(static_cast<size_t>(rank), 0);
    for (size_t i = 0; i < axes.size(); ++i) {
      int64_t a = axes[i];
      if (a < -rank || a >= rank) {
        return ctx->Error(absl::StrCat("axis ", a, " is out of range"));
      }
      if (a < 0) a += rank;
      const int64_t n = in.dim(static_cast<int>(a));
      if (n == 0) continue;
      total[a] = ((total[a] + shifts[i] % n) % n + n) % n;
    }
    // Each dim is two runs: out [0, s) <- in [n - s, n), out [s, n) <- in [0, n - s).
    // Iterate over all 2^k run combinations of the shifted dims with strided copies.
    const std::vector<int64_t> strides = array_util::Strides(in.shape());
    std::vector<int> shifted;
    for (int d = 0; d < rank; ++d) {
      if (total[d] != 0) shifted.push_back(d);
    }
    Tensor out = Tensor::Empty(in.dtype(), in.shape());
    bool ok = array_util::DispatchElem(in.dtype(), [&]<typename T>() {
      const T* src = in.data<T>();
      T* dst = out.data<T>();
      const size_t combos = size_t{1} << shifted.size();
      for (size_t c = 0; c < combos; ++c) {
        std::vector<int64_t> dims(in.shape().dim_sizes().begin(), in.shape().dim_sizes().end());
        int64_t sbase = 0, dbase = 0;
        for (size_t k = 0; k < shifted.size(); ++k) {
          const int d = shifted[k];
          const int64_t n = in.dim(d), s = total[d];
          if (c >> k & 1) {  // out [s, n) from in [0, n - s)
            dims[d] = n - s;
            dbase += s * strides[d];
          } else {  // out [0, s) from in [n - s, n)
            dims[d] = s;
            sbase += (n - s) * strides[d];
          }
        }
        array_util::StridedCopy(src, sbase, strides, dst, dbase, strides, dims);
      }
    });
    if (!ok) return array_util::UnsupportedDType(ctx, in.dtype());
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

// ---- Reverse (v1) ----

Result MakeReverse(const KernelInit& init) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    const Tensor& in = ctx->input(0);
    const Tensor& dims_t = ctx->input(1);
    if (dims_t.dtype() != DType::kBool || dims_t.rank() != 1) {
      return ctx->Error(absl::StrCat("'dims' must be a 1-D bool tensor, got ",
                                     DTypeName(dims_t.dtype()), " ", ShapeStr(dims_t.shape())));
    }
    if (dims_t.dim(0) != in.rank()) {
      return ctx->Error(
          absl::StrCat("'dims' must have the same number of values as 'input' has "
                       "dimensions. 'input' has ",
                       in.rank(), "'dims' has ", dims_t.dim(0), " values"));
    }
    std::vector<int64_t> strides = array_util::Strides(in.shape());
    int64_t base = 0;
    for (int d = 0; d < in.rank(); ++d) {
      if (dims_t.data<bool>()[d] && in.dim(d) > 0) {
        base += (in.dim(d) - 1) * strides[d];
        strides[d] = -strides[d];
      }
    }
    if (in.NumElements() == 0) base = 0;
    TFM_ASSIGN_OR_RETURN(Tensor out, array_util::GatherStrided(ctx, in, base, strides, in.shape()));
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

// ---- ReverseSequence ----

Result MakeReverseSequence(const KernelInit& init) {
  int64_t seq_dim = 0, batch_dim = 0;
  TFM_RETURN_IF_ERROR(init.GetAttr("seq_dim", &seq_dim));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("batch_dim", &batch_dim));
  return MakeKernel([seq_dim, batch_dim](KernelContext* ctx) -> absl::Status {
    const Tensor& in = ctx->input(0);
    const Tensor& lens_t = ctx->input(1);
    const int rank = in.rank();
    if (batch_dim < 0 || batch_dim >= rank) {
      return ctx->Error(absl::StrCat("Invalid batch_dim ", batch_dim, " for input of rank ", rank));
    }
    if (seq_dim < 0 || seq_dim >= rank) {
      return ctx->Error(absl::StrCat("Invalid seq_dim ", seq_dim, " for input of rank ", rank));
    }
    if (seq_dim == batch_dim) {
      return ctx->Error(absl::StrCat("seq_dim == batch_dim == ", seq_dim));
    }
    if (lens_t.rank() != 1) {
      return ctx->Error(absl::StrCat("seq_lengths must be 1-dim, not ", lens_t.rank()));
    }
    const int sd = static_cast<int>(seq_dim), bd = static_cast<int>(batch_dim);
    if (lens_t.dim(0) != in.dim(bd)) {
      return ctx->Error(absl::StrCat("Length of seq_lengths != input.dims(", batch_dim, "), (",
                                     lens_t.dim(0), " vs. ", in.dim(bd), ")"));
    }
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> lens,
                         array_util::ReadInts(ctx, lens_t, "seq_lengths"));
    for (size_t b = 0; b < lens.size(); ++b) {
      if (lens[b] < 0) {
        return ctx->Error(absl::StrCat("seq_lens(", b, ") < 0 (", lens[b], ")"));
      }
      if (lens[b] > in.dim(sd)) {
        return ctx->Error(absl::StrCat("seq_lens(", b, ") > input.dims(", seq_dim, ") (", lens[b],
                                       " vs. ", in.dim(sd), ")"));
      }
    }
    Tensor out = in.DeepCopy();
    const std::vector<int64_t> strides = array_util::Strides(in.shape());
    bool ok = array_util::DispatchElem(in.dtype(), [&]<typename T>() {
      const T* src = in.data<T>();
      T* dst = out.data<T>();
      std::vector<int64_t> dims(in.shape().dim_sizes().begin(), in.shape().dim_sizes().end());
      dims[bd] = 1;
      std::vector<int64_t> rev = strides;
      rev[sd] = -strides[sd];
      for (size_t b = 0; b < lens.size(); ++b) {
        if (lens[b] == 0) continue;
        dims[sd] = lens[b];
        const int64_t base = static_cast<int64_t>(b) * strides[bd];
        array_util::StridedCopy(src, base + (lens[b] - 1) * strides[sd], rev, dst, base, strides,
                                dims);
      }
    });
    if (!ok) return array_util::UnsupportedDType(ctx, in.dtype());
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterRollReverseKernels(KernelRegistry& r) {
  r.Register("Roll", WithInputs(3, MakeRoll));
  r.Register("Reverse", WithInputs(2, MakeReverse));
  r.Register("ReverseSequence", WithInputs(2, MakeReverseSequence));
}

}  // namespace tfmodel::runtime
