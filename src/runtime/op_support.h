// Which ops of a graph have no kernel, looking through every function the graph calls:
// PartitionedCall / StatefulPartitionedCall, If / While / Case branches and bodies, direct
// calls of library functions, and any other function-valued attr — transitively. Used at
// load so that one error lists every missing op of a model, each with where it is.
#ifndef TFMODEL_RUNTIME_OP_SUPPORT_H_
#define TFMODEL_RUNTIME_OP_SUPPORT_H_

#include <string>
#include <vector>

#include "tensorflow/core/framework/function.pb.h"
#include "tensorflow/core/framework/graph.pb.h"

namespace tfmodel::runtime {

struct MissingOp {
  std::string op;
  std::string node;
  std::string function;  // "" for a node of the graph itself
};

// Ops the executor runs itself (TF1 control flow, function arguments), not through a kernel.
bool IsExecutorBuiltinOp(const std::string& op);

// Missing ops among `nodes` (pointers into a graph) and every library function they reach.
// Each function is scanned once, all of its nodes (function bodies run whole); a call of a
// Keras GPU implementation scans its CPU twin instead (SelectCpuImplementation), and GPU-only
// ops inside functions are left to fail when run. Sorted by op, then function ("" first),
// then node.
std::vector<MissingOp> FindMissingOps(const std::vector<const tensorflow::NodeDef*>& nodes,
                                      const tensorflow::FunctionDefLibrary* library);

// "unsupported ops: A (node a), B (node b in function 'f', node c in function 'g')": each
// op once, with up to three places ("and N more" after that).
std::string MissingOpsMessage(const std::vector<MissingOp>& missing);

}  // namespace tfmodel::runtime

#endif  // TFMODEL_RUNTIME_OP_SUPPORT_H_
