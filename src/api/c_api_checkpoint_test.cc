// The C API's checkpoint functions (TFM_OpenCheckpoint, TFM_CheckpointRead,
// TFM_WriteCheckpoint) and the C++ wrapper over them (tfmodel/checkpoint.h), through
// libtfmodel.so: TensorFlow-written bundles read, bundles written and read back, errors.
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "api/c_api_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util.h"
#include "tfmodel/c_api.h"
#include "tfmodel/checkpoint.h"

namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

using tfmodel::api_test::CheckpointPtr;
using tfmodel::api_test::StatusPtr;
using tfmodel::api_test::TensorPtr;

std::string HalfPlusTwoVariables() {
  return tfmodel::testing::Testdata(
      "tf_serving/saved_model_half_plus_two_cpu/00000123/variables/variables");
}

TEST(CApiCheckpoint, ReadsATensorFlowBundle) {
  TFM_REQUIRE_TESTDATA();
  StatusPtr st(TFM_NewStatus());
  CheckpointPtr c(TFM_OpenCheckpoint(HalfPlusTwoVariables().c_str(), st.get()));
  ASSERT_EQ(TFM_GetCode(st.get()), TFM_OK) << TFM_Message(st.get());
  ASSERT_EQ(TFM_CheckpointTensorCount(c.get()), 5);
  std::vector<std::string> names;
  for (int i = 0; i < 5; ++i) names.push_back(TFM_CheckpointTensorName(c.get(), i));
  EXPECT_THAT(names, ::testing::ElementsAre("a", "a2", "b", "c", "c2"));
  EXPECT_EQ(TFM_CheckpointTensorType(c.get(), 0), TFM_FLOAT);
  EXPECT_EQ(TFM_CheckpointTensorRank(c.get(), 0), 0);
  EXPECT_EQ(TFM_CheckpointTensorName(c.get(), 5), nullptr);
  EXPECT_EQ(TFM_CheckpointTensorType(c.get(), -1), TFM_INVALID_DTYPE);
  EXPECT_EQ(TFM_CheckpointTensorDim(c.get(), 0, 0), -1);
  // half_plus_two: y = a * x + b with a = 0.5, b = 2.
  TensorPtr a(TFM_CheckpointRead(c.get(), "a", st.get()));
  ASSERT_EQ(TFM_GetCode(st.get()), TFM_OK) << TFM_Message(st.get());
  EXPECT_EQ(*static_cast<const float*>(TFM_TensorData(a.get())), 0.5f);
  TensorPtr b(TFM_CheckpointRead(c.get(), "b", st.get()));
  ASSERT_EQ(TFM_GetCode(st.get()), TFM_OK) << TFM_Message(st.get());
  EXPECT_EQ(*static_cast<const float*>(TFM_TensorData(b.get())), 2.0f);
  // The folder holding a bundle without a state file, and a missing name.
  EXPECT_EQ(TFM_CheckpointRead(c.get(), "bb", st.get()), nullptr);
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_NOT_FOUND);
  EXPECT_THAT(TFM_Message(st.get()), AllOf(HasSubstr("'bb'"), HasSubstr("did you mean 'b'")));
}

