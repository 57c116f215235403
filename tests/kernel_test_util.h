// Running one kernel in isolation, for kernel unit tests.
#ifndef TFMODEL_TESTS_KERNEL_TEST_UTIL_H_
#define TFMODEL_TESTS_KERNEL_TEST_UTIL_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "graph/attr_util.h"
#include "tensorflow/core/framework/attr_value.pb.h"

namespace tfmodel::testing {

using ::tfmodel::AttrB;
using ::tfmodel::AttrF;
using ::tfmodel::AttrFList;
using ::tfmodel::AttrI;
using ::tfmodel::AttrIList;
using ::tfmodel::AttrS;
using ::tfmodel::AttrShape;
using ::tfmodel::AttrSList;
using ::tfmodel::AttrTensor;
using ::tfmodel::AttrType;
using ::tfmodel::AttrTypeList;

using Attrs = std::map<std::string, tensorflow::AttrValue>;

// Builds the kernel for `op` from the global registry (with a NodeDef named "k" holding
// `attrs` and one input per tensor) and runs it once on `inputs`. Returns its outputs.
absl::StatusOr<std::vector<Tensor>> RunKernel(const std::string& op,
                                              const std::vector<Tensor>& inputs,
                                              const Attrs& attrs = {});

// RunKernel expecting success: returns output 0 (an invalid tensor, and a test failure,
// on error or when there is no output).
Tensor RunOne(const std::string& op, const std::vector<Tensor>& inputs, const Attrs& attrs = {});
// RunKernel expecting failure: returns the error message ("" and a test failure when the
// kernel succeeds).
std::string RunError(const std::string& op, const std::vector<Tensor>& inputs,
                     const Attrs& attrs = {});

// gtest assertions: same dtype and shape, and equal values (exactly, or within
// atol + rtol*|expected| for floating types; NaNs compare equal to NaNs).
void ExpectTensorEq(const Tensor& actual, const Tensor& expected);
void ExpectTensorNear(const Tensor& actual, const Tensor& expected, double atol = 1e-6,
                      double rtol = 1e-6);

}  // namespace tfmodel::testing

#endif  // TFMODEL_TESTS_KERNEL_TEST_UTIL_H_
