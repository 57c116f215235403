// Deterministic inputs for smoke-testing a model without writing any: numbers from a fixed
// pattern, and for string inputs that feed ParseExample, valid serialized tf.Examples whose
// features are read off the graph's ParseExample / ParseExampleV2 / ParseSingleExample nodes,
// and for string inputs that feed DecodeWav, valid WAV files.
#ifndef TFMODEL_GRAPH_SYNTHETIC_INPUTS_H_
#define TFMODEL_GRAPH_SYNTHETIC_INPUTS_H_

#include <string>

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

}  // namespace tfmodel

#endif  // TFMODEL_GRAPH_SYNTHETIC_INPUTS_H_
