// TensorList ops that move many elements at once: TensorListStack, TensorListGather,
// TensorListConcat / TensorListConcatV2, TensorListSplit, TensorListScatter /
// TensorListScatterV2 and TensorListScatterIntoExistingList. Unset elements read as zeros
// of the element shape (known from the list, the op, or the other elements); checks and
// messages follow TensorFlow's list_kernels. Lists made from tensors hold views of their
// rows, not copies.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "runtime/kernels/array_util.h"
#include "runtime/kernels/list_util.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;
using list_util::TensorList;

absl::Status NeedInputs(const KernelContext* ctx, int n) {
  if (ctx->num_inputs() < n) {
    return ctx->Error(absl::StrCat("expected ", n, " inputs, got ", ctx->num_inputs()));
  }
  return absl::OkStatus();
}

// An int32 index vector (TensorFlow's list ops take int32 indices only).
absl::StatusOr<std::vector<int64_t>> Int32Indices(const KernelContext* ctx, const Tensor& t,
                                                  bool must_be_vector) {
  if (t.dtype() != DType::kInt32) {
    return ctx->Error(absl::StrCat("indices must be int32, got ", DTypeName(t.dtype())));
  }
  if (must_be_vector && t.rank() != 1) {
    return ctx->Error(absl::StrCat("Expected indices to be a vector, but received shape: ",
                                   t.shape().ToString()));
  }
  return array_util::ReadInts(ctx, t, "indices");
}

Result MakeTensorListStack(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(DType dtype, list_util::ElementDTypeAttr(init));
  int64_t num_elements = -1;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("num_elements", &num_elements));
  return MakeKernel([dtype, num_elements](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 2));
    TFM_ASSIGN_OR_RETURN(const TensorList* l, list_util::InputList(ctx, 0));
    TFM_RETURN_IF_ERROR(list_util::CheckElementDType(ctx, dtype, *l));
    const int64_t n = static_cast<int64_t>(l->tensors.size());
    if (num_elements != -1 && n != num_elements) {
      return ctx->Error(absl::StrCat("Operation expected a list with ", num_elements,
                                     " elements but got a list with ", n, " elements."));
    }
    TFM_ASSIGN_OR_RETURN(PartialShape shape, list_util::ElementShapeFromInput(ctx, *l, 1));
    if (!shape.IsFullyDefined() && n == 0) {
      return ctx->Error(absl::StrCat(
          "Tried to stack elements of an empty list with non-fully-defined element_shape: ",
          shape.ToString()));
    }
    TFM_ASSIGN_OR_RETURN(shape, list_util::RefineWithElements(ctx, *l, shape, nullptr));
    if (!shape.IsFullyDefined()) {
      return ctx->Error(
          absl::StrCat("Tried to stack list which only contains uninitialized tensors and has a "
                       "non-fully-defined element_shape: ",
                       shape.ToString()));
    }
    std::vector<int64_t> all(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) all[i] = i;
    TFM_ASSIGN_OR_RETURN(Tensor out,
                         list_util::StackElements(ctx, *l, all, TensorShape(shape.dims())));
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

Result MakeTensorListGather(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(DType dtype, list_util::ElementDTypeAttr(init));
  return MakeKernel([dtype](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 3));
    TFM_ASSIGN_OR_RETURN(const TensorList* l, list_util::InputList(ctx, 0));
    TFM_RETURN_IF_ERROR(list_util::CheckElementDType(ctx, dtype, *l));
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> idx, Int32Indices(ctx, ctx->input(1), false));
    for (int64_t i : idx) {
      if (i < 0 || i >= static_cast<int64_t>(l->tensors.size())) {
        return ctx->Error(absl::StrCat("Index ", i, " out of range; list only has ",
                                       l->tensors.size(), " elements."));
      }
    }
    TFM_ASSIGN_OR_RETURN(PartialShape shape, list_util::ElementShapeFromInput(ctx, *l, 2));
    if (!shape.IsFullyDefined() && idx.empty()) {
      return ctx->Error(
          absl::StrCat("Tried to gather 0-elements from a list with non-fully-defined shape: ",
                       shape.ToString()));
    }
    TFM_ASSIGN_OR_RETURN(shape, list_util::RefineWithElements(ctx, *l, shape, &idx));
    if (!shape.IsFullyDefined()) {
      return ctx->Error(
          absl::StrCat("Tried to gather uninitialized tensors from a list with non-fully-defined "
                       "element_shape: ",
                       shape.ToString()));
    }
    TFM_ASSIGN_OR_RETURN(Tensor out,
                         list_util::StackElements(ctx, *l, idx, TensorShape(shape.dims())));
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

// The dims after the first of a partial shape (unknown rank stays unknown).
PartialShape DropFirstDim(const PartialShape& s) {
  if (s.unknown_rank()) return s;
  return PartialShape(s.dims().subspan(1));
}

