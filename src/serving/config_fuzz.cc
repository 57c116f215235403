// libFuzzer target: the text-format configs `tfmodel serve` reads. The first byte picks:
//   0: --model_config_file (ModelServerConfig: model_config_list, version policies, labels)
//      parsed and validated as at start-up and on reload
//   1: --batching_parameters_file (BatchingParameters) -> BatchingOptions
//   2: --monitoring_config_file (MonitoringConfig) and --ssl_config_file (SSLConfig)
//   3: a TFRecord file (assets.extra/tf_serving_warmup_requests is one), records CRC-checked
// Built and run by scripts/fuzz.sh (-DTFMODEL_FUZZ=ON); not part of the library or CI.
#include <cstdint>
#include <string>

#include "core/fuzz_util.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "serving/batching.h"
#include "serving/source.h"
#include "tensorflow_serving/config/monitoring_config.pb.h"
#include "tensorflow_serving/config/ssl_config.pb.h"

namespace {

// Protobuf's text parser logs every syntax error to stderr; keep the fuzzer's output clean.
class Quiet : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int, int, const std::string&) override {}
};

template <typename Proto>
bool ParseText(const std::string& text, Proto* proto) {
  google::protobuf::TextFormat::Parser parser;
  Quiet quiet;
  parser.RecordErrorsTo(&quiet);
  return parser.ParseFromString(text, proto);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tfmodel::fuzz::Init();
  tfmodel::fuzz::Input in;
  if (!tfmodel::fuzz::SplitSelector(data, size, &in)) return 0;
  switch (in.selector % 4) {
    case 0: {
      auto config = tfmodel::serving::ParseModelServerConfig(in.rest);
      if (config.ok()) {
        for (const auto& m : config->model_config_list().config()) {
          (void)tfmodel::serving::AspiredVersions(m.model_version_policy(),
                                                  {{1, "1"}, {2, "2"}, {7, "7"}});
        }
      }
      break;
    }
    case 1: {
      tensorflow::serving::BatchingParameters params;
      if (ParseText(in.rest, &params)) (void)tfmodel::serving::BatchingOptionsFromProto(params);
      break;
    }
    case 2: {
      tensorflow::serving::MonitoringConfig monitoring;
      (void)ParseText(in.rest, &monitoring);
      tensorflow::serving::SSLConfig ssl;
      (void)ParseText(in.rest, &ssl);
      break;
    }
    default: {
      const std::string path = tfmodel::fuzz::TempDir() + "/records";
      tfmodel::fuzz::WriteFile(path, in.rest.data(), in.rest.size());
      (void)tfmodel::serving::ReadTFRecords(path, 1000);
      break;
    }
  }
  return 0;
}
