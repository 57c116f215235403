// Ports of TF Serving's util/json_tensor_test.cc cases (values and error strings).
#include "serving/json_tensor.h"

#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "format/tensor_proto.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "rapidjson/document.h"
#include "tensorflow/core/example/example.pb.h"
#include "test_util.h"

namespace tfmodel::serving {
namespace {

using ::testing::HasSubstr;

InputDTypeGetter Inputs(InputDTypeMap m) {
  return [m](const std::string&) -> absl::StatusOr<const InputDTypeMap*> { return &m; };
}

tensorflow::TensorProto Proto(const std::string& text) {
  tensorflow::TensorProto p;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &p)) << text;
  return p;
}

absl::Status Parse(const std::string& json, InputDTypeMap m, JsonPredictRequest* req) {
  return ParsePredictRequestJson(json, Inputs(std::move(m)), req);
}

Tensor FromText(const std::string& text) {
  auto t = TensorFromProto(Proto(text));
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : Tensor();
}

// The parsed tensor equals the TensorProto in text form (dtype, shape and values).
void ExpectProto(const Tensor& got, const std::string& want_text) {
  testing::ExpectTensorEq(got, FromText(want_text));
}

// Structural JSON equality (numbers compared as text when as_strings).
void ExpectJsonEq(const std::string& got, const std::string& want, bool as_strings = false) {
  rapidjson::Document a, b;
  if (as_strings) {
    a.Parse<rapidjson::kParseNanAndInfFlag | rapidjson::kParseNumbersAsStringsFlag>(got.c_str());
    b.Parse<rapidjson::kParseNanAndInfFlag | rapidjson::kParseNumbersAsStringsFlag>(want.c_str());
  } else {
    a.Parse<rapidjson::kParseNanAndInfFlag>(got.c_str());
    b.Parse<rapidjson::kParseNanAndInfFlag>(want.c_str());
  }
  ASSERT_FALSE(a.HasParseError()) << got;
  ASSERT_FALSE(b.HasParseError()) << want;
  EXPECT_TRUE(a == b) << "got: " << got << "\nwant: " << want;
}

TEST(JsonTensorTest, SingleUnnamedTensor) {
  JsonPredictRequest req;
  TFM_ASSERT_OK(Parse(R"({"instances": [[1,2],[3,4],[5,6]]})", {{"default", DType::kInt32}}, &req));
  EXPECT_EQ(req.format, JsonPredictFormat::kRow);
  ASSERT_EQ(req.inputs.size(), 1u);
  ExpectProto(req.inputs["default"],
              R"(dtype: DT_INT32 tensor_shape { dim { size: 3 } dim { size: 2 } }
      int_val: 1 int_val: 2 int_val: 3 int_val: 4 int_val: 5 int_val: 6)");
}

TEST(JsonTensorTest, MixedInputForFloatAndDoubleTensor) {
  JsonPredictRequest req;
  TFM_ASSERT_OK(Parse(R"({"instances": [1, 2.0, 3, 4, 5.003, 0.007, 0.0]})",
                      {{"default", DType::kFloat}}, &req));
  ExpectProto(req.inputs["default"], R"(dtype: DT_FLOAT tensor_shape { dim { size: 7 } }
      float_val: 1 float_val: 2 float_val: 3 float_val: 4 float_val: 5.003 float_val: 0.007
      float_val: 0)");
  TFM_ASSERT_OK(Parse(R"({"instances": [1.0, 2, 3, 4, 0.662, 0, 0.0]})",
                      {{"default", DType::kDouble}}, &req));
  ExpectProto(req.inputs["default"], R"(dtype: DT_DOUBLE tensor_shape { dim { size: 7 } }
      double_val: 1 double_val: 2 double_val: 3 double_val: 4 double_val: 0.662 double_val: 0
      double_val: 0)");
}

TEST(JsonTensorTest, FloatRangeRules) {
  JsonPredictRequest req;
  // Integers too large for exact float are rounded; out-of-range values become inf.
  TFM_ASSERT_OK(Parse(R"({"instances": [1435774380, 1e300, -1e300, 1e-300]})",
                      {{"default", DType::kFloat}}, &req));
  const Tensor& t = req.inputs["default"];
  ASSERT_EQ(t.dtype(), DType::kFloat);
  ASSERT_EQ(t.NumElements(), 4);
  const float* v = t.data<float>();
  EXPECT_EQ(v[0], 1435774380.0f);
  EXPECT_TRUE(std::isinf(v[1]) && v[1] > 0);
  EXPECT_TRUE(std::isinf(v[2]) && v[2] < 0);
  EXPECT_EQ(v[3], 0.0f);
}

