// A read-only LevelDB table ("SSTable") reader for untrusted files: TensorFlow checkpoint
// .index files and V1 checkpoints. It verifies every block's masked crc32c, inflates
// Snappy blocks, and bounds-checks every handle and entry. (leveldb::Table trusts the block
// handles it reads and allocates whatever size they claim, so hostile files could make it
// allocate terabytes; tables are written with leveldb::TableBuilder.)
#ifndef TFMODEL_FORMAT_SSTABLE_H_
#define TFMODEL_FORMAT_SSTABLE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/file_util.h"

namespace tfmodel {

class SSTableReader {
 public:
  // Maps the file and checks its footer. Errors name the file.
  static absl::StatusOr<std::unique_ptr<SSTableReader>> Open(const std::string& path);

  const std::string& path() const { return file_->path(); }
  // Visits every entry in stored order; stops at the first error `fn` returns.
  absl::Status ForEach(
      const std::function<absl::Status(absl::string_view key, absl::string_view value)>& fn) const;
  // The value stored under `key` (keys are compared bytewise), or nullopt.
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) const;

 private:
  struct Handle {
    uint64_t offset = 0;
    uint64_t size = 0;
  };
  SSTableReader() = default;
  // The (possibly inflated) contents of a block; `storage` holds inflated bytes.
  absl::StatusOr<absl::string_view> ReadBlock(const Handle& h, std::string* storage) const;
  // Visits the entries of a block.
  absl::Status ForEachInBlock(
      absl::string_view block,
      const std::function<absl::Status(absl::string_view, absl::string_view, bool*)>& fn) const;
  absl::Status Corrupt(absl::string_view what) const;

  std::shared_ptr<MappedFile> file_;
  Handle index_;
};

}  // namespace tfmodel

#endif  // TFMODEL_FORMAT_SSTABLE_H_
