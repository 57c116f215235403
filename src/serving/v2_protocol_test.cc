// The Open Inference Protocol mapping: datatypes, the raw layout, inference request and
// response JSON, over a fake half_plus_two servable (y = 0.5 x + 2, input x FP32 [-1,1]).
#include "serving/v2_protocol.h"

#include <memory>

#include "fake_half_plus_two_model.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "serving/v2_grpc_service.h"

namespace tfmodel::serving::v2 {
namespace {

using ::testing::HasSubstr;

void ExpectJsonEq(const std::string& got, const std::string& want) {
  rapidjson::Document a, b;
  a.Parse(got.c_str());
  b.Parse(want.c_str());
  ASSERT_FALSE(a.HasParseError()) << got;
  ASSERT_FALSE(b.HasParseError()) << want;
  EXPECT_TRUE(a == b) << "got: " << got << "\nwant: " << want;
}

class V2ProtocolTest : public ::testing::Test {
 protected:
  V2ProtocolTest()
      : servable_("hpt", 123, std::make_shared<testing::FakeHalfPlusTwoModel>()),
        signature_(*servable_.InputDTypes("").value()) {}

  absl::Status Parse(const std::string& json, InferRequest* r, const std::string& binary = "") {
    return ParseInferRequestJson(json, binary, servable_, signature_, r);
  }

  // Parses, runs and writes the response body.
  std::string Infer(const std::string& json, size_t* json_size = nullptr,
                    const std::string& binary = "") {
    InferRequest r;
    absl::Status s = Parse(json, &r, binary);
    EXPECT_TRUE(s.ok()) << s;
    if (!s.ok()) return "";
    auto out = RunInfer(servable_, r);
    EXPECT_TRUE(out.ok()) << out.status();
    if (!out.ok()) return "";
    size_t n = 0;
    auto body = MakeInferResponse(servable_, r, *out, &n);
    EXPECT_TRUE(body.ok()) << body.status();
    if (json_size) *json_size = n;
    return body.ok() ? *body : "";
  }

  Servable servable_;
  InputDTypeMap signature_;
};

std::string Raw(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

TEST(V2DatatypeTest, NamesMapToDTypesBothWays) {
  const std::pair<const char*, DType> want[] = {
      {"BOOL", DType::kBool},     {"UINT8", DType::kUInt8},   {"UINT16", DType::kUInt16},
      {"UINT32", DType::kUInt32}, {"UINT64", DType::kUInt64}, {"INT8", DType::kInt8},
      {"INT16", DType::kInt16},   {"INT32", DType::kInt32},   {"INT64", DType::kInt64},
      {"FP16", DType::kHalf},     {"FP32", DType::kFloat},    {"FP64", DType::kDouble},
      {"BF16", DType::kBFloat16}, {"BYTES", DType::kString}};
  for (const auto& [name, dtype] : want) {
    EXPECT_EQ(DTypeFromDatatype(name).value(), dtype) << name;
    EXPECT_EQ(DatatypeName(dtype), name);
  }
  // Case-sensitive, as the protocol's strings are.
  EXPECT_THAT(DTypeFromDatatype("fp32").status().message(), HasSubstr("unknown datatype 'fp32'"));
  EXPECT_EQ(DatatypeName(DType::kComplex64), "");
}

TEST(V2RawTest, RoundTripsNumbersBoolsAndBytes) {
  auto f = TensorFromRaw("x", DType::kFloat, {2}, Raw({1.5f, -2.0f}));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->data<float>()[0], 1.5f);
  EXPECT_EQ(f->data<float>()[1], -2.0f);
  std::string out;
  ASSERT_TRUE(AppendRaw("x", *f, &out).ok());
  EXPECT_EQ(out, Raw({1.5f, -2.0f}));

  // Any non-zero byte is true; written back as 1.
  auto b = TensorFromRaw("b", DType::kBool, {3}, std::string("\x00\x01\x07", 3));
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->data<bool>()[0]);
  EXPECT_TRUE(b->data<bool>()[2]);
  out.clear();
  ASSERT_TRUE(AppendRaw("b", *b, &out).ok());
  EXPECT_EQ(out, std::string("\x00\x01\x01", 3));

  // BYTES: 4-byte little-endian length, then the bytes.
  const std::string bytes("\x02\x00\x00\x00hi\x00\x00\x00\x00", 10);
  auto s = TensorFromRaw("s", DType::kString, {2}, bytes);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->data<std::string>()[0], "hi");
  EXPECT_EQ(s->data<std::string>()[1], "");
  out.clear();
  ASSERT_TRUE(AppendRaw("s", *s, &out).ok());
  EXPECT_EQ(out, bytes);
}

