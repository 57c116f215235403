// Entry point of the tfmodel command line (one file per subcommand in this folder).
#ifndef TFMODEL_CLI_CLI_H_
#define TFMODEL_CLI_CLI_H_

namespace tfmodel::cli {
int Main(int argc, char** argv);
}  // namespace tfmodel::cli

#endif  // TFMODEL_CLI_CLI_H_
