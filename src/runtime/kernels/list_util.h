// TensorList: the value inside a DT_VARIANT scalar made by the TensorList* ops (TF2's
// tf.TensorArray, Keras RNN loops). Lists are values: a kernel never changes a list it
// received unless it owns it outright (its variant tensor's buffer and the list object
// are referenced nowhere else); otherwise it changes a copy. Copying a list copies its
// element tensors' handles, never their data.
#ifndef TFMODEL_RUNTIME_KERNELS_LIST_UTIL_H_
#define TFMODEL_RUNTIME_KERNELS_LIST_UTIL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "runtime/kernel.h"

namespace tfmodel::runtime::list_util {

inline constexpr char kTensorListTypeName[] = "tensorflow::TensorList";

struct TensorList {
  // An invalid Tensor is an element not set yet: it reads as zeros of the element shape.
  std::vector<Tensor> tensors;
  PartialShape element_shape;  // unknown rank unless given
  DType element_dtype = DType::kInvalid;
  int64_t max_num_elements = -1;  // -1 = unbounded (EmptyTensorList's limit)
};

// A variant scalar holding `list`.
Tensor ListTensor(std::shared_ptr<TensorList> list);

// The list in input `i`: a variant scalar holding a TensorList, else InvalidArgument.
absl::StatusOr<const TensorList*> InputList(const KernelContext* ctx, int i);

// The list to write the op's result into, set as output 0: input `i`'s own list when the
// kernel may take it over (KernelContext::ForwardInput and nobody else shares the list
// object), else a fresh copy of `in` (which must be input i's list). `in` stays valid;
// ctx->input(i) may not (it may have been moved out).
TensorList* OutputListFrom(KernelContext* ctx, int i, const TensorList& in);

// A shape given as a tensor (TF's TensorShapeFromTensor): int32/int64 vector with -1 for
// unknown dimensions, or the scalar -1 for an unknown rank.
absl::StatusOr<PartialShape> ShapeFromTensor(const KernelContext* ctx, const Tensor& t,
                                             absl::string_view what);
// The most specific shape compatible with both, or InvalidArgument when they conflict.
absl::StatusOr<PartialShape> MergeShapes(const KernelContext* ctx, const PartialShape& a,
                                         const PartialShape& b);
bool Compatible(const PartialShape& a, const PartialShape& b);
// The element_shape input `i` merged with the list's own element shape.
absl::StatusOr<PartialShape> ElementShapeFromInput(const KernelContext* ctx, const TensorList& l,
                                                   int i);
// `shape` refined by the shapes of the set elements at `indices` (all when empty): what an
// unset element reads as when neither the list nor the op knows the full shape.
absl::StatusOr<PartialShape> RefineWithElements(const KernelContext* ctx, const TensorList& l,
                                                PartialShape shape,
                                                const std::vector<int64_t>* indices);

// "Invalid data types; op elements float but list elements int32" unless equal.
absl::Status CheckElementDType(const KernelContext* ctx, DType op_dtype, const TensorList& l);
// The element_dtype attr (required).
absl::StatusOr<DType> ElementDTypeAttr(const KernelInit& init);
// An int32 scalar input (index, size, num_elements).
absl::StatusOr<int32_t> Int32Scalar(const KernelContext* ctx, int i, absl::string_view what);

// A zero-filled tensor (empty strings, empty variants), or InvalidArgument for a dtype
// or shape that cannot be allocated.
absl::StatusOr<Tensor> Zeros(const KernelContext* ctx, DType dtype, const TensorShape& shape);

// Stacks elements `indices` of `l` into one tensor of shape [n] + element_shape (unset
// elements as zeros). `element_shape` must be fully defined; every set element must have
// exactly that shape.
absl::StatusOr<Tensor> StackElements(const KernelContext* ctx, const TensorList& l,
                                     const std::vector<int64_t>& indices,
                                     const TensorShape& element_shape);

// Row `r` of `t` (rank >= 1) as a tensor of shape t.shape[1:], sharing t's buffer.
Tensor Row(const Tensor& t, int64_t r);
// Rows [begin, end) of `t`, sharing t's buffer.
Tensor Rows(const Tensor& t, int64_t begin, int64_t end);

}  // namespace tfmodel::runtime::list_util

#endif  // TFMODEL_RUNTIME_KERNELS_LIST_UTIL_H_
