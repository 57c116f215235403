// CLI entry points for .tflite files (inspect; run lives in run.cc via tflite::TfLiteModel).
#ifndef TFMODEL_CLI_TFLITE_CLI_H_
#define TFMODEL_CLI_TFLITE_CLI_H_

#include <string>

namespace tfmodel::cli {

// `tfmodel inspect model.tflite [--json]`. Returns the exit code.
int InspectTfLite(const std::string& path, bool json);

}  // namespace tfmodel::cli

#endif  // TFMODEL_CLI_TFLITE_CLI_H_
