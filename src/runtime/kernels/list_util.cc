#include "runtime/kernels/list_util.h"

#include "absl/strings/str_cat.h"
#include "runtime/kernels/array_util.h"

namespace tfmodel::runtime::list_util {

Tensor ListTensor(std::shared_ptr<TensorList> list) {
  Tensor t(DType::kVariant, TensorShape{});
  Variant& v = t.scalar<Variant>();
  v.type_name = kTensorListTypeName;
  v.value = std::move(list);
  return t;
}

absl::StatusOr<const TensorList*> InputList(const KernelContext* ctx, int i) {
  if (i >= ctx->num_inputs()) return ctx->Error(absl::StrCat("missing input ", i));
  const Tensor& t = ctx->input(i);
  if (t.dtype() != DType::kVariant) {
    return ctx->Error(
        absl::StrCat("input ", i, " must be a TensorList (variant), got ", DTypeName(t.dtype())));
  }
  if (t.rank() != 0) {
    return ctx->Error(absl::StrCat("Input list must be a scalar saw: ", t.shape().ToString()));
  }
  const Variant& v = t.scalar<Variant>();
  if (v.type_name != kTensorListTypeName || v.value == nullptr) {
    return ctx->Error(absl::StrCat("Input handle is not a list. Saw: '",
                                   v.type_name.empty() ? "(empty variant)" : v.type_name, "'"));
  }
  return static_cast<const TensorList*>(v.value.get());
}

TensorList* OutputListFrom(KernelContext* ctx, int i, const TensorList& in) {
  Tensor t = ctx->ForwardInput(i);
  if (t.valid()) {
    Variant& v = t.scalar<Variant>();
    if (v.value.get() == &in && v.value.use_count() == 1) {
      auto* list = static_cast<TensorList*>(v.value.get());
      ctx->set_output(0, std::move(t));
      return list;
    }
  }
  // `in` stays alive: either input i still holds it or `t` does until the copy is made.
  auto copy = std::make_shared<TensorList>(in);
  TensorList* list = copy.get();
  ctx->set_output(0, ListTensor(std::move(copy)));
  return list;
}

absl::StatusOr<PartialShape> ShapeFromTensor(const KernelContext* ctx, const Tensor& t,
                                             absl::string_view what) {
  if (t.dtype() != DType::kInt32 && t.dtype() != DType::kInt64) {
    return ctx->Error(absl::StrCat(what, ": expected an int32 or int64 shape tensor; found ",
                                   DTypeName(t.dtype())));
  }
  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> v, array_util::ReadInts(ctx, t, what));
  if (t.rank() == 0) {
    // (A shared unknown shape: returning a fresh PartialShape() here trips GCC 12's
    // maybe-uninitialized false positive on the empty inlined dims.)
    static const PartialShape* const kUnknown = new PartialShape();
    if (v[0] == -1) return *kUnknown;
    return ctx->Error(absl::StrCat(what,
                                   ": the only valid scalar shape tensor is the fully unknown "
                                   "shape specified as -1, got ",
                                   v[0]));
  }
  if (t.rank() != 1) {
    return ctx->Error(
        absl::StrCat(what, " must be a scalar or a vector, got shape ", t.shape().ToString()));
  }
  for (int64_t d : v) {
    if (d < -1) {
      return ctx->Error(absl::StrCat(what, ": dimension ", d, " must be >= -1"));
    }
  }
  return PartialShape(v);
}

bool Compatible(const PartialShape& a, const PartialShape& b) {
  if (a.unknown_rank() || b.unknown_rank()) return true;
  if (a.rank() != b.rank()) return false;
  for (int i = 0; i < a.rank(); ++i) {
    if (a.dim(i) >= 0 && b.dim(i) >= 0 && a.dim(i) != b.dim(i)) return false;
  }
  return true;
}

absl::StatusOr<PartialShape> MergeShapes(const KernelContext* ctx, const PartialShape& a,
                                         const PartialShape& b) {
  if (a.unknown_rank()) return b;
  if (b.unknown_rank()) return a;
  if (!Compatible(a, b)) {
    return ctx->Error(
        absl::StrCat("Incompatible shapes during merge: ", a.ToString(), " vs. ", b.ToString()));
  }
  std::vector<int64_t> dims(static_cast<size_t>(a.rank()));
  for (int i = 0; i < a.rank(); ++i) dims[i] = a.dim(i) >= 0 ? a.dim(i) : b.dim(i);
  return PartialShape(dims);
}

