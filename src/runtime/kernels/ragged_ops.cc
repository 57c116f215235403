// RaggedTensor kernels, as TF's ragged_gather_op.cc, ragged_range_op.cc,
// ragged_tensor_to_variant_op.cc and ragged_tensor_from_variant_op.cc:
//   RaggedGather              params[indices] for a ragged `params` (dense indices of any rank)
//   RaggedRange               one range per (start, limit, delta) row, as a ragged tensor
//   RaggedTensorToVariant     encode a ragged tensor (whole, or one variant per row)
//   RaggedTensorFromVariant   decode (and stack) encoded ragged tensors
// Splits are validated before use; every bad input is InvalidArgument.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "runtime/kernels/array_util.h"
#include "runtime/kernels/ragged_util.h"
#include "runtime/kernels/register_all.h"

namespace tfmodel::runtime {
namespace {

using array_util::DispatchElem;
using ragged_util::RaggedComponents;
using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;

// Copies values rows [begin, end) of `src` to rows starting at `at` of `dst` (same dtype
// and inner shape).
absl::Status CopyRows(const KernelContext* ctx, const Tensor& src, int64_t begin, int64_t end,
                      Tensor* dst, int64_t at) {
  const int64_t inner = src.dim(0) == 0 ? 0 : src.NumElements() / src.dim(0);
  bool ok = DispatchElem(src.dtype(), [&]<typename T>() {
    array_util::CopyN(src.data<T>() + begin * inner, (end - begin) * inner,
                      dst->data<T>() + at * inner);
  });
  if (!ok) return array_util::UnsupportedDType(ctx, src.dtype());
  return absl::OkStatus();
}

// `values` shape with dim 0 replaced.
TensorShape WithRows(const TensorShape& s, int64_t rows) {
  TensorShape out = s;
  out.set_dim(0, rows);
  return out;
}

// ---------------------------------------------------------------------------------------
// RaggedGather

// TF's (looser) checks for gather: splits non-empty, non-negative, sorted, and not
// pointing past the level below.
absl::Status ValidateGatherSplits(const KernelContext* ctx,
                                  const std::vector<std::vector<int64_t>>& splits,
                                  int64_t nvalues) {
  for (size_t k = 0; k < splits.size(); ++k) {
    const auto& s = splits[k];
    const int64_t last =
        k + 1 < splits.size() ? static_cast<int64_t>(splits[k + 1].size()) - 1 : nvalues;
    if (s.empty()) return ctx->Error("Ragged splits may not be empty");
    if (s[0] < 0) return ctx->Error("Ragged splits must be non-negative");
    if (s.back() > last) return ctx->Error("Ragged splits must not point past values");
    for (size_t i = 1; i < s.size(); ++i) {
      if (s[i - 1] > s[i]) return ctx->Error("Ragged splits must be sorted");
    }
  }
  return absl::OkStatus();
}

Result MakeRaggedGather(const KernelInit& init) {
  int64_t params_rr = 0, output_rr = 0;
  TFM_RETURN_IF_ERROR(init.GetAttr("PARAMS_RAGGED_RANK", &params_rr));
  TFM_RETURN_IF_ERROR(init.GetAttr("OUTPUT_RAGGED_RANK", &output_rr));
  if (params_rr < 1) return init.Error("PARAMS_RAGGED_RANK must be >= 1");
  if (init.num_inputs() != params_rr + 2) {
    return init.Error(absl::StrCat("expected ", params_rr + 2, " inputs, got ", init.num_inputs()));
  }
  DType splits_type;
  TFM_RETURN_IF_ERROR(ragged_util::GetSplitsDType(init, "Tsplits", &splits_type));
  const int prr = static_cast<int>(params_rr);
  return MakeKernel([prr, output_rr, splits_type](KernelContext* ctx) -> absl::Status {
    std::vector<std::vector<int64_t>> splits(static_cast<size_t>(prr));
    for (int k = 0; k < prr; ++k) {
      TFM_ASSIGN_OR_RETURN(splits[k],
                           ragged_util::ReadSplits(ctx, ctx->input(k),
                                                   absl::StrCat("params_nested_splits[", k, "]")));
    }
    const Tensor& values = ctx->input(prr);
    const Tensor& indices_t = ctx->input(prr + 1);
    if (values.rank() < 1) return ctx->Error("params.rank must be nonzero");
    if (indices_t.rank() - 1 + prr != output_rr) {
      return ctx->Error(absl::StrCat("OUTPUT_RAGGED_RANK is ", output_rr, " but indices of rank ",
                                     indices_t.rank(), " gathered from params of ragged rank ", prr,
                                     " give ragged rank ", indices_t.rank() - 1 + prr));
    }
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> indices,
                         array_util::ReadInts(ctx, indices_t, "indices"));
    TFM_RETURN_IF_ERROR(ValidateGatherSplits(ctx, splits, values.dim(0)));
    const int64_t num_params = static_cast<int64_t>(splits[0].size()) - 1;
    for (size_t i = 0; i < indices.size(); ++i) {
      if (indices[i] < 0 || indices[i] >= num_params) {
        return ctx->Error(
            absl::StrCat("indices[", i, "] = ", indices[i], " is not in [0, ", num_params, ")"));
      }
    }
    const int irank = indices_t.rank();
    std::vector<std::vector<int64_t>> out(static_cast<size_t>(output_rr), {0});
    // Uniform splits from the outer dims of `indices`.
    int64_t nrows = 1;
    for (int d = 0; d + 1 < irank; ++d) {
      nrows *= indices_t.dim(d);
      const int64_t len = indices_t.dim(d + 1);
      for (int64_t i = 1; i <= nrows; ++i) out[d].push_back(i * len);
    }
    std::vector<std::pair<int64_t, int64_t>> slices;
    int64_t nvals = 0;
    for (int64_t index : indices) {
      int64_t start = index, limit = index + 1;
      for (int k = 0; k < prr; ++k) {
        const auto& s = splits[k];
        const int od = k + irank - 1;
        if (od >= 0) {
          const int64_t delta = out[od].back() - s[start];
          for (int64_t j = start; j < limit; ++j) out[od].push_back(s[j + 1] + delta);
        }
        start = s[start];
        limit = s[limit];
      }
      if (limit > start) {
        slices.emplace_back(start, limit);
        nvals += limit - start;
      }
    }
    Tensor out_values = Tensor::Empty(values.dtype(), WithRows(values.shape(), nvals));
    int64_t at = 0;
    for (const auto& [b, e] : slices) {
      TFM_RETURN_IF_ERROR(CopyRows(ctx, values, b, e, &out_values, at));
      at += e - b;
    }
    for (size_t k = 0; k < out.size(); ++k) {
      ctx->set_output(static_cast<int>(k), ragged_util::SplitsTensor(out[k], splits_type));
    }
    ctx->set_output(static_cast<int>(out.size()), std::move(out_values));
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------------------
// RaggedRange

template <typename T>
absl::StatusOr<int64_t> RangeSize(const KernelContext* ctx, T start, T limit, T delta) {
  if (delta == 0) return ctx->Error("Requires delta != 0");
  if ((delta > 0 && limit < start) || (delta < 0 && limit > start)) return int64_t{0};
  if constexpr (std::is_integral_v<T>) {
    __int128 span = static_cast<__int128>(limit) - start;
    __int128 d = delta;
    if (span < 0) span = -span;
    if (d < 0) d = -d;
    const __int128 n = (span + d - 1) / d;
    if (n > std::numeric_limits<int64_t>::max()) return ctx->Error("range is too large");
    return static_cast<int64_t>(n);
  } else {
    const double n = std::ceil(std::abs((static_cast<double>(limit) - start) / delta));
    if (!(n <= static_cast<double>(std::numeric_limits<int64_t>::max()))) {
      return ctx->Error(absl::StrCat("Requires ((limit - start) / delta) <= ",
                                     std::numeric_limits<int64_t>::max()));
    }
    return static_cast<int64_t>(n);
  }
}

template <typename T>
absl::Status RaggedRangeTyped(KernelContext* ctx, DType splits_type) {
  const Tensor& st = ctx->input(0);
  const Tensor& lt = ctx->input(1);
  const Tensor& dt = ctx->input(2);
  const char* names[] = {"starts", "limits", "deltas"};
  const Tensor* ins[] = {&st, &lt, &dt};
  int64_t nrows = -1;
  for (int i = 0; i < 3; ++i) {
    if (ins[i]->rank() > 1)
      return ctx->Error(absl::StrCat(names[i], " must be a scalar or vector"));
    if (ins[i]->dtype() != st.dtype()) {
      return ctx->Error("starts, limits, and deltas must have the same dtype");
    }
    if (ins[i]->rank() == 1) {
      if (nrows >= 0 && nrows != ins[i]->dim(0)) {
        return ctx->Error("starts, limits, and deltas must have the same shape");
      }
      nrows = ins[i]->dim(0);
    }
  }
  if (nrows < 0) nrows = 1;
  auto at = [](const Tensor& t, int64_t r) { return t.data<T>()[t.rank() == 0 ? 0 : r]; };
  std::vector<int64_t> splits(static_cast<size_t>(nrows + 1), 0);
  for (int64_t r = 0; r < nrows; ++r) {
    TFM_ASSIGN_OR_RETURN(int64_t n, RangeSize<T>(ctx, at(st, r), at(lt, r), at(dt, r)));
    if (n > kMaxTensorElements - splits[r]) return ctx->Error("the ranges have too many values");
    splits[r + 1] = splits[r] + n;
  }
  const int64_t total = splits.back();
  if (splits_type == DType::kInt32 && total > std::numeric_limits<int32_t>::max()) {
    return ctx->Error("the ranges have too many values for int32 row splits");
  }
  Tensor values = Tensor::Empty(DTypeOf<T>::value, TensorShape{total});
  T* v = values.data<T>();
  for (int64_t r = 0; r < nrows; ++r) {
    T x = at(st, r);
    const T d = at(dt, r);
    for (int64_t i = splits[r]; i < splits[r + 1]; ++i) {
      v[i] = x;
      if constexpr (std::is_integral_v<T>) {
        x = static_cast<T>(static_cast<std::make_unsigned_t<T>>(x) +
                           static_cast<std::make_unsigned_t<T>>(d));
      } else {
        x += d;
      }
    }
  }
  ctx->set_output(0, ragged_util::SplitsTensor(splits, splits_type));
  ctx->set_output(1, std::move(values));
  return absl::OkStatus();
}

Result MakeRaggedRange(const KernelInit& init) {
  DType splits_type;
  TFM_RETURN_IF_ERROR(ragged_util::GetSplitsDType(init, "Tsplits", &splits_type));
  return MakeKernel([splits_type](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() != 3) return ctx->Error("expected 3 inputs");
    switch (ctx->input(0).dtype()) {
      case DType::kFloat:
        return RaggedRangeTyped<float>(ctx, splits_type);
      case DType::kDouble:
        return RaggedRangeTyped<double>(ctx, splits_type);
      case DType::kInt32:
        return RaggedRangeTyped<int32_t>(ctx, splits_type);
      case DType::kInt64:
        return RaggedRangeTyped<int64_t>(ctx, splits_type);
      default:
        return array_util::UnsupportedDType(ctx, ctx->input(0).dtype());
    }
  });
}

// ---------------------------------------------------------------------------------------
// RaggedTensorToVariant / RaggedTensorFromVariant

Variant Encode(RaggedComponents c) {
  return Variant{ragged_util::kRaggedVariantTypeName,
                 std::make_shared<RaggedComponents>(std::move(c))};
}

// Row `r` of a validated ragged tensor, as a ragged tensor of one ragged rank less.
absl::StatusOr<RaggedComponents> RowOf(const KernelContext* ctx,
                                       const std::vector<std::vector<int64_t>>& splits,
                                       const Tensor& values, DType splits_type, int64_t r) {
  RaggedComponents c;
  int64_t begin = splits[0][r], end = splits[0][r + 1];
  for (size_t k = 1; k < splits.size(); ++k) {
    const auto& s = splits[k];
    std::vector<int64_t> part(s.begin() + begin, s.begin() + end + 1);
    for (int64_t& x : part) x -= s[begin];
    c.nested_splits.push_back(ragged_util::SplitsTensor(part, splits_type));
    begin = s[begin];
    end = s[end];
  }
  c.values = Tensor::Empty(values.dtype(), WithRows(values.shape(), end - begin));
  TFM_RETURN_IF_ERROR(CopyRows(ctx, values, begin, end, &c.values, 0));
  return c;
}

Result MakeRaggedTensorToVariant(const KernelInit& init) {
  int64_t rr = init.num_inputs() - 1;
  bool batched = false;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("RAGGED_RANK", &rr));
  TFM_RETURN_IF_ERROR(init.GetAttr("batched_input", &batched));
  if (rr < 0 || rr != init.num_inputs() - 1) {
    return init.Error(
        absl::StrCat("RAGGED_RANK is ", rr, " but the node has ", init.num_inputs(), " inputs"));
  }
  if (batched && rr == 0) {
    return init.Error("batched_input=true needs a ragged tensor (RAGGED_RANK >= 1)");
  }
  DType splits_type;
  TFM_RETURN_IF_ERROR(ragged_util::GetSplitsDType(init, "Tsplits", &splits_type));
  const int k_rr = static_cast<int>(rr);
  return MakeKernel([k_rr, batched, splits_type](KernelContext* ctx) -> absl::Status {
    std::vector<std::vector<int64_t>> splits(static_cast<size_t>(k_rr));
    for (int k = 0; k < k_rr; ++k) {
      TFM_ASSIGN_OR_RETURN(
          splits[k],
          ragged_util::ReadSplits(ctx, ctx->input(k), absl::StrCat("rt_nested_splits[", k, "]")));
      if (ctx->input(k).dtype() != splits_type) {
        return ctx->Error(
            absl::StrCat("rt_nested_splits[", k, "] must be ", DTypeName(splits_type)));
      }
    }
    const Tensor& values = ctx->input(k_rr);
    TFM_RETURN_IF_ERROR(ragged_util::ValidateNestedSplits(ctx, splits, values, "rt_nested_splits"));
    if (!batched) {
      RaggedComponents c;
      c.values = values;
      for (int k = 0; k < k_rr; ++k) c.nested_splits.push_back(ctx->input(k));
      Tensor out(DType::kVariant, TensorShape{});
      out.data<Variant>()[0] = Encode(std::move(c));
      ctx->set_output(0, std::move(out));
      return absl::OkStatus();
    }
    const int64_t nrows = static_cast<int64_t>(splits[0].size()) - 1;
    Tensor out(DType::kVariant, TensorShape{nrows});
    for (int64_t r = 0; r < nrows; ++r) {
      TFM_ASSIGN_OR_RETURN(RaggedComponents c, RowOf(ctx, splits, values, splits_type, r));
      out.data<Variant>()[r] = Encode(std::move(c));
    }
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

struct FromVariantSpec {
  int64_t input_rr;
  int64_t output_rr;
  DType values_type;
  DType splits_type;
};

absl::StatusOr<const RaggedComponents*> Decode(const KernelContext* ctx, const Variant& v,
                                               int64_t i, const FromVariantSpec& spec,
                                               int64_t input_rr) {
  if (v.type_name != ragged_util::kRaggedVariantTypeName || v.value == nullptr) {
    return ctx->Error(absl::StrCat("Input Variant element at index ", i,
                                   " doesn't hold a RaggedTensorVariant (type '", v.type_name,
                                   "')"));
  }
  const auto* c = static_cast<const RaggedComponents*>(v.value.get());
  if (static_cast<int64_t>(c->nested_splits.size()) != input_rr) {
    return ctx->Error(
        absl::StrCat("Encoded input RaggedTensorVariant has ragged_rank=", c->nested_splits.size(),
                     ".  Expected ragged_rank=", input_rr, "."));
  }
  if (c->values.dtype() != spec.values_type) {
    return ctx->Error(absl::StrCat("Expected values Tensor dtype: ", DTypeName(spec.values_type),
                                   ", found: ", DTypeName(c->values.dtype())));
  }
  if (c->values.rank() < 1) {
    return ctx->Error(
        absl::StrCat("Ragged values must have rank >= 1; encoded scalar element at index ", i));
  }
  for (const Tensor& s : c->nested_splits) {
    if (s.dtype() != spec.splits_type || s.rank() != 1) {
      return ctx->Error(
          absl::StrCat("Expected row_splits Tensor dtype: ", DTypeName(spec.splits_type),
                       " and rank 1, found: ", DTypeName(s.dtype()), " ", s.shape().ToString()));
    }
  }
  return c;
}

absl::Status EmitRagged(KernelContext* ctx, const RaggedComponents& c) {
  for (size_t k = 0; k < c.nested_splits.size(); ++k) {
    ctx->set_output(static_cast<int>(k), c.nested_splits[k]);
  }
  ctx->set_output(static_cast<int>(c.nested_splits.size()), c.values);
  return absl::OkStatus();
}

// Stacks decoded components laid out with shape `dims` into one ragged tensor.
absl::Status Stack(KernelContext* ctx, const std::vector<const RaggedComponents*>& parts,
                   absl::Span<const int64_t> dims, const FromVariantSpec& spec, int64_t input_rr) {
  // The outer dims of the encoded tensor become uniform ragged dims: level i has
  // dims[0] * ... * dims[i] rows of dims[i + 1] elements each.
  std::vector<std::vector<int64_t>> splits;
  int64_t rows_at_level = 1;
  for (size_t i = 0; i + 1 < dims.size(); ++i) {
    rows_at_level *= dims[i];
    std::vector<int64_t> s(static_cast<size_t>(rows_at_level + 1));
    for (size_t j = 0; j < s.size(); ++j) s[j] = static_cast<int64_t>(j) * dims[i + 1];
    splits.push_back(std::move(s));
  }
  std::vector<int64_t> rows{0};
  for (const RaggedComponents* c : parts) {
    const int64_t n = input_rr == 0 ? c->values.dim(0) : c->nested_splits[0].NumElements() - 1;
    rows.push_back(rows.back() + n);
  }
  splits.push_back(std::move(rows));
  for (int64_t k = 0; k < input_rr; ++k) {
    std::vector<int64_t> s{0};
    for (const RaggedComponents* c : parts) {
      TFM_ASSIGN_OR_RETURN(std::vector<int64_t> part,
                           ragged_util::ReadSplits(ctx, c->nested_splits[k], "encoded splits"));
      const int64_t base = s.back();
      for (size_t j = 1; j < part.size(); ++j) s.push_back(base + part[j]);
    }
    splits.push_back(std::move(s));
  }
  TensorShape vshape{0};
  if (!parts.empty()) vshape = parts[0]->values.shape();
  int64_t total = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const TensorShape& s = parts[i]->values.shape();
    bool same_inner = s.rank() == vshape.rank();
    for (int d = 1; same_inner && d < s.rank(); ++d) same_inner = s.dim(d) == vshape.dim(d);
    if (!same_inner) {
      return ctx->Error(
          absl::StrCat("Rank of values must match for all components; values shape at index 0: ",
                       vshape.ToString(), ", values shape at index ", i, ": ", s.ToString()));
    }
    total += s.dim(0);
  }
  RaggedComponents out;
  out.values = Tensor::Empty(spec.values_type, WithRows(vshape, total));
  int64_t at = 0;
  for (const RaggedComponents* c : parts) {
    TFM_RETURN_IF_ERROR(CopyRows(ctx, c->values, 0, c->values.dim(0), &out.values, at));
    at += c->values.dim(0);
  }
  TFM_RETURN_IF_ERROR(ragged_util::ValidateNestedSplits(ctx, splits, out.values, "decoded splits"));
  for (const auto& s : splits) {
    out.nested_splits.push_back(ragged_util::SplitsTensor(s, spec.splits_type));
  }
  return EmitRagged(ctx, out);
}

Result MakeRaggedTensorFromVariant(const KernelInit& init) {
  FromVariantSpec spec;
  TFM_RETURN_IF_ERROR(init.GetAttr("input_ragged_rank", &spec.input_rr));
  TFM_RETURN_IF_ERROR(init.GetAttr("output_ragged_rank", &spec.output_rr));
  TFM_RETURN_IF_ERROR(init.GetAttr("Tvalues", &spec.values_type));
  TFM_RETURN_IF_ERROR(ragged_util::GetSplitsDType(init, "Tsplits", &spec.splits_type));
  if (spec.input_rr < -1 || spec.output_rr < 0) {
    return init.Error("input_ragged_rank must be >= -1 and output_ragged_rank >= 0");
  }
  return MakeKernel([spec](KernelContext* ctx) -> absl::Status {
    const Tensor& enc = ctx->input(0);
    if (enc.dtype() != DType::kVariant) {
      return ctx->Error(
          absl::StrCat("encoded_ragged must be variant, got ", DTypeName(enc.dtype())));
    }
    int64_t input_rr = spec.input_rr;
    if (input_rr == -1) {
      input_rr = spec.output_rr - enc.rank();
      if (input_rr < 0) {
        return ctx->Error(absl::StrCat(
            "Inferred input_ragged_rank (output_ragged_rank - encoded_variant.dims()) must be "
            ">= 0, found output_ragged_rank: ",
            spec.output_rr, ", encoded_variant.dims(): ", enc.rank(),
            ", inferred input_ragged_rank: ", input_rr));
      }
    }
    if (spec.output_rr != enc.rank() + input_rr) {
      return ctx->Error(absl::StrCat(
          "output_ragged_rank must be equal to input_ragged_rank + encoded_ragged.dims(); "
          "output_ragged_rank: ",
          spec.output_rr, ", input_ragged_rank: ", input_rr,
          ", encoded_variant.dims(): ", enc.rank(), "."));
    }
    std::vector<const RaggedComponents*> parts;
    for (int64_t i = 0; i < enc.NumElements(); ++i) {
      TFM_ASSIGN_OR_RETURN(const RaggedComponents* c,
                           Decode(ctx, enc.data<Variant>()[i], i, spec, input_rr));
      parts.push_back(c);
    }
    if (enc.rank() == 0) return EmitRagged(ctx, *parts[0]);
    return Stack(ctx, parts, enc.shape().dim_sizes(), spec, input_rr);
  });
}

}  // namespace

void RegisterRaggedKernels(KernelRegistry& r) {
  r.Register("RaggedGather", MakeRaggedGather);
  r.Register("RaggedRange", MakeRaggedRange);
  r.Register("RaggedTensorToVariant", MakeRaggedTensorToVariant);
  r.Register("RaggedTensorFromVariant", MakeRaggedTensorFromVariant);
}

}  // namespace tfmodel::runtime
