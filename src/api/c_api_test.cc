// Tests of the C API (include/tfmodel/c_api.h) through libtfmodel.so, as a C program would
// use it, on TensorFlow-made models from the testdata.
#include "tfmodel/c_api.h"

#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/c_api_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

using tfmodel::api_test::ModelPtr;
using tfmodel::api_test::StatusPtr;
using tfmodel::api_test::TensorPtr;

std::string HalfPlusTwo() {
  return tfmodel::testing::Testdata("tf_serving/saved_model_half_plus_two_cpu/00000123");
}
std::string Regression(const std::string& rel) {
  return tfmodel::testing::Testdata("tf2onnx/regression/" + rel);
}
// The regression model's weights (testdata README): pred = W * X + b.
constexpr float kW = 0.21396178f, kB = 1.0495254f;

TensorPtr FloatTensor(const std::vector<int64_t>& dims, const std::vector<float>& values) {
  StatusPtr st(TFM_NewStatus());
  TensorPtr t(TFM_NewTensor(TFM_FLOAT, dims.data(), static_cast<int>(dims.size()), values.data(),
                            values.size() * sizeof(float), st.get()));
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_OK) << TFM_Message(st.get());
  return t;
}

std::vector<float> Floats(TFM_Tensor* t) {
  EXPECT_EQ(TFM_TensorType(t), TFM_FLOAT);
  const float* p = static_cast<const float*>(TFM_TensorData(t));
  return std::vector<float>(p, p + TFM_TensorElementCount(t));
}

ModelPtr Load(const std::string& path, const TFM_LoadOptions* options = nullptr) {
  StatusPtr st(TFM_NewStatus());
  ModelPtr m(TFM_LoadModel(path.c_str(), options, st.get()));
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_OK) << TFM_Message(st.get());
  EXPECT_NE(m, nullptr);
  return m;
}

// Runs signature `key` with one input and one output; returns the output (null on error,
// with `st` holding the error).
TensorPtr RunOne(TFM_Model* m, const char* key, const char* in_name, const TFM_Tensor* in,
                 const char* out_name, TFM_Status* st) {
  TFM_Tensor* out = reinterpret_cast<TFM_Tensor*>(0x1);  // must be reset to NULL on error
  TFM_RunSignature(m, key, &in_name, &in, 1, &out_name, 1, &out, st);
  return TensorPtr(out);
}

TEST(CApiTest, VersionAndStatus) {
  EXPECT_THAT(TFM_Version(), MatchesRegex("[0-9]+\\.[0-9]+\\.[0-9]+"));
  StatusPtr st(TFM_NewStatus());
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_OK);
  EXPECT_STREQ(TFM_Message(st.get()), "");
  EXPECT_EQ(TFM_GetCode(nullptr), TFM_INVALID_ARGUMENT);
  EXPECT_STREQ(TFM_DataTypeName(TFM_FLOAT), "float");
  EXPECT_STREQ(TFM_DataTypeName(TFM_UINT64), "uint64");
  EXPECT_STREQ(TFM_DataTypeName(static_cast<TFM_DataType>(99)), "invalid");
  EXPECT_EQ(TFM_DataTypeSize(TFM_DOUBLE), 8u);
  EXPECT_EQ(TFM_DataTypeSize(TFM_BOOL), 1u);
  EXPECT_EQ(TFM_DataTypeSize(TFM_COMPLEX64), 8u);
  EXPECT_EQ(TFM_DataTypeSize(TFM_STRING), 0u);
}

TEST(CApiTest, NumericTensor) {
  StatusPtr st(TFM_NewStatus());
  const int64_t dims[] = {2, 3};
  const int32_t values[] = {1, 2, 3, 4, 5, 6};
  TensorPtr t(TFM_NewTensor(TFM_INT32, dims, 2, values, sizeof values, st.get()));
  ASSERT_EQ(TFM_GetCode(st.get()), TFM_OK) << TFM_Message(st.get());
  EXPECT_EQ(TFM_TensorType(t.get()), TFM_INT32);
  EXPECT_EQ(TFM_TensorRank(t.get()), 2);
  EXPECT_EQ(TFM_TensorDim(t.get(), 0), 2);
  EXPECT_EQ(TFM_TensorDim(t.get(), 1), 3);
  EXPECT_EQ(TFM_TensorDim(t.get(), 2), -1);
  EXPECT_EQ(TFM_TensorDim(t.get(), -1), -1);
  EXPECT_EQ(TFM_TensorElementCount(t.get()), 6);
  EXPECT_EQ(TFM_TensorByteSize(t.get()), sizeof values);
  int32_t* data = static_cast<int32_t*>(TFM_TensorData(t.get()));
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(data) % 16, 0u);
  EXPECT_EQ(std::memcmp(data, values, sizeof values), 0);
  data[5] = 60;  // the tensor owns a copy
  EXPECT_EQ(values[5], 6);

  // No data: zeros. A scalar takes no dims.
  TensorPtr zeros(TFM_NewTensor(TFM_DOUBLE, dims, 2, nullptr, 0, st.get()));
  ASSERT_EQ(TFM_GetCode(st.get()), TFM_OK);
  const double* z = static_cast<const double*>(TFM_TensorData(zeros.get()));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(z[i], 0.0);
  const float pi = 3.5f;
  TensorPtr scalar(TFM_NewTensor(TFM_FLOAT, nullptr, 0, &pi, sizeof pi, st.get()));
  ASSERT_EQ(TFM_GetCode(st.get()), TFM_OK);
  EXPECT_EQ(TFM_TensorRank(scalar.get()), 0);
  EXPECT_EQ(TFM_TensorElementCount(scalar.get()), 1);
  EXPECT_EQ(Floats(scalar.get()), std::vector<float>{3.5f});

  // An empty tensor has no data pointer.
  const int64_t empty_dims[] = {0, 4};
  TensorPtr empty(TFM_NewTensor(TFM_FLOAT, empty_dims, 2, nullptr, 0, st.get()));
  ASSERT_EQ(TFM_GetCode(st.get()), TFM_OK);
  EXPECT_EQ(TFM_TensorElementCount(empty.get()), 0);
  EXPECT_EQ(TFM_TensorByteSize(empty.get()), 0u);
  EXPECT_EQ(TFM_TensorData(empty.get()), nullptr);

  // NULL handles are answered, not dereferenced.
  EXPECT_EQ(TFM_TensorRank(nullptr), -1);
  EXPECT_EQ(TFM_TensorType(nullptr), TFM_INVALID_DTYPE);
  EXPECT_EQ(TFM_TensorData(nullptr), nullptr);
  TFM_DeleteTensor(nullptr);
}

TEST(CApiTest, NewTensorErrors) {
  StatusPtr st(TFM_NewStatus());
  const int64_t dims[] = {2, 3};
  const float values[6] = {};
  // Wrong byte count names both.
  EXPECT_EQ(TFM_NewTensor(TFM_FLOAT, dims, 2, values, 20, st.get()), nullptr);
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_INVALID_ARGUMENT);
  EXPECT_THAT(TFM_Message(st.get()),
              AllOf(HasSubstr("[2,3]"), HasSubstr("24 bytes"), HasSubstr("len is 20")));
  // Negative dim, absurd size, bad dtype, string data.
  const int64_t negative[] = {2, -1};
  EXPECT_EQ(TFM_NewTensor(TFM_FLOAT, negative, 2, nullptr, 0, st.get()), nullptr);
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_INVALID_ARGUMENT);
  EXPECT_THAT(TFM_Message(st.get()), HasSubstr("[2,-1]"));
  const int64_t huge[] = {int64_t{1} << 40, int64_t{1} << 40};
  EXPECT_EQ(TFM_NewTensor(TFM_FLOAT, huge, 2, nullptr, 0, st.get()), nullptr);
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_INVALID_ARGUMENT);
  EXPECT_EQ(TFM_NewTensor(TFM_RESOURCE, dims, 2, nullptr, 0, st.get()), nullptr);
  EXPECT_THAT(TFM_Message(st.get()), HasSubstr("resource"));
  EXPECT_EQ(TFM_NewTensor(static_cast<TFM_DataType>(77), dims, 2, nullptr, 0, st.get()), nullptr);
  EXPECT_THAT(TFM_Message(st.get()), HasSubstr("77"));
  EXPECT_EQ(TFM_NewTensor(TFM_STRING, dims, 2, values, sizeof values, st.get()), nullptr);
  EXPECT_THAT(TFM_Message(st.get()), HasSubstr("TFM_TensorSetString"));
  EXPECT_EQ(TFM_NewTensor(TFM_FLOAT, nullptr, 2, nullptr, 0, st.get()), nullptr);
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_INVALID_ARGUMENT);
  EXPECT_EQ(TFM_NewTensor(TFM_FLOAT, dims, -1, nullptr, 0, st.get()), nullptr);
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_INVALID_ARGUMENT);
  // A later success resets the status.
  TensorPtr ok(TFM_NewTensor(TFM_FLOAT, dims, 2, values, sizeof values, st.get()));
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_OK);
  EXPECT_STREQ(TFM_Message(st.get()), "");
}