TEST(JsonTensorTest, IntegerRules) {
  JsonPredictRequest req;
  absl::Status s = Parse(R"({"instances": [1, 2147483648]})", {{"default", DType::kInt32}}, &req);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("JSON Value: 2147483648 Type: Number is not of expected "
                                     "type: int32"));
  s = Parse(R"({"instances": [1.5]})", {{"default", DType::kInt64}}, &req);
  EXPECT_THAT(s.message(),
              HasSubstr("JSON Value: 1.5 Type: Number is not of expected type: int64"));
  s = Parse(R"({"instances": [256]})", {{"default", DType::kUInt8}}, &req);
  EXPECT_THAT(s.message(), HasSubstr("is not of expected type: uint8"));
  TFM_ASSERT_OK(
      Parse(R"({"instances": [9223372036854775807, -1]})", {{"default", DType::kInt64}}, &req));
  EXPECT_EQ(req.inputs["default"].data<int64_t>()[0], std::numeric_limits<int64_t>::max());
  TFM_ASSERT_OK(Parse(R"({"instances": [true, false]})", {{"default", DType::kBool}}, &req));
  ExpectProto(req.inputs["default"],
              "dtype: DT_BOOL tensor_shape { dim { size: 2 } } bool_val: true bool_val: false");
  s = Parse(R"({"instances": [1]})", {{"default", DType::kBool}}, &req);
  EXPECT_THAT(s.message(), HasSubstr("JSON Value: 1 Type: Number is not of expected type: bool"));
  s = Parse(R"({"instances": [1]})", {{"default", DType::kHalf}}, &req);
  // Row items wrap the element error (as TF Serving does) into InvalidArgument.
  EXPECT_THAT(s.message(), HasSubstr("UNIMPLEMENTED: Conversion of JSON Value: 1 to type: half"));
  s = Parse(R"({"inputs": [1]})", {{"default", DType::kHalf}}, &req);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(s.message(), "Conversion of JSON Value: 1 to type: half");
}

TEST(JsonTensorTest, SignatureNameAndNonTerminatedBuffer) {
  JsonPredictRequest req;
  TFM_ASSERT_OK(Parse(R"({"signature_name": "predict_images", "instances": [[1,2]]})",
                      {{"default", DType::kInt32}}, &req));
  EXPECT_EQ(req.signature_name, "predict_images");
  const std::string buf = R"({"instances": [[1,2],[3,4],[5,6]]}X)";
  TFM_ASSERT_OK(ParsePredictRequestJson(absl::string_view(buf.data(), buf.size() - 1),
                                        Inputs({{"default", DType::kInt32}}), &req));
  EXPECT_EQ(req.inputs["default"].NumElements(), 6);
}

TEST(JsonTensorTest, Base64) {
  JsonPredictRequest req;
  TFM_ASSERT_OK(Parse(R"({"instances": [ { "b64" : "aGVsbG8=" }, { "b64": "d29ybGQ=" } ]})",
                      {{"default", DType::kString}}, &req));
  ExpectProto(req.inputs["default"], R"(dtype: DT_STRING tensor_shape { dim { size: 2 } }
      string_val: "hello" string_val: "world")");
  TFM_ASSERT_OK(Parse(R"({"instances": [ [{ "b64" : "aGVsbG8=" }], [{ "b64": "d29ybGQ=" }] ]})",
                      {{"default", DType::kString}}, &req));
  ExpectProto(req.inputs["default"],
              R"(dtype: DT_STRING tensor_shape { dim { size: 2 } dim { size: 1 } }
      string_val: "hello" string_val: "world")");
  TFM_ASSERT_OK(Parse(
      R"({"instances": [{"default": [ [{ "b64" : "aGVsbG8=" }], [{ "b64": "d29ybGQ=" }] ]}]})",
      {{"default", DType::kString}}, &req));
  ExpectProto(req.inputs["default"], R"(dtype: DT_STRING
      tensor_shape { dim { size: 1 } dim { size: 2 } dim { size: 1 } }
      string_val: "hello" string_val: "world")");
  // Web-safe alphabet is not standard base64.
  absl::Status s =
      Parse(R"({"instances": [{"b64": "_-8="}]})", {{"default", DType::kString}}, &req);
  EXPECT_THAT(s.message(), HasSubstr("Unable to base64 decode"));
  s = Parse(R"({"instances": [{"b64": "aGVsbG8=", "x": 1}]})", {{"default", DType::kString}}, &req);
  EXPECT_FALSE(s.ok());
}

