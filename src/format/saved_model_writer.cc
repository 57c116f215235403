#include "format/saved_model_writer.h"

#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "core/status.h"
#include "format/checkpoint.h"
#include "format/proto_io.h"

namespace tfmodel {
namespace {

namespace fs = std::filesystem;

absl::Status WriteInto(const std::string& dir, const tensorflow::SavedModel& sm,
                       const std::vector<std::pair<std::string, Tensor>>& variables,
                       const std::vector<std::string>& assets,
                       const SavedModelWriteOptions& options) {
  std::error_code ec;
  fs::create_directories(JoinPath(dir, "variables"), ec);
  if (ec)
    return absl::InternalError(absl::StrCat("cannot create '", dir, "/variables': ", ec.message()));
  if (!variables.empty()) {
    CheckpointWriter writer(JoinPath(dir, "variables/variables"));
    for (const auto& [name, t] : variables) {
      TFM_RETURN_IF_ERROR(Annotate(writer.Add(name, t), absl::StrCat("variable '", name, "'")));
    }
    TFM_RETURN_IF_ERROR(writer.Finish());
  }
  if (!assets.empty()) {
    fs::create_directories(JoinPath(dir, "assets"), ec);
    if (ec)
      return absl::InternalError(absl::StrCat("cannot create '", dir, "/assets': ", ec.message()));
    for (const auto& src : assets) {
      fs::copy_file(src, JoinPath(JoinPath(dir, "assets"), Basename(src)),
                    fs::copy_options::overwrite_existing, ec);
      if (ec)
        return absl::InternalError(absl::StrCat("cannot copy asset '", src, "': ", ec.message()));
    }
  }
  if (options.as_text) {
    return WriteProtoFile(JoinPath(dir, "saved_model.pbtxt"), sm, ProtoFormat::kText);
  }
  return WriteProtoFile(JoinPath(dir, "saved_model.pb"), sm, ProtoFormat::kBinary);
}

}  // namespace

absl::Status WriteSavedModel(const std::string& export_dir, const tensorflow::SavedModel& sm,
                             const std::vector<std::pair<std::string, Tensor>>& variables,
                             const std::vector<std::string>& assets,
                             const SavedModelWriteOptions& options) {
  std::error_code ec;
  fs::path target = fs::path(export_dir);
  if (target.filename().empty()) target = target.parent_path();
  if (fs::exists(target, ec)) {
    if (!fs::is_directory(target, ec)) {
      return absl::AlreadyExistsError(
          absl::StrCat("'", target.string(), "' exists and is not a folder"));
    }
    if (!options.overwrite) {
      return absl::AlreadyExistsError(
          absl::StrCat("'", target.string(), "' already exists (pass --overwrite to replace it)"));
    }
  }
  fs::path parent = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  fs::create_directories(parent, ec);
  if (ec || !fs::is_directory(parent)) {
    return absl::InternalError(absl::StrCat("cannot create folder '", parent.string(), "'",
                                            ec ? ": " + ec.message() : ""));
  }
  fs::path tmp = parent / absl::StrCat(".", target.filename().string(), ".tmp-", ::getpid());
  fs::remove_all(tmp, ec);
  absl::Status s = WriteInto(tmp.string(), sm, variables, assets, options);
  if (!s.ok()) {
    fs::remove_all(tmp, ec);
    return Annotate(s, absl::StrCat("writing SavedModel '", target.string(), "'"));
  }
  if (fs::exists(target, ec)) {
    fs::path old = parent / absl::StrCat(".", target.filename().string(), ".old-", ::getpid());
    fs::rename(target, old, ec);
    if (ec) {
      fs::remove_all(tmp, ec);
      return absl::InternalError(absl::StrCat("cannot replace '", target.string(), "'"));
    }
    fs::rename(tmp, target, ec);
    std::error_code ignored;
    fs::remove_all(old, ignored);
  } else {
    fs::rename(tmp, target, ec);
  }
  if (ec) {
    fs::remove_all(tmp, ec);
    return absl::InternalError(
        absl::StrCat("cannot move SavedModel into '", target.string(), "': ", ec.message()));
  }
  return absl::OkStatus();
}

}  // namespace tfmodel
