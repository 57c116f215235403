// tfmodel C++ API: the flags taken by Freeze, Export and Convert (tfmodel/freeze.h,
// tfmodel/export.h, tfmodel/convert.h): the `tfmodel` command's flag names without "--",
// in order, a name may repeat (list flags append). Header-only over the C API.
#ifndef TFMODEL_PUBLIC_FLAGS_H_
#define TFMODEL_PUBLIC_FLAGS_H_

#include <string>
#include <utility>
#include <vector>

namespace tfmodel {

using Flags = std::vector<std::pair<std::string, std::string>>;

namespace detail {

// The C arrays of `flags`, valid while `flags` lives.
struct FlagArrays {
  explicit FlagArrays(const Flags& flags) {
    for (const auto& [n, v] : flags) {
      names.push_back(n.c_str());
      values.push_back(v.c_str());
    }
  }
  int count() const { return static_cast<int>(names.size()); }
  std::vector<const char*> names, values;
};

}  // namespace detail
}  // namespace tfmodel

#endif  // TFMODEL_PUBLIC_FLAGS_H_
