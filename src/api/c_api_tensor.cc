// C API: version, status, data types and tensors (include/tfmodel/c_api.h).
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "api/c_api_internal.h"
#include "core/dtype.h"
#include "core/status.h"
#include "core/tensor.h"
#include "core/tensor_shape.h"
#include "core/version.h"

namespace tfmodel::api {

bool SetStatus(TFM_Status* out, const absl::Status& s) {
  if (out != nullptr) {
    out->code = static_cast<TFM_Code>(s.code());
    out->message.assign(s.message().data(), s.message().size());
  }
  return s.ok();
}

TFM_Tensor* NewOwnedTensor(Tensor t) {
  if (!t.BufferIsUnique()) t = t.DeepCopy();
  return new TFM_Tensor{std::move(t)};
}

namespace {

bool ValidDType(TFM_DataType dtype) { return DTypeIsValid(static_cast<int>(dtype)); }

absl::Status CheckStringElement(const TFM_Tensor* tensor, int64_t index, const char* what) {
  if (tensor == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": the tensor is NULL"));
  }
  const Tensor& t = tensor->tensor;
  if (t.dtype() != DType::kString) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": the tensor is ", DTypeName(t.dtype()), ", not string"));
  }
  if (index < 0 || index >= t.NumElements()) {
    return absl::OutOfRangeError(absl::StrCat(what, ": index ", index,
                                              " is outside the string tensor's ", t.NumElements(),
                                              " elements (shape ", t.shape().ToString(), ")"));
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace tfmodel::api

using tfmodel::DType;
using tfmodel::Tensor;
using tfmodel::TensorShape;
using tfmodel::api::Guarded;

extern "C" {

const char* TFM_Version(void) { return tfmodel::kVersion; }

TFM_Status* TFM_NewStatus(void) { return new (std::nothrow) TFM_Status(); }

void TFM_DeleteStatus(TFM_Status* status) { delete status; }

TFM_Code TFM_GetCode(const TFM_Status* status) {
  return status == nullptr ? TFM_INVALID_ARGUMENT : status->code;
}

const char* TFM_Message(const TFM_Status* status) {
  return status == nullptr ? "status is NULL" : status->message.c_str();
}

const char* TFM_DataTypeName(TFM_DataType dtype) {
  // Static strings: DTypeName builds std::strings, which a C caller could not keep.
  static const char* const kNames[] = {
      "invalid",   "float",  "double",     "int32", "uint8",    "int16",   "int8",     "string",
      "complex64", "int64",  "bool",       "qint8", "quint8",   "qint32",  "bfloat16", "qint16",
      "quint16",   "uint16", "complex128", "half",  "resource", "variant", "uint32",   "uint64"};
  if (!tfmodel::api::ValidDType(dtype)) return "invalid";
  return kNames[static_cast<int>(dtype)];
}

size_t TFM_DataTypeSize(TFM_DataType dtype) {
  if (!tfmodel::api::ValidDType(dtype)) return 0;
  return tfmodel::DTypeSize(static_cast<DType>(dtype));
}

TFM_Tensor* TFM_NewTensor(TFM_DataType dtype, const int64_t* dims, int num_dims, const void* data,
                          size_t len, TFM_Status* status) {
  TFM_Tensor* result = nullptr;
  Guarded(status, [&]() -> absl::Status {
    if (!tfmodel::api::ValidDType(dtype) || dtype == TFM_INVALID_DTYPE || dtype == TFM_RESOURCE ||
        dtype == TFM_VARIANT) {
      return absl::InvalidArgumentError(
          absl::StrCat("TFM_NewTensor: cannot create a tensor of data type ",
                       static_cast<int>(dtype), " (", TFM_DataTypeName(dtype), ")"));
    }
    if (num_dims < 0 || (num_dims > 0 && dims == nullptr)) {
      return absl::InvalidArgumentError(absl::StrCat("TFM_NewTensor: num_dims is ", num_dims,
                                                     " and dims is ",
                                                     dims == nullptr ? "NULL" : "set"));
    }
    absl::Span<const int64_t> shape_dims(dims, static_cast<size_t>(num_dims));
    TensorShape shape(shape_dims);
    absl::Status valid = TensorShape::Validate(shape_dims);
    if (!valid.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("TFM_NewTensor: bad shape ", shape.ToString(), ": ", valid.message()));
    }
    const DType dt = static_cast<DType>(dtype);
    Tensor t(dt, shape);
    if (dt == DType::kString) {
      if (data != nullptr || len != 0) {
        return absl::InvalidArgumentError(
            "TFM_NewTensor: a string tensor takes no data (data must be NULL and len 0); set "
            "its elements with TFM_TensorSetString");
      }
    } else if (data != nullptr || len != 0) {
      if (len != t.TotalBytes()) {
        return absl::InvalidArgumentError(
            absl::StrCat("TFM_NewTensor: a ", TFM_DataTypeName(dtype), " tensor of shape ",
                         shape.ToString(), " holds ", t.TotalBytes(), " bytes, but len is ", len));
      }
      if (data == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("TFM_NewTensor: data is NULL but len is ", len));
      }
      if (len > 0) std::memcpy(t.raw_data(), data, len);
    }
    result = new TFM_Tensor{std::move(t)};
    return absl::OkStatus();
  });
  return result;
}

