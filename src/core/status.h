// Error handling helpers: tfmodel returns absl::Status / absl::StatusOr everywhere.
#ifndef TFMODEL_CORE_STATUS_H_
#define TFMODEL_CORE_STATUS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#define TFM_CONCAT_INNER_(a, b) a##b
#define TFM_CONCAT_(a, b) TFM_CONCAT_INNER_(a, b)

// Returns from the current function if `expr` yields a non-OK status.
#define TFM_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::absl::Status tfm_status_ = (expr);       \
    if (!tfm_status_.ok()) return tfm_status_; \
  } while (0)

// `lhs = value of expr` or return its error status.
#define TFM_ASSIGN_OR_RETURN(lhs, expr) \
  TFM_ASSIGN_OR_RETURN_IMPL_(TFM_CONCAT_(tfm_statusor_, __LINE__), lhs, expr)
#define TFM_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()

namespace tfmodel {

// Prefixes a status message with context ("while reading X: ...") keeping its code.
inline absl::Status Annotate(const absl::Status& s, absl::string_view context) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(context, ": ", s.message()));
}

}  // namespace tfmodel

#endif  // TFMODEL_CORE_STATUS_H_
