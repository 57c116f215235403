// Example request generation (GET .../example) from signatures and graphs built here:
// layouts, values per dtype, b64 strings, tf.Example features found through Identity
// nodes and function calls, and the errors.
#include "serving/signature_example.h"

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "serving/model_docs.h"
#include "serving/rest_api.h"

namespace tfmodel::serving {
namespace {

// Rank 0 (a bare {} would be the unknown rank).
PartialShape Scalar() { return PartialShape(absl::Span<const int64_t>()); }

using ::testing::HasSubstr;

runtime::TensorSpec Spec(const std::string& name, DType dtype, PartialShape shape) {
  runtime::TensorSpec s;
  s.tensor_name = name;
  s.dtype = dtype;
  s.shape = std::move(shape);
  return s;
}

runtime::Signature Sig(const std::string& key, std::map<std::string, runtime::TensorSpec> inputs,
                       const std::string& method = kPredictMethodName) {
  runtime::Signature s;
  s.key = key;
  s.method_name = method;
  s.inputs = std::move(inputs);
  return s;
}

::testing::AssertionResult JsonEq(const std::string& got, const std::string& want) {
  rapidjson::Document a, b;
  a.Parse(got.c_str());
  b.Parse(want.c_str());
  if (a.HasParseError()) return ::testing::AssertionFailure() << "bad JSON: " << got;
  if (b.HasParseError()) return ::testing::AssertionFailure() << "bad JSON: " << want;
  if (a != b) return ::testing::AssertionFailure() << "got: " << got << "\nwant: " << want;
  return ::testing::AssertionSuccess();
}

absl::StatusOr<std::string> Predict(const runtime::Signature& sig,
                                    const tensorflow::MetaGraphDef& mg = {}) {
  JsonOut out;
  absl::Status s = WritePredictExample(sig, mg, &out.w());
  if (!s.ok()) return s;
  return out.Take();
}

absl::StatusOr<std::string> ClassifyRegress(const runtime::Signature& sig, bool classify,
                                            const tensorflow::MetaGraphDef& mg) {
  JsonOut out;
  absl::Status s = WriteClassifyRegressExample(sig, classify, mg, &out.w());
  if (!s.ok()) return s;
  return out.Take();
}

TEST(SignatureExample, Layout) {
  auto layout = ChoosePredictLayout(Sig(
      "s", {{"a", Spec("a:0", DType::kFloat, {-1, 2})}, {"b", Spec("b:0", DType::kInt32, {-1})}}));
  EXPECT_TRUE(layout.row);
  EXPECT_EQ(layout.batch, 1);
  layout = ChoosePredictLayout(Sig(
      "s", {{"a", Spec("a:0", DType::kFloat, {3, 2})}, {"b", Spec("b:0", DType::kInt32, {3})}}));
  EXPECT_TRUE(layout.row);
  EXPECT_EQ(layout.batch, 3);
  // Different leading dims, a scalar, an unknown rank, a zero batch: columnar.
  EXPECT_FALSE(ChoosePredictLayout(Sig("s", {{"a", Spec("a:0", DType::kFloat, {-1, 2})},
                                             {"b", Spec("b:0", DType::kInt32, {1})}}))
                   .row);
  EXPECT_FALSE(ChoosePredictLayout(Sig("s", {{"a", Spec("a:0", DType::kFloat, Scalar())}})).row);
  EXPECT_FALSE(
      ChoosePredictLayout(Sig("s", {{"a", Spec("a:0", DType::kFloat, PartialShape())}})).row);
  EXPECT_FALSE(ChoosePredictLayout(Sig("s", {{"a", Spec("a:0", DType::kFloat, {0, 2})}})).row);
}

TEST(SignatureExample, RowFormatSingleInput) {
  auto body = Predict(Sig(kDefaultSignatureKey, {{"x", Spec("x:0", DType::kFloat, {-1, 1})}}));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_TRUE(JsonEq(*body, R"({"instances": [[0.0]]})"));
  // A known batch of 2 with rows of [2, 2]: values alternate across the whole input.
  body = Predict(Sig(kDefaultSignatureKey, {{"x", Spec("x:0", DType::kDouble, {2, 2, 2})}}));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_TRUE(
      JsonEq(*body, R"({"instances": [[[0.0, 1.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]]})"));
  // Floats are written with a decimal point (0.0, not 0).
  EXPECT_THAT(*body, HasSubstr("0.0"));
}

TEST(SignatureExample, RowFormatNamedInputsAndDTypes) {
  auto body = Predict(Sig("sig", {{"f", Spec("f:0", DType::kFloat, {-1, 3})},
                                  {"i", Spec("i:0", DType::kInt64, {-1})},
                                  {"b", Spec("b:0", DType::kBool, {-1, -1})},
                                  {"s", Spec("s:0", DType::kString, {-1})},
                                  {"img_bytes", Spec("img:0", DType::kString, {-1})}}));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_TRUE(JsonEq(*body, R"({"signature_name": "sig", "instances": [
      {"b": [false], "f": [0.0, 1.0, 0.0], "i": 0, "img_bytes": {"b64": ""}, "s": ""}]})"));
}

TEST(SignatureExample, ColumnarFormat) {
  auto body = Predict(Sig(kDefaultSignatureKey, {{"a", Spec("a:0", DType::kInt32, Scalar())},
                                                 {"b", Spec("b:0", DType::kUInt8, {-1, 2})},
                                                 {"c", Spec("c:0", DType::kFloat, PartialShape())},
                                                 {"d", Spec("d:0", DType::kInt8, {2, 0})}}));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_TRUE(JsonEq(*body, R"({"inputs": {"a": 0, "b": [[0, 0]], "c": [0.0], "d": [[], []]}})"));
}

TEST(SignatureExample, Errors) {
  auto body = Predict(Sig("s", {{"z", Spec("z:0", DType::kComplex64, {-1})}}));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(body.status().message(),
              HasSubstr("Input \"z\" of signature \"s\" has dtype complex64"));
  body = Predict(Sig("s", {{"big", Spec("big:0", DType::kFloat, {-1, 100000, 100000})}}));
  ASSERT_FALSE(body.ok());
  EXPECT_THAT(body.status().message(), HasSubstr("would hold more than"));
  EXPECT_THAT(body.status().message(), HasSubstr("[?,100000,100000]"));
  body = Predict(Sig("s", {}));
  ASSERT_FALSE(body.ok());
  EXPECT_THAT(body.status().message(), HasSubstr("has no inputs"));
}

// A TF1 graph: tf_example -> Identity -> ParseExample (sparse "tag" string, dense "x" [1]
// float, dense "v" [2] int64).
tensorflow::MetaGraphDef ParseExampleGraph() {
  tensorflow::MetaGraphDef mg;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(
        graph_def {
          node { name: "tf_example" op: "Placeholder" }
          node { name: "id" op: "Identity" input: "tf_example" }
          node { name: "names" op: "Const" }
          node {
            name: "k_tag"
            op: "Const"
            attr {
              key: "value"
              value { tensor { dtype: DT_STRING string_val: "tag" } }
            }
          }
          node {
            name: "k_x"
            op: "Const"
            attr {
              key: "value"
              value { tensor { dtype: DT_STRING string_val: "x" } }
            }
          }
          node {
            name: "k_v"
            op: "Const"
            attr {
              key: "value"
              value { tensor { dtype: DT_STRING string_val: "v" } }
            }
          }
          node {
            name: "parse"
            op: "ParseExample"
            input: "id:0"
            input: "names"
            input: "k_tag"
            input: "k_x"
            input: "k_v"
            input: "d1"
            input: "d2"
            attr {
              key: "Nsparse"
              value { i: 1 }
            }
            attr {
              key: "Ndense"
              value { i: 2 }
            }
            attr {
              key: "sparse_types"
              value { list { type: DT_STRING } }
            }
            attr {
              key: "Tdense"
              value { list { type: DT_FLOAT type: DT_INT64 } }
            }
            attr {
              key: "dense_shapes"
              value {
                list {
                  shape { dim { size: 1 } }
                  shape { dim { size: 2 } }
                }
              }
            }
          }
        })pb",
      &mg));
  return mg;
}

