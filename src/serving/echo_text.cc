#include "serving/echo_text.h"

#include "absl/strings/str_cat.h"

namespace tfmodel::serving {
namespace {

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Where the longest suffix of `s` of at most `max_bytes` that starts on a character begins.
size_t Utf8SuffixStart(absl::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return 0;
  size_t start = s.size() - max_bytes;
  while (start < s.size() && IsContinuationByte(s[start])) ++start;
  return start;
}

}  // namespace

size_t Utf8PrefixLength(absl::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s.size();
  size_t n = max_bytes;
  // s[n] is the first byte left out: back off while it continues a character.
  while (n > 0 && IsContinuationByte(s[n])) --n;
  return n;
}

std::string EchoText(absl::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  return absl::StrCat(s.substr(0, Utf8PrefixLength(s, max_bytes)), kEchoCut);
}

std::string BoundErrorMessage(absl::string_view message) {
  if (message.size() <= kMaxErrorMessageBytes) return std::string(message);
  constexpr absl::string_view kGap = " ... ";
  const size_t tail_budget = kMaxErrorMessageBytes / 4;
  const size_t head_budget = kMaxErrorMessageBytes - tail_budget - kGap.size();
  return absl::StrCat(message.substr(0, Utf8PrefixLength(message, head_budget)), kGap,
                      message.substr(Utf8SuffixStart(message, tail_budget)));
}

absl::Status BoundErrorMessage(const absl::Status& status) {
  if (status.message().size() <= kMaxErrorMessageBytes) return status;
  return absl::Status(status.code(), BoundErrorMessage(status.message()));
}

}  // namespace tfmodel::serving