TEST(JsonTensorTest, MultipleNamedTensor) {
  JsonPredictRequest req;
  TFM_ASSERT_OK(Parse(R"({
      "instances": [
        {"int_tensor": [[1,2],[3,4],[5,6]], "str_tensor": ["foo", "bar"],
         "float_tensor": [1.0, NaN], "dbl_tensor": [NaN]},
        {"int_tensor": [[7,8],[9,0],[1,2]], "str_tensor": ["baz", "bat"],
         "float_tensor": [2.0, Infinity], "dbl_tensor": [2.0]}
      ]})",
                      {{"int_tensor", DType::kInt32},
                       {"str_tensor", DType::kString},
                       {"float_tensor", DType::kFloat},
                       {"dbl_tensor", DType::kDouble}},
                      &req));
  ASSERT_EQ(req.inputs.size(), 4u);
  ExpectProto(req.inputs["int_tensor"], R"(dtype: DT_INT32
      tensor_shape { dim { size: 2 } dim { size: 3 } dim { size: 2 } }
      int_val: 1 int_val: 2 int_val: 3 int_val: 4 int_val: 5 int_val: 6
      int_val: 7 int_val: 8 int_val: 9 int_val: 0 int_val: 1 int_val: 2)");
  ExpectProto(req.inputs["str_tensor"], R"(dtype: DT_STRING
      tensor_shape { dim { size: 2 } dim { size: 2 } }
      string_val: "foo" string_val: "bar" string_val: "baz" string_val: "bat")");
  const Tensor& f = req.inputs["float_tensor"];
  ASSERT_EQ(f.NumElements(), 4);
  EXPECT_EQ(f.data<float>()[0], 1.0f);
  EXPECT_TRUE(std::isnan(f.data<float>()[1]));
  EXPECT_TRUE(std::isinf(f.data<float>()[3]));
  EXPECT_EQ(req.inputs["dbl_tensor"].dim(1), 1);
}

TEST(JsonTensorTest, Columnar) {
  JsonPredictRequest req;
  TFM_ASSERT_OK(Parse(R"({"inputs": {"int_tensor": [[[1,2],[3,4],[5,6]]]}})",
                      {{"int_tensor", DType::kInt32}}, &req));
  EXPECT_EQ(req.format, JsonPredictFormat::kColumnar);
  ExpectProto(req.inputs["int_tensor"], R"(dtype: DT_INT32
      tensor_shape { dim { size: 1 } dim { size: 3 } dim { size: 2 } }
      int_val: 1 int_val: 2 int_val: 3 int_val: 4 int_val: 5 int_val: 6)");
  TFM_ASSERT_OK(
      Parse(R"({"inputs": [[[1,2],[3,4],[5,6]]]})", {{"int_tensor", DType::kInt32}}, &req));
  EXPECT_EQ(req.inputs["int_tensor"].NumElements(), 6);
  TFM_ASSERT_OK(Parse(R"({"inputs": {"int_tensor": [[[1,2],[3,4],[5,6]]],
                                     "str_tensor": ["foo", "bar"],
                                     "bin_tensor": { "b64" : "aGVsbG8=" }}})",
                      {{"int_tensor", DType::kInt32},
                       {"str_tensor", DType::kString},
                       {"bin_tensor", DType::kString}},
                      &req));
  ExpectProto(req.inputs["bin_tensor"], R"(dtype: DT_STRING tensor_shape {} string_val: "hello")");
  ExpectProto(req.inputs["str_tensor"], R"(dtype: DT_STRING tensor_shape { dim { size: 2 } }
      string_val: "foo" string_val: "bar")");
  absl::Status s =
      Parse(R"({"inputs": {"a": [1]}})", {{"a", DType::kInt32}, {"b", DType::kInt32}}, &req);
  EXPECT_EQ(s.message(), "Missing named input: b in 'inputs' object.");
  s = Parse(R"({"inputs": [1]})", {{"a", DType::kInt32}, {"b", DType::kInt32}}, &req);
  EXPECT_THAT(s.message(), HasSubstr("inputs is a plain value/list, but expecting an object"));
}

