// tfmodel C++ API: reading and writing TensorFlow checkpoints (tensor bundles). Header-only
// over the C API (TFM_OpenCheckpoint, TFM_CheckpointRead, TFM_WriteCheckpoint).
//
//   tfmodel::Checkpoint ckpt;
//   tfmodel::Status s = tfmodel::Checkpoint::Open("train/model.ckpt-1000", &ckpt);
//   for (const auto& e : ckpt.entries()) std::cout << e.name << "\n";
//   tfmodel::Tensor w;
//   s = ckpt.Read("dense/kernel", &w);
//   s = tfmodel::WriteCheckpoint("out/model", {{"dense/kernel", &w}});
#ifndef TFMODEL_PUBLIC_CHECKPOINT_H_
#define TFMODEL_PUBLIC_CHECKPOINT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tfmodel/c_api.h"
#include "tfmodel/status.h"
#include "tfmodel/tensor.h"

namespace tfmodel {

class Checkpoint {
 public:
  // One stored tensor: its name, dtype and shape.
  struct Entry {
    std::string name;
    TFM_DataType dtype = TFM_INVALID_DTYPE;
    std::vector<int64_t> dims;
  };

  Checkpoint() = default;
  ~Checkpoint() { TFM_DeleteCheckpoint(c_); }
  Checkpoint(Checkpoint&& o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
  Checkpoint& operator=(Checkpoint&& o) noexcept {
    if (this != &o) {
      TFM_DeleteCheckpoint(c_);
      c_ = std::exchange(o.c_, nullptr);
    }
    return *this;
  }
  Checkpoint(const Checkpoint&) = delete;
  Checkpoint& operator=(const Checkpoint&) = delete;

  // A V2 prefix, a .index file, a V1 file or pattern, or a folder with a `checkpoint` file.
  static Status Open(const std::string& path, Checkpoint* out) {
    detail::CStatus st;
    TFM_Checkpoint* c = TFM_OpenCheckpoint(path.c_str(), st.get());
    Status s = st.ToStatus();
    if (s.ok()) *out = Checkpoint(c);
    return s;
  }

  bool valid() const { return c_ != nullptr; }
  std::string prefix() const {
    const char* p = TFM_CheckpointPrefix(c_);
    return p == nullptr ? std::string() : std::string(p);
  }
  // Sorted by name.
  std::vector<Entry> entries() const {
    std::vector<Entry> out(static_cast<size_t>(TFM_CheckpointTensorCount(c_)));
    for (size_t i = 0; i < out.size(); ++i) {
      const int k = static_cast<int>(i);
      out[i].name = TFM_CheckpointTensorName(c_, k);
      out[i].dtype = TFM_CheckpointTensorType(c_, k);
      const int rank = TFM_CheckpointTensorRank(c_, k);
      for (int d = 0; d < rank; ++d) out[i].dims.push_back(TFM_CheckpointTensorDim(c_, k, d));
    }
    return out;
  }
  // The whole tensor `name` (partitioned variables assembled), checksum verified.
  Status Read(const std::string& name, Tensor* out) const {
    detail::CStatus st;
    TFM_Tensor* t = TFM_CheckpointRead(c_, name.c_str(), st.get());
    Status s = st.ToStatus();
    if (s.ok()) *out = Tensor(t);
    return s;
  }

 private:
  explicit Checkpoint(TFM_Checkpoint* c) : c_(c) {}
  TFM_Checkpoint* c_ = nullptr;
};

// Writes the tensors as a V2 bundle at `prefix` (prefix.index, prefix.data-00000-of-00001),
// readable by TensorFlow's tf.train.Checkpoint / Saver restore.
inline Status WriteCheckpoint(const std::string& prefix,
                              const std::vector<std::pair<std::string, const Tensor*>>& tensors) {
  std::vector<const char*> names;
  std::vector<const TFM_Tensor*> handles;
  for (const auto& [name, t] : tensors) {
    names.push_back(name.c_str());
    handles.push_back(t == nullptr ? nullptr : t->handle());
  }
  detail::CStatus st;
  TFM_WriteCheckpoint(prefix.c_str(), names.data(), handles.data(), static_cast<int>(names.size()),
                      st.get());
  return st.ToStatus();
}

}  // namespace tfmodel

#endif  // TFMODEL_PUBLIC_CHECKPOINT_H_
