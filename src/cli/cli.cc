#include "cli/cli.h"

#include <cstdio>
#include <cstring>
#include <string>

#include "cli/commands.h"
#include "core/version.h"

namespace tfmodel::cli {

int PrintError(absl::string_view command, absl::string_view message) {
  std::fprintf(stderr, "tfmodel %.*s: %.*s\n", static_cast<int>(command.size()), command.data(),
               static_cast<int>(message.size()), message.data());
  return 1;
}
namespace {

struct Command {
  const char* name;
  int (*main)(int, char**);
  const char* help;
};

const Command kCommands[] = {
    {"inspect", InspectMain, "describe a SavedModel, GraphDef, MetaGraph, checkpoint or .tflite"},
    {"run", RunMain, "run a signature or named tensors on .npy files or literals"},
    {"serve", ServeMain, "serve models over TF Serving's REST and gRPC APIs"},
    {"freeze", FreezeMain, "checkpoint + graph (or SavedModel) -> one frozen GraphDef"},
    {"export", ExportMain, "checkpoint / frozen graph / SavedModel -> versioned SavedModel"},
    {"convert", ConvertMain, "frozen graph / SavedModel -> TFLite model (.tflite)"},
    {"ops", OpsMain, "list the TensorFlow ops that have kernels"},
    {"make-example", MakeExampleMain, "write the example half_plus_two SavedModel"},
};

void Usage(FILE* out) {
  std::fprintf(out, "tfmodel %s: TensorFlow model toolchain without TensorFlow\n\n", kVersion);
  std::fprintf(out, "usage: tfmodel <command> [flags]   (tfmodel <command> --help for flags)\n\n");
  std::fprintf(out, "commands:\n");
  for (const Command& c : kCommands) std::fprintf(out, "  %-13s %s\n", c.name, c.help);
  std::fprintf(out, "  %-13s %s\n", "version", "print the version");
}

}  // namespace

int Main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    Usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string cmd = argv[1];
  if (cmd == "version" || cmd == "--version") {
    std::printf("tfmodel %s\n", kVersion);
    return 0;
  }
  for (const Command& c : kCommands) {
    if (cmd == c.name) return c.main(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "tfmodel: unknown command '%s'\n\n", cmd.c_str());
  Usage(stderr);
  return 2;
}

}  // namespace tfmodel::cli
