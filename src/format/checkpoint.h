// TensorFlow checkpoints: tensor bundles (V2: prefix.index + prefix.data-NNNNN-of-MMMMM),
// V1 SavedTensorSlices files, and the `checkpoint` state file.
#ifndef TFMODEL_FORMAT_CHECKPOINT_H_
#define TFMODEL_FORMAT_CHECKPOINT_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "tensorflow/python/training/checkpoint_state.pb.h"

namespace tfmodel {

struct CheckpointEntry {
  std::string name;
  DType dtype = DType::kInvalid;
  TensorShape shape;
  int64_t bytes = 0;    // stored size (V2 data bytes; V1 best effort)
  bool sliced = false;  // stored as partitions (slices)
};

// Reads a checkpoint. Thread-safe after Open. Every tensor read is checksum-verified
// (masked crc32c for V2), and every error names the file and tensor.
class CheckpointReader {
 public:
  virtual ~CheckpointReader() = default;
  // `path` may be a V2 prefix ("dir/model" with dir/model.index), a ".index" file, a V1
  // checkpoint file or sharded pattern ("dir/export-?????-of-00001"), or a folder that holds
  // a `checkpoint` state file (then its latest checkpoint is opened).
  static absl::StatusOr<std::unique_ptr<CheckpointReader>> Open(const std::string& path);

  virtual int format_version() const = 0;  // 1 or 2
  virtual const std::string& prefix() const = 0;
  // Sorted by name. Excludes the V2 header entry.
  virtual const std::vector<CheckpointEntry>& entries() const = 0;
  virtual const CheckpointEntry* Find(const std::string& name) const = 0;
  // The whole tensor (sliced entries are assembled). Numeric V2 tensors whose offset in the
  // data shard is aligned for their element type are views of the memory-mapped shard (no
  // copy; the private mapping keeps writes out of the file); others are copied. DT_VARIANT
  // elements come back with type_name set and value pointing to the still-encoded
  // tensorflow::VariantTensorDataProto.
  virtual absl::StatusOr<Tensor> Read(const std::string& name) const = 0;
  // A slice as RestoreV2 names it in shape_and_slices: "" for the whole tensor, or
  // "dim0 dim1 ... start,len:start,len:-" (TF's TensorSlice text, "-" = full extent).
  virtual absl::StatusOr<Tensor> ReadSlice(const std::string& name,
                                           const std::string& shape_and_slice) const = 0;
};

struct CheckpointWriterOptions {
  int num_shards = 1;  // tensors are spread over shards round-robin by size
};

// Writes a V2 tensor bundle that TensorFlow's BundleReader reads: sorted keys, header
// entry, one BundleEntryProto per tensor with masked crc32c.
class CheckpointWriter {
 public:
  explicit CheckpointWriter(std::string prefix, CheckpointWriterOptions options = {});
  ~CheckpointWriter();
  // Any dtype tensor_bundle supports (numeric, bool, string).
  absl::Status Add(const std::string& name, const Tensor& tensor);
  // One partition of a sliced variable, as SaveV2 with shape_and_slices writes it (TF's
  // BundleWriter::AddSlice): `shape_and_slice` is "dim0 dim1 ... <slice>" and `slice_value`
  // has the slice's shape. A full slice is the same as Add.
  absl::Status AddSlice(const std::string& name, const std::string& shape_and_slice,
                        const Tensor& slice_value);
  // Writes everything; nothing is visible at `prefix` until this succeeds.
  absl::Status Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// `dir/checkpoint` (text CheckpointState).
absl::StatusOr<tensorflow::CheckpointState> ReadCheckpointState(const std::string& dir);
absl::Status WriteCheckpointState(const std::string& dir, const tensorflow::CheckpointState& state);
// Resolves a folder (via its state file: relative paths are relative to the folder), a
// ".index" file or a prefix to the checkpoint prefix to open.
absl::StatusOr<std::string> ResolveCheckpointPrefix(const std::string& path);
// A reader with no entries (prefix "(none)"), for graphs and SavedModels without variables.
std::unique_ptr<CheckpointReader> NewEmptyCheckpointReader();

}  // namespace tfmodel

#endif  // TFMODEL_FORMAT_CHECKPOINT_H_
