// Binary REST predict bodies end to end (the real binary, real sockets, real models):
// .npy in and out on half_plus_two and on an image-sized float model (MobileNetV1 0.25/224
// TFLite, input [1,224,224,3]), PredictRequest protobufs on a two-input Keras model, and
// the bad-input cases (400 or 413, and the server keeps serving).
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/file_util.h"
#include "format/npy.h"
#include "format/tensor_proto.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "serve_e2e_util.h"
#include "tensorflow_serving/apis/predict.pb.h"
#include "test_util.h"

namespace tfmodel::e2e {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

// A POST with the given Content-Type (and Accept), on a fresh connection.
HttpResult Post(int port, const std::string& path, const std::string& body,
                const std::string& content_type, const std::string& accept = "") {
  const int fd = ConnectLoopback(port);
  if (fd < 0) return {};
  SendAll(fd, absl::StrCat("POST ", path, " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n",
                           "Content-Type: ", content_type, "\r\n",
                           accept.empty() ? "" : absl::StrCat("Accept: ", accept, "\r\n"),
                           "Content-Length: ", body.size(), "\r\n\r\n", body));
  bool closed = false;
  const std::string resp = RecvUntilClosed(fd, 60000, &closed);
  close(fd);
  HttpResult r;
  const size_t hdr_end = resp.find("\r\n\r\n");
  if (resp.size() < 12 || hdr_end == std::string::npos) return r;
  r.status = std::atoi(resp.substr(9, 3).c_str());
  r.headers = resp.substr(0, hdr_end);
  r.body = resp.substr(hdr_end + 4);
  return r;
}

std::string Npy(const Tensor& t) {
  auto s = EncodeNpy(t);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : "";
}

TEST(BinaryBodyE2E, HalfPlusTwoNpyInAndOutAndBadBodies) {
  TFM_REQUIRE_TESTDATA();
  ServerProcess p;
  ASSERT_TRUE(p.Start({"--model_base_path=" + HalfPlusTwo(), "--rest_api_max_body_bytes=10000"},
                      "/v1/models/default"))
      << p.ready_status << p.Log();
  const std::string x = Npy(Tensor::FromVector<float>({1, 2, 5}, TensorShape{3, 1}));
  auto r = Post(p.rest_port, "/v1/models/default:predict", x, "application/x-npy");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.headers, HasSubstr("Content-Type: application/json"));
  EXPECT_TRUE(JsonEq(r.body, R"({"predictions": [[2.5], [3.0], [4.5]]})"));

  r = Post(p.rest_port, "/v1/models/default/versions/123:predict?signature_name=serving_default", x,
           "application/x-npy", "application/x-npy");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.headers, HasSubstr("Content-Type: application/x-npy"));
  auto y = ParseNpy(r.body, "answer");
  ASSERT_TRUE(y.ok()) << y.status();
  ASSERT_EQ(y->shape(), (TensorShape{3, 1}));
  EXPECT_EQ(y->data<float>()[0], 2.5f);
  EXPECT_EQ(y->data<float>()[1], 3.0f);
  EXPECT_EQ(y->data<float>()[2], 4.5f);

  // Bad bodies: each a 400 (oversized: 413) with a message, and the server keeps serving.
  struct Bad {
    std::string body, want;
  };
  const std::vector<Bad> bads = {
      {x.substr(0, x.size() - 3), "needs 3 items"},
      {x.substr(0, 20), "truncated .npy header"},
      {"not numpy at all", "not a .npy array"},
      {Npy(Tensor::FromVector<double>({1, 2, 5}, TensorShape{3, 1})), "float64"},
      {Npy(Tensor::FromVector<float>({1, 2, 5}, TensorShape{3})), "shape [3]"},
      {Npy(Tensor::FromVector<int32_t>({1}, TensorShape{1, 1})), "int32"},
  };
  for (const Bad& b : bads) {
    SCOPED_TRACE(b.want);
    r = Post(p.rest_port, "/v1/models/default:predict", b.body, "application/x-npy");
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_THAT(r.body, HasSubstr(b.want));
    EXPECT_THAT(r.body, HasSubstr("\"error\""));
  }
  r = Post(p.rest_port, "/v1/models/default:predict",
           Npy(Tensor::FromVector<double>({1, 2, 5}, TensorShape{3, 1})), "application/x-npy");
  EXPECT_THAT(r.body, AllOf(HasSubstr("input 'x'"), HasSubstr("float32"), HasSubstr("[?,1]"),
                            HasSubstr("[3,1]")));
  // A signature whose input is a string (serialized tf.Example) refuses a float array.
  r = Post(p.rest_port, "/v1/models/default:predict?signature_name=regress_x_to_y", x,
           "application/x-npy");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, AllOf(HasSubstr("input 'inputs'"), HasSubstr("string")));
  r = Post(p.rest_port, "/v1/models/default:predict",
           Npy(Tensor(DType::kFloat, TensorShape{3000, 1})), "application/x-npy");
  EXPECT_EQ(r.status, 413);
  r = Post(p.rest_port, "/v1/models/default:predict", x, "application/x-npy", "application/x-npy");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, Npy(Tensor::FromVector<float>({2.5f, 3.0f, 4.5f}, TensorShape{3, 1})));
}

