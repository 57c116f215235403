// TF1 TensorArrays (the V3 ops): TensorArrayV3 creates one and returns a DT_RESOURCE
// handle plus a float "flow" scalar; Write/Read/Gather/Scatter/Concat/Split/Size/Close use
// it. Semantics follow TensorFlow's tensor_array.h: each index is written once; reading an
// unwritten index gives zeros when the element shape is fully known, else fails; with
// clear_after_read an index can be read once; dynamic_size arrays grow on write;
// identical_element_shapes fixes the element shape at the first write.
//
// The TensorArray lives as long as a handle tensor refers to it (TensorFlow keeps it in the
// per-step container): the handle's ResourceHandle::resource points at it, so handles can
// flow through Enter/Identity/Switch into while loops and each Run gets fresh arrays.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/kernel.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;

constexpr char kTensorArrayTypeName[] = "TensorArray";

std::atomic<int64_t> g_tensor_array_counter{0};

// Bound on the element count (creation and dynamic growth), so a bad size or index fails
// cleanly instead of exhausting memory.
constexpr int64_t kMaxElements = int64_t{1} << 24;

// Merges two partial shapes; error when they conflict.
absl::StatusOr<PartialShape> MergeShapes(const PartialShape& a, const PartialShape& b) {
  if (a.unknown_rank()) return b;
  if (b.unknown_rank()) return a;
  if (a.rank() != b.rank()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Shapes ", a.ToString(), " and ", b.ToString(), " are not compatible"));
  }
  std::vector<int64_t> dims(a.rank());
  for (int i = 0; i < a.rank(); ++i) {
    const int64_t x = a.dim(i), y = b.dim(i);
    if (x >= 0 && y >= 0 && x != y) {
      return absl::InvalidArgumentError(
          absl::StrCat("Shapes ", a.ToString(), " and ", b.ToString(), " are not compatible"));
    }
    dims[i] = x >= 0 ? x : y;
  }
  return PartialShape(absl::Span<const int64_t>(dims));
}

TensorShape ToTensorShape(const PartialShape& p) {  // p fully defined
  return TensorShape(p.dims());
}

// Copies every element of `src` into `dst` starting at element `offset`.
void CopyElements(const Tensor& src, Tensor* dst, int64_t offset) {
  const int64_t n = src.NumElements();
  switch (src.dtype()) {
    case DType::kString:
      std::copy(src.data<std::string>(), src.data<std::string>() + n,
                dst->data<std::string>() + offset);
      break;
    case DType::kResource:
      std::copy(src.data<ResourceHandle>(), src.data<ResourceHandle>() + n,
                dst->data<ResourceHandle>() + offset);
      break;
    case DType::kVariant:
      std::copy(src.data<Variant>(), src.data<Variant>() + n, dst->data<Variant>() + offset);
      break;
    default:
      if (n > 0) {
        std::memcpy(static_cast<char*>(dst->raw_data()) + offset * DTypeSize(src.dtype()),
                    src.raw_data(), src.TotalBytes());
      }
  }
}

// Row i of `t` (along dimension 0) as its own tensor (sharing the buffer).
absl::StatusOr<Tensor> Row(const Tensor& t, int64_t begin, int64_t end) {
  return t.Slice(begin, end);
}

class TensorArray {
 public:
  TensorArray(std::string name, DType dtype, PartialShape element_shape, int64_t size,
              bool dynamic_size, bool clear_after_read, bool identical_element_shapes)
      : name_(std::move(name)),
        dtype_(dtype),
        element_shape_(std::move(element_shape)),
        dynamic_size_(dynamic_size),
        clear_after_read_(clear_after_read),
        identical_element_shapes_(identical_element_shapes),
        elements_(static_cast<size_t>(size)) {}

  const std::string& name() const { return name_; }
  DType dtype() const { return dtype_; }

