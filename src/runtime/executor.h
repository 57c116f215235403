// The executor: compiles a GraphDef (plus its function library) for one combination of
// feeds, fetches and targets into an immutable plan, then runs that plan any number of
// times, from any number of threads at once.
//
// Compile (Executor::Create):
//   - prunes the graph to what the fetches and targets need (data and ^control edges; a
//     fed tensor cuts the edge to its producer),
//   - rejects unknown feeds, fetches and targets with the closest node names,
//   - builds one kernel per node through KernelRegistry::Global() and reports every
//     unsupported op of the pruned graph in one error,
//   - orders the nodes topologically, resolves every input to a value slot, and works out
//     where each intermediate value is last used (so it is released right there and a
//     consumer may reuse its buffer in place).
// Run: graphs without loops run in one straight pass in topological order (cond-style
// Switch/Merge with dead tensors included); graphs with v1 while loops (Enter, Exit,
// NextIteration, LoopCond) run with a dataflow scheduler over frames and iterations.
// Devices named in NodeDefs are ignored: everything runs on the CPU.
#ifndef TFMODEL_RUNTIME_EXECUTOR_H_
#define TFMODEL_RUNTIME_EXECUTOR_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/tensor.h"
#include "runtime/kernel.h"
#include "tensorflow/core/framework/graph.pb.h"

namespace tfmodel::runtime {

class ResourceMgr;
class FunctionRuntime;

// Per-call environment handed to every kernel.
struct RunContext {
  ResourceMgr* resources = nullptr;
  FunctionRuntime* functions = nullptr;
  const Eigen::ThreadPoolDevice* device = nullptr;
  int64_t step_id = 0;
};

struct ExecutorOptions {
  // Keep every node of the graph (as for function bodies, whose stateful nodes run even
  // when no output depends on them) instead of pruning to fetches and targets.
  bool keep_all_nodes = false;
  // Used in error messages ("function 'f'"); empty for the top-level graph.
  std::string context;
  // Apply the load-time graph rewrites (graph/graph_optimize.h: conv/matmul + bias +
  // activation fusion) unless the environment sets TFMODEL_GRAPH_OPTIMIZE=0.
  bool optimize_graph = true;
};

// False when the environment variable TFMODEL_GRAPH_OPTIMIZE is "0", "false" or "off"
// (read once per process).
bool GraphOptimizeEnabledByEnv();

class Executor {
 public:
  ~Executor();

  // `feeds` and `fetches` are tensor names ("x:0" or "x"), `targets` node names.
  // `library` (may be null) is handed to kernels (function-calling ops); it must outlive
  // the executor.
  static absl::StatusOr<std::unique_ptr<Executor>> Create(
      const tensorflow::GraphDef& graph, const tensorflow::FunctionDefLibrary* library,
      const std::vector<std::string>& feeds, const std::vector<std::string>& fetches,
      const std::vector<std::string>& targets, const ExecutorOptions& options = {});

  // `feeds` in the order given to Create; `outputs` receives one tensor per fetch.
  absl::Status Run(const RunContext& ctx, absl::Span<const Tensor> feeds,
                   std::vector<Tensor>* outputs) const;
  // Like Run, but takes the feeds over (they are left moved-from): a feed is released at
  // its last use and its kernel may reuse its buffer in place. Function calls pass their
  // arguments this way, so a loop body can update a TensorList loop variable in place.
  absl::Status RunDonated(const RunContext& ctx, absl::Span<Tensor> feeds,
                          std::vector<Tensor>* outputs) const;

  const std::vector<std::string>& feed_names() const;
  const std::vector<std::string>& fetch_names() const;
  // Number of nodes kept after pruning.
  int num_nodes() const;
  // Names of the kept nodes in execution order (for tests and `inspect`).
  std::vector<std::string> node_names() const;
  bool has_loops() const;

  struct Plan;

 private:
  explicit Executor(std::unique_ptr<Plan> plan);
  std::unique_ptr<Plan> plan_;
};

// Ops the executor implements itself (control flow); the registry holds placeholder
// entries for them so "is this op supported" queries see them.
bool IsExecutorControlFlowOp(absl::string_view op);
void RegisterControlFlowKernels(KernelRegistry& r);

}  // namespace tfmodel::runtime

#endif  // TFMODEL_RUNTIME_EXECUTOR_H_
