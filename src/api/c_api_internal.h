// The structs behind the C API's opaque handles (include/tfmodel/c_api.h), and helpers the
// C API's files share. Internal: nothing outside src/api includes this.
#ifndef TFMODEL_API_C_API_INTERNAL_H_
#define TFMODEL_API_C_API_INTERNAL_H_

#include <exception>
#include <new>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/tensor.h"
#include "runtime/model.h"
#include "serving/model_loader.h"
#include "tfmodel/c_api.h"

struct TFM_Status {
  TFM_Code code = TFM_OK;
  std::string message;
};

struct TFM_Tensor {
  tfmodel::Tensor tensor;
};

struct TFM_TensorSpec {
  std::string name;  // the alias
  tfmodel::runtime::TensorSpec spec;
};

struct TFM_Signature {
  std::string key;
  std::string method_name;
  std::vector<TFM_TensorSpec> inputs;   // sorted by alias
  std::vector<TFM_TensorSpec> outputs;  // sorted by alias
};

struct TFM_LoadOptions {
  tfmodel::serving::ModelLoadRequest request;
};

struct TFM_Model {
  tfmodel::serving::LoadedModel loaded;
  std::vector<TFM_Signature> signatures;  // sorted by key
};

namespace tfmodel::api {

// Stores `s` into `out` (which may be null: then nothing is stored). Returns s.ok().
bool SetStatus(TFM_Status* out, const absl::Status& s);

// Runs `fn` (returning absl::Status) and stores its result in `status`; a C++ exception
// thrown inside becomes an error status instead of crossing the C boundary.
template <typename Fn>
bool Guarded(TFM_Status* status, Fn&& fn) {
  try {
    return SetStatus(status, fn());
  } catch (const std::bad_alloc&) {
    return SetStatus(status, absl::ResourceExhaustedError("out of memory"));
  } catch (const std::exception& e) {
    return SetStatus(status, absl::InternalError(e.what()));
  } catch (...) {
    return SetStatus(status, absl::InternalError("unknown C++ exception"));
  }
}

// A new handle for a tensor the runtime produced. The caller may write into its data, so a
// tensor whose buffer is shared (a model constant, a caller's input passed through, a view
// of a mapped file) is copied first.
TFM_Tensor* NewOwnedTensor(Tensor t);

}  // namespace tfmodel::api

#endif  // TFMODEL_API_C_API_INTERNAL_H_
