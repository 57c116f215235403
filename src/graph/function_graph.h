// Function bodies as plain graphs, and inlining of function calls.
//
// A FunctionDef body names outputs as "node:out_arg:index"; flattening that to an output
// position needs the callee op's OpDef. OpDefs come from a process-wide registry filled
// from MetaGraphDefs' stripped_op_list (RegisterOpDefs), with a built-in table of the
// common multi-output ops as fallback; ops with one output need nothing.
#ifndef TFMODEL_GRAPH_FUNCTION_GRAPH_H_
#define TFMODEL_GRAPH_FUNCTION_GRAPH_H_

#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/dtype.h"
#include "tensorflow/core/framework/function.pb.h"
#include "tensorflow/core/framework/graph.pb.h"
#include "tensorflow/core/framework/op_def.pb.h"

namespace tfmodel {

// Adds OpDefs (e.g. a MetaGraphDef's stripped_op_list) to the process-wide registry.
void RegisterOpDefs(const tensorflow::OpList& ops);
// Null when unknown.
const tensorflow::OpDef* FindOpDef(const std::string& op);

using AttrMap = google::protobuf::Map<std::string, tensorflow::AttrValue>;

// A FunctionDef rewritten as a plain graph: one "_Arg" node per input (fed by name), the
// body with flat "node:position" input names and attrs substituted, and the tensors
// (fetches) and nodes (targets) the call returns and must run.
struct FunctionGraph {
  tensorflow::GraphDef graph;
  std::vector<std::string> arg_feeds;    // "arg:0", in signature order
  std::vector<std::string> ret_fetches;  // in signature order
  std::vector<std::string> control_targets;
  std::vector<DType> arg_types, ret_types;
};
absl::StatusOr<FunctionGraph> FunctionToGraph(const tensorflow::FunctionDef& fdef,
                                              const AttrMap& attrs,
                                              const tensorflow::FunctionDefLibrary* library);

const tensorflow::FunctionDef* FindFunction(const tensorflow::FunctionDefLibrary* library,
                                            const std::string& name);

// What TF's Grappler implementation selector runs on a CPU in place of function `name`:
// Keras saves e.g. an LSTM layer as interchangeable functions sharing an `api_implements`
// attr, one with `api_preferred_device` "GPU" (CudnnRNN) and one with "CPU" (a While loop).
// When `name` is an inference function (no forward/backward pairing attrs) with such an
// attr whose preferred device is not CPU, returns the library's equivalent inference
// function that prefers the CPU; otherwise (or when there is none) returns `name`.
std::string SelectCpuImplementation(const tensorflow::FunctionDefLibrary* library,
                                    const std::string& name);

// The library functions that `nodes` run: those they call (PartitionedCall `f`, an op
// named after a function) or name in attrs (If branches, While cond/body, ...), and the
// functions those run in turn, after SelectCpuImplementation. Functions only reachable
// through gradients or an unselected GPU implementation are not included.
std::set<std::string> ReachableFunctions(
    const tensorflow::FunctionDefLibrary* library,
    const google::protobuf::RepeatedPtrField<tensorflow::NodeDef>& nodes);

// Keeps only the library functions that the graph's nodes (and those functions) reference.
void PruneFunctionLibrary(tensorflow::GraphDef* graph);

struct InlineReport {
  int calls_inlined = 0;
};

// Replaces every PartitionedCall / StatefulPartitionedCall node and every direct call of a
// library function (op = function name) by the function's body, recursively, so variables
// passed into functions become ordinary graph edges. Body nodes are named "<call>/<node>";
// the call node itself becomes an Identity (one output), IdentityN (several) or NoOp
// (none) over the returned tensors, so "<call>:i" names keep working. Functional control
// flow (If, While, Case) is left as it is. Functions no longer referenced are dropped from
// the library.
absl::StatusOr<tensorflow::GraphDef> InlineFunctionCalls(const tensorflow::GraphDef& graph,
                                                         InlineReport* report = nullptr);

}  // namespace tfmodel

#endif  // TFMODEL_GRAPH_FUNCTION_GRAPH_H_