  absl::Status Write(int64_t index, const Tensor& value) {
    std::lock_guard<std::mutex> l(mu_);
    return LockedWrite(index, value);
  }
  // Writes rows [begin_i, end_i) of `value` at indices[i] (reshaped to elem_shapes[i]).
  absl::Status WriteMany(const std::vector<int64_t>& indices, const std::vector<Tensor>& values) {
    std::lock_guard<std::mutex> l(mu_);
    for (size_t i = 0; i < indices.size(); ++i) {
      TFM_RETURN_IF_ERROR(LockedWrite(indices[i], values[i]));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<Tensor> Read(int64_t index) {
    std::lock_guard<std::mutex> l(mu_);
    return LockedRead(index);
  }
  absl::StatusOr<std::vector<Tensor>> ReadMany(const std::vector<int64_t>& indices) {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<Tensor> out;
    out.reserve(indices.size());
    for (int64_t i : indices) {
      TFM_ASSIGN_OR_RETURN(Tensor t, LockedRead(i));
      out.push_back(std::move(t));
    }
    return out;
  }
  // All elements in order (for Concat).
  absl::StatusOr<std::vector<Tensor>> ReadAll() {
    int64_t n;
    {
      std::lock_guard<std::mutex> l(mu_);
      TFM_RETURN_IF_ERROR(CheckOpen());
      n = static_cast<int64_t>(elements_.size());
    }
    std::vector<int64_t> idx(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) idx[i] = i;
    return ReadMany(idx);
  }
  absl::StatusOr<int64_t> Size() {
    std::lock_guard<std::mutex> l(mu_);
    TFM_RETURN_IF_ERROR(CheckOpen());
    return static_cast<int64_t>(elements_.size());
  }
  bool dynamic_size() const { return dynamic_size_; }
  // Merges `shape` into the element shape (Gather/Concat pass their attr).
  absl::Status MergeElementShape(const PartialShape& shape) {
    std::lock_guard<std::mutex> l(mu_);
    auto merged = MergeShapes(element_shape_, shape);
    if (!merged.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "TensorArray ", name_, ": element shape ", shape.ToString(),
          " is incompatible with the TensorArray's element shape ", element_shape_.ToString()));
    }
    element_shape_ = *merged;
    return absl::OkStatus();
  }
  PartialShape element_shape() {
    std::lock_guard<std::mutex> l(mu_);
    return element_shape_;
  }
  void Close() {
    std::lock_guard<std::mutex> l(mu_);
    elements_.clear();
    closed_ = true;
  }

 private:
  struct Element {
    Tensor tensor;
    TensorShape shape;
    bool written = false;
    bool read = false;
    bool cleared = false;
  };

  absl::Status CheckOpen() const {
    if (closed_) {
      return absl::InvalidArgumentError(
          absl::StrCat("TensorArray ", name_, " has already been closed."));
    }
    return absl::OkStatus();
  }

  absl::Status LockedWrite(int64_t index, const Tensor& value) {
    TFM_RETURN_IF_ERROR(CheckOpen());
    if (index < 0 || (!dynamic_size_ && index >= static_cast<int64_t>(elements_.size()))) {
      return absl::InvalidArgumentError(
          absl::StrCat("TensorArray ", name_, ": Tried to write to index ", index,
                       " but array is not resizeable and size is: ", elements_.size()));
    }
    if (index >= kMaxElements) {
      return absl::InvalidArgumentError(
          absl::StrCat("TensorArray ", name_, ": Tried to write to index ", index,
                       ", beyond tfmodel's limit of ", kMaxElements, " elements"));
    }
    if (index >= static_cast<int64_t>(elements_.size())) {
      elements_.resize(static_cast<size_t>(index) + 1);
    }
    Element& e = elements_[static_cast<size_t>(index)];
    if (value.dtype() != dtype_) {
      return absl::InvalidArgumentError(
          absl::StrCat("TensorArray ", name_, ": Could not write to TensorArray index ", index,
                       " because the value dtype is ", DTypeName(value.dtype()),
                       " but TensorArray dtype is ", DTypeName(dtype_), "."));
    }
    if (!element_shape_.IsCompatibleWith(value.shape())) {
      return absl::InvalidArgumentError(
          absl::StrCat("TensorArray ", name_, ": Could not write to TensorArray index ", index,
                       " because the value shape is ", value.shape().ToString(),
                       " which is incompatible with the TensorArray's inferred element shape: ",
                       element_shape_.ToString(), " (consider setting infer_shape=False)."));
    }
    if (identical_element_shapes_ && !element_shape_.IsFullyDefined()) {
      element_shape_ = PartialShape::FromShape(value.shape());
    }
    if (e.read) {
      return absl::InvalidArgumentError(absl::StrCat("TensorArray ", name_,
                                                     ": Could not write to TensorArray index ",
                                                     index, " because it has already been read."));
    }
    if (e.written) {
      return absl::InvalidArgumentError(
          absl::StrCat("TensorArray ", name_, ": Could not write to TensorArray index ", index,
                       " because it has already been written to."));
    }
    e.tensor = value;
    e.shape = value.shape();
    e.written = true;
    return absl::OkStatus();
  }