TEST(CApiTest, StringTensor) {
  StatusPtr st(TFM_NewStatus());
  const int64_t dims[] = {3};
  TensorPtr t(TFM_NewTensor(TFM_STRING, dims, 1, nullptr, 0, st.get()));
  ASSERT_EQ(TFM_GetCode(st.get()), TFM_OK) << TFM_Message(st.get());
  EXPECT_EQ(TFM_TensorByteSize(t.get()), 0u);
  EXPECT_EQ(TFM_TensorData(t.get()), nullptr);
  size_t len = 99;
  const char* s = TFM_TensorGetString(t.get(), 2, &len, st.get());
  ASSERT_EQ(TFM_GetCode(st.get()), TFM_OK);
  EXPECT_NE(s, nullptr);
  EXPECT_EQ(len, 0u);

  const char bytes[] = {'a', '\0', 'b'};  // embedded NUL kept
  TFM_TensorSetString(t.get(), 1, bytes, sizeof bytes, st.get());
  ASSERT_EQ(TFM_GetCode(st.get()), TFM_OK);
  s = TFM_TensorGetString(t.get(), 1, &len, st.get());
  ASSERT_EQ(len, 3u);
  EXPECT_EQ(std::string(s, len), std::string(bytes, 3));
  TFM_TensorSetString(t.get(), 1, nullptr, 0, st.get());
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_OK);
  TFM_TensorGetString(t.get(), 1, &len, st.get());
  EXPECT_EQ(len, 0u);

  EXPECT_EQ(TFM_TensorGetString(t.get(), 3, &len, st.get()), nullptr);
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_OUT_OF_RANGE);
  EXPECT_THAT(TFM_Message(st.get()), AllOf(HasSubstr("index 3"), HasSubstr("3 elements")));
  TFM_TensorSetString(t.get(), -1, "x", 1, st.get());
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_OUT_OF_RANGE);
  TFM_TensorSetString(t.get(), 0, nullptr, 4, st.get());
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_INVALID_ARGUMENT);

  TensorPtr f = FloatTensor({1}, {1.f});
  EXPECT_EQ(TFM_TensorGetString(f.get(), 0, &len, st.get()), nullptr);
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_INVALID_ARGUMENT);
  EXPECT_THAT(TFM_Message(st.get()), HasSubstr("float, not string"));
}

TEST(CApiTest, LoadErrorsNameThePath) {
  StatusPtr st(TFM_NewStatus());
  const std::string missing = "/no/such/dir/half_plus_two";
  EXPECT_EQ(TFM_LoadModel(missing.c_str(), nullptr, st.get()), nullptr);
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_NOT_FOUND);
  EXPECT_THAT(TFM_Message(st.get()), HasSubstr(missing));

  const std::string junk = tfmodel::testing::TempDir() + "/junk.pb";
  std::ofstream(junk) << "this is not a model\n";
  EXPECT_EQ(TFM_LoadModel(junk.c_str(), nullptr, st.get()), nullptr);
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_INVALID_ARGUMENT);
  EXPECT_THAT(TFM_Message(st.get()), HasSubstr(junk));

  EXPECT_EQ(TFM_LoadModel(nullptr, nullptr, st.get()), nullptr);
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_INVALID_ARGUMENT);
}

