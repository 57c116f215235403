// Small filesystem helpers returning absl::Status with the path in every message.
#ifndef TFMODEL_CORE_FILE_UTIL_H_
#define TFMODEL_CORE_FILE_UTIL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/tensor.h"

namespace tfmodel {

absl::StatusOr<std::string> ReadFileToString(const std::string& path);
absl::Status WriteStringToFile(const std::string& path, absl::string_view data);
bool FileExists(const std::string& path);
bool IsDirectory(const std::string& path);
std::string JoinPath(absl::string_view a, absl::string_view b);
std::string Dirname(absl::string_view path);
std::string Basename(absl::string_view path);

// A private (copy-on-write) memory map of a whole file: writes never reach the file. Also a
// TensorBuffer, so tensors can view it.
class MappedFile : public TensorBuffer {
 public:
  static absl::StatusOr<std::shared_ptr<MappedFile>> Open(const std::string& path);
  ~MappedFile() override;
  void* data() override { return data_; }
  const char* bytes() const { return static_cast<const char*>(data_); }
  size_t size() const override { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  void* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

}  // namespace tfmodel

#endif  // TFMODEL_CORE_FILE_UTIL_H_
