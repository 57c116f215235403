// Running the corpus models through runtime::Model and the `tfmodel run` CLI, and the
// freeze/export round trips on the tf2onnx regression model.
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "format/checkpoint.h"
#include "format/npy.h"
#include "format/saved_model.h"
#include "graph/freeze.h"
#include "gtest/gtest.h"
#include "runtime/model.h"
#include "tensorflow/core/example/example.pb.h"
#include "test_util.h"

namespace tfmodel {
namespace {

using runtime::Model;
using testing::Quote;
using testing::RunCommand;
using testing::Testdata;

constexpr float kW = 0.21396178f;
constexpr float kB = 1.0495254f;

Tensor Column(const std::vector<float>& v) {
  return Tensor::FromVector<float>(v, TensorShape{static_cast<int64_t>(v.size()), 1});
}

void ExpectValues(const Tensor& t, const std::vector<float>& want, float tol = 1e-6f) {
  ASSERT_EQ(t.dtype(), DType::kFloat);
  ASSERT_EQ(t.NumElements(), static_cast<int64_t>(want.size())) << t.DebugString();
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(t.data<float>()[i], want[i], tol) << i;
}

void ExpectRegression(const Tensor& x, const Tensor& pred) {
  ASSERT_EQ(pred.NumElements(), x.NumElements());
  for (int64_t i = 0; i < x.NumElements(); ++i) {
    EXPECT_NEAR(pred.data<float>()[i], kW * x.data<float>()[i] + kB, 1e-6) << i;
  }
}

std::vector<Tensor> RegressionInputs() {
  return {Tensor::Scalar(3.0f), Tensor::FromVector<float>({1, -2, 0.5f}),
          Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, TensorShape{2, 3}),
          Tensor::FromVector<float>({}, TensorShape{0})};
}

TEST(RunModels, RegressionFrozenGraph) {
  TFM_REQUIRE_TESTDATA();
  auto g = ReadGraphDef(Testdata("tf2onnx/regression/graphdef/frozen.pb"));
  ASSERT_TRUE(g.ok());
  auto m = Model::LoadGraph(std::move(*g));
  ASSERT_TRUE(m.ok()) << m.status();
  for (const Tensor& x : RegressionInputs()) {
    auto out = (*m)->Run({{"X:0", x}}, {"pred:0"});
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ((*out)[0].shape(), x.shape());
    ExpectRegression(x, (*out)[0]);
  }
}

TEST(RunModels, RegressionSavedModel) {
  TFM_REQUIRE_TESTDATA();
  auto m = Model::LoadSavedModel(Testdata("tf2onnx/regression/saved_model"));
  ASSERT_TRUE(m.ok()) << m.status();
  for (const Tensor& x : RegressionInputs()) {
    auto out = (*m)->RunSignature("serving_default", {{"X", x}});
    ASSERT_TRUE(out.ok()) << out.status();
    ExpectRegression(x, out->at("pred"));
  }
}

TEST(RunModels, RegressionCheckpointMetaGraph) {
  TFM_REQUIRE_TESTDATA();
  auto mg = ReadMetaGraphDef(Testdata("tf2onnx/regression/checkpoint/model.meta"));
  ASSERT_TRUE(mg.ok());
  auto prefix = ResolveCheckpointPrefix(Testdata("tf2onnx/regression/checkpoint"));
  ASSERT_TRUE(prefix.ok()) << prefix.status();
  auto m = Model::LoadMetaGraph(std::move(*mg), *prefix);
  ASSERT_TRUE(m.ok()) << m.status();
  for (const Tensor& x : RegressionInputs()) {
    auto out = (*m)->Run({{"X:0", x}}, {"pred:0"});
    ASSERT_TRUE(out.ok()) << out.status();
    ExpectRegression(x, (*out)[0]);
  }
}

TEST(RunModels, FrozenByUsEqualsFrozenByTensorFlow) {
  TFM_REQUIRE_TESTDATA();
  auto mg = ReadMetaGraphDef(Testdata("tf2onnx/regression/checkpoint/model.meta"));
  auto reader = CheckpointReader::Open(Testdata("tf2onnx/regression/checkpoint/model"));
  ASSERT_TRUE(mg.ok() && reader.ok());
  FreezeOptions opt;
  opt.output_nodes = {"pred"};
  auto ours = FreezeGraph(mg->graph_def(), **reader, opt);
  auto theirs = ReadGraphDef(Testdata("tf2onnx/regression/graphdef/frozen.pb"));
  ASSERT_TRUE(ours.ok() && theirs.ok());
  auto a = Model::LoadGraph(*ours);
  auto b = Model::LoadGraph(*theirs);
  ASSERT_TRUE(a.ok() && b.ok());
  for (const Tensor& x : RegressionInputs()) {
    auto ya = (*a)->Run({{"X:0", x}}, {"pred:0"});
    auto yb = (*b)->Run({{"X:0", x}}, {"pred:0"});
    ASSERT_TRUE(ya.ok() && yb.ok());
    ASSERT_EQ((*ya)[0].TotalBytes(), (*yb)[0].TotalBytes());
    EXPECT_EQ(std::memcmp((*ya)[0].raw_data(), (*yb)[0].raw_data(), (*ya)[0].TotalBytes()), 0);
  }
}

TEST(RunModels, ExportFreezeRunRoundTrip) {
  TFM_REQUIRE_TESTDATA();
  std::string dir = testing::TempDir();
  std::string bin = Quote(testing::TfmodelBinary());
  auto e = RunCommand(absl::StrCat(
      bin, " export --input_meta_graph ",
      Quote(Testdata("tf2onnx/regression/checkpoint/model.meta")), " --input_checkpoint ",
      Quote(Testdata("tf2onnx/regression/checkpoint/model")), " --signature ",
      Quote("serving_default: inputs X=X:0; outputs pred=pred:0; method predict"),
      " --export_base ", Quote(dir + "/regression")));
  ASSERT_EQ(e.exit_code, 0) << e.output;
  auto m = Model::LoadSavedModel(dir + "/regression/1");
  ASSERT_TRUE(m.ok()) << m.status();
  Tensor x = Tensor::FromVector<float>({1, 2, 5});
  auto y = (*m)->RunSignature("serving_default", {{"X", x}});
  ASSERT_TRUE(y.ok()) << y.status();
  ExpectRegression(x, y->at("pred"));
  // export -> freeze -> run equals the source.
  auto f =
      RunCommand(absl::StrCat(bin, " freeze --input_saved_model_dir ", Quote(dir + "/regression/1"),
                              " --output_graph ", Quote(dir + "/frozen.pb")));
  ASSERT_EQ(f.exit_code, 0) << f.output;
  auto g = ReadGraphDef(dir + "/frozen.pb");
  ASSERT_TRUE(g.ok());
  for (const auto& n : g->node()) EXPECT_NE(n.op(), "VariableV2") << n.name();
  auto fm = Model::LoadGraph(std::move(*g));
  ASSERT_TRUE(fm.ok()) << fm.status();
  auto fy = (*fm)->Run({{"X:0", x}}, {"pred:0"});
  ASSERT_TRUE(fy.ok()) << fy.status();
  ExpectRegression(x, (*fy)[0]);
}

TEST(RunModels, ExportFromFrozenGraphRunsIdentically) {
  TFM_REQUIRE_TESTDATA();
  std::string dir = testing::TempDir();
  std::string bin = Quote(testing::TfmodelBinary());
  auto e = RunCommand(
      absl::StrCat(bin, " export --input_graph ", Quote(Testdata("tf2onnx/fc-layers/frozen.pb")),
                   " --signature ", Quote("serving_default: inputs x=X:0; outputs y=output:0"),
                   " --unfreeze_min_bytes 1024 --export_dir ", Quote(dir + "/fc/1")));
  ASSERT_EQ(e.exit_code, 0) << e.output;
  auto m = Model::LoadSavedModel(dir + "/fc/1");
  ASSERT_TRUE(m.ok()) << m.status();
  auto x = ReadNpy(Testdata("golden/fc-layers_in.npy"));
  auto want = ReadNpy(Testdata("golden/fc-layers_out.npy"));
  ASSERT_TRUE(x.ok() && want.ok());
  auto y = (*m)->RunSignature("serving_default", {{"x", *x}});
  ASSERT_TRUE(y.ok()) << y.status();
  const Tensor& got = y->at("y");
  ASSERT_EQ(got.NumElements(), want->NumElements());
  for (int64_t i = 0; i < got.NumElements(); ++i)
    EXPECT_NEAR(got.data<float>()[i], want->data<float>()[i], 1e-3);
  // The weights went into the variables bundle, so saved_model.pb is small.
  auto size = ReadFileToString(dir + "/fc/1/saved_model.pb");
  ASSERT_TRUE(size.ok());
  EXPECT_LT(size->size(), 50000u);
}

TEST(RunModels, HalfPlusTwoVariants) {
  TFM_REQUIRE_TESTDATA();
  for (const char* dir :
       {"tf_serving/saved_model_half_plus_two_cpu/00000123",
        "tf_serving/saved_model_half_plus_two_gpu/00000123",
        "tf_serving/saved_model_half_plus_two_2_versions/00000124",
        "tf_serving/saved_model_half_plus_two_cpu_with_saved_model_config/00000123",
        "tf_serving/saved_model_half_plus_two_cpu_with_empty_saved_model_config/00000123"}) {
    SCOPED_TRACE(dir);
    auto m = Model::LoadSavedModel(Testdata(dir));
    ASSERT_TRUE(m.ok()) << m.status();
    auto y = (*m)->RunSignature("serving_default", {{"x", Column({1, 2, 5})}});
    ASSERT_TRUE(y.ok()) << y.status();
    ExpectValues(y->at("y"), {2.5f, 3.0f, 4.5f});
    auto y3 = (*m)->RunSignature("regress_x2_to_y3", {{"inputs", Column({1, 2, 5})}});
    ASSERT_TRUE(y3.ok()) << y3.status();
    ExpectValues(y3->at("outputs"), {3.5f, 4.0f, 5.5f});
  }
}

TEST(RunModels, HalfPlusThreeAndMatrix) {
  TFM_REQUIRE_TESTDATA();
  auto three = Model::LoadSavedModel(Testdata("tf_serving/saved_model_half_plus_three/00000123"));
  ASSERT_TRUE(three.ok()) << three.status();
  auto y = (*three)->RunSignature("serving_default", {{"x", Column({1, 2, 5})}});
  ASSERT_TRUE(y.ok()) << y.status();
  ExpectValues(y->at("y"), {3.5f, 4.0f, 5.5f});
  auto matrix = Model::LoadSavedModel(Testdata("tf_serving/matrix_half_plus_two/1"));
  ASSERT_TRUE(matrix.ok()) << matrix.status();
  const auto& sig = (*matrix)->signatures().at("serving_default");
  std::string in = sig.inputs.begin()->first;
  std::string out = sig.outputs.begin()->first;
  auto ym = (*matrix)->RunSignature(
      "serving_default", {{in, Tensor::FromVector<float>({1, 2, 3, 4}, TensorShape{2, 2})}});
  ASSERT_TRUE(ym.ok()) << ym.status();
  ExpectValues(ym->at(out), {2.5f, 3.0f, 3.5f, 4.0f});
}

TEST(RunModels, SessionBundle) {
  TFM_REQUIRE_TESTDATA();
  auto m = Model::LoadSavedModel(Testdata("tf_serving/session_bundle_half_plus_two/00000123"));
  ASSERT_TRUE(m.ok()) << m.status();
  // The legacy default signature is a regression over serialized tf.Examples.
  ASSERT_TRUE((*m)->signatures().count("serving_default"));
  Tensor examples(DType::kString, TensorShape{3});
  const float xs[] = {1, 2, 5};
  for (int i = 0; i < 3; ++i) {
    tensorflow::Example ex;
    (*ex.mutable_features()->mutable_feature())["x"].mutable_float_list()->add_value(xs[i]);
    examples.data<std::string>()[i] = ex.SerializeAsString();
  }
  auto y = (*m)->RunSignature("serving_default", {{"inputs", examples}});
  ASSERT_TRUE(y.ok()) << y.status();
  ExpectValues(y->at("outputs"), {2.5f, 3.0f, 4.5f});
}

TEST(RunModels, FeedErrorsNameTheInput) {
  TFM_REQUIRE_TESTDATA();
  auto m = Model::LoadSavedModel(Testdata("tf2onnx/regression/saved_model"));
  ASSERT_TRUE(m.ok());
  auto wrong_dtype =
      (*m)->RunSignature("serving_default", {{"X", Tensor::FromVector<int32_t>({1})}});
  ASSERT_FALSE(wrong_dtype.ok());
  EXPECT_NE(wrong_dtype.status().message().find("X"), std::string::npos) << wrong_dtype.status();
  auto missing = (*m)->RunSignature("serving_default", {});
  ASSERT_FALSE(missing.ok());
  auto unknown = (*m)->RunSignature("nope", {{"X", Tensor::Scalar(1.0f)}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("nope"), std::string::npos) << unknown.status();
}

TEST(RunCli, SignatureAndPlainGraph) {
  TFM_REQUIRE_TESTDATA();
  std::string bin = Quote(testing::TfmodelBinary());
  std::string dir = testing::TempDir();
  auto r = RunCommand(
      absl::StrCat(bin, " run ", Quote(Testdata("tf2onnx/regression/saved_model")),
                   " --signature_def serving_default --input_exprs 'X=[1.0, 2.0, 5.0]'"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Result for output key pred:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("float [3]"), std::string::npos) << r.output;
  auto o = RunCommand(absl::StrCat(bin, " run ", Quote(Testdata("tf2onnx/fc-layers/frozen.pb")),
                                   " --feed ", Quote("X:0=" + Testdata("golden/fc-layers_in.npy")),
                                   " --fetch output:0 --outdir ", Quote(dir)));
  ASSERT_EQ(o.exit_code, 0) << o.output;
  auto got = ReadNpy(dir + "/output_0.npy");
  auto want = ReadNpy(Testdata("golden/fc-layers_out.npy"));
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(want.ok());
  for (int64_t i = 0; i < want->NumElements(); ++i) {
    EXPECT_NEAR(got->data<float>()[i], want->data<float>()[i], 1e-3);
  }
  auto bad = RunCommand(absl::StrCat(
      bin, " run ", Quote(Testdata("tf2onnx/regression/saved_model")), " --input_exprs 'Y=[1.0]'"));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("has no input 'Y'; inputs are: X"), std::string::npos) << bad.output;
  auto synth =
      RunCommand(absl::StrCat(bin, " run ", Quote(Testdata("tf2onnx/lstm/frozen.pb")),
                              " --synthetic_inputs --feed 'keep_prob:0=1.0' --fetch output:0"));
  EXPECT_EQ(synth.exit_code, 0) << synth.output;
  EXPECT_NE(synth.output.find("float [1,10]"), std::string::npos) << synth.output;
}

}  // namespace
}  // namespace tfmodel

