// End-to-end tests of the Open Inference Protocol (KServe v2) in `tfmodel serve`: the real
// binary on half_plus_two (one input) and simple_tensorflow_serving's template
// application model (two inputs, three outputs), over REST and gRPC on the same ports as
// TF Serving's APIs.
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "inference/open_inference_grpc.grpc.pb.h"
#include "rapidjson/document.h"
#include "serve_e2e_util.h"
#include "test_util.h"

namespace tfmodel::e2e {
namespace {

using ::testing::HasSubstr;

std::string FloatBytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

std::vector<float> BytesToFloats(const std::string& s) {
  std::vector<float> v(s.size() / sizeof(float));
  std::memcpy(v.data(), s.data(), v.size() * sizeof(float));
  return v;
}

std::string HeaderValue(const std::string& headers, const std::string& key) {
  const std::string k = "\r\n" + key + ": ";
  size_t at = headers.find(k);
  if (at == std::string::npos) return "";
  at += k.size();
  return headers.substr(at, headers.find("\r\n", at) - at);
}

TEST(V2ProtocolE2E, RestHealthMetadataAndInferOnHalfPlusTwo) {
  TFM_REQUIRE_TESTDATA();
  ServerProcess p;
  ASSERT_TRUE(p.Start({"--model_name=hpt", "--model_base_path=" + HalfPlusTwo()}, "/v1/models/hpt"))
      << p.Log();
  const int port = p.rest_port;
  auto r = Http(port, "GET", "/v2/health/live");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(JsonEq(r.body, R"({"live": true})"));
  r = Http(port, "GET", "/v2/health/ready");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(JsonEq(r.body, R"({"ready": true})"));
  r = Http(port, "GET", "/v2");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(JsonEq(
      r.body, R"({"name": "tfmodel", "version": "0.1.0", "extensions": ["binary_tensor_data"]})"));

  const char* metadata = R"({"name": "hpt", "versions": ["123"],
      "platform": "tensorflow_savedmodel",
      "inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 1]}],
      "outputs": [{"name": "y", "datatype": "FP32", "shape": [-1, 1]}]})";
  for (const char* path : {"/v2/models/hpt", "/v2/models/hpt/versions/123"}) {
    r = Http(port, "GET", path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_TRUE(JsonEq(r.body, metadata)) << path;
  }
  r = Http(port, "GET", "/v2/models/hpt/ready");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(JsonEq(r.body, R"({"name": "hpt", "ready": true})"));
  r = Http(port, "GET", "/v2/models/hpt/versions/999/ready");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(JsonEq(r.body, R"({"name": "hpt", "ready": false})"));
  r = Http(port, "GET", "/v2/models/nope/ready");
  EXPECT_EQ(r.status, 404);
  EXPECT_THAT(r.body, HasSubstr("\"error\""));

  const std::string request = R"({"id": "req-7", "inputs": [{"name": "x", "shape": [3, 1],
      "datatype": "FP32", "data": [1.0, 2.0, 5.0]}]})";
  for (const char* path : {"/v2/models/hpt/infer", "/v2/models/hpt/versions/123/infer"}) {
    r = Http(port, "POST", path, request);
    EXPECT_EQ(r.status, 200) << path << r.body;
    EXPECT_TRUE(JsonEq(r.body, R"({"model_name": "hpt", "model_version": "123", "id": "req-7",
        "outputs": [{"name": "y", "datatype": "FP32", "shape": [3, 1],
                     "data": [2.5, 3.0, 4.5]}]})"))
        << path;
  }
  // TF Serving's API answers on the same port as before.
  r = Http(port, "POST", "/v1/models/hpt:predict", R"({"instances": [1.0, 2.0, 5.0]})");
  EXPECT_TRUE(JsonEq(r.body, R"({"predictions": [2.5, 3.0, 4.5]})"));

  // Errors: {"error": ...} with 400 for a bad request, 404 for what does not exist.
  r = Http(port, "POST", "/v2/models/hpt/infer",
           R"({"inputs": [{"name": "x", "shape": [1, 1], "datatype": "FP64", "data": [1]}]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("input 'x' has datatype FP64, but model 'hpt' expects FP32"));
  r = Http(port, "POST", "/v2/models/hpt/infer", "{not json");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("\"error\""));
  r = Http(port, "POST", "/v2/models/nope/infer", request);
  EXPECT_EQ(r.status, 404);
  EXPECT_THAT(r.body, HasSubstr("\"error\""));
  r = Http(port, "POST", "/v2/models/hpt/versions/999/infer", request);
  EXPECT_EQ(r.status, 404);
  r = Http(port, "GET", "/v2/models/hpt/infer");
  EXPECT_EQ(r.status, 405);
  r = Http(port, "GET", "/v2/models/hpt/explain");
  EXPECT_EQ(r.status, 404);
  EXPECT_THAT(r.body, HasSubstr("no Open Inference Protocol endpoint"));
}

