#include "format/tflite.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/file_util.h"
#include "core/status.h"
#include "flatbuffers/flatbuffers.h"
#include "format/tflite_sparsity.h"

namespace tfmodel {
namespace {

constexpr int32_t kPlaceholderForGreaterOpCodes = 127;

uint32_t LoadU32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TfLiteFile>> TfLiteFile::Read(const std::string& path) {
  TFM_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  return FromBytes(std::move(bytes), path);
}

absl::StatusOr<std::unique_ptr<TfLiteFile>> TfLiteFile::FromBytes(std::string bytes,
                                                                  const std::string& name) {
  auto file = std::unique_ptr<TfLiteFile>(new TfLiteFile());
  file->name_ = name;
  file->bytes_ = std::move(bytes);
  const std::string& b = file->bytes_;
  if (b.size() < 8) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": not a TFLite model: ", b.size(), " bytes is too short"));
  }
  if (!tflite_fb::ModelBufferHasIdentifier(b.data())) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": not a TFLite model: file identifier is '",
                     absl::CHexEscape(b.substr(4, 4)), "', expected 'TFL3'"));
  }
  if (b.size() >= FLATBUFFERS_MAX_BUFFER_SIZE) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": TFLite models over 2 GB are not supported"));
  }
  flatbuffers::Verifier::Options vopts;
  vopts.max_depth = 128;
  vopts.max_tables = 10'000'000;
  flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(b.data()), b.size(), vopts);
  if (!tflite_fb::VerifyModelBuffer(verifier)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": TFLite flatbuffer failed verification (truncated or corrupt file, ",
                     b.size(), " bytes)"));
  }
  file->model_ = tflite_fb::GetModel(b.data());
  TFM_RETURN_IF_ERROR(file->Validate());
  return file;
}

absl::Status TfLiteFile::Validate() const {
  const auto& m = *model_;
  auto bad = [&](auto&&... parts) {
    return absl::InvalidArgumentError(absl::StrCat(name_, ": invalid TFLite model: ", parts...));
  };
  const size_t num_buffers = m.buffers() ? m.buffers()->size() : 0;
  const size_t num_codes = m.operator_codes() ? m.operator_codes()->size() : 0;
  const size_t num_subgraphs = m.subgraphs() ? m.subgraphs()->size() : 0;
  if (num_subgraphs == 0) return bad("no subgraphs");
  for (size_t i = 0; i < num_buffers; ++i) {
    const auto* buf = m.buffers()->Get(i);
    if (buf->offset() > 1) {
      if (buf->size() > bytes_.size() || buf->offset() > bytes_.size() - buf->size()) {
        return bad("buffer ", i, " points outside the file (offset ", buf->offset(), ", size ",
                   buf->size(), ", file size ", bytes_.size(), ")");
      }
    }
  }
  for (size_t s = 0; s < num_subgraphs; ++s) {
    const auto* sg = m.subgraphs()->Get(s);
    const size_t num_tensors = sg->tensors() ? sg->tensors()->size() : 0;
    auto check_tensor_list = [&](const flatbuffers::Vector<int32_t>* v, const std::string& what,
                                 bool allow_optional) -> absl::Status {
      if (v == nullptr) return absl::OkStatus();
      for (int32_t idx : *v) {
        if (idx == -1 && allow_optional) continue;
        if (idx < 0 || static_cast<size_t>(idx) >= num_tensors) {
          return bad("subgraph ", s, " ", what, " refers to tensor ", idx, " of ", num_tensors);
        }
      }
      return absl::OkStatus();
    };
    TFM_RETURN_IF_ERROR(check_tensor_list(sg->inputs(), "inputs", false));
    TFM_RETURN_IF_ERROR(check_tensor_list(sg->outputs(), "outputs", false));
    for (size_t t = 0; t < num_tensors; ++t) {
      const auto* tensor = sg->tensors()->Get(t);
      if (tensor->buffer() >= num_buffers && !(tensor->buffer() == 0 && num_buffers == 0)) {
        return bad("subgraph ", s, " tensor ", t, " refers to buffer ", tensor->buffer(), " of ",
                   num_buffers);
      }
      if (tensor->shape()) {
        for (int32_t d : *tensor->shape()) {
          if (d < 0 && !tensor->shape_signature()) {
            return bad("subgraph ", s, " tensor ", t, " has negative dimension ", d);
          }
        }
      }
    }
    if (sg->operators()) {
      for (size_t o = 0; o < sg->operators()->size(); ++o) {
        const auto* op = sg->operators()->Get(o);
        if (op->opcode_index() >= num_codes) {
          return bad("subgraph ", s, " operator ", o, " has opcode_index ", op->opcode_index(),
                     " of ", num_codes);
        }
        TFM_RETURN_IF_ERROR(
            check_tensor_list(op->inputs(), absl::StrCat("operator ", o, " inputs"), true));
        TFM_RETURN_IF_ERROR(
            check_tensor_list(op->outputs(), absl::StrCat("operator ", o, " outputs"), false));
      }
    }
  }
  if (m.signature_defs()) {
    for (const auto* sig : *m.signature_defs()) {
      if (sig->subgraph_index() >= num_subgraphs) {
        return bad("signature '", sig->signature_key() ? sig->signature_key()->str() : "",
                   "' refers to subgraph ", sig->subgraph_index());
      }
      const auto* sg = m.subgraphs()->Get(sig->subgraph_index());
      const size_t num_tensors = sg->tensors() ? sg->tensors()->size() : 0;
      for (const auto* list : {sig->inputs(), sig->outputs()}) {
        if (!list) continue;
        for (const auto* tm : *list) {
          if (tm->tensor_index() >= num_tensors) {
            return bad("signature '", sig->signature_key() ? sig->signature_key()->str() : "",
                       "' refers to tensor ", tm->tensor_index(), " of ", num_tensors);
          }
        }
      }
    }
  }
  if (m.metadata()) {
    for (const auto* md : *m.metadata()) {
      if (md->buffer() >= num_buffers) {
        return bad("metadata '", md->name() ? md->name()->str() : "", "' refers to buffer ",
                   md->buffer(), " of ", num_buffers);
      }
    }
  }
  return absl::OkStatus();
}

