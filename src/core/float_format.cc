#include "core/float_format.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tfmodel {
namespace {

template <typename T>
std::string Format(T v, int max_digits) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.6g", static_cast<double>(v));
  bool round_trips;
  if constexpr (sizeof(T) == 4) {
    round_trips = std::strtof(buf, nullptr) == v;
  } else {
    round_trips = std::strtod(buf, nullptr) == v;
  }
  if (!round_trips) std::snprintf(buf, sizeof(buf), "%.*g", max_digits, static_cast<double>(v));
  std::string s(buf);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

template <typename T>
std::string Shortest(T v, int max_digits) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  for (int digits = 1; digits <= max_digits; ++digits) {
    std::snprintf(buf, sizeof(buf), "%.*g", digits, static_cast<double>(v));
    bool same;
    if constexpr (sizeof(T) == 4) {
      same = std::strtof(buf, nullptr) == v;
    } else {
      same = std::strtod(buf, nullptr) == v;
    }
    if (same) break;
  }
  std::string s(buf);
  if (s.find_first_of(".e") == std::string::npos) s += ".";
  return s;
}

}  // namespace

std::string FormatFloatShortest(float v) { return Shortest(v, 9); }
std::string FormatDoubleShortest(double v) { return Shortest(v, 17); }

std::string FormatFloat(float v) { return Format(v, 9); }
std::string FormatDouble(double v) { return Format(v, 17); }

}  // namespace tfmodel
