// Shortest text for floats that reads back to the same value, the way TF Serving's JSON
// writer does it: try 6 significant digits (%g), else max_digits10; add ".0" to integers.
#ifndef TFMODEL_CORE_FLOAT_FORMAT_H_
#define TFMODEL_CORE_FLOAT_FORMAT_H_

#include <cstddef>
#include <string>

namespace tfmodel {

// NaN -> "NaN", inf -> "Infinity" / "-Infinity" (TF Serving's JSON tokens).
std::string FormatFloat(float v);
std::string FormatDouble(double v);

// The same text written into `buf` (at least kFormatBufferSize bytes, not NUL-terminated);
// returns its length. No heap, no printf: for writers that format many numbers.
inline constexpr size_t kFormatBufferSize = 48;
size_t FormatFloatTo(float v, char* buf);
size_t FormatDoubleTo(double v, char* buf);
// The shortest text that reads back to the same value (like numpy's repr): for display.
std::string FormatFloatShortest(float v);
std::string FormatDoubleShortest(double v);

}  // namespace tfmodel

#endif  // TFMODEL_CORE_FLOAT_FORMAT_H_
