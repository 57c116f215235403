// Per-model store of stateful resources: variables (ref-style VariableV2 and resource
// DT_RESOURCE variables alike) and any other resource a kernel keeps across runs
// (lookup tables, ...). Keyed by (container, name). Thread-safe.
#ifndef TFMODEL_RUNTIME_RESOURCE_MGR_H_
#define TFMODEL_RUNTIME_RESOURCE_MGR_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tensor.h"

namespace tfmodel::runtime {

// A variable. `mu` guards `tensor` and `initialized`. Readers take a copy of `tensor`
// (sharing its buffer); writers never modify a buffer someone else holds (copy-on-write),
// so a reader's copy stays stable.
struct Var {
  std::mutex mu;
  Tensor tensor;
  bool initialized = false;
  DType dtype = DType::kInvalid;  // declared dtype (kInvalid = any)
  PartialShape shape;             // declared shape

  Tensor Read() {
    std::lock_guard<std::mutex> l(mu);
    return tensor;
  }
};

inline constexpr char kVarTypeName[] = "Var";
// Type name of the internal handle the executor uses for TF1 reference edges (the output
// of VariableV2, Assign, ...). Never visible to callers: fetched refs are dereferenced.
inline constexpr char kRefTypeName[] = "_Ref";

class ResourceMgr {
 public:
  // Returns the resource (container, name), creating it with `create` when absent. Fails
  // when a resource of another type already has that name.
  template <typename T, typename Create>
  absl::StatusOr<std::shared_ptr<T>> LookupOrCreate(const std::string& container,
                                                    const std::string& name,
                                                    const std::string& type_name, Create create) {
    std::lock_guard<std::mutex> l(mu_);
    auto& e = resources_[{container, name}];
    if (e.second) {
      if (e.first != type_name) return TypeMismatch(container, name, e.first, type_name);
      return std::static_pointer_cast<T>(e.second);
    }
    std::shared_ptr<T> r = create();
    e = {type_name, r};
    return r;
  }
  template <typename T>
  absl::StatusOr<std::shared_ptr<T>> Lookup(const std::string& container, const std::string& name,
                                            const std::string& type_name) const {
    std::lock_guard<std::mutex> l(mu_);
    auto it = resources_.find({container, name});
    if (it == resources_.end() || !it->second.second) {
      return absl::NotFoundError(absl::StrCat("resource ", Describe(container, name), " of type ",
                                              type_name, " does not exist"));
    }
    if (it->second.first != type_name) {
      return TypeMismatch(container, name, it->second.first, type_name);
    }
    return std::static_pointer_cast<T>(it->second.second);
  }
  // NotFound when absent.
  absl::Status Delete(const std::string& container, const std::string& name);
  // Every (container, name, type) currently held, sorted.
  std::vector<std::tuple<std::string, std::string, std::string>> List() const;
  void Clear();
  // Changes whenever a resource is removed (Delete, Clear). A kernel may keep a resource it
  // looked up for as long as the generation it saw stays current.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  // Unique per ResourceMgr object in the process (addresses may be reused, ids are not).
  uint64_t id() const { return id_; }

  static std::string Describe(const std::string& container, const std::string& name);

 private:
  static absl::Status TypeMismatch(const std::string& container, const std::string& name,
                                   const std::string& have, const std::string& want);

  mutable std::mutex mu_;
  std::atomic<uint64_t> generation_{0};
  const uint64_t id_ = NextId();
  static uint64_t NextId();
  std::map<std::pair<std::string, std::string>, std::pair<std::string, std::shared_ptr<void>>>
      resources_;
};

}  // namespace tfmodel::runtime

#endif  // TFMODEL_RUNTIME_RESOURCE_MGR_H_