TEST(CApiTest, LoadUnknownTagSetListsTheAvailableOnes) {
  TFM_REQUIRE_TESTDATA();
  StatusPtr st(TFM_NewStatus());
  TFM_LoadOptions* opts = TFM_NewLoadOptions();
  TFM_LoadOptionsSetTags(opts, "serve, gpu");
  EXPECT_EQ(TFM_LoadModel(HalfPlusTwo().c_str(), opts, st.get()), nullptr);
  TFM_DeleteLoadOptions(opts);
  EXPECT_NE(TFM_GetCode(st.get()), TFM_OK);
  EXPECT_THAT(TFM_Message(st.get()), AllOf(HasSubstr("gpu"), HasSubstr("serve")));
}

TEST(CApiTest, HalfPlusTwoSignatures) {
  TFM_REQUIRE_TESTDATA();
  ModelPtr m = Load(HalfPlusTwo());
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(TFM_ModelSignatureCount(m.get()), 5);
  std::vector<std::string> keys;
  for (int i = 0; i < 5; ++i) keys.push_back(TFM_SignatureKey(TFM_ModelSignature(m.get(), i)));
  EXPECT_EQ(keys, (std::vector<std::string>{"classify_x_to_y", "regress_x2_to_y3", "regress_x_to_y",
                                            "regress_x_to_y2", "serving_default"}));
  EXPECT_EQ(TFM_ModelSignature(m.get(), 5), nullptr);
  EXPECT_EQ(TFM_ModelSignature(m.get(), -1), nullptr);
  EXPECT_EQ(TFM_ModelFindSignature(m.get(), "nope"), nullptr);

  const TFM_Signature* sig = TFM_ModelFindSignature(m.get(), "serving_default");
  ASSERT_NE(sig, nullptr);
  EXPECT_STREQ(TFM_SignatureMethodName(sig), "tensorflow/serving/predict");
  ASSERT_EQ(TFM_SignatureInputCount(sig), 1);
  ASSERT_EQ(TFM_SignatureOutputCount(sig), 1);
  const TFM_TensorSpec* x = TFM_SignatureInput(sig, 0);
  EXPECT_STREQ(TFM_TensorSpecName(x), "x");
  EXPECT_STREQ(TFM_TensorSpecTensorName(x), "x:0");
  EXPECT_EQ(TFM_TensorSpecType(x), TFM_FLOAT);
  ASSERT_EQ(TFM_TensorSpecRank(x), 2);
  EXPECT_EQ(TFM_TensorSpecDim(x, 0), -1);
  EXPECT_EQ(TFM_TensorSpecDim(x, 1), 1);
  EXPECT_EQ(TFM_TensorSpecDim(x, 2), -1);
  const TFM_TensorSpec* y = TFM_SignatureOutput(sig, 0);
  EXPECT_STREQ(TFM_TensorSpecName(y), "y");
  EXPECT_STREQ(TFM_TensorSpecTensorName(y), "y:0");
  EXPECT_EQ(TFM_SignatureInput(sig, 1), nullptr);

  // A string input of unknown rank.
  const TFM_Signature* classify = TFM_ModelFindSignature(m.get(), "classify_x_to_y");
  const TFM_TensorSpec* in = TFM_SignatureInput(classify, 0);
  EXPECT_STREQ(TFM_TensorSpecName(in), "inputs");
  EXPECT_EQ(TFM_TensorSpecType(in), TFM_STRING);
  EXPECT_EQ(TFM_TensorSpecRank(in), -1);
  EXPECT_STREQ(TFM_TensorSpecName(TFM_SignatureOutput(classify, 0)), "scores");
}