TEST(V2ProtocolE2E, RestBinaryTensorData) {
  TFM_REQUIRE_TESTDATA();
  ServerProcess p;
  ASSERT_TRUE(p.Start({"--model_name=hpt", "--model_base_path=" + HalfPlusTwo()}, "/v1/models/hpt"))
      << p.Log();
  const std::string json = R"({"inputs": [{"name": "x", "shape": [2, 1], "datatype": "FP32",
      "parameters": {"binary_data_size": 8}}],
      "outputs": [{"name": "y", "parameters": {"binary_data": true}}]})";
  auto r = Http(p.rest_port, "POST", "/v2/models/hpt/infer", json + FloatBytes({4.0f, -2.0f}),
                absl::StrCat("Inference-Header-Content-Length: ", json.size(), "\r\n"));
  ASSERT_EQ(r.status, 200) << r.body;
  const size_t json_size = std::stoul(HeaderValue(r.headers, "Inference-Header-Content-Length"));
  ASSERT_EQ(r.body.size(), json_size + 8);
  EXPECT_TRUE(JsonEq(r.body.substr(0, json_size), R"({"model_name": "hpt", "model_version": "123",
      "outputs": [{"name": "y", "datatype": "FP32", "shape": [2, 1],
                   "parameters": {"binary_data_size": 8}}]})"));
  EXPECT_EQ(BytesToFloats(r.body.substr(json_size)), (std::vector<float>{4.0f, 1.0f}));
  EXPECT_EQ(HeaderValue(r.headers, "Content-Type"), "application/octet-stream");
  // A header length past the body is a bad request.
  r = Http(p.rest_port, "POST", "/v2/models/hpt/infer", json,
           "Inference-Header-Content-Length: 99999\r\n");
  EXPECT_EQ(r.status, 400);
}

