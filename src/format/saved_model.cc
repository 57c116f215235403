#include "format/saved_model.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/file_util.h"
#include "core/status.h"
#include "format/proto_io.h"

namespace tfmodel {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> SortedTags(const google::protobuf::RepeatedPtrField<std::string>& tags) {
  std::vector<std::string> v(tags.begin(), tags.end());
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// Assets come from MetaGraphDef.asset_file_def (TF2) or the saved_model_assets collection.
absl::Status CollectAssets(const std::string& dir, const tensorflow::MetaGraphDef& mg,
                           std::vector<AssetFile>* out) {
  auto add = [&](const tensorflow::AssetFileDef& a) {
    AssetFile f;
    f.tensor_name = a.tensor_info().name();
    f.filename = a.filename();
    f.path = JoinPath(JoinPath(dir, "assets"), a.filename());
    out->push_back(std::move(f));
  };
  for (const auto& a : mg.asset_file_def()) add(a);
  auto it = mg.collection_def().find(kAssetsCollection);
  if (it != mg.collection_def().end()) {
    for (const auto& any : it->second.any_list().value()) {
      tensorflow::AssetFileDef a;
      if (!any.UnpackTo(&a)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "collection '", kAssetsCollection, "' holds a value that is not an AssetFileDef"));
      }
      add(a);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> FindInitOp(const std::string& dir, const tensorflow::MetaGraphDef& mg) {
  auto sig = mg.signature_def().find(kInitOpSignatureKey);
  if (sig != mg.signature_def().end()) {
    auto out = sig->second.outputs().find(kInitOpSignatureKey);
    if (out != sig->second.outputs().end()) return ParseTensorName(out->second.name()).node;
  }
  for (const char* key : {kMainOpCollection, kLegacyInitOpCollection}) {
    auto it = mg.collection_def().find(key);
    if (it == mg.collection_def().end()) continue;
    const auto& nodes = it->second.node_list().value();
    if (nodes.size() != 1) {
      return absl::InvalidArgumentError(absl::StrCat("Expected exactly one main op in : ", dir,
                                                     " (collection '", key, "' has ", nodes.size(),
                                                     ")"));
    }
    return ParseTensorName(nodes[0]).node;
  }
  return std::string();
}

std::vector<std::string> TableInitializers(const tensorflow::MetaGraphDef& mg) {
  std::vector<std::string> out;
  auto it = mg.collection_def().find(kTableInitializerCollection);
  if (it == mg.collection_def().end()) return out;
  for (const auto& n : it->second.node_list().value()) out.push_back(ParseTensorName(n).node);
  return out;
}

absl::StatusOr<ModelArtifact> ReadSessionBundle(const std::string& dir) {
  ModelArtifact a;
  a.kind = ModelArtifact::Kind::kSessionBundle;
  a.dir = dir;
  a.saved_model_path = JoinPath(dir, "export.meta");
  TFM_RETURN_IF_ERROR(ReadProtoFile(a.saved_model_path, &a.meta_graph, ProtoFormat::kBinary));
  a.available_tag_sets.push_back({});
  // Variables: a V1 checkpoint "export" or sharded "export-?????-of-?????".
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name == "export" ||
        (name.rfind("export-", 0) == 0 && name.find("-of-") != std::string::npos)) {
      a.variables_prefix = name == "export"
                               ? JoinPath(dir, "export")
                               : JoinPath(dir, name.substr(0, 7) + "?????" + name.substr(12));
      break;
    }
  }
  TFM_RETURN_IF_ERROR(CollectAssets(dir, a.meta_graph, &a.assets));
  TFM_ASSIGN_OR_RETURN(a.init_op, FindInitOp(dir, a.meta_graph));
  if (a.init_op.empty()) a.table_initializers = TableInitializers(a.meta_graph);
  return a;
}

}  // namespace

std::string TagSetString(const std::vector<std::string>& tags) {
  return absl::StrCat("{", absl::StrJoin(tags, ", "), "}");
}

absl::StatusOr<std::vector<std::string>> DefaultTagSet(const std::string& dir, std::string* note) {
  const std::vector<std::string> serve = {"serve"};
  if (!IsSavedModelDir(dir)) return serve;  // session bundle, or an error ReadModelArtifact gives
  TFM_ASSIGN_OR_RETURN(tensorflow::SavedModel sm, ReadSavedModelProto(dir));
  std::vector<std::string> sets;
  for (const auto& mg : sm.meta_graphs()) {
    auto have = SortedTags(mg.meta_info_def().tags());
    if (have == serve) return serve;
    sets.push_back(TagSetString(have));
  }
  if (sm.meta_graphs_size() == 1) {
    auto only = SortedTags(sm.meta_graphs(0).meta_info_def().tags());
    if (note) {
      *note = absl::StrCat("SavedModel '", dir, "' has no tag set {serve}; using its only tag set ",
                           TagSetString(only));
    }
    return only;
  }
  return absl::NotFoundError(absl::StrCat("SavedModel '", dir,
                                          "' has no MetaGraphDef with tag set {serve} and several "
                                          "others; pick one with --tag_set (available: ",
                                          absl::StrJoin(sets, ", "), ")"));
}

std::string TensorId::ToString() const {
  return index < 0 ? absl::StrCat("^", node) : absl::StrCat(node, ":", index);
}

