// Which nodes of a graph are probably its outputs. An inference graph's outputs are the
// nodes nothing consumes; a training graph's unconsumed nodes are its train op, summaries
// and saver, while its predictions (Softmax, Sigmoid, ArgMax, "probabilities", ...) feed
// the loss. The ranking below skips the training machinery and scores what is left.
#ifndef TFMODEL_GRAPH_OUTPUT_CANDIDATES_H_
#define TFMODEL_GRAPH_OUTPUT_CANDIDATES_H_

#include <string>
#include <vector>

#include "tensorflow/core/framework/graph.pb.h"

namespace tfmodel {

struct OutputCandidate {
  std::string node;
  std::string op;
  int score = 0;
  bool unconsumed = false;  // no node reads it
  std::string reason;       // why it ranks where it does, for people
};

struct OutputRanking {
  bool training_graph = false;  // has gradients, optimizer or summary ops
  // Best first. Training machinery (gradients/*, optimizer Apply* ops, save/*, summaries,
  // global-step increments, NoOp train ops, dataset/iterator ops, initializers) is left out.
  std::vector<OutputCandidate> candidates;
};

OutputRanking RankOutputCandidates(const tensorflow::GraphDef& graph);

// What to fetch when the user names nothing: every unconsumed candidate of an inference
// graph; for a training graph the best-scoring prediction candidates (at most 4). Tensor
// names ("node:0").
std::vector<std::string> DefaultFetches(const OutputRanking& ranking);

}  // namespace tfmodel

#endif  // TFMODEL_GRAPH_OUTPUT_CANDIDATES_H_
