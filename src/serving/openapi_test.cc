// The OpenAPI document's structure for signatures built here: paths per API, schemas
// nested as deep as each input's rank with known sizes, item types per dtype, b64
// strings, request examples. (Validation with a real OpenAPI validator is the e2e test's:
// tests/e2e/model_docs_serve_test.cc.)
#include "serving/openapi.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "rapidjson/pointer.h"

namespace tfmodel::serving {
namespace {

// Rank 0 (a bare {} would be the unknown rank).
PartialShape Scalar() { return PartialShape(absl::Span<const int64_t>()); }

using ::testing::HasSubstr;

// A model with given signatures and no graph (nothing runs).
class SignaturesOnlyModel : public runtime::Model {
 public:
  explicit SignaturesOnlyModel(std::map<std::string, runtime::Signature> sigs)
      : sigs_(std::move(sigs)) {}
  const std::map<std::string, runtime::Signature>& signatures() const override { return sigs_; }
  const tensorflow::MetaGraphDef& meta_graph() const override { return meta_; }
  absl::StatusOr<std::map<std::string, Tensor>> RunSignature(
      const std::string&, const std::map<std::string, Tensor>&,
      const std::vector<std::string>&) override {
    return absl::UnimplementedError("not runnable");
  }
  absl::StatusOr<std::vector<Tensor>> Run(const std::vector<std::pair<std::string, Tensor>>&,
                                          const std::vector<std::string>&,
                                          const std::vector<std::string>&) override {
    return absl::UnimplementedError("not runnable");
  }

 private:
  std::map<std::string, runtime::Signature> sigs_;
  tensorflow::MetaGraphDef meta_;
};

runtime::TensorSpec Spec(DType dtype, PartialShape shape) {
  runtime::TensorSpec s;
  s.tensor_name = "t:0";
  s.dtype = dtype;
  s.shape = std::move(shape);
  return s;
}

std::map<std::string, runtime::Signature> Signatures() {
  std::map<std::string, runtime::Signature> sigs;
  auto& p = sigs["serving_default"];
  p.key = "serving_default";
  p.method_name = kPredictMethodName;
  p.inputs["image"] = Spec(DType::kFloat, {-1, 2, 3});
  p.inputs["id"] = Spec(DType::kInt64, {-1});
  p.outputs["scores"] = Spec(DType::kFloat, {-1, 4});
  auto& s = sigs["by name/2"];
  s.key = "by name/2";
  s.method_name = kPredictMethodName;
  s.inputs["text"] = Spec(DType::kString, Scalar());
  s.inputs["img_bytes"] = Spec(DType::kString, {1});
  s.outputs["out_bytes"] = Spec(DType::kString, {-1});
  auto& r = sigs["regress_it"];
  r.key = "regress_it";
  r.method_name = kRegressMethodName;
  r.inputs["inputs"] = Spec(DType::kString, {-1});
  r.outputs["outputs"] = Spec(DType::kFloat, {-1, 1});
  return sigs;
}

class OpenApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    servable_ =
        std::make_unique<Servable>("m", 7, std::make_shared<SignaturesOnlyModel>(Signatures()));
    auto text = MakeOpenApiDocument(*servable_, "/v1/models/m/versions/7");
    ASSERT_TRUE(text.ok()) << text.status();
    text_ = *text;
    doc_.Parse(text_.c_str());
    ASSERT_FALSE(doc_.HasParseError()) << text_;
  }
  const rapidjson::Value* At(const char* pointer) { return rapidjson::Pointer(pointer).Get(doc_); }
  std::string StringAt(const char* pointer) {
    const rapidjson::Value* v = At(pointer);
    return v && v->IsString() ? v->GetString() : "<missing " + std::string(pointer) + ">";
  }
  std::unique_ptr<Servable> servable_;
  std::string text_;
  rapidjson::Document doc_;
};

TEST_F(OpenApiTest, PathsPerApi) {
  EXPECT_EQ(StringAt("/openapi"), "3.0.3");
  EXPECT_EQ(StringAt("/info/version"), "7");
  EXPECT_EQ(StringAt("/paths/~1v1~1models~1m~1versions~17/get/operationId"), "getModelStatus");
  EXPECT_EQ(StringAt("/paths/~1v1~1models~1m~1versions~17~1metadata/get/operationId"),
            "getModelMetadata");
  EXPECT_EQ(StringAt("/paths/~1v1~1models~1m~1versions~17~1example/get/operationId"),
            "getExampleRequest");
  EXPECT_EQ(StringAt("/paths/~1v1~1models~1m~1versions~17:predict/post/operationId"), "predict");
  EXPECT_EQ(StringAt("/paths/~1v1~1models~1m~1versions~17:regress/post/operationId"), "regress");
  // No classify signature, no :classify path.
  EXPECT_EQ(At("/paths/~1v1~1models~1m~1versions~17:classify"), nullptr);
  // :predict takes any signature's request; component keys are sanitized.
  const rapidjson::Value* one_of =
      At("/paths/~1v1~1models~1m~1versions~17:predict/post/requestBody/content/application~1json/"
         "schema/oneOf");
  ASSERT_NE(one_of, nullptr) << text_;
  ASSERT_EQ(one_of->Size(), 3u);
  EXPECT_STREQ((*one_of)[0]["$ref"].GetString(), "#/components/schemas/PredictRequest.by_name_2");
  EXPECT_NE(At("/components/schemas/PredictRequest.by_name_2"), nullptr);
  EXPECT_EQ(
      StringAt("/components/schemas/PredictRequest.by_name_2/properties/signature_name/enum/0"),
      "by name/2");
  EXPECT_EQ(StringAt("/components/schemas/PredictRequest.by_name_2/required/0"), "signature_name");
  EXPECT_EQ(StringAt("/paths/~1v1~1models~1m~1versions~17:regress/post/responses/200/content/"
                     "application~1json/schema/$ref"),
            "#/components/schemas/RegressResponse");
  EXPECT_EQ(StringAt("/paths/~1v1~1models~1m~1versions~17:predict/post/responses/404/content/"
                     "application~1json/schema/$ref"),
            "#/components/schemas/Error");
}

