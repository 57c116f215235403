// The load-time graph rewrites (batch norm folding + fusion) on and off, in one process:
//   optimize_ab_bench GRAPH.pb FEED SHAPE FETCH [ITERS]
//   e.g. optimize_ab_bench DS_CNN_S.pb Mfcc:0 1,49,10 labels_softmax:0 2000
// Builds two executors of the same frozen graph (ExecutorOptions::optimize_graph false and
// true), feeds both the same deterministic input and alternates single calls (A, B, A, B,
// ...) so machine load hits both alike. Prints each one's median and p90 per call, their
// ratio, and the largest output difference. One thread (no intra-op pool).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "format/saved_model.h"
#include "runtime/executor.h"

namespace {

using tfmodel::Tensor;
using tfmodel::runtime::Executor;

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s GRAPH.pb FEED SHAPE FETCH [ITERS]\n", argv[0]);
    return 2;
  }
  const std::string feed = argv[2], fetch = argv[4];
  const int iters = argc > 5 ? std::atoi(argv[5]) : 1000;
  auto graph = tfmodel::ReadGraphDef(argv[1]);
  if (!graph.ok()) {
    std::fprintf(stderr, "%s\n", graph.status().ToString().c_str());
    return 1;
  }
  tfmodel::TensorShape shape;
  for (absl::string_view d : absl::StrSplit(argv[3], ',')) {
    int64_t v = 0;
    if (!absl::SimpleAtoi(d, &v)) return 2;
    shape.AddDim(v);
  }
  Tensor x(tfmodel::DType::kFloat, shape);
  for (int64_t i = 0; i < x.NumElements(); ++i) {
    x.data<float>()[i] = static_cast<float>(std::sin(0.1 * static_cast<double>(i)));
  }
  std::vector<std::unique_ptr<Executor>> ex;
  for (bool optimize : {false, true}) {
    tfmodel::runtime::ExecutorOptions o;
    o.optimize_graph = optimize;
    auto e = Executor::Create(*graph, nullptr, {feed}, {fetch}, {}, o);
    if (!e.ok()) {
      std::fprintf(stderr, "%s\n", e.status().ToString().c_str());
      return 1;
    }
    ex.push_back(*std::move(e));
  }
  std::vector<double> us[2];
  std::vector<Tensor> out[2];
  for (int i = 0; i < iters + 20; ++i) {
    for (int k = 0; k < 2; ++k) {
      tfmodel::runtime::RunContext ctx;
      const auto t0 = std::chrono::steady_clock::now();
      auto s = ex[k]->Run(ctx, {x}, &out[k]);
      const auto t1 = std::chrono::steady_clock::now();
      if (!s.ok()) {
        std::fprintf(stderr, "%s\n", s.ToString().c_str());
        return 1;
      }
      if (i >= 20) us[k].push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
  }
  float diff = 0;
  for (int64_t i = 0; i < out[0][0].NumElements(); ++i) {
    diff = std::max(diff, std::fabs(out[0][0].data<float>()[i] - out[1][0].data<float>()[i]));
  }
  std::printf("nodes: %d unoptimized, %d optimized; %d alternating calls each\n",
              ex[0]->num_nodes(), ex[1]->num_nodes(), iters);
  std::printf("unoptimized: median %.1f us, p90 %.1f us\n", Percentile(us[0], 0.5),
              Percentile(us[0], 0.9));
  std::printf("optimized:   median %.1f us, p90 %.1f us\n", Percentile(us[1], 0.5),
              Percentile(us[1], 0.9));
  std::printf("optimized / unoptimized median: %.3f; max |output difference| %.3g\n",
              Percentile(us[1], 0.5) / Percentile(us[0], 0.5), diff);
  return 0;
}
