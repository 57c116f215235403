#include "runtime/signature_feeds.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/close_names.h"
#include "runtime/executor.h"

namespace tfmodel::runtime {
namespace {

std::string Quoted(const std::vector<std::string>& names) {
  return absl::StrJoin(names, ", ", [](std::string* out, const std::string& s) {
    absl::StrAppend(out, "'", s, "'");
  });
}

std::vector<std::string> Aliases(const Signature& sig) {
  std::vector<std::string> out;
  for (const auto& [alias, spec] : sig.inputs) out.push_back(alias);
  return out;
}

std::string ComponentKey(const std::string& alias, int c) {
  return alias + kSparseComponentSuffixes[c];
}

std::string RaggedSplitsKey(const std::string& alias, size_t k) {
  return absl::StrCat(alias, kRaggedSplitsSuffix, k);
}

// The sparse or ragged input alias that `key` names a component of, or "".
std::string ComponentAliasOf(const Signature& sig, const std::string& key) {
  for (const auto& [alias, spec] : sig.inputs) {
    if (key.size() <= alias.size() || key.compare(0, alias.size(), alias) != 0) continue;
    const std::string suffix = key.substr(alias.size());
    if (spec.is_sparse()) {
      for (const char* s : kSparseComponentSuffixes) {
        if (suffix == s) return alias;
      }
    }
    if (spec.is_ragged()) {
      if (suffix == kRaggedValuesSuffix) return alias;
      for (size_t k = 0; k < spec.ragged_splits_tensors.size(); ++k) {
        if (key == RaggedSplitsKey(alias, k)) return alias;
      }
    }
  }
  return "";
}

absl::Status DTypeMismatch(const std::string& key, const std::string& what, DType want, DType got) {
  return absl::InvalidArgumentError(absl::StrCat("signature '", key, "': input '", what,
                                                 "' expects dtype ", DTypeName(want), " but got ",
                                                 DTypeName(got)));
}

// Checks explicitly given (indices, values, dense_shape) of a sparse input.
absl::Status CheckComponents(const std::string& key, const std::string& alias,
                             const TensorSpec& spec, const Tensor& indices, const Tensor& values,
                             const Tensor& dense_shape) {
  auto bad = [&](const std::string& msg) {
    return absl::InvalidArgumentError(
        absl::StrCat("signature '", key, "': sparse input '", alias, "': ", msg));
  };
  if (indices.dtype() != DType::kInt64 || indices.rank() != 2) {
    return bad(absl::StrCat("indices must be an int64 matrix, got ", DTypeName(indices.dtype()),
                            " ", indices.shape().ToString()));
  }
  if (dense_shape.dtype() != DType::kInt64 || dense_shape.rank() != 1) {
    return bad(absl::StrCat("dense_shape must be an int64 vector, got ",
                            DTypeName(dense_shape.dtype()), " ", dense_shape.shape().ToString()));
  }
  if (spec.dtype != DType::kInvalid && values.dtype() != spec.dtype) {
    return DTypeMismatch(key, ComponentKey(alias, 1), spec.dtype, values.dtype());
  }
  if (values.rank() != 1 || values.dim(0) != indices.dim(0)) {
    return bad(absl::StrCat("values must be a vector with one entry per row of indices, got ",
                            values.shape().ToString(), " for indices ",
                            indices.shape().ToString()));
  }
  if (indices.dim(1) != dense_shape.dim(0)) {
    return bad(absl::StrCat("indices ", indices.shape().ToString(), " do not match dense_shape ",
                            dense_shape.shape().ToString()));
  }
  if (!spec.shape.unknown_rank() && spec.shape.rank() != dense_shape.dim(0)) {
    return bad(absl::StrCat("the signature's sparse shape ", spec.shape.ToString(), " has rank ",
                            spec.shape.rank(), " but dense_shape has ", dense_shape.dim(0),
                            " entries"));
  }
  return absl::OkStatus();
}

// Feeds for one sparse input.
absl::Status AddSparse(const std::string& key, const std::string& alias, const TensorSpec& spec,
                       const std::map<std::string, Tensor>& inputs, FeedList* feeds) {
  auto dense = inputs.find(alias);
  int components = 0;
  for (int c = 0; c < 3; ++c) components += inputs.count(ComponentKey(alias, c)) ? 1 : 0;
  if (dense != inputs.end()) {
    if (components > 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("signature '", key, "': give sparse input '", alias,
                       "' either as one dense tensor or as its components, not both"));
    }
    if (spec.dtype != DType::kInvalid && dense->second.dtype() != spec.dtype) {
      return DTypeMismatch(key, alias, spec.dtype, dense->second.dtype());
    }
    auto parts = DenseToSparse(dense->second, spec.shape);
    if (!parts.ok()) {
      return Annotate(parts.status(),
                      absl::StrCat("signature '", key, "': sparse input '", alias, "'"));
    }
    for (Tensor& t : *parts) feeds->push_back(std::move(t));
    return absl::OkStatus();
  }
  if (components != 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "signature '", key, "': input '", alias, "' is missing (a SparseTensor: give a dense ",
        "tensor as '", alias, "' or all of '", ComponentKey(alias, 0), "', '",
        ComponentKey(alias, 1), "', '", ComponentKey(alias, 2), "')"));
  }
  const Tensor& indices = inputs.at(ComponentKey(alias, 0));
  const Tensor& values = inputs.at(ComponentKey(alias, 1));
  const Tensor& dense_shape = inputs.at(ComponentKey(alias, 2));
  TFM_RETURN_IF_ERROR(CheckComponents(key, alias, spec, indices, values, dense_shape));
  feeds->push_back(indices);
  feeds->push_back(values);
  feeds->push_back(dense_shape);
  return absl::OkStatus();
}