TEST_F(OpenApiTest, TensorSchemasFollowRankAndDType) {
  // Rows: image is [2, 3] per row, id a scalar per row.
  const char* row = "/components/schemas/PredictRequest.serving_default/properties/instances";
  EXPECT_EQ(StringAt((std::string(row) + "/items/properties/image/type").c_str()), "array");
  EXPECT_EQ(At((std::string(row) + "/items/properties/image/minItems").c_str())->GetInt(), 2);
  EXPECT_EQ(At((std::string(row) + "/items/properties/image/items/maxItems").c_str())->GetInt(), 3);
  EXPECT_EQ(StringAt((std::string(row) + "/items/properties/image/items/items/type").c_str()),
            "number");
  EXPECT_EQ(StringAt((std::string(row) + "/items/properties/image/items/items/format").c_str()),
            "float");
  EXPECT_EQ(StringAt((std::string(row) + "/items/properties/id/type").c_str()), "integer");
  EXPECT_EQ(StringAt((std::string(row) + "/items/properties/id/format").c_str()), "int64");
  // Columns: the batch dim is an unsized array.
  const char* col = "/components/schemas/PredictRequest.serving_default/properties/inputs";
  EXPECT_EQ(StringAt((std::string(col) + "/properties/image/type").c_str()), "array");
  EXPECT_EQ(At((std::string(col) + "/properties/image/minItems").c_str()), nullptr);
  EXPECT_EQ(At((std::string(col) + "/properties/image/items/minItems").c_str())->GetInt(), 2);
  // A scalar string and different leading dims: columnar only; "_bytes" strings are b64.
  const char* by_name = "/components/schemas/PredictRequest.by_name_2";
  EXPECT_EQ(At((std::string(by_name) + "/properties/instances").c_str()), nullptr);
  EXPECT_EQ(
      StringAt((std::string(by_name) + "/properties/inputs/properties/text/oneOf/0/type").c_str()),
      "string");
  EXPECT_EQ(
      StringAt(
          (std::string(by_name) + "/properties/inputs/properties/img_bytes/items/$ref").c_str()),
      "#/components/schemas/B64");
  EXPECT_EQ(
      StringAt("/components/schemas/PredictResponse.by_name_2/properties/predictions/items/$ref"),
      "#/components/schemas/B64");
  EXPECT_EQ(StringAt("/components/schemas/B64/properties/b64/format"), "byte");
}

TEST_F(OpenApiTest, RequestExamplesAreTheGeneratedBodies) {
  const char* examples =
      "/paths/~1v1~1models~1m~1versions~17:predict/post/requestBody/content/application~1json/"
      "examples";
  const rapidjson::Value* v = At((std::string(examples) + "/serving_default/value").c_str());
  ASSERT_NE(v, nullptr) << text_;
  rapidjson::Document want;
  want.Parse(R"({"instances": [{"id": 0, "image": [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]]}]})");
  EXPECT_TRUE(*v == want) << text_;
  v = At((std::string(examples) + "/by_name_2/value").c_str());
  ASSERT_NE(v, nullptr) << text_;
  want.Parse(
      R"({"signature_name": "by name/2", "inputs": {"img_bytes": [{"b64": ""}], "text": ""}})");
  EXPECT_TRUE(*v == want) << text_;
  // The regress signature's input is not a parsed tf.Example here: no example for it.
  EXPECT_EQ(At("/paths/~1v1~1models~1m~1versions~17:regress/post/requestBody/content/"
               "application~1json/examples/regress_it"),
            nullptr);
  EXPECT_NE(At("/components/schemas/RegressRequest.regress_it/properties/examples"), nullptr);
}

TEST(OpenApi, UrlEscapeSegment) {
  EXPECT_EQ(UrlEscapeSegment("half_plus-two.v1~"), "half_plus-two.v1~");
  EXPECT_EQ(UrlEscapeSegment("a b/{c}:"), "a%20b%2F%7Bc%7D%3A");
}

}  // namespace
}  // namespace tfmodel::serving
