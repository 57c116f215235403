#include "format/detect.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "format/saved_model.h"

namespace tfmodel {
namespace {

namespace fs = std::filesystem;

constexpr size_t kHeadBytes = 4 << 20;
// LevelDB's table magic number (the last 8 bytes of a table), little-endian.
constexpr unsigned char kTableMagic[8] = {0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb};
constexpr size_t kTableFooterBytes = 48;

// The first bytes, the last 8 bytes and the size of a file.
struct FileSample {
  std::string head;
  std::string tail;
  uint64_t size = 0;
};

std::optional<FileSample> SampleFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  in.seekg(0, std::ios::end);
  FileSample s;
  s.size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  s.head.resize(std::min<uint64_t>(s.size, kHeadBytes));
  in.read(s.head.data(), static_cast<std::streamsize>(s.head.size()));
  if (s.size >= 8) {
    s.tail.resize(8);
    in.seekg(static_cast<std::streamoff>(s.size - 8));
    in.read(s.tail.data(), 8);
  }
  if (!in) return std::nullopt;
  return s;
}

// ---- Binary protobuf wire format.

struct WireField {
  uint32_t number = 0;
  int wire_type = 0;
  size_t offset = 0;  // of the payload (LEN) within the scanned bytes
  uint64_t length = 0;
};

bool ReadVarint(const std::string& b, size_t* pos, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= b.size()) return false;
    const uint8_t c = static_cast<uint8_t>(b[(*pos)++]);
    *v |= static_cast<uint64_t>(c & 0x7f) << shift;
    if (!(c & 0x80)) return true;
  }
  return false;
}

// The top-level fields of a message whose encoding starts with `b` and is `total` bytes
// long; nullopt when the bytes are not well-formed wire format. A field running past the
// end of `b` (but not of `total`) ends the scan.
std::optional<std::vector<WireField>> ScanFields(const std::string& b, uint64_t total) {
  std::vector<WireField> fields;
  size_t pos = 0;
  while (pos < b.size()) {
    // A varint cut off by the end of the sample ends the scan; by the end of the data, it is
    // malformed.
    const bool sampled = b.size() < total;
    uint64_t tag;
    if (!ReadVarint(b, &pos, &tag)) return sampled ? std::optional(fields) : std::nullopt;
    WireField f;
    f.number = static_cast<uint32_t>(tag >> 3);
    f.wire_type = static_cast<int>(tag & 7);
    if (f.number == 0 || tag >> 32) return std::nullopt;
    uint64_t skip = 0;
    switch (f.wire_type) {
      case 0: {
        uint64_t v;
        if (!ReadVarint(b, &pos, &v)) return sampled ? std::optional(fields) : std::nullopt;
        break;
      }
      case 1:
        skip = 8;
        break;
      case 2:
        if (!ReadVarint(b, &pos, &f.length)) return sampled ? std::optional(fields) : std::nullopt;
        skip = f.length;
        break;
      case 5:
        skip = 4;
        break;
      default:  // groups (3, 4) are not used by TF's messages; 6 and 7 do not exist
        return std::nullopt;
    }
    f.offset = pos;
    if (skip > total - pos) return std::nullopt;
    fields.push_back(f);
    if (skip > b.size() - pos) break;  // beyond the sampled bytes
    pos += skip;
  }
  return fields;
}

bool IsOpName(absl::string_view s) {
  if (s.empty() || s.size() > 256) return false;
  if (!absl::ascii_isalpha(s[0]) && s[0] != '_') return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '>' && c != '.') return false;
  }
  return true;
}

// Field 1 of a GraphDef is a NodeDef, whose field 2 is its op name; field 1 of a
// MetaGraphDef is a MetaInfoDef, whose field 2 is an OpList message.
bool FirstFieldIsNodeDef(const std::string& b, const WireField& f) {
  if (f.offset + f.length > b.size()) return false;
  const std::string inner = b.substr(f.offset, f.length);
  auto fields = ScanFields(inner, inner.size());
  if (!fields) return false;
  for (const WireField& g : *fields) {
    if (g.number == 2 && g.wire_type == 2) {
      return IsOpName(absl::string_view(inner).substr(g.offset, g.length));
    }
  }
  return false;
}

