// Generated documentation stays in step with the code.
#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "core/version.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace tfmodel {
namespace {

TEST(Docs, OpListMatchesKernelRegistry) {
  auto r = testing::RunCommand(
      absl::StrCat(testing::Quote(testing::TfmodelBinary()), " ops --markdown"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto doc = ReadFileToString(std::string(TFMODEL_SOURCE_DIR) + "/docs/ops.md");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(*doc, r.output)
      << "docs/ops.md is stale: regenerate with `build/tfmodel ops --markdown > docs/ops.md`";
  EXPECT_NE(r.output.find("ParseExampleV2"), std::string::npos);
}

// The version in core/version.h is the project's (CMakeLists.txt project(... VERSION x)).
TEST(Docs, VersionMatchesCMakeProject) {
  auto cmake = ReadFileToString(std::string(TFMODEL_SOURCE_DIR) + "/CMakeLists.txt");
  ASSERT_TRUE(cmake.ok()) << cmake.status();
  EXPECT_NE(cmake->find(absl::StrCat("project(tfmodel VERSION ", kVersion, " ")), std::string::npos)
      << "core/version.h says " << kVersion;
}

}  // namespace
}  // namespace tfmodel
