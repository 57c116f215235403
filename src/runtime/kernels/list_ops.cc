// TensorList ops that make lists and read or change one element at a time: EmptyTensorList,
// TensorListReserve, TensorListFromTensor, TensorListLength, TensorListElementShape,
// TensorListGetItem, TensorListSetItem, TensorListPushBack, TensorListPopBack,
// TensorListResize, TensorListPushBackBatch. Semantics, checks and messages follow
// TensorFlow's list_kernels; the bulk ops (Stack, Gather, Concat, Split, Scatter) are in
// list_bulk_ops.cc.
#include "absl/strings/str_cat.h"
#include "runtime/kernels/list_util.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;
using list_util::TensorList;

// The element an index reads as: the set tensor, or zeros of the element shape (from the
// list, the op's element_shape input `shape_input`, or the other set elements).
absl::StatusOr<Tensor> ReadElement(const KernelContext* ctx, const TensorList& l, int64_t index,
                                   int shape_input) {
  const Tensor& t = l.tensors[static_cast<size_t>(index)];
  if (t.valid()) return t;
  TFM_ASSIGN_OR_RETURN(PartialShape shape, list_util::ElementShapeFromInput(ctx, l, shape_input));
  TFM_ASSIGN_OR_RETURN(shape, list_util::RefineWithElements(ctx, l, shape, nullptr));
  if (!shape.IsFullyDefined()) {
    return ctx->Error(
        absl::StrCat("Trying to read an uninitialized tensor but element_shape is "
                     "not fully defined: ",
                     shape.ToString(), " and no list element is set."));
  }
  return list_util::Zeros(ctx, l.element_dtype, TensorShape(shape.dims()));
}

Result MakeEmptyTensorList(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(DType dtype, list_util::ElementDTypeAttr(init));
  return MakeKernel([dtype](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() < 2) return ctx->Error("expects element_shape and max_num_elements");
    TFM_ASSIGN_OR_RETURN(PartialShape shape,
                         list_util::ShapeFromTensor(ctx, ctx->input(0), "element_shape"));
    TFM_ASSIGN_OR_RETURN(int32_t max, list_util::Int32Scalar(ctx, 1, "max_num_elements"));
    if (max < -1) {
      return ctx->Error(absl::StrCat("max_num_elements must be at least -1, got ", max));
    }
    auto l = std::make_shared<TensorList>();
    l->element_dtype = dtype;
    l->element_shape = std::move(shape);
    l->max_num_elements = max;
    ctx->set_output(0, list_util::ListTensor(std::move(l)));
    return absl::OkStatus();
  });
}

Result MakeTensorListReserve(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(DType dtype, list_util::ElementDTypeAttr(init));
  return MakeKernel([dtype](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() < 2) return ctx->Error("expects element_shape and num_elements");
    TFM_ASSIGN_OR_RETURN(PartialShape shape,
                         list_util::ShapeFromTensor(ctx, ctx->input(0), "element_shape"));
    TFM_ASSIGN_OR_RETURN(int32_t n, list_util::Int32Scalar(ctx, 1, "num_elements"));
    if (n < 0) {
      return ctx->Error(
          absl::StrCat("The num_elements to reserve must be a non negative number, but got ", n));
    }
    auto l = std::make_shared<TensorList>();
    l->element_dtype = dtype;
    l->element_shape = std::move(shape);
    l->tensors.resize(static_cast<size_t>(n));
    ctx->set_output(0, list_util::ListTensor(std::move(l)));
    return absl::OkStatus();
  });
}

