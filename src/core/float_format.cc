#include "core/float_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tfmodel {
namespace {

// printf's "%.6g" of v, then the ".0" for integral text, from v's shortest round-trip
// digits. When those are at most 6 digits, "%.6g" prints exactly them: a 6-digit decimal
// nearer to v would be a shorter-or-equal round-trip candidate, and the shortest one is
// already within half an ulp, far inside the 6-digit grid spacing. Returns 0 when the
// shortest form needs more than 6 digits ("%.6g" would not read back), and for subnormal
// values, whose ulp is too coarse for that argument.
template <typename T>
size_t FormatG6(T v, char* buf) {
  if (std::fpclassify(v) == FP_SUBNORMAL) return 0;
  char sci[40];
  const auto r = std::to_chars(sci, sci + sizeof(sci), v, std::chars_format::scientific);
  // sci is "[-]d[.ddd]e(+|-)XX".
  const char* p = sci;
  const bool negative = (*p == '-');
  if (negative) ++p;
  char digits[24];
  int k = 0;
  for (; p < r.ptr && *p != 'e'; ++p) {
    if (*p != '.') digits[k++] = *p;
  }
  if (k > 6) return 0;
  int exp = 0;
  std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), r.ptr, exp);
  char* o = buf;
  if (negative) *o++ = '-';
  if (exp < -4 || exp >= 6) {
    *o++ = digits[0];
    if (k > 1) {
      *o++ = '.';
      for (int i = 1; i < k; ++i) *o++ = digits[i];
    }
    *o++ = 'e';
    *o++ = exp < 0 ? '-' : '+';
    const int a = exp < 0 ? -exp : exp;
    if (a < 10) *o++ = '0';
    o = std::to_chars(o, o + 8, a).ptr;
    return static_cast<size_t>(o - buf);
  }
  if (exp >= 0) {
    for (int i = 0; i <= exp; ++i) *o++ = i < k ? digits[i] : '0';
    if (k > exp + 1) {
      *o++ = '.';
      for (int i = exp + 1; i < k; ++i) *o++ = digits[i];
    } else {
      *o++ = '.';
      *o++ = '0';
    }
  } else {
    *o++ = '0';
    *o++ = '.';
    for (int i = 0; i < -exp - 1; ++i) *o++ = '0';
    for (int i = 0; i < k; ++i) *o++ = digits[i];
  }
  return static_cast<size_t>(o - buf);
}

template <typename T>
size_t FormatTo(T v, int max_digits, char* buf) {
  if (std::isnan(v)) {
    std::memcpy(buf, "NaN", 3);
    return 3;
  }
  if (std::isinf(v)) {
    if (v > 0) {
      std::memcpy(buf, "Infinity", 8);
      return 8;
    }
    std::memcpy(buf, "-Infinity", 9);
    return 9;
  }
  if (size_t n = FormatG6(v, buf)) return n;
  // "%.6g" when it reads back, else "%.{max_digits}g", of the value promoted to double.
  // For a normal value FormatG6 has already shown that no 6-digit text reads back (its
  // shortest round-trip form is longer), so only subnormals need the parse-back test;
  // skipping it for the rest makes an image-sized JSON answer ~3x cheaper to write.
  const double d = static_cast<double>(v);
  std::to_chars_result r{buf, std::errc()};
  bool six_reads_back = false;
  if (std::fpclassify(v) == FP_SUBNORMAL) {
    r = std::to_chars(buf, buf + kFormatBufferSize - 3, d, std::chars_format::general, 6);
    T back{};
    const auto parsed = std::from_chars(buf, r.ptr, back);
    six_reads_back = parsed.ec == std::errc() && back == v;
  }
  if (!six_reads_back) {
    r = std::to_chars(buf, buf + kFormatBufferSize - 3, d, std::chars_format::general, max_digits);
  }
  char* end = r.ptr;
  if (std::find_if(buf, end, [](char c) { return c == '.' || c == 'e'; }) == end) {
    *end++ = '.';
    *end++ = '0';
  }
  return static_cast<size_t>(end - buf);
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

size_t FormatFloatTo(float v, char* buf) { return FormatTo(v, 9, buf); }
size_t FormatDoubleTo(double v, char* buf) { return FormatTo(v, 17, buf); }

std::string FormatFloat(float v) {
  char buf[kFormatBufferSize];
  return std::string(buf, FormatFloatTo(v, buf));
}
std::string FormatDouble(double v) {
  char buf[kFormatBufferSize];
  return std::string(buf, FormatDoubleTo(v, buf));
}

}  // namespace tfmodel
