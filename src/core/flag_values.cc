#include "core/flag_values.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tfmodel {

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  for (absl::string_view p : absl::StrSplit(s, ',', absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(p));
  }
  return out;
}

bool ParseBool(const std::string& s, bool* out) {
  std::string l = absl::AsciiStrToLower(s);
  if (l == "true" || l == "1" || l == "yes") {
    *out = true;
    return true;
  }
  if (l == "false" || l == "0" || l == "no") {
    *out = false;
    return true;
  }
  return false;
}

}  // namespace tfmodel
