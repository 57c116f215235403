// TFLite models written by TF's converter (TF Serving's test models, tf2onnx's regression
// model) read, inspected, run and served through tflite::LoadTfLiteModel; bad files fail
// with errors naming the file.
#include "format/tflite.h"

#include <cmath>
#include <cstdio>
#include <fstream>

#include "core/file_util.h"
#include "format/npy.h"
#include "format/saved_model.h"
#include "format/tensor_proto.h"
#include "gmock/gmock.h"
#include "graph/graph_builder.h"
#include "gtest/gtest.h"
#include "serving/servable.h"
#include "tensorflow/core/example/example.pb.h"
#include "test_util.h"
#include "tflite/converter.h"
#include "tflite/model.h"
#include "tflite/quant_math.h"
#include "tflite_test_util.h"

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
  EXPECT_FALSE(tflite::LoadTfLiteModel(JoinPath(dir, "none.tflite")).ok());
}

TEST(TfLiteModelTest, HalfPlusTwoWithoutSignatureDefs) {
  TFM_REQUIRE_TESTDATA();
  TFM_ASSERT_OK_AND_ASSIGN(auto m, tflite::LoadTfLiteModel(HalfPlusTwo(false)));
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
  TFM_ASSERT_OK_AND_ASSIGN(auto m, tflite::LoadTfLiteModel(HalfPlusTwo(true)));
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
      auto m, tflite::LoadTfLiteModel(Testdata("tf2onnx/regression/tflite/model.tflite")));
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
      tflite::LoadTfLiteModel(Testdata("tf_serving/parse_example_tflite/00000123/model.tflite")));
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
    TFM_ASSERT_OK_AND_ASSIGN(auto m, tflite::LoadTfLiteModel(HalfPlusTwo(sigdef)));
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
  // A version folder / base path holding model.tflite.
  r = RunCommand(TfmodelBinary() + " run " +
                 Quote(Testdata("tf_serving/saved_model_half_plus_two_tflite/00000123")) +
                 " --input_exprs 'x=[1,2,5]'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("[2.5 3. 4.5]"));
  r = RunCommand(TfmodelBinary() + " inspect " +
                 Quote(Testdata("tf_serving/saved_model_half_plus_two_tflite")));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("00000123/model.tflite (768 bytes)"));
  const std::string trunc = JoinPath(TempDir(), "cut.tflite");
  TFM_ASSERT_OK_AND_ASSIGN(std::string bytes, ReadFileToString(HalfPlusTwo(true)));
  TFM_ASSERT_OK(WriteStringToFile(trunc, bytes.substr(0, 100)));
  r = RunCommand(TfmodelBinary() + " inspect " + Quote(trunc));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("cut.tflite: TFLite flatbuffer failed verification"));
}

// Issue #13: the kind of model is recognized by content. A TFLite file named `.lite` (TF
// 1.x's TOCO name) or with no extension is inspected and run as TFLite.
TEST(TfLiteCliTest, RecognizedByContentWhateverTheName) {
  TFM_REQUIRE_TESTDATA();
  const std::string src =
      Testdata("wild/mobilenet-v1-025-float-metadata/mobilenet_v1_0.25_224_1_metadata_1.tflite");
  TFM_ASSERT_OK_AND_ASSIGN(std::string bytes, ReadFileToString(src));
  for (const char* name : {"mobilenet.lite", "mobilenet"}) {
    const std::string path = JoinPath(TempDir(), name);
    TFM_ASSERT_OK(WriteStringToFile(path, bytes));
    auto r = RunCommand(TfmodelBinary() + " inspect " + Quote(path));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr("TFLite model " + path));
    r = RunCommand(TfmodelBinary() + " run " + Quote(path) + " --synthetic_inputs");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    // The 1001-class softmax output.
    EXPECT_THAT(r.output, HasSubstr("Result for output key MobilenetV1/Predictions/Reshape_1"));
    EXPECT_THAT(r.output, HasSubstr("float [1,1001]"));
  }
  // A frozen GraphDef named .tflite is a GraphDef.
  const std::string pb = JoinPath(TempDir(), "frozen.tflite");
  TFM_ASSERT_OK_AND_ASSIGN(std::string graph,
                           ReadFileToString(Testdata("tf2onnx/regression/graphdef/frozen.pb")));
  TFM_ASSERT_OK(WriteStringToFile(pb, graph));
  auto r = RunCommand(TfmodelBinary() + " inspect " + Quote(pb));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("GraphDef: " + pb));
  const std::string junk = JoinPath(TempDir(), "junk.tflite");
  TFM_ASSERT_OK(WriteStringToFile(junk, std::string("\x01\x02junk", 6)));
  r = RunCommand(TfmodelBinary() + " run " + Quote(junk));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("is not a model tfmodel can run"));
}

// --synthetic_inputs on TFLite inputs: the declared shape when there is no shape_signature
// (older converters), -1 in a shape_signature as 1, uint8/int8 of the declared type.
TEST(TfLiteCliTest, SyntheticInputsUseTheDeclaredShapeAndType) {
  TFM_REQUIRE_TESTDATA();
  struct Case {
    const char* rel;
    const char* want;
  } cases[] = {
      // shape [1,256] int32, no shape_signature.
      {"wild/movie-review-nl-classifier-metadata/movie_review.tflite", "float [1,2]"},
      // int8 [1,640].
      {"wild/tiny-ad-autoencoder-int8/ad01_int8.tflite", "int8 [1,640]"},
  };
  for (const Case& c : cases) {
    auto r = RunCommand(TfmodelBinary() + " run " + Quote(Testdata(c.rel)) + " --synthetic_inputs");
    EXPECT_EQ(r.exit_code, 0) << c.rel << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr(c.want)) << c.rel;
  }
  // Models whose inputs are now right but which stop later at a quantized kernel tfmodel
  // lacks (uint8 AVERAGE_POOL_2D, int8 SOFTMAX): the inputs no longer fail. The TOCO uint8
  // MobileNet declares [1,128,128,3] without a shape_signature; the wake-word model has
  // shape_signature [-1,30,1,40].
  for (const char* rel : {"wild/coral-mobilenet-v1-025-uint8/mobilenet_v1_0.25_128_quant.tflite",
                          "wild/tiny-streaming-wakeword/str_ww_ref_model.tflite"}) {
    auto r = RunCommand(TfmodelBinary() + " run " + Quote(Testdata(rel)) + " --synthetic_inputs");
    EXPECT_THAT(r.output, ::testing::Not(HasSubstr("4-D"))) << rel;
    EXPECT_THAT(r.output, ::testing::Not(HasSubstr("shape signature"))) << rel;
    EXPECT_THAT(r.output, ::testing::AnyOf(HasSubstr("Result for output key"),
                                           HasSubstr("(AVERAGE_POOL_2D)"), HasSubstr("(SOFTMAX)")))
        << rel;
  }
}

}  // namespace
}  // namespace tfmodel