TEST(CApiTest, HalfPlusTwoRunSignature) {
  TFM_REQUIRE_TESTDATA();
  ModelPtr m = Load(HalfPlusTwo());
  ASSERT_NE(m, nullptr);
  StatusPtr st(TFM_NewStatus());
  TensorPtr x = FloatTensor({3, 1}, {1.f, 2.f, 5.f});
  TensorPtr y = RunOne(m.get(), "serving_default", "x", x.get(), "y", st.get());
  ASSERT_EQ(TFM_GetCode(st.get()), TFM_OK) << TFM_Message(st.get());
  ASSERT_NE(y, nullptr);
  EXPECT_EQ(TFM_TensorRank(y.get()), 2);
  EXPECT_EQ(TFM_TensorDim(y.get(), 0), 3);
  EXPECT_EQ(TFM_TensorDim(y.get(), 1), 1);
  EXPECT_EQ(Floats(y.get()), (std::vector<float>{2.5f, 3.f, 4.5f}));
  // The caller owns the output: writing into it changes nothing for the next run.
  static_cast<float*>(TFM_TensorData(y.get()))[0] = -1.f;
  TensorPtr y2 = RunOne(m.get(), "serving_default", "x", x.get(), "y", st.get());
  ASSERT_NE(y2, nullptr);
  EXPECT_EQ(Floats(y2.get()), (std::vector<float>{2.5f, 3.f, 4.5f}));
  EXPECT_EQ(Floats(x.get()), (std::vector<float>{1.f, 2.f, 5.f}));

  // The same output twice: two independent tensors.
  const char* in_names[] = {"x"};
  const TFM_Tensor* ins[] = {x.get()};
  const char* out_names[] = {"y", "y"};
  TFM_Tensor* outs[2] = {};
  TFM_RunSignature(m.get(), "serving_default", in_names, ins, 1, out_names, 2, outs, st.get());
  ASSERT_EQ(TFM_GetCode(st.get()), TFM_OK) << TFM_Message(st.get());
  TensorPtr o0(outs[0]), o1(outs[1]);
  EXPECT_NE(TFM_TensorData(o0.get()), TFM_TensorData(o1.get()));
  EXPECT_EQ(Floats(o0.get()), Floats(o1.get()));
}

TEST(CApiTest, HalfPlusTwoStringInput) {
  TFM_REQUIRE_TESTDATA();
  ModelPtr m = Load(HalfPlusTwo());
  ASSERT_NE(m, nullptr);
  StatusPtr st(TFM_NewStatus());
  // A serialized tf.Example {features {feature {key: "x" value {float_list {value: 2}}}}},
  // encoded by hand: Example.features(1) > Features.feature(1) map entry {key(1): "x",
  // value(2): Feature.float_list(2) > FloatList.value(1, packed) = 2.0f}.
  const char example[] = {0x0a, 0x0f, 0x0a, 0x0d, 0x0a, 0x01, 'x',  0x12, 0x08,
                          0x12, 0x06, 0x0a, 0x04, 0x00, 0x00, 0x00, 0x40};
  const int64_t dims[] = {1};
  TensorPtr in(TFM_NewTensor(TFM_STRING, dims, 1, nullptr, 0, st.get()));
  TFM_TensorSetString(in.get(), 0, example, sizeof example, st.get());
  ASSERT_EQ(TFM_GetCode(st.get()), TFM_OK);
  TensorPtr out = RunOne(m.get(), "regress_x_to_y", "inputs", in.get(), "outputs", st.get());
  ASSERT_EQ(TFM_GetCode(st.get()), TFM_OK) << TFM_Message(st.get());
  EXPECT_EQ(Floats(out.get()), std::vector<float>{3.f});  // 0.5 * 2 + 2
}