TEST(V2ProtocolE2E, GrpcOnHalfPlusTwo) {
  TFM_REQUIRE_TESTDATA();
  ServerProcess p;
  ASSERT_TRUE(p.Start({"--model_name=hpt", "--model_base_path=" + HalfPlusTwo()}, "/v1/models/hpt"))
      << p.Log();
  auto stub = p.GrpcStub<inference::GRPCInferenceService>();
  {
    grpc::ClientContext ctx;
    inference::ServerLiveResponse resp;
    ASSERT_TRUE(stub->ServerLive(&ctx, {}, &resp).ok());
    EXPECT_TRUE(resp.live());
  }
  {
    grpc::ClientContext ctx;
    inference::ServerReadyResponse resp;
    ASSERT_TRUE(stub->ServerReady(&ctx, {}, &resp).ok());
    EXPECT_TRUE(resp.ready());
  }
  {
    grpc::ClientContext ctx;
    inference::ServerMetadataResponse resp;
    ASSERT_TRUE(stub->ServerMetadata(&ctx, {}, &resp).ok());
    EXPECT_EQ(resp.name(), "tfmodel");
    ASSERT_EQ(resp.extensions_size(), 1);
    EXPECT_EQ(resp.extensions(0), "binary_tensor_data");
  }
  {
    grpc::ClientContext ctx;
    inference::ModelReadyRequest req;
    req.set_name("hpt");
    req.set_version("123");
    inference::ModelReadyResponse resp;
    ASSERT_TRUE(stub->ModelReady(&ctx, req, &resp).ok());
    EXPECT_TRUE(resp.ready());
    grpc::ClientContext ctx2;
    req.set_name("nope");
    EXPECT_EQ(stub->ModelReady(&ctx2, req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext ctx;
    inference::ModelMetadataRequest req;
    req.set_name("hpt");
    inference::ModelMetadataResponse resp;
    ASSERT_TRUE(stub->ModelMetadata(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.name(), "hpt");
    ASSERT_EQ(resp.versions_size(), 1);
    EXPECT_EQ(resp.versions(0), "123");
    EXPECT_EQ(resp.platform(), "tensorflow_savedmodel");
    ASSERT_EQ(resp.inputs_size(), 1);
    EXPECT_EQ(resp.inputs(0).name(), "x");
    EXPECT_EQ(resp.inputs(0).datatype(), "FP32");
    EXPECT_THAT(resp.inputs(0).shape(), ::testing::ElementsAre(-1, 1));
    ASSERT_EQ(resp.outputs_size(), 1);
    EXPECT_EQ(resp.outputs(0).name(), "y");
  }
  // Typed contents in, raw contents out.
  inference::ModelInferRequest req;
  req.set_model_name("hpt");
  req.set_id("g1");
  auto* x = req.add_inputs();
  x->set_name("x");
  x->set_datatype("FP32");
  x->add_shape(3);
  x->add_shape(1);
  for (float v : {1.0f, 2.0f, 5.0f}) x->mutable_contents()->add_fp32_contents(v);
  {
    grpc::ClientContext ctx;
    inference::ModelInferResponse resp;
    grpc::Status s = stub->ModelInfer(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.model_name(), "hpt");
    EXPECT_EQ(resp.model_version(), "123");
    EXPECT_EQ(resp.id(), "g1");
    ASSERT_EQ(resp.outputs_size(), 1);
    EXPECT_EQ(resp.outputs(0).name(), "y");
    EXPECT_EQ(resp.outputs(0).datatype(), "FP32");
    EXPECT_THAT(resp.outputs(0).shape(), ::testing::ElementsAre(3, 1));
    ASSERT_EQ(resp.raw_output_contents_size(), 1);
    EXPECT_EQ(BytesToFloats(resp.raw_output_contents(0)), (std::vector<float>{2.5f, 3.0f, 4.5f}));
  }
  // Raw contents in.
  x->clear_contents();
  req.add_raw_input_contents(FloatBytes({0.0f, 8.0f, -4.0f}));
  {
    grpc::ClientContext ctx;
    inference::ModelInferResponse resp;
    grpc::Status s = stub->ModelInfer(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(resp.raw_output_contents_size(), 1);
    EXPECT_EQ(BytesToFloats(resp.raw_output_contents(0)), (std::vector<float>{2.0f, 6.0f, 0.0f}));
  }
  // Errors carry gRPC codes.
  {
    grpc::ClientContext ctx;
    inference::ModelInferResponse resp;
    req.mutable_inputs(0)->set_datatype("INT32");
    grpc::Status s = stub->ModelInfer(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("expects FP32"));
  }
  {
    grpc::ClientContext ctx;
    inference::ModelInferResponse resp;
    req.set_model_name("nope");
    EXPECT_EQ(stub->ModelInfer(&ctx, req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  }
}

// simple_tensorflow_serving's template application model: keys INT32 [n,1] and features
// FP32 [n,9] in; keys (echoed), softmax [n,2] and prediction INT64 [n] (argmax) out.
TEST(V2ProtocolE2E, TwoInputModelOverRestAndGrpcMatchesPredict) {
  TFM_REQUIRE_TESTDATA();
  ServerProcess p;
  ASSERT_TRUE(p.Start(
      {"--model_name=app",
       "--model_base_path=" + testing::Testdata("stfs/tensorflow_template_application_model")},
      "/v1/models/app"))
      << p.Log();
  auto r = Http(p.rest_port, "GET", "/v2/models/app");
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document md;
  md.Parse(r.body.c_str());
  ASSERT_FALSE(md.HasParseError());
  EXPECT_EQ(std::string(md["versions"][0].GetString()), "2");
  ASSERT_EQ(md["inputs"].Size(), 2u);
  EXPECT_EQ(std::string(md["inputs"][0]["name"].GetString()), "features");
  EXPECT_EQ(std::string(md["inputs"][0]["datatype"].GetString()), "FP32");
  EXPECT_EQ(std::string(md["inputs"][1]["name"].GetString()), "keys");
  EXPECT_EQ(std::string(md["inputs"][1]["datatype"].GetString()), "INT32");
  ASSERT_EQ(md["outputs"].Size(), 3u);

  const std::vector<float> features = {1,    1,  1, 1, 1,     1,  1, 1, 1,
                                       0.5f, -1, 2, 0, 0.25f, -3, 1, 4, -0.5f};
  std::string feature_json;
  for (float f : features) absl::StrAppend(&feature_json, feature_json.empty() ? "" : ",", f);
  // Nested data for one input, flat for the other; outputs chosen and ordered.
  const std::string body = absl::StrCat(
      R"({"inputs": [{"name": "keys", "shape": [2, 1], "datatype": "INT32", "data": [[1], [7]]},
                     {"name": "features", "shape": [2, 9], "datatype": "FP32", "data": [)",
      feature_json, R"(]}], "outputs": [{"name": "prediction"}, {"name": "softmax"}]})");
  r = Http(p.rest_port, "POST", "/v2/models/app/infer", body);
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document v2;
  v2.Parse(r.body.c_str());
  ASSERT_FALSE(v2.HasParseError()) << r.body;
  EXPECT_EQ(std::string(v2["model_version"].GetString()), "2");
  const auto& outs = v2["outputs"];
  ASSERT_EQ(outs.Size(), 2u);
  EXPECT_EQ(std::string(outs[0]["name"].GetString()), "prediction");
  EXPECT_EQ(std::string(outs[0]["datatype"].GetString()), "INT64");
  EXPECT_EQ(std::string(outs[1]["name"].GetString()), "softmax");
  EXPECT_EQ(std::string(outs[1]["datatype"].GetString()), "FP32");
  ASSERT_EQ(outs[1]["data"].Size(), 4u);
  std::vector<float> softmax;
  for (const auto& v : outs[1]["data"].GetArray()) softmax.push_back(v.GetFloat());
  for (int i = 0; i < 2; ++i) {
    EXPECT_NEAR(softmax[2 * i] + softmax[2 * i + 1], 1.0f, 1e-6);
    EXPECT_EQ(outs[0]["data"][i].GetInt64(), softmax[2 * i + 1] > softmax[2 * i] ? 1 : 0);
  }

  // The same rows through TF Serving's predict give the same numbers.
  r = Http(p.rest_port, "POST", "/v1/models/app:predict",
           absl::StrCat(R"({"inputs": {"keys": [[1], [7]], "features": [[)",
                        feature_json.substr(0, feature_json.find(",0.5")), "],[",
                        feature_json.substr(feature_json.find(",0.5") + 1), "]]}}"));
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document v1;
  v1.Parse(r.body.c_str());
  ASSERT_FALSE(v1.HasParseError()) << r.body;
  const auto& v1_softmax = v1["outputs"]["softmax"];
  ASSERT_EQ(v1_softmax.Size(), 2u);
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 2; ++j) EXPECT_EQ(v1_softmax[i][j].GetFloat(), softmax[2 * i + j]);
  }

  // gRPC with raw_input_contents (which covers every input or none).
  auto stub = p.GrpcStub<inference::GRPCInferenceService>();
  inference::ModelInferRequest req;
  req.set_model_name("app");
  req.set_model_version("2");
  auto* keys = req.add_inputs();
  keys->set_name("keys");
  keys->set_datatype("INT32");
  keys->add_shape(2);
  keys->add_shape(1);
  const int32_t key_values[] = {1, 7};
  req.add_raw_input_contents(std::string(reinterpret_cast<const char*>(key_values), 8));
  auto* feats = req.add_inputs();
  feats->set_name("features");
  feats->set_datatype("FP32");
  feats->add_shape(2);
  feats->add_shape(9);
  req.add_raw_input_contents(FloatBytes(features));
  grpc::ClientContext ctx;
  inference::ModelInferResponse resp;
  grpc::Status s = stub->ModelInfer(&ctx, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // All outputs, in the signature's (alias) order: keys, prediction, softmax.
  ASSERT_EQ(resp.outputs_size(), 3);
  EXPECT_EQ(resp.outputs(0).name(), "keys");
  EXPECT_EQ(resp.outputs(0).datatype(), "INT32");
  EXPECT_EQ(resp.raw_output_contents(0), std::string(reinterpret_cast<const char*>(key_values), 8));
  EXPECT_EQ(resp.outputs(1).name(), "prediction");
  EXPECT_EQ(resp.outputs(1).datatype(), "INT64");
  EXPECT_EQ(resp.outputs(2).name(), "softmax");
  EXPECT_THAT(resp.outputs(2).shape(), ::testing::ElementsAre(2, 2));
  EXPECT_EQ(BytesToFloats(resp.raw_output_contents(2)), softmax);
}

}  // namespace
}  // namespace tfmodel::e2e
