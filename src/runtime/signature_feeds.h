// From the inputs a caller gives a signature (by alias) to the tensors its plan is fed:
// checks the aliases and dtypes, and expands each SparseTensor input (TensorInfo
// coo_sparse, e.g. a tf.Transform transform_fn's features, or a composite SparseTensorSpec)
// into its indices, values and dense_shape tensors — from the three components given as
// "<alias>.indices", "<alias>.values" and "<alias>.dense_shape", or from a dense tensor
// given under the alias — and each RaggedTensor input (composite RaggedTensorSpec) into its
// flat values and row splits ("<alias>.flat_values", "<alias>.row_splits_<k>", or a dense
// tensor whose rows all have the same length).
#ifndef TFMODEL_RUNTIME_SIGNATURE_FEEDS_H_
#define TFMODEL_RUNTIME_SIGNATURE_FEEDS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "runtime/model.h"

namespace tfmodel::runtime {

using FeedList = absl::InlinedVector<Tensor, 4>;

// The tensor names a signature's plan is fed, in alias order; a SparseTensor input
// contributes (indices, values, dense_shape), a RaggedTensor (flat_values, row splits...).
std::vector<std::string> SignatureFeedNames(const Signature& sig);

// The feeds for SignatureFeedNames(sig) from `inputs`. Errors name the signature `key`
// and the alias: unknown or missing inputs (with close matches), wrong dtypes, malformed
// sparse components.
absl::Status SignatureFeeds(const std::string& key, const Signature& sig,
                            const std::map<std::string, Tensor>& inputs, FeedList* feeds);

// The dtype `key` must be fed with: a signature input alias, or a component of a sparse
// or ragged input ("word.indices" -> int64). NotFound for anything else.
absl::StatusOr<DType> FeedDType(const Signature& sig, const std::string& key);

// The SparseTensor listing every element of `dense` in row-major order: indices int64
// [n, rank], values [n] (sharing dense's buffer), dense_shape int64 [rank]. When
// `sparse_shape` has a known rank one more than dense's, a trailing dim of 1 is added.
absl::StatusOr<std::vector<Tensor>> DenseToSparse(const Tensor& dense,
                                                  const PartialShape& sparse_shape);

}  // namespace tfmodel::runtime

#endif  // TFMODEL_RUNTIME_SIGNATURE_FEEDS_H_