TEST(CApiTest, RunSignatureErrors) {
  TFM_REQUIRE_TESTDATA();
  ModelPtr m = Load(HalfPlusTwo());
  ASSERT_NE(m, nullptr);
  StatusPtr st(TFM_NewStatus());
  TensorPtr x = FloatTensor({2, 1}, {1.f, 2.f});

  // Wrong input name: named, with the valid ones.
  TensorPtr out = RunOne(m.get(), "serving_default", "xx", x.get(), "y", st.get());
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_INVALID_ARGUMENT);
  EXPECT_THAT(TFM_Message(st.get()), AllOf(HasSubstr("'xx'"), HasSubstr("'x'")));

  // Wrong dtype: both named.
  const int64_t dims[] = {2, 1};
  const int32_t ints[] = {1, 2};
  TensorPtr xi(TFM_NewTensor(TFM_INT32, dims, 2, ints, sizeof ints, st.get()));
  out = RunOne(m.get(), "serving_default", "x", xi.get(), "y", st.get());
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_INVALID_ARGUMENT);
  EXPECT_THAT(TFM_Message(st.get()),
              AllOf(HasSubstr("'x'"), HasSubstr("float"), HasSubstr("int32")));

  // Unknown signature: the available ones listed.
  out = RunOne(m.get(), "serving", "x", x.get(), "y", st.get());
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_NOT_FOUND);
  EXPECT_THAT(TFM_Message(st.get()), AllOf(HasSubstr("'serving'"), HasSubstr("serving_default")));

  // Unknown output.
  out = RunOne(m.get(), "serving_default", "x", x.get(), "z", st.get());
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_INVALID_ARGUMENT);
  EXPECT_THAT(TFM_Message(st.get()), AllOf(HasSubstr("'z'"), HasSubstr("'y'")));

  // Missing input, repeated input, NULL tensor, no outputs.
  const char* out_name = "y";
  TFM_Tensor* o = nullptr;
  TFM_RunSignature(m.get(), "serving_default", nullptr, nullptr, 0, &out_name, 1, &o, st.get());
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_INVALID_ARGUMENT);
  EXPECT_THAT(TFM_Message(st.get()), HasSubstr("'x' is missing"));
  const char* twice[] = {"x", "x"};
  const TFM_Tensor* two[] = {x.get(), x.get()};
  TFM_RunSignature(m.get(), "serving_default", twice, two, 2, &out_name, 1, &o, st.get());
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_INVALID_ARGUMENT);
  EXPECT_THAT(TFM_Message(st.get()), HasSubstr("given twice"));
  const TFM_Tensor* null_in[] = {nullptr};
  TFM_RunSignature(m.get(), "serving_default", twice, null_in, 1, &out_name, 1, &o, st.get());
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_INVALID_ARGUMENT);
  EXPECT_THAT(TFM_Message(st.get()), HasSubstr("NULL"));
  const TFM_Tensor* one[] = {x.get()};
  TFM_RunSignature(m.get(), "serving_default", twice, one, 1, nullptr, 0, &o, st.get());
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_INVALID_ARGUMENT);
  EXPECT_EQ(o, nullptr);
  TFM_RunSignature(nullptr, "serving_default", twice, one, 1, &out_name, 1, &o, st.get());
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_INVALID_ARGUMENT);

  // The model still runs after all that.
  out = RunOne(m.get(), "serving_default", "x", x.get(), "y", st.get());
  ASSERT_EQ(TFM_GetCode(st.get()), TFM_OK) << TFM_Message(st.get());
  EXPECT_EQ(Floats(out.get()), (std::vector<float>{2.5f, 3.f}));
}

TEST(CApiTest, HalfPlusTwoRunByTensorNames) {
  TFM_REQUIRE_TESTDATA();
  ModelPtr m = Load(HalfPlusTwo());
  ASSERT_NE(m, nullptr);
  StatusPtr st(TFM_NewStatus());
  TensorPtr x = FloatTensor({2, 1}, {4.f, 6.f});
  const char* feed_names[] = {"x:0"};
  const TFM_Tensor* feeds[] = {x.get()};
  const char* fetch_names[] = {"y:0", "y3:0"};
  TFM_Tensor* fetches[2] = {};
  // y3 needs the placeholder tf_example (x2 is parsed from it): not fed, and named.
  TFM_Run(m.get(), feed_names, feeds, 1, fetch_names, 2, fetches, nullptr, 0, st.get());
  EXPECT_NE(TFM_GetCode(st.get()), TFM_OK);
  EXPECT_THAT(TFM_Message(st.get()), HasSubstr("tf_example"));
  EXPECT_EQ(fetches[0], nullptr);
  EXPECT_EQ(fetches[1], nullptr);

  TFM_Run(m.get(), feed_names, feeds, 1, fetch_names, 1, fetches, nullptr, 0, st.get());
  ASSERT_EQ(TFM_GetCode(st.get()), TFM_OK) << TFM_Message(st.get());
  TensorPtr y(fetches[0]);
  EXPECT_EQ(Floats(y.get()), (std::vector<float>{4.f, 5.f}));

  const char* bad_fetch[] = {"no_such_node:0"};
  TFM_Run(m.get(), feed_names, feeds, 1, bad_fetch, 1, fetches, nullptr, 0, st.get());
  EXPECT_NE(TFM_GetCode(st.get()), TFM_OK);
  EXPECT_THAT(TFM_Message(st.get()), HasSubstr("no_such_node"));
  TFM_Run(m.get(), nullptr, nullptr, 0, nullptr, 0, nullptr, nullptr, 0, st.get());
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_INVALID_ARGUMENT);
}