  absl::StatusOr<Tensor> LockedRead(int64_t index) {
    TFM_RETURN_IF_ERROR(CheckOpen());
    if (index < 0 || index >= static_cast<int64_t>(elements_.size())) {
      return absl::InvalidArgumentError(absl::StrCat("TensorArray ", name_,
                                                     ": Tried to read from index ", index,
                                                     " but array size is: ", elements_.size()));
    }
    Element& e = elements_[static_cast<size_t>(index)];
    if (!e.written) {
      if (!element_shape_.IsFullyDefined()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "TensorArray ", name_, ": Could not read from TensorArray index ", index,
            ".  Furthermore, the element shape is not fully defined: ", element_shape_.ToString(),
            ".  It is possible you are working with a resizeable TensorArray and stop_gradients "
            "is not allowing the gradients to be written.  If you set the full element_shape "
            "property on the forward TensorArray, the proper all-zeros tensor will be returned "
            "instead of incurring this error."));
      }
      e.shape = ToTensorShape(element_shape_);
      e.tensor = Tensor(dtype_, e.shape);  // zeros
      e.written = true;
    }
    if (e.cleared) {
      return absl::InvalidArgumentError(
          absl::StrCat("TensorArray ", name_, ": Could not read index ", index,
                       " twice because it was cleared after a previous read (perhaps try setting "
                       "clear_after_read = false?)."));
    }
    Tensor out = e.tensor;
    if (clear_after_read_) {
      e.tensor = Tensor();
      e.cleared = true;
    }
    e.read = true;
    return out;
  }

  const std::string name_;
  const DType dtype_;
  std::mutex mu_;
  PartialShape element_shape_;
  const bool dynamic_size_;
  const bool clear_after_read_;
  const bool identical_element_shapes_;
  bool closed_ = false;
  std::vector<Element> elements_;
};

// The TensorArray behind input 0.
absl::StatusOr<std::shared_ptr<TensorArray>> GetArray(KernelContext* ctx) {
  const Tensor& t = ctx->input(0);
  if (t.dtype() != DType::kResource || t.NumElements() != 1) {
    return ctx->Error(absl::StrCat("input 0 must be a TensorArray handle (resource scalar), got ",
                                   DTypeName(t.dtype()), " ", t.shape().ToString()));
  }
  const ResourceHandle& h = t.flat<ResourceHandle>()[0];
  if (h.type_name != kTensorArrayTypeName || !h.resource) {
    return ctx->Error(absl::StrCat("input 0 is a handle to '", h.name, "' of type '", h.type_name,
                                   "', not a TensorArray"));
  }
  return std::static_pointer_cast<TensorArray>(h.resource);
}

absl::Status Annotated(KernelContext* ctx, const absl::Status& s) {
  if (s.ok()) return s;
  return absl::Status(
      s.code(), absl::StrCat("node '", ctx->node_name(), "' (", ctx->op(), "): ", s.message()));
}

absl::StatusOr<int64_t> ScalarIndex(KernelContext* ctx, int i, absl::string_view what) {
  const Tensor& t = ctx->input(i);
  if (t.dtype() != DType::kInt32 || t.rank() != 0) {
    return ctx->Error(absl::StrCat(what, " must be an int32 scalar, got ", DTypeName(t.dtype()),
                                   " ", t.shape().ToString()));
  }
  return static_cast<int64_t>(t.scalar<int32_t>());
}