TEST(V2RawTest, SizeMismatchesAreErrors) {
  EXPECT_THAT(TensorFromRaw("x", DType::kFloat, {3}, Raw({1, 2})).status().message(),
              HasSubstr("raw data has 8 bytes, but shape [3] of FP32 needs 12"));
  // A length running past the end, a partial length, one element too many.
  EXPECT_THAT(TensorFromRaw("s", DType::kString, {1}, std::string("\x09\x00\x00\x00hi", 6))
                  .status()
                  .message(),
              HasSubstr("says 9 bytes, but only 2 remain"));
  EXPECT_FALSE(TensorFromRaw("s", DType::kString, {1}, std::string("\x00\x00", 2)).ok());
  EXPECT_FALSE(
      TensorFromRaw("s", DType::kString, {1}, std::string("\x00\x00\x00\x00\x00\x00\x00\x00", 8))
          .ok());
  // A huge shape with little data fails without allocating the shape.
  EXPECT_FALSE(TensorFromRaw("s", DType::kString, {int64_t{1} << 40}, "").ok());
  EXPECT_FALSE(ShapeFromDims("x", {2, -1}).ok());
}

TEST_F(V2ProtocolTest, InferFlatAndNestedDataWithIdEcho) {
  ExpectJsonEq(Infer(R"({"id": "42", "inputs": [{"name": "x", "shape": [3, 1],
                         "datatype": "FP32", "data": [1.0, 2.0, 5.0]}]})"),
               R"({"model_name": "hpt", "model_version": "123", "id": "42",
                   "outputs": [{"name": "y", "datatype": "FP32", "shape": [3, 1],
                                "data": [2.5, 3.0, 4.5]}]})");
  // Nested data in row-major order; integers are fine for FP32; no id, none echoed;
  // parameters are ignored.
  ExpectJsonEq(Infer(R"({"parameters": {"foo": 1}, "inputs": [{"name": "x", "shape": [2, 1],
                         "datatype": "FP32", "data": [[0], [4]]}], "outputs": [{"name": "y"}]})"),
               R"({"model_name": "hpt", "model_version": "123",
                   "outputs": [{"name": "y", "datatype": "FP32", "shape": [2, 1],
                                "data": [2.0, 4.0]}]})");
}

TEST_F(V2ProtocolTest, BinaryInputAndOutput) {
  size_t json_size = 0;
  const std::string json = R"({"inputs": [{"name": "x", "shape": [2, 1], "datatype": "FP32",
      "parameters": {"binary_data_size": 8}}],
      "outputs": [{"name": "y", "parameters": {"binary_data": true}}]})";
  const std::string body = Infer(json, &json_size, Raw({2.0f, 6.0f}));
  ASSERT_EQ(body.size(), json_size + 8);
  ExpectJsonEq(body.substr(0, json_size),
               R"({"model_name": "hpt", "model_version": "123",
                   "outputs": [{"name": "y", "datatype": "FP32", "shape": [2, 1],
                                "parameters": {"binary_data_size": 8}}]})");
  EXPECT_EQ(body.substr(json_size), Raw({3.0f, 5.0f}));
  // Request-wide binary_data_output, no outputs listed.
  const std::string body2 = Infer(R"({"parameters": {"binary_data_output": true},
      "inputs": [{"name": "x", "shape": [1, 1], "datatype": "FP32", "data": [2]}]})",
                                  &json_size);
  EXPECT_EQ(body2.substr(json_size), Raw({3.0f}));
}