// One model run from several threads at once, each with its own status and tensors.
TEST(CApiTest, ConcurrentRuns) {
  TFM_REQUIRE_TESTDATA();
  ModelPtr m = Load(HalfPlusTwo());
  ASSERT_NE(m, nullptr);
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      StatusPtr st(TFM_NewStatus());
      for (int i = 0; i < 50; ++i) {
        const float v = static_cast<float>(k * 100 + i);
        TensorPtr x = FloatTensor({1, 1}, {v});
        TensorPtr y = RunOne(m.get(), "serving_default", "x", x.get(), "y", st.get());
        if (y == nullptr || Floats(y.get()) != std::vector<float>{0.5f * v + 2.f}) ++wrong[k];
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong, std::vector<int>(4, 0));
}

// The same linear model written by TF as a frozen GraphDef, a MetaGraphDef + checkpoint, a
// SavedModel and a .tflite file: every kind loads and computes W * X + b.
TEST(CApiTest, RegressionInEveryFormat) {
  TFM_REQUIRE_TESTDATA();
  StatusPtr st(TFM_NewStatus());
  TensorPtr x = FloatTensor({2, 1}, {1.f, 10.f});
  const std::vector<float> want = {kW * 1.f + kB, kW * 10.f + kB};
  auto run = [&](TFM_Model* m, const char* feed, const char* fetch) {
    TFM_Tensor* out = nullptr;
    const TFM_Tensor* feeds[] = {x.get()};
    TFM_Run(m, &feed, feeds, 1, &fetch, 1, &out, nullptr, 0, st.get());
    EXPECT_EQ(TFM_GetCode(st.get()), TFM_OK) << TFM_Message(st.get());
    TensorPtr p(out);
    if (p == nullptr) return;
    std::vector<float> got = Floats(p.get());
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5);
  };
  {
    ModelPtr m = Load(Regression("graphdef/frozen.pb"));
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(TFM_ModelSignatureCount(m.get()), 0);
    run(m.get(), "X:0", "pred:0");
  }
  {
    TFM_LoadOptions* opts = TFM_NewLoadOptions();
    TFM_LoadOptionsSetCheckpoint(opts, Regression("checkpoint/model").c_str());
    TFM_LoadOptionsSetThreads(opts, 1, 1);
    ModelPtr m = Load(Regression("checkpoint/model.meta"), opts);
    TFM_DeleteLoadOptions(opts);
    ASSERT_NE(m, nullptr);
    run(m.get(), "X:0", "pred:0");
  }
  {
    ModelPtr m = Load(Regression("saved_model"));
    ASSERT_NE(m, nullptr);
    run(m.get(), "X:0", "pred:0");
  }
  {
    ModelPtr m = Load(Regression("tflite/model.tflite"));
    ASSERT_NE(m, nullptr);
    ASSERT_GE(TFM_ModelSignatureCount(m.get()), 1);
    const TFM_Signature* sig = TFM_ModelSignature(m.get(), 0);
    ASSERT_EQ(TFM_SignatureInputCount(sig), 1);
    ASSERT_EQ(TFM_SignatureOutputCount(sig), 1);
    const TFM_TensorSpec* in = TFM_SignatureInput(sig, 0);
    const TFM_TensorSpec* out = TFM_SignatureOutput(sig, 0);
    EXPECT_EQ(TFM_TensorSpecType(in), TFM_FLOAT);
    run(m.get(), TFM_TensorSpecTensorName(in), TFM_TensorSpecTensorName(out));
  }
}

}  // namespace