TEST(JsonTensorTest, SingleUnnamedTensorErrors) {
  JsonPredictRequest req;
  InputDTypeMap m = {{"default", DType::kInt32}};
  absl::Status s = Parse("", m, &req);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "JSON Parse error: The document is empty");
  s = Parse("instances = [1, 2]", m, &req);
  EXPECT_EQ(s.message(), "JSON Parse error: Invalid value. at offset: 0");
  s = Parse(R"({"signature_name": 5, "instances": [[1,2],[3,4],[5,6,7]]})", m, &req);
  EXPECT_THAT(s.message(), HasSubstr("'signature_name' key must be a string value."));
  s = Parse(R"({"instances": [[1,2],[3,4],[5,6,7]], "inputs": [[1,2],[3,4],[5,6,7]]})", m, &req);
  EXPECT_THAT(s.message(), HasSubstr("Not formatted correctly expecting only one of 'inputs' or "
                                     "'instances' keys to exist"));
  s = Parse(R"({"instances": [[1,2],[3,4],[5,6,7]]})", m, &req);
  EXPECT_EQ(s.message(),
            "Failed to process element: 2 of 'instances' list. Error: INVALID_ARGUMENT: "
            "Expecting tensor size: 2 but got: 3");
  s = Parse(R"({"instances": [[1,2],[3,4],[[5,6]]]})", m, &req);
  EXPECT_THAT(s.message(), HasSubstr("Expecting shape [2] but got: [1,2]"));
  s = Parse(R"({"instances": [1, [1]]})", m, &req);
  EXPECT_THAT(s.message(), HasSubstr("Expecting shape [] but got: [1]"));
  s = Parse(R"({"instances": [[1,2],["a", "b"]]})", m, &req);
  EXPECT_THAT(s.message(),
              HasSubstr("JSON Value: \"a\" Type: String is not of expected type: int32"));
  // Ragged rows inside one instance.
  s = Parse(R"({"instances": [[[1,2],[3]]]})", m, &req);
  EXPECT_THAT(s.message(), HasSubstr("Encountered list at unexpected size: 1 at level: 1 "
                                     "expected size: 2"));
  s = Parse(R"({"instances": [[1,[2]]]})", m, &req);
  EXPECT_THAT(s.message(), HasSubstr("Encountered list at unexpected level: 1 expected < 1"));
  s = Parse(R"({"instances": [[[1],2]]})", m, &req);
  EXPECT_THAT(s.message(), HasSubstr("found at incorrect level: 2 in the JSON DOM. Expected at "
                                     "level: 2"));
  s = Parse(R"({"foo": 1})", m, &req);
  EXPECT_EQ(s.message(), "Missing 'inputs' or 'instances' key");
  s = Parse(R"({"instances": []})", m, &req);
  EXPECT_THAT(s.message(), HasSubstr("No values in 'instances' array"));
  s = Parse(R"({"instances": 1})", m, &req);
  EXPECT_THAT(s.message(), HasSubstr("Expecting 'instances' to be an list/array"));
  s = Parse(R"([1])", m, &req);
  EXPECT_THAT(s.message(), HasSubstr("Is not object"));
  // Unterminated nesting is a parse error (found without recursion).
  s = Parse(std::string(100000, '['), m, &req);
  EXPECT_THAT(s.message(), HasSubstr("JSON Parse error: "));
}

TEST(JsonTensorTest, MultipleNamedTensorErrors) {
  JsonPredictRequest req;
  InputDTypeMap m = {{"int_tensor", DType::kInt32}, {"str_tensor", DType::kString}};
  absl::Status s = Parse(R"({"instances": [
      {"int_tensor": [[1,2],[3,4],[5,6]], "str_tensor": ["foo", "bar"]},
      {"int_tensor": [[[7,8],[9,0],[1,2]]], "str_tensor": ["baz", "bat"]}]})",
                         m, &req);
  EXPECT_THAT(s.message(), HasSubstr("Expecting shape"));
  s = Parse(R"({"instances": [
      {"int_tensor": [[1,2],[3,4],[5,6],[7,8]], "str_tensor": ["foo", "bar"]},
      {"int_tensor": [[7,8],[9,0],[1,2]], "str_tensor": ["baz", "bat"]}]})",
            m, &req);
  EXPECT_THAT(s.message(), HasSubstr("Expecting tensor size"));
  s = Parse(R"({"instances": [
      {"int_tensor": [[1,2],[3,4],[5,6]], "str_tensor": ["foo", "bar"]}, [1, 20, 30]]})",
            m, &req);
  EXPECT_EQ(s.message(), "Expecting object but got list at item 1 of input list");
  s = Parse(R"({"instances": [{"int_tensor": [1]}]})", m, &req);
  EXPECT_THAT(s.message(), HasSubstr("keys must be equal to: int_tensor,str_tensor"));
  s = Parse(R"({"instances": [1, 2]})", m, &req);
  EXPECT_EQ(s.message(),
            "instances is a plain list, but expecting list of objects as multiple input tensors "
            "required as per tensorinfo_map");
  s = Parse(R"({"instances": [["baz", "bar"], {"str_tensor": ["baz", "bat"]}]})",
            {{"str_tensor", DType::kString}}, &req);
  EXPECT_EQ(s.message(), "Expecting value/list but got object at item 1 of input list");
}

TEST(JsonTensorTest, GetterErrorsPropagate) {
  JsonPredictRequest req;
  absl::Status s = ParsePredictRequestJson(
      R"({"signature_name": "nope", "instances": [1]})",
      [](const std::string& sig) -> absl::StatusOr<const InputDTypeMap*> {
        return absl::InvalidArgumentError("Serving signature name: \"" + sig +
                                          "\" not found in signature def");
      },
      &req);
  EXPECT_EQ(s.message(), "Serving signature name: \"nope\" not found in signature def");
}

