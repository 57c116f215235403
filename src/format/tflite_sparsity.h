// Sparse TFLite constants (Tensor.sparsity, SparsityParameters) turned into dense tensors.
//
// A sparse tensor stores only its values in the buffer; the dense tensor (Tensor.shape) is
// walked in `traversal_order`: the n original dimensions (a permutation of 0..n-1), each
// divided by its block size when block_map names it, then the k block dimensions
// (a permutation of n..n+k-1). Each traversal level is DENSE (every coordinate, dense_size of
// them) or SPARSE_CSR (for the p-th position of the level above, the coordinates
// array_indices[array_segments[p] .. array_segments[p+1]) ). Values are stored in that walk
// order (TFLite's FormatConverter::SparseToDense). Block levels must be DENSE, as in TFLite.
//
// Everything is checked before any write: traversal order and block map are permutations,
// sizes match the shape, segments start at 0, never decrease and end at the number of
// indices, indices are inside their dimension, and the buffer holds exactly one value per
// stored position. Errors say what is wrong; the caller adds the file and tensor name.
#ifndef TFMODEL_FORMAT_TFLITE_SPARSITY_H_
#define TFMODEL_FORMAT_TFLITE_SPARSITY_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/tensor.h"
#include "format/tflite/schema_generated.h"

namespace tfmodel {

// The dense tensor of dtype `dtype` (a fixed-size numeric type) and shape `shape` that the
// sparse encoding `sp` with stored values `data` stands for; unstored elements are zero.
absl::StatusOr<Tensor> DensifyTfLiteSparse(const tflite_fb::SparsityParameters& sp, DType dtype,
                                           const TensorShape& shape, absl::string_view data);

}  // namespace tfmodel

#endif  // TFMODEL_FORMAT_TFLITE_SPARSITY_H_