absl::StatusOr<std::vector<int64_t>> IndexVector(KernelContext* ctx, int i) {
  const Tensor& t = ctx->input(i);
  if (t.dtype() != DType::kInt32 || t.rank() != 1) {
    return ctx->Error(absl::StrCat("indices must be an int32 vector, got ", DTypeName(t.dtype()),
                                   " ", t.shape().ToString()));
  }
  std::vector<int64_t> v(static_cast<size_t>(t.NumElements()));
  for (int64_t k = 0; k < t.NumElements(); ++k) v[k] = t.data<int32_t>()[k];
  return v;
}

// Flow outputs pass the flow input through (its value carries no meaning).
void SetFlow(KernelContext* ctx, int flow_input, int output) {
  if (flow_input < ctx->num_inputs() && ctx->input(flow_input).dtype() == DType::kFloat) {
    ctx->set_output(output, ctx->input(flow_input));
  } else {
    ctx->set_output(output, Tensor::Scalar<float>(0.0f));
  }
}

absl::Status CheckInputs(const KernelInit& init, int n) {
  if (init.num_inputs() != n) {
    return init.Error(absl::StrCat("expected ", n, " inputs, got ", init.num_inputs()));
  }
  return absl::OkStatus();
}

absl::Status CheckDType(KernelContext* ctx, const TensorArray& ta, DType want) {
  if (ta.dtype() != want) {
    return ctx->Error(absl::StrCat("TensorArray dtype is ", DTypeName(ta.dtype()),
                                   " but Op requested dtype ", DTypeName(want), "."));
  }
  return absl::OkStatus();
}

// ---- kernels

Result MakeTensorArrayV3(const KernelInit& init) {
  TFM_RETURN_IF_ERROR(CheckInputs(init, 1));
  DType dtype;
  TFM_RETURN_IF_ERROR(init.GetAttr("dtype", &dtype));
  PartialShape element_shape;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("element_shape", &element_shape));
  bool dynamic_size = false, clear_after_read = true, identical = false;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("dynamic_size", &dynamic_size));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("clear_after_read", &clear_after_read));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("identical_element_shapes", &identical));
  std::string base;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("tensor_array_name", &base));
  if (base.empty()) base = init.name();
  return MakeKernel([=](KernelContext* ctx) -> absl::Status {
    const Tensor& size = ctx->input(0);
    if (size.dtype() != DType::kInt32 || size.rank() != 0) {
      return ctx->Error(absl::StrCat("TensorArray size must be an int32 scalar, but had shape: ",
                                     size.shape().ToString()));
    }
    const int64_t n = size.scalar<int32_t>();
    if (n < 0) return ctx->Error(absl::StrCat("Size should be >= 0, got ", n));
    if (n > kMaxElements) {
      return ctx->Error(absl::StrCat("TensorArray size ", n, " is beyond tfmodel's limit of ",
                                     kMaxElements, " elements"));
    }
    std::string name = absl::StrCat(base, "_", g_tensor_array_counter.fetch_add(1));
    auto ta = std::make_shared<TensorArray>(name, dtype, element_shape, n, dynamic_size,
                                            clear_after_read, identical);
    Tensor handle(DType::kResource, TensorShape{});
    ResourceHandle& h = handle.scalar<ResourceHandle>();
    h.device = "/job:localhost/replica:0/task:0/device:CPU:0";
    h.container = "_tensor_arrays";
    h.name = name;
    h.type_name = kTensorArrayTypeName;
    h.resource = std::move(ta);
    ctx->set_output(0, std::move(handle));
    ctx->set_output(1, Tensor::Scalar<float>(0.0f));
    return absl::OkStatus();
  });
}

// TensorArrayWriteV3(handle, index, value, flow_in) -> flow_out
Result MakeWrite(const KernelInit& init) {
  TFM_RETURN_IF_ERROR(CheckInputs(init, 4));
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    TFM_ASSIGN_OR_RETURN(auto ta, GetArray(ctx));
    TFM_ASSIGN_OR_RETURN(int64_t index, ScalarIndex(ctx, 1, "index"));
    TFM_RETURN_IF_ERROR(Annotated(ctx, ta->Write(index, ctx->input(2))));
    SetFlow(ctx, 3, 0);
    return absl::OkStatus();
  });
}

// TensorArrayReadV3(handle, index, flow_in) -> value
Result MakeRead(const KernelInit& init) {
  TFM_RETURN_IF_ERROR(CheckInputs(init, 3));
  DType dtype;
  TFM_RETURN_IF_ERROR(init.GetAttr("dtype", &dtype));
  return MakeKernel([dtype](KernelContext* ctx) -> absl::Status {
    TFM_ASSIGN_OR_RETURN(auto ta, GetArray(ctx));
    TFM_RETURN_IF_ERROR(CheckDType(ctx, *ta, dtype));
    TFM_ASSIGN_OR_RETURN(int64_t index, ScalarIndex(ctx, 1, "index"));
    auto v = ta->Read(index);
    if (!v.ok()) return Annotated(ctx, v.status());
    ctx->set_output(0, std::move(*v));
    return absl::OkStatus();
  });
}

// Stacks equally shaped elements into [n] + shape.
absl::StatusOr<Tensor> Stack(KernelContext* ctx, DType dtype, const std::vector<Tensor>& values,
                             const PartialShape& element_shape) {
  if (values.empty()) {
    if (!element_shape.IsFullyDefined()) {
      return ctx->Error(absl::StrCat(
          "TensorArray has size zero, but element shape ", element_shape.ToString(),
          " is not fully defined. Currently only static shapes are supported when packing "
          "zero-size TensorArrays."));
    }
    TensorShape s = ToTensorShape(element_shape);
    s.InsertDim(0, 0);
    return Tensor(dtype, s);
  }
  const TensorShape& first = values[0].shape();
  for (size_t i = 1; i < values.size(); ++i) {
    if (values[i].shape() != first) {
      return ctx->Error(absl::StrCat(
          "TensorArray has inconsistent shapes.  Index 0 has shape: ", first.ToString(),
          " but index ", i, " has shape: ", values[i].shape().ToString()));
    }
  }
  TensorShape s = first;
  s.InsertDim(0, static_cast<int64_t>(values.size()));
  TFM_ASSIGN_OR_RETURN(Tensor out, Tensor::Create(dtype, s));
  const int64_t per = first.NumElements();
  for (size_t i = 0; i < values.size(); ++i) {
    CopyElements(values[i], &out, static_cast<int64_t>(i) * per);
  }
  return out;
}

// TensorArrayGatherV3(handle, indices, flow_in) -> value
Result MakeGather(const KernelInit& init) {
  TFM_RETURN_IF_ERROR(CheckInputs(init, 3));
  DType dtype;
  TFM_RETURN_IF_ERROR(init.GetAttr("dtype", &dtype));
  PartialShape element_shape;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("element_shape", &element_shape));
  return MakeKernel([dtype, element_shape](KernelContext* ctx) -> absl::Status {
    TFM_ASSIGN_OR_RETURN(auto ta, GetArray(ctx));
    TFM_RETURN_IF_ERROR(CheckDType(ctx, *ta, dtype));
    TFM_RETURN_IF_ERROR(Annotated(ctx, ta->MergeElementShape(element_shape)));
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> indices, IndexVector(ctx, 1));
    auto values = ta->ReadMany(indices);
    if (!values.ok()) return Annotated(ctx, values.status());
    TFM_ASSIGN_OR_RETURN(Tensor out, Stack(ctx, dtype, *values, ta->element_shape()));
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

// TensorArrayScatterV3(handle, indices, value, flow_in) -> flow_out
Result MakeScatter(const KernelInit& init) {
  TFM_RETURN_IF_ERROR(CheckInputs(init, 4));
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    TFM_ASSIGN_OR_RETURN(auto ta, GetArray(ctx));
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> indices, IndexVector(ctx, 1));
    const Tensor& value = ctx->input(2);
    if (value.dtype() != ta->dtype()) {
      return ctx->Error(absl::StrCat("TensorArray dtype is ", DTypeName(ta->dtype()),
                                     " but Op is trying to write dtype ", DTypeName(value.dtype()),
                                     "."));
    }
    if (value.rank() < 1) {
      return ctx->Error(absl::StrCat("Input value must be at least a vector but received shape: ",
                                     value.shape().ToString()));
    }
    if (static_cast<int64_t>(indices.size()) != value.dim(0)) {
      return ctx->Error(absl::StrCat("Expected len(indices) == values.shape[0], but saw: ",
                                     indices.size(), " vs. ", value.dim(0)));
    }
    TensorShape elem = value.shape();
    elem.RemoveDim(0);
    std::vector<Tensor> rows;
    rows.reserve(indices.size());
    for (size_t i = 0; i < indices.size(); ++i) {
      TFM_ASSIGN_OR_RETURN(Tensor r, Row(value, static_cast<int64_t>(i), i + 1));
      TFM_ASSIGN_OR_RETURN(Tensor e, r.Reshaped(elem));
      rows.push_back(std::move(e));
    }
    TFM_RETURN_IF_ERROR(Annotated(ctx, ta->WriteMany(indices, rows)));
    SetFlow(ctx, 3, 0);
    return absl::OkStatus();
  });
}