// The elements are views of the tensor's rows: no data is copied.
Result MakeTensorListFromTensor(const KernelInit& init) {
  DType dtype = DType::kInvalid;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("element_dtype", &dtype));
  return MakeKernel([dtype](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() < 2) return ctx->Error("expects tensor and element_shape");
    const Tensor& t = ctx->input(0);
    if (dtype != DType::kInvalid && t.dtype() != dtype) {
      return ctx->Error(absl::StrCat("tensor has dtype ", DTypeName(t.dtype()),
                                     " but element_dtype is ", DTypeName(dtype)));
    }
    TFM_ASSIGN_OR_RETURN(PartialShape shape,
                         list_util::ShapeFromTensor(ctx, ctx->input(1), "element_shape"));
    if (t.rank() < 1) {
      return ctx->Error(
          absl::StrCat("Tensor must be at least a vector, but saw shape: ", t.shape().ToString()));
    }
    TensorShape row_shape(t.shape().dim_sizes().subspan(1));
    if (!shape.IsCompatibleWith(row_shape)) {
      return ctx->Error(absl::StrCat("Specified a list with shape ", shape.ToString(),
                                     " from a tensor with shape ", row_shape.ToString()));
    }
    auto l = std::make_shared<TensorList>();
    l->element_dtype = t.dtype();
    l->element_shape = std::move(shape);
    l->tensors.reserve(static_cast<size_t>(t.dim(0)));
    for (int64_t i = 0; i < t.dim(0); ++i) l->tensors.push_back(list_util::Row(t, i));
    ctx->set_output(0, list_util::ListTensor(std::move(l)));
    return absl::OkStatus();
  });
}

Result MakeTensorListLength(const KernelInit& init) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    TFM_ASSIGN_OR_RETURN(const TensorList* l, list_util::InputList(ctx, 0));
    ctx->set_output(0, Tensor::Scalar<int32_t>(static_cast<int32_t>(l->tensors.size())));
    return absl::OkStatus();
  });
}

Result MakeTensorListElementShape(const KernelInit& init) {
  DType shape_type = DType::kInt32;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("shape_type", &shape_type));
  if (shape_type != DType::kInt32 && shape_type != DType::kInt64) {
    return init.Error(
        absl::StrCat("shape_type must be int32 or int64, got ", DTypeName(shape_type)));
  }
  return MakeKernel([shape_type](KernelContext* ctx) -> absl::Status {
    TFM_ASSIGN_OR_RETURN(const TensorList* l, list_util::InputList(ctx, 0));
    const PartialShape& s = l->element_shape;
    std::vector<int64_t> dims = s.unknown_rank()
                                    ? std::vector<int64_t>{-1}
                                    : std::vector<int64_t>(s.dims().begin(), s.dims().end());
    TensorShape out_shape;
    if (!s.unknown_rank()) out_shape.AddDim(s.rank());
    Tensor out(shape_type, out_shape);
    for (size_t i = 0; i < dims.size(); ++i) {
      if (shape_type == DType::kInt32) {
        out.data<int32_t>()[i] = static_cast<int32_t>(dims[i]);
      } else {
        out.data<int64_t>()[i] = dims[i];
      }
    }
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

Result MakeTensorListGetItem(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(DType dtype, list_util::ElementDTypeAttr(init));
  return MakeKernel([dtype](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() < 3) return ctx->Error("expects input_handle, index, element_shape");
    TFM_ASSIGN_OR_RETURN(const TensorList* l, list_util::InputList(ctx, 0));
    TFM_RETURN_IF_ERROR(list_util::CheckElementDType(ctx, dtype, *l));
    TFM_ASSIGN_OR_RETURN(int32_t index, list_util::Int32Scalar(ctx, 1, "index"));
    if (index < 0 || static_cast<size_t>(index) >= l->tensors.size()) {
      return ctx->Error(absl::StrCat("Trying to access element ", index, " in a list with ",
                                     l->tensors.size(), " elements."));
    }
    TFM_ASSIGN_OR_RETURN(Tensor t, ReadElement(ctx, *l, index, 2));
    ctx->set_output(0, std::move(t));
    return absl::OkStatus();
  });
}

Result MakeTensorListSetItem(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(DType dtype, list_util::ElementDTypeAttr(init));
  bool resize = false;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("resize_if_index_out_of_bounds", &resize));
  return MakeKernel([dtype, resize](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() < 3) return ctx->Error("expects input_handle, index, item");
    TFM_ASSIGN_OR_RETURN(const TensorList* l, list_util::InputList(ctx, 0));
    TFM_RETURN_IF_ERROR(list_util::CheckElementDType(ctx, dtype, *l));
    TFM_ASSIGN_OR_RETURN(int32_t index, list_util::Int32Scalar(ctx, 1, "index"));
    const size_t size = l->tensors.size();
    if (index < 0 || (static_cast<size_t>(index) >= size && !resize)) {
      return ctx->Error(
          absl::StrCat("Trying to modify element ", index, " in a list with ", size, " elements."));
    }
    const Tensor& item = ctx->input(2);
    if (item.dtype() != dtype) {
      return ctx->Error(absl::StrCat("Invalid data types; list elements ", DTypeName(dtype),
                                     " but tried to set ", DTypeName(item.dtype())));
    }
    if (!l->element_shape.IsCompatibleWith(item.shape())) {
      return ctx->Error(absl::StrCat(
          "Tried to set a tensor with incompatible shape at a list index. Item element shape: ",
          item.shape().ToString(), " list shape: ", l->element_shape.ToString()));
    }
    Tensor value = item;  // shares the item's buffer, before input 0 may be taken over
    TensorList* out = list_util::OutputListFrom(ctx, 0, *l);
    if (static_cast<size_t>(index) >= out->tensors.size()) {
      out->tensors.resize(static_cast<size_t>(index) + 1);
    }
    out->tensors[static_cast<size_t>(index)] = std::move(value);
    return absl::OkStatus();
  });
}

