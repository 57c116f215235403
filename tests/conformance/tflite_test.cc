// TFLite models written by TF's converter (TF Serving's test models, tf2onnx's regression
// model) read, inspected, run and served through runtime::LoadTfLiteModel; bad files fail
// with errors naming the file.
#include "format/tflite.h"

#include <cstdio>
#include <fstream>

#include "core/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/tflite_model.h"
#include "serving/servable.h"
#include "tensorflow/core/example/example.pb.h"
#include "test_util.h"

namespace tfmodel {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using tfmodel::testing::Quote;
using tfmodel::testing::RunCommand;
using tfmodel::testing::TempDir;
using tfmodel::testing::Testdata;
using tfmodel::testing::TfmodelBinary;

std::string HalfPlusTwo(bool sigdef) {
  return Testdata(
      sigdef ? "tf_serving/saved_model_half_plus_two_tflite_with_sigdef/00000123/model.tflite"
             : "tf_serving/saved_model_half_plus_two_tflite/00000123/model.tflite");
}

std::vector<float> Floats(const Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.NumElements());
}

TEST(TfLiteFileTest, ReadsHalfPlusTwo) {
  TFM_REQUIRE_TESTDATA();
  TFM_ASSERT_OK_AND_ASSIGN(auto f, TfLiteFile::Read(HalfPlusTwo(false)));
  const auto& m = f->model();
  EXPECT_EQ(m.version(), 3u);
  EXPECT_EQ(m.description()->str(), "TOCO Converted.");
  ASSERT_EQ(m.subgraphs()->size(), 1u);
  const auto& sg = *m.subgraphs()->Get(0);
  ASSERT_EQ(sg.operators()->size(), 2u);
  EXPECT_EQ(f->OperatorName(*sg.operators()->Get(0)), "MUL");
  EXPECT_EQ(f->OperatorName(*sg.operators()->Get(1)), "ADD");
  // Constants a = 0.5 and b = 2.
  TFM_ASSERT_OK_AND_ASSIGN(Tensor a, TfLiteConstant(*f, *sg.tensors()->Get(1)));
  TFM_ASSERT_OK_AND_ASSIGN(Tensor b, TfLiteConstant(*f, *sg.tensors()->Get(2)));
  EXPECT_EQ(a.data<float>()[0], 0.5f);
  EXPECT_EQ(b.data<float>()[0], 2.0f);
}

TEST(TfLiteFileTest, BadFilesFailWithTheFileName) {
  TFM_REQUIRE_TESTDATA();
  TFM_ASSERT_OK_AND_ASSIGN(std::string bytes, ReadFileToString(HalfPlusTwo(true)));
  const std::string dir = TempDir();
  // Truncated.
  const std::string trunc = JoinPath(dir, "trunc.tflite");
  TFM_ASSERT_OK(WriteStringToFile(trunc, bytes.substr(0, bytes.size() / 2)));
  auto r = TfLiteFile::Read(trunc);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr(trunc));
  EXPECT_THAT(r.status().message(), HasSubstr("failed verification"));
  // Wrong identifier.
  std::string wrong = bytes;
  wrong[4] = 'X';
  auto r2 = TfLiteFile::FromBytes(wrong, "wrong.tflite");
  ASSERT_FALSE(r2.ok());
  EXPECT_THAT(r2.status().message(), HasSubstr("wrong.tflite: not a TFLite model"));
  EXPECT_THAT(r2.status().message(), HasSubstr("expected 'TFL3'"));
  // Too short, and garbage.
  EXPECT_THAT(TfLiteFile::FromBytes("abc", "short.tflite").status().message(),
              HasSubstr("too short"));
  std::string garbage(256, '\xff');
  garbage.replace(4, 4, "TFL3");
  EXPECT_THAT(TfLiteFile::FromBytes(garbage, "g.tflite").status().message(),
              HasSubstr("g.tflite: TFLite flatbuffer failed verification"));
  // Every truncation fails cleanly (never crashes).
  for (size_t n = 0; n < bytes.size(); n += 7) {
    EXPECT_FALSE(TfLiteFile::FromBytes(bytes.substr(0, n), "t").ok()) << n;
  }
  // A missing file.
  EXPECT_FALSE(runtime::LoadTfLiteModel(JoinPath(dir, "none.tflite")).ok());
}

