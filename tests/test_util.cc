#include "test_util.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace tfmodel::testing {
namespace {

std::string SourceDir() {
#ifdef TFMODEL_SOURCE_DIR
  return TFMODEL_SOURCE_DIR;
#else
  return ".";
#endif
}

struct TempDirs {
  std::vector<std::string> dirs;
  ~TempDirs() {
    std::error_code ec;
    for (const auto& d : dirs) std::filesystem::remove_all(d, ec);
  }
};
TempDirs g_temp_dirs;

}  // namespace

std::string TestdataDir() {
  const char* env = std::getenv("TFMODEL_TESTDATA");
  if (env && *env) return env;
  return SourceDir() + "/../shared/testdata";
}

std::string Testdata(const std::string& rel) { return TestdataDir() + "/" + rel; }

std::string BenchGraphsDir() {
  return std::filesystem::path(TestdataDir()).parent_path().string() + "/bench/graphs";
}

bool HaveTestdata() { return std::filesystem::exists(TestdataDir() + "/README.md"); }

std::string TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "tfmodel_test_XXXXXX").string();
  char* made = mkdtemp(tmpl.data());
  std::string dir = made ? made : "/tmp";
  g_temp_dirs.dirs.push_back(dir);
  return dir;
}

}  // namespace tfmodel::testing