Result MakeTensorListPushBack(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(DType dtype, list_util::ElementDTypeAttr(init));
  return MakeKernel([dtype](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() < 2) return ctx->Error("expects input_handle and tensor");
    const Tensor& item = ctx->input(1);
    if (item.dtype() != dtype) {
      return ctx->Error(absl::StrCat("Invalid data types; list elements ", DTypeName(dtype),
                                     " but tried to append ", DTypeName(item.dtype())));
    }
    TFM_ASSIGN_OR_RETURN(const TensorList* l, list_util::InputList(ctx, 0));
    if (!l->element_shape.IsCompatibleWith(item.shape())) {
      return ctx->Error(absl::StrCat(
          "Tried to append a tensor with incompatible shape to a list. Op element shape: ",
          item.shape().ToString(), " list shape: ", l->element_shape.ToString()));
    }
    TFM_RETURN_IF_ERROR(list_util::CheckElementDType(ctx, dtype, *l));
    if (l->max_num_elements != -1 &&
        static_cast<int64_t>(l->tensors.size()) >= l->max_num_elements) {
      return ctx->Error(
          absl::StrCat("Tried to push item into a full list list size: ", l->tensors.size(),
                       " max_num_elements: ", l->max_num_elements));
    }
    Tensor value = item;
    TensorList* out = list_util::OutputListFrom(ctx, 0, *l);
    out->tensors.push_back(std::move(value));
    return absl::OkStatus();
  });
}

Result MakeTensorListPopBack(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(DType dtype, list_util::ElementDTypeAttr(init));
  return MakeKernel([dtype](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() < 2) return ctx->Error("expects input_handle and element_shape");
    TFM_ASSIGN_OR_RETURN(const TensorList* l, list_util::InputList(ctx, 0));
    TFM_RETURN_IF_ERROR(list_util::CheckElementDType(ctx, dtype, *l));
    if (l->tensors.empty()) return ctx->Error("Trying to pop from an empty list.");
    // The popped element reads like GetItem, but only the op's and the list's shapes
    // describe an unset one (as in TensorFlow, other elements are not consulted).
    Tensor popped = l->tensors.back();
    if (!popped.valid()) {
      TFM_ASSIGN_OR_RETURN(PartialShape shape, list_util::ElementShapeFromInput(ctx, *l, 1));
      if (!shape.IsFullyDefined()) {
        return ctx->Error(absl::StrCat(
            "Trying to read an uninitialized tensor but element_shape is not fully defined.",
            shape.ToString()));
      }
      TFM_ASSIGN_OR_RETURN(popped, list_util::Zeros(ctx, dtype, TensorShape(shape.dims())));
    }
    TensorList* out = list_util::OutputListFrom(ctx, 0, *l);
    out->tensors.pop_back();
    ctx->set_output(1, std::move(popped));
    return absl::OkStatus();
  });
}