// ---- Conversion -------------------------------------------------------------------------

namespace tfmodel {
namespace {

absl::StatusOr<std::unique_ptr<runtime::Model>> LoadBytes(const std::string& bytes) {
  TFM_ASSIGN_OR_RETURN(auto f, TfLiteFile::FromBytes(bytes, "converted.tflite"));
  return tflite::LoadTfLiteModel(std::move(f));
}

std::vector<std::string> OperatorNames(const std::string& bytes) {
  std::vector<std::string> names;
  auto f = TfLiteFile::FromBytes(bytes, "x");
  if (!f.ok()) return names;
  const auto& sg = *(*f)->model().subgraphs()->Get(0);
  for (const auto* op : *sg.operators()) names.push_back((*f)->OperatorName(*op));
  return names;
}

double MaxRelError(const Tensor& got, const Tensor& want) {
  double max_ref = 0, max_err = 0;
  for (int64_t i = 0; i < want.NumElements(); ++i) {
    max_ref = std::max(max_ref, std::abs(double(want.data<float>()[i])));
    max_err =
        std::max(max_err, std::abs(double(got.data<float>()[i]) - double(want.data<float>()[i])));
  }
  return max_ref > 0 ? max_err / max_ref : max_err;
}

TEST(TfLiteConvertTest, RegressionMatchesTfConverter) {
  TFM_REQUIRE_TESTDATA();
  TFM_ASSERT_OK_AND_ASSIGN(auto graph,
                           ReadGraphDef(Testdata("tf2onnx/regression/graphdef/frozen.pb")));
  tflite::TfLiteConvertOptions opt;
  opt.input_arrays = {"X"};
  opt.output_arrays = {"pred"};
  tflite::TfLiteConvertReport report;
  TFM_ASSERT_OK_AND_ASSIGN(std::string bytes, tflite::ConvertGraphToTfLite(graph, opt, &report));
  TFM_ASSERT_OK_AND_ASSIGN(std::string tf_bytes,
                           ReadFileToString(Testdata("tf2onnx/regression/tflite/model.tflite")));
  EXPECT_EQ(OperatorNames(bytes), OperatorNames(tf_bytes));
  EXPECT_THAT(OperatorNames(bytes), ElementsAre("MUL", "ADD"));
  EXPECT_THAT(report.operators, ElementsAre("MUL", "ADD"));
  TFM_ASSERT_OK_AND_ASSIGN(auto ours, LoadBytes(bytes));
  TFM_ASSERT_OK_AND_ASSIGN(
      auto theirs, tflite::LoadTfLiteModel(Testdata("tf2onnx/regression/tflite/model.tflite")));
  // Same signature aliases and the same values.
  ASSERT_EQ(ours->signatures().count("serving_default"), 1u);
  for (float x : {0.0f, 1.0f, -7.25f, 100.0f}) {
    TFM_ASSERT_OK_AND_ASSIGN(
        auto a, ours->RunSignature("serving_default", {{"X", Tensor::Scalar<float>(x)}}));
    TFM_ASSERT_OK_AND_ASSIGN(
        auto b, theirs->RunSignature("serving_default", {{"X", Tensor::Scalar<float>(x)}}));
    EXPECT_EQ(a.at("pred").data<float>()[0], b.at("pred").data<float>()[0]) << x;
  }
}

struct ConvertCase {
  const char* name;
  std::vector<std::string> inputs;
  std::vector<std::string> expect_ops_prefix;
};

// How the converted file stores its weights.
enum class Weights { kFloat, kInt8, kFloat16 };

void CheckConvertedGolden(const ConvertCase& c, Weights weights, double tolerance) {
  SCOPED_TRACE(c.name);
  TFM_ASSERT_OK_AND_ASSIGN(auto graph,
                           ReadGraphDef(Testdata(absl::StrCat("tf2onnx/", c.name, "/frozen.pb"))));
  tflite::TfLiteConvertOptions opt;
  opt.input_arrays = c.inputs;
  opt.output_arrays = {"output"};
  opt.quantize_weights = weights == Weights::kInt8;
  opt.quantize_float16 = weights == Weights::kFloat16;
  const char* tag = weights == Weights::kInt8      ? "_quant"
                    : weights == Weights::kFloat16 ? "_fp16"
                                                   : "";
  const bool keep_prob = c.inputs.size() > 1;
  if (keep_prob) opt.input_shapes = {{}, {}};
  tflite::TfLiteConvertReport report;
  TFM_ASSERT_OK_AND_ASSIGN(std::string bytes, tflite::ConvertGraphToTfLite(graph, opt, &report));
  const auto ops = OperatorNames(bytes);
  ASSERT_GE(ops.size(), c.expect_ops_prefix.size());
  for (size_t i = 0; i < c.expect_ops_prefix.size(); ++i)
    EXPECT_EQ(ops[i], c.expect_ops_prefix[i]) << i;
  TFM_ASSERT_OK_AND_ASSIGN(auto lite, LoadBytes(bytes));
  TFM_ASSERT_OK_AND_ASSIGN(auto frozen, runtime::Model::LoadGraph(graph));
  for (const char* suffix : {"", "4"}) {
    TFM_ASSERT_OK_AND_ASSIGN(
        Tensor x, ReadNpy(Testdata(absl::StrCat("golden/", c.name, "_in", suffix, ".npy"))));
    TFM_ASSERT_OK_AND_ASSIGN(
        Tensor want, ReadNpy(Testdata(absl::StrCat("golden/", c.name, "_out", suffix, ".npy"))));
    std::map<std::string, Tensor> in = {{"X", x}};
    std::vector<std::pair<std::string, Tensor>> feeds = {{"X:0", x}};
    if (keep_prob) {
      in["keep_prob"] = Tensor::Scalar(1.0f);
      feeds.emplace_back("keep_prob:0", Tensor::Scalar(1.0f));
    }
    TFM_ASSERT_OK_AND_ASSIGN(auto got, lite->RunSignature("serving_default", in));
    TFM_ASSERT_OK_AND_ASSIGN(auto ref, frozen->Run(feeds, {"output:0"}));
    const Tensor& y = got.at("output");
    ASSERT_EQ(y.shape(), want.shape());
    EXPECT_LE(MaxRelError(y, ref[0]), tolerance) << "vs frozen graph, batch " << x.dim(0);
    EXPECT_LE(MaxRelError(y, want), std::max(tolerance, 1e-4)) << "vs golden, batch " << x.dim(0);
    ::testing::Test::RecordProperty(absl::StrCat(c.name, tag, suffix, "_rel_error"),
                                    std::to_string(MaxRelError(y, want)));
  }
}

TEST(TfLiteConvertTest, FcLayersAe0LstmMatchTheFrozenGraphs) {
  TFM_REQUIRE_TESTDATA();
  CheckConvertedGolden(
      {"fc-layers", {"X"}, {"FULLY_CONNECTED", "FULLY_CONNECTED", "FULLY_CONNECTED"}},
      Weights::kFloat, 1e-5);
  CheckConvertedGolden(
      {"ae0", {"X"}, {"FULLY_CONNECTED", "LOGISTIC", "FULLY_CONNECTED", "LOGISTIC"}},
      Weights::kFloat, 1e-5);
  CheckConvertedGolden({"lstm", {"X", "keep_prob"}, {}}, Weights::kFloat, 1e-5);
}

TEST(TfLiteConvertTest, FusesBiasAndActivationsIntoFullyConnected) {
  TFM_REQUIRE_TESTDATA();
  TFM_ASSERT_OK_AND_ASSIGN(auto graph, ReadGraphDef(Testdata("tf2onnx/fc-layers/frozen.pb")));
  tflite::TfLiteConvertOptions opt;
  opt.input_arrays = {"X"};
  opt.output_arrays = {"output"};
  TFM_ASSERT_OK_AND_ASSIGN(std::string bytes, tflite::ConvertGraphToTfLite(graph, opt));
  TFM_ASSERT_OK_AND_ASSIGN(auto f, TfLiteFile::FromBytes(bytes, "fc.tflite"));
  const auto& sg = *f->model().subgraphs()->Get(0);
  ASSERT_EQ(sg.operators()->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const auto* op = sg.operators()->Get(i);
    ASSERT_EQ(op->inputs()->size(), 3u);
    EXPECT_GE(op->inputs()->Get(2), 0) << "bias fused into op " << i;
    const auto* o = op->builtin_options_as_FullyConnectedOptions();
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->fused_activation_function(), i < 2 ? tflite_fb::ActivationFunctionType::RELU
                                                    : tflite_fb::ActivationFunctionType::NONE);
    // Weights are [out, in].
    const auto* w = sg.tensors()->Get(op->inputs()->Get(1));
    const auto* x = sg.tensors()->Get(op->inputs()->Get(0));
    EXPECT_EQ(w->shape()->Get(1), x->shape()->Get(1));
  }
  // The input keeps an unknown batch dimension.
  const auto* in = sg.tensors()->Get(sg.inputs()->Get(0));
  EXPECT_THAT(TfLiteShape(*in), ElementsAre(1, 784));
  EXPECT_THAT(TfLiteShapeSignature(*in), ElementsAre(-1, 784));
  ASSERT_EQ(f->model().signature_defs()->size(), 1u);
  EXPECT_EQ(f->model().signature_defs()->Get(0)->signature_key()->str(), "serving_default");
}

TEST(TfLiteConvertTest, QuantizeWeightsShrinksTheModel) {
  TFM_REQUIRE_TESTDATA();
  TFM_ASSERT_OK_AND_ASSIGN(auto graph, ReadGraphDef(Testdata("tf2onnx/fc-layers/frozen.pb")));
  tflite::TfLiteConvertOptions opt;
  opt.input_arrays = {"X"};
  opt.output_arrays = {"output"};
  TFM_ASSERT_OK_AND_ASSIGN(std::string plain, tflite::ConvertGraphToTfLite(graph, opt));
  opt.quantize_weights = true;
  tflite::TfLiteConvertReport report;
  TFM_ASSERT_OK_AND_ASSIGN(std::string quant, tflite::ConvertGraphToTfLite(graph, opt, &report));
  EXPECT_EQ(report.quantized_tensors, 3);
  EXPECT_LT(quant.size() * 3, plain.size());  // ~4x smaller
  TFM_ASSERT_OK_AND_ASSIGN(auto f, TfLiteFile::FromBytes(quant, "q.tflite"));
  const auto& sg = *f->model().subgraphs()->Get(0);
  const auto* w = sg.tensors()->Get(sg.operators()->Get(0)->inputs()->Get(1));
  EXPECT_EQ(w->type(), tflite_fb::TensorType::INT8);
  EXPECT_EQ(w->quantization()->scale()->size(), static_cast<size_t>(w->shape()->Get(0)));
  ::testing::Test::RecordProperty("fc_layers_float_bytes", std::to_string(plain.size()));
  ::testing::Test::RecordProperty("fc_layers_quant_bytes", std::to_string(quant.size()));
  CheckConvertedGolden({"fc-layers", {"X"}, {"FULLY_CONNECTED"}}, Weights::kInt8, 2e-2);
}

// --quantize_float16: half the size; the DEQUANTIZE operators come first, and the outputs
// move only by float16 rounding of the weights (measured 2.8e-4 on fc-layers, 1.9e-4 lstm).
TEST(TfLiteConvertTest, Float16WeightsHalveTheModel) {
  TFM_REQUIRE_TESTDATA();
  TFM_ASSERT_OK_AND_ASSIGN(auto graph, ReadGraphDef(Testdata("tf2onnx/fc-layers/frozen.pb")));
  tflite::TfLiteConvertOptions opt;
  opt.input_arrays = {"X"};
  opt.output_arrays = {"output"};
  TFM_ASSERT_OK_AND_ASSIGN(std::string plain, tflite::ConvertGraphToTfLite(graph, opt));
  opt.quantize_float16 = true;
  tflite::TfLiteConvertReport report;
  TFM_ASSERT_OK_AND_ASSIGN(std::string half, tflite::ConvertGraphToTfLite(graph, opt, &report));
  EXPECT_EQ(report.quantized_tensors, 6);  // three weights, three biases
  EXPECT_LT(half.size() * 1.9, plain.size());
  EXPECT_GT(half.size() * 2.1, plain.size());
  CheckConvertedGolden({"fc-layers",
                        {"X"},
                        {"DEQUANTIZE", "DEQUANTIZE", "DEQUANTIZE", "DEQUANTIZE", "DEQUANTIZE",
                         "DEQUANTIZE", "FULLY_CONNECTED"}},
                       Weights::kFloat16, 2e-3);
  CheckConvertedGolden({"lstm", {"X", "keep_prob"}, {"DEQUANTIZE"}}, Weights::kFloat16, 2e-3);
}

tensorflow::NodeDef Node(const std::string& name, const std::string& op,
                         std::vector<std::string> inputs) {
  tensorflow::NodeDef n;
  n.set_name(name);
  n.set_op(op);
  for (auto& i : inputs) n.add_input(i);
  (*n.mutable_attr())["T"].set_type(tensorflow::DT_FLOAT);
  return n;
}

TEST(TfLiteConvertTest, UnsupportedOpsAreAllListedOrKeptAsCustomOps) {
  tensorflow::GraphDef g;
  auto* x = g.add_node();
  *x = Node("x", "Placeholder", {});
  (*x->mutable_attr())["dtype"].set_type(tensorflow::DT_FLOAT);
  auto* shape = (*x->mutable_attr())["shape"].mutable_shape();
  shape->add_dim()->set_size(2);
  shape->add_dim()->set_size(3);
  auto* axis = g.add_node();
  *axis = Node("axis", "Const", {});
  axis->mutable_attr()->erase("T");
  (*axis->mutable_attr())["dtype"].set_type(tensorflow::DT_INT32);
  TFM_ASSERT_OK_AND_ASSIGN(Tensor one, Tensor::Create(DType::kInt32, TensorShape{}));
  one.data<int32_t>()[0] = 1;
  TensorToProto(one, (*axis->mutable_attr())["value"].mutable_tensor(), TensorEncoding{});
  auto* cs = g.add_node();
  *cs = Node("cs", "Cumsum", {"x", "axis"});
  (*cs->mutable_attr())["Tidx"].set_type(tensorflow::DT_INT32);
  auto* sp = g.add_node();
  *sp = Node("sp", "Softplus", {"cs"});
  *g.add_node() = Node("out", "Relu", {"sp"});
  tflite::TfLiteConvertOptions opt;
  opt.input_arrays = {"x"};
  opt.output_arrays = {"out"};
  auto r = tflite::ConvertGraphToTfLite(g, opt);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("Cumsum (1 node, e.g. 'cs')"));
  EXPECT_THAT(r.status().message(), HasSubstr("Softplus (1 node, e.g. 'sp')"));
  EXPECT_THAT(r.status().message(), HasSubstr("--allow_custom_ops"));
  // Missing placeholder / unknown arrays.
  opt.input_arrays = {"nope"};
  EXPECT_THAT(tflite::ConvertGraphToTfLite(g, opt).status().message(),
              HasSubstr("input array 'nope' is not a node"));
  // An op without any kernel cannot be run to find shapes.
  tensorflow::GraphDef g2 = g;
  g2.mutable_node(4)->set_op("NoSuchOp");
  opt.input_arrays = {"x"};
  EXPECT_THAT(tflite::ConvertGraphToTfLite(g2, opt).status().message(),
              HasSubstr("no kernel for, so it cannot be run to find tensor shapes and constants: "
                        "NoSuchOp (e.g. 'out')"));
  // Custom ops run with tfmodel's TF kernels.
  opt.input_arrays = {"x"};
  opt.allow_custom_ops = true;
  TFM_ASSERT_OK_AND_ASSIGN(std::string bytes, tflite::ConvertGraphToTfLite(g, opt));
  EXPECT_THAT(OperatorNames(bytes), ElementsAre("Cumsum", "Softplus", "RELU"));
  TFM_ASSERT_OK_AND_ASSIGN(auto m, LoadBytes(bytes));
  auto in = Tensor::FromVector<float>({1, -2, 3, 0, 1, 2}, TensorShape{2, 3});
  TFM_ASSERT_OK_AND_ASSIGN(auto out, m->RunSignature("serving_default", {{"x", in}}));
  const Tensor& y = out.at("out");
  const float cums[6] = {1, -1, 2, 0, 1, 3};
  for (int i = 0; i < 6; ++i)
    EXPECT_NEAR(y.data<float>()[i], std::log1p(std::exp(cums[i])), 1e-6) << i;
}

