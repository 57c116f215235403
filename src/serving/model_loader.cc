#include "serving/model_loader.h"

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "core/status.h"
#include "format/checkpoint.h"
#include "format/detect.h"
#include "format/saved_model.h"
#include "format/tflite.h"

namespace tfmodel::serving {

absl::StatusOr<LoadedModel> LoadModelFromPath(const std::string& path,
                                              const ModelLoadRequest& request) {
  TFM_ASSIGN_OR_RETURN(DetectedFormat d, DetectModelFormat(path));
  LoadedModel m;
  switch (d.format) {
    case ModelFormat::kSavedModelDir:
    case ModelFormat::kSessionBundleDir:
    case ModelFormat::kSavedModel: {
      const std::string dir = d.format == ModelFormat::kSavedModel ? Dirname(d.path) : d.path;
      std::vector<std::string> tags = request.tags;
      if (tags.empty()) {
        TFM_ASSIGN_OR_RETURN(tags, DefaultTagSet(dir, &m.note));
      }
      TFM_ASSIGN_OR_RETURN(m.model, runtime::Model::LoadSavedModel(dir, tags, request.options));
      return m;
    }
    case ModelFormat::kTfLite: {
      TFM_ASSIGN_OR_RETURN(auto file, TfLiteFile::Read(d.path));
      TFM_ASSIGN_OR_RETURN(auto lite, tflite::TfLiteModel::Load(std::move(file), request.options));
      m.tflite = lite.get();
      m.model = std::move(lite);
      return m;
    }
    case ModelFormat::kMetaGraphDef: {
      TFM_ASSIGN_OR_RETURN(auto mg, ReadMetaGraphDef(d.path));
      std::string prefix;
      if (!request.checkpoint.empty()) {
        TFM_ASSIGN_OR_RETURN(prefix, ResolveCheckpointPrefix(request.checkpoint));
      }
      TFM_ASSIGN_OR_RETURN(m.model,
                           runtime::Model::LoadMetaGraph(std::move(mg), prefix, request.options));
      return m;
    }
    case ModelFormat::kGraphDef: {
      TFM_ASSIGN_OR_RETURN(auto g, ReadGraphDef(d.path));
      TFM_ASSIGN_OR_RETURN(m.model, runtime::Model::LoadGraph(std::move(g), request.options));
      return m;
    }
    default:
      break;
  }
  return absl::InvalidArgumentError(
      d.format == ModelFormat::kUnknown
          ? absl::StrCat("'", path, "' is not a model tfmodel can run: ", d.reason)
          : absl::StrCat("'", path, "' is a ", ModelFormatName(d.format),
                         ", not a model tfmodel can run (", d.reason, ")"));
}

}  // namespace tfmodel::serving
