// tfmodel C++ API: Export, what `tfmodel export` (SavedModelBuilder) does: a graph +
// checkpoint, a frozen graph or a SavedModel -> a versioned SavedModel folder with
// signatures. Header-only over the C API (TFM_Export).
#ifndef TFMODEL_PUBLIC_EXPORT_H_
#define TFMODEL_PUBLIC_EXPORT_H_

#include <string>

#include "tfmodel/c_api.h"
#include "tfmodel/flags.h"
#include "tfmodel/status.h"

namespace tfmodel {

// E.g. Export({{"input_graph", "frozen.pb"}, {"export_base", "models/m"},
//              {"signature", "serving_default: inputs x=x:0; outputs y=y:0"}}, &dir).
// `written_dir` (may be null) receives the folder written.
inline Status Export(const Flags& flags, std::string* written_dir = nullptr) {
  detail::FlagArrays a(flags);
  detail::CStatus st;
  std::string dir(4096, '\0');  // PATH_MAX
  const size_t n =
      TFM_Export(a.names.data(), a.values.data(), a.count(), dir.data(), dir.size(), st.get());
  Status s = st.ToStatus();
  if (!s.ok()) return s;
  if (n >= dir.size()) return Status(TFM_INTERNAL, "exported folder path longer than PATH_MAX");
  if (written_dir != nullptr) written_dir->assign(dir.data(), n);
  return s;
}

}  // namespace tfmodel

#endif  // TFMODEL_PUBLIC_EXPORT_H_
