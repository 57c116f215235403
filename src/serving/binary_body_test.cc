// Binary REST predict bodies (.npy, PredictRequest protobuf) through RestApiHandler over the
// fake half_plus_two model: answers, content negotiation and every bad-input case.
#include "serving/binary_body.h"

#include <algorithm>
#include <filesystem>

#include "core/file_util.h"
#include "fake_half_plus_two_model.h"
#include "format/npy.h"
#include "format/tensor_proto.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "serving/manager.h"
#include "serving/rest_api.h"
#include "test_util.h"

namespace tfmodel::serving {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// A .npy version 1.0 file from its parts (numpy pads the header to 64 bytes; so do we).
std::string RawNpy(const std::string& descr, const std::string& fortran, const std::string& shape,
                   const std::string& data) {
  std::string header =
      "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': (" + shape + "), }";
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + data;
}

std::string FloatBytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

class BinaryBodyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(JoinPath(base_, "1"));
    ManagerOptions o;
    o.file_system_poll_wait_seconds = 0;
    o.max_num_load_retries = 0;
    o.loader = [](const std::string&) -> absl::StatusOr<std::unique_ptr<runtime::Model>> {
      return std::unique_ptr<runtime::Model>(new testing::FakeHalfPlusTwoModel(0.5f, 2.0f));
    };
    o.log = [](const std::string&) {};
    manager_ = std::make_unique<ServableManager>(o);
    tensorflow::serving::ModelServerConfig c;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
        "model_config_list { config { name: 'm' base_path: '" + base_ + "' } }", &c));
    TFM_ASSERT_OK(manager_->ReloadConfig(c));
    handler_ = std::make_unique<RestApiHandler>(manager_.get(), &metrics_, RestOptions{});
  }

  HttpResponse Post(const std::string& target, const std::string& body,
                    const std::string& content_type, const std::string& accept = "") {
    HttpRequest r;
    r.method = "POST";
    r.target = target;
    r.body = body;
    r.headers.emplace_back("Content-Type", content_type);
    if (!accept.empty()) r.headers.emplace_back("Accept", accept);
    return handler_->Handle(r);
  }

  static std::string ContentType(const HttpResponse& r) {
    for (const auto& [k, v] : r.headers) {
      if (k == "Content-Type") return v;
    }
    return "";
  }

  std::string base_ = JoinPath(::testing::TempDir(), "binary_body_test");
  Metrics metrics_;
  std::unique_ptr<ServableManager> manager_;
  std::unique_ptr<RestApiHandler> handler_;
};

std::string X31() { return RawNpy("<f4", "False", "3, 1", FloatBytes({1, 2, 5})); }

TEST(BinaryBodyParts, MediaTypesAndQuery) {
  EXPECT_EQ(ContentTypeEncoding("application/x-npy"), BodyEncoding::kNpy);
  EXPECT_EQ(ContentTypeEncoding(" Application/X-NPY ; charset=binary"), BodyEncoding::kNpy);
  EXPECT_EQ(ContentTypeEncoding("application/x-protobuf"), BodyEncoding::kPredictProto);
  EXPECT_EQ(ContentTypeEncoding("application/x-tensorproto"), BodyEncoding::kPredictProto);
  EXPECT_EQ(ContentTypeEncoding("application/json"), BodyEncoding::kJson);
  EXPECT_EQ(ContentTypeEncoding(""), BodyEncoding::kJson);
  EXPECT_EQ(AcceptEncoding("application/json, application/x-npy;q=0.9"), BodyEncoding::kNpy);
  EXPECT_EQ(AcceptEncoding("*/*"), BodyEncoding::kJson);
  EXPECT_EQ(QueryParam("a=1&signature_name=my+sig&output=y", "signature_name"), "my sig");
  EXPECT_EQ(QueryParam("a=1&output=y", "output"), "y");
  EXPECT_EQ(QueryParam("a=1", "output"), "");
  EXPECT_EQ(QueryParam("", "output"), "");
}

TEST_F(BinaryBodyTest, NpyInJsonOut) {
  auto r = Post("/v1/models/m:predict", X31(), "application/x-npy");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(ContentType(r), "application/json");
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  ASSERT_TRUE(d.IsObject()) << r.body;
  const auto& p = d["predictions"];
  ASSERT_EQ(p.Size(), 3u);
  EXPECT_EQ(p[0][0].GetDouble(), 2.5);
  EXPECT_EQ(p[1][0].GetDouble(), 3.0);
  EXPECT_EQ(p[2][0].GetDouble(), 4.5);
}

TEST_F(BinaryBodyTest, NpyInNpyOut) {
  for (const char* target : {"/v1/models/m:predict", "/v1/models/m/versions/1:predict",
                             "/v1/models/m:predict?signature_name=serving_default&output=y"}) {
    SCOPED_TRACE(target);
    auto r = Post(target, X31(), "application/x-npy", "application/x-npy");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(ContentType(r), "application/x-npy");
    TFM_ASSERT_OK_AND_ASSIGN(Tensor y, ParseNpy(r.body, "answer"));
    EXPECT_EQ(y.dtype(), DType::kFloat);
    EXPECT_EQ(y.shape(), (TensorShape{3, 1}));
    EXPECT_EQ(y.data<float>()[0], 2.5f);
    EXPECT_EQ(y.data<float>()[1], 3.0f);
    EXPECT_EQ(y.data<float>()[2], 4.5f);
  }
}