std::optional<DetectedFormat> DetectBinaryProto(const FileSample& s) {
  auto fields = ScanFields(s.head, s.size);
  if (!fields || fields->empty()) return std::nullopt;
  DetectedFormat d;
  d.encoding = ProtoFormat::kBinary;
  int field1_len = 0;
  const WireField* first1 = nullptr;
  for (const WireField& f : *fields) {
    if (f.number == 1 && f.wire_type == 0) {
      d.format = ModelFormat::kSavedModel;
      d.reason = "binary protobuf with a saved_model_schema_version field";
      return d;
    }
    if (f.number >= 5 && f.number <= 7 && f.wire_type == 2) {
      d.format = ModelFormat::kMetaGraphDef;
      d.reason = absl::StrCat("binary protobuf with MetaGraphDef field ", f.number);
      return d;
    }
    if (f.number == 3) {
      d.format = f.wire_type == 2 ? ModelFormat::kMetaGraphDef : ModelFormat::kGraphDef;
      d.reason = f.wire_type == 2 ? "binary protobuf with a saver_def field"
                                  : "binary protobuf with a GraphDef version field";
      return d;
    }
    if (f.number > 7) return std::nullopt;
    if (f.number == 1 && f.wire_type == 2 && field1_len++ == 0) first1 = &f;
  }
  if (field1_len > 1 || (first1 && FirstFieldIsNodeDef(s.head, *first1))) {
    d.format = ModelFormat::kGraphDef;
    d.reason = "binary protobuf whose first field is a NodeDef";
  } else if (first1) {
    d.format = ModelFormat::kMetaGraphDef;
    d.reason = "binary protobuf whose first field is a MetaInfoDef";
  } else {
    d.format = ModelFormat::kGraphDef;
    d.reason = "binary protobuf with GraphDef fields (no nodes)";
  }
  return d;
}

// ---- Text protobuf.

// The first field name of a text-format message (after whitespace and # comments).
std::string FirstTextField(const std::string& b) {
  size_t i = 0;
  while (i < b.size()) {
    if (absl::ascii_isspace(b[i])) {
      ++i;
    } else if (b[i] == '#') {
      while (i < b.size() && b[i] != '\n') ++i;
    } else {
      break;
    }
  }
  size_t j = i;
  while (j < b.size() && (absl::ascii_isalnum(b[j]) || b[j] == '_')) ++j;
  return b.substr(i, j - i);
}

std::optional<DetectedFormat> DetectTextProto(const FileSample& s) {
  if (!LooksLikeTextFormat(s.head)) return std::nullopt;
  const std::string field = FirstTextField(s.head);
  static const std::pair<const char*, ModelFormat> kFields[] = {
      {"node", ModelFormat::kGraphDef},
      {"versions", ModelFormat::kGraphDef},
      {"library", ModelFormat::kGraphDef},
      {"version", ModelFormat::kGraphDef},
      {"meta_info_def", ModelFormat::kMetaGraphDef},
      {"graph_def", ModelFormat::kMetaGraphDef},
      {"saver_def", ModelFormat::kMetaGraphDef},
      {"collection_def", ModelFormat::kMetaGraphDef},
      {"signature_def", ModelFormat::kMetaGraphDef},
      {"asset_file_def", ModelFormat::kMetaGraphDef},
      {"object_graph_def", ModelFormat::kMetaGraphDef},
      {"saved_model_schema_version", ModelFormat::kSavedModel},
      {"meta_graphs", ModelFormat::kSavedModel},
  };
  DetectedFormat d;
  d.encoding = ProtoFormat::kText;
  for (const auto& [name, format] : kFields) {
    if (field == name) {
      d.format = format;
      d.reason = absl::StrCat("text protobuf starting with field '", field, "'");
      return d;
    }
  }
  d.reason = field.empty() ? "text with no protobuf field"
                           : absl::StrCat("text whose first field '", field,
                                          "' is not of a GraphDef, MetaGraphDef or SavedModel");
  return d;
}

DetectedFormat DetectSample(const FileSample& s) {
  DetectedFormat d;
  const std::string& h = s.head;
  if (s.size == 0) {
    d.reason = "empty file";
    return d;
  }
  uint32_t root = 0;
  if (h.size() >= 8) std::memcpy(&root, h.data(), 4);
  if (h.size() >= 8 && h.compare(4, 4, "TFL3") == 0 && root < s.size) {
    d.format = ModelFormat::kTfLite;
    d.reason = "FlatBuffer file identifier 'TFL3' at bytes 4-7";
    return d;
  }
  if (absl::StartsWith(h, "\x93NUMPY")) {
    d.format = ModelFormat::kNpy;
    d.reason = "magic \\x93NUMPY";
    return d;
  }
  if (absl::StartsWith(h, "PK\x03\x04")) {
    d.format = ModelFormat::kNpz;
    d.reason = "zip archive (.npz)";
    return d;
  }
  if (s.size >= kTableFooterBytes && s.tail.size() == 8 &&
      std::memcmp(s.tail.data(), kTableMagic, 8) == 0) {
    d.format = ModelFormat::kCheckpoint;
    d.reason = "table magic number at the end (checkpoint index or V1 checkpoint)";
    return d;
  }
  // Text first: a binary message is practically never all printable, while text may
  // happen to scan as wire format.
  std::optional<DetectedFormat> text = DetectTextProto(s);
  if (text && text->format != ModelFormat::kUnknown) return *text;
  if (auto p = DetectBinaryProto(s)) return *p;
  if (text) return *text;
  d.reason =
      "neither a TFLite FlatBuffer, .npy, checkpoint table, nor a GraphDef, "
      "MetaGraphDef or SavedModel protobuf (binary or text)";
  return d;
}