TEST(TfLiteConvertTest, CliConvertsGraphsAndSavedModels) {
  TFM_REQUIRE_TESTDATA();
  const std::string out = JoinPath(TempDir(), "hp2.tflite");
  auto r = RunCommand(TfmodelBinary() + " convert --saved_model_dir " +
                      Quote(Testdata("tf_serving/saved_model_half_plus_two_cpu/00000123")) +
                      " --output_file " + Quote(out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("operators: MUL, ADD"));
  TFM_ASSERT_OK_AND_ASSIGN(auto m, tflite::LoadTfLiteModel(out));
  TFM_ASSERT_OK_AND_ASSIGN(
      auto y, m->RunSignature("serving_default", {{"x", Tensor::FromVector<float>({1, 2, 5})}}));
  EXPECT_THAT(Floats(y.at("y")), ElementsAre(2.5f, 3.0f, 4.5f));
  r = RunCommand(TfmodelBinary() + " convert --input_graph " +
                 Quote(Testdata("tf2onnx/regression/graphdef/frozen.pb")) +
                 " --input_arrays X --output_arrays pred --output_file " +
                 Quote(JoinPath(TempDir(), "r.tflite")));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("2 operators: MUL, ADD"));
  r = RunCommand(TfmodelBinary() + " convert --input_graph " +
                 Quote(Testdata("tf2onnx/lstm/frozen.pb")) +
                 " --input_arrays X --output_arrays output --output_file " +
                 Quote(JoinPath(TempDir(), "l.tflite")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("placeholders not listed in --input_arrays: keep_prob"));
}

}  // namespace
}  // namespace tfmodel