TEST_F(BinaryBodyTest, JsonInNpyOut) {
  auto r = Post("/v1/models/m:predict", R"({"instances": [[4.0]]})", "application/json",
                "application/x-npy");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(ContentType(r), "application/x-npy");
  TFM_ASSERT_OK_AND_ASSIGN(Tensor y, ParseNpy(r.body, "answer"));
  EXPECT_EQ(y.data<float>()[0], 4.0f);
}

TEST_F(BinaryBodyTest, WrongDtypeNamesInputExpectedAndGot) {
  std::vector<double> v = {1, 2, 5};
  auto r = Post("/v1/models/m:predict",
                RawNpy("<f8", "False", "3, 1", std::string(reinterpret_cast<char*>(v.data()), 24)),
                "application/x-npy");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ContentType(r), "application/json");
  EXPECT_THAT(r.body, AllOf(HasSubstr("input 'x'"), HasSubstr("float32"), HasSubstr("float64"),
                            HasSubstr("[?,1]"), HasSubstr("[3,1]"), HasSubstr("astype")));
}

TEST_F(BinaryBodyTest, WrongShapeNamesInputExpectedAndGot) {
  auto r = Post("/v1/models/m:predict", RawNpy("<f4", "False", "3,", FloatBytes({1, 2, 5})),
                "application/x-npy");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body,
              AllOf(HasSubstr("input 'x'"), HasSubstr("shape [?,1]"), HasSubstr("shape [3]")));
  r = Post("/v1/models/m:predict", RawNpy("<f4", "False", "1, 3", FloatBytes({1, 2, 5})),
           "application/x-npy");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("shape [1,3]"));
}

TEST_F(BinaryBodyTest, TruncatedCorruptAndTrailingBodiesAre400) {
  const std::string good = X31();
  for (size_t n = 0; n < good.size(); ++n) {
    auto r = Post("/v1/models/m:predict", good.substr(0, n), "application/x-npy");
    EXPECT_EQ(r.status, 400) << n << ": " << r.body;
  }
  auto r = Post("/v1/models/m:predict", good + "xx", "application/x-npy");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("trailing bytes"));
  r = Post("/v1/models/m:predict", R"({"instances": [1.0]})", "application/x-npy");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("not a .npy array"));
  // Every single-byte corruption of the header answers (a 4xx or, when it still parses to a
  // valid [3,1] float array, 200), never crashes.
  for (size_t i = 0; i < good.size() - 12; ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    r = Post("/v1/models/m:predict", bad, "application/x-npy");
    EXPECT_TRUE(r.status == 200 || r.status == 400) << i << ": " << r.status;
  }
  // Zero-width strings cannot ask for 2^40 elements from a few bytes.
  for (const char* descr : {"|S0", "<U0"}) {
    r = Post("/v1/models/m:predict", RawNpy(descr, "False", "1099511627776,", ""),
             "application/x-npy");
    EXPECT_EQ(r.status, 400) << descr;
  }
  // A header shape far larger than the data.
  r = Post("/v1/models/m:predict", RawNpy("<f4", "False", "4611686018427387904, 1", ""),
           "application/x-npy");
  EXPECT_EQ(r.status, 400);
}

TEST_F(BinaryBodyTest, ObjectArraysAreRefusedFortranAndBigEndianRead) {
  // What np.save writes for np.array(['a'], dtype=object): a pickle, never read here.
  auto r = Post("/v1/models/m:predict", RawNpy("|O", "False", "1,", "\x80\x02garbage."),
                "application/x-npy");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, AllOf(HasSubstr("object array"), HasSubstr("dtype='S'")));
  // The same [3, 1] array in C order, in Fortran order and big-endian gives the same answer.
  const auto c_order =
      Post("/v1/models/m:predict", RawNpy("<f4", "False", "3, 1", FloatBytes({1, 2, 5})),
           "application/x-npy");
  ASSERT_EQ(c_order.status, 200) << c_order.body;
  r = Post("/v1/models/m:predict", RawNpy("<f4", "True", "3, 1", FloatBytes({1, 2, 5})),
           "application/x-npy");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, c_order.body);
  std::string swapped = FloatBytes({1, 2, 5});
  for (size_t i = 0; i < swapped.size(); i += 4) std::reverse(&swapped[i], &swapped[i] + 4);
  r = Post("/v1/models/m:predict", RawNpy(">f4", "False", "3, 1", swapped), "application/x-npy");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, c_order.body);
}

TEST_F(BinaryBodyTest, NpyForSeveralInputsPointsToTheMultiInputForms) {
  auto r = Post("/v1/models/m:predict?signature_name=echo_bytes", X31(), "application/x-npy");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, AllOf(HasSubstr("has 2"), HasSubstr("n, s_bytes"),
                            HasSubstr("application/x-protobuf")));
  r = Post("/v1/models/m:predict?signature_name=nope", X31(), "application/x-npy");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("nope"));
  r = Post("/v1/models/m:predict?output=nope", X31(), "application/x-npy");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("nope"));
  r = Post("/v1/models/nomodel:predict", X31(), "application/x-npy");
  EXPECT_EQ(r.status, 404);
}