// TensorListConcat (v1: element_shape attr, no leading_dims) and TensorListConcatV2.
class ConcatKernel : public OpKernel {
 public:
  ConcatKernel(DType dtype, bool v2, PartialShape attr_rest)
      : dtype_(dtype), v2_(v2), attr_rest_(std::move(attr_rest)) {}

  absl::Status Compute(KernelContext* ctx) const override {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, v2_ ? 3 : 1));
    TFM_ASSIGN_OR_RETURN(const TensorList* l, list_util::InputList(ctx, 0));
    TFM_RETURN_IF_ERROR(list_util::CheckElementDType(ctx, dtype_, *l));
    int64_t first_dim = -1;
    PartialShape rest = attr_rest_;  // the element shape without its first dim
    std::vector<int64_t> leading;
    if (v2_) {
      TFM_ASSIGN_OR_RETURN(PartialShape shape, list_util::ElementShapeFromInput(ctx, *l, 1));
      if (!shape.unknown_rank() && shape.rank() < 1) {
        return ctx->Error(
            "Concat requires elements to be at least vectors, found scalars instead.");
      }
      if (!shape.unknown_rank()) first_dim = shape.dim(0);
      rest = DropFirstDim(shape);
      const Tensor& ld = ctx->input(2);
      if (ld.dtype() != DType::kInt64) {
        return ctx->Error(absl::StrCat("leading_dims must be int64, got ", DTypeName(ld.dtype())));
      }
      TFM_ASSIGN_OR_RETURN(leading, array_util::ReadInts(ctx, ld, "leading_dims"));
    }
    const size_t n = l->tensors.size();
    if (n == 0 && !rest.IsFullyDefined()) {
      return ctx->Error(absl::StrCat(
          "All except the first dimension must be fully defined when concating an empty tensor "
          "list. element_shape: ",
          rest.ToString()));
    }
    // Check the set elements against the shape; infer a common first dim if none is given.
    bool infer = first_dim == -1;
    int64_t inferred = first_dim;
    for (size_t i = 0; i < n; ++i) {
      const Tensor& t = l->tensors[i];
      if (!t.valid()) continue;
      if (t.dtype() != dtype_) {
        return ctx->Error(absl::StrCat("list element ", i, " has dtype ", DTypeName(t.dtype()),
                                       " but the list holds ", DTypeName(dtype_)));
      }
      if (t.rank() < 1) {
        return ctx->Error(absl::StrCat("Concat saw a scalar shape at index ", i,
                                       " but requires at least vectors."));
      }
      TFM_ASSIGN_OR_RETURN(
          rest, list_util::MergeShapes(ctx, rest, PartialShape(t.shape().dim_sizes().subspan(1))));
      if (first_dim != -1 && first_dim != t.dim(0)) {
        return ctx->Error(absl::StrCat(
            "First entry of element_shape input does not match the first dim of list element "
            "at index: ",
            i, " Expected: ", first_dim, " Actual: ", t.dim(0)));
      }
      if (infer) {
        if (inferred == -1) {
          inferred = t.dim(0);
        } else if (inferred != t.dim(0)) {
          inferred = -1;
          infer = false;
        }
      }
    }
    first_dim = inferred;
    if (!rest.IsFullyDefined()) {
      return ctx->Error(
          absl::StrCat("Trying to concat list with only uninitialized tensors but "
                       "element_shape_except_first_dim is not fully defined: ",
                       rest.ToString()));
    }
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> lengths, Lengths(ctx, *l, first_dim, leading));
    int64_t total = 0;
    for (int64_t d : lengths) total += d;
    TensorShape row_shape(rest.dims());
    TensorShape out_shape = row_shape;
    out_shape.InsertDim(0, total);
    TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, out_shape));
    TFM_ASSIGN_OR_RETURN(Tensor out, list_util::Zeros(ctx, dtype_, out_shape));
    const int64_t row = row_shape.NumElements();
    bool ok = array_util::DispatchElem(dtype_, [&]<typename T>() {
      T* dst = out.data<T>();
      int64_t off = 0;
      for (size_t i = 0; i < n; ++i) {
        const Tensor& t = l->tensors[i];
        if (t.valid()) array_util::CopyN(t.data<T>(), lengths[i] * row, dst + off);
        off += lengths[i] * row;  // unset elements stay zero
      }
    });
    if (!ok) return array_util::UnsupportedDType(ctx, dtype_);
    ctx->set_output(0, std::move(out));
    Tensor len_out(DType::kInt64, TensorShape{static_cast<int64_t>(n)});
    std::copy(lengths.begin(), lengths.end(), len_out.data<int64_t>());
    ctx->set_output(1, std::move(len_out));
    return absl::OkStatus();
  }

 private:
  // Each element's length along dim 0: its own, the common first dim, or leading_dims.
  absl::StatusOr<std::vector<int64_t>> Lengths(const KernelContext* ctx, const TensorList& l,
                                               int64_t first_dim,
                                               const std::vector<int64_t>& leading) const {
    std::vector<int64_t> lengths(l.tensors.size());
    for (size_t i = 0; i < l.tensors.size(); ++i) {
      const Tensor& t = l.tensors[i];
      if (t.valid()) {
        lengths[i] = t.dim(0);
      } else if (i >= leading.size() && first_dim != -1) {
        lengths[i] = first_dim;
      } else if (!v2_) {
        return ctx->Error(
            "Concating lists with uninitialized tensors is not supported in this version of "
            "TensorListConcat. Consider updating your GraphDef to run the newer version.");
      } else if (i >= leading.size()) {
        return ctx->Error(absl::StrCat("List contains uninitialized tensor at index ", i,
                                       " but leading_dims has only ", leading.size(),
                                       " elements."));
      } else if (leading[i] < 0) {
        return ctx->Error(absl::StrCat("leading_dims[", i, "] = ", leading[i], " is negative"));
      } else {
        lengths[i] = leading[i];
      }
    }
    return lengths;
  }

  DType dtype_;
  bool v2_;
  PartialShape attr_rest_;
};