TEST(JsonTensorTest, FromJsonSingleTensor) {
  std::map<std::string, Tensor> m;
  m["int_tensor"] = FromText(R"(dtype: DT_INT32
      tensor_shape { dim { size: 2 } dim { size: 3 } dim { size: 2 } }
      int_val: 1 int_val: 2 int_val: 3 int_val: 4 int_val: 5 int_val: 6
      int_val: 7 int_val: 8 int_val: 9 int_val: 0 int_val: 1 int_val: 2)");
  TFM_ASSERT_OK_AND_ASSIGN(std::string row, MakeJsonFromTensors(m, JsonPredictFormat::kRow));
  ExpectJsonEq(row, R"({"predictions": [[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 0], [1, 2]]]})");
  TFM_ASSERT_OK_AND_ASSIGN(std::string col, MakeJsonFromTensors(m, JsonPredictFormat::kColumnar));
  ExpectJsonEq(col, R"({"outputs": [[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 0], [1, 2]]]})");
}

TEST(JsonTensorTest, ExactResponseBytes) {
  // TF Serving's PrettyWriter layout: rows on single lines.
  std::map<std::string, Tensor> m;
  m["y"] = Tensor::FromVector<float>({2.5f, 3.0f, 4.5f}, TensorShape{3, 1});
  TFM_ASSERT_OK_AND_ASSIGN(std::string row, MakeJsonFromTensors(m, JsonPredictFormat::kRow));
  EXPECT_EQ(row, "{\n    \"predictions\": [[2.5], [3.0], [4.5]\n    ]\n}");
  m["y"] = Tensor::FromVector<float>({3.0f, 3.5f, 4.0f});
  TFM_ASSERT_OK_AND_ASSIGN(row, MakeJsonFromTensors(m, JsonPredictFormat::kRow));
  EXPECT_EQ(row, "{\n    \"predictions\": [3.0, 3.5, 4.0\n    ]\n}");
  TFM_ASSERT_OK_AND_ASSIGN(std::string col, MakeJsonFromTensors(m, JsonPredictFormat::kColumnar));
  EXPECT_EQ(col, "{\n    \"outputs\": [\n        3.0,\n        3.5,\n        4.0\n    ]\n}");
}

TEST(JsonTensorTest, FromJsonBytesAndFloatFormatting) {
  std::map<std::string, Tensor> m;
  m["str_tensor_bytes"] = FromText(R"(dtype: DT_STRING
      tensor_shape { dim { size: 2 } dim { size: 2 } }
      string_val: "hello" string_val: "world" string_val: "tf" string_val: "serving")");
  TFM_ASSERT_OK_AND_ASSIGN(std::string row, MakeJsonFromTensors(m, JsonPredictFormat::kRow));
  ExpectJsonEq(row, R"({"predictions": [[{"b64": "aGVsbG8="}, {"b64": "d29ybGQ="}],
                                        [{"b64": "dGY="}, {"b64": "c2VydmluZw=="}]]})");
  m.clear();
  m["float_tensor"] = FromText(R"(dtype: DT_FLOAT tensor_shape { dim { size: 2 } dim { size: 3 } }
      float_val: 9000000 float_val: 999999 float_val: 0.5 float_val: .0003 float_val: .00003
      float_val: 555557.5)");
  TFM_ASSERT_OK_AND_ASSIGN(row, MakeJsonFromTensors(m, JsonPredictFormat::kRow));
  ExpectJsonEq(row, R"({"predictions": [[9e+06, 999999.0, 0.5], [0.0003, 3e-05, 555557.5]]})",
               true);
  m["float_tensor"] = FromText(R"(dtype: DT_FLOAT tensor_shape { dim { size: 2 } dim { size: 2 } }
      float_val: NaN float_val: Infinity float_val: 3 float_val: -Infinity)");
  TFM_ASSERT_OK_AND_ASSIGN(row, MakeJsonFromTensors(m, JsonPredictFormat::kRow));
  ExpectJsonEq(row, R"({"predictions": [[NaN, Infinity], [3.0, -Infinity]]})", true);
  EXPECT_THAT(row, HasSubstr("[NaN, Infinity]"));
}

TEST(JsonTensorTest, FromJsonErrors) {
  std::map<std::string, Tensor> m;
  auto s = MakeJsonFromTensors(m, JsonPredictFormat::kRow);
  EXPECT_EQ(s.status().message(), "Cannot convert empty tensor map to JSON");
  m["tensor"] = Tensor(DType::kComplex64, TensorShape{2});
  s = MakeJsonFromTensors(m, JsonPredictFormat::kRow);
  EXPECT_EQ(s.status().message(), "Failed to write JSON value for tensor type: complex64");
  m["tensor"] = Tensor::Scalar<int32_t>(1);
  s = MakeJsonFromTensors(m, JsonPredictFormat::kRow);
  EXPECT_EQ(s.status().message(), "Tensor name: tensor has no shape information ");
  m.clear();
  m["int_tensor"] = Tensor(DType::kInt32, TensorShape{2, 3});
  m["str_tensor"] = Tensor(DType::kString, TensorShape{1, 3});
  s = MakeJsonFromTensors(m, JsonPredictFormat::kRow);
  EXPECT_EQ(s.status().message(),
            "Tensor name: str_tensor has inconsistent batch size: 1 expecting: 2");
}

