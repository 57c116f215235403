#include "kernel_test_util.h"

#include <cmath>

#include "format/tensor_proto.h"
#include "gtest/gtest.h"
#include "runtime/kernel.h"

namespace tfmodel::testing {

using tensorflow::AttrValue;

absl::StatusOr<std::vector<Tensor>> RunKernel(const std::string& op,
                                              const std::vector<Tensor>& inputs,
                                              const Attrs& attrs) {
  tensorflow::NodeDef node;
  node.set_name("k");
  node.set_op(op);
  for (size_t i = 0; i < inputs.size(); ++i) node.add_input("in" + std::to_string(i));
  for (const auto& [k, v] : attrs) (*node.mutable_attr())[k] = v;
  const runtime::KernelFactory* f = runtime::KernelRegistry::Global().Find(op);
  if (f == nullptr) return absl::NotFoundError("no kernel registered for op " + op);
  runtime::KernelInit init(node, nullptr, static_cast<int>(inputs.size()));
  auto kernel = (*f)(init);
  if (!kernel.ok()) return kernel.status();
  std::vector<const Tensor*> in;
  for (const auto& t : inputs) in.push_back(&t);
  std::vector<Tensor> outputs;
  std::string name = node.name();
  runtime::KernelContext ctx(&name, &node.op(), in, {}, &outputs, nullptr, nullptr, nullptr, 1);
  absl::Status s = (*kernel)->Compute(&ctx);
  if (!s.ok()) return s;
  return outputs;
}

Tensor RunOne(const std::string& op, const std::vector<Tensor>& inputs, const Attrs& attrs) {
  auto r = RunKernel(op, inputs, attrs);
  EXPECT_TRUE(r.ok()) << op << ": " << r.status();
  if (!r.ok() || r->empty()) return Tensor();
  return (*r)[0];
}

std::string RunError(const std::string& op, const std::vector<Tensor>& inputs, const Attrs& attrs) {
  auto r = RunKernel(op, inputs, attrs);
  EXPECT_FALSE(r.ok()) << op << " unexpectedly succeeded";
  return r.ok() ? "" : std::string(r.status().message());
}

namespace {

template <typename T>
void CompareValues(const Tensor& a, const Tensor& e, double atol, double rtol, bool exact) {
  for (int64_t i = 0; i < e.NumElements(); ++i) {
    T x = a.data<T>()[i];
    T y = e.data<T>()[i];
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(y)) {
        EXPECT_TRUE(std::isnan(x)) << "element " << i;
        continue;
      }
      if (std::isinf(y)) {  // infinities must match exactly (inf - inf is NaN)
        EXPECT_EQ(x, y) << "element " << i;
        continue;
      }
      if (exact) {
        EXPECT_EQ(x, y) << "element " << i;
      } else {
        EXPECT_LE(std::abs(double(x) - double(y)), atol + rtol * std::abs(double(y)))
            << "element " << i << ": " << x << " vs expected " << y;
      }
    } else {
      EXPECT_EQ(x, y) << "element " << i;
    }
  }
}

void Compare(const Tensor& a, const Tensor& e, double atol, double rtol, bool exact) {
  ASSERT_TRUE(a.valid()) << "actual tensor is invalid";
  ASSERT_EQ(DTypeName(a.dtype()), DTypeName(e.dtype()));
  ASSERT_EQ(a.shape().ToString(), e.shape().ToString());
  if (e.dtype() == DType::kString) {
    for (int64_t i = 0; i < e.NumElements(); ++i) {
      EXPECT_EQ(a.data<std::string>()[i], e.data<std::string>()[i]) << "element " << i;
    }
    return;
  }
  bool handled =
      DispatchNumeric(e.dtype(), [&]<typename T>() { CompareValues<T>(a, e, atol, rtol, exact); });
  if (!handled) {
    ASSERT_EQ(a.TotalBytes(), e.TotalBytes());
    EXPECT_EQ(std::memcmp(a.raw_data(), e.raw_data(), e.TotalBytes()), 0);
  }
}

}  // namespace

void ExpectTensorEq(const Tensor& actual, const Tensor& expected) {
  Compare(actual, expected, 0, 0, true);
}

void ExpectTensorNear(const Tensor& actual, const Tensor& expected, double atol, double rtol) {
  Compare(actual, expected, atol, rtol, false);
}

}  // namespace tfmodel::testing
