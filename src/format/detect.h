// What kind of TensorFlow artifact a path holds, decided by content, never by the file
// name's extension: `model.lite`, `graph.bin` or a file with no extension are recognized
// as well as `model.tflite` or `graph.pb`.
//
//   TFM_ASSIGN_OR_RETURN(DetectedFormat f, DetectModelFormat(path));
//   if (f.format == ModelFormat::kTfLite) ... LoadTfLiteModel(f.path) ...
//
// Files:
//   TFLite FlatBuffer     file identifier "TFL3" at bytes 4-7
//   .npy array            magic "\x93NUMPY"; .npz archives start with a zip header "PK\3\4"
//   checkpoint            a table (tensor bundle .index, or a V1 checkpoint) ending with
//                         LevelDB's table magic number; also a prefix whose .index exists
//                         and a bundle's .data-NNNNN-of-NNNNN shard
//   binary protobuf       a well-formed wire-format message, told apart by its top-level
//                         fields: SavedModel (1: varint schema version, 2: meta_graphs),
//                         MetaGraphDef (1: meta_info_def, 2: graph_def, 3: saver_def, ...,
//                         5-7), GraphDef (repeated 1: node whose field 2 is an op name,
//                         3: varint version, 4: versions)
//   text protobuf         printable text whose first field name is a GraphDef, MetaGraphDef
//                         or SavedModel field ("node {", "meta_info_def {", ...)
// Folders: SavedModel (saved_model.pb / saved_model.pbtxt), TF Serving session bundle
// (export.meta), checkpoint folder (a `checkpoint` state file), a version folder holding
// only model.tflite, and a model base path (numeric version folders).
#ifndef TFMODEL_FORMAT_DETECT_H_
#define TFMODEL_FORMAT_DETECT_H_

#include <string>

#include "absl/status/statusor.h"
#include "format/proto_io.h"

namespace tfmodel {

enum class ModelFormat {
  kUnknown,
  kSavedModelDir,     // path: the folder
  kSessionBundleDir,  // path: the folder
  kCheckpointDir,     // path: the folder
  kModelBasePath,     // path: the folder of numeric versions
  kSavedModel,        // path: a saved_model.pb(txt) file (its folder is the SavedModel)
  kMetaGraphDef,
  kGraphDef,
  kTfLite,      // path: the .tflite file (model.tflite inside a version folder)
  kCheckpoint,  // path: as given (prefix, .index file or V1 file / pattern)
  kNpy,
  kNpz,
};

struct DetectedFormat {
  ModelFormat format = ModelFormat::kUnknown;
  std::string path;  // what to open (see ModelFormat)
  // kSavedModel / kMetaGraphDef / kGraphDef: kBinary or kText.
  ProtoFormat encoding = ProtoFormat::kAuto;
  std::string reason;  // why, for messages: "file identifier 'TFL3' at byte 4"
};

// NotFound when `path` does not exist (and is no checkpoint prefix or V1 pattern); a file
// or folder of no known kind is kUnknown with the reason.
absl::StatusOr<DetectedFormat> DetectModelFormat(const std::string& path);

// Detection of a whole file's bytes held in memory (path left empty).
DetectedFormat DetectContent(const std::string& bytes);

// `folder`/model.tflite when it exists, else "" (TF Serving's --prefer_tflite_model
// convention; loading it reports a file that is not a TFLite model).
std::string TfLiteModelInFolder(const std::string& folder);

// "TFLite model", "GraphDef", ...
const char* ModelFormatName(ModelFormat format);

}  // namespace tfmodel

#endif  // TFMODEL_FORMAT_DETECT_H_
