#include "runtime/kernels/resize_cubic_area.h"

namespace tfmodel::runtime::resize {
namespace {

std::vector<float> MakeCubicTable(double a) {
  std::vector<float> t((kCubicTableSize + 1) * 2);
  for (int64_t i = 0; i <= kCubicTableSize; ++i) {
    // Like TF: x is a float, the polynomial is evaluated in double and stored as float.
    float x = static_cast<float>(static_cast<double>(i) / kCubicTableSize);
    t[i * 2] = static_cast<float>(((a + 2) * x - (a + 3)) * x * x + 1);
    x += 1.0f;
    t[i * 2 + 1] = static_cast<float>(((a * x - 5 * a) * x + 8 * a) * x - 4 * a);
  }
  return t;
}

}  // namespace

const std::vector<float>& CubicTable(bool keys) {
  static const std::vector<float> keys_table = MakeCubicTable(-0.5);
  static const std::vector<float> legacy_table = MakeCubicTable(-0.75);
  return keys ? keys_table : legacy_table;
}

}  // namespace tfmodel::runtime::resize
