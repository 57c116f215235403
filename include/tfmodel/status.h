// tfmodel C++ API: Status, the result of every call that can fail. Header-only over the C
// API (c_api.h): the C++ classes are inline wrappers, so libtfmodel.so's ABI stays the C one.
#ifndef TFMODEL_PUBLIC_STATUS_H_
#define TFMODEL_PUBLIC_STATUS_H_

#include <string>
#include <utility>

#include "tfmodel/c_api.h"

namespace tfmodel {

// OK, or an error code (TensorFlow's codes, TFM_Code) with a message naming the file,
// signature, tensor, dtype or node involved.
class Status {
 public:
  Status() = default;
  Status(TFM_Code code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == TFM_OK; }
  TFM_Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "OK" or "<code number>: <message>".
  std::string ToString() const {
    return ok() ? "OK" : std::to_string(static_cast<int>(code_)) + ": " + message_;
  }

 private:
  TFM_Code code_ = TFM_OK;
  std::string message_;
};

namespace detail {

// A TFM_Status owned for the length of one call.
class CStatus {
 public:
  CStatus() : s_(TFM_NewStatus()) {}
  ~CStatus() { TFM_DeleteStatus(s_); }
  CStatus(const CStatus&) = delete;
  CStatus& operator=(const CStatus&) = delete;
  TFM_Status* get() { return s_; }
  Status ToStatus() const {
    if (s_ == nullptr) return Status(TFM_RESOURCE_EXHAUSTED, "out of memory");
    return Status(TFM_GetCode(s_), TFM_Message(s_));
  }

 private:
  TFM_Status* s_;
};

}  // namespace detail
}  // namespace tfmodel

#endif  // TFMODEL_PUBLIC_STATUS_H_
