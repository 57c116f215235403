#include "test_util.h"

#include <sys/wait.h>
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

CommandResult RunCommand(const std::string& command) {
  CommandResult r;
  std::string full = command + " 2>&1";
  FILE* pipe = popen(full.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) r.output.append(buf, n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string TfmodelBinary() {
#ifdef TFMODEL_BINARY
  return TFMODEL_BINARY;
#else
  return SourceDir() + "/build/tfmodel";
#endif
}

std::string Quote(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "tfmodel_test_XXXXXX").string();
  char* made = mkdtemp(tmpl.data());
  std::string dir = made ? made : "/tmp";
  g_temp_dirs.dirs.push_back(dir);
  return dir;
}

}  // namespace tfmodel::testing