tensorflow::serving::PredictRequest EchoRequest() {
  tensorflow::serving::PredictRequest req;
  req.mutable_model_spec()->set_signature_name("echo_bytes");
  TensorToProto(Tensor::FromVector<int64_t>({7, 8}, TensorShape{2}), &(*req.mutable_inputs())["n"]);
  Tensor s(DType::kString, TensorShape{2});
  s.data<std::string>()[0] = "a";
  s.data<std::string>()[1] = "bc";
  TensorToProto(s, &(*req.mutable_inputs())["s_bytes"]);
  return req;
}

TEST_F(BinaryBodyTest, PredictRequestProtoInProtoOut) {
  auto r = Post("/v1/models/m:predict", EchoRequest().SerializeAsString(), "application/x-protobuf",
                "application/x-protobuf");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(ContentType(r), "application/x-protobuf");
  tensorflow::serving::PredictResponse resp;
  ASSERT_TRUE(resp.ParseFromString(r.body));
  EXPECT_EQ(resp.model_spec().name(), "m");
  EXPECT_EQ(resp.model_spec().version().value(), 1);
  EXPECT_EQ(resp.model_spec().signature_name(), "echo_bytes");
  TFM_ASSERT_OK_AND_ASSIGN(Tensor n, TensorFromProto(resp.outputs().at("n")));
  EXPECT_EQ(n.data<int64_t>()[1], 8);
  TFM_ASSERT_OK_AND_ASSIGN(Tensor s, TensorFromProto(resp.outputs().at("s_bytes")));
  EXPECT_EQ(s.data<std::string>()[1], "bc");
}

TEST_F(BinaryBodyTest, PredictRequestProtoInJsonOrNpyOut) {
  auto req = EchoRequest();
  auto r = Post("/v1/models/m:predict", req.SerializeAsString(), "application/x-tensorproto");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(ContentType(r), "application/json");
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_EQ(d["outputs"]["n"][1].GetInt(), 8);
  EXPECT_STREQ(d["outputs"]["s_bytes"][1]["b64"].GetString(), "YmM=");  // an alias in _bytes
  // Two outputs and no ?output=: the answer stays JSON; with one picked it is .npy.
  r = Post("/v1/models/m:predict", req.SerializeAsString(), "application/x-protobuf",
           "application/x-npy");
  EXPECT_EQ(ContentType(r), "application/json");
  r = Post("/v1/models/m:predict?output=n", req.SerializeAsString(), "application/x-protobuf",
           "application/x-npy");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(ContentType(r), "application/x-npy");
  TFM_ASSERT_OK_AND_ASSIGN(Tensor n, ParseNpy(r.body, "answer"));
  EXPECT_EQ(n.dtype(), DType::kInt64);
  EXPECT_EQ(n.data<int64_t>()[0], 7);
  // The body's output_filter works too.
  req.add_output_filter("s_bytes");
  r = Post("/v1/models/m:predict", req.SerializeAsString(), "application/x-protobuf",
           "application/x-npy");
  ASSERT_EQ(r.status, 200) << r.body;
  TFM_ASSERT_OK_AND_ASSIGN(Tensor s, ParseNpy(r.body, "answer"));
  EXPECT_EQ(s.data<std::string>()[0], "a");
}

TEST_F(BinaryBodyTest, BadPredictRequestProtos) {
  auto r = Post("/v1/models/m:predict", "\xff\xff\xff garbage", "application/x-protobuf");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("not a serialized tensorflow.serving.PredictRequest"));
  // A wrong dtype for x names the input and both dtypes.
  tensorflow::serving::PredictRequest req;
  TensorToProto(Tensor::FromVector<int32_t>({1}, TensorShape{1, 1}), &(*req.mutable_inputs())["x"]);
  r = Post("/v1/models/m:predict", req.SerializeAsString(), "application/x-protobuf");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, AllOf(HasSubstr("input 'x'"), HasSubstr("float32"), HasSubstr("int32")));
  // A missing input: TF Serving's message.
  (*req.mutable_inputs()).clear();
  r = Post("/v1/models/m:predict", req.SerializeAsString(), "application/x-protobuf");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("Missing but required: {x}"));
  // The signature from the query when the body names none; the body's wins otherwise.
  TensorToProto(Tensor::FromVector<float>({2}, TensorShape{1, 1}), &(*req.mutable_inputs())["x"]);
  r = Post("/v1/models/m:predict?signature_name=serving_default", req.SerializeAsString(),
           "application/x-protobuf", "application/x-npy");
  ASSERT_EQ(r.status, 200) << r.body;
  TFM_ASSERT_OK_AND_ASSIGN(Tensor y, ParseNpy(r.body, "answer"));
  EXPECT_EQ(y.data<float>()[0], 3.0f);
}

}  // namespace
}  // namespace tfmodel::serving