bool HasVersionFolders(const std::string& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    int64_t v;
    if (e.is_directory(ec) && absl::SimpleAtoi(e.path().filename().string(), &v) && v >= 0) {
      return true;
    }
  }
  return false;
}

DetectedFormat DetectFolder(const std::string& dir) {
  DetectedFormat d;
  d.path = dir;
  if (IsSavedModelDir(dir)) {
    d.format = ModelFormat::kSavedModelDir;
    d.reason = "folder with saved_model.pb or saved_model.pbtxt";
  } else if (FileExists(JoinPath(dir, "export.meta"))) {
    d.format = ModelFormat::kSessionBundleDir;
    d.reason = "folder with export.meta (session bundle)";
  } else if (FileExists(JoinPath(dir, "checkpoint"))) {
    d.format = ModelFormat::kCheckpointDir;
    d.reason = "folder with a checkpoint state file";
  } else if (std::string lite = TfLiteModelInFolder(dir); !lite.empty()) {
    d.format = ModelFormat::kTfLite;
    d.path = lite;
    d.reason = "version folder holding model.tflite";
  } else if (HasVersionFolders(dir)) {
    d.format = ModelFormat::kModelBasePath;
    d.reason = "folder of numeric version folders";
  } else {
    d.reason =
        "folder with no saved_model.pb, export.meta, checkpoint file, model.tflite or "
        "numeric version folders";
  }
  return d;
}

// `path` minus a tensor bundle shard suffix ".data-00000-of-00001", or "".
std::string BundlePrefixOfShard(const std::string& path) {
  const size_t at = path.rfind(".data-");
  if (at == std::string::npos) return "";
  const std::string suffix = path.substr(at + 6);
  const size_t of = suffix.find("-of-");
  int64_t a, b;
  if (of == std::string::npos || !absl::SimpleAtoi(suffix.substr(0, of), &a) ||
      !absl::SimpleAtoi(suffix.substr(of + 4), &b)) {
    return "";
  }
  return path.substr(0, at);
}

}  // namespace

absl::StatusOr<DetectedFormat> DetectModelFormat(const std::string& path) {
  if (IsDirectory(path)) return DetectFolder(path);
  DetectedFormat d;
  d.path = path;
  if (!FileExists(path)) {
    if (FileExists(path + ".index")) {
      d.format = ModelFormat::kCheckpoint;
      d.reason = "checkpoint prefix (the .index file exists)";
      return d;
    }
    if (path.find_first_of("?*") != std::string::npos) {
      d.format = ModelFormat::kCheckpoint;
      d.reason = "file pattern (V1 checkpoint)";
      return d;
    }
    return absl::NotFoundError(absl::StrCat("'", path, "' does not exist"));
  }
  std::optional<FileSample> s = SampleFile(path);
  if (!s) return absl::NotFoundError(absl::StrCat("cannot read '", path, "'"));
  DetectedFormat c = DetectSample(*s);
  c.path = path;
  if (c.format == ModelFormat::kUnknown) {
    const std::string prefix = BundlePrefixOfShard(path);
    if (!prefix.empty() && FileExists(prefix + ".index")) {
      c.format = ModelFormat::kCheckpoint;
      c.path = prefix;
      c.reason = "checkpoint data shard (the prefix's .index file exists)";
    }
  }
  return c;
}

DetectedFormat DetectContent(const std::string& bytes) {
  FileSample s;
  s.size = bytes.size();
  s.head = bytes.substr(0, kHeadBytes);
  if (bytes.size() >= 8) s.tail = bytes.substr(bytes.size() - 8);
  return DetectSample(s);
}

std::string TfLiteModelInFolder(const std::string& folder) {
  const std::string path = JoinPath(folder, "model.tflite");
  return FileExists(path) && !IsDirectory(path) ? path : "";
}

const char* ModelFormatName(ModelFormat format) {
  switch (format) {
    case ModelFormat::kUnknown:
      return "unknown";
    case ModelFormat::kSavedModelDir:
      return "SavedModel folder";
    case ModelFormat::kSessionBundleDir:
      return "session bundle folder";
    case ModelFormat::kCheckpointDir:
      return "checkpoint folder";
    case ModelFormat::kModelBasePath:
      return "model base path";
    case ModelFormat::kSavedModel:
      return "SavedModel";
    case ModelFormat::kMetaGraphDef:
      return "MetaGraphDef";
    case ModelFormat::kGraphDef:
      return "GraphDef";
    case ModelFormat::kTfLite:
      return "TFLite model";
    case ModelFormat::kCheckpoint:
      return "checkpoint";
    case ModelFormat::kNpy:
      return ".npy array";
    case ModelFormat::kNpz:
      return ".npz archive";
  }
  return "unknown";
}

}  // namespace tfmodel