TEST(BinaryBodyE2E, ImageSizedFloatInputNpyMatchesJson) {
  TFM_REQUIRE_TESTDATA();
  // The wild MobileNetV1 0.25/224 float TFLite model, served from a version folder that
  // links to it (the testdata stays where it is).
  const std::string base = JoinPath(::testing::TempDir(), "npy_mobilenet");
  fs::remove_all(base);
  fs::create_directories(JoinPath(base, "1"));
  fs::create_symlink(
      testing::Testdata(
          "wild/mobilenet-v1-025-float-metadata/mobilenet_v1_0.25_224_1_metadata_1.tflite"),
      JoinPath(base, "1/model.tflite"));
  ServerProcess p;
  ASSERT_TRUE(p.Start({"--model_name=mnet", "--model_base_path=" + base, "--prefer_tflite_model"},
                      "/v1/models/mnet"))
      << p.ready_status << p.Log();
  Tensor img(DType::kFloat, TensorShape{1, 224, 224, 3});
  std::string json = "{\"instances\": [[";
  for (int64_t i = 0; i < img.NumElements(); ++i) {
    // A smooth synthetic image in [-1, 1], exactly representable in JSON text.
    const float v = static_cast<float>((i * 37 % 256) - 128) / 128.0f;
    img.data<float>()[i] = v;
  }
  for (int h = 0; h < 224; ++h) {
    absl::StrAppend(&json, h ? ",[" : "[");
    for (int w = 0; w < 224; ++w) {
      const float* px = img.data<float>() + (h * 224 + w) * 3;
      absl::StrAppend(&json, w ? "," : "",
                      absl::StrFormat("[%.9g,%.9g,%.9g]", px[0], px[1], px[2]));
    }
    absl::StrAppend(&json, "]");
  }
  absl::StrAppend(&json, "]]}");

  auto rj = Http(p.rest_port, "POST", "/v1/models/mnet:predict", json);
  ASSERT_EQ(rj.status, 200) << rj.body.substr(0, 500);
  auto rn = Post(p.rest_port, "/v1/models/mnet:predict", Npy(img), "application/x-npy",
                 "application/x-npy");
  ASSERT_EQ(rn.status, 200) << rn.body.substr(0, 500);
  auto y = ParseNpy(rn.body, "answer");
  ASSERT_TRUE(y.ok()) << y.status();
  ASSERT_EQ(y->rank(), 2);
  ASSERT_EQ(y->dim(0), 1);
  rapidjson::Document d;
  d.Parse(rj.body.c_str());
  ASSERT_TRUE(d.IsObject() && d.HasMember("predictions")) << rj.body.substr(0, 300);
  const auto& row = d["predictions"][0];
  ASSERT_EQ(static_cast<int64_t>(row.Size()), y->dim(1));
  double sum = 0;
  for (int64_t k = 0; k < y->dim(1); ++k) {
    EXPECT_NEAR(y->data<float>()[k], row[static_cast<rapidjson::SizeType>(k)].GetDouble(), 1e-6)
        << k;
    sum += y->data<float>()[k];
  }
  EXPECT_NEAR(sum, 1.0, 1e-3);  // softmax probabilities
  // The image as float64, and without its batch dimension: 400s that say so (the TFLite
  // signature leaves the shape unknown, as TF Serving's does; the kernel names it).
  auto r = Post(p.rest_port, "/v1/models/mnet:predict",
                Npy(Tensor(DType::kDouble, TensorShape{1, 224, 224, 3})), "application/x-npy");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, AllOf(HasSubstr("input 'input'"), HasSubstr("float32"), HasSubstr("float64"),
                            HasSubstr("[1,224,224,3]")));
  r = Post(p.rest_port, "/v1/models/mnet:predict",
           Npy(Tensor(DType::kFloat, TensorShape{224, 224, 3})), "application/x-npy");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, AllOf(HasSubstr("4-dimensional"), HasSubstr("[224,224,3]")));
}

