// `tfmodel convert`: a frozen GraphDef or a SavedModel signature -> a .tflite FlatBuffer, with
// tflite_convert's flag names (--graph_def_file / --saved_model_dir, --input_arrays,
// --output_arrays, --input_shapes, --output_file, --allow_custom_ops).
#include <cstdio>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_join.h"
#include "cli/commands.h"
#include "core/flag_values.h"
#include "tflite/convert_job.h"

namespace tfmodel::cli {
namespace {

int Fail(const std::string& msg) { return PrintError("convert", msg); }

}  // namespace

int ConvertMain(int argc, char** argv) {
  std::string graph_file, saved_model_dir, signature, tag_set = "serve", input_arrays,
                                                      output_arrays, input_shapes, output_file;
  bool allow_custom = false, quantize = false, float16 = false;
  CLI::App app{"Convert a frozen GraphDef or a SavedModel signature to a TFLite model.",
               "tfmodel convert"};
  app.add_option("--graph_def_file,--input_graph", graph_file, "frozen GraphDef (.pb / .pbtxt)");
  app.add_option("--saved_model_dir", saved_model_dir, "SavedModel folder");
  app.add_option("--saved_model_signature_key,--signature_def", signature,
                 "SavedModel signature (default serving_default)");
  app.add_option("--saved_model_tag_set", tag_set, "SavedModel tags (comma separated)");
  app.add_option("--input_arrays", input_arrays, "input tensors, comma separated (graphs)");
  app.add_option("--output_arrays", output_arrays, "output tensors, comma separated (graphs)");
  app.add_option("--input_shapes", input_shapes, "shapes per input, e.g. 1,784 or 1,28,28:1");
  app.add_option("--output_file", output_file, "the .tflite file to write")->required();
  app.add_flag("--allow_custom_ops", allow_custom,
               "keep ops without a TFLite builtin as custom operators (NodeDef options)");
  app.add_flag("--quantize_weights,--post_training_quantize", quantize,
               "dynamic-range quantization: int8 weights with per-channel scales");
  app.add_flag("--quantize_float16", float16,
               "float16 quantization: float weights stored as float16 behind DEQUANTIZE")
      ->excludes("--quantize_weights");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  tflite::ConvertJob job;
  job.graph_def_file = graph_file;
  job.saved_model_dir = saved_model_dir;
  job.saved_model_signature_key = signature;
  job.saved_model_tag_set = SplitList(tag_set);
  job.output_file = output_file;
  tflite::TfLiteConvertOptions& opt = job.options;
  opt.allow_custom_ops = allow_custom;
  opt.quantize_weights = quantize;
  opt.quantize_float16 = float16;
  opt.input_arrays = SplitList(input_arrays);
  opt.output_arrays = SplitList(output_arrays);
  auto shapes = tflite::ParseInputShapes(input_shapes);
  if (!shapes.ok()) return Fail(std::string(shapes.status().message()));
  opt.input_shapes = *shapes;
  auto result = tflite::RunConvertJob(job);
  if (!result.ok()) return Fail(std::string(result.status().message()));
  const tflite::TfLiteConvertReport& report = result->report;
  const std::string& bytes = result->flatbuffer;
  const int64_t source_bytes = result->frozen_graph_bytes;
  std::printf("Wrote %s: %zu bytes (frozen graph %lld bytes), %zu operators: %s\n",
              output_file.c_str(), bytes.size(), static_cast<long long>(source_bytes),
              report.operators.size(), absl::StrJoin(report.operators, ", ").c_str());
  std::printf("  folded %d nodes, fused %d ops\n", report.folded_nodes, report.fused_ops);
  if (quantize || float16) {
    std::printf("  quantized %d weight tensors: %lld -> %lld bytes\n", report.quantized_tensors,
                static_cast<long long>(report.float_weight_bytes),
                static_cast<long long>(report.quantized_weight_bytes));
  }
  return 0;
}

}  // namespace tfmodel::cli
