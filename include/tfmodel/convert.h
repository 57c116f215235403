// tfmodel C++ API: Convert, what `tfmodel convert` (tflite_convert) does: a frozen GraphDef
// or a SavedModel signature -> a .tflite file. Header-only over the C API (TFM_Convert).
#ifndef TFMODEL_PUBLIC_CONVERT_H_
#define TFMODEL_PUBLIC_CONVERT_H_

#include "tfmodel/c_api.h"
#include "tfmodel/flags.h"
#include "tfmodel/status.h"

namespace tfmodel {

// E.g. Convert({{"saved_model_dir", "m/1"}, {"output_file", "m.tflite"}}).
inline Status Convert(const Flags& flags) {
  detail::FlagArrays a(flags);
  detail::CStatus st;
  TFM_Convert(a.names.data(), a.values.data(), a.count(), st.get());
  return st.ToStatus();
}

}  // namespace tfmodel

#endif  // TFMODEL_PUBLIC_CONVERT_H_