TEST(CApiCheckpoint, WritesABundleThatReadsBack) {
  const std::string dir = tfmodel::testing::TempDir() + "/capi_ckpt";
  std::filesystem::create_directories(dir);
  const std::string prefix = dir + "/model";
  StatusPtr st(TFM_NewStatus());
  const int64_t dims[] = {2, 3};
  const float w[] = {1, 2, 3, 4, 5, 6};
  TensorPtr kernel(TFM_NewTensor(TFM_FLOAT, dims, 2, w, sizeof(w), st.get()));
  const int64_t one[] = {1};
  TensorPtr words(TFM_NewTensor(TFM_STRING, one, 1, nullptr, 0, st.get()));
  TFM_TensorSetString(words.get(), 0, "héllo", std::strlen("héllo"), st.get());
  ASSERT_EQ(TFM_GetCode(st.get()), TFM_OK) << TFM_Message(st.get());
  const char* names[] = {"dense/kernel", "vocab"};
  const TFM_Tensor* tensors[] = {kernel.get(), words.get()};
  TFM_WriteCheckpoint(prefix.c_str(), names, tensors, 2, st.get());
  ASSERT_EQ(TFM_GetCode(st.get()), TFM_OK) << TFM_Message(st.get());
  EXPECT_TRUE(std::filesystem::exists(prefix + ".index"));
  EXPECT_TRUE(std::filesystem::exists(prefix + ".data-00000-of-00001"));

  // Read back through the C++ wrapper.
  tfmodel::Checkpoint ckpt;
  ASSERT_TRUE(tfmodel::Checkpoint::Open(prefix + ".index", &ckpt).ok());
  EXPECT_EQ(ckpt.prefix(), prefix);
  const auto entries = ckpt.entries();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].name, "dense/kernel");
  EXPECT_EQ(entries[0].dtype, TFM_FLOAT);
  EXPECT_THAT(entries[0].dims, ::testing::ElementsAre(2, 3));
  EXPECT_EQ(entries[1].dtype, TFM_STRING);
  tfmodel::Tensor k, v;
  ASSERT_TRUE(ckpt.Read("dense/kernel", &k).ok());
  EXPECT_THAT(k.ToVector<float>(), ::testing::ElementsAre(1, 2, 3, 4, 5, 6));
  ASSERT_TRUE(ckpt.Read("vocab", &v).ok());
  std::string s;
  ASSERT_TRUE(v.GetString(0, &s).ok());
  EXPECT_EQ(s, "héllo");
  // The C++ writer: the tensor read back, under a new name.
  ASSERT_TRUE(tfmodel::WriteCheckpoint(dir + "/copy", {{"w", &k}}).ok());
  tfmodel::Checkpoint copy;
  ASSERT_TRUE(tfmodel::Checkpoint::Open(dir + "/copy", &copy).ok());
  tfmodel::Tensor w2;
  ASSERT_TRUE(copy.Read("w", &w2).ok());
  EXPECT_THAT(w2.dims(), ::testing::ElementsAre(2, 3));
}

TEST(CApiCheckpoint, BadCallsAreErrors) {
  StatusPtr st(TFM_NewStatus());
  const std::string missing = tfmodel::testing::TempDir() + "/no_such_checkpoint";
  EXPECT_EQ(TFM_OpenCheckpoint(missing.c_str(), st.get()), nullptr);
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_NOT_FOUND);
  EXPECT_THAT(TFM_Message(st.get()), HasSubstr(missing));
  EXPECT_EQ(TFM_OpenCheckpoint(nullptr, st.get()), nullptr);
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_INVALID_ARGUMENT);
  EXPECT_EQ(TFM_CheckpointRead(nullptr, "a", st.get()), nullptr);
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_INVALID_ARGUMENT);
  EXPECT_EQ(TFM_CheckpointTensorCount(nullptr), 0);
  // Writing: repeated and NULL names, NULL tensors; nothing appears at the prefix.
  const int64_t one[] = {1};
  const float x = 1;
  TensorPtr t(TFM_NewTensor(TFM_FLOAT, one, 1, &x, sizeof(x), st.get()));
  const std::string prefix = tfmodel::testing::TempDir() + "/capi_bad_ckpt";
  const char* twice[] = {"v", "v"};
  const TFM_Tensor* both[] = {t.get(), t.get()};
  TFM_WriteCheckpoint(prefix.c_str(), twice, both, 2, st.get());
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_INVALID_ARGUMENT);
  EXPECT_THAT(TFM_Message(st.get()), HasSubstr("'v' is given twice"));
  const char* one_name[] = {"v"};
  const TFM_Tensor* null_tensor[] = {nullptr};
  TFM_WriteCheckpoint(prefix.c_str(), one_name, null_tensor, 1, st.get());
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_INVALID_ARGUMENT);
  TFM_WriteCheckpoint(nullptr, one_name, both, 1, st.get());
  EXPECT_EQ(TFM_GetCode(st.get()), TFM_INVALID_ARGUMENT);
  EXPECT_FALSE(std::filesystem::exists(prefix + ".index"));
}

}  // namespace