TEST(JsonTensorTest, FromJsonMultipleNamedAndZeroBatch) {
  std::map<std::string, Tensor> m;
  m["int_tensor"] = Tensor::FromVector<int32_t>({1, 2, 3, 4}, TensorShape{2, 2});
  m["double_scalar_tensor"] = Tensor::FromVector<double>({8.0, 9.0});
  m["str_tensor"] = Tensor::FromVector<std::string>({"foo", "bar"}, TensorShape{2, 1});
  TFM_ASSERT_OK_AND_ASSIGN(std::string row, MakeJsonFromTensors(m, JsonPredictFormat::kRow));
  ExpectJsonEq(row, R"({"predictions": [
      {"double_scalar_tensor": 8.0, "int_tensor": [1, 2], "str_tensor": ["foo"]},
      {"double_scalar_tensor": 9.0, "int_tensor": [3, 4], "str_tensor": ["bar"]}]})");
  TFM_ASSERT_OK_AND_ASSIGN(std::string col, MakeJsonFromTensors(m, JsonPredictFormat::kColumnar));
  ExpectJsonEq(col, R"({"outputs": {"double_scalar_tensor": [8.0, 9.0],
      "int_tensor": [[1, 2], [3, 4]], "str_tensor": [["foo"], ["bar"]]}})");
  m.clear();
  m["int_tensor"] = Tensor(DType::kInt32, TensorShape{0, 2});
  m["float_tensor"] = Tensor(DType::kFloat, TensorShape{0, 3, 4});
  TFM_ASSERT_OK_AND_ASSIGN(row, MakeJsonFromTensors(m, JsonPredictFormat::kRow));
  ExpectJsonEq(row, R"({"predictions": []})");
  m["uint"] = Tensor::FromVector<uint64_t>({0, 0});
  m.erase("float_tensor");
  m.erase("int_tensor");
  m["uint"].data<uint64_t>()[1] = std::numeric_limits<uint64_t>::max();
  TFM_ASSERT_OK_AND_ASSIGN(row, MakeJsonFromTensors(m, JsonPredictFormat::kRow));
  EXPECT_THAT(row, HasSubstr("18446744073709551615"));
}

TEST(JsonTensorTest, ClassifyRegressRequests) {
  std::string sig;
  tensorflow::serving::Input input;
  TFM_ASSERT_OK(ParseClassifyRegressRequestJson(R"({
      "signature_name": "classify_x_to_y",
      "examples": [{"x": 2.0, "tags": ["a", {"b64": "Yg=="}], "n": [1, true], "e": []}]})",
                                                &sig, &input));
  EXPECT_EQ(sig, "classify_x_to_y");
  ASSERT_EQ(input.example_list().examples_size(), 1);
  const auto& f = input.example_list().examples(0).features().feature();
  EXPECT_EQ(f.at("x").float_list().value(0), 2.0f);
  EXPECT_EQ(f.at("tags").bytes_list().value(1), "b");
  EXPECT_EQ(f.at("n").int64_list().value(1), 1);
  EXPECT_EQ(f.at("e").kind_case(), tensorflow::Feature::KIND_NOT_SET);

  TFM_ASSERT_OK(ParseClassifyRegressRequestJson(
      R"({"context": {"c": 1}, "examples": [{"x": 1.5}, {"x": 2}]})", &sig, &input));
  ASSERT_TRUE(input.has_example_list_with_context());
  EXPECT_EQ(input.example_list_with_context().examples_size(), 2);
  EXPECT_EQ(
      input.example_list_with_context().context().features().feature().at("c").int64_list().value(
          0),
      1);

  absl::Status s =
      ParseClassifyRegressRequestJson(R"({"examples": [{"x": [1, 2.5]}]})", &sig, &input);
  EXPECT_EQ(s.message(), "Unexpected element type in feature: x expecting type: int64");
  s = ParseClassifyRegressRequestJson(R"({"examples": [{"x": null}]})", &sig, &input);
  EXPECT_EQ(s.message(), "Feature: x has element with unexpected JSON type: Null");
  s = ParseClassifyRegressRequestJson(R"({"examples": [{"x": [[1]]}]})", &sig, &input);
  EXPECT_EQ(s.message(), "Feature: x has element with unexpected JSON type: Array");
  s = ParseClassifyRegressRequestJson(R"({"examples": [{"x": 18446744073709551615}]})", &sig,
                                      &input);
  EXPECT_EQ(s.message(), "Feature: x has uint64 element. Only int64_t is supported.");
  s = ParseClassifyRegressRequestJson(R"({"examples": [1]})", &sig, &input);
  EXPECT_EQ(s.message(), "Example must be JSON object but got JSON Number");
  s = ParseClassifyRegressRequestJson(R"({"examples": []})", &sig, &input);
  EXPECT_THAT(s.message(), HasSubstr("'examples' value is an empty array"));
  s = ParseClassifyRegressRequestJson(R"({"x": 1})", &sig, &input);
  EXPECT_THAT(s.message(),
              HasSubstr("When method is classify, key 'examples' is expected and was not found"));
  s = ParseClassifyRegressRequestJson(R"({"examples": {}})", &sig, &input);
  EXPECT_THAT(s.message(), HasSubstr("Expecting 'examples' value to be an list/array"));
}

