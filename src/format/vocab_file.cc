#include "format/vocab_file.h"

#include <algorithm>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/status.h"

namespace tfmodel {
namespace {

// Parses one field of a vocabulary line into element `i` of `out`.
absl::Status SetField(const std::string& line, const std::vector<absl::string_view>& tokens,
                      int64_t index, int64_t line_no, const TextFileSpec& spec, Tensor* out,
                      int64_t i) {
  if (index == kTextFileLineNumber) {
    out->data<int64_t>()[i] = line_no + spec.offset;
    return absl::OkStatus();
  }
  const std::string token =
      index == kTextFileWholeLine ? line : std::string(tokens[static_cast<size_t>(index)]);
  auto bad = [&](const char* type) {
    return absl::InvalidArgumentError(
        absl::StrCat("Field ", token, " in line ", line_no, " is not a valid ", type, "."));
  };
  switch (out->dtype()) {
    case DType::kInt32: {
      int32_t v = 0;
      if (!absl::SimpleAtoi(token, &v)) return bad("int32");
      // TF adds the offset to int32 fields too (not to int64 ones).
      out->data<int32_t>()[i] =
          static_cast<int32_t>(static_cast<uint32_t>(v) + static_cast<uint32_t>(spec.offset));
      return absl::OkStatus();
    }
    case DType::kInt64: {
      int64_t v = 0;
      if (!absl::SimpleAtoi(token, &v)) return bad("int64");
      out->data<int64_t>()[i] = v;
      return absl::OkStatus();
    }
    case DType::kFloat: {
      float v = 0;
      if (!absl::SimpleAtof(token, &v)) return bad("float");
      out->data<float>()[i] = v;
      return absl::OkStatus();
    }
    case DType::kDouble: {
      double v = 0;
      if (!absl::SimpleAtod(token, &v)) return bad("double");
      out->data<double>()[i] = v;
      return absl::OkStatus();
    }
    case DType::kString:
      out->data<std::string>()[i] = token;
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("Data type ", DTypeName(out->dtype()), " not supported."));
  }
}

bool IsIntegerDType(DType d) {
  return d == DType::kInt8 || d == DType::kInt16 || d == DType::kInt32 || d == DType::kInt64 ||
         d == DType::kUInt8 || d == DType::kUInt16 || d == DType::kUInt32 || d == DType::kUInt64;
}

}  // namespace

absl::Status CheckTextFileSpec(const TextFileSpec& spec, DType kd, DType vd) {
  if (spec.key_index == kTextFileLineNumber && kd != DType::kInt64) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Key index for line number requires table key dtype of int64, got ", DTypeName(kd)));
  }
  if (spec.key_index == kTextFileWholeLine && !IsIntegerDType(kd) && kd != DType::kString) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Key index for whole line requires string or integer table key, got ", DTypeName(kd)));
  }
  if (spec.value_index == kTextFileLineNumber && vd != DType::kInt64) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Value index for line number requires table value dtype of int64, got ", DTypeName(vd)));
  }
  if (spec.value_index == kTextFileWholeLine && !IsIntegerDType(vd) && vd != DType::kString) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Value index for whole line requires table value dtype of integer or string, got ",
        DTypeName(vd)));
  }
  return absl::OkStatus();
}

// Parses a vocabulary file's contents into key and value vectors (TextFileLineIterator in
// TF): one entry per line, '\n' separated with a trailing '\r' dropped; at most vocab_size
// lines (when given, the file must have at least that many).
absl::Status ParseTextFileTable(const std::string& filename, const std::string& data,
                                const TextFileSpec& spec, DType key_dtype, DType value_dtype,
                                Tensor* keys, Tensor* values) {
  struct Line {
    std::string text;
    size_t end;  // byte offset after the line (TF's InputBuffer::Tell())
  };
  std::vector<Line> lines;
  size_t pos = 0;
  while (pos < data.size()) {
    if (spec.vocab_size != -1 && static_cast<int64_t>(lines.size()) >= spec.vocab_size) break;
    size_t nl = data.find('\n', pos);
    size_t end = nl == std::string::npos ? data.size() : nl + 1;
    std::string text = data.substr(pos, (nl == std::string::npos ? data.size() : nl) - pos);
    if (!text.empty() && text.back() == '\r') text.pop_back();
    pos = end;
    if (nl == std::string::npos && text.empty()) break;  // a final lone "\r"
    lines.push_back({std::move(text), end});
  }
  const int64_t n = static_cast<int64_t>(lines.size());
  if (n == 0 && spec.vocab_size <= 0) {
    return absl::OutOfRangeError(
        absl::StrCat("Invalid content in ", filename, ": no lines read (end of file reached)"));
  }
  *keys = Tensor(key_dtype, TensorShape{n});
  *values = Tensor(value_dtype, TensorShape{n});
  const bool split = std::max(spec.key_index, spec.value_index) >= 0;
  const size_t need = static_cast<size_t>(std::max(spec.key_index, spec.value_index) + 1);
  for (int64_t i = 0; i < n; ++i) {
    const std::string& line = lines[i].text;
    if (line.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Invalid content in ", filename, ": empty line found at position ", lines[i].end, "."));
    }
    std::vector<absl::string_view> tokens;
    if (split) {
      tokens = absl::StrSplit(line, spec.delimiter);
      if (tokens.size() < need) {
        return absl::InvalidArgumentError(
            absl::StrCat("Invalid number of columns in ", filename, " line ", i, " (", line,
                         ") : expected at least ", need, " got ", tokens.size()));
      }
    }
    TFM_RETURN_IF_ERROR(SetField(line, tokens, spec.key_index, i, spec, keys, i));
    TFM_RETURN_IF_ERROR(SetField(line, tokens, spec.value_index, i, spec, values, i));
  }
  if (spec.vocab_size != -1 && n < spec.vocab_size) {
    return absl::InvalidArgumentError(absl::StrCat("Invalid vocab_size in ", filename,
                                                   ": expected ", spec.vocab_size, " but got ", n));
  }
  return absl::OkStatus();
}

}  // namespace tfmodel
