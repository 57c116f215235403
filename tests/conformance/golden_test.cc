// Frozen graphs against golden outputs (../shared/testdata/golden: an independent float64
// reference, cross-checked with OpenCV DNN). Pass: max |out - golden| <= 1e-4 * max |golden|.
#include <cmath>
#include <cstring>

#include "core/file_util.h"
#include "format/npy.h"
#include "format/saved_model.h"
#include "gtest/gtest.h"
#include "runtime/model.h"
#include "test_util.h"

namespace tfmodel {
namespace {

struct GoldenCase {
  const char* name;
  const char* graph;  // relative to testdata, or "bench:<file>" for ../bench/graphs
  const char* input;
  bool keep_prob;
  bool batch4_golden;  // golden/<name>_in4.npy / _out4.npy exist
};

std::string GraphPath(const GoldenCase& c) {
  std::string g = c.graph;
  if (g.rfind("bench:", 0) == 0) return testing::BenchGraphsDir() + "/" + g.substr(6);
  return testing::Testdata(g);
}

// `t` (batch 1 on axis 0) repeated `n` times along axis 0.
Tensor Repeat(const Tensor& t, int n) {
  std::vector<int64_t> dims(t.shape().dim_sizes().begin(), t.shape().dim_sizes().end());
  dims[0] *= n;
  Tensor out(t.dtype(), TensorShape(dims));
  const size_t bytes = t.TotalBytes();
  for (int i = 0; i < n; ++i) {
    std::memcpy(static_cast<char*>(out.raw_data()) + i * bytes, t.raw_data(), bytes);
  }
  return out;
}

void CheckGolden(const GoldenCase& c, const std::string& suffix, int tile = 1) {
  std::string in_path =
      testing::Testdata(std::string("golden/") + c.name + "_in" + suffix + ".npy");
  std::string out_path =
      testing::Testdata(std::string("golden/") + c.name + "_out" + suffix + ".npy");
  ASSERT_TRUE(FileExists(in_path)) << in_path;
  SCOPED_TRACE(in_path);
  auto graph = ReadGraphDef(GraphPath(c));
  ASSERT_TRUE(graph.ok()) << graph.status();
  auto model = runtime::Model::LoadGraph(std::move(*graph));
  ASSERT_TRUE(model.ok()) << model.status();
  auto x = ReadNpy(in_path);
  auto want = ReadNpy(out_path);
  ASSERT_TRUE(x.ok() && want.ok());
  if (tile > 1) {
    // No batch-4 golden: the batch-1 input repeated `tile` times must give the batch-1
    // golden output in every row.
    x = Repeat(*x, tile);
    want = Repeat(*want, tile);
  }
  std::vector<std::pair<std::string, Tensor>> feeds = {{c.input, *x}};
  if (c.keep_prob) feeds.emplace_back("keep_prob:0", Tensor::Scalar(1.0f));
  auto out = (*model)->Run(feeds, {"output:0"});
  ASSERT_TRUE(out.ok()) << out.status();
  const Tensor& got = (*out)[0];
  ASSERT_EQ(got.shape(), want->shape());
  double max_ref = 0, max_err = 0;
  for (int64_t i = 0; i < want->NumElements(); ++i) {
    max_ref = std::max(max_ref, std::abs(double(want->data<float>()[i])));
    max_err =
        std::max(max_err, std::abs(double(got.data<float>()[i]) - double(want->data<float>()[i])));
  }
  EXPECT_LE(max_err, 1e-4 * max_ref)
      << c.name << ": max error " << max_err << " vs max |golden| " << max_ref;
  ::testing::Test::RecordProperty(std::string(c.name) + suffix + "_rel_error",
                                  std::to_string(max_err / max_ref));
}

class Golden : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(Golden, Batch1AndBatch4) {
  TFM_REQUIRE_TESTDATA();
  CheckGolden(GetParam(), "");
  if (GetParam().batch4_golden) {
    CheckGolden(GetParam(), "4");
  } else {
    CheckGolden(GetParam(), "", 4);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, Golden,
    ::testing::Values(GoldenCase{"fc-layers", "tf2onnx/fc-layers/frozen.pb", "X:0", false, true},
                      GoldenCase{"ae0", "tf2onnx/ae0/frozen.pb", "X:0", false, true},
                      GoldenCase{"lstm", "tf2onnx/lstm/frozen.pb", "X:0", true, true},
                      GoldenCase{"mlp", "bench:mlp.pb", "input:0", false, false},
                      GoldenCase{"mobilenet_v1", "bench:mobilenet_v1.pb", "input:0", false, false},
                      GoldenCase{"resnet_blocks", "bench:resnet_blocks.pb", "input:0", false,
                                 false}),
    [](const ::testing::TestParamInfo<GoldenCase>& i) {
      std::string n = i.param.name;
      for (char& ch : n) {
        if (ch == '-') ch = '_';
      }
      return n;
    });

}  // namespace
}  // namespace tfmodel