void TFM_DeleteTensor(TFM_Tensor* tensor) { delete tensor; }

TFM_DataType TFM_TensorType(const TFM_Tensor* tensor) {
  return tensor == nullptr ? TFM_INVALID_DTYPE : static_cast<TFM_DataType>(tensor->tensor.dtype());
}

int TFM_TensorRank(const TFM_Tensor* tensor) {
  return tensor == nullptr ? -1 : tensor->tensor.rank();
}

int64_t TFM_TensorDim(const TFM_Tensor* tensor, int index) {
  if (tensor == nullptr || index < 0 || index >= tensor->tensor.rank()) return -1;
  return tensor->tensor.dim(index);
}

int64_t TFM_TensorElementCount(const TFM_Tensor* tensor) {
  return tensor == nullptr ? 0 : tensor->tensor.NumElements();
}

size_t TFM_TensorByteSize(const TFM_Tensor* tensor) {
  if (tensor == nullptr || !tfmodel::DTypeIsPod(tensor->tensor.dtype())) return 0;
  return tensor->tensor.TotalBytes();
}

void* TFM_TensorData(TFM_Tensor* tensor) {
  if (TFM_TensorByteSize(tensor) == 0) return nullptr;
  return tensor->tensor.raw_data();
}

const char* TFM_TensorGetString(const TFM_Tensor* tensor, int64_t index, size_t* len,
                                TFM_Status* status) {
  const char* result = nullptr;
  if (len != nullptr) *len = 0;
  Guarded(status, [&]() -> absl::Status {
    TFM_RETURN_IF_ERROR(tfmodel::api::CheckStringElement(tensor, index, "TFM_TensorGetString"));
    const std::string& s = tensor->tensor.data<std::string>()[index];
    result = s.data();
    if (len != nullptr) *len = s.size();
    return absl::OkStatus();
  });
  return result;
}

void TFM_TensorSetString(TFM_Tensor* tensor, int64_t index, const char* data, size_t len,
                         TFM_Status* status) {
  Guarded(status, [&]() -> absl::Status {
    TFM_RETURN_IF_ERROR(tfmodel::api::CheckStringElement(tensor, index, "TFM_TensorSetString"));
    if (data == nullptr && len != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("TFM_TensorSetString: data is NULL but len is ", len));
    }
    std::string& s = tensor->tensor.data<std::string>()[index];
    if (len == 0) {
      s.clear();
    } else {
      s.assign(data, len);
    }
    return absl::OkStatus();
  });
}

}  // extern "C"
