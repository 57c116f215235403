// The TF2 Keras LSTM SavedModel from the wild corpus (Sequential: LSTM(32) -> Dense(1,
// sigmoid), input [batch, 5, 3]): its signature is a While loop over TensorLists, with a
// CudnnRNN implementation beside it in the function library. It must run, freeze to a graph
// giving the same outputs, and agree with the LSTM equations evaluated from the checkpoint.
#include <cmath>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "format/checkpoint.h"
#include "format/proto_io.h"
#include "format/saved_model.h"
#include "gtest/gtest.h"
#include "runtime/model.h"
#include "test_util.h"

namespace tfmodel {
namespace {

using runtime::Model;
using testing::Quote;
using testing::RunCommand;
using testing::Testdata;

constexpr char kModel[] = "wild/tf2-keras-lstm-sequential/1";
constexpr int64_t kTime = 5, kIn = 3, kUnits = 32;

Tensor FixedInput(int64_t batch) {
  Tensor x(DType::kFloat, TensorShape{batch, kTime, kIn});
  for (int64_t i = 0; i < x.NumElements(); ++i) {
    x.data<float>()[i] = 0.37f * std::sin(0.7f * static_cast<float>(i)) + 0.05f * (i % 4);
  }
  return x;
}

Tensor ReadVariable(const CheckpointReader& r, const std::string& key) {
  auto t = r.Read(key);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : Tensor();
}

double Sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

// Keras LSTM (gates i, f, c, o; tanh / sigmoid) over the sequence, then Dense + sigmoid.
std::vector<double> Reference(const CheckpointReader& r, const Tensor& x) {
  // Keras 2.12 saves the LSTM cell's weights as the model's variables 0..2.
  Tensor k = ReadVariable(r, "variables/0/.ATTRIBUTES/VARIABLE_VALUE");
  Tensor rk = ReadVariable(r, "variables/1/.ATTRIBUTES/VARIABLE_VALUE");
  Tensor b = ReadVariable(r, "variables/2/.ATTRIBUTES/VARIABLE_VALUE");
  Tensor dk = ReadVariable(r, "layer_with_weights-1/kernel/.ATTRIBUTES/VARIABLE_VALUE");
  Tensor db = ReadVariable(r, "layer_with_weights-1/bias/.ATTRIBUTES/VARIABLE_VALUE");
  EXPECT_EQ(k.shape(), (TensorShape{kIn, 4 * kUnits}));
  EXPECT_EQ(rk.shape(), (TensorShape{kUnits, 4 * kUnits}));
  EXPECT_EQ(b.shape(), (TensorShape{4 * kUnits}));
  EXPECT_EQ(dk.shape(), (TensorShape{kUnits, 1}));
  EXPECT_EQ(db.shape(), (TensorShape{1}));
  if (!k.valid() || !rk.valid() || !b.valid() || !dk.valid() || !db.valid()) return {};
  const float* K = k.data<float>();
  const float* R = rk.data<float>();
  const float* B = b.data<float>();
  const int64_t U = kUnits;
  std::vector<double> out;
  for (int64_t n = 0; n < x.dim(0); ++n) {
    std::vector<double> h(U, 0), c(U, 0), z(4 * U);
    for (int64_t t = 0; t < kTime; ++t) {
      for (int64_t j = 0; j < 4 * U; ++j) {
        double acc = B[j];
        for (int64_t q = 0; q < kIn; ++q)
          acc += double(x.data<float>()[(n * kTime + t) * kIn + q]) * K[q * 4 * U + j];
        for (int64_t q = 0; q < U; ++q) acc += h[q] * R[q * 4 * U + j];
        z[j] = acc;
      }
      for (int64_t u = 0; u < U; ++u) {
        c[u] = Sigmoid(z[U + u]) * c[u] + Sigmoid(z[u]) * std::tanh(z[2 * U + u]);
        h[u] = Sigmoid(z[3 * U + u]) * std::tanh(c[u]);
      }
    }
    double y = db.data<float>()[0];
    for (int64_t u = 0; u < U; ++u) y += h[u] * dk.data<float>()[u];
    out.push_back(Sigmoid(y));
  }
  return out;
}

TEST(KerasLstm, RunsFreezesAndMatchesTheLstmEquations) {
  TFM_REQUIRE_TESTDATA();
  auto m = Model::LoadSavedModel(Testdata(kModel));
  ASSERT_TRUE(m.ok()) << m.status();
  const runtime::Signature& sig = (*m)->signatures().at("serving_default");
  ASSERT_EQ(sig.inputs.count("input_1"), 1u);
  ASSERT_EQ(sig.outputs.count("dense"), 1u);
  const Tensor x = FixedInput(3);
  auto run = (*m)->RunSignature("serving_default", {{"input_1", x}});
  ASSERT_TRUE(run.ok()) << run.status();
  const Tensor& y = run->at("dense");
  ASSERT_EQ(y.shape(), (TensorShape{3, 1}));

  auto reader = CheckpointReader::Open(Testdata(kModel) + "/variables/variables");
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::vector<double> want = Reference(**reader, x);
  ASSERT_EQ(want.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(y.data<float>()[i], want[i], 1e-5) << "row " << i;

  // Batch 1 and an empty batch run too.
  auto one = (*m)->RunSignature("serving_default", {{"input_1", FixedInput(1)}});
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_NEAR(one->at("dense").data<float>()[0], want[0], 1e-5);

  // Freeze: the frozen graph gives bit-identical outputs.
  const std::string frozen = testing::TempDir() + "/keras_lstm_frozen.pb";
  auto f =
      RunCommand(absl::StrCat(Quote(testing::TfmodelBinary()), " freeze --input_saved_model_dir ",
                              Quote(Testdata(kModel)), " --output_graph ", Quote(frozen)));
  ASSERT_EQ(f.exit_code, 0) << f.output;
  EXPECT_NE(f.output.find("Converted 5 variables"), std::string::npos) << f.output;
  auto g = ReadGraphDef(frozen);
  ASSERT_TRUE(g.ok()) << g.status();
  for (const auto& n : g->node()) {
    EXPECT_NE(n.op(), "VarHandleOp") << n.name();
    EXPECT_NE(n.op(), "ReadVariableOp") << n.name();
  }
  for (const auto& fn : g->library().function()) {
    for (const auto& n : fn.node_def()) {
      EXPECT_FALSE(absl::StartsWith(n.op(), "Cudnn")) << fn.signature().name() << " " << n.name();
    }
  }
  auto fm = Model::LoadGraph(std::move(*g));
  ASSERT_TRUE(fm.ok()) << fm.status();
  auto got = (*fm)->Run({{sig.inputs.at("input_1").tensor_name, x}},
                        {sig.outputs.at("dense").tensor_name});
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ((*got)[0].shape(), y.shape());
  EXPECT_EQ(std::memcmp((*got)[0].raw_data(), y.raw_data(), y.TotalBytes()), 0);
}

// TF2's convert_variables_to_constants_v2 leaves disconnected variant placeholders named
// unused_control_flow_input_* in frozen graphs with loops: nothing must demand them.
TEST(KerasLstm, FrozenGraphWithUnusedControlFlowInputsRuns) {
  TFM_REQUIRE_TESTDATA();
  const std::string frozen = testing::TempDir() + "/keras_lstm_unused_inputs.pb";
  auto f =
      RunCommand(absl::StrCat(Quote(testing::TfmodelBinary()), " freeze --input_saved_model_dir ",
                              Quote(Testdata(kModel)), " --output_graph ", Quote(frozen)));
  ASSERT_EQ(f.exit_code, 0) << f.output;
  auto g = ReadGraphDef(frozen);
  ASSERT_TRUE(g.ok()) << g.status();
  for (int i = 0; i < 2; ++i) {
    auto* p = g->add_node();
    p->set_name(absl::StrCat("unused_control_flow_input_", i));
    p->set_op("Placeholder");
    (*p->mutable_attr())["dtype"].set_type(tensorflow::DT_VARIANT);
  }
  ASSERT_TRUE(WriteProtoFile(frozen, *g).ok());
  auto r = RunCommand(absl::StrCat(Quote(testing::TfmodelBinary()), " run ", Quote(frozen),
                                   " --synthetic_inputs --fetch StatefulPartitionedCall:0"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("float [1,1]"), std::string::npos) << r.output;
}

TEST(KerasLstm, CliRunsWithSyntheticInputs) {
  TFM_REQUIRE_TESTDATA();
  auto r = RunCommand(absl::StrCat(Quote(testing::TfmodelBinary()), " run ",
                                   Quote(Testdata(kModel)), " --synthetic_inputs"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("dense"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("float [1,1]"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace tfmodel