Result MakeTensorListConcat(const KernelInit& init, bool v2) {
  TFM_ASSIGN_OR_RETURN(DType dtype, list_util::ElementDTypeAttr(init));
  PartialShape rest;
  if (!v2) {
    PartialShape attr;
    TFM_RETURN_IF_ERROR(init.GetAttrOr("element_shape", &attr));
    rest = DropFirstDim(attr);
  }
  return std::unique_ptr<OpKernel>(new ConcatKernel(dtype, v2, std::move(rest)));
}

Result MakeTensorListSplit(const KernelInit& init) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 3));
    const Tensor& t = ctx->input(0);
    TFM_ASSIGN_OR_RETURN(PartialShape shape,
                         list_util::ShapeFromTensor(ctx, ctx->input(1), "element_shape"));
    if (!shape.unknown_rank() && shape.rank() < 1) {
      return ctx->Error(
          absl::StrCat("TensorListSplit requires element_shape to be at least of rank 1, but saw: ",
                       shape.ToString()));
    }
    if (t.rank() < 1) {
      return ctx->Error(
          absl::StrCat("Tensor must be at least a vector, but saw shape: ", t.shape().ToString()));
    }
    TensorShape rest(t.shape().dim_sizes().subspan(1));
    if (!DropFirstDim(shape).IsCompatibleWith(rest)) {
      return ctx->Error(absl::StrCat("tensor shape ", t.shape().ToString(),
                                     " is not compatible with element_shape ", shape.ToString()));
    }
    const Tensor& lengths = ctx->input(2);
    if (lengths.rank() != 1 || lengths.dtype() != DType::kInt64) {
      return ctx->Error(absl::StrCat("Expected lengths to be an int64 vector, received ",
                                     DTypeName(lengths.dtype()), " ", lengths.shape().ToString()));
    }
    auto l = std::make_shared<TensorList>();
    l->element_dtype = t.dtype();
    l->element_shape = shape;
    l->tensors.reserve(static_cast<size_t>(lengths.dim(0)));
    int64_t start = 0;
    for (int64_t i = 0; i < lengths.dim(0); ++i) {
      const int64_t len = lengths.data<int64_t>()[i];
      if (len < 0) return ctx->Error(absl::StrCat("Invalid value in lengths: ", len));
      if (len > t.dim(0) - start) {
        return ctx->Error(absl::StrCat("Attempting to slice [", start, ", ", start + len,
                                       "] from tensor with length ", t.dim(0)));
      }
      l->tensors.push_back(list_util::Rows(t, start, start + len));
      start += len;
    }
    if (start != t.dim(0)) {
      return ctx->Error(absl::StrCat("Unused values in tensor. Length of tensor: ", t.dim(0),
                                     " Values used: ", start));
    }
    ctx->set_output(0, list_util::ListTensor(std::move(l)));
    return absl::OkStatus();
  });
}

// Checks rows of `t` can go into a list of `element_shape` at `indices`.
absl::Status CheckScatterRows(const KernelContext* ctx, const Tensor& t,
                              const std::vector<int64_t>& indices,
                              const PartialShape& element_shape) {
  if (t.rank() < 1) {
    return ctx->Error(
        absl::StrCat("Tensor must be at least a vector, but saw shape: ", t.shape().ToString()));
  }
  TensorShape row_shape(t.shape().dim_sizes().subspan(1));
  if (!element_shape.IsCompatibleWith(row_shape)) {
    return ctx->Error(absl::StrCat("Specified a list with shape ", element_shape.ToString(),
                                   " from a tensor with shape ", row_shape.ToString()));
  }
  if (static_cast<int64_t>(indices.size()) != t.dim(0)) {
    return ctx->Error(absl::StrCat("Invalid number of rows in input tensor. Expected: ",
                                   indices.size(), " Actual: ", t.dim(0)));
  }
  for (int64_t i : indices) {
    if (i < 0) return ctx->Error("Indices in TensorListScatter must all be non-negative.");
  }
  return absl::OkStatus();
}

