// Owning pointers for the C API's handles, shared by the C API tests.
#ifndef TFMODEL_API_C_API_TEST_UTIL_H_
#define TFMODEL_API_C_API_TEST_UTIL_H_

#include <memory>

#include "tfmodel/c_api.h"

namespace tfmodel::api_test {

struct StatusDeleter {
  void operator()(TFM_Status* s) const { TFM_DeleteStatus(s); }
};
struct ModelDeleter {
  void operator()(TFM_Model* m) const { TFM_DeleteModel(m); }
};
struct TensorDeleter {
  void operator()(TFM_Tensor* t) const { TFM_DeleteTensor(t); }
};
struct CheckpointDeleter {
  void operator()(TFM_Checkpoint* c) const { TFM_DeleteCheckpoint(c); }
};
using StatusPtr = std::unique_ptr<TFM_Status, StatusDeleter>;
using ModelPtr = std::unique_ptr<TFM_Model, ModelDeleter>;
using TensorPtr = std::unique_ptr<TFM_Tensor, TensorDeleter>;
using CheckpointPtr = std::unique_ptr<TFM_Checkpoint, CheckpointDeleter>;

}  // namespace tfmodel::api_test

#endif  // TFMODEL_API_C_API_TEST_UTIL_H_