TEST(TfLiteModelTest, HalfPlusTwoWithoutSignatureDefs) {
  TFM_REQUIRE_TESTDATA();
  TFM_ASSERT_OK_AND_ASSIGN(auto m, runtime::LoadTfLiteModel(HalfPlusTwo(false)));
  ASSERT_EQ(m->signatures().count("serving_default"), 1u);
  const auto& sig = m->signatures().at("serving_default");
  ASSERT_EQ(sig.inputs.count("x"), 1u);
  ASSERT_EQ(sig.outputs.count("y"), 1u);
  EXPECT_EQ(sig.inputs.at("x").dtype, DType::kFloat);
  auto x = Tensor::FromVector<float>({1, 2, 5}, TensorShape{3, 1});
  TFM_ASSERT_OK_AND_ASSIGN(auto out, m->RunSignature("serving_default", {{"x", x}}));
  EXPECT_THAT(Floats(out.at("y")), ElementsAre(2.5f, 3.0f, 4.5f));
  // By tensor names too.
  TFM_ASSERT_OK_AND_ASSIGN(auto v, m->Run({{"x:0", x}}, {"y:0", "Mul"}));
  EXPECT_THAT(Floats(v[0]), ElementsAre(2.5f, 3.0f, 4.5f));
  EXPECT_THAT(Floats(v[1]), ElementsAre(0.5f, 1.0f, 2.5f));
  // Wrong dtype / alias.
  auto bad = m->RunSignature("serving_default", {{"x", Tensor::FromVector<int32_t>({1})}});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("input tensor 'x' is float, got int32"));
  EXPECT_THAT(m->RunSignature("serving_default", {{"z", x}}).status().message(),
              HasSubstr("has no input 'z'"));
  EXPECT_THAT(m->RunSignature("nope", {{"x", x}}).status().message(),
              HasSubstr("no signature 'nope'"));
}

TEST(TfLiteModelTest, HalfPlusTwoWithSignatureDefMetadata) {
  TFM_REQUIRE_TESTDATA();
  TFM_ASSERT_OK_AND_ASSIGN(auto m, runtime::LoadTfLiteModel(HalfPlusTwo(true)));
  const auto& sig = m->signatures().at("serving_default");
  EXPECT_EQ(sig.inputs.at("x").tensor_name, "tflite_input:0");
  EXPECT_EQ(sig.outputs.at("y").tensor_name, "y:0");
  EXPECT_EQ(sig.method_name, "tensorflow/serving/predict");
  auto x = Tensor::FromVector<float>({1, 2, 5}, TensorShape{3});
  TFM_ASSERT_OK_AND_ASSIGN(auto out, m->RunSignature("serving_default", {{"x", x}}));
  EXPECT_THAT(Floats(out.at("y")), ElementsAre(2.5f, 3.0f, 4.5f));
  // The meta graph carries the signature for GetModelMetadata.
  EXPECT_EQ(m->meta_graph().signature_def().at("serving_default").inputs().at("x").name(),
            "tflite_input:0");
}

TEST(TfLiteModelTest, RegressionModelWithSignatureDefs) {
  TFM_REQUIRE_TESTDATA();
  TFM_ASSERT_OK_AND_ASSIGN(
      auto m, runtime::LoadTfLiteModel(Testdata("tf2onnx/regression/tflite/model.tflite")));
  for (float x : {0.0f, 1.0f, 3.0f, -2.5f}) {
    TFM_ASSERT_OK_AND_ASSIGN(auto out,
                             m->RunSignature("serving_default", {{"X", Tensor::Scalar<float>(x)}}));
    EXPECT_NEAR(out.at("pred").data<float>()[0], 0.21396178f * x + 1.0495254f, 1e-6) << x;
  }
}

std::string ExampleWith(const std::map<std::string, float>& floats,
                        const std::map<std::string, std::string>& bytes) {
  tensorflow::Example e;
  auto& f = *e.mutable_features()->mutable_feature();
  for (const auto& [k, v] : floats) f[k].mutable_float_list()->add_value(v);
  for (const auto& [k, v] : bytes) f[k].mutable_bytes_list()->add_value(v);
  return e.SerializeAsString();
}