// TensorListScatter (no num_elements input) and TensorListScatterV2.
Result MakeTensorListScatter(const KernelInit& init, bool v2) {
  return MakeKernel([v2](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, v2 ? 4 : 3));
    const Tensor& t = ctx->input(0);
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> idx, Int32Indices(ctx, ctx->input(1), false));
    TFM_ASSIGN_OR_RETURN(PartialShape shape,
                         list_util::ShapeFromTensor(ctx, ctx->input(2), "element_shape"));
    int32_t num_elements = -1;
    if (v2) {
      TFM_ASSIGN_OR_RETURN(num_elements, list_util::Int32Scalar(ctx, 3, "num_elements"));
      if (num_elements < -1) {
        return ctx->Error(
            absl::StrCat("TensorListScatter expects num_elements >= -1, found: ", num_elements));
      }
    }
    TFM_RETURN_IF_ERROR(CheckScatterRows(ctx, t, idx, shape));
    int64_t size = num_elements;
    for (int64_t i : idx) {
      if (num_elements != -1 && i >= num_elements) {
        return ctx->Error(absl::StrCat("TensorListScatter: Trying to scatter at index ", i,
                                       " in list with size ", num_elements));
      }
      size = std::max(size, i + 1);
    }
    auto l = std::make_shared<TensorList>();
    l->element_dtype = t.dtype();
    l->element_shape = std::move(shape);
    l->tensors.resize(static_cast<size_t>(std::max<int64_t>(size, 0)));
    for (size_t k = 0; k < idx.size(); ++k) {
      l->tensors[static_cast<size_t>(idx[k])] = list_util::Row(t, static_cast<int64_t>(k));
    }
    ctx->set_output(0, list_util::ListTensor(std::move(l)));
    return absl::OkStatus();
  });
}

Result MakeTensorListScatterIntoExistingList(const KernelInit& init) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 3));
    TFM_ASSIGN_OR_RETURN(const TensorList* l, list_util::InputList(ctx, 0));
    const Tensor& t = ctx->input(1);
    if (t.dtype() != l->element_dtype) {
      return ctx->Error(
          absl::StrCat("Invalid data types; input tensor type: ", DTypeName(t.dtype()),
                       " list element_type: ", DTypeName(l->element_dtype)));
    }
    if (t.rank() < 1) {
      return ctx->Error(
          absl::StrCat("Tensor must be at least a vector, but saw shape: ", t.shape().ToString()));
    }
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> idx, Int32Indices(ctx, ctx->input(2), true));
    if (static_cast<int64_t>(idx.size()) != t.dim(0)) {
      return ctx->Error(absl::StrCat(
          "Expected len(indices) == tensor.shape[0], but saw: ", idx.size(), " vs. ", t.dim(0)));
    }
    TFM_RETURN_IF_ERROR(CheckScatterRows(ctx, t, idx, l->element_shape));
    Tensor value = t;  // before input 0 may be taken over
    int64_t max_index = -1;
    for (int64_t i : idx) max_index = std::max(max_index, i);
    TensorList* out = list_util::OutputListFrom(ctx, 0, *l);
    if (static_cast<size_t>(max_index + 1) > out->tensors.size()) {
      out->tensors.resize(static_cast<size_t>(max_index + 1));
    }
    for (size_t k = 0; k < idx.size(); ++k) {
      out->tensors[static_cast<size_t>(idx[k])] = list_util::Row(value, static_cast<int64_t>(k));
    }
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterTensorListBulkKernels(KernelRegistry& r) {
  r.Register("TensorListStack", MakeTensorListStack);
  r.Register("TensorListGather", MakeTensorListGather);
  r.Register("TensorListConcat",
             [](const KernelInit& init) { return MakeTensorListConcat(init, false); });
  r.Register("TensorListConcatV2",
             [](const KernelInit& init) { return MakeTensorListConcat(init, true); });
  r.Register("TensorListSplit", MakeTensorListSplit);
  r.Register("TensorListScatter",
             [](const KernelInit& init) { return MakeTensorListScatter(init, false); });
  r.Register("TensorListScatterV2",
             [](const KernelInit& init) { return MakeTensorListScatter(init, true); });
  r.Register("TensorListScatterIntoExistingList", MakeTensorListScatterIntoExistingList);
}

}  // namespace tfmodel::runtime
