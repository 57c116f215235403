// Shared helpers for tfmodel's tests.
#ifndef TFMODEL_TESTS_TEST_UTIL_H_
#define TFMODEL_TESTS_TEST_UTIL_H_

#include <string>

#include "core/status.h"
#include "gtest/gtest.h"

namespace tfmodel::testing {

// Folder of TensorFlow-made models: $TFMODEL_TESTDATA, else <source>/../shared/testdata.
std::string TestdataDir();
// TestdataDir()/rel.
std::string Testdata(const std::string& rel);
// Folder of the synthetic benchmark graphs (../shared/bench/graphs).
std::string BenchGraphsDir();
// A fresh empty temporary folder, removed at process exit.
std::string TempDir();
struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr, interleaved
};
// Runs a shell command line and captures its output.
CommandResult RunCommand(const std::string& command);
// Path of the built tfmodel binary (TFMODEL_BINARY), for tests that run it.
std::string TfmodelBinary();
// Shell-quotes one argument.
std::string Quote(const std::string& arg);

// True when the corpus is present. Under CI=true a missing corpus is a test failure.
bool HaveTestdata();

}  // namespace tfmodel::testing

// Skips the test when the corpus is absent locally; fails it under CI=true.
#define TFM_REQUIRE_TESTDATA()                                                      \
  do {                                                                              \
    if (!::tfmodel::testing::HaveTestdata()) {                                      \
      const char* ci = std::getenv("CI");                                           \
      if (ci && std::string(ci) == "true") {                                        \
        FAIL() << "testdata folder missing: " << ::tfmodel::testing::TestdataDir(); \
      }                                                                             \
      GTEST_SKIP() << "testdata folder missing";                                    \
    }                                                                               \
  } while (0)

#define TFM_ASSERT_OK(expr)             \
  do {                                  \
    auto tfm_s_ = (expr);               \
    ASSERT_TRUE(tfm_s_.ok()) << tfm_s_; \
  } while (0)
#define TFM_EXPECT_OK(expr)             \
  do {                                  \
    auto tfm_s_ = (expr);               \
    EXPECT_TRUE(tfm_s_.ok()) << tfm_s_; \
  } while (0)
#define TFM_ASSERT_OK_AND_ASSIGN(lhs, expr)                                                    \
  auto TFM_CONCAT_(tfm_or_, __LINE__) = (expr);                                                \
  ASSERT_TRUE(TFM_CONCAT_(tfm_or_, __LINE__).ok()) << TFM_CONCAT_(tfm_or_, __LINE__).status(); \
  lhs = std::move(TFM_CONCAT_(tfm_or_, __LINE__)).value()

#endif  // TFMODEL_TESTS_TEST_UTIL_H_