// A dense tensor as a ragged tensor of `ragged_rank` uniform ragged dims.
absl::StatusOr<std::vector<Tensor>> DenseToRagged(const Tensor& dense, size_t ragged_rank,
                                                  DType splits_dtype) {
  if (dense.rank() < static_cast<int>(ragged_rank) + 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("a dense tensor of shape ", dense.shape().ToString(),
                     " cannot be a ragged tensor of ragged rank ", ragged_rank));
  }
  std::vector<Tensor> out;
  TensorShape values_shape;
  int64_t rows = 1;
  for (size_t k = 0; k <= ragged_rank; ++k) rows *= dense.dim(static_cast<int>(k));
  values_shape.AddDim(rows);
  for (int d = static_cast<int>(ragged_rank) + 1; d < dense.rank(); ++d) {
    values_shape.AddDim(dense.dim(d));
  }
  TFM_ASSIGN_OR_RETURN(Tensor values, dense.Reshaped(values_shape));
  out.push_back(std::move(values));
  int64_t level_rows = 1;
  for (size_t k = 0; k < ragged_rank; ++k) {
    level_rows *= dense.dim(static_cast<int>(k));
    const int64_t width = dense.dim(static_cast<int>(k) + 1);
    Tensor splits = Tensor::Empty(splits_dtype, TensorShape{level_rows + 1});
    for (int64_t j = 0; j <= level_rows; ++j) {
      if (splits_dtype == DType::kInt32) {
        splits.data<int32_t>()[j] = static_cast<int32_t>(j * width);
      } else {
        splits.data<int64_t>()[j] = j * width;
      }
    }
    out.push_back(std::move(splits));
  }
  return out;
}

