// Embeds tfmodel in a C++ program through its public C++ headers (tfmodel/model.h,
// tfmodel/freeze.h, tfmodel/export.h): loads TF Serving's half_plus_two SavedModel, runs
// serving_default (y = 0.5 * x + 2), freezes it into one GraphDef, exports that frozen
// graph as a new versioned SavedModel and runs the result.
//
//   c++ -std=c++17 half_plus_two.cc $(pkg-config --cflags --libs tfmodel) -o half_plus_two
//   ./half_plus_two path/to/saved_model_half_plus_two_cpu/00000123 /tmp/work
//
// Prints "y = [2.5, 3, 4.5]" twice (original and re-exported) and exits 0; prints the
// failing step's status and exits 1 otherwise.
#include <cstdio>
#include <string>
#include <vector>

#include "tfmodel/export.h"
#include "tfmodel/freeze.h"
#include "tfmodel/model.h"

namespace {

bool Check(const tfmodel::Status& s, const char* what) {
  if (!s.ok()) std::fprintf(stderr, "%s failed: %s\n", what, s.ToString().c_str());
  return s.ok();
}

// Runs serving_default on x = [[1], [2], [5]] and prints y.
bool RunHalfPlusTwo(const std::string& path) {
  tfmodel::Model model;
  if (!Check(tfmodel::Model::Load(path, &model), "Model::Load")) return false;
  for (const auto& sig : model.Signatures()) {
    std::printf("  signature %s (%s), %zu input(s)\n", sig.key.c_str(), sig.method_name.c_str(),
                sig.inputs.size());
  }
  tfmodel::Tensor x;
  if (!Check(tfmodel::Tensor::Create<float>(TFM_FLOAT, {3, 1}, {1, 2, 5}, &x), "Create")) {
    return false;
  }
  std::vector<tfmodel::Tensor> out;
  if (!Check(model.RunSignature("serving_default", {{"x", &x}}, {"y"}, &out), "RunSignature")) {
    return false;
  }
  const std::vector<float> y = out[0].ToVector<float>();
  std::printf("y = [%g, %g, %g]\n", y[0], y[1], y[2]);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s SAVED_MODEL_DIR WORK_DIR\n", argv[0]);
    return 2;
  }
  const std::string saved_model = argv[1], work = argv[2];
  if (!RunHalfPlusTwo(saved_model)) return 1;
  const std::string frozen = work + "/frozen.pb";
  if (!Check(tfmodel::Freeze({{"input_saved_model_dir", saved_model}, {"output_graph", frozen}}),
             "Freeze")) {
    return 1;
  }
  std::string dir;
  if (!Check(tfmodel::Export({{"input_graph", frozen},
                              {"export_base", work + "/half_plus_two"},
                              {"signature", "serving_default: inputs x=x:0; outputs y=y:0"}},
                             &dir),
             "Export")) {
    return 1;
  }
  std::printf("exported %s\n", dir.c_str());
  return RunHalfPlusTwo(dir) ? 0 : 1;
}
