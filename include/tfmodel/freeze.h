// tfmodel C++ API: Freeze, what `tfmodel freeze` (freeze_graph) does: checkpoint + graph or
// a SavedModel -> one frozen GraphDef. Header-only over the C API (TFM_Freeze).
#ifndef TFMODEL_PUBLIC_FREEZE_H_
#define TFMODEL_PUBLIC_FREEZE_H_

#include "tfmodel/c_api.h"
#include "tfmodel/flags.h"
#include "tfmodel/status.h"

namespace tfmodel {

// E.g. Freeze({{"input_saved_model_dir", "m/1"}, {"output_graph", "frozen.pb"}}).
inline Status Freeze(const Flags& flags) {
  detail::FlagArrays a(flags);
  detail::CStatus st;
  TFM_Freeze(a.names.data(), a.values.data(), a.count(), st.get());
  return st.ToStatus();
}

}  // namespace tfmodel

#endif  // TFMODEL_PUBLIC_FREEZE_H_
