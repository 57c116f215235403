// Which subgraphs a TFLite file's control-flow operators (WHILE, IF, CALL_ONCE) run, checked
// before any operator is prepared: every index names a subgraph, no subgraph reaches itself
// (a recursion TFLite cannot run either) and calls nest at most kMaxSubgraphCallDepth deep,
// so running a model cannot overflow the stack.
#ifndef TFMODEL_TFLITE_SUBGRAPH_CALLS_H_
#define TFMODEL_TFLITE_SUBGRAPH_CALLS_H_

#include <vector>

#include "absl/status/status.h"
#include "format/tflite.h"

namespace tfmodel::tflite {

inline constexpr int kMaxSubgraphCallDepth = 64;

// The subgraphs `op` runs (cond then body for WHILE, then then else for IF, the initializer
// for CALL_ONCE); empty for other operators or when the options are missing.
std::vector<int> CalledSubgraphs(const TfLiteFile& file, const tflite_fb::Operator& op);

// InvalidArgument naming the file, subgraph and operator for a bad index, a cycle or too
// deep a nesting.
absl::Status CheckSubgraphCalls(const TfLiteFile& file);

}  // namespace tfmodel::tflite

#endif  // TFMODEL_TFLITE_SUBGRAPH_CALLS_H_
