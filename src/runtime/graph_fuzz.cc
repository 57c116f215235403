// libFuzzer target: a serialized GraphDef -> the executor's plan for running every node
// (graph rewrites, pruning, topological order and control flow frames, every kernel's
// factory with its attribute checks, Const decoding). Nothing is run.
// Built and run by scripts/fuzz.sh (-DTFMODEL_FUZZ=ON); not part of the library or CI.
#include <cstdint>
#include <string>
#include <vector>

#include "core/fuzz_util.h"
#include "runtime/executor.h"
#include "tensorflow/core/framework/graph.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tfmodel::fuzz::Init();
  tensorflow::GraphDef graph;
  if (!graph.ParseFromArray(data, static_cast<int>(size))) return 0;
  std::vector<std::string> targets, fetches;
  for (const auto& node : graph.node()) targets.push_back(node.name());
  // Fetching the first node's output too exercises fetch resolution and pruning.
  if (graph.node_size() > 0) fetches.push_back(graph.node(0).name() + ":0");
  for (bool optimize : {true, false}) {
    tfmodel::runtime::ExecutorOptions options;
    options.optimize_graph = optimize;
    (void)tfmodel::runtime::Executor::Create(graph, &graph.library(), {}, fetches, targets,
                                             options);
    (void)tfmodel::runtime::Executor::Create(graph, &graph.library(), {}, {}, targets, options);
  }
  return 0;
}
