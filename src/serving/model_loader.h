// Loads a runnable model from a path of any kind, recognized by content (format/detect.h):
// a SavedModel folder or saved_model.pb(txt), a TF Serving session bundle, a .tflite file
// (or a version folder holding only model.tflite), a MetaGraphDef (+ optional checkpoint)
// or a plain GraphDef such as a frozen graph. `tfmodel run` and the public API share it.
//
//   TFM_ASSIGN_OR_RETURN(LoadedModel m, LoadModelFromPath(path));
//   auto out = m.model->RunSignature("serving_default", {{"x", x}});
#ifndef TFMODEL_SERVING_MODEL_LOADER_H_
#define TFMODEL_SERVING_MODEL_LOADER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/model.h"
#include "tflite/model.h"

namespace tfmodel::serving {

struct ModelLoadRequest {
  // SavedModel tag set; empty = {serve} when present, else the only MetaGraphDef's tags.
  std::vector<std::string> tags;
  // MetaGraphDef only: checkpoint to restore variables from (prefix, .index file or
  // checkpoint folder); empty = none.
  std::string checkpoint;
  runtime::LoadOptions options;
};

struct LoadedModel {
  std::unique_ptr<runtime::Model> model;
  const tflite::TfLiteModel* tflite = nullptr;  // set (and owned by `model`) for TFLite
  // When the SavedModel tag set was chosen for the caller and is not {serve}: a line
  // saying which one. Empty otherwise.
  std::string note;
};

// Errors: NotFound naming `path` when it does not exist; InvalidArgument naming `path`
// and what it holds when it is no runnable model (a checkpoint, an .npy file, ...); the
// loaders' own errors (unknown tag set, unsupported ops, ...) otherwise.
absl::StatusOr<LoadedModel> LoadModelFromPath(const std::string& path,
                                              const ModelLoadRequest& request = {});

}  // namespace tfmodel::serving

#endif  // TFMODEL_SERVING_MODEL_LOADER_H_
