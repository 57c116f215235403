// Parsing of flag values as the CLI and the C API's name/value options take them.
#ifndef TFMODEL_CORE_FLAG_VALUES_H_
#define TFMODEL_CORE_FLAG_VALUES_H_

#include <string>
#include <vector>

namespace tfmodel {

// "a, b,,c" -> {"a", "b", "c"}: comma-separated, blanks trimmed, empty items dropped.
std::vector<std::string> SplitList(const std::string& s);

// TF-style booleans: true/false, 1/0, yes/no (case-insensitive). False for anything else
// (then *out is unchanged).
bool ParseBool(const std::string& s, bool* out);

}  // namespace tfmodel

#endif  // TFMODEL_CORE_FLAG_VALUES_H_
