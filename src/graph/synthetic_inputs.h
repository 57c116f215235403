// Deterministic inputs for smoke-testing a model without writing any: numbers from a fixed
// pattern, and for string inputs that feed ParseExample, valid serialized tf.Examples whose
// features are read off the ParseExample / ParseExampleV2 / ParseSingleExample nodes of the
// graph and of its function library (TF2 models parse inside a function), and for string
// inputs that feed DecodeWav, valid WAV files.
#ifndef TFMODEL_GRAPH_SYNTHETIC_INPUTS_H_
#define TFMODEL_GRAPH_SYNTHETIC_INPUTS_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "tensorflow/core/framework/graph.pb.h"

namespace tfmodel {

// One serialized tf.Example carrying every dense and sparse feature the graph parses.
absl::StatusOr<std::string> SyntheticExample(const tensorflow::GraphDef& graph);

// When `tensor` (e.g. "wav_data:0") reaches the contents input of a DecodeWav node
// (directly or through Identity nodes): a valid 16-bit PCM WAV file with that node's
// desired_samples frames (16000, one second, when -1) and desired_channels channels (1 when
// -1), 16 kHz, holding a deterministic 440 Hz + 1234 Hz tone mix. NotFound otherwise.
absl::StatusOr<std::string> SyntheticWav(const tensorflow::GraphDef& graph,
                                         const std::string& tensor);

// A tensor of `dtype` and `shape` (unknown dims and unknown rank become 1), values
// 0.1*(i%10) for floats, i%10 for ints, alternating for bools; strings are `example` if
// non-empty, else "a".
absl::StatusOr<Tensor> SyntheticTensor(DType dtype, const PartialShape& shape,
                                       const std::string& example = "");

// The synthetic value for graph input `tensor`: SyntheticTensor of its dtype and shape; a
// string input gets a WAV file when it feeds DecodeWav, else a tf.Example when the graph
// parses Examples. What `tfmodel run --synthetic_inputs` feeds, in one place.
absl::StatusOr<Tensor> SyntheticInput(const tensorflow::GraphDef& graph, const std::string& tensor,
                                      DType dtype, const PartialShape& shape);

// A tensor a run must be fed.
struct FeedSpec {
  std::string tensor;  // "x:0"
  DType dtype = DType::kInvalid;
  PartialShape shape;
};

// The tensors computing `fetches` needs fed, in graph order: the Placeholders (not
// PlaceholderWithDefault) it reads, and the outputs of IteratorGetNext nodes it reads —
// TensorFlow lets any tensor be fed, and feeding an iterator's outputs cuts the input
// pipeline (datasets, files) off the run. Tensors in `fed` (names "n:i") are already fed
// and not looked through. Unknown fetch nodes are an error.
absl::StatusOr<std::vector<FeedSpec>> RequiredFeeds(const tensorflow::GraphDef& graph,
                                                    const std::vector<std::string>& fetches,
                                                    const std::set<std::string>& fed = {});

}  // namespace tfmodel

#endif  // TFMODEL_GRAPH_SYNTHETIC_INPUTS_H_
