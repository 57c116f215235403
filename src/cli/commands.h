// One function per subcommand; each gets argv with argv[0] = the subcommand name and
// returns the process exit code (0 ok, 1 failure, 2 usage error).
#ifndef TFMODEL_CLI_COMMANDS_H_
#define TFMODEL_CLI_COMMANDS_H_

#include "absl/strings/string_view.h"

namespace tfmodel::cli {

// The one error printer: "tfmodel <command>: <message>" on stderr. Returns 1, the exit code
// of a failed command.
int PrintError(absl::string_view command, absl::string_view message);

int InspectMain(int argc, char** argv);
int RunMain(int argc, char** argv);
int FreezeMain(int argc, char** argv);
int ExportMain(int argc, char** argv);
int ServeMain(int argc, char** argv);
int MakeExampleMain(int argc, char** argv);
int OpsMain(int argc, char** argv);
int ConvertMain(int argc, char** argv);

}  // namespace tfmodel::cli

#endif  // TFMODEL_CLI_COMMANDS_H_
