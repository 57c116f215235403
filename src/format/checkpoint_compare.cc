#include "format/checkpoint_compare.h"

#include <cstring>

#include "core/status.h"

namespace tfmodel {
namespace {

bool SameValues(const Tensor& x, const Tensor& y) {
  if (x.dtype() != y.dtype() || x.shape() != y.shape()) return false;
  if (x.dtype() == DType::kString) {
    auto xs = x.flat<std::string>();
    auto ys = y.flat<std::string>();
    return std::equal(xs.begin(), xs.end(), ys.begin(), ys.end());
  }
  if (x.dtype() == DType::kVariant || x.dtype() == DType::kResource) return false;
  return x.TotalBytes() == y.TotalBytes() &&
         (x.TotalBytes() == 0 || std::memcmp(x.raw_data(), y.raw_data(), x.TotalBytes()) == 0);
}

}  // namespace

absl::StatusOr<CheckpointComparison> CompareCheckpoints(const CheckpointReader& a,
                                                        const CheckpointReader& b) {
  CheckpointComparison c;
  for (const auto& e : a.entries()) {
    const CheckpointEntry* other = b.Find(e.name);
    if (other == nullptr) {
      c.only_in_a.push_back(e.name);
      continue;
    }
    if (other->dtype != e.dtype || other->shape != e.shape) {
      c.different.push_back(e.name);
      continue;
    }
    TFM_ASSIGN_OR_RETURN(Tensor x, a.Read(e.name));
    TFM_ASSIGN_OR_RETURN(Tensor y, b.Read(e.name));
    (SameValues(x, y) ? c.equal : c.different).push_back(e.name);
  }
  for (const auto& e : b.entries()) {
    if (a.Find(e.name) == nullptr) c.only_in_b.push_back(e.name);
  }
  return c;
}

}  // namespace tfmodel
