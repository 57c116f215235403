// Load-time folding of inference batch norms into the convolution before them (the
// runtime applies it when it builds a plan, before graph_optimize.h's fusion;
// TFMODEL_GRAPH_OPTIMIZE=0 turns both off).
//
// A float Conv2D or DepthwiseConv2dNative with a constant filter whose only consumer is a
// FusedBatchNorm / FusedBatchNormV2 / FusedBatchNormV3 with is_training false and
// constant scale, offset, mean and variance - directly or through a BiasAdd of a constant
// b (TF1 layers with use_bias and batch norm) - computes
//   y = (conv(x, W) + b - mean) * s + offset,   s = scale / sqrt(variance + epsilon)
// per output channel, which equals conv(x, W * s) + (offset + (b - mean) * s). The rewrite gives
// the convolution a new Const filter W * s and turns the batch norm into a BiasAdd of a
// new Const bias, under the batch norm's name, so its consumers and fetches are unchanged
// and FuseBiasActivation can then fuse the convolution with the bias and any activation.
// This is what TF's transform_graph fold_batch_norms / fold_old_batch_norms do for frozen
// graphs. Skipped when the batch norm's other outputs (batch statistics) are read, when a
// node involved is fed or the batch norm is fetched, or when a control edge starts at the
// convolution. Results equal the unfolded graph's up to float rounding.
#ifndef TFMODEL_GRAPH_FOLD_BATCH_NORM_H_
#define TFMODEL_GRAPH_FOLD_BATCH_NORM_H_

#include <optional>
#include <set>
#include <string>

#include "tensorflow/core/framework/graph.pb.h"

namespace tfmodel {

struct FoldResult {
  tensorflow::GraphDef graph;
  int num_folded = 0;
};

// The rewritten graph (node order kept; the new constants come right before the
// convolution they feed; versions copied, the function library not), or nullopt when
// nothing matched.
std::optional<FoldResult> FoldBatchNorms(const tensorflow::GraphDef& graph,
                                         const std::set<std::string>& keep);

}  // namespace tfmodel

#endif  // TFMODEL_GRAPH_FOLD_BATCH_NORM_H_
