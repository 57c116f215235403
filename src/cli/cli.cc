#include "cli/cli.h"

#include <cstdio>
#include <cstring>
#include <string>

namespace tfmodel::cli {

int Main(int argc, char** argv) {
  std::fprintf(stderr, "usage: tfmodel <command> [flags]\n");
  return 2;
}

}  // namespace tfmodel::cli
