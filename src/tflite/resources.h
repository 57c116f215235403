// The resources a TFLite model's subgraphs share: hash tables (HASHTABLE and friends),
// resource variables (VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE) and which CALL_ONCE
// initializer subgraphs have run. One store per loaded model, shared by every subgraph's
// plan, so a table filled by an initializer subgraph is the one the main subgraph reads.
//
// As in TFLite, resources outlive a run: a CALL_ONCE initializer runs on the first run that
// reaches it, and variables keep the last value assigned. Every method is thread-safe
// (concurrent runs of one model see one set of resources).
#ifndef TFMODEL_TFLITE_RESOURCES_H_
#define TFMODEL_TFLITE_RESOURCES_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/tensor.h"

namespace tfmodel::tflite {

// A static hash table (TFLite's StaticHashtable): filled once by its first import, later
// imports are ignored (the converter may leave the import in the main subgraph too); a
// key imported twice keeps its first value. Keys are int32, int64 or string; values int32,
// int64, float32 or string.
class LookupTable {
 public:
  LookupTable(DType key_dtype, DType value_dtype)
      : key_dtype_(key_dtype), value_dtype_(value_dtype) {}
  DType key_dtype() const { return key_dtype_; }
  DType value_dtype() const { return value_dtype_; }

  absl::Status Import(const Tensor& keys, const Tensor& values);
  // Each key's value, or the first element of `default_value` for keys not in the table;
  // the result has the shape of `keys`. An error before the table was imported.
  absl::StatusOr<Tensor> Find(const Tensor& keys, const Tensor& default_value) const;
  int64_t size() const;

 private:
  // Keys as int64 or as string (int32 keys widened).
  using IntIndex = std::unordered_map<int64_t, int64_t>;
  using StringIndex = std::unordered_map<std::string, int64_t>;

  DType key_dtype_;
  DType value_dtype_;
  mutable absl::Mutex mu_;
  bool initialized_ ABSL_GUARDED_BY(mu_) = false;
  IntIndex int_index_ ABSL_GUARDED_BY(mu_);        // key -> element of values_
  StringIndex string_index_ ABSL_GUARDED_BY(mu_);  // key -> element of values_
  Tensor values_ ABSL_GUARDED_BY(mu_);             // flat copy of the imported values
};

// Whether TFLite's hash tables take this key / value type.
bool IsLookupKeyType(DType t);
bool IsLookupValueType(DType t);

class ResourceStore {
 public:
  // The table with TFLite resource id `id`, created on first use. An error when the id
  // already names a table of other key or value types.
  absl::StatusOr<std::shared_ptr<LookupTable>> Table(int32_t id, DType key_dtype,
                                                     DType value_dtype);
  // The table with resource id `id`, or NotFound.
  absl::StatusOr<std::shared_ptr<LookupTable>> FindTable(int32_t id) const;

  // The resource id of the variable (container, shared_name): the same for every
  // VAR_HANDLE naming it, in any subgraph (ids count from 0 in order of first use).
  int32_t VariableId(const std::string& container, const std::string& shared_name);
  // The variable's value; FailedPrecondition when nothing was assigned yet.
  absl::StatusOr<Tensor> ReadVariable(int32_t id) const;
  // Stores a copy of `value`. Once assigned, a variable keeps its dtype (as in TF's
  // AssignVariableOp); its shape may change.
  absl::Status AssignVariable(int32_t id, const Tensor& value);

  // Runs `init` unless an earlier call for `subgraph` succeeded; calls for one subgraph are
  // serialized, so concurrent first runs wait for one initialization (an initializer may
  // itself call another subgraph once). A failed initialization is retried by the next call.
  absl::Status CallOnce(int subgraph, const std::function<absl::Status()>& init);

 private:
  mutable absl::Mutex mu_;
  std::map<int32_t, std::shared_ptr<LookupTable>> tables_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>, int32_t> variable_ids_ ABSL_GUARDED_BY(mu_);
  std::map<int32_t, Tensor> variables_ ABSL_GUARDED_BY(mu_);
  struct Once {
    absl::Mutex mu;
    bool done ABSL_GUARDED_BY(mu) = false;
  };
  std::map<int, std::unique_ptr<Once>> once_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tfmodel::tflite

#endif  // TFMODEL_TFLITE_RESOURCES_H_