TEST(TfLiteModelTest, ParseExampleCustomOpRunsTheTfKernel) {
  TFM_REQUIRE_TESTDATA();
  TFM_ASSERT_OK_AND_ASSIGN(
      auto m,
      runtime::LoadTfLiteModel(Testdata("tf_serving/parse_example_tflite/00000123/model.tflite")));
  const auto& sig = m->signatures().at("serving_default");
  ASSERT_EQ(sig.inputs.count("input"), 1u);
  auto in = Tensor::FromVector<std::string>(
      {ExampleWith({{"x", 7.5f}}, {{"y", "hello"}}), ExampleWith({}, {})});
  TFM_ASSERT_OK_AND_ASSIGN(auto out, m->RunSignature("serving_default", {{"input", in}}));
  ASSERT_EQ(out.size(), 2u);
  const Tensor& xs = out.at("ParseExample/ParseExampleV2");
  const Tensor& ys = out.at("ParseExample/ParseExampleV2:1");
  ASSERT_EQ(xs.shape(), (TensorShape{2, 1}));
  ASSERT_EQ(ys.shape(), (TensorShape{2, 1}));
  EXPECT_EQ(xs.data<float>()[0], 7.5f);
  EXPECT_EQ(ys.data<std::string>()[0], "hello");
  // Missing features take the model's defaults.
  TFM_ASSERT_OK_AND_ASSIGN(
      auto f, TfLiteFile::Read(Testdata("tf_serving/parse_example_tflite/00000123/model.tflite")));
  const auto& sg = *f->model().subgraphs()->Get(0);
  TFM_ASSERT_OK_AND_ASSIGN(Tensor dx, TfLiteConstant(*f, *sg.tensors()->Get(3)));
  TFM_ASSERT_OK_AND_ASSIGN(Tensor dy, TfLiteConstant(*f, *sg.tensors()->Get(4)));
  EXPECT_EQ(xs.data<float>()[1], dx.data<float>()[0]);
  EXPECT_EQ(ys.data<std::string>()[1], dy.data<std::string>()[0]);
  EXPECT_EQ(dy.data<std::string>()[0], "missing");
}

TEST(TfLiteModelTest, ServedThroughServable) {
  TFM_REQUIRE_TESTDATA();
  for (bool sigdef : {false, true}) {
    TFM_ASSERT_OK_AND_ASSIGN(auto m, runtime::LoadTfLiteModel(HalfPlusTwo(sigdef)));
    serving::Servable s("half_plus_two", 123, std::shared_ptr<runtime::Model>(std::move(m)));
    tensorflow::serving::PredictRequest req;
    req.mutable_model_spec()->set_name("half_plus_two");
    auto& x = (*req.mutable_inputs())["x"];
    x.set_dtype(tensorflow::DT_FLOAT);
    x.mutable_tensor_shape()->add_dim()->set_size(3);
    for (float v : {1.0f, 2.0f, 5.0f}) x.add_float_val(v);
    tensorflow::serving::PredictResponse resp;
    TFM_ASSERT_OK(s.Predict(req, &resp));
    const auto& y = resp.outputs().at("y");
    ASSERT_EQ(y.float_val_size(), 3);
    EXPECT_EQ(y.float_val(0), 2.5f);
    EXPECT_EQ(y.float_val(1), 3.0f);
    EXPECT_EQ(y.float_val(2), 4.5f);
  }
}

TEST(TfLiteCliTest, InspectAndRun) {
  TFM_REQUIRE_TESTDATA();
  auto r = RunCommand(TfmodelBinary() + " inspect " +
                      Quote(Testdata("tf2onnx/regression/tflite/model.tflite")));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("schema version: 3"));
  EXPECT_THAT(r.output, HasSubstr("0: MUL v1  inputs [0, 2] outputs [3]"));
  EXPECT_THAT(r.output, HasSubstr("input 'X': tensor 0 (X:0) FLOAT32 []"));
  EXPECT_THAT(r.output, HasSubstr("min_runtime_version"));
  r = RunCommand(TfmodelBinary() + " inspect --json " + Quote(HalfPlusTwo(false)));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"description\": \"TOCO Converted.\""));
  EXPECT_THAT(r.output, HasSubstr("\"op\": \"MUL\""));
  r = RunCommand(TfmodelBinary() + " run " + Quote(HalfPlusTwo(true)) +
                 " --input_exprs 'x=[1,2,5]'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("[2.5 3. 4.5]"));
  const std::string trunc = JoinPath(TempDir(), "cut.tflite");
  TFM_ASSERT_OK_AND_ASSIGN(std::string bytes, ReadFileToString(HalfPlusTwo(true)));
  TFM_ASSERT_OK(WriteStringToFile(trunc, bytes.substr(0, 100)));
  r = RunCommand(TfmodelBinary() + " inspect " + Quote(trunc));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("cut.tflite: TFLite flatbuffer failed verification"));
}

}  // namespace
}  // namespace tfmodel