// ---- Quantized kernels (hand-built models, TFLite reference arithmetic) -----------------

namespace tfmodel {
namespace {

namespace fb = ::tfmodel::tflite_fb;

using ModelBuilder = testing::TfLiteModelBuilder;

using TT = fb::TensorType;

TEST(TfLiteModelBuildTest, BadCustomOptionsAndUnsupportedOpsAreErrors) {
  {
    ModelBuilder b;
    int x = b.Tensor<float>("x", TT::FLOAT32, {1});
    int y = b.Tensor<float>("y", TT::FLOAT32, {1});
    b.Op(fb::BuiltinOperator::CUSTOM, {x}, {y});
    b.SetCustom("FlexWhatever", {0xff, 0x13, 0x77, 0x01, 0x02});
    b.ExpectLoadError({x}, {y}, "FlexWhatever");
  }
  {
    ModelBuilder b;
    int x = b.Tensor<float>("x", TT::FLOAT32, {1, 4, 4, 1});
    int y = b.Tensor<float>("y", TT::FLOAT32, {1, 8, 8, 1});
    int z = b.Tensor<float>("z", TT::FLOAT32, {1, 8, 8, 1});
    b.Op(fb::BuiltinOperator::L2_NORMALIZATION, {x}, {y});
    b.Op(fb::BuiltinOperator::HARD_SWISH, {y}, {z});
    // Every unsupported operator is listed.
    b.ExpectLoadError({x}, {z}, "operator 0 (L2_NORMALIZATION)");
    ModelBuilder b2;
    int x2 = b2.Tensor<float>("x", TT::FLOAT32, {1, 4, 4, 1});
    int y2 = b2.Tensor<float>("y", TT::FLOAT32, {1, 8, 8, 1});
    int z2 = b2.Tensor<float>("z", TT::FLOAT32, {1, 8, 8, 1});
    b2.Op(fb::BuiltinOperator::L2_NORMALIZATION, {x2}, {y2});
    b2.Op(fb::BuiltinOperator::HARD_SWISH, {y2}, {z2});
    b2.ExpectLoadError({x2}, {z2}, "operator 1 (HARD_SWISH)");
  }
}

TEST(TfLiteQuantizedTest, FixedPointHelpers) {
  int32_t q;
  int shift;
  tflite::QuantizeMultiplier(0.5, &q, &shift);
  EXPECT_EQ(q, 1 << 30);
  EXPECT_EQ(shift, 0);
  tflite::QuantizeMultiplier(0.25, &q, &shift);
  EXPECT_EQ(q, 1 << 30);
  EXPECT_EQ(shift, -1);
  tflite::QuantizeMultiplier(3.0, &q, &shift);
  EXPECT_EQ(q, 3 << 29);
  EXPECT_EQ(shift, 2);
  EXPECT_EQ(tflite::MultiplyByQuantizedMultiplier(100, 1 << 30, 0), 50);
  EXPECT_EQ(tflite::MultiplyByQuantizedMultiplier(3, 1 << 30, 0), 2);      // 1.5 -> 2
  EXPECT_EQ(tflite::MultiplyByQuantizedMultiplier(-22, 1 << 30, -1), -6);  // -5.5
  EXPECT_EQ(tflite::MultiplyByQuantizedMultiplier(7, 3 << 29, 2), 21);
}

TEST(TfLiteQuantizedTest, QuantizeFullyConnectedPerChannelDequantize) {
  for (bool relu : {true, false}) {
    ModelBuilder b;
    int x = b.Tensor<float>("x", TT::FLOAT32, {1, 4});
    int xq = b.Tensor<float>("xq", TT::INT8, {1, 4}, {0.5f}, {-1});
    int w = b.Tensor<int8_t>("w", TT::INT8, {2, 4}, {0.25f, 0.5f}, {0, 0}, 0,
                             {4, -8, 2, 1, 2, 2, -2, 10});
    int bias = b.Tensor<int32_t>("b", TT::INT32, {2}, {0.125f, 0.25f}, {0, 0}, 0, {8, -4});
    int yq = b.Tensor<float>("yq", TT::INT8, {1, 2}, {1.0f}, {3});
    int y = b.Tensor<float>("y", TT::FLOAT32, {1, 2});
    b.Op(fb::BuiltinOperator::QUANTIZE, {x}, {xq});
    fb::FullyConnectedOptionsT fo;
    fo.fused_activation_function =
        relu ? fb::ActivationFunctionType::RELU : fb::ActivationFunctionType::NONE;
    fb::BuiltinOptionsUnion u;
    u.Set(fo);
    b.Op(fb::BuiltinOperator::FULLY_CONNECTED, {xq, w, bias}, {yq}, std::move(u));
    b.Op(fb::BuiltinOperator::DEQUANTIZE, {yq}, {y});
    auto m = b.Build({x}, {y});
    ASSERT_NE(m, nullptr);
    TFM_ASSERT_OK_AND_ASSIGN(
        auto out,
        m->Run({{"x", Tensor::FromVector<float>({1.0f, -2.0f, 3.3f, 0.2f}, TensorShape{1, 4})}},
               {"xq", "yq", "y"}));
    // x / 0.5 rounded, + zero point -1.
    EXPECT_THAT(std::vector<int8_t>(out[0].data<int8_t>(), out[0].data<int8_t>() + 4),
                ElementsAre(1, -5, 6, -1));
    // acc = [62, -22] (with bias) * [0.125, 0.25] = [7.75, -5.5] -> [8, -6] + 3.
    const int8_t want1 = relu ? 3 : -3;  // RELU clamps at the zero point
    EXPECT_THAT(std::vector<int8_t>(out[1].data<int8_t>(), out[1].data<int8_t>() + 2),
                ElementsAre(11, want1));
    EXPECT_THAT(Floats(out[2]), ElementsAre(8.0f, relu ? 0.0f : -6.0f));
  }
}

TEST(TfLiteQuantizedTest, AddWithDifferentScales) {
  ModelBuilder b;
  int a = b.Tensor<float>("a", TT::INT8, {3}, {0.5f}, {0});
  int c = b.Tensor<float>("c", TT::INT8, {3}, {0.25f}, {10});
  int o = b.Tensor<float>("o", TT::INT8, {3}, {1.0f}, {-5});
  fb::BuiltinOptionsUnion u;
  u.Set(fb::AddOptionsT());
  b.Op(fb::BuiltinOperator::ADD, {a, c}, {o}, std::move(u));
  auto m = b.Build({a, c}, {o});
  ASSERT_NE(m, nullptr);
  auto av = Tensor::FromVector<int8_t>({4, 3, -100});    // 2.0, 1.5, -50
  auto cv = Tensor::FromVector<int8_t>({18, 11, -128});  // 2.0, 0.25, -34.5
  TFM_ASSERT_OK_AND_ASSIGN(auto out, m->Run({{"a", av}, {"c", cv}}, {"o"}));
  // 4.0 -> -1; 1.75 -> 2 -> -3; -84.5 -> -85 + -5 = -90.
  EXPECT_THAT(std::vector<int8_t>(out[0].data<int8_t>(), out[0].data<int8_t>() + 3),
              ElementsAre(-1, -3, -90));
}

TEST(TfLiteQuantizedTest, Conv2DAndDepthwiseUint8AndInt8) {
  // CONV_2D uint8 per-tensor, 2x2 filter VALID on a 1x2x2x1 input; DEPTHWISE int8 per-channel.
  {
    ModelBuilder b;
    int x = b.Tensor<float>("x", TT::UINT8, {1, 2, 2, 1}, {0.5f}, {128});
    int w = b.Tensor<uint8_t>("w", TT::UINT8, {1, 2, 2, 1}, {0.1f}, {100}, 0, {110, 90, 100, 120});
    int bias = b.Tensor<int32_t>("b", TT::INT32, {1}, {0.05f}, {0}, 0, {20});
    int y = b.Tensor<float>("y", TT::UINT8, {1, 1, 1, 1}, {0.2f}, {50});
    fb::Conv2DOptionsT co;
    co.padding = fb::Padding::VALID;
    co.stride_h = co.stride_w = 1;
    fb::BuiltinOptionsUnion u;
    u.Set(co);
    b.Op(fb::BuiltinOperator::CONV_2D, {x, w, bias}, {y}, std::move(u));
    auto m = b.Build({x}, {y});
    ASSERT_NE(m, nullptr);
    // x real = [1, -1, 2, 0.5] (q 130,126,132,129); w real = [1, -1, 0, 2].
    auto xv = Tensor::FromVector<uint8_t>({130, 126, 132, 129}, TensorShape{1, 2, 2, 1});
    TFM_ASSERT_OK_AND_ASSIGN(auto out, m->Run({{"x", xv}}, {"y"}));
    // real = 1 + 1 + 0 + 1 + bias 1.0 = 4.0 -> 4 / 0.2 = 20 + 50 = 70.
    EXPECT_EQ(out[0].data<uint8_t>()[0], 70);
  }
  {
    ModelBuilder b;
    int x = b.Tensor<float>("x", TT::INT8, {1, 2, 2, 2}, {1.0f}, {0});
    // [1, H=2, W=2, C*M=2], per-channel scales on dimension 3.
    int w = b.Tensor<int8_t>("w", TT::INT8, {1, 2, 2, 2}, {0.5f, 0.25f}, {0, 0}, 3,
                             {2, 4, 2, 4, 2, 4, 2, 4});
    int bias = b.Tensor<int32_t>("b", TT::INT32, {2}, {0.5f, 0.25f}, {0, 0}, 0, {0, 4});
    int y = b.Tensor<float>("y", TT::INT8, {1, 1, 1, 2}, {0.5f}, {-10});
    fb::DepthwiseConv2DOptionsT o;
    o.padding = fb::Padding::VALID;
    o.stride_h = o.stride_w = 1;
    o.depth_multiplier = 1;
    fb::BuiltinOptionsUnion u;
    u.Set(o);
    b.Op(fb::BuiltinOperator::DEPTHWISE_CONV_2D, {x, w, bias}, {y}, std::move(u));
    auto m = b.Build({x}, {y});
    ASSERT_NE(m, nullptr);
    // Channel 0 values 1,2,3,4 with weight 1.0 -> 10; channel 1 values 1,1,1,1 with weight
    // 1.0 plus bias 1.0 -> 5. Output scale 0.5: 20 - 10 = 10, 10 - 10 = 0.
    auto xv = Tensor::FromVector<int8_t>({1, 1, 2, 1, 3, 1, 4, 1}, TensorShape{1, 2, 2, 2});
    TFM_ASSERT_OK_AND_ASSIGN(auto out, m->Run({{"x", xv}}, {"y"}));
    EXPECT_THAT(std::vector<int8_t>(out[0].data<int8_t>(), out[0].data<int8_t>() + 2),
                ElementsAre(10, 0));
  }
}

}  // namespace
}  // namespace tfmodel

