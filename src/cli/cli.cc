#include "cli/cli.h"

#include <cstdio>
#include <cstring>
#include <string>

#include "cli/commands.h"

namespace tfmodel::cli {

int Main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "serve") == 0) return ServeMain(argc - 1, argv + 1);
  std::fprintf(stderr, "usage: tfmodel <command> [flags]\n");
  return 2;
}

}  // namespace tfmodel::cli
