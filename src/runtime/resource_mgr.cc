#include "runtime/resource_mgr.h"

namespace tfmodel::runtime {

uint64_t ResourceMgr::NextId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

std::string ResourceMgr::Describe(const std::string& container, const std::string& name) {
  return container.empty() ? absl::StrCat("'", name, "'")
                           : absl::StrCat("'", name, "' in container '", container, "'");
}

absl::Status ResourceMgr::TypeMismatch(const std::string& container, const std::string& name,
                                       const std::string& have, const std::string& want) {
  return absl::InvalidArgumentError(
      absl::StrCat("resource ", Describe(container, name), " is a ", have, ", not a ", want));
}

absl::Status ResourceMgr::Delete(const std::string& container, const std::string& name) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = resources_.find({container, name});
  if (it == resources_.end()) {
    return absl::NotFoundError(
        absl::StrCat("resource ", Describe(container, name), " does not exist"));
  }
  resources_.erase(it);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return absl::OkStatus();
}

std::vector<std::tuple<std::string, std::string, std::string>> ResourceMgr::List() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::tuple<std::string, std::string, std::string>> out;
  for (const auto& [k, v] : resources_) out.emplace_back(k.first, k.second, v.first);
  return out;
}

void ResourceMgr::Clear() {
  std::lock_guard<std::mutex> l(mu_);
  resources_.clear();
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

}  // namespace tfmodel::runtime