namespace tfmodel {
namespace {

// CONV_2D / DEPTHWISE_CONV_2D lowering with batch-norm, bias and activation fusion, on the
// bench's synthetic conv nets (NHWC, SAME/VALID, strides).
TEST(TfLiteConvertTest, ConvNetsMatchTheFrozenGraphs) {
  struct C {
    const char* name;
    std::vector<int64_t> shape;
    const char* first_op;
  };
  for (const C& c : {C{"resnet_blocks", {1, 56, 56, 64}, "CONV_2D"},
                     C{"mobilenet_v1", {1, 224, 224, 3}, "CONV_2D"}}) {
    SCOPED_TRACE(c.name);
    const std::string path = tfmodel::testing::BenchGraphsDir() + "/" + c.name + ".pb";
    ASSERT_TRUE(FileExists(path)) << path;
    TFM_ASSERT_OK_AND_ASSIGN(auto graph, ReadGraphDef(path));
    tflite::TfLiteConvertOptions opt;
    opt.input_arrays = {"input"};
    opt.output_arrays = {"output"};
    opt.input_shapes = {c.shape};
    tflite::TfLiteConvertReport report;
    TFM_ASSERT_OK_AND_ASSIGN(std::string bytes, tflite::ConvertGraphToTfLite(graph, opt, &report));
    EXPECT_EQ(OperatorNames(bytes)[0], c.first_op);
    for (const auto& op : report.operators) {
      EXPECT_NE(op, "RELU") << "activations are fused";
      EXPECT_NE(op, "MUL") << "batch norms are folded into the convolutions";
    }
    TFM_ASSERT_OK_AND_ASSIGN(auto lite, LoadBytes(bytes));
    TFM_ASSERT_OK_AND_ASSIGN(auto frozen, runtime::Model::LoadGraph(graph));
    TFM_ASSERT_OK_AND_ASSIGN(Tensor x,
                             ReadNpy(Testdata(absl::StrCat("golden/", c.name, "_in.npy"))));
    TFM_ASSERT_OK_AND_ASSIGN(Tensor want,
                             ReadNpy(Testdata(absl::StrCat("golden/", c.name, "_out.npy"))));
    TFM_ASSERT_OK_AND_ASSIGN(auto got, lite->RunSignature("serving_default", {{"input", x}}));
    TFM_ASSERT_OK_AND_ASSIGN(auto ref, frozen->Run({{"input:0", x}}, {"output:0"}));
    EXPECT_LE(MaxRelError(got.at("output"), ref[0]), 1e-5);
    EXPECT_LE(MaxRelError(got.at("output"), want), 1e-5);
  }
}

}  // namespace
}  // namespace tfmodel

