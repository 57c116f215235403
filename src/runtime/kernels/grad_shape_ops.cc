// Shape arithmetic that gradient code leaves in graphs (and in the function libraries of
// Keras SavedModels): BroadcastGradientArgs and ConcatOffset.
//
// BroadcastGradientArgs(s0, s1) returns, per input, the output dims it was broadcast
// along, as TF's BCast computes them: a dim where only that input is 1; a dim where both
// are 1 goes to both lists; identical shapes give two empty lists. Incompatible shapes
// fail. ConcatOffset(concat_dim, shapes...) returns, per input, its offset inside the
// concatenation (zeros except along concat_dim).
#include <algorithm>

#include "absl/strings/str_join.h"
#include "runtime/kernels/array_util.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;

Tensor IntVector(DType dt, const std::vector<int64_t>& v) {
  Tensor t = Tensor::Empty(dt, TensorShape{static_cast<int64_t>(v.size())});
  for (size_t i = 0; i < v.size(); ++i) array_util::SetInt(t, static_cast<int64_t>(i), v[i]);
  return t;
}

Result MakeBroadcastGradientArgs(const KernelInit& init) {
  if (init.num_inputs() != 2) return init.Error("expects 2 inputs (s0, s1)");
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> x,
                         array_util::ReadIntVector(ctx, ctx->input(0), "s0"));
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> y,
                         array_util::ReadIntVector(ctx, ctx->input(1), "s1"));
    const DType dt = ctx->input(0).dtype();
    std::vector<int64_t> rx, ry;
    if (x != y) {
      const size_t n = std::max(x.size(), y.size());
      // Walk from the innermost dim, 1-extending the shorter shape on the left.
      for (size_t i = 0; i < n; ++i) {
        const int64_t xi = i < x.size() ? x[x.size() - 1 - i] : 1;
        const int64_t yi = i < y.size() ? y[y.size() - 1 - i] : 1;
        const int64_t dim = static_cast<int64_t>(n - 1 - i);
        if (xi < 0 || yi < 0) return ctx->Error("shapes must not have negative dims");
        if (xi == yi) {
          if (xi == 1) {
            rx.push_back(dim);
            ry.push_back(dim);
          }
        } else if (xi == 1) {
          rx.push_back(dim);
        } else if (yi == 1) {
          ry.push_back(dim);
        } else {
          return ctx->Error(absl::StrCat("Incompatible shapes: [", absl::StrJoin(x, ","), "] vs. [",
                                         absl::StrJoin(y, ","), "]"));
        }
      }
      std::reverse(rx.begin(), rx.end());
      std::reverse(ry.begin(), ry.end());
    }
    ctx->set_output(0, IntVector(dt, rx));
    ctx->set_output(1, IntVector(dt, ry));
    return absl::OkStatus();
  });
}

Result MakeConcatOffset(const KernelInit& init) {
  if (init.num_inputs() < 2) return init.Error("expects concat_dim and at least one shape");
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    TFM_ASSIGN_OR_RETURN(int64_t axis,
                         array_util::ReadIntScalar(ctx, ctx->input(0), "concat_dim", false));
    const int n = ctx->num_inputs() - 1;
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> first,
                         array_util::ReadIntVector(ctx, ctx->input(1), "shape"));
    const int64_t rank = static_cast<int64_t>(first.size());
    if (axis < -rank || axis >= rank) {
      return ctx->Error(absl::StrCat("Concat dim is out of range: ", axis, " vs. ", rank));
    }
    const int64_t cdim = axis < 0 ? axis + rank : axis;
    int64_t offset = 0;
    for (int i = 0; i < n; ++i) {
      const Tensor& t = ctx->input(1 + i);
      TFM_ASSIGN_OR_RETURN(std::vector<int64_t> s, array_util::ReadIntVector(ctx, t, "shape"));
      if (static_cast<int64_t>(s.size()) != rank) {
        return ctx->Error(
            absl::StrCat("input ", i, " should contain ", rank, " elements, but got ", s.size()));
      }
      std::vector<int64_t> out(static_cast<size_t>(rank), 0);
      for (int64_t d = 0; d < rank; ++d) {
        if (d == cdim) {
          out[d] = offset;
          offset += s[d];
        } else if (s[d] != first[d]) {
          return ctx->Error(absl::StrCat("All dimensions except ", cdim, " must match. Input ", i,
                                         " has shape [", absl::StrJoin(s, " "),
                                         "] and doesn't match input 0 with shape [",
                                         absl::StrJoin(first, " "), "]."));
        }
      }
      ctx->set_output(i, IntVector(t.dtype(), out));
    }
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterGradShapeKernels(KernelRegistry& r) {
  r.Register("BroadcastGradientArgs", MakeBroadcastGradientArgs);
  r.Register("ConcatOffset", MakeConcatOffset);
}

}  // namespace tfmodel::runtime
