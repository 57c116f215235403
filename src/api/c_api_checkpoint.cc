// C API: reading and writing TensorFlow checkpoints (include/tfmodel/c_api.h).
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/c_api_internal.h"
#include "core/close_names.h"
#include "format/checkpoint.h"

struct TFM_Checkpoint {
  std::unique_ptr<tfmodel::CheckpointReader> reader;
};

namespace tfmodel::api {
namespace {

const CheckpointEntry* EntryAt(const TFM_Checkpoint* c, int index) {
  if (c == nullptr || index < 0) return nullptr;
  const auto& entries = c->reader->entries();
  return index < static_cast<int>(entries.size()) ? &entries[index] : nullptr;
}

absl::StatusOr<Tensor> ReadNamed(const TFM_Checkpoint* c, const char* name) {
  if (c == nullptr || name == nullptr) {
    return absl::InvalidArgumentError("TFM_CheckpointRead: NULL checkpoint or name");
  }
  if (c->reader->Find(name) == nullptr) {
    std::vector<std::string> names;
    for (const auto& e : c->reader->entries()) names.push_back(e.name);
    return absl::NotFoundError(absl::StrCat("checkpoint ", c->reader->prefix(), " has no tensor '",
                                            name, "'", DidYouMean(name, names)));
  }
  const DType dtype = c->reader->Find(name)->dtype;
  if (dtype == DType::kVariant || dtype == DType::kResource) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint tensor '", name, "' is a ",
                                                   DTypeName(dtype),
                                                   ", which the C API does not return"));
  }
  return c->reader->Read(name);
}

absl::Status Write(const char* prefix, const char* const* names, const TFM_Tensor* const* tensors,
                   int count) {
  if (prefix == nullptr || *prefix == '\0') {
    return absl::InvalidArgumentError("TFM_WriteCheckpoint: no prefix");
  }
  if (count < 0 || (count > 0 && (names == nullptr || tensors == nullptr))) {
    return absl::InvalidArgumentError("TFM_WriteCheckpoint: bad names / tensors arrays");
  }
  CheckpointWriter writer(prefix);
  std::set<std::string> seen;
  for (int i = 0; i < count; ++i) {
    if (names[i] == nullptr || tensors[i] == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("TFM_WriteCheckpoint: name or tensor ", i, " is NULL"));
    }
    if (!seen.insert(names[i]).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("TFM_WriteCheckpoint: tensor name '", names[i], "' is given twice"));
    }
    absl::Status s = writer.Add(names[i], tensors[i]->tensor);
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat("tensor '", names[i], "': ", s.message()));
    }
  }
  return writer.Finish();
}

}  // namespace
}  // namespace tfmodel::api

using tfmodel::api::Guarded;

extern "C" {

TFM_Checkpoint* TFM_OpenCheckpoint(const char* path, TFM_Status* status) {
  TFM_Checkpoint* out = nullptr;
  Guarded(status, [&]() -> absl::Status {
    if (path == nullptr) return absl::InvalidArgumentError("TFM_OpenCheckpoint: NULL path");
    auto reader = tfmodel::CheckpointReader::Open(path);
    if (!reader.ok()) return reader.status();
    out = new TFM_Checkpoint{*std::move(reader)};
    return absl::OkStatus();
  });
  return out;
}

void TFM_DeleteCheckpoint(TFM_Checkpoint* checkpoint) { delete checkpoint; }

const char* TFM_CheckpointPrefix(const TFM_Checkpoint* checkpoint) {
  return checkpoint == nullptr ? nullptr : checkpoint->reader->prefix().c_str();
}

int TFM_CheckpointTensorCount(const TFM_Checkpoint* checkpoint) {
  return checkpoint == nullptr ? 0 : static_cast<int>(checkpoint->reader->entries().size());
}

const char* TFM_CheckpointTensorName(const TFM_Checkpoint* checkpoint, int index) {
  const tfmodel::CheckpointEntry* e = tfmodel::api::EntryAt(checkpoint, index);
  return e == nullptr ? nullptr : e->name.c_str();
}

TFM_DataType TFM_CheckpointTensorType(const TFM_Checkpoint* checkpoint, int index) {
  const tfmodel::CheckpointEntry* e = tfmodel::api::EntryAt(checkpoint, index);
  return e == nullptr ? TFM_INVALID_DTYPE : static_cast<TFM_DataType>(e->dtype);
}

int TFM_CheckpointTensorRank(const TFM_Checkpoint* checkpoint, int index) {
  const tfmodel::CheckpointEntry* e = tfmodel::api::EntryAt(checkpoint, index);
  return e == nullptr ? -1 : e->shape.rank();
}

int64_t TFM_CheckpointTensorDim(const TFM_Checkpoint* checkpoint, int index, int dim) {
  const tfmodel::CheckpointEntry* e = tfmodel::api::EntryAt(checkpoint, index);
  if (e == nullptr || dim < 0 || dim >= e->shape.rank()) return -1;
  return e->shape.dim(dim);
}

TFM_Tensor* TFM_CheckpointRead(const TFM_Checkpoint* checkpoint, const char* name,
                               TFM_Status* status) {
  TFM_Tensor* out = nullptr;
  Guarded(status, [&]() -> absl::Status {
    absl::StatusOr<tfmodel::Tensor> t = tfmodel::api::ReadNamed(checkpoint, name);
    if (!t.ok()) return t.status();
    out = tfmodel::api::NewOwnedTensor(*std::move(t));
    return absl::OkStatus();
  });
  return out;
}

void TFM_WriteCheckpoint(const char* prefix, const char* const* names,
                         const TFM_Tensor* const* tensors, int count, TFM_Status* status) {
  Guarded(status, [&] { return tfmodel::api::Write(prefix, names, tensors, count); });
}

}  // extern "C"
