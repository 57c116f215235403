// Subcommand entry points of the tfmodel command line (argv[0] is the subcommand name).
#ifndef TFMODEL_CLI_COMMANDS_H_
#define TFMODEL_CLI_COMMANDS_H_

namespace tfmodel::cli {

// `tfmodel serve`: a drop-in for tensorflow_model_server (same flags).
int ServeMain(int argc, char** argv);

}  // namespace tfmodel::cli

#endif  // TFMODEL_CLI_COMMANDS_H_
