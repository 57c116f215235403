#include "runtime/signature_feeds.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

// The sparse input alias that `key` names a component of, or "".
std::string SparseAliasOf(const Signature& sig, const std::string& key) {
  for (const char* suffix : kSparseComponentSuffixes) {
    if (!absl::EndsWith(key, suffix)) continue;
    std::string alias = key.substr(0, key.size() - std::string(suffix).size());
    auto it = sig.inputs.find(alias);
    if (it != sig.inputs.end() && it->second.is_sparse()) return alias;
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

}  // namespace

std::vector<std::string> SignatureFeedNames(const Signature& sig) {
  std::vector<std::string> names;
  for (const auto& [alias, spec] : sig.inputs) {
    if (spec.is_sparse()) {
      names.push_back(spec.sparse_indices_tensor);
      names.push_back(spec.tensor_name);
      names.push_back(spec.sparse_dense_shape_tensor);
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
      if (sig.inputs.count(alias) || !SparseAliasOf(sig, alias).empty()) continue;
      auto close = ClosestNames(alias, Aliases(sig));
      return absl::InvalidArgumentError(
          absl::StrCat("signature '", key, "' has no input '", alias, "'",
                       close.empty() ? "" : absl::StrCat("; did you mean ", Quoted(close), "?"),
                       " (inputs: ", Quoted(Aliases(sig)), ")"));
    }
  }
  for (const auto& [alias, spec] : sig.inputs) {
    if (spec.is_sparse()) {
      TFM_RETURN_IF_ERROR(AddSparse(key, alias, spec, inputs, feeds));
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
