// Frozen-graph path vs TFLite path (not a test): converts each golden graph with
// tflite::ConvertGraphToTfLite (float, with --quantize_weights and with --quantize_float16),
// then reports file sizes, batch-1 latency (median of N runs) through runtime::Model::LoadGraph and
// through the TFLite interpreter, and each path's max relative error against the golden output.
//
//   tflite_bench [iterations]     (TFMODEL_TESTDATA / TFMODEL_BENCH_GRAPHS locate the files)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "format/npy.h"
#include "format/saved_model.h"
#include "format/tflite.h"
#include "runtime/model.h"
#include "tflite/converter.h"
#include "tflite/model.h"

namespace {

using namespace tfmodel;

struct Case {
  const char* name;
  std::string graph;
  const char* input;
  std::vector<int64_t> shape;
  bool keep_prob = false;
};

double RelError(const Tensor& got, const Tensor& want) {
  double max_ref = 0, max_err = 0;
  for (int64_t i = 0; i < want.NumElements() && i < got.NumElements(); ++i) {
    max_ref = std::max(max_ref, std::abs(double(want.data<float>()[i])));
    max_err =
        std::max(max_err, std::abs(double(got.data<float>()[i]) - double(want.data<float>()[i])));
  }
  return max_ref > 0 ? max_err / max_ref : max_err;
}

template <typename F>
double MedianMs(int iters, F&& f) {
  std::vector<double> t;
  f();  // warm-up
  for (int i = 0; i < iters; ++i) {
    auto a = std::chrono::steady_clock::now();
    f();
    t.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int iters = argc > 1 ? std::atoi(argv[1]) : 50;
  const char* td = std::getenv("TFMODEL_TESTDATA");
  const char* bg = std::getenv("TFMODEL_BENCH_GRAPHS");
  const std::string testdata = td ? td : "../shared/testdata";
  const std::string graphs = bg ? bg : testdata + "/../bench/graphs";
  std::vector<Case> cases = {
      {"fc-layers", testdata + "/tf2onnx/fc-layers/frozen.pb", "X", {1, 784}},
      {"ae0", testdata + "/tf2onnx/ae0/frozen.pb", "X", {1, 784}},
      {"lstm", testdata + "/tf2onnx/lstm/frozen.pb", "X", {1, 784}, true},
      {"mlp", graphs + "/mlp.pb", "input", {1, 784}},
      {"mobilenet_v1", graphs + "/mobilenet_v1.pb", "input", {1, 224, 224, 3}},
      {"resnet_blocks", graphs + "/resnet_blocks.pb", "input", {1, 56, 56, 64}},
  };
  std::printf(
      "| model | frozen .pb bytes | .tflite bytes | quantized bytes | fp16 bytes | frozen ms | "
      "tflite ms | tflite-q ms | tflite-fp16 ms | rel err tflite | rel err tflite-q | "
      "rel err fp16 | ops |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const Case& c : cases) {
    auto graph = ReadGraphDef(c.graph);
    auto x = ReadNpy(testdata + "/golden/" + c.name + "_in.npy");
    auto want = ReadNpy(testdata + "/golden/" + c.name + "_out.npy");
    if (!graph.ok() || !x.ok() || !want.ok()) {
      std::printf("| %s | (missing files) |\n", c.name);
      continue;
    }
    tflite::TfLiteConvertOptions opt;
    opt.input_arrays = {c.input};
    opt.output_arrays = {"output"};
    opt.input_shapes = {c.shape};
    if (c.keep_prob) {
      opt.input_arrays.push_back("keep_prob");
      opt.input_shapes.push_back({});
    }
    tflite::TfLiteConvertReport rep;
    auto lite_bytes = tflite::ConvertGraphToTfLite(*graph, opt, &rep);
    opt.quantize_weights = true;
    auto quant_bytes = tflite::ConvertGraphToTfLite(*graph, opt);
    opt.quantize_weights = false;
    opt.quantize_float16 = true;
    auto half_bytes = tflite::ConvertGraphToTfLite(*graph, opt);
    if (!lite_bytes.ok() || !quant_bytes.ok() || !half_bytes.ok()) {
      const absl::Status& st = !lite_bytes.ok()    ? lite_bytes.status()
                               : !quant_bytes.ok() ? quant_bytes.status()
                                                   : half_bytes.status();
      std::printf("| %s | conversion failed: %s |\n", c.name, std::string(st.message()).c_str());
      continue;
    }
    auto frozen = runtime::Model::LoadGraph(*graph);
    auto lite = tflite::LoadTfLiteModel(*TfLiteFile::FromBytes(*lite_bytes, c.name));
    auto quant = tflite::LoadTfLiteModel(*TfLiteFile::FromBytes(*quant_bytes, c.name));
    auto half = tflite::LoadTfLiteModel(*TfLiteFile::FromBytes(*half_bytes, c.name));
    if (!frozen.ok() || !lite.ok() || !quant.ok() || !half.ok()) {
      std::printf("| %s | load failed |\n", c.name);
      continue;
    }
    std::vector<std::pair<std::string, Tensor>> feeds = {{std::string(c.input) + ":0", *x}};
    std::map<std::string, Tensor> in = {{c.input, *x}};
    if (c.keep_prob) {
      feeds.emplace_back("keep_prob:0", Tensor::Scalar(1.0f));
      in["keep_prob"] = Tensor::Scalar(1.0f);
    }
    Tensor y_lite, y_quant, y_half;
    const double t_frozen = MedianMs(iters, [&] { (void)(*frozen)->Run(feeds, {"output:0"}); });
    const double t_lite = MedianMs(iters, [&] {
      auto r = (*lite)->RunSignature("serving_default", in);
      if (r.ok()) y_lite = r->at("output");
    });
    const double t_quant = MedianMs(iters, [&] {
      auto r = (*quant)->RunSignature("serving_default", in);
      if (r.ok()) y_quant = r->at("output");
    });
    const double t_half = MedianMs(iters, [&] {
      auto r = (*half)->RunSignature("serving_default", in);
      if (r.ok()) y_half = r->at("output");
    });
    std::printf(
        "| %s | %lld | %zu | %zu | %zu | %.3f | %.3f | %.3f | %.3f | %.2g | %.2g | %.2g | %zu |\n",
        c.name, static_cast<long long>(graph->ByteSizeLong()), lite_bytes->size(),
        quant_bytes->size(), half_bytes->size(), t_frozen, t_lite, t_quant, t_half,
        y_lite.valid() ? RelError(y_lite, *want) : -1.0,
        y_quant.valid() ? RelError(y_quant, *want) : -1.0,
        y_half.valid() ? RelError(y_half, *want) : -1.0, rep.operators.size());
  }
  return 0;
}