absl::StatusOr<PartialShape> ElementShapeFromInput(const KernelContext* ctx, const TensorList& l,
                                                   int i) {
  if (i >= ctx->num_inputs()) return ctx->Error(absl::StrCat("missing input ", i));
  TFM_ASSIGN_OR_RETURN(PartialShape given, ShapeFromTensor(ctx, ctx->input(i), "element_shape"));
  return MergeShapes(ctx, given, l.element_shape);
}

absl::StatusOr<PartialShape> RefineWithElements(const KernelContext* ctx, const TensorList& l,
                                                PartialShape shape,
                                                const std::vector<int64_t>* indices) {
  if (shape.IsFullyDefined()) return shape;
  const size_t n = indices ? indices->size() : l.tensors.size();
  for (size_t k = 0; k < n; ++k) {
    const Tensor& t = l.tensors[indices ? static_cast<size_t>((*indices)[k]) : k];
    if (!t.valid()) continue;
    TFM_ASSIGN_OR_RETURN(shape, MergeShapes(ctx, shape, PartialShape::FromShape(t.shape())));
  }
  return shape;
}

absl::Status CheckElementDType(const KernelContext* ctx, DType op_dtype, const TensorList& l) {
  if (op_dtype != l.element_dtype) {
    return ctx->Error(absl::StrCat("Invalid data types; op elements ", DTypeName(op_dtype),
                                   " but list elements ", DTypeName(l.element_dtype)));
  }
  return absl::OkStatus();
}

absl::StatusOr<DType> ElementDTypeAttr(const KernelInit& init) {
  DType d = DType::kInvalid;
  TFM_RETURN_IF_ERROR(init.GetAttr("element_dtype", &d));
  return d;
}

absl::StatusOr<int32_t> Int32Scalar(const KernelContext* ctx, int i, absl::string_view what) {
  if (i >= ctx->num_inputs()) return ctx->Error(absl::StrCat("missing input '", what, "'"));
  const Tensor& t = ctx->input(i);
  if (t.dtype() != DType::kInt32 || t.rank() != 0) {
    return ctx->Error(absl::StrCat(what, " must be an int32 scalar, got ", DTypeName(t.dtype()),
                                   " ", t.shape().ToString()));
  }
  return t.scalar<int32_t>();
}

absl::StatusOr<Tensor> Zeros(const KernelContext* ctx, DType dtype, const TensorShape& shape) {
  auto t = Tensor::Create(dtype, shape);
  if (!t.ok()) return ctx->Error(t.status().message());
  return t;
}

absl::StatusOr<Tensor> StackElements(const KernelContext* ctx, const TensorList& l,
                                     const std::vector<int64_t>& indices,
                                     const TensorShape& element_shape) {
  TensorShape out_shape = element_shape;
  out_shape.InsertDim(0, static_cast<int64_t>(indices.size()));
  TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, out_shape));
  for (int64_t i : indices) {
    const Tensor& t = l.tensors[static_cast<size_t>(i)];
    if (!t.valid()) continue;
    if (t.dtype() != l.element_dtype) {
      return ctx->Error(absl::StrCat("list element ", i, " has dtype ", DTypeName(t.dtype()),
                                     " but the list holds ", DTypeName(l.element_dtype)));
    }
    if (t.shape() != element_shape) {
      return ctx->Error(absl::StrCat("list element ", i, " has shape ", t.shape().ToString(),
                                     ", incompatible with the element shape ",
                                     element_shape.ToString()));
    }
  }
  // Unset elements read as zeros: the freshly allocated output already is.
  TFM_ASSIGN_OR_RETURN(Tensor out, Zeros(ctx, l.element_dtype, out_shape));
  const int64_t row = element_shape.NumElements();
  if (row == 0) return out;
  bool ok = array_util::DispatchElem(l.element_dtype, [&]<typename T>() {
    T* dst = out.data<T>();
    for (size_t k = 0; k < indices.size(); ++k) {
      const Tensor& t = l.tensors[static_cast<size_t>(indices[k])];
      if (t.valid()) array_util::CopyN(t.data<T>(), row, dst + static_cast<int64_t>(k) * row);
    }
  });
  if (!ok) return array_util::UnsupportedDType(ctx, l.element_dtype);
  return out;
}

Tensor Rows(const Tensor& t, int64_t begin, int64_t end) { return t.Slice(begin, end); }

Tensor Row(const Tensor& t, int64_t r) {
  Tensor s = t.Slice(r, r + 1);
  auto reshaped = s.Reshaped(TensorShape(t.shape().dim_sizes().subspan(1)));
  return reshaped.ok() ? std::move(*reshaped) : Tensor();
}

}  // namespace tfmodel::runtime::list_util