// Checks given (flat_values, row_splits...) of a ragged input: splits of the signature's
// dtype, starting at 0, non-decreasing, each ending at the size of the level below.
absl::Status CheckRagged(const std::string& key, const std::string& alias, const TensorSpec& spec,
                         const std::vector<const Tensor*>& parts) {
  auto bad = [&](const std::string& msg) {
    return absl::InvalidArgumentError(
        absl::StrCat("signature '", key, "': ragged input '", alias, "': ", msg));
  };
  const Tensor& values = *parts[0];
  if (spec.dtype != DType::kInvalid && values.dtype() != spec.dtype) {
    return DTypeMismatch(key, alias + kRaggedValuesSuffix, spec.dtype, values.dtype());
  }
  if (values.rank() < 1) return bad("flat_values must have rank >= 1");
  for (size_t k = 1; k < parts.size(); ++k) {
    const Tensor& t = *parts[k];
    if (t.dtype() != spec.ragged_splits_dtype || t.rank() != 1 || t.NumElements() < 1) {
      return bad(absl::StrCat("row_splits_", k - 1, " must be a non-empty ",
                              DTypeName(spec.ragged_splits_dtype), " vector, got ",
                              DTypeName(t.dtype()), " ", t.shape().ToString()));
    }
    const int64_t next = k + 1 < parts.size() ? parts[k + 1]->NumElements() - 1 : values.dim(0);
    int64_t prev = 0;
    for (int64_t i = 0; i < t.NumElements(); ++i) {
      const int64_t v = t.dtype() == DType::kInt32 ? t.data<int32_t>()[i] : t.data<int64_t>()[i];
      if ((i == 0 && v != 0) || v < prev) {
        return bad(absl::StrCat("row_splits_", k - 1, " must start at 0 and never decrease, got ",
                                v, " at ", i));
      }
      prev = v;
    }
    if (prev != next) {
      return bad(absl::StrCat("row_splits_", k - 1, " ends at ", prev, " but the level below has ",
                              next, " rows"));
    }
  }
  return absl::OkStatus();
}

// Feeds for one ragged input.
absl::Status AddRagged(const std::string& key, const std::string& alias, const TensorSpec& spec,
                       const std::map<std::string, Tensor>& inputs, FeedList* feeds) {
  const size_t rr = spec.ragged_splits_tensors.size();
  auto dense = inputs.find(alias);
  std::vector<std::string> keys = {alias + kRaggedValuesSuffix};
  for (size_t k = 0; k < rr; ++k) keys.push_back(RaggedSplitsKey(alias, k));
  size_t given = 0;
  for (const auto& k : keys) given += inputs.count(k);
  if (dense != inputs.end()) {
    if (given > 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("signature '", key, "': give ragged input '", alias,
                       "' either as one dense tensor or as its components, not both"));
    }
    if (spec.dtype != DType::kInvalid && dense->second.dtype() != spec.dtype) {
      return DTypeMismatch(key, alias, spec.dtype, dense->second.dtype());
    }
    auto parts = DenseToRagged(dense->second, rr, spec.ragged_splits_dtype);
    if (!parts.ok()) {
      return Annotate(parts.status(),
                      absl::StrCat("signature '", key, "': ragged input '", alias, "'"));
    }
    for (Tensor& t : *parts) feeds->push_back(std::move(t));
    return absl::OkStatus();
  }
  if (given != keys.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "signature '", key, "': input '", alias, "' is missing (a RaggedTensor: give a dense ",
        "tensor as '", alias, "' or all of '", absl::StrJoin(keys, "', '"), "')"));
  }
  std::vector<const Tensor*> parts;
  for (const auto& k : keys) parts.push_back(&inputs.at(k));
  TFM_RETURN_IF_ERROR(CheckRagged(key, alias, spec, parts));
  for (const Tensor* t : parts) feeds->push_back(*t);
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> SignatureFeedNames(const Signature& sig) {
  std::vector<std::string> names;
  for (const auto& [alias, spec] : sig.inputs) {
    if (spec.is_sparse()) {
      names.push_back(spec.sparse_indices_tensor);
      names.push_back(spec.tensor_name);
      names.push_back(spec.sparse_dense_shape_tensor);
    } else if (spec.is_ragged()) {
      names.push_back(spec.tensor_name);
      for (const auto& t : spec.ragged_splits_tensors) names.push_back(t);
    } else {
      names.push_back(spec.tensor_name);
    }
  }
  return names;
}

