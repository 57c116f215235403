// Where servable versions come from: numeric version folders under a model's base path,
// filtered by the model's version policy, and the ModelServerConfig text file.
#ifndef TFMODEL_SERVING_SOURCE_H_
#define TFMODEL_SERVING_SOURCE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tensorflow_serving/config/file_system_storage_path_source.pb.h"
#include "tensorflow_serving/config/model_server_config.pb.h"

namespace tfmodel::serving {

using VersionPolicy = tensorflow::serving::FileSystemStoragePathSourceConfig::ServableVersionPolicy;

// Version number -> folder path, for every sub-folder of `base_path` whose name is a
// non-negative int64 ("00000123" is 123). NotFound when base_path does not exist.
absl::StatusOr<std::map<int64_t, std::string>> ListVersions(const std::string& base_path);

// The versions the policy wants served out of those present (ascending).
// latest{n} (default n=1): the n largest; all: every one; specific: those listed.
std::vector<int64_t> AspiredVersions(const VersionPolicy& policy,
                                     const std::map<int64_t, std::string>& present);

// Parses a text ModelServerConfig; a malformed file gives TF Serving's message
// "Error parsing text-format tensorflow.serving.ModelServerConfig" (plus details). Also
// checks model names are unique and non-empty and labels match [a-zA-Z0-9_]+.
absl::StatusOr<tensorflow::serving::ModelServerConfig> ParseModelServerConfig(
    const std::string& text);
absl::Status ValidateModelServerConfig(const tensorflow::serving::ModelServerConfig& config);

// Records of a TFRecord file (CRC-checked), at most `max_records`.
absl::StatusOr<std::vector<std::string>> ReadTFRecords(const std::string& path, size_t max_records);
// Encodes records as a TFRecord file body (for tests and tools).
std::string EncodeTFRecords(const std::vector<std::string>& records);

}  // namespace tfmodel::serving

#endif  // TFMODEL_SERVING_SOURCE_H_
