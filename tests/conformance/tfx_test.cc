// TFX models from ../shared/testdata/wild: the tf.Transform transform_fn (tag "transform",
// sparse signature inputs, vocabularies from assets/, UpperBound bucketizing, z-scores with
// DivNoNan), the TF2 Keras serving model (ParseExampleV2 inside a function) and the TF1
// Estimator export. Expected transform outputs are derived from the model's own files: the
// vocabulary line numbers in assets/, the bucket boundaries and mean/variance Consts of its
// graph (values read once with protoc and written here).
#include <cmath>
#include <cstring>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "format/saved_model.h"
#include "gmock/gmock.h"
#include "graph/freeze.h"
#include "gtest/gtest.h"
#include "runtime/kernel.h"
#include "runtime/model.h"
#include "runtime/signature_feeds.h"
#include "tensorflow/core/example/example.pb.h"
#include "test_util.h"

namespace tfmodel {
namespace {

using ::testing::HasSubstr;
using testing::Quote;
using testing::RunCommand;
using testing::Testdata;

std::string Wild(const std::string& id) { return Testdata("wild/" + id + "/1"); }

Tensor Strs(const std::vector<std::string>& v) { return Tensor::FromVector(v); }
Tensor F(const std::vector<float>& v) { return Tensor::FromVector(v); }
Tensor I64(const std::vector<int64_t>& v) { return Tensor::FromVector(v); }

std::vector<int64_t> Ints(const Tensor& t) {
  EXPECT_EQ(t.dtype(), DType::kInt64);
  return std::vector<int64_t>(t.data<int64_t>(), t.data<int64_t>() + t.NumElements());
}
std::vector<float> Floats(const Tensor& t) {
  EXPECT_EQ(t.dtype(), DType::kFloat);
  return std::vector<float>(t.data<float>(), t.data<float>() + t.NumElements());
}

// ---------------------------------------------------------------------------------------
// tf.Transform transform_fn

// Two hand-built raw examples, one dense tensor per (sparse) input.
std::map<std::string, Tensor> TwoTrips() {
  return {
      {"company", Strs({"Taxi Affiliation Services", "No Such Taxi Company"})},
      {"payment_type", Strs({"Credit Card", "Cash"})},
      {"trip_miles", F({1.0f, 10.0f})},
      {"fare", F({5.0f, 20.0f})},
      {"trip_seconds", I64({600, 60})},
      {"tips", F({2.0f, 0.0f})},
      {"pickup_latitude", F({41.87f, 41.95f})},
      {"pickup_longitude", F({-87.70f, -87.60f})},
      {"dropoff_latitude", F({41.89f, 41.99f})},
      {"dropoff_longitude", F({-87.65f, -87.50f})},
      {"trip_start_hour", I64({7, 23})},
      {"trip_start_day", I64({3, 5})},
      {"trip_start_month", I64({12, 1})},
      {"trip_start_timestamp", I64({1400000000, 1500000000})},
      {"pickup_census_tract", I64({17031081500, 0})},
      {"dropoff_census_tract", I64({17031839100, 17031320100})},
      {"pickup_community_area", I64({8, 32})},
      {"dropoff_community_area", I64({28, 6})},
  };
}

float ZScore(float x, float mean, float var) { return (x - mean) / std::sqrt(var); }

TEST(TfxTransformFn, HandBuiltTripsTransformAsTheGraphSays) {
  TFM_REQUIRE_TESTDATA();
  auto model = runtime::Model::LoadSavedModel(Wild("tfx-chicago-taxi-transform-fn"), {"transform"});
  ASSERT_TRUE(model.ok()) << model.status();
  const auto& sig = (*model)->signatures().at("transform_signature");
  EXPECT_EQ(sig.inputs.size(), 18u);
  EXPECT_TRUE(sig.inputs.at("company").is_sparse());
  auto out = (*model)->RunSignature("transform_signature", TwoTrips());
  ASSERT_TRUE(out.ok()) << out.status();
  auto& o = *out;
  ASSERT_EQ(o.size(), 17u);
  // Vocabulary indices are line numbers of assets/vocab_compute_and_apply_vocabulary*:
  // "Taxi Affiliation Services" is line 0 of the 53-line company file; an unknown company
  // lands in one of the 10 OOV buckets after it. "Credit Card" is line 1, "Cash" line 0.
  EXPECT_EQ(o["company_xf"].shape().ToString(), "[2,1]");
  std::vector<int64_t> company = Ints(o["company_xf"]);
  EXPECT_EQ(company[0], 0);
  EXPECT_GE(company[1], 53);
  EXPECT_LT(company[1], 63);
  EXPECT_THAT(Ints(o["payment_type_xf"]), ::testing::ElementsAre(1, 0));
  // scale_to_z_score: (x - mean) / sqrt(var) with the Consts Const_7/8 (trip_miles),
  // Const_9/10 (fare), Const_11/12 (trip_seconds, cast to float).
  std::vector<float> miles = Floats(o["trip_miles_xf"]);
  EXPECT_NEAR(miles[0], ZScore(1.0f, 2.70622873f, 36.2179031f), 1e-6);
  EXPECT_NEAR(miles[1], ZScore(10.0f, 2.70622873f, 36.2179031f), 1e-6);
  std::vector<float> fare = Floats(o["fare_xf"]);
  EXPECT_NEAR(fare[0], ZScore(5.0f, 11.6607971f, 102.847282f), 1e-6);
  EXPECT_NEAR(fare[1], ZScore(20.0f, 11.6607971f, 102.847282f), 1e-6);
  std::vector<float> secs = Floats(o["trip_seconds_xf"]);
  EXPECT_NEAR(secs[0], ZScore(600.0f, 771.659119f, 680496.25f), 1e-6);
  EXPECT_NEAR(secs[1], ZScore(60.0f, 771.659119f, 680496.25f), 1e-6);
  // Buckets: how many of the 9 boundaries (Const_13/14/15/Const) are <= the value.
  // pickup_latitude boundaries 41.87741 .. 41.92926, 41.96581.
  EXPECT_THAT(Ints(o["pickup_latitude_xf"]), ::testing::ElementsAre(0, 8));
  // pickup_longitude boundaries -87.69916 .. -87.62077.
  EXPECT_THAT(Ints(o["pickup_longitude_xf"]), ::testing::ElementsAre(0, 9));
  // dropoff_latitude boundaries 41.8679, 41.87925, 41.88499, 41.89092, ...
  EXPECT_THAT(Ints(o["dropoff_latitude_xf"]), ::testing::ElementsAre(3, 9));
  // dropoff_longitude boundaries -87.68536, -87.66341, -87.65401, -87.64265, ...
  EXPECT_THAT(Ints(o["dropoff_longitude_xf"]), ::testing::ElementsAre(3, 9));
  // tips_xf: tips > 0.2 * fare.
  EXPECT_THAT(Ints(o["tips_xf"]), ::testing::ElementsAre(1, 0));
  // Integer features pass through (missing values would get the default).
  EXPECT_THAT(Ints(o["trip_start_hour_xf"]), ::testing::ElementsAre(7, 23));
  EXPECT_THAT(Ints(o["trip_start_day_xf"]), ::testing::ElementsAre(3, 5));
  EXPECT_THAT(Ints(o["trip_start_month_xf"]), ::testing::ElementsAre(12, 1));
  EXPECT_THAT(Ints(o["pickup_community_area_xf"]), ::testing::ElementsAre(8, 32));
  EXPECT_THAT(Ints(o["dropoff_census_tract_xf"]), ::testing::ElementsAre(17031839100, 17031320100));
}

TEST(TfxTransformFn, SparseComponentsWithAMissingValue) {
  TFM_REQUIRE_TESTDATA();
  auto model = runtime::Model::LoadSavedModel(Wild("tfx-chicago-taxi-transform-fn"), {"transform"});
  ASSERT_TRUE(model.ok()) << model.status();
  std::map<std::string, Tensor> in = TwoTrips();
  // trip_start_hour given as a SparseTensor whose second row has no value.
  in.erase("trip_start_hour");
  in["trip_start_hour.indices"] = Tensor::FromVector<int64_t>({0, 0}, {1, 2});
  in["trip_start_hour.values"] = I64({9});
  in["trip_start_hour.dense_shape"] = I64({2, 1});
  // payment_type likewise: the missing row becomes "" (the fill-in default), which is not
  // in the vocabulary and so gets an OOV bucket after the 6 terms.
  in.erase("payment_type");
  in["payment_type.indices"] = Tensor::FromVector<int64_t>({1, 0}, {1, 2});
  in["payment_type.values"] = Strs({"No Charge"});
  in["payment_type.dense_shape"] = I64({2, 1});
  auto out = (*model)->RunSignature("transform_signature", in);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(Ints((*out)["trip_start_hour_xf"]), ::testing::ElementsAre(9, 0));
  std::vector<int64_t> pay = Ints((*out)["payment_type_xf"]);
  EXPECT_GE(pay[0], 6);
  EXPECT_LT(pay[0], 16);
  EXPECT_EQ(pay[1], 2);  // "No Charge" is line 2
  // Malformed components are an error naming the input.
  in["trip_start_hour.dense_shape"] = I64({2});
  auto bad = (*model)->RunSignature("transform_signature", in);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("trip_start_hour"));
}

TEST(TfxTransformFn, FrozenWithItsVocabulariesGivesTheSameOutputs) {
  TFM_REQUIRE_TESTDATA();
  const std::string dir = Wild("tfx-chicago-taxi-transform-fn");
  const std::string frozen = JoinPath(testing::TempDir(), "transform_frozen.pb");
  auto r = RunCommand(absl::StrCat(Quote(TFMODEL_BINARY), " freeze --input_saved_model_dir ",
                                   Quote(dir), " --saved_model_tags transform",
                                   " --signature_def transform_signature --output_graph ",
                                   Quote(frozen), " 2>&1"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Made 2 lookup tables constant; run node 'init_all_tables'"));
  auto model = runtime::Model::LoadSavedModel(dir, {"transform"});
  ASSERT_TRUE(model.ok()) << model.status();
  const auto& sig = (*model)->signatures().at("transform_signature");
  auto want = (*model)->RunSignature("transform_signature", TwoTrips());
  ASSERT_TRUE(want.ok()) << want.status();

  auto graph = ReadGraphDef(frozen);
  ASSERT_TRUE(graph.ok()) << graph.status();
  std::set<std::string> kept;
  for (const auto& n : graph->node()) kept.insert(n.name());
  // Frozen, the vocabularies are constants: the graph runs without the asset files.
  for (const auto& n : graph->node())
    EXPECT_NE(n.op(), "InitializeTableFromTextFileV2") << n.name();
  // LoadGraph runs init_all_tables, as TF users run it once after importing the graph.
  auto fm = runtime::Model::LoadGraph(std::move(*graph));
  ASSERT_TRUE(fm.ok()) << fm.status();
  std::vector<std::pair<std::string, Tensor>> feeds;
  for (const auto& [alias, t] : TwoTrips()) {
    const runtime::TensorSpec& spec = sig.inputs.at(alias);
    // trip_start_timestamp feeds no output: freezing pruned its placeholders.
    if (!kept.count(ParseTensorName(spec.tensor_name).node)) continue;
    auto parts = runtime::DenseToSparse(t, spec.shape);
    ASSERT_TRUE(parts.ok()) << parts.status();
    feeds.emplace_back(spec.sparse_indices_tensor, (*parts)[0]);
    feeds.emplace_back(spec.tensor_name, (*parts)[1]);
    feeds.emplace_back(spec.sparse_dense_shape_tensor, (*parts)[2]);
  }
  std::vector<std::string> fetches, aliases;
  for (const auto& [alias, spec] : sig.outputs) {
    aliases.push_back(alias);
    fetches.push_back(spec.tensor_name);
  }
  auto got = (*fm)->Run(feeds, fetches);
  ASSERT_TRUE(got.ok()) << got.status();
  for (size_t i = 0; i < aliases.size(); ++i) {
    const Tensor& a = want->at(aliases[i]);
    const Tensor& b = (*got)[i];
    ASSERT_EQ(a.shape().ToString(), b.shape().ToString()) << aliases[i];
    ASSERT_EQ(a.dtype(), b.dtype()) << aliases[i];
    EXPECT_EQ(0, std::memcmp(a.raw_data(), b.raw_data(), a.TotalBytes())) << aliases[i];
  }
}

TEST(TfxTransformFn, CliRunAndInspectWithTagSetTransform) {
  TFM_REQUIRE_TESTDATA();
  const std::string dir = Wild("tfx-chicago-taxi-transform-fn");
  auto r = RunCommand(absl::StrCat(Quote(TFMODEL_BINARY), " run ", Quote(dir),
                                   " --tag_set transform --signature_def transform_signature",
                                   " --synthetic_inputs 2>&1"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Result for output key company_xf"));
  EXPECT_THAT(r.output, HasSubstr("Result for output key trip_miles_xf"));
  r = RunCommand(absl::StrCat(Quote(TFMODEL_BINARY), " run ", Quote(dir),
                              " --tag_set transform --signature_def transform_signature",
                              " --input_exprs \"payment_type=['Cash']\" --synthetic_inputs 2>&1"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Result for output key payment_type_xf:\n  int64 [1,1] [0]"));
  // A sparse input given by its components on the command line.
  r = RunCommand(
      absl::StrCat(Quote(TFMODEL_BINARY), " run ", Quote(dir),
                   " --tag_set transform --signature_def transform_signature --input_exprs ",
                   Quote("trip_start_hour.indices=[[0,0]];trip_start_hour.values=[9];"
                         "trip_start_hour.dense_shape=[1,1]"),
                   " --synthetic_inputs 2>&1"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Result for output key trip_start_hour_xf:\n  int64 [1,1] [9]"));
  r = RunCommand(
      absl::StrCat(Quote(TFMODEL_BINARY), " inspect ", Quote(dir), " --tag_set transform 2>&1"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("transform_signature"));
}

// ---------------------------------------------------------------------------------------
// TF2 Keras serving model (serve_tf_examples_fn: ParseExampleV2 in a function)

std::string PenguinExample(float body_mass, float culmen_depth, float culmen_length,
                           float flipper_length) {
  tensorflow::Example ex;
  auto& f = *ex.mutable_features()->mutable_feature();
  f["body_mass_g"].mutable_float_list()->add_value(body_mass);
  f["culmen_depth_mm"].mutable_float_list()->add_value(culmen_depth);
  f["culmen_length_mm"].mutable_float_list()->add_value(culmen_length);
  f["flipper_length_mm"].mutable_float_list()->add_value(flipper_length);
  return ex.SerializeAsString();
}

TEST(TfxKeras, ClassifiesSerializedExamples) {
  TFM_REQUIRE_TESTDATA();
  auto model = runtime::Model::LoadSavedModel(Wild("tfx-chicago-taxi-keras"));
  ASSERT_TRUE(model.ok()) << model.status();
  const Tensor examples =
      Strs({PenguinExample(0.5f, 0.4f, 0.3f, 0.6f), PenguinExample(0.1f, 0.9f, 0.2f, 0.1f)});
  auto out = (*model)->RunSignature("serving_default", {{"examples", examples}});
  ASSERT_TRUE(out.ok()) << out.status();
  const Tensor& p = out->at("output_0");
  ASSERT_EQ(p.shape().ToString(), "[2,3]");
  for (int r = 0; r < 2; ++r) {
    float sum = 0;
    for (int c = 0; c < 3; ++c) {
      const float v = p.data<float>()[r * 3 + c];
      EXPECT_GE(v, 0.0f);
      sum += v;
    }
    EXPECT_NEAR(sum, 1.0f, 1e-5) << "row " << r;  // a softmax
  }
  // Different examples, different probabilities.
  EXPECT_NE(p.data<float>()[0], p.data<float>()[3]);
  // A string that is not a serialized tf.Example is an error, not a crash.
  auto bad = (*model)->RunSignature("serving_default", {{"examples", Strs({"not an example"})}});
  EXPECT_FALSE(bad.ok());
}

TEST(TfxKeras, CliSyntheticInputsBuildValidExamples) {
  TFM_REQUIRE_TESTDATA();
  auto r =
      RunCommand(absl::StrCat(Quote(TFMODEL_BINARY), " run ", Quote(Wild("tfx-chicago-taxi-keras")),
                              " --synthetic_inputs 2>&1"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Result for output key output_0:\n  float [1,3]"));
}

TEST(TfxKeras, FrozenGraphGivesTheSameProbabilities) {
  TFM_REQUIRE_TESTDATA();
  const std::string dir = Wild("tfx-chicago-taxi-keras");
  const std::string frozen = JoinPath(testing::TempDir(), "keras_frozen.pb");
  auto r = RunCommand(absl::StrCat(Quote(TFMODEL_BINARY), " freeze --input_saved_model_dir ",
                                   Quote(dir), " --output_graph ", Quote(frozen), " 2>&1"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto model = runtime::Model::LoadSavedModel(dir);
  ASSERT_TRUE(model.ok()) << model.status();
  const auto& sig = (*model)->signatures().at("serving_default");
  const Tensor examples =
      Strs({PenguinExample(0.5f, 0.4f, 0.3f, 0.6f), PenguinExample(0.2f, 0.7f, 0.9f, 0.3f)});
  auto want = (*model)->RunSignature("serving_default", {{"examples", examples}});
  ASSERT_TRUE(want.ok()) << want.status();
  auto graph = ReadGraphDef(frozen);
  ASSERT_TRUE(graph.ok()) << graph.status();
  for (const auto& n : graph->node()) {
    EXPECT_NE(n.op(), "VarHandleOp") << n.name();
    EXPECT_NE(n.op(), "ReadVariableOp") << n.name();
  }
  auto fm = runtime::Model::LoadGraph(std::move(*graph));
  ASSERT_TRUE(fm.ok()) << fm.status();
  auto got = (*fm)->Run({{sig.inputs.at("examples").tensor_name, examples}},
                        {sig.outputs.at("output_0").tensor_name});
  ASSERT_TRUE(got.ok()) << got.status();
  const Tensor& a = want->at("output_0");
  const Tensor& b = (*got)[0];
  ASSERT_EQ(a.shape().ToString(), b.shape().ToString());
  for (int64_t i = 0; i < a.NumElements(); ++i) {
    EXPECT_EQ(a.data<float>()[i], b.data<float>()[i]) << i;
  }
}

// ---------------------------------------------------------------------------------------
// TF1 Estimator export (transform graph + feature columns + wide & deep DNN)

std::string TaxiExample() {
  tensorflow::Example ex;
  auto& f = *ex.mutable_features()->mutable_feature();
  f["company"].mutable_bytes_list()->add_value("Taxi Affiliation Services");
  f["payment_type"].mutable_bytes_list()->add_value("Credit Card");
  for (const char* k : {"trip_miles", "fare", "pickup_latitude", "pickup_longitude",
                        "dropoff_latitude", "dropoff_longitude"}) {
    f[k].mutable_float_list()->add_value(1.0f);
  }
  f["pickup_latitude"].mutable_float_list()->set_value(0, 41.9f);
  f["pickup_longitude"].mutable_float_list()->set_value(0, -87.63f);
  f["dropoff_latitude"].mutable_float_list()->set_value(0, 41.89f);
  f["dropoff_longitude"].mutable_float_list()->set_value(0, -87.65f);
  for (const char* k : {"trip_seconds", "trip_start_hour", "trip_start_day", "trip_start_month",
                        "trip_start_timestamp", "pickup_census_tract", "dropoff_census_tract",
                        "pickup_community_area", "dropoff_community_area"}) {
    f[k].mutable_int64_list()->add_value(1);
  }
  return ex.SerializeAsString();
}

// The frozen Estimator needs no ResourceGather (freeze turns it into GatherV2): parsing,
// the tf.Transform layer with its vocabulary tables, feature columns and the DNN run now.
TEST(TfxEstimator, FrozenPredictSignatureRuns) {
  TFM_REQUIRE_TESTDATA();
  const std::string dir = Wild("tfx-chicago-taxi-estimator");
  const std::string frozen = JoinPath(testing::TempDir(), "estimator_predict.pb");
  auto r =
      RunCommand(absl::StrCat(Quote(TFMODEL_BINARY), " freeze --input_saved_model_dir ", Quote(dir),
                              " --signature_def predict --output_graph ", Quote(frozen), " 2>&1"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("init_all_tables"));
  auto art = ReadModelArtifact(dir);
  ASSERT_TRUE(art.ok()) << art.status();
  const auto& sig = art->meta_graph.signature_def().at("predict");
  auto graph = ReadGraphDef(frozen);
  ASSERT_TRUE(graph.ok()) << graph.status();
  auto fm = runtime::Model::LoadGraph(std::move(*graph));
  ASSERT_TRUE(fm.ok()) << fm.status();
  auto got = (*fm)->Run({{sig.inputs().at("examples").name(), Strs({TaxiExample(), ""})}},
                        {sig.outputs().at("logits").name(), sig.outputs().at("logistic").name(),
                         sig.outputs().at("probabilities").name()});
  ASSERT_TRUE(got.ok()) << got.status();
  const Tensor& logits = (*got)[0];
  const Tensor& logistic = (*got)[1];
  const Tensor& probs = (*got)[2];
  ASSERT_EQ(logits.shape().ToString(), "[2,1]");
  ASSERT_EQ(probs.shape().ToString(), "[2,2]");
  for (int i = 0; i < 2; ++i) {
    const float l = logits.data<float>()[i];
    EXPECT_NEAR(logistic.data<float>()[i], 1.0f / (1.0f + std::exp(-l)), 1e-6);
    EXPECT_NEAR(probs.data<float>()[2 * i + 1], logistic.data<float>()[i], 1e-6);
    EXPECT_NEAR(probs.data<float>()[2 * i] + probs.data<float>()[2 * i + 1], 1.0f, 1e-6);
  }
  // The hand-built trip and the empty example (every feature missing) differ.
  EXPECT_NE(logits.data<float>()[0], logits.data<float>()[1]);
  // From the command line: the tables are filled at load, no flag needed.
  r = RunCommand(absl::StrCat(Quote(TFMODEL_BINARY), " run ", Quote(frozen), " --feed ",
                              Quote(sig.inputs().at("examples").name() + "=['']"), " --fetch ",
                              Quote(sig.outputs().at("logits").name()), " 2>&1"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr(absl::StrCat("float [1,1] [", logits.ValueString(1), "]")));
}

// Embedding and linear feature columns: ResourceGather.
TEST(TfxEstimator, ClassifiesAndPredictsTaxiTrips) {
  TFM_REQUIRE_TESTDATA();
  auto model = runtime::Model::LoadSavedModel(Wild("tfx-chicago-taxi-estimator"));
  ASSERT_TRUE(model.ok()) << model.status();
  const Tensor examples = Strs({TaxiExample(), TaxiExample()});
  auto cls = (*model)->RunSignature("serving_default", {{"inputs", examples}});
  ASSERT_TRUE(cls.ok()) << cls.status();
  const Tensor& scores = cls->at("scores");
  ASSERT_EQ(scores.shape().ToString(), "[2,2]");
  EXPECT_NEAR(scores.data<float>()[0] + scores.data<float>()[1], 1.0f, 1e-5);
  EXPECT_EQ(cls->at("classes").data<std::string>()[0], "0");
  EXPECT_EQ(cls->at("classes").data<std::string>()[1], "1");
  auto pred = (*model)->RunSignature("predict", {{"examples", examples}});
  ASSERT_TRUE(pred.ok()) << pred.status();
  // logistic = sigmoid(logits), probabilities = [1 - logistic, logistic] = the scores.
  const float logit = pred->at("logits").data<float>()[0];
  const float logistic = pred->at("logistic").data<float>()[0];
  EXPECT_NEAR(logistic, 1.0f / (1.0f + std::exp(-logit)), 1e-6);
  EXPECT_NEAR(pred->at("probabilities").data<float>()[1], logistic, 1e-6);
  EXPECT_NEAR(scores.data<float>()[1], logistic, 1e-6);
}

// The frozen Estimator (ResourceGather -> GatherV2, vocabularies made constant under
// init_all_tables) answers as the SavedModel does.
TEST(TfxEstimator, FrozenGraphGivesTheSameScores) {
  TFM_REQUIRE_TESTDATA();
  const std::string dir = Wild("tfx-chicago-taxi-estimator");
  const std::string frozen = JoinPath(testing::TempDir(), "estimator_frozen.pb");
  auto r = RunCommand(absl::StrCat(Quote(TFMODEL_BINARY), " freeze --input_saved_model_dir ",
                                   Quote(dir), " --output_graph ", Quote(frozen), " 2>&1"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto model = runtime::Model::LoadSavedModel(dir);
  ASSERT_TRUE(model.ok()) << model.status();
  const auto& sig = (*model)->signatures().at("serving_default");
  const Tensor examples = Strs({TaxiExample()});
  auto want = (*model)->RunSignature("serving_default", {{"inputs", examples}});
  ASSERT_TRUE(want.ok()) << want.status();
  auto graph = ReadGraphDef(frozen);
  ASSERT_TRUE(graph.ok()) << graph.status();
  auto fm = runtime::Model::LoadGraph(std::move(*graph));
  ASSERT_TRUE(fm.ok()) << fm.status();
  auto got = (*fm)->Run({{sig.inputs.at("inputs").tensor_name, examples}},
                        {sig.outputs.at("scores").tensor_name});
  ASSERT_TRUE(got.ok()) << got.status();
  const Tensor& a = want->at("scores");
  for (int64_t i = 0; i < a.NumElements(); ++i) {
    EXPECT_EQ(a.data<float>()[i], (*got)[0].data<float>()[i]) << i;
  }
}

}  // namespace
}  // namespace tfmodel
