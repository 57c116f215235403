#include "tflite/resources.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/status.h"

namespace tfmodel::tflite {
namespace {

int64_t IntKey(const Tensor& keys, int64_t i) {
  return keys.dtype() == DType::kInt32 ? keys.data<int32_t>()[i] : keys.data<int64_t>()[i];
}

// Copies element `from` of `src` to element `to` of `dst` (same dtype).
void CopyElement(const Tensor& src, int64_t from, Tensor* dst, int64_t to) {
  if (src.dtype() == DType::kString) {
    dst->data<std::string>()[to] = src.data<std::string>()[from];
    return;
  }
  const size_t n = DTypeSize(src.dtype());
  std::memcpy(static_cast<char*>(dst->raw_data()) + to * n,
              static_cast<const char*>(src.raw_data()) + from * n, n);
}

}  // namespace

bool IsLookupKeyType(DType t) {
  return t == DType::kInt32 || t == DType::kInt64 || t == DType::kString;
}

bool IsLookupValueType(DType t) {
  return t == DType::kInt32 || t == DType::kInt64 || t == DType::kFloat || t == DType::kString;
}

absl::Status LookupTable::Import(const Tensor& keys, const Tensor& values) {
  if (keys.dtype() != key_dtype_ || values.dtype() != value_dtype_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the table maps ", DTypeName(key_dtype_), " to ", DTypeName(value_dtype_), "; got keys of ",
        DTypeName(keys.dtype()), " and values of ", DTypeName(values.dtype())));
  }
  if (keys.NumElements() != values.NumElements()) {
    return absl::InvalidArgumentError(absl::StrCat("keys ", keys.shape().ToString(), " and values ",
                                                   values.shape().ToString(),
                                                   " have different sizes"));
  }
  absl::MutexLock lock(&mu_);
  if (initialized_) return absl::OkStatus();
  values_ = values.DeepCopy();
  for (int64_t i = 0; i < keys.NumElements(); ++i) {
    if (key_dtype_ == DType::kString) {
      string_index_.emplace(keys.data<std::string>()[i], i);
    } else {
      int_index_.emplace(IntKey(keys, i), i);
    }
  }
  initialized_ = true;
  return absl::OkStatus();
}

absl::StatusOr<Tensor> LookupTable::Find(const Tensor& keys, const Tensor& default_value) const {
  if (keys.dtype() != key_dtype_) {
    return absl::InvalidArgumentError(absl::StrCat("the table's keys are ", DTypeName(key_dtype_),
                                                   ", got ", DTypeName(keys.dtype())));
  }
  if (default_value.dtype() != value_dtype_ || default_value.NumElements() < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the default value must be a non-empty ", DTypeName(value_dtype_), " tensor, got ",
        DTypeName(default_value.dtype()), " ", default_value.shape().ToString()));
  }
  absl::MutexLock lock(&mu_);
  if (!initialized_) {
    return absl::FailedPreconditionError("the hash table was looked up before it was imported");
  }
  TFM_ASSIGN_OR_RETURN(Tensor out, Tensor::Create(value_dtype_, keys.shape()));
  for (int64_t i = 0; i < keys.NumElements(); ++i) {
    int64_t at = -1;
    if (key_dtype_ == DType::kString) {
      auto it = string_index_.find(keys.data<std::string>()[i]);
      if (it != string_index_.end()) at = it->second;
    } else {
      auto it = int_index_.find(IntKey(keys, i));
      if (it != int_index_.end()) at = it->second;
    }
    if (at >= 0) {
      CopyElement(values_, at, &out, i);
    } else {
      CopyElement(default_value, 0, &out, i);
    }
  }
  return out;
}

int64_t LookupTable::size() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(key_dtype_ == DType::kString ? string_index_.size()
                                                           : int_index_.size());
}

absl::StatusOr<std::shared_ptr<LookupTable>> ResourceStore::Table(int32_t id, DType key_dtype,
                                                                  DType value_dtype) {
  absl::MutexLock lock(&mu_);
  auto& t = tables_[id];
  if (!t) t = std::make_shared<LookupTable>(key_dtype, value_dtype);
  if (t->key_dtype() != key_dtype || t->value_dtype() != value_dtype) {
    return absl::InvalidArgumentError(absl::StrCat(
        "hash table ", id, " maps ", DTypeName(t->key_dtype()), " to ", DTypeName(t->value_dtype()),
        ", not ", DTypeName(key_dtype), " to ", DTypeName(value_dtype)));
  }
  return t;
}

absl::StatusOr<std::shared_ptr<LookupTable>> ResourceStore::FindTable(int32_t id) const {
  absl::MutexLock lock(&mu_);
  auto it = tables_.find(id);
  if (it == tables_.end()) return absl::NotFoundError(absl::StrCat("no hash table ", id));
  return it->second;
}

int32_t ResourceStore::VariableId(const std::string& container, const std::string& shared_name) {
  absl::MutexLock lock(&mu_);
  auto [it, added] = variable_ids_.emplace(std::make_pair(container, shared_name),
                                           static_cast<int32_t>(variable_ids_.size()));
  return it->second;
}

absl::StatusOr<Tensor> ResourceStore::ReadVariable(int32_t id) const {
  absl::MutexLock lock(&mu_);
  auto it = variables_.find(id);
  if (it == variables_.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("resource variable ", id, " was read before anything was assigned to it"));
  }
  return it->second;
}

absl::Status ResourceStore::AssignVariable(int32_t id, const Tensor& value) {
  Tensor copy = value.DeepCopy();
  absl::MutexLock lock(&mu_);
  auto it = variables_.find(id);
  if (it != variables_.end() && it->second.dtype() != value.dtype()) {
    return absl::InvalidArgumentError(absl::StrCat("resource variable ", id, " holds ",
                                                   DTypeName(it->second.dtype()),
                                                   ", cannot assign ", DTypeName(value.dtype())));
  }
  variables_[id] = std::move(copy);
  return absl::OkStatus();
}

absl::Status ResourceStore::CallOnce(int subgraph, const std::function<absl::Status()>& init) {
  Once* once;
  {
    absl::MutexLock lock(&mu_);
    auto& o = once_[subgraph];
    if (!o) o = std::make_unique<Once>();
    once = o.get();
  }
  absl::MutexLock lock(&once->mu);
  if (once->done) return absl::OkStatus();
  TFM_RETURN_IF_ERROR(init());
  once->done = true;
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite
