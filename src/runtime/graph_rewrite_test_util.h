// Runs a hand-built graph through the executor with or without the load-time rewrites
// (ExecutorOptions::optimize_graph), for the rewrite tests (graph_optimize_test,
// fold_batch_norm_test).
#ifndef TFMODEL_RUNTIME_GRAPH_REWRITE_TEST_UTIL_H_
#define TFMODEL_RUNTIME_GRAPH_REWRITE_TEST_UTIL_H_

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/executor.h"

namespace tfmodel::runtime {

// Feeds x to "x:0" and returns the `fetches` (empty, with a test failure, on an error).
inline std::vector<Tensor> RunGraph(const tensorflow::GraphDef& g, const Tensor& x,
                                    const std::vector<std::string>& fetches, bool optimize) {
  ExecutorOptions o;
  o.optimize_graph = optimize;
  auto ex = Executor::Create(g, nullptr, {"x:0"}, fetches, {}, o);
  EXPECT_TRUE(ex.ok()) << ex.status();
  if (!ex.ok()) return {};
  std::vector<Tensor> out;
  RunContext ctx;
  absl::Status s = (*ex)->Run(ctx, {x}, &out);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

}  // namespace tfmodel::runtime

#endif  // TFMODEL_RUNTIME_GRAPH_REWRITE_TEST_UTIL_H_
