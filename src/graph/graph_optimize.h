// Load-time graph rewrites for inference (the runtime applies them when it builds a
// plan; TFMODEL_GRAPH_OPTIMIZE=0 turns them off).
//
// FuseBiasActivation does what TF's grappler remapper does for CPU: a float Conv2D,
// DepthwiseConv2dNative or MatMul whose only consumer is a BiasAdd (or an Add/AddV2 of a
// rank-1 constant as long as the output depth, on the last axis), optionally followed by
// Relu, Relu6, Elu, LeakyRelu, Sigmoid or Tanh, becomes one _FusedConv2D /
// _FusedDepthwiseConv2dNative / _FusedMatMul node (attrs fused_ops, num_args,
// leakyrelu_alpha, plus the base op's attrs) named like the last node it replaces, so
// every consumer and fetch of that node is unchanged. A node is only absorbed when its
// output has exactly one consumer, nothing depends on it by a control edge, and it is not
// in `keep` (fed, fetched or a target). For the convolutions a residual Add/AddV2 of the
// biased output and another tensor between bias and activation joins too (fused_ops
// BiasAdd, Add [, activation]; num_args 2; the other tensor is the fourth input), as
// grappler does for ResNet blocks; the kernel adds it in the primitive when its shape is
// the output's and otherwise runs the ops one by one (so broadcasting stays correct).
//
// When it rewrites a graph it also marks every Conv2D / DepthwiseConv2dNative (fused or
// not) whose filter is a Const (directly or through Identity nodes) with the bool attr
// kConstantFilterAttr, so the runtime may prepare the weights once.
#ifndef TFMODEL_GRAPH_GRAPH_OPTIMIZE_H_
#define TFMODEL_GRAPH_GRAPH_OPTIMIZE_H_

#include <optional>
#include <set>
#include <string>

#include "tensorflow/core/framework/graph.pb.h"

namespace tfmodel {

inline constexpr char kConstantFilterAttr[] = "_tfmodel_constant_filter";

struct FusionResult {
  tensorflow::GraphDef graph;
  int num_fused = 0;
};

// The rewritten graph (node order kept, each fused node where its last node was;
// versions copied, the function library not: the executor takes it separately), or
// nullopt when nothing matched (so callers keep the original without a copy).
std::optional<FusionResult> FuseBiasActivation(const tensorflow::GraphDef& graph,
                                               const std::set<std::string>& keep);

}  // namespace tfmodel

#endif  // TFMODEL_GRAPH_GRAPH_OPTIMIZE_H_
