// Tensor values as TensorFlow's Tensor::SummarizeValue prints them, for the ops whose
// output or error text embeds tensor values (Assert, Print, PrintV2, StringFormat).
//
// Legacy form (print_v2 = false, used by Assert and Print): at most `max_entries` values
// in row-major order, nested dims in brackets, "..." when truncated:
//   [[1 2][3 4]] as "[1 2][3 4]" for a [2,2] tensor, "1 2 3..." for [5] with 3 entries.
// V2 form (print_v2 = true, used by StringFormat): numpy-like, the first and last
// `max_entries` items of every dimension, strings quoted: "[1 2 ... 9 10]".
// Numbers print like TF's StrCat: floats with %.6g (%.9g if that does not read back),
// doubles %.15g / %.17g, bools as 1/0; strings are C-escaped (bytes >= 0x80 kept).
#ifndef TFMODEL_RUNTIME_KERNELS_SUMMARIZE_H_
#define TFMODEL_RUNTIME_KERNELS_SUMMARIZE_H_

#include <cstdint>
#include <string>

#include "core/tensor.h"

namespace tfmodel::runtime {

// max_entries < 0 means every element.
std::string SummarizeTensor(const Tensor& t, int64_t max_entries, bool print_v2);

// One float / double as TF's StrCat formats it ("0.1", "1e+10", "nan", "-inf").
std::string TfFloatString(float v);
std::string TfDoubleString(double v);

}  // namespace tfmodel::runtime

#endif  // TFMODEL_RUNTIME_KERNELS_SUMMARIZE_H_
