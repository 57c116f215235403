// tfmodel's version, the one place it is written (the CLI's --version, `tfmodel serve`'s
// startup line, the v2 protocol's server metadata and the C API report it). Keep it equal
// to the VERSION in CMakeLists.txt's project() (core_test checks).
#ifndef TFMODEL_CORE_VERSION_H_
#define TFMODEL_CORE_VERSION_H_

namespace tfmodel {

inline constexpr char kVersion[] = "0.1.0";

}  // namespace tfmodel

#endif  // TFMODEL_CORE_VERSION_H_
