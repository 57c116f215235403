#include "cli/flags.h"

#include "absl/strings/ascii.h"

namespace tfmodel::cli {

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

}  // namespace tfmodel::cli