absl::string_view TfLiteFile::BufferData(uint32_t buffer_index) const {
  const auto* buffers = model_->buffers();
  if (!buffers || buffer_index >= buffers->size()) return {};
  const auto* buf = buffers->Get(buffer_index);
  if (buf->offset() > 1) {
    return absl::string_view(bytes_.data() + buf->offset(), buf->size());
  }
  if (!buf->data()) return {};
  return absl::string_view(reinterpret_cast<const char*>(buf->data()->data()), buf->data()->size());
}

tflite_fb::BuiltinOperator TfLiteFile::BuiltinCode(const tflite_fb::OperatorCode& code) {
  const int32_t deprecated = code.deprecated_builtin_code();
  const int32_t extended = static_cast<int32_t>(code.builtin_code());
  (void)kPlaceholderForGreaterOpCodes;
  return static_cast<tflite_fb::BuiltinOperator>(std::max(deprecated, extended));
}

std::string TfLiteFile::OperatorName(const tflite_fb::Operator& op) const {
  const auto* code = model_->operator_codes()->Get(op.opcode_index());
  const auto builtin = BuiltinCode(*code);
  if (builtin == tflite_fb::BuiltinOperator::CUSTOM) {
    return code->custom_code() ? code->custom_code()->str() : std::string("CUSTOM");
  }
  return BuiltinOperatorName(builtin);
}

std::string BuiltinOperatorName(tflite_fb::BuiltinOperator op) {
  const int v = static_cast<int>(op);
  if (v >= 0 && v <= static_cast<int>(tflite_fb::BuiltinOperator::MAX)) {
    const char* n = tflite_fb::EnumNameBuiltinOperator(op);
    if (n && *n) return n;
  }
  return absl::StrCat("BUILTIN_", v);
}

absl::StatusOr<DType> DTypeFromTfLite(tflite_fb::TensorType type) {
  using T = tflite_fb::TensorType;
  switch (type) {
    case T::FLOAT32:
      return DType::kFloat;
    case T::FLOAT16:
      return DType::kHalf;
    case T::INT32:
      return DType::kInt32;
    case T::UINT8:
      return DType::kUInt8;
    case T::INT64:
      return DType::kInt64;
    case T::STRING:
      return DType::kString;
    case T::BOOL:
      return DType::kBool;
    case T::INT16:
      return DType::kInt16;
    case T::COMPLEX64:
      return DType::kComplex64;
    case T::INT8:
      return DType::kInt8;
    case T::FLOAT64:
      return DType::kDouble;
    case T::COMPLEX128:
      return DType::kComplex128;
    case T::UINT64:
      return DType::kUInt64;
    case T::UINT32:
      return DType::kUInt32;
    case T::UINT16:
      return DType::kUInt16;
    case T::RESOURCE:
      return DType::kResource;
    case T::VARIANT:
      return DType::kVariant;
    default:
      break;
  }
  return absl::UnimplementedError(
      absl::StrCat("TFLite tensor type ", TfLiteTypeName(type), " has no tfmodel dtype"));
}

