// Model.Run latency on frozen graphs (tf2onnx fc-layers, ae0, lstm and the synthetic graphs in
// ../shared/bench/graphs), batch 1 and 64, beside OpenCV DNN on the same graphs and inputs in
// the same process when OpenCV is available. Prints a markdown table of medians and p90s.
//
//   runtime_bench [--testdata DIR] [--threads N] [--iters N] [--filter NAME]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "format/npy.h"
#include "format/saved_model.h"
#include "runtime/model.h"

#ifdef TFMODEL_HAVE_OPENCV
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#endif

namespace {

using Clock = std::chrono::steady_clock;
using tfmodel::Tensor;
using tfmodel::TensorShape;

struct Stats {
  double median_us = 0, p90_us = 0;
};

template <typename Fn>
Stats Time(Fn&& fn, int iters) {
  for (int i = 0; i < std::max(3, iters / 20); ++i) fn();  // warm up
  std::vector<double> us;
  us.reserve(iters);
  for (int i = 0; i < iters; ++i) {
    auto t0 = Clock::now();
    fn();
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 9 / 10)]};
}

struct Graph {
  std::string name, path, input, output;
  bool needs_keep_prob = false;
};

// Repeats row 0 of `t` to `batch` rows.
Tensor Batch(const Tensor& t, int batch) {
  TensorShape s = t.shape();
  int64_t row = t.NumElements() / s.dim(0);
  s.set_dim(0, batch);
  Tensor out(t.dtype(), s);
  for (int b = 0; b < batch; ++b) {
    std::memcpy(out.data<float>() + b * row, t.data<float>(), row * sizeof(float));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string testdata = "../shared/testdata", filter;
  int threads = 1, iters = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string f = argv[i];
    if (f == "--testdata") testdata = argv[i + 1];
    if (f == "--threads") threads = std::atoi(argv[i + 1]);
    if (f == "--iters") iters = std::atoi(argv[i + 1]);
    if (f == "--filter") filter = argv[i + 1];
  }
  std::string bench_graphs = tfmodel::Dirname(testdata) + "/bench/graphs";
  std::vector<Graph> graphs = {
      {"fc-layers", testdata + "/tf2onnx/fc-layers/frozen.pb", "X:0", "output:0"},
      {"ae0", testdata + "/tf2onnx/ae0/frozen.pb", "X:0", "output:0"},
      {"lstm", testdata + "/tf2onnx/lstm/frozen.pb", "X:0", "output:0", true},
      {"mlp", bench_graphs + "/mlp.pb", "input:0", "output:0"},
      {"mobilenet_v1", bench_graphs + "/mobilenet_v1.pb", "input:0", "output:0"},
      {"resnet_blocks", bench_graphs + "/resnet_blocks.pb", "input:0", "output:0"},
  };
  std::printf("threads=%d iters=%d\n\n", threads, iters);
  std::printf(
      "| graph | batch | tfmodel median | tfmodel p90 | OpenCV median | OpenCV p90 | "
      "tfmodel/OpenCV |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
#ifdef TFMODEL_HAVE_OPENCV
  cv::setNumThreads(threads);
#endif
  for (const auto& g : graphs) {
    if (!filter.empty() && g.name.find(filter) == std::string::npos) continue;
    std::string golden = testdata + "/golden/" + g.name + "_in.npy";
    auto input = tfmodel::ReadNpy(golden);
    auto graph = tfmodel::ReadGraphDef(g.path);
    if (!input.ok() || !graph.ok()) {
      std::printf("| %s | - | missing input or graph | | | | |\n", g.name.c_str());
      continue;
    }
    tfmodel::runtime::LoadOptions opt;
    opt.intra_op_threads = threads;
    opt.inter_op_threads = 1;
    auto model = tfmodel::runtime::Model::LoadGraph(*graph, opt);
    if (!model.ok()) {
      std::printf("| %s | - | load failed: %s | | | | |\n", g.name.c_str(),
                  std::string(model.status().message()).c_str());
      continue;
    }
    int heavy = g.name == "mobilenet_v1" || g.name == "resnet_blocks";
    for (int batch : {1, 64}) {
      if (heavy && batch == 64) continue;
      Tensor x = Batch(*input, batch);
      std::vector<std::pair<std::string, Tensor>> feeds = {{g.input, x}};
      if (g.needs_keep_prob) feeds.emplace_back("keep_prob:0", Tensor::Scalar(1.0f));
      int n = heavy ? std::max(10, iters / 10) : iters;
      bool failed = false;
      Stats ours = Time(
          [&] {
            auto out = (*model)->Run(feeds, {g.output});
            if (!out.ok()) failed = true;
          },
          n);
      if (failed) {
        auto out = (*model)->Run(feeds, {g.output});
        std::printf("| %s | %d | run failed: %s | | | | |\n", g.name.c_str(), batch,
                    std::string(out.status().message()).c_str());
        continue;
      }
      std::string cv_med = "n/a", cv_p90 = "n/a", ratio = "n/a";
#ifdef TFMODEL_HAVE_OPENCV
      try {
        cv::dnn::Net net = cv::dnn::readNetFromTensorflow(g.path);
        std::vector<int> dims(x.shape().dim_sizes().begin(), x.shape().dim_sizes().end());
        cv::Mat blob;
        if (dims.size() == 4) {  // NHWC -> NCHW for OpenCV
          std::vector<int> nchw = {dims[0], dims[3], dims[1], dims[2]};
          blob = cv::Mat(nchw, CV_32F);
          const float* src = x.data<float>();
          float* dst = blob.ptr<float>();
          for (int b = 0; b < dims[0]; ++b)
            for (int h = 0; h < dims[1]; ++h)
              for (int w = 0; w < dims[2]; ++w)
                for (int c = 0; c < dims[3]; ++c)
                  dst[((b * dims[3] + c) * dims[1] + h) * dims[2] + w] =
                      src[((b * dims[1] + h) * dims[2] + w) * dims[3] + c];
        } else {
          blob = cv::Mat(dims, CV_32F, x.data<float>()).clone();
        }
        Stats theirs = Time(
            [&] {
              net.setInput(blob);
              net.forward();
            },
            n);
        char buf[64];
        std::snprintf(buf, sizeof(buf), "%.1f µs", theirs.median_us);
        cv_med = buf;
        std::snprintf(buf, sizeof(buf), "%.1f µs", theirs.p90_us);
        cv_p90 = buf;
        std::snprintf(buf, sizeof(buf), "%.2f", ours.median_us / theirs.median_us);
        ratio = buf;
      } catch (const std::exception& e) {
        cv_med = "cannot load";
      }
#endif
      std::printf("| %s | %d | %.1f µs | %.1f µs | %s | %s | %s |\n", g.name.c_str(), batch,
                  ours.median_us, ours.p90_us, cv_med.c_str(), cv_p90.c_str(), ratio.c_str());
      std::fflush(stdout);
    }
  }
  return 0;
}
