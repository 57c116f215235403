// Bounds on request text echoed back in error answers. An error names what was wrong
// (a JSON value, a key, a model name, a path), but a client's 400 KB body must not come
// back as a 1 MB error: every echo of request-supplied text is cut to kMaxEchoBytes, and
// every error message as a whole to kMaxErrorMessageBytes (keeping its head and tail).
#ifndef TFMODEL_SERVING_ECHO_TEXT_H_
#define TFMODEL_SERVING_ECHO_TEXT_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tfmodel::serving {

// Longest echo of one request-supplied text (a JSON value, a name, a path).
inline constexpr size_t kMaxEchoBytes = 256;
// Longest error message sent to a client (REST body or gRPC status).
inline constexpr size_t kMaxErrorMessageBytes = 4096;
// Appended where text was cut.
inline constexpr char kEchoCut[] = "...";

// The longest prefix of `s` that is at most `max_bytes` long and does not end inside a
// UTF-8 sequence.
size_t Utf8PrefixLength(absl::string_view s, size_t max_bytes);

// `s` itself when it fits in `max_bytes`, else its first bytes (whole UTF-8 characters)
// followed by "...".
std::string EchoText(absl::string_view s, size_t max_bytes = kMaxEchoBytes);

// A message longer than kMaxErrorMessageBytes keeps its start and its end (where the
// cause usually is) around " ... ".
std::string BoundErrorMessage(absl::string_view message);
absl::Status BoundErrorMessage(const absl::Status& status);

}  // namespace tfmodel::serving

#endif  // TFMODEL_SERVING_ECHO_TEXT_H_