namespace tfmodel {
namespace {

Tensor Pattern(const TensorShape& s, int seed) {
  Tensor t(DType::kFloat, s);
  for (int64_t i = 0; i < t.NumElements(); ++i) {
    t.data<float>()[i] = static_cast<float>(((i * 37 + seed * 11) % 101) / 101.0 - 0.5);
  }
  return t;
}
Tensor Ints(const std::vector<int32_t>& v, TensorShape s) {
  return Tensor::FromVector<int32_t>(v, s);
}

// Every lowering the converter knows for common layers, in one graph, against the frozen
// graph at two batch sizes (the batch dimension stays dynamic).
TEST(TfLiteConvertTest, EveryLoweringMatchesTheFrozenGraph) {
  GraphBuilder b;
  const auto F = AttrType(DType::kFloat);
  const auto I32 = AttrType(DType::kInt32);
  auto x = b.Placeholder("x", DType::kFloat, PartialShape{-1, 8, 8, 3});
  auto f = b.Const("f", Pattern(TensorShape{3, 3, 3, 4}, 1));
  auto c1 = b.Op("c1", "Conv2D", {x, f},
                 {{"T", F}, {"strides", AttrIList({1, 2, 2, 1})}, {"padding", AttrS("SAME")}});
  auto c1b = b.Op("c1b", "BiasAdd", {c1, b.Const("b1", Pattern(TensorShape{4}, 2))}, {{"T", F}});
  auto c1r = b.Op("c1r", "Relu6", {c1b}, {{"T", F}});
  auto mp = b.Op("mp", "MaxPool", {c1r},
                 {{"T", F},
                  {"ksize", AttrIList({1, 2, 2, 1})},
                  {"strides", AttrIList({1, 1, 1, 1})},
                  {"padding", AttrS("VALID")}});
  auto ap = b.Op("ap", "AvgPool", {c1r},
                 {{"T", F},
                  {"ksize", AttrIList({1, 3, 3, 1})},
                  {"strides", AttrIList({1, 2, 2, 1})},
                  {"padding", AttrS("SAME")}});
  auto dw = b.Op("dw", "DepthwiseConv2dNative",
                 {c1r, b.Const("fdw", Pattern(TensorShape{2, 2, 4, 2}, 3))},
                 {{"T", F}, {"strides", AttrIList({1, 1, 1, 1})}, {"padding", AttrS("VALID")}});
  auto bn =
      b.Op("bn", "FusedBatchNormV3",
           {dw, b.Const("gamma", Pattern(TensorShape{8}, 4)),
            b.Const("be", Pattern(TensorShape{8}, 5)), b.Const("mu", Pattern(TensorShape{8}, 6)),
            b.Const("var", Tensor::FromVector<float>({1, 2, 0.5f, 1, 3, 1, 0.25f, 1}))},
           {{"T", F}, {"U", F}, {"epsilon", AttrF(0.001f)}, {"is_training", AttrB(false)}});
  auto m = b.Op("m", "Mean", {bn, b.Const("axes", Ints({1, 2}, TensorShape{2}))},
                {{"T", F}, {"Tidx", I32}, {"keep_dims", AttrB(false)}});
  auto p =
      b.Op("p", "Pad", {mp, b.Const("pads", Ints({0, 0, 1, 0, 0, 1, 0, 0}, TensorShape{4, 2}))},
           {{"T", F}, {"Tpaddings", I32}});
  auto s = b.Binary("s", "Sub", p, c1r);
  auto d = b.Binary("d", "RealDiv", s, b.Const("two", Tensor::Scalar(2.0f)));
  auto am = b.Binary("am", "Mul", d, b.Const("half", Tensor::Scalar(0.5f)));
  auto t = b.Op("t", "Transpose", {am, b.Const("perm", Ints({0, 3, 1, 2}, TensorShape{4}))},
                {{"T", F}, {"Tperm", I32}});
  auto r = b.Op("r", "Reshape", {t, b.Const("shape", Ints({-1, 1, 64}, TensorShape{3}))},
                {{"T", F}, {"Tshape", I32}});
  auto sq = b.Op("sq", "Squeeze", {r}, {{"T", F}, {"squeeze_dims", AttrIList({1})}});
  auto g = b.Op("g", "GatherV2",
                {sq, b.Const("idx", Ints({0, 5, 63, 7}, TensorShape{4})),
                 b.Const("gaxis", Tensor::Scalar<int32_t>(1))},
                {{"Tparams", F}, {"Tindices", I32}, {"Taxis", I32}});
  auto ss = b.Op(
      "ss", "StridedSlice",
      {m, b.Const("beg", Ints({0, 2}, TensorShape{2})),
       b.Const("end", Ints({0, 6}, TensorShape{2})), b.Const("str", Ints({1, 1}, TensorShape{2}))},
      {{"T", F}, {"Index", I32}, {"begin_mask", AttrI(1)}, {"end_mask", AttrI(1)}});
  auto cat = b.Op("cat", "ConcatV2", {g, ss, b.Const("cax", Tensor::Scalar<int32_t>(1))},
                  {{"T", F}, {"N", AttrI(2)}, {"Tidx", I32}});
  b.Op("spl", "Split", {b.Const("sax", Tensor::Scalar<int32_t>(1)), cat},
       {{"T", F}, {"num_split", AttrI(2)}});
  auto pk = b.Op("pk", "Pack", {"spl:0", "spl:1"}, {{"T", F}, {"N", AttrI(2)}, {"axis", AttrI(1)}});
  b.Op("up", "Unpack", {pk}, {{"T", F}, {"num", AttrI(2)}, {"axis", AttrI(1)}});
  auto bm = b.Op("bm", "BatchMatMulV2", {pk, pk},
                 {{"T", F}, {"adj_x", AttrB(false)}, {"adj_y", AttrB(true)}});
  auto sum = b.Binary("sum", "AddV2", "up:0", "up:1");
  auto th = b.Op("th", "Tanh", {sum}, {{"T", F}});
  auto sg = b.Op("sg", "Sigmoid",
                 {b.Op("flat_ap", "Reshape", {ap, b.Const("s2", Ints({-1, 16}, TensorShape{2}))},
                       {{"T", F}, {"Tshape", I32}})},
                 {{"T", F}});
  auto sm = b.Op("sm", "Softmax",
                 {b.Op("flat_bm", "Reshape", {bm, b.Const("s3", Ints({-1, 4}, TensorShape{2}))},
                       {{"T", F}, {"Tshape", I32}})},
                 {{"T", F}});
  auto relu =
      b.Op("relu", "Relu",
           {b.Op("mm", "MatMul", {sg, b.Const("w", Pattern(TensorShape{16, 4}, 7))}, {{"T", F}})},
           {{"T", F}});
  b.Op("out", "ConcatV2", {th, sm, relu, b.Const("oax", Tensor::Scalar<int32_t>(-1))},
       {{"T", F}, {"N", AttrI(3)}, {"Tidx", I32}});

  tflite::TfLiteConvertOptions opt;
  opt.input_arrays = {"x"};
  opt.output_arrays = {"out"};
  tflite::TfLiteConvertReport report;
  TFM_ASSERT_OK_AND_ASSIGN(std::string bytes,
                           tflite::ConvertGraphToTfLite(b.graph(), opt, &report));
  const auto ops = OperatorNames(bytes);
  for (const char* want : {"CONV_2D",
                           "MAX_POOL_2D",
                           "AVERAGE_POOL_2D",
                           "DEPTHWISE_CONV_2D",
                           "MEAN",
                           "PAD",
                           "SUB",
                           "DIV",
                           "MUL",
                           "TRANSPOSE",
                           "RESHAPE",
                           "SQUEEZE",
                           "GATHER",
                           "STRIDED_SLICE",
                           "CONCATENATION",
                           "SPLIT",
                           "PACK",
                           "UNPACK",
                           "BATCH_MATMUL",
                           "ADD",
                           "TANH",
                           "LOGISTIC",
                           "SOFTMAX",
                           "FULLY_CONNECTED"}) {
    EXPECT_THAT(ops, ::testing::Contains(std::string(want)));
  }
  // Bias and Relu6 fused into the conv, Relu into FULLY_CONNECTED, batch norm into the
  // depthwise conv.
  for (const char* gone : {"RELU6", "RELU"})
    EXPECT_THAT(ops, ::testing::Not(::testing::Contains(std::string(gone))));
  EXPECT_GE(report.fused_ops, 4);
  TFM_ASSERT_OK_AND_ASSIGN(auto lite, LoadBytes(bytes));
  TFM_ASSERT_OK_AND_ASSIGN(auto frozen, runtime::Model::LoadGraph(b.graph()));
  for (int64_t n : {1, 3}) {
    Tensor in = Pattern(TensorShape{n, 8, 8, 3}, 9);
    TFM_ASSERT_OK_AND_ASSIGN(auto got, lite->RunSignature("serving_default", {{"x", in}}));
    TFM_ASSERT_OK_AND_ASSIGN(auto ref, frozen->Run({{"x:0", in}}, {"out:0"}));
    ASSERT_EQ(got.at("out").shape(), ref[0].shape());
    EXPECT_LE(MaxRelError(got.at("out"), ref[0]), 1e-5) << "batch " << n;
  }
}

}  // namespace
}  // namespace tfmodel