namespace tfmodel {
namespace {

// Freezing a SavedModel keeps its outputs: run the signature, then the frozen graph.
void ExpectFrozenMatchesSavedModel(const std::string& dir,
                                   const std::map<std::string, Tensor>& inputs,
                                   const std::string& signature = "serving_default") {
  SCOPED_TRACE(dir + " " + signature);
  auto m = Model::LoadSavedModel(Testdata(dir));
  ASSERT_TRUE(m.ok()) << m.status();
  const auto& sig = (*m)->signatures().at(signature);
  auto want = (*m)->RunSignature(signature, inputs);
  ASSERT_TRUE(want.ok()) << want.status();
  std::string out = testing::TempDir() + "/frozen.pb";
  auto f = RunCommand(absl::StrCat(Quote(testing::TfmodelBinary()),
                                   " freeze --input_saved_model_dir ", Quote(Testdata(dir)),
                                   " --signature_def ", signature, " --output_graph ", Quote(out)));
  ASSERT_EQ(f.exit_code, 0) << f.output;
  auto g = ReadGraphDef(out);
  ASSERT_TRUE(g.ok()) << g.status();
  auto fm = Model::LoadGraph(std::move(*g));
  ASSERT_TRUE(fm.ok()) << fm.status();
  std::vector<std::pair<std::string, Tensor>> feeds;
  for (const auto& [alias, t] : inputs) feeds.emplace_back(sig.inputs.at(alias).tensor_name, t);
  std::vector<std::string> fetches, aliases;
  for (const auto& [alias, spec] : sig.outputs) {
    fetches.push_back(spec.tensor_name);
    aliases.push_back(alias);
  }
  auto got = (*fm)->Run(feeds, fetches);
  ASSERT_TRUE(got.ok()) << got.status();
  for (size_t i = 0; i < aliases.size(); ++i) {
    const Tensor& a = (*got)[i];
    const Tensor& b = want->at(aliases[i]);
    ASSERT_EQ(a.shape(), b.shape()) << aliases[i];
    ASSERT_EQ(a.dtype(), b.dtype()) << aliases[i];
    ASSERT_EQ(a.TotalBytes(), b.TotalBytes());
    EXPECT_EQ(std::memcmp(a.raw_data(), b.raw_data(), a.TotalBytes()), 0) << aliases[i];
  }
}

TEST(FreezeOutputs, HalfPlusTwoHalfPlusThreeTemplateApplication) {
  TFM_REQUIRE_TESTDATA();
  ExpectFrozenMatchesSavedModel("tf_serving/saved_model_half_plus_two_cpu/00000123",
                                {{"x", Column({1, 2, 5})}});
  ExpectFrozenMatchesSavedModel("tf_serving/saved_model_half_plus_three/00000123",
                                {{"x", Column({1, 2, 5})}});
  Tensor features(DType::kFloat, TensorShape{2, 9});
  for (int64_t i = 0; i < features.NumElements(); ++i)
    features.data<float>()[i] = 0.1f * static_cast<float>(i % 7);
  ExpectFrozenMatchesSavedModel(
      "stfs/tensorflow_template_application_model/1",
      {{"features", features}, {"keys", Tensor::FromVector<int32_t>({1, 2}, TensorShape{2, 1})}});
}

// TF2: the signatures are StatefulPartitionedCalls that read captured variables; freezing
// inlines them and the saver's restore function (object-graph checkpoint keys).
TEST(FreezeOutputs, Tf2SavedModelInlinesFunctionCalls) {
  TFM_REQUIRE_TESTDATA();
  const std::string dir = "tf_serving/saved_model_half_plus_two_tf2_cpu/00000123";
  ExpectFrozenMatchesSavedModel(dir, {{"x", Tensor::FromVector<float>({1, 2, 5})}});
  ExpectFrozenMatchesSavedModel(dir, {{"inputs", Tensor::FromVector<float>({4})}},
                                "regress_x2_to_y3");
  // The frozen graph holds no variable ops and no function library, and says so.
  std::string out = testing::TempDir() + "/tf2_frozen.pbtxt";
  auto f =
      RunCommand(absl::StrCat(Quote(testing::TfmodelBinary()), " freeze --input_saved_model_dir ",
                              Quote(Testdata(dir)), " --output_graph ", Quote(out), " --as_text"));
  ASSERT_EQ(f.exit_code, 0) << f.output;
  EXPECT_NE(f.output.find("Inlined "), std::string::npos) << f.output;
  EXPECT_NE(f.output.find("Converted 2 variables"), std::string::npos) << f.output;
  auto g = ReadGraphDef(out);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->library().function_size(), 0);
  for (const auto& n : g->node()) {
    EXPECT_NE(n.op(), "VarHandleOp") << n.name();
    EXPECT_NE(n.op(), "ReadVariableOp") << n.name();
    EXPECT_NE(n.op(), "StatefulPartitionedCall") << n.name();
  }
}

TEST(ExportErrors, ShapeMismatchAndUnwritableFolder) {
  TFM_REQUIRE_TESTDATA();
  std::string dir = testing::TempDir();
  std::string bin = Quote(testing::TfmodelBinary());
  // A graph whose variable W is declared [2] while the checkpoint holds a scalar.
  auto mg = ReadMetaGraphDef(Testdata("tf2onnx/regression/checkpoint/model.meta"));
  ASSERT_TRUE(mg.ok());
  for (auto& n : *mg->mutable_graph_def()->mutable_node()) {
    if (n.name() == "W") {
      auto* shape = (*n.mutable_attr())["shape"].mutable_shape();
      shape->Clear();
      shape->add_dim()->set_size(2);
    }
  }
  std::string meta = dir + "/bad.meta";
  ASSERT_TRUE(WriteStringToFile(meta, mg->SerializeAsString()).ok());
  auto r = RunCommand(absl::StrCat(
      bin, " export --input_meta_graph ", Quote(meta), " --input_checkpoint ",
      Quote(Testdata("tf2onnx/regression/checkpoint/model")), " --signature ",
      Quote("s: inputs X=X:0; outputs y=pred:0"), " --export_base ", Quote(dir + "/m")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("variable 'W' has shape [2] in the graph but [] in checkpoint"),
            std::string::npos)
      << r.output;
  auto f = RunCommand(
      absl::StrCat(bin, " freeze --input_meta_graph ", Quote(meta), " --input_checkpoint ",
                   Quote(Testdata("tf2onnx/regression/checkpoint/model")),
                   " --output_node_names pred --output_graph ", Quote(dir + "/f.pb")));
  EXPECT_EQ(f.exit_code, 1);
  EXPECT_NE(f.output.find("variable 'W' has shape [2] in the graph but [] in the checkpoint"),
            std::string::npos)
      << f.output;
  // An export base under a read-only folder: clear error, nothing left behind.
  std::string ro = dir + "/readonly";
  std::filesystem::create_directories(ro);
  std::filesystem::permissions(
      ro, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  bool root =
      ::geteuid() == 0;  // root ignores permissions; then only check nothing is half-written
  auto w = RunCommand(absl::StrCat(
      bin, " export --input_meta_graph ",
      Quote(Testdata("tf2onnx/regression/checkpoint/model.meta")), " --input_checkpoint ",
      Quote(Testdata("tf2onnx/regression/checkpoint/model")), " --signature ",
      Quote("s: inputs X=X:0; outputs y=pred:0"), " --export_base ", Quote(ro + "/m")));
  if (!root) {
    EXPECT_EQ(w.exit_code, 1) << w.output;
    EXPECT_FALSE(std::filesystem::exists(ro + "/m/1"));
  }
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(root ? ro + "/m" : ro, ec)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos)
        << "left behind: " << e.path();
  }
  std::filesystem::permissions(ro, std::filesystem::perms::owner_all);
}

}  // namespace
}  // namespace tfmodel
