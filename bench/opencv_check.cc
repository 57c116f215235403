// Independent-reader check for frozen graphs written by `tfmodel freeze` (not a test: it needs
// OpenCV, a bench-only dependency). Freezes (1) the tf2onnx regression checkpoint and (2) the
// fc-layers graph after an export -> freeze round trip, loads each .pb with OpenCV DNN's
// TensorFlow importer, and compares OpenCV's outputs with tfmodel's runtime on the same input.
//
//   opencv_check --testdata ../shared/testdata --tfmodel build/tfmodel
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <string>

#include "core/file_util.h"
#include "format/npy.h"
#include "format/saved_model.h"
#include "runtime/model.h"

namespace {

int Run(const std::string& cmd) {
  std::printf("$ %s\n", cmd.c_str());
  return std::system(cmd.c_str());
}

bool Compare(const std::string& name, const std::string& pb, const tfmodel::Tensor& x,
             const std::string& in, const std::string& out) {
  auto g = tfmodel::ReadGraphDef(pb);
  auto m = g.ok() ? tfmodel::runtime::Model::LoadGraph(*g)
                  : absl::StatusOr<std::unique_ptr<tfmodel::runtime::Model>>(g.status());
  if (!m.ok()) {
    std::printf("%s: tfmodel cannot load %s: %s\n", name.c_str(), pb.c_str(),
                std::string(m.status().message()).c_str());
    return false;
  }
  auto ours = (*m)->Run({{in, x}}, {out});
  if (!ours.ok()) {
    std::printf("%s: tfmodel run failed: %s\n", name.c_str(),
                std::string(ours.status().message()).c_str());
    return false;
  }
  cv::dnn::Net net = cv::dnn::readNetFromTensorflow(pb);
  std::vector<int> dims(x.shape().dim_sizes().begin(), x.shape().dim_sizes().end());
  cv::Mat blob(dims, CV_32F, const_cast<float*>(x.data<float>()));
  net.setInput(blob);
  cv::Mat theirs = net.forward();
  const tfmodel::Tensor& y = (*ours)[0];
  if (static_cast<int64_t>(theirs.total()) != y.NumElements()) {
    std::printf("%s: OpenCV gives %zu values, tfmodel %lld\n", name.c_str(), theirs.total(),
                static_cast<long long>(y.NumElements()));
    return false;
  }
  double max_ref = 0, max_err = 0;
  for (int64_t i = 0; i < y.NumElements(); ++i) {
    max_ref = std::max(max_ref, std::abs(double(y.data<float>()[i])));
    max_err =
        std::max(max_err, std::abs(double(y.data<float>()[i]) - double(theirs.ptr<float>()[i])));
  }
  bool ok = max_err <= 1e-5 * std::max(1.0, max_ref);
  std::printf("%s: OpenCV DNN read %s; max |OpenCV - tfmodel| = %.3g (max |out| %.3g): %s\n",
              name.c_str(), pb.c_str(), max_err, max_ref, ok ? "AGREE" : "DISAGREE");
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  std::string testdata = "../shared/testdata", bin = "build/tfmodel";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--testdata") testdata = argv[i + 1];
    if (std::string(argv[i]) == "--tfmodel") bin = argv[i + 1];
  }
  std::string tmp = "/tmp/tfmodel_opencv_check";
  Run("rm -rf " + tmp + " && mkdir -p " + tmp);
  bool ok = true;
  // (1) regression: checkpoint + meta graph -> frozen graph.
  if (Run(bin + " freeze --input_meta_graph " + testdata +
          "/tf2onnx/regression/checkpoint/model.meta" + " --input_checkpoint " + testdata +
          "/tf2onnx/regression/checkpoint/model --output_node_names pred" + " --output_graph " +
          tmp + "/regression.pb") != 0) {
    return 1;
  }
  tfmodel::Tensor x = tfmodel::Tensor::FromVector<float>({1, 2, 5, -3}, tfmodel::TensorShape{4, 1});
  ok &= Compare("regression", tmp + "/regression.pb", x, "X:0", "pred:0");
  // (2) fc-layers: frozen graph -> SavedModel (weights back into variables) -> frozen again.
  if (Run(bin + " export --input_graph " + testdata + "/tf2onnx/fc-layers/frozen.pb" +
          " --signature 'serving_default: inputs x=X:0; outputs y=output:0' --unfreeze_min_bytes "
          "1024" +
          " --export_dir " + tmp + "/fc/1") != 0 ||
      Run(bin + " freeze --input_saved_model_dir " + tmp + "/fc/1 --output_graph " + tmp +
          "/fc.pb") != 0) {
    return 1;
  }
  auto in = tfmodel::ReadNpy(testdata + "/golden/fc-layers_in.npy");
  if (!in.ok()) return 1;
  ok &= Compare("fc-layers round trip", tmp + "/fc.pb", *in, "X:0", "output:0");
  return ok ? 0 : 1;
}