absl::StatusOr<tflite_fb::TensorType> TfLiteTypeFromDType(DType dtype) {
  using T = tflite_fb::TensorType;
  switch (dtype) {
    case DType::kFloat:
      return T::FLOAT32;
    case DType::kHalf:
      return T::FLOAT16;
    case DType::kInt32:
      return T::INT32;
    case DType::kUInt8:
      return T::UINT8;
    case DType::kInt64:
      return T::INT64;
    case DType::kString:
      return T::STRING;
    case DType::kBool:
      return T::BOOL;
    case DType::kInt16:
      return T::INT16;
    case DType::kComplex64:
      return T::COMPLEX64;
    case DType::kInt8:
      return T::INT8;
    case DType::kDouble:
      return T::FLOAT64;
    case DType::kComplex128:
      return T::COMPLEX128;
    case DType::kUInt64:
      return T::UINT64;
    case DType::kUInt32:
      return T::UINT32;
    case DType::kUInt16:
      return T::UINT16;
    default:
      break;
  }
  return absl::UnimplementedError(
      absl::StrCat("dtype ", DTypeName(dtype), " has no TFLite tensor type"));
}

std::string TfLiteTypeName(tflite_fb::TensorType type) {
  const int v = static_cast<int>(type);
  if (v >= 0 && v <= static_cast<int>(tflite_fb::TensorType::MAX)) {
    return tflite_fb::EnumNameTensorType(type);
  }
  return absl::StrCat("TYPE_", v);
}

std::vector<int64_t> TfLiteShape(const tflite_fb::Tensor& t) {
  std::vector<int64_t> dims;
  if (t.shape()) dims.assign(t.shape()->begin(), t.shape()->end());
  return dims;
}

std::vector<int64_t> TfLiteShapeSignature(const tflite_fb::Tensor& t) {
  if (t.shape_signature() && t.shape_signature()->size() > 0) {
    return std::vector<int64_t>(t.shape_signature()->begin(), t.shape_signature()->end());
  }
  return TfLiteShape(t);
}

absl::StatusOr<Tensor> TfLiteConstant(const TfLiteFile& file, const tflite_fb::Tensor& t) {
  const std::string tname = t.name() ? t.name()->str() : std::string("?");
  TFM_ASSIGN_OR_RETURN(DType dtype, DTypeFromTfLite(t.type()));
  std::vector<int64_t> dims = TfLiteShape(t);
  for (int64_t d : dims) {
    if (d < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(file.name(), ": constant tensor '", tname, "' has unknown dimensions"));
    }
  }
  TFM_RETURN_IF_ERROR(TensorShape::Validate(dims));
  TensorShape shape(dims);
  absl::string_view data = file.BufferData(t.buffer());
  if (dtype == DType::kString) {
    // int32 count, int32 offsets[count + 1] (from the buffer start), then the bytes.
    const int64_t n = shape.NumElements();
    auto bad = [&](const std::string& why) {
      return absl::InvalidArgumentError(
          absl::StrCat(file.name(), ": string tensor '", tname, "' has a malformed buffer: ", why));
    };
    if (data.size() < 4) return bad("shorter than its header");
    const uint32_t count = LoadU32(data.data());
    if (static_cast<int64_t>(count) != n) {
      return bad(absl::StrCat(count, " strings for ", n, " elements"));
    }
    if ((static_cast<uint64_t>(count) + 2) * 4 > data.size()) return bad("offsets truncated");
    Tensor out(DType::kString, shape);
    auto* s = out.data<std::string>();
    for (uint32_t i = 0; i < count; ++i) {
      const uint32_t a = LoadU32(data.data() + 4 + 4 * i);
      const uint32_t b = LoadU32(data.data() + 8 + 4 * i);
      if (a > b || b > data.size()) return bad(absl::StrCat("bad offsets for string ", i));
      s[i] = std::string(data.substr(a, b - a));
    }
    return out;
  }
  if (DTypeSize(dtype) == 0) {
    return absl::UnimplementedError(absl::StrCat(file.name(), ": constant tensor '", tname,
                                                 "' of type ", TfLiteTypeName(t.type())));
  }
  if (t.sparsity()) {
    auto dense = DensifyTfLiteSparse(*t.sparsity(), dtype, shape, data);
    if (!dense.ok()) {
      return absl::Status(
          dense.status().code(),
          absl::StrCat(file.name(), ": sparse constant tensor '", tname, "' ", shape.ToString(),
                       " ", TfLiteTypeName(t.type()), ": ", dense.status().message()));
    }
    return dense;
  }
  const size_t want = static_cast<size_t>(shape.NumElements()) * DTypeSize(dtype);
  if (data.size() != want) {
    return absl::InvalidArgumentError(absl::StrCat(
        file.name(), ": constant tensor '", tname, "' ", shape.ToString(), " ",
        TfLiteTypeName(t.type()), " needs ", want, " bytes, its buffer has ", data.size()));
  }
  Tensor out = Tensor::Empty(dtype, shape);
  if (want > 0) std::memcpy(out.raw_data(), data.data(), want);
  return out;
}

}  // namespace tfmodel
