// One conversion from files to a .tflite file, as `tfmodel convert` and the public API run
// it: read a frozen GraphDef (with named input/output arrays) or a SavedModel signature
// (frozen first), lower it with the TFLite converter (tflite/converter.h) and write the
// FlatBuffer. The fields are tflite_convert's flags.
#ifndef TFMODEL_TFLITE_CONVERT_JOB_H_
#define TFMODEL_TFLITE_CONVERT_JOB_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tflite/converter.h"

namespace tfmodel::tflite {

struct ConvertJob {
  // Exactly one source.
  std::string graph_def_file;  // frozen GraphDef; needs input_arrays and output_arrays
  std::string saved_model_dir;
  std::string saved_model_signature_key;  // "" = serving_default
  std::vector<std::string> saved_model_tag_set = {"serve"};
  std::string output_file;  // where to write ("" = only return the bytes)
  // input_arrays / output_arrays (graphs), input_shapes, allow_custom_ops,
  // quantize_weights; aliases and signature key are filled from a SavedModel.
  TfLiteConvertOptions options;
};

struct ConvertJobResult {
  std::string flatbuffer;
  int64_t frozen_graph_bytes = 0;
  TfLiteConvertReport report;
};

absl::StatusOr<ConvertJobResult> RunConvertJob(const ConvertJob& job);

// "1,784:4" -> {{1,784},{4}}: one shape per input, ':' between inputs, "?", "None" or -1
// for an unknown dimension. "" -> no shapes (taken from the graph).
absl::StatusOr<std::vector<std::vector<int64_t>>> ParseInputShapes(const std::string& text);

}  // namespace tfmodel::tflite

#endif  // TFMODEL_TFLITE_CONVERT_JOB_H_