// TensorArrayConcatV3(handle, flow_in) -> value, lengths
Result MakeConcat(const KernelInit& init) {
  TFM_RETURN_IF_ERROR(CheckInputs(init, 2));
  DType dtype;
  TFM_RETURN_IF_ERROR(init.GetAttr("dtype", &dtype));
  PartialShape except0;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("element_shape_except0", &except0));
  return MakeKernel([dtype, except0](KernelContext* ctx) -> absl::Status {
    TFM_ASSIGN_OR_RETURN(auto ta, GetArray(ctx));
    TFM_RETURN_IF_ERROR(CheckDType(ctx, *ta, dtype));
    auto values = ta->ReadAll();
    if (!values.ok()) return Annotated(ctx, values.status());
    const std::vector<Tensor>& v = *values;
    Tensor lengths(DType::kInt64, TensorShape{static_cast<int64_t>(v.size())});
    if (v.empty()) {
      if (!except0.IsFullyDefined()) {
        return ctx->Error(absl::StrCat(
            "TensorArray has size zero, but element_shape_except0 ", except0.ToString(),
            " is not fully defined. Currently only static shapes are supported when "
            "concatenating zero-size TensorArrays."));
      }
      TensorShape s = ToTensorShape(except0);
      s.InsertDim(0, 0);
      ctx->set_output(0, Tensor(dtype, s));
      ctx->set_output(1, std::move(lengths));
      return absl::OkStatus();
    }
    TensorShape rest;
    int64_t total = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i].rank() == 0) {
        return ctx->Error(absl::StrCat(
            "Concat saw a scalar shape at index ", i,
            " but requires at least vectors.  Did you mean to call TensorArray.stack instead?"));
      }
      TensorShape r = v[i].shape();
      r.RemoveDim(0);
      if (i == 0) {
        rest = r;
      } else if (r != rest) {
        return ctx->Error(absl::StrCat(
            "TensorArray has inconsistent shapes.  Index 0 has (excepting dimension 0) shape: ",
            rest.ToString(), " but index ", i,
            " has (excepting dimension 0) shape: ", r.ToString()));
      }
      lengths.data<int64_t>()[i] = v[i].dim(0);
      total += v[i].dim(0);
    }
    TensorShape s = rest;
    s.InsertDim(0, total);
    TFM_ASSIGN_OR_RETURN(Tensor out, Tensor::Create(dtype, s));
    int64_t offset = 0;
    for (const Tensor& t : v) {
      CopyElements(t, &out, offset);
      offset += t.NumElements();
    }
    ctx->set_output(0, std::move(out));
    ctx->set_output(1, std::move(lengths));
    return absl::OkStatus();
  });
}