TEST(BinaryBodyE2E, TwoInputKerasModelTakesAPredictRequestProto) {
  TFM_REQUIRE_TESTDATA();
  ServerProcess p;
  ASSERT_TRUE(p.Start({"--model_name=multi",
                       "--model_base_path=" + testing::Testdata("wild/cppflow-multi-io-keras")},
                      "/v1/models/multi"))
      << p.ready_status << p.Log();
  // One .npy cannot feed two inputs: the 400 names them and the other forms.
  auto r = Post(p.rest_port, "/v1/models/multi:predict",
                Npy(Tensor(DType::kFloat, TensorShape{1, 5})), "application/x-npy");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body,
              AllOf(HasSubstr("my_input_1, my_input_2"), HasSubstr("application/x-protobuf")));

  tensorflow::serving::PredictRequest req;  // model_spec empty: the URL names the model
  TensorToProto(Tensor::FromVector<float>({1, 2, 3, 4, 5}, TensorShape{1, 5}),
                &(*req.mutable_inputs())["my_input_1"]);
  TensorToProto(Tensor::FromVector<float>({-1, 0.5f, 0, 2, -3}, TensorShape{1, 5}),
                &(*req.mutable_inputs())["my_input_2"]);
  auto rj =
      Http(p.rest_port, "POST", "/v1/models/multi:predict",
           R"({"inputs": {"my_input_1": [[1, 2, 3, 4, 5]], "my_input_2": [[-1, 0.5, 0, 2, -3]]}})");
  ASSERT_EQ(rj.status, 200) << rj.body;
  rapidjson::Document d;
  d.Parse(rj.body.c_str());
  ASSERT_TRUE(d.IsObject()) << rj.body;

  r = Post(p.rest_port, "/v1/models/multi/versions/1:predict", req.SerializeAsString(),
           "application/x-protobuf", "application/x-protobuf");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.headers, HasSubstr("Content-Type: application/x-protobuf"));
  tensorflow::serving::PredictResponse resp;
  ASSERT_TRUE(resp.ParseFromString(r.body));
  EXPECT_EQ(resp.model_spec().name(), "multi");
  EXPECT_EQ(resp.model_spec().version().value(), 1);
  EXPECT_EQ(resp.model_spec().signature_name(), "serving_default");
  ASSERT_EQ(resp.outputs_size(), 2);
  for (const char* out : {"my_outputs_1", "my_outputs_2"}) {
    SCOPED_TRACE(out);
    auto t = TensorFromProto(resp.outputs().at(out));
    ASSERT_TRUE(t.ok()) << t.status();
    ASSERT_EQ(t->shape(), (TensorShape{1, 1}));
    EXPECT_NEAR(t->data<float>()[0], d["outputs"][out][0][0].GetDouble(), 1e-6);
  }
  // The same request answered as JSON (columnar, as for "inputs") and one output as .npy.
  r = Post(p.rest_port, "/v1/models/multi:predict", req.SerializeAsString(),
           "application/x-tensorproto");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(JsonEq(r.body, rj.body));
  r = Post(p.rest_port, "/v1/models/multi:predict?output=my_outputs_2", req.SerializeAsString(),
           "application/x-protobuf", "application/x-npy");
  ASSERT_EQ(r.status, 200) << r.body;
  auto y = ParseNpy(r.body, "answer");
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_NEAR(y->data<float>()[0], d["outputs"]["my_outputs_2"][0][0].GetDouble(), 1e-6);
  // A corrupt protobuf and a missing input: 400, then the server still answers.
  r = Post(p.rest_port, "/v1/models/multi:predict", std::string("\x0a\xff\xff\xff\x0f", 5),
           "application/x-protobuf");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("PredictRequest"));
  req.mutable_inputs()->erase("my_input_2");
  r = Post(p.rest_port, "/v1/models/multi:predict", req.SerializeAsString(),
           "application/x-protobuf");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("my_input_2"));
  req.mutable_inputs()->clear();
  EXPECT_EQ(Http(p.rest_port, "GET", "/v1/models/multi").status, 200);
  TensorToProto(Tensor::FromVector<float>({1, 2, 3, 4, 5}, TensorShape{1, 5}),
                &(*req.mutable_inputs())["my_input_1"]);
  TensorToProto(Tensor::FromVector<float>({-1, 0.5f, 0, 2, -3}, TensorShape{1, 5}),
                &(*req.mutable_inputs())["my_input_2"]);
  r = Post(p.rest_port, "/v1/models/multi:predict", req.SerializeAsString(),
           "application/x-protobuf");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(JsonEq(r.body, rj.body));
}

}  // namespace
}  // namespace tfmodel::e2e
