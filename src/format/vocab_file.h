// The contents of a text-file lookup table initializer (InitializeTableFromTextFile[V2]),
// parsed as TensorFlow's TextFileLineIterator does (lookup_util.cc): one entry per line,
// key and value each the whole line (index -2), the line number (-1, plus `offset`) or a
// `delimiter`-separated column (>= 0), at most `vocab_size` lines. Shared by the runtime's
// initializer kernel and by freezing, which turns such tables into constant ones.
#ifndef TFMODEL_FORMAT_VOCAB_FILE_H_
#define TFMODEL_FORMAT_VOCAB_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "core/tensor.h"

namespace tfmodel {

inline constexpr int64_t kTextFileLineNumber = -1;  // key_index / value_index
inline constexpr int64_t kTextFileWholeLine = -2;

struct TextFileSpec {
  int64_t vocab_size = -1;
  int64_t key_index = 0;
  int64_t value_index = 0;
  char delimiter = '\t';
  int64_t offset = 0;
};

// The dtype rules of the op's attrs: line numbers need int64, whole lines string or an
// integer type.
absl::Status CheckTextFileSpec(const TextFileSpec& spec, DType key_dtype, DType value_dtype);

// Parses a vocabulary file's contents (`filename` names it in errors) into 1-D key and
// value tensors of the table's dtypes.
absl::Status ParseTextFileTable(const std::string& filename, const std::string& data,
                                const TextFileSpec& spec, DType key_dtype, DType value_dtype,
                                Tensor* keys, Tensor* values);

}  // namespace tfmodel

#endif  // TFMODEL_FORMAT_VOCAB_FILE_H_