TEST(SignatureExample, FindsParseExampleFeatures) {
  auto features = FindExampleFeatures(ParseExampleGraph().graph_def(), "tf_example:0");
  ASSERT_EQ(features.size(), 3u);
  EXPECT_EQ(features[0].name, "tag");
  EXPECT_EQ(features[0].kind, FeatureKind::kSparse);
  EXPECT_EQ(features[0].dtype, DType::kString);
  EXPECT_EQ(features[1].name, "x");
  EXPECT_EQ(features[1].dtype, DType::kFloat);
  EXPECT_EQ(features[1].num_values, 1);
  EXPECT_EQ(features[2].name, "v");
  EXPECT_EQ(features[2].dtype, DType::kInt64);
  EXPECT_EQ(features[2].num_values, 2);
  EXPECT_TRUE(FindExampleFeatures(ParseExampleGraph().graph_def(), "names:0").empty());
  EXPECT_TRUE(FindExampleFeatures(ParseExampleGraph().graph_def(), "nowhere:0").empty());
}

TEST(SignatureExample, ClassifyRegressExamples) {
  const auto mg = ParseExampleGraph();
  auto sig = Sig("classify_it", {{"inputs", Spec("tf_example:0", DType::kString, {-1})}},
                 kClassifyMethodName);
  auto body = ClassifyRegress(sig, true, mg);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_TRUE(JsonEq(*body, R"({"signature_name": "classify_it",
      "examples": [{"tag": "", "x": 0.0, "v": [0, 0]}]})"));
  // The signature's method decides which API it serves.
  body = ClassifyRegress(sig, false, mg);
  ASSERT_FALSE(body.ok());
  EXPECT_THAT(body.status().message(),
              HasSubstr("has method_name \"tensorflow/serving/classify\", not "
                        "tensorflow/serving/regress"));
  // An input that is not a parsed tf.Example.
  sig = Sig("r", {{"inputs", Spec("x:0", DType::kFloat, {-1})}}, kRegressMethodName);
  body = ClassifyRegress(sig, false, mg);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(body.status().message(),
              HasSubstr("Signature \"r\" does not take a serialized tf.Example: its input "
                        "\"inputs\" (x:0, float) reaches no ParseExample"));
}

