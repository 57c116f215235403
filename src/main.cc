// The tfmodel command-line program: see src/cli/ and README.md.
#include "cli/cli.h"

int main(int argc, char** argv) { return tfmodel::cli::Main(argc, argv); }