TensorId ParseTensorName(const std::string& name) {
  TensorId id;
  if (!name.empty() && name[0] == '^') {
    id.node = name.substr(1);
    id.index = -1;
    return id;
  }
  size_t colon = name.rfind(':');
  int idx = 0;
  if (colon != std::string::npos && colon + 1 < name.size() &&
      absl::SimpleAtoi(name.substr(colon + 1), &idx) && idx >= 0) {
    id.node = name.substr(0, colon);
    id.index = idx;
  } else {
    id.node = name;
  }
  return id;
}

bool IsSavedModelDir(const std::string& dir) {
  return FileExists(JoinPath(dir, kSavedModelFilenamePb)) ||
         FileExists(JoinPath(dir, kSavedModelFilenamePbTxt));
}

absl::StatusOr<tensorflow::SavedModel> ReadSavedModelProto(const std::string& dir) {
  tensorflow::SavedModel sm;
  std::string pb = JoinPath(dir, kSavedModelFilenamePb);
  std::string pbtxt = JoinPath(dir, kSavedModelFilenamePbTxt);
  if (FileExists(pb)) {
    TFM_RETURN_IF_ERROR(ReadProtoFile(pb, &sm, ProtoFormat::kBinary));
  } else if (FileExists(pbtxt)) {
    TFM_RETURN_IF_ERROR(ReadProtoFile(pbtxt, &sm, ProtoFormat::kText));
  } else {
    return absl::NotFoundError(
        absl::StrCat("no saved_model.pb or saved_model.pbtxt in '", dir, "'"));
  }
  if (sm.meta_graphs_size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("SavedModel in '", dir, "' has no MetaGraphDef"));
  }
  return sm;
}

absl::StatusOr<ModelArtifact> ReadModelArtifact(const std::string& dir,
                                                const std::vector<std::string>& tags) {
  if (!IsDirectory(dir)) {
    return absl::NotFoundError(absl::StrCat("model folder '", dir, "' does not exist"));
  }
  if (!IsSavedModelDir(dir)) {
    if (FileExists(JoinPath(dir, "export.meta"))) return ReadSessionBundle(dir);
    return absl::NotFoundError(
        absl::StrCat("'", dir, "' holds no saved_model.pb, saved_model.pbtxt or export.meta"));
  }
  TFM_ASSIGN_OR_RETURN(tensorflow::SavedModel sm, ReadSavedModelProto(dir));
  ModelArtifact a;
  a.dir = dir;
  a.saved_model_path = FileExists(JoinPath(dir, kSavedModelFilenamePb))
                           ? JoinPath(dir, kSavedModelFilenamePb)
                           : JoinPath(dir, kSavedModelFilenamePbTxt);
  std::vector<std::string> want(tags.begin(), tags.end());
  std::sort(want.begin(), want.end());
  want.erase(std::unique(want.begin(), want.end()), want.end());
  int chosen = -1;
  for (int i = 0; i < sm.meta_graphs_size(); ++i) {
    auto have = SortedTags(sm.meta_graphs(i).meta_info_def().tags());
    a.available_tag_sets.push_back(have);
    if (have == want && chosen < 0) chosen = i;
  }
  if (chosen < 0) {
    std::vector<std::string> sets;
    for (const auto& s : a.available_tag_sets) sets.push_back(TagSetString(s));
    return absl::NotFoundError(
        absl::StrCat("SavedModel '", dir, "' has no MetaGraphDef with tag set ", TagSetString(want),
                     "; available tag sets: ", absl::StrJoin(sets, ", ")));
  }
  a.meta_graph = std::move(*sm.mutable_meta_graphs(chosen));
  std::string index = JoinPath(dir, "variables/variables.index");
  if (FileExists(index)) a.variables_prefix = JoinPath(dir, "variables/variables");
  TFM_RETURN_IF_ERROR(CollectAssets(dir, a.meta_graph, &a.assets));
  TFM_ASSIGN_OR_RETURN(a.init_op, FindInitOp(dir, a.meta_graph));
  if (a.init_op.empty()) a.table_initializers = TableInitializers(a.meta_graph);
  std::string fp = JoinPath(dir, "fingerprint.pb");
  if (FileExists(fp)) {
    tensorflow::FingerprintDef f;
    TFM_RETURN_IF_ERROR(ReadProtoFile(fp, &f, ProtoFormat::kBinary));
    a.fingerprint = f;
  }
  std::error_code ec;
  std::string extra = JoinPath(dir, "assets.extra");
  if (IsDirectory(extra)) {
    for (const auto& e : fs::directory_iterator(extra, ec)) {
      a.assets_extra.push_back(e.path().filename().string());
    }
    std::sort(a.assets_extra.begin(), a.assets_extra.end());
  }
  return a;
}

absl::StatusOr<tensorflow::GraphDef> ReadGraphDef(const std::string& path) {
  tensorflow::GraphDef g;
  TFM_RETURN_IF_ERROR(ReadProtoFile(path, &g));
  return g;
}

absl::StatusOr<tensorflow::MetaGraphDef> ReadMetaGraphDef(const std::string& path) {
  tensorflow::MetaGraphDef m;
  TFM_RETURN_IF_ERROR(ReadProtoFile(path, &m));
  return m;
}

}  // namespace tfmodel