TEST(JsonTensorTest, ClassifyRegressResults) {
  tensorflow::serving::ClassificationResult cr;
  auto* c = cr.add_classifications()->add_classes();
  c->set_score(3.0f);
  TFM_ASSERT_OK_AND_ASSIGN(std::string json, MakeJsonFromClassificationResult(cr));
  ExpectJsonEq(json, R"({"results": [[["", 3.0]]]})");
  EXPECT_THAT(json, HasSubstr("[[\"\", 3.0]]"));
  tensorflow::serving::RegressionResult rr;
  rr.add_regressions()->set_value(42);
  rr.add_regressions()->set_value(0.5);
  TFM_ASSERT_OK_AND_ASSIGN(json, MakeJsonFromRegressionResult(rr));
  EXPECT_EQ(json, "{\n    \"results\": [42.0, 0.5]\n}");
  EXPECT_EQ(MakeJsonFromClassificationResult({}).status().message(),
            "Cannot convert empty ClassificationResults to JSON");
  EXPECT_EQ(MakeJsonFromRegressionResult({}).status().message(),
            "Cannot convert empty RegressionResults to JSON");
}

TEST(JsonTensorTest, StatusError) {
  EXPECT_EQ(MakeJsonFromStatus(absl::InvalidArgumentError("Some \"error\"")),
            "{\n    \"error\": \"Some \\\"error\\\"\"\n}");
  EXPECT_EQ(MakeJsonFromStatus(absl::OkStatus()), "");
}

// '['*n + inner + ']'*n.
std::string Nest(int n, const std::string& inner) {
  return std::string(n, '[') + inner + std::string(n, ']');
}

