// Layout bookkeeping ops that grappler's layout optimizer leaves in graphs:
// DataFormatDimMap (an axis index in src_format -> the same axis in dst_format) and
// DataFormatVecPermute (a per-dim vector, or [dims, 2] pairs such as paddings, reordered
// from src_format to dst_format). Formats are permutations of each other, 4 or 5 letters
// ("NHWC", "NCHW", "NDHWC", ...). VecPermute also takes spatial-only vectors (2 or 3
// entries), which follow the order of the spatial letters.
#include <algorithm>
#include <string>

#include "runtime/kernels/arity.h"
#include "runtime/kernels/array_util.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;
using array_util::ShapeStr;

absl::Status ReadFormats(const KernelInit& init, std::string* src, std::string* dst) {
  *src = "NHWC";
  *dst = "NCHW";
  TFM_RETURN_IF_ERROR(init.GetAttrOr("src_format", src));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("dst_format", dst));
  if (src->size() != 4 && src->size() != 5) {
    return init.Error(
        absl::StrCat("Source format must be of length 4 or 5, received src_format = ", *src));
  }
  if (dst->size() != 4 && dst->size() != 5) {
    return init.Error(
        absl::StrCat("Destination format must be of length 4 or 5, received dst_format = ", *dst));
  }
  std::string a = *src, b = *dst;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  if (a != b || std::adjacent_find(a.begin(), a.end()) != a.end()) {
    return init.Error(absl::StrCat(
        "Destination and source format must determine a permutation, got ", *src, " and ", *dst));
  }
  return absl::OkStatus();
}

Result MakeDimMap(const KernelInit& init) {
  std::string src, dst;
  TFM_RETURN_IF_ERROR(ReadFormats(init, &src, &dst));
  return MakeKernel([src, dst](KernelContext* ctx) -> absl::Status {
    const Tensor& x = ctx->input(0);
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> v, array_util::ReadInts(ctx, x, "x"));
    const int64_t n = static_cast<int64_t>(src.size());
    Tensor out = Tensor::Empty(x.dtype(), x.shape());
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] < -n || v[i] >= n) {
        return ctx->Error(absl::StrCat("DataFormatDimMap: input value ", v[i], " is out of range [",
                                       -n, ", ", n, ")"));
      }
      const char label = src[static_cast<size_t>((v[i] + n) % n)];
      array_util::SetInt(out, static_cast<int64_t>(i), static_cast<int64_t>(dst.find(label)));
    }
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

std::string Spatial(const std::string& f) {
  std::string s;
  for (char c : f) {
    if (c != 'N' && c != 'C') s.push_back(c);
  }
  return s;
}

Result MakeVecPermute(const KernelInit& init) {
  std::string src, dst;
  TFM_RETURN_IF_ERROR(ReadFormats(init, &src, &dst));
  return MakeKernel([src, dst](KernelContext* ctx) -> absl::Status {
    const Tensor& x = ctx->input(0);
    const int64_t full = static_cast<int64_t>(src.size()), spatial = full - 2;
    const bool ok_shape = (x.rank() == 1 || (x.rank() == 2 && x.dim(1) == 2)) &&
                          (x.dim(0) == full || x.dim(0) == spatial);
    if (!ok_shape) {
      return ctx->Error(absl::StrCat(
          "input must be a vector or 2D tensor, and the first dim must "
          "be ",
          full, " or ", spatial, " (and the second 2), but got shape ", ShapeStr(x.shape())));
    }
    const bool sp = x.dim(0) == spatial;
    const std::string s = sp ? Spatial(src) : src, d = sp ? Spatial(dst) : dst;
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> v, array_util::ReadInts(ctx, x, "x"));
    const int64_t width = x.rank() == 2 ? 2 : 1;
    Tensor out = Tensor::Empty(x.dtype(), x.shape());
    for (size_t i = 0; i < d.size(); ++i) {
      const size_t from = s.find(d[i]);
      for (int64_t w = 0; w < width; ++w) {
        array_util::SetInt(out, static_cast<int64_t>(i) * width + w,
                           v[from * static_cast<size_t>(width) + static_cast<size_t>(w)]);
      }
    }
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterDataFormatKernels(KernelRegistry& r) {
  r.Register("DataFormatDimMap", WithInputs(1, MakeDimMap));
  r.Register("DataFormatVecPermute", WithInputs(1, MakeVecPermute));
}

}  // namespace tfmodel::runtime