absl::Status SignatureFeeds(const std::string& key, const Signature& sig,
                            const std::map<std::string, Tensor>& inputs, FeedList* feeds) {
  feeds->clear();
  // Both maps are sorted by alias: walk them together; the messages below are built only
  // when the aliases differ.
  bool same_aliases = inputs.size() == sig.inputs.size();
  {
    auto b = sig.inputs.begin();
    for (auto a = inputs.begin(); same_aliases && a != inputs.end(); ++a, ++b) {
      same_aliases = a->first == b->first;
    }
  }
  if (!same_aliases) {
    for (const auto& [alias, t] : inputs) {
      if (sig.inputs.count(alias) || !ComponentAliasOf(sig, alias).empty()) continue;
      return absl::InvalidArgumentError(absl::StrCat("signature '", key, "' has no input '", alias,
                                                     "'", DidYouMean(alias, Aliases(sig)),
                                                     " (inputs: ", Quoted(Aliases(sig)), ")"));
    }
  }
  for (const auto& [alias, spec] : sig.inputs) {
    if (spec.is_sparse()) {
      TFM_RETURN_IF_ERROR(AddSparse(key, alias, spec, inputs, feeds));
      continue;
    }
    if (spec.is_ragged()) {
      TFM_RETURN_IF_ERROR(AddRagged(key, alias, spec, inputs, feeds));
      continue;
    }
    auto it = inputs.find(alias);
    if (it == inputs.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("signature '", key, "': input '", alias, "' is missing"));
    }
    // Shapes are not enforced: TF Serving feeds whatever shape the request has (it runs
    // half_plus_two's [-1,1] and TF2's [1] signatures on [3] tensors), and the kernels
    // check what they need.
    if (spec.dtype != DType::kInvalid && it->second.dtype() != spec.dtype) {
      return DTypeMismatch(key, alias, spec.dtype, it->second.dtype());
    }
    feeds->push_back(it->second);
  }
  return absl::OkStatus();
}

absl::StatusOr<DType> FeedDType(const Signature& sig, const std::string& key) {
  auto it = sig.inputs.find(key);
  if (it != sig.inputs.end()) return it->second.dtype;
  const std::string alias = ComponentAliasOf(sig, key);
  if (alias.empty()) {
    return absl::NotFoundError(absl::StrCat("the signature has no input '", key, "'"));
  }
  const TensorSpec& spec = sig.inputs.at(alias);
  const std::string suffix = key.substr(alias.size());
  if (suffix == kSparseComponentSuffixes[1] || suffix == kRaggedValuesSuffix) return spec.dtype;
  if (spec.is_ragged()) return spec.ragged_splits_dtype;
  return DType::kInt64;  // indices, dense_shape
}

absl::StatusOr<std::vector<Tensor>> DenseToSparse(const Tensor& dense,
                                                  const PartialShape& sparse_shape) {
  TensorShape shape = dense.shape();
  if (!sparse_shape.unknown_rank()) {
    if (sparse_shape.rank() == shape.rank() + 1) {
      shape.AddDim(1);
    } else if (sparse_shape.rank() != shape.rank()) {
      return absl::InvalidArgumentError(
          absl::StrCat("a SparseTensor of shape ", sparse_shape.ToString(),
                       " cannot be made from a dense tensor of shape ", shape.ToString()));
    }
  }
  const int64_t n = dense.NumElements();
  const int rank = shape.rank();
  TFM_ASSIGN_OR_RETURN(Tensor values, dense.Reshaped(TensorShape{n}));
  Tensor indices = Tensor::Empty(DType::kInt64, TensorShape{n, rank});
  int64_t* ix = indices.data<int64_t>();
  std::vector<int64_t> coord(static_cast<size_t>(rank), 0);
  for (int64_t i = 0; i < n; ++i) {
    for (int d = 0; d < rank; ++d) ix[i * rank + d] = coord[d];
    for (int d = rank - 1; d >= 0; --d) {
      if (++coord[d] < shape.dim(d)) break;
      coord[d] = 0;
    }
  }
  std::vector<int64_t> dims(shape.dim_sizes().begin(), shape.dim_sizes().end());
  return std::vector<Tensor>{std::move(indices), std::move(values), Tensor::FromVector(dims)};
}

}  // namespace tfmodel::runtime
