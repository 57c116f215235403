// Reading model artifacts from disk: SavedModel folders (saved_model.pb/.pbtxt with
// variables/, assets/, assets.extra/, fingerprint.pb), GraphDefs and MetaGraphDefs
// (binary or text), and TF Serving's legacy session bundles (export.meta + V1 checkpoint).
#ifndef TFMODEL_FORMAT_SAVED_MODEL_H_
#define TFMODEL_FORMAT_SAVED_MODEL_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tensorflow/core/framework/graph.pb.h"
#include "tensorflow/core/protobuf/fingerprint.pb.h"
#include "tensorflow/core/protobuf/meta_graph.pb.h"
#include "tensorflow/core/protobuf/saved_model.pb.h"

namespace tfmodel {

inline constexpr char kSavedModelFilenamePb[] = "saved_model.pb";
inline constexpr char kSavedModelFilenamePbTxt[] = "saved_model.pbtxt";
inline constexpr char kDefaultServingSignatureKey[] = "serving_default";
inline constexpr char kInitOpSignatureKey[] = "__saved_model_init_op";
inline constexpr char kMainOpCollection[] = "saved_model_main_op";
inline constexpr char kLegacyInitOpCollection[] = "legacy_init_op";
inline constexpr char kAssetsCollection[] = "saved_model_assets";
inline constexpr char kTableInitializerCollection[] = "table_initializer";
inline constexpr char kPredictMethod[] = "tensorflow/serving/predict";
inline constexpr char kClassifyMethod[] = "tensorflow/serving/classify";
inline constexpr char kRegressMethod[] = "tensorflow/serving/regress";

// One asset: the placeholder tensor fed at init time and the file it stands for.
struct AssetFile {
  std::string tensor_name;  // e.g. "asset_path:0"
  std::string filename;     // as recorded, relative to assets/
  std::string path;         // absolute/openable path
};

// Everything a loader needs from a model folder, parsed once.
struct ModelArtifact {
  enum class Kind { kSavedModel, kSessionBundle };
  Kind kind = Kind::kSavedModel;
  std::string dir;                      // the version folder
  std::string saved_model_path;         // saved_model.pb / .pbtxt / export.meta
  tensorflow::MetaGraphDef meta_graph;  // the one chosen by tags
  std::vector<std::vector<std::string>> available_tag_sets;
  std::string variables_prefix;  // "" when the model has no variables
  std::vector<AssetFile> assets;
  std::string init_op;  // node name to run after restore, "" if none
  // When there is no init op: the `table_initializer` collection's nodes (tf.Transform and
  // other TF1 exports fill tables this way and expect tables_initializer() to be run).
  std::vector<std::string> table_initializers;
  std::optional<tensorflow::FingerprintDef> fingerprint;
  std::vector<std::string> assets_extra;  // file names under assets.extra/
};

bool IsSavedModelDir(const std::string& dir);

// Reads a SavedModel folder (or a TF Serving session bundle folder) choosing the
// MetaGraphDef whose tag set equals `tags` (order-insensitive). An unknown tag set fails
// with a message listing the available ones.
absl::StatusOr<ModelArtifact> ReadModelArtifact(const std::string& dir,
                                                const std::vector<std::string>& tags = {"serve"});
// The tag set to use when the user named none: {serve} when the SavedModel has it (and
// for session bundles), else the tags of its only MetaGraphDef. Several MetaGraphDefs and
// none tagged serve is an error listing them. `*note` (optional) is set to a line saying
// which tag set was picked when it is not {serve}.
absl::StatusOr<std::vector<std::string>> DefaultTagSet(const std::string& dir,
                                                       std::string* note = nullptr);
// "{a, b}" for error messages.
std::string TagSetString(const std::vector<std::string>& tags);

// The whole SavedModel proto of a folder.
absl::StatusOr<tensorflow::SavedModel> ReadSavedModelProto(const std::string& dir);

absl::StatusOr<tensorflow::GraphDef> ReadGraphDef(const std::string& path);
absl::StatusOr<tensorflow::MetaGraphDef> ReadMetaGraphDef(const std::string& path);

// "x:0" -> ("x", 0); "x" -> ("x", 0); "^x" -> ("x", -1) for control inputs.
struct TensorId {
  std::string node;
  int index = 0;
  bool operator<(const TensorId& o) const {
    return node != o.node ? node < o.node : index < o.index;
  }
  bool operator==(const TensorId& o) const { return node == o.node && index == o.index; }
  std::string ToString() const;
};
TensorId ParseTensorName(const std::string& name);

}  // namespace tfmodel

#endif  // TFMODEL_FORMAT_SAVED_MODEL_H_
