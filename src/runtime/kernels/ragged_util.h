// Helpers shared by the RaggedTensor kernels (ragged_ops.cc, ragged_to_dense.cc,
// bincount_ops.cc, text_ops.cc): reading row-splits vectors of either index dtype, the
// validation TF applies to nested row splits, and the DT_VARIANT payload that holds one
// encoded ragged tensor (RaggedTensorToVariant / RaggedTensorFromVariant).
//
// A ragged tensor of ragged rank R is `values` (rank >= 1) plus R row-splits vectors:
// splits[k] has one entry more than the number of rows at level k, starts at 0, never
// decreases, and ends at the number of rows of level k+1 (the last one: values.dim(0)).
#ifndef TFMODEL_RUNTIME_KERNELS_RAGGED_UTIL_H_
#define TFMODEL_RUNTIME_KERNELS_RAGGED_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "core/tensor.h"
#include "runtime/kernel.h"

namespace tfmodel::runtime::ragged_util {

// Variant::type_name of an in-memory encoded ragged tensor (TF's RaggedTensorVariant);
// Variant::value then points to a RaggedComponents. The name differs from TF's so that a
// variant read from a file (whose value is a VariantTensorDataProto) is never mistaken
// for one.
inline constexpr char kRaggedVariantTypeName[] = "tfmodel::RaggedTensorVariant";

// The value held by such a variant: flat values and the nested splits, outermost first.
struct RaggedComponents {
  Tensor values;
  std::vector<Tensor> nested_splits;
};

// Reads a rank-1 int32/int64 splits (or row ids) tensor as int64.
inline absl::StatusOr<std::vector<int64_t>> ReadSplits(const KernelContext* ctx, const Tensor& t,
                                                       absl::string_view what) {
  if (t.rank() != 1) {
    return ctx->Error(absl::StrCat(what, " must be a vector, got shape ", t.shape().ToString()));
  }
  std::vector<int64_t> v(static_cast<size_t>(t.NumElements()));
  if (t.dtype() == DType::kInt32) {
    for (size_t i = 0; i < v.size(); ++i) v[i] = t.data<int32_t>()[i];
  } else if (t.dtype() == DType::kInt64) {
    for (size_t i = 0; i < v.size(); ++i) v[i] = t.data<int64_t>()[i];
  } else {
    return ctx->Error(absl::StrCat(what, " must be int32 or int64, got ", DTypeName(t.dtype())));
  }
  return v;
}

// TF's checks on one level of row splits: not empty, first value 0, non-decreasing, last
// value equal to `nvals` (the size of the level below). Every failure is InvalidArgument
// naming `what` (e.g. "rt_nested_splits[1]").
inline absl::Status ValidateSplits(const KernelContext* ctx, absl::Span<const int64_t> splits,
                                   int64_t nvals, absl::string_view what) {
  if (splits.empty()) return ctx->Error(absl::StrCat(what, ": ragged splits may not be empty"));
  if (splits[0] != 0) {
    return ctx->Error(
        absl::StrCat(what, ": first value of ragged splits must be 0, got ", splits[0]));
  }
  for (size_t i = 1; i < splits.size(); ++i) {
    if (splits[i] < splits[i - 1]) {
      return ctx->Error(absl::StrCat(what, ": ragged splits should be non decreasing, but we got ",
                                     splits[i - 1], " followed by ", splits[i]));
    }
  }
  if (splits.back() != nvals) {
    return ctx->Error(absl::StrCat(
        what,
        ": final value of ragged splits must match the length of the corresponding ragged "
        "values, got ",
        splits.back(), " for ", nvals, " values"));
  }
  return absl::OkStatus();
}

// Validates nested splits against `values` (outermost first).
inline absl::Status ValidateNestedSplits(const KernelContext* ctx,
                                         const std::vector<std::vector<int64_t>>& splits,
                                         const Tensor& values, absl::string_view what) {
  if (values.rank() < 1) {
    return ctx->Error(
        absl::StrCat("ragged values must have rank >= 1, got shape ", values.shape().ToString()));
  }
  for (size_t k = 0; k < splits.size(); ++k) {
    const int64_t nvals =
        k + 1 < splits.size() ? static_cast<int64_t>(splits[k + 1].size()) - 1 : values.dim(0);
    TFM_RETURN_IF_ERROR(ValidateSplits(ctx, splits[k], nvals, absl::StrCat(what, "[", k, "]")));
  }
  return absl::OkStatus();
}

// An int64 vector as a splits tensor of `dtype` (int32 or int64).
inline Tensor SplitsTensor(absl::Span<const int64_t> v, DType dtype) {
  Tensor t = Tensor::Empty(dtype, TensorShape{static_cast<int64_t>(v.size())});
  if (dtype == DType::kInt32) {
    for (size_t i = 0; i < v.size(); ++i) t.data<int32_t>()[i] = static_cast<int32_t>(v[i]);
  } else {
    for (size_t i = 0; i < v.size(); ++i) t.data<int64_t>()[i] = v[i];
  }
  return t;
}

// Reads attr `name` as an index dtype (int32 or int64), defaulting to int64.
inline absl::Status GetSplitsDType(const KernelInit& init, const char* name, DType* out) {
  *out = DType::kInt64;
  TFM_RETURN_IF_ERROR(init.GetAttrOr(name, out));
  if (*out != DType::kInt32 && *out != DType::kInt64) {
    return init.Error(absl::StrCat(name, " must be int32 or int64, got ", DTypeName(*out)));
  }
  return absl::OkStatus();
}

}  // namespace tfmodel::runtime::ragged_util

#endif  // TFMODEL_RUNTIME_KERNELS_RAGGED_UTIL_H_
