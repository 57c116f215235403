#include "serving/source.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <set>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/crc32c.h"
#include "core/file_util.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace tfmodel::serving {
namespace {

// Collects text-format parse errors instead of printing them.
class ErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (!text.empty()) text += "; ";
    absl::StrAppend(&text, "line ", line + 1, " column ", column + 1, ": ", message);
  }
  std::string text;
};

bool ValidLabel(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

}  // namespace

absl::StatusOr<std::map<int64_t, std::string>> ListVersions(const std::string& base_path) {
  std::error_code ec;
  std::filesystem::directory_iterator it(base_path, ec);
  if (ec) {
    return absl::NotFoundError(
        absl::StrCat("Could not find base path ", base_path, ": ", ec.message()));
  }
  std::map<int64_t, std::string> out;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const std::string name = it->path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    int64_t v;
    if (!absl::SimpleAtoi(name, &v) || v < 0) continue;
    std::error_code dir_ec;
    if (!std::filesystem::is_directory(it->path(), dir_ec)) continue;
    out.emplace(v, it->path().string());
  }
  return out;
}

std::vector<int64_t> AspiredVersions(const VersionPolicy& policy,
                                     const std::map<int64_t, std::string>& present) {
  std::vector<int64_t> out;
  switch (policy.policy_choice_case()) {
    case VersionPolicy::kAll:
      for (const auto& [v, path] : present) out.push_back(v);
      break;
    case VersionPolicy::kSpecific: {
      std::set<int64_t> want(policy.specific().versions().begin(),
                             policy.specific().versions().end());
      for (const auto& [v, path] : present) {
        if (want.count(v)) out.push_back(v);
      }
      break;
    }
    case VersionPolicy::kLatest:
    default: {
      uint32_t n = 1;
      if (policy.policy_choice_case() == VersionPolicy::kLatest &&
          policy.latest().num_versions() > 0) {
        n = policy.latest().num_versions();
      }
      for (auto it = present.rbegin(); it != present.rend() && out.size() < n; ++it) {
        out.push_back(it->first);
      }
      std::reverse(out.begin(), out.end());
      break;
    }
  }
  return out;
}

absl::Status ValidateModelServerConfig(const tensorflow::serving::ModelServerConfig& config) {
  if (config.config_case() == tensorflow::serving::ModelServerConfig::kCustomModelConfig) {
    return absl::UnimplementedError("custom_model_config is not supported");
  }
  std::set<std::string> names;
  for (const auto& m : config.model_config_list().config()) {
    if (m.name().empty()) return absl::InvalidArgumentError("Illegal to have empty model name");
    if (!names.insert(m.name()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("Illegal to list model ", m.name(), " multiple times in config list"));
    }
    if (m.base_path().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("Model ", m.name(), " has an empty base_path"));
    }
    if (!m.model_platform().empty() && m.model_platform() != "tensorflow") {
      return absl::InvalidArgumentError(
          absl::StrCat("Model ", m.name(), " has unsupported model_platform \"", m.model_platform(),
                       "\" (only \"tensorflow\" is served)"));
    }
    for (const auto& [label, version] : m.version_labels()) {
      if (!ValidLabel(label)) {
        return absl::InvalidArgumentError(absl::StrCat("Invalid version label: '", label,
                                                       "' for model ", m.name(),
                                                       ". Labels must match [a-zA-Z0-9_]+"));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<tensorflow::serving::ModelServerConfig> ParseModelServerConfig(
    const std::string& text) {
  tensorflow::serving::ModelServerConfig config;
  google::protobuf::TextFormat::Parser parser;
  ErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, &config)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Error parsing text-format tensorflow.serving.ModelServerConfig: ", errors.text));
  }
  if (auto s = ValidateModelServerConfig(config); !s.ok()) return s;
  return config;
}

absl::StatusOr<std::vector<std::string>> ReadTFRecords(const std::string& path,
                                                       size_t max_records) {
  auto data = ReadFileToString(path);
  if (!data.ok()) return data.status();
  std::vector<std::string> out;
  const std::string& d = *data;
  size_t pos = 0;
  while (pos < d.size() && out.size() < max_records) {
    if (d.size() - pos < 12) {
      return absl::DataLossError(
          absl::StrCat("truncated record header at offset ", pos, " in ", path));
    }
    const uint64_t len = GetU64(d.data() + pos);
    if (crc32c::Unmask(GetU32(d.data() + pos + 8)) != crc32c::Value(d.data() + pos, 8)) {
      return absl::DataLossError(
          absl::StrCat("corrupted record length at offset ", pos, " in ", path));
    }
    pos += 12;
    if (len > d.size() - pos || d.size() - pos - len < 4) {
      return absl::DataLossError(
          absl::StrCat("truncated record of ", len, " bytes at offset ", pos, " in ", path));
    }
    const char* rec = d.data() + pos;
    if (crc32c::Unmask(GetU32(rec + len)) != crc32c::Value(rec, len)) {
      return absl::DataLossError(
          absl::StrCat("corrupted record data at offset ", pos, " in ", path));
    }
    out.emplace_back(rec, len);
    pos += len + 4;
  }
  return out;
}

std::string EncodeTFRecords(const std::vector<std::string>& records) {
  std::string out;
  for (const auto& r : records) {
    std::string len;
    PutU64(&len, r.size());
    out += len;
    PutU32(&out, crc32c::Mask(crc32c::Value(len.data(), len.size())));
    out += r;
    PutU32(&out, crc32c::Mask(crc32c::Value(r.data(), r.size())));
  }
  return out;
}

}  // namespace tfmodel::serving