// TensorArraySplitV3(handle, value, lengths, flow_in) -> flow_out
Result MakeSplit(const KernelInit& init) {
  TFM_RETURN_IF_ERROR(CheckInputs(init, 4));
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    TFM_ASSIGN_OR_RETURN(auto ta, GetArray(ctx));
    const Tensor& value = ctx->input(1);
    const Tensor& lengths = ctx->input(2);
    if (value.dtype() != ta->dtype()) {
      return ctx->Error(absl::StrCat("TensorArray dtype is ", DTypeName(ta->dtype()),
                                     " but Op is trying to write dtype ", DTypeName(value.dtype()),
                                     "."));
    }
    if (value.rank() < 1) {
      return ctx->Error(absl::StrCat("Expected value to be at least a vector, but received shape: ",
                                     value.shape().ToString()));
    }
    if (lengths.dtype() != DType::kInt64 || lengths.rank() != 1) {
      return ctx->Error(absl::StrCat("Expected lengths to be an int64 vector, received ",
                                     DTypeName(lengths.dtype()), " ", lengths.shape().ToString()));
    }
    const int64_t n = lengths.NumElements();
    int64_t sum = 0;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t len = lengths.data<int64_t>()[i];
      if (len < 0 || len > value.dim(0)) {
        return ctx->Error(absl::StrCat("lengths[", i, "] = ", len, " is out of range for value ",
                                       value.shape().ToString()));
      }
      sum += len;
    }
    if (sum != value.dim(0)) {
      return ctx->Error(absl::StrCat(
          "Expected sum of lengths to be equal to values.shape[0], but sum of lengths is: ", sum,
          " and value's shape is: ", value.shape().ToString()));
    }
    TFM_ASSIGN_OR_RETURN(int64_t size, ta->Size());
    if (!ta->dynamic_size() && size != n) {
      return ctx->Error(absl::StrCat("TensorArray's size is not equal to the size of lengths (", n,
                                     " vs. ", size,
                                     "), and the TensorArray is not marked as dynamically "
                                     "resizeable"));
    }
    std::vector<int64_t> indices(static_cast<size_t>(n));
    std::vector<Tensor> parts;
    parts.reserve(static_cast<size_t>(n));
    int64_t begin = 0;
    for (int64_t i = 0; i < n; ++i) {
      indices[i] = i;
      const int64_t len = lengths.data<int64_t>()[i];
      TFM_ASSIGN_OR_RETURN(Tensor part, Row(value, begin, begin + len));
      parts.push_back(std::move(part));
      begin += len;
    }
    TFM_RETURN_IF_ERROR(Annotated(ctx, ta->WriteMany(indices, parts)));
    SetFlow(ctx, 3, 0);
    return absl::OkStatus();
  });
}

// TensorArraySizeV3(handle, flow_in) -> size
Result MakeSize(const KernelInit& init) {
  TFM_RETURN_IF_ERROR(CheckInputs(init, 2));
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    TFM_ASSIGN_OR_RETURN(auto ta, GetArray(ctx));
    auto n = ta->Size();
    if (!n.ok()) return Annotated(ctx, n.status());
    ctx->set_output(0, Tensor::Scalar<int32_t>(static_cast<int32_t>(*n)));
    return absl::OkStatus();
  });
}

// TensorArrayCloseV3(handle)
Result MakeClose(const KernelInit& init) {
  TFM_RETURN_IF_ERROR(CheckInputs(init, 1));
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    TFM_ASSIGN_OR_RETURN(auto ta, GetArray(ctx));
    ta->Close();
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterTensorArrayKernels(KernelRegistry& r) {
  r.Register("TensorArrayV3", MakeTensorArrayV3);
  r.Register("TensorArrayWriteV3", MakeWrite);
  r.Register("TensorArrayReadV3", MakeRead);
  r.Register("TensorArrayGatherV3", MakeGather);
  r.Register("TensorArrayScatterV3", MakeScatter);
  r.Register("TensorArrayConcatV3", MakeConcat);
  r.Register("TensorArraySplitV3", MakeSplit);
  r.Register("TensorArraySizeV3", MakeSize);
  r.Register("TensorArrayCloseV3", MakeClose);
}

}  // namespace tfmodel::runtime