TEST(JsonTensorTest, DeepNestingNeitherCrashesNorIsRefusedForDepthAlone) {
  constexpr int kDeep = 500000;  // far beyond any thread stack if anything recursed
  JsonPredictRequest req;
  const InputDTypeMap m = {{"x", DType::kFloat}};
  // Deep but well-formed JSON outside the tensor is accepted (TF Serving parses
  // iteratively too), and so are deeply nested objects.
  std::string deep_objects;
  for (int i = 0; i < kDeep; ++i) deep_objects += R"({"a":)";
  deep_objects += "1" + std::string(kDeep, '}');
  TFM_ASSERT_OK(Parse(absl::StrCat(R"({"other": )", Nest(kDeep, "2"), R"(, "more": )", deep_objects,
                                   R"(, "instances": [1.5]})"),
                      m, &req));
  ExpectProto(req.inputs.at("x"),
              "dtype: DT_FLOAT tensor_shape { dim { size: 1 } } float_val: 1.5");

  // A tensor nested that deep cannot exist (TensorFlow allows 254 dimensions): a clear,
  // short error, for rows and columns alike.
  constexpr int kDeepish = 20000;  // the other cases need no more to be far past 254
  for (const std::string& body :
       {absl::StrCat(R"({"instances": [)", Nest(kDeep, "1"), "]}"),
        absl::StrCat(R"({"inputs": )", Nest(kDeepish, "1"), "}"),
        absl::StrCat(R"({"instances": [[1], )", Nest(kDeepish, "1"), "]}")}) {
    absl::Status s = Parse(body, m, &req);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(s.message(), HasSubstr("a tensor has at most 254 dimensions"));
    EXPECT_LT(s.message().size(), 1024u);
  }
  // 254 dimensions is fine (253 per instance plus the batch).
  TFM_ASSERT_OK(Parse(absl::StrCat(R"({"instances": [)", Nest(253, "7"), "]}"), m, &req));
  EXPECT_EQ(req.inputs.at("x").rank(), 254);
  EXPECT_EQ(req.inputs.at("x").data<float>()[0], 7.0f);
  EXPECT_THAT(Parse(absl::StrCat(R"({"instances": [)", Nest(254, "7"), "]}"), m, &req).message(),
              HasSubstr("at most 254 dimensions"));
  TFM_ASSERT_OK(Parse(absl::StrCat(R"({"inputs": )", Nest(254, "7"), "}"), m, &req));
  EXPECT_EQ(req.inputs.at("x").rank(), 254);

  // Malformed deep input: refused without recursion, at the parse.
  for (const std::string& body :
       {std::string(kDeep, '['), absl::StrCat(R"({"instances": )", std::string(kDeepish, '[')),
        absl::StrCat(R"({"instances": )", Nest(kDeepish, "1"), "]"),
        absl::StrCat(R"({"a": )", std::string(kDeepish, '{'))}) {
    absl::Status s = Parse(body, m, &req);
    EXPECT_THAT(s.message(), HasSubstr("JSON Parse error: ")) << body.substr(0, 40);
  }
  // Errors that quote the request quote a bounded prefix of it, without recursing.
  absl::Status s =
      Parse(absl::StrCat(R"({"instances": 5, "deep": )", Nest(kDeep, "1"), "}"), m, &req);
  EXPECT_THAT(s.message(), HasSubstr("Expecting 'instances' to be an list/array"));
  EXPECT_LT(s.message().size(), 600u);
  s = Parse(absl::StrCat(R"({"instances": [)", Nest(3, "1"), ", ", Nest(kDeepish, "1"), "]}"), m,
            &req);
  EXPECT_FALSE(s.ok());
  EXPECT_LT(s.message().size(), 1024u);

  // Classify/regress bodies: a nested list as a feature value is a type error.
  std::string signature;
  tensorflow::serving::Input input;
  s = ParseClassifyRegressRequestJson(
      absl::StrCat(R"({"examples": [{"x": )", Nest(kDeepish, "1"), "}]}"), &signature, &input);
  EXPECT_THAT(s.message(), HasSubstr("Feature: x has element with unexpected JSON type: Array"));
  TFM_ASSERT_OK(ParseClassifyRegressRequestJson(
      absl::StrCat(R"({"skip": )", Nest(kDeep, "0"), R"(, "examples": [{"x": 1.0}]})"), &signature,
      &input));
  EXPECT_EQ(input.example_list().examples_size(), 1);
}

TEST(JsonTensorTest, ErrorsQuoteBoundedParts) {
  JsonPredictRequest req;
  const InputDTypeMap m = {{"x", DType::kFloat}};
  const std::string big(400 * 1024, 'z');
  // The whole document is quoted: only its first few hundred bytes come back.
  absl::Status s = Parse(absl::StrCat(R"({"instances": 5, "pad": ")", big, R"("})"), m, &req);
  EXPECT_THAT(s.message(), HasSubstr("JSON Value: {"));
  EXPECT_THAT(s.message(), HasSubstr("... Expecting 'instances' to be an list/array"));
  EXPECT_LT(s.message().size(), 600u);
  // A huge value, key or signature name.
  s = Parse(absl::StrCat(R"({"instances": [")", big, R"("]})"), m, &req);
  EXPECT_THAT(s.message(), HasSubstr("... Type: String is not of expected type: float"));
  EXPECT_LT(s.message().size(), 600u);
  s = Parse(absl::StrCat(R"({"instances": [{")", big, R"(": 1}]})"),
            {{"a", DType::kFloat}, {"b", DType::kFloat}}, &req);
  EXPECT_THAT(s.message(), HasSubstr("does not have named input: zzz"));
  EXPECT_LT(s.message().size(), 800u);
  std::string signature;
  tensorflow::serving::Input input;
  s = ParseClassifyRegressRequestJson(absl::StrCat(R"({"examples": [{")", big, R"(": null}]})"),
                                      &signature, &input);
  EXPECT_THAT(s.message(), HasSubstr("... has element with unexpected JSON type: Null"));
  EXPECT_LT(s.message().size(), 600u);
  // Multi-byte characters are never cut in half.
  std::string accents;
  for (int i = 0; i < 1000; ++i) accents += "\u00e9";
  s = Parse(absl::StrCat(R"({"instances": [")", accents, R"("]})"), m, &req);
  const std::string msg(s.message());
  const size_t cut = msg.find("...");
  ASSERT_NE(cut, std::string::npos) << msg;
  EXPECT_EQ(msg.substr(cut - 2, 2), "\xc3\xa9");
  // The error body as a whole is bounded too.
  const std::string body = MakeJsonFromStatus(absl::InvalidArgumentError(big));
  EXPECT_LT(body.size(), 5000u);
  EXPECT_THAT(body, HasSubstr("zzz ... zzz"));
}

}  // namespace
}  // namespace tfmodel::serving