TEST_F(V2ProtocolTest, RequestErrorsNameWhatIsWrong) {
  InferRequest r;
  auto err = [&](const std::string& json, const std::string& binary = "") {
    absl::Status s = Parse(json, &r, binary);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << json;
    return std::string(s.message());
  };
  EXPECT_THAT(err("[1]"), HasSubstr("object"));
  EXPECT_THAT(err(R"({"id": 5, "inputs": []})"), HasSubstr("\"id\" must be a string"));
  EXPECT_THAT(err(R"({})"), HasSubstr("needs \"inputs\""));
  EXPECT_THAT(err(R"({"inputs": [{"name": "z", "shape": [1], "datatype": "FP32", "data": [1]}]})"),
              HasSubstr("unexpected input 'z' for model 'hpt': its \"serving_default\" "
                        "signature takes {x}"));
  EXPECT_THAT(err(R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": [1]}]})"),
              HasSubstr("input 'x' has datatype FP64, but model 'hpt' expects FP32"));
  EXPECT_THAT(err(R"({"inputs": [{"name": "x", "shape": [2], "datatype": "FP32", "data": [1]}]})"),
              HasSubstr("input 'x': 1 values given for shape [2], which holds 2"));
  EXPECT_THAT(
      err(R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1, 2]}]})"),
      HasSubstr("more than 1 values given"));
  EXPECT_THAT(
      err(R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": ["a"]}]})"),
      HasSubstr("is not of expected type: float"));
  EXPECT_THAT(err(R"({"inputs": [{"name": "x", "shape": [-1], "datatype": "FP32", "data": []}]})"),
              HasSubstr("input 'x': shape [-1]"));
  EXPECT_THAT(err(R"({"inputs": [{"name": "x", "datatype": "FP32", "data": [1]}]})"),
              HasSubstr("needs \"shape\""));
  EXPECT_THAT(err(R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32"}]})"),
              HasSubstr("neither \"data\" nor"));
  EXPECT_THAT(err(R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1],
                      "parameters": {"binary_data_size": 4}}]})",
                  Raw({1})),
              HasSubstr("both \"data\" and"));
  EXPECT_THAT(err(R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32",
                      "parameters": {"binary_data_size": 8}}]})",
                  Raw({1})),
              HasSubstr("only 4 bytes of binary data are left"));
  EXPECT_THAT(err(R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}]})",
                  Raw({1})),
              HasSubstr("4 bytes of binary data after the JSON are not claimed"));
  EXPECT_THAT(err(R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]},
                                 {"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}]})"),
              HasSubstr("input 'x' is given more than once"));
  EXPECT_THAT(
      err(R"({"inputs": [], "outputs": [{"name": "y", "parameters": {"binary_data": 1}}]})"),
      HasSubstr("\"binary_data\" must be a boolean"));
}

TEST_F(V2ProtocolTest, UnknownOutputAndMissingInputAreErrors) {
  InferRequest r;
  ASSERT_TRUE(Parse(R"({"inputs": [{"name": "x", "shape": [1, 1], "datatype": "FP32",
                        "data": [1]}], "outputs": [{"name": "nope"}]})",
                    &r)
                  .ok());
  EXPECT_THAT(RunInfer(servable_, r).status().message(),
              HasSubstr("output tensor alias not found in signature: nope"));
  ASSERT_TRUE(Parse(R"({"inputs": []})", &r).ok());
  EXPECT_THAT(RunInfer(servable_, r).status().message(), HasSubstr("Missing but required: {x}"));
}

TEST(V2JsonValuesTest, ExtendedDTypesAndRanges) {
  rapidjson::Document d;
  d.Parse("[1.5, -2, 65504]");
  auto h = JsonValuesToTensor(d, DType::kHalf, {3});
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->data<Half>()[0].ToFloat(), 1.5f);
  EXPECT_EQ(h->data<Half>()[2].ToFloat(), 65504.0f);
  d.Parse("[[0, 65535]]");
  auto u = JsonValuesToTensor(d, DType::kUInt16, {2});
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->data<uint16_t>()[1], 65535);
  d.Parse("[65536]");
  EXPECT_FALSE(JsonValuesToTensor(d, DType::kUInt16, {1}).ok());
  d.Parse("[300]");
  EXPECT_FALSE(JsonValuesToTensor(d, DType::kUInt8, {1}).ok());
  d.Parse("[true, false]");
  auto b = JsonValuesToTensor(d, DType::kBool, {2});
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->data<bool>()[0]);
  // A scalar shape takes a bare value or a one-element list.
  d.Parse("7");
  EXPECT_EQ(JsonValuesToTensor(d, DType::kInt64, {}).value().data<int64_t>()[0], 7);
}

TEST(V2MetadataTest, ServerMetadataJson) {
  ExpectJsonEq(ServerMetadataJson(),
               R"({"name": "tfmodel", "version": "0.1.0", "extensions": ["binary_tensor_data"]})");
}

TEST(V2GrpcContentsTest, TypedContentsAreCheckedForCountAndRange) {
  inference::InferTensorContents c;
  c.add_int_contents(1);
  c.add_int_contents(300);
  auto t = TensorFromContents("a", DType::kInt32, {2}, c);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->data<int32_t>()[1], 300);
  EXPECT_THAT(TensorFromContents("a", DType::kInt8, {2}, c).status().message(),
              HasSubstr("value 300 at 1 is out of range for INT8"));
  EXPECT_THAT(TensorFromContents("a", DType::kInt32, {3}, c).status().message(),
              HasSubstr("int_contents holds 2 values, but shape [3] needs 3"));
  EXPECT_THAT(TensorFromContents("a", DType::kHalf, {2}, c).status().message(),
              HasSubstr("FP16 values can only be sent in raw_input_contents"));
  c.Clear();
  c.add_bytes_contents("ab");
  EXPECT_EQ(TensorFromContents("s", DType::kString, {1}, c).value().data<std::string>()[0], "ab");
}

}  // namespace
}  // namespace tfmodel::serving::v2
