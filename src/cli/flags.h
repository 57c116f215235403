// Flag helpers shared by subcommands.
#ifndef TFMODEL_CLI_FLAGS_H_
#define TFMODEL_CLI_FLAGS_H_

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tfmodel::cli {

// "a, b,,c" -> {"a","b","c"}
inline std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  for (absl::string_view p : absl::StrSplit(s, ',', absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(p));
  }
  return out;
}

// Parses TF-style booleans: true/false/1/0 (case-insensitive).
bool ParseBool(const std::string& s, bool* out);

}  // namespace tfmodel::cli

#endif  // TFMODEL_CLI_FLAGS_H_
