// Input-count checks at kernel build time. The executor gives a node as many inputs as its
// NodeDef lists, which a malformed graph can get wrong; kernels registered through these
// wrappers may then index their inputs without checking the count again.
//   r.Register("MatrixSolve", WithInputs(2, MakeMatrixSolve));
//   r.Register("Print", WithInputs(1, kAnyCount, MakePrint));  // 1 or more
#ifndef TFMODEL_RUNTIME_KERNELS_ARITY_H_
#define TFMODEL_RUNTIME_KERNELS_ARITY_H_

#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/kernel.h"

namespace tfmodel::runtime {

inline constexpr int kAnyCount = std::numeric_limits<int>::max();

// A factory that fails with "expects N inputs, got M" unless min <= inputs <= max, then
// calls `factory`.
inline KernelFactory WithInputs(int min, int max, KernelFactory factory) {
  return [min, max, factory = std::move(factory)](
             const KernelInit& init) -> absl::StatusOr<std::unique_ptr<OpKernel>> {
    const int n = init.num_inputs();
    if (n < min || n > max) {
      std::string want = min == max         ? absl::StrCat(min)
                         : max == kAnyCount ? absl::StrCat("at least ", min)
                                            : absl::StrCat(min, " to ", max);
      return init.Error(absl::StrCat("expects ", want, " inputs, got ", n));
    }
    return factory(init);
  };
}

inline KernelFactory WithInputs(int n, KernelFactory factory) {
  return WithInputs(n, n, std::move(factory));
}

}  // namespace tfmodel::runtime

#endif  // TFMODEL_RUNTIME_KERNELS_ARITY_H_