Result MakeTensorListResize(const KernelInit& init) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() < 2) return ctx->Error("expects input_handle and size");
    TFM_ASSIGN_OR_RETURN(const TensorList* l, list_util::InputList(ctx, 0));
    TFM_ASSIGN_OR_RETURN(int32_t size, list_util::Int32Scalar(ctx, 1, "size"));
    if (size < 0) {
      return ctx->Error(
          absl::StrCat("TensorListSlice expects size to be non-negative. Got: ", size));
    }
    TensorList* out = list_util::OutputListFrom(ctx, 0, *l);
    out->tensors.resize(static_cast<size_t>(size));
    return absl::OkStatus();
  });
}

// Appends row b of `tensor` to list b of a vector of lists.
Result MakeTensorListPushBackBatch(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(DType dtype, list_util::ElementDTypeAttr(init));
  return MakeKernel([dtype](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() < 2) return ctx->Error("expects input_handles and tensor");
    const Tensor& handles = ctx->input(0);
    const Tensor& input = ctx->input(1);
    if (input.dtype() != dtype) {
      return ctx->Error(absl::StrCat("Invalid data types; list elements ", DTypeName(dtype),
                                     " but tried to append ", DTypeName(input.dtype())));
    }
    if (input.rank() < 1) {
      return ctx->Error(absl::StrCat("Expected tensor to be at least a vector, but saw shape: ",
                                     input.shape().ToString()));
    }
    if (handles.dtype() != DType::kVariant || handles.rank() != 1) {
      return ctx->Error(absl::StrCat("Expected input_handles to be a variant vector, but saw ",
                                     DTypeName(handles.dtype()), " ", handles.shape().ToString()));
    }
    const int64_t batch = handles.dim(0);
    if (input.dim(0) != batch) {
      return ctx->Error(absl::StrCat("Expected tensor.shape[0] == input_handles.size, but saw ",
                                     input.dim(0), " vs. ", batch));
    }
    TensorShape row_shape(input.shape().dim_sizes().subspan(1));
    Tensor out(DType::kVariant, TensorShape{batch});
    for (int64_t b = 0; b < batch; ++b) {
      const Variant& v = handles.data<Variant>()[b];
      if (v.type_name != list_util::kTensorListTypeName || v.value == nullptr) {
        return ctx->Error(
            absl::StrCat("Input handle at index ", b, " is not a list. Saw: '", v.type_name, "'"));
      }
      const auto* l = static_cast<const TensorList*>(v.value.get());
      if (!l->element_shape.IsCompatibleWith(row_shape)) {
        return ctx->Error(
            absl::StrCat("Tried to append a tensor with incompatible shape to a list at index ", b,
                         ". Op element shape: ", row_shape.ToString(),
                         " list shape: ", l->element_shape.ToString()));
      }
      TFM_RETURN_IF_ERROR(list_util::CheckElementDType(ctx, dtype, *l));
      auto copy = std::make_shared<TensorList>(*l);
      copy->tensors.push_back(list_util::Row(input, b));
      out.data<Variant>()[b] = Variant{list_util::kTensorListTypeName, std::move(copy)};
    }
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterTensorListKernels(KernelRegistry& r) {
  r.Register("EmptyTensorList", MakeEmptyTensorList);
  r.Register("TensorListReserve", MakeTensorListReserve);
  r.Register("TensorListFromTensor", MakeTensorListFromTensor);
  r.Register("TensorListLength", MakeTensorListLength);
  r.Register("TensorListElementShape", MakeTensorListElementShape);
  r.Register("TensorListGetItem", MakeTensorListGetItem);
  r.Register("TensorListSetItem", MakeTensorListSetItem);
  r.Register("TensorListPushBack", MakeTensorListPushBack);
  r.Register("TensorListPopBack", MakeTensorListPopBack);
  r.Register("TensorListResize", MakeTensorListResize);
  r.Register("TensorListPushBackBatch", MakeTensorListPushBackBatch);
}

}  // namespace tfmodel::runtime