TEST(SignatureExample, PredictOnExampleInputSendsSerializedExample) {
  auto sig = Sig("p", {{"examples", Spec("tf_example:0", DType::kString, {-1})}});
  auto body = Predict(sig, ParseExampleGraph());
  ASSERT_TRUE(body.ok()) << body.status();
  rapidjson::Document doc;
  doc.Parse(body->c_str());
  ASSERT_TRUE(doc.IsObject()) << *body;
  const auto& v = doc["instances"][0];
  ASSERT_TRUE(v.IsObject()) << *body;
  std::string bytes;
  ASSERT_TRUE(absl::Base64Unescape(v["b64"].GetString(), &bytes));
  tensorflow::Example ex;
  ASSERT_TRUE(ex.ParseFromString(bytes));
  const auto& f = ex.features().feature();
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f.at("x").float_list().value_size(), 1);
  EXPECT_EQ(f.at("v").int64_list().value_size(), 2);
  EXPECT_EQ(f.at("tag").bytes_list().value_size(), 1);
}

// A TF2 graph: the input goes through StatefulPartitionedCall into a function that feeds
// its argument to ParseExampleV2 (keys as vector constants).
TEST(SignatureExample, FindsParseExampleV2InFunction) {
  tensorflow::MetaGraphDef mg;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(
        graph_def {
          node { name: "serving_examples" op: "Placeholder" }
          node { name: "w" op: "Placeholder" }
          node {
            name: "call"
            op: "StatefulPartitionedCall"
            input: "w"
            input: "serving_examples"
            attr {
              key: "f"
              value { func { name: "serve_fn" } }
            }
          }
          library {
            function {
              signature {
                name: "serve_fn"
                input_arg { name: "weights" }
                input_arg { name: "examples" }
              }
              node_def {
                name: "sk"
                op: "Const"
                attr {
                  key: "value"
                  value { tensor { dtype: DT_STRING } }
                }
              }
              node_def {
                name: "dk"
                op: "Const"
                attr {
                  key: "value"
                  value {
                    tensor {
                      dtype: DT_STRING
                      tensor_shape { dim { size: 2 } }
                      string_val: "age"
                      string_val: "fare"
                    }
                  }
                }
              }
              node_def {
                name: "rk"
                op: "Const"
                attr {
                  key: "value"
                  value { tensor { dtype: DT_STRING string_val: "words" } }
                }
              }
              node_def {
                name: "pe"
                op: "ParseExampleV2"
                input: "examples"
                input: "names:output:0"
                input: "sk:output:0"
                input: "dk:output:0"
                input: "rk:output:0"
                attr {
                  key: "Tdense"
                  value { list { type: DT_INT64 type: DT_FLOAT } }
                }
                attr {
                  key: "sparse_types"
                  value { list {} }
                }
                attr {
                  key: "ragged_value_types"
                  value { list { type: DT_STRING } }
                }
                attr {
                  key: "dense_shapes"
                  value {
                    list {
                      shape { dim { size: 1 } }
                      shape {
                        dim { size: -1 }
                        dim { size: 3 }
                      }
                    }
                  }
                }
              }
            }
          }
        })pb",
      &mg));
  auto features = FindExampleFeatures(mg.graph_def(), "serving_examples:0");
  ASSERT_EQ(features.size(), 3u);
  EXPECT_EQ(features[0].name, "age");
  EXPECT_EQ(features[0].dtype, DType::kInt64);
  EXPECT_EQ(features[1].name, "fare");
  EXPECT_EQ(features[1].num_values, 3);
  EXPECT_EQ(features[2].name, "words");
  EXPECT_EQ(features[2].kind, FeatureKind::kRagged);
  EXPECT_TRUE(FindExampleFeatures(mg.graph_def(), "w:0").empty());
}

TEST(SignatureExample, QueryParam) {
  EXPECT_EQ(QueryParam("signature_name=a%20b&method=classify", "signature_name"), "a b");
  EXPECT_EQ(QueryParam("signature_name=a&method=classify", "method"), "classify");
  EXPECT_EQ(QueryParam("method", "method"), "");
  EXPECT_EQ(QueryParam("", "method"), "");
  EXPECT_EQ(QueryParam("x=1", "method"), "");
}

}  // namespace
}  // namespace tfmodel::serving
