// The tfmodel command-line program: see src/cli/ and README.md.
#include "absl/synchronization/mutex.h"
#include "cli/cli.h"

int main(int argc, char** argv) {
  // absl::Mutex's deadlock-cycle detection keeps a lock graph on every slow-path acquire;
  // it is a debugging aid that costs serving throughput, so it is off in the binary.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return tfmodel::cli::Main(argc, argv);
}
