// Resource operators over the model's ResourceStore (tflite/resources.h), as TFLite's
// hashtable and resource-variable kernels define them:
// - HASHTABLE() -> handle: the table HashtableOptions.table_id names (created on first use).
// - HASHTABLE_IMPORT(handle, keys, values): fills the table; only the first import counts.
// - HASHTABLE_FIND(handle, keys, default) -> values shaped like keys (default's first
//   element for missing keys).
// - HASHTABLE_SIZE(handle) -> int64 [1].
// - VAR_HANDLE() -> handle of the variable VarHandleOptions (container, shared_name) names.
// - ASSIGN_VARIABLE(handle, value); READ_VARIABLE(handle) -> value.
// A handle is a [1] resource tensor (or int32, as older files declare it) holding the id.
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "tflite/ops/ops.h"
#include "tflite/resources.h"

namespace tfmodel::tflite {
namespace {

constexpr char kHandleKind[] = "tflite";

struct ResourceState : OpState {
  std::shared_ptr<ResourceStore> store;
  int32_t id = 0;                       // HASHTABLE / VAR_HANDLE: the id they hand out
  DType handle_type = DType::kInvalid;  // HASHTABLE / VAR_HANDLE: kResource or kInt32
};

Tensor HandleTensor(int32_t id, DType type) {
  if (type == DType::kInt32) return Tensor::FromVector<int32_t>({id});
  Tensor t(DType::kResource, TensorShape{1});
  ResourceHandle& h = t.data<ResourceHandle>()[0];
  h.container = kHandleKind;
  h.name = absl::StrCat(id);
  return t;
}

absl::StatusOr<int32_t> HandleId(const Tensor& t) {
  if (t.NumElements() == 1 && t.dtype() == DType::kInt32) return t.data<int32_t>()[0];
  int32_t id = 0;
  if (t.NumElements() == 1 && t.dtype() == DType::kResource &&
      t.data<ResourceHandle>()[0].container == kHandleKind &&
      absl::SimpleAtoi(t.data<ResourceHandle>()[0].name, &id)) {
    return id;
  }
  return absl::InvalidArgumentError(absl::StrCat("expected a resource handle of one element, got ",
                                                 DTypeName(t.dtype()), " ", t.shape().ToString()));
}

absl::Status CheckHandleType(const OpBuilder& b, DType t, const char* what) {
  if (t != DType::kResource && t != DType::kInt32) {
    return b.Error(
        absl::StrCat(what, " is ", DTypeName(t), "; a resource handle is resource or int32"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<LookupTable>> TableOf(const ResourceState& s, const Tensor& h) {
  TFM_ASSIGN_OR_RETURN(int32_t id, HandleId(h));
  return s.store->FindTable(id);
}

std::shared_ptr<ResourceState> WithStore(const OpBuilder& b) {
  auto s = std::make_shared<ResourceState>();
  s->store = b.resources();
  return s;
}

}  // namespace

PrepareResult PrepareHashtable(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(0, 1));
  const auto* o = b.op().builtin_options_as_HashtableOptions();
  if (!o) return b.Error("HashtableOptions are missing");
  TFM_RETURN_IF_ERROR(CheckHandleType(b, b.output_type(0), "output 0"));
  absl::StatusOr<DType> key = DTypeFromTfLite(o->key_dtype());
  absl::StatusOr<DType> value = DTypeFromTfLite(o->value_dtype());
  if (!key.ok() || !value.ok() || !IsLookupKeyType(*key) || !IsLookupValueType(*value)) {
    return b.Unsupported(absl::StrCat(
        "hash tables map int32, int64 or string keys to int32, int64, float32 or string values; "
        "this one maps ",
        TfLiteTypeName(o->key_dtype()), " to ", TfLiteTypeName(o->value_dtype())));
  }
  auto s = WithStore(b);
  s->id = o->table_id();
  s->handle_type = b.output_type(0);
  absl::StatusOr<std::shared_ptr<LookupTable>> table = s->store->Table(s->id, *key, *value);
  if (!table.ok()) return b.Error(std::string(table.status().message()));
  return s;
}

absl::Status EvalHandle(const OpState& state, const std::vector<const Tensor*>&,
                        std::vector<Tensor>* out) {
  const auto& s = static_cast<const ResourceState&>(state);
  (*out)[0] = HandleTensor(s.id, s.handle_type);
  return absl::OkStatus();
}

PrepareResult PrepareHashtableImport(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(3, 0));
  TFM_RETURN_IF_ERROR(CheckHandleType(b, b.input_type(0), "input 0"));
  return WithStore(b);
}

absl::Status EvalHashtableImport(const OpState& state, const std::vector<const Tensor*>& in,
                                 std::vector<Tensor>*) {
  const auto& s = static_cast<const ResourceState&>(state);
  TFM_ASSIGN_OR_RETURN(std::shared_ptr<LookupTable> table, TableOf(s, *in[0]));
  return table->Import(*in[1], *in[2]);
}

PrepareResult PrepareHashtableFind(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(3, 1));
  TFM_RETURN_IF_ERROR(CheckHandleType(b, b.input_type(0), "input 0"));
  if (b.output_type(0) != b.input_type(2)) {
    return b.Error(absl::StrCat("output is ", DTypeName(b.output_type(0)),
                                " but the default value is ", DTypeName(b.input_type(2))));
  }
  return WithStore(b);
}

absl::Status EvalHashtableFind(const OpState& state, const std::vector<const Tensor*>& in,
                               std::vector<Tensor>* out) {
  const auto& s = static_cast<const ResourceState&>(state);
  TFM_ASSIGN_OR_RETURN(std::shared_ptr<LookupTable> table, TableOf(s, *in[0]));
  TFM_ASSIGN_OR_RETURN((*out)[0], table->Find(*in[1], *in[2]));
  return absl::OkStatus();
}

PrepareResult PrepareHashtableSize(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(1, 1));
  TFM_RETURN_IF_ERROR(CheckHandleType(b, b.input_type(0), "input 0"));
  if (b.output_type(0) != DType::kInt64) {
    return b.Error(absl::StrCat("output is ", DTypeName(b.output_type(0)), ", expected int64"));
  }
  return WithStore(b);
}

absl::Status EvalHashtableSize(const OpState& state, const std::vector<const Tensor*>& in,
                               std::vector<Tensor>* out) {
  const auto& s = static_cast<const ResourceState&>(state);
  TFM_ASSIGN_OR_RETURN(std::shared_ptr<LookupTable> table, TableOf(s, *in[0]));
  (*out)[0] = Tensor::FromVector<int64_t>({table->size()});
  return absl::OkStatus();
}

PrepareResult PrepareVarHandle(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(0, 1));
  TFM_RETURN_IF_ERROR(CheckHandleType(b, b.output_type(0), "output 0"));
  const auto* o = b.op().builtin_options_as_VarHandleOptions();
  auto s = WithStore(b);
  // Without options every VAR_HANDLE names the variable ("", "").
  const std::string container = o && o->container() ? o->container()->str() : "";
  const std::string shared_name = o && o->shared_name() ? o->shared_name()->str() : "";
  s->id = s->store->VariableId(container, shared_name);
  s->handle_type = b.output_type(0);
  return s;
}

PrepareResult PrepareAssignVariable(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(2, 0));
  TFM_RETURN_IF_ERROR(CheckHandleType(b, b.input_type(0), "input 0"));
  return WithStore(b);
}

absl::Status EvalAssignVariable(const OpState& state, const std::vector<const Tensor*>& in,
                                std::vector<Tensor>*) {
  const auto& s = static_cast<const ResourceState&>(state);
  TFM_ASSIGN_OR_RETURN(int32_t id, HandleId(*in[0]));
  return s.store->AssignVariable(id, *in[1]);
}

PrepareResult PrepareReadVariable(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(1, 1));
  TFM_RETURN_IF_ERROR(CheckHandleType(b, b.input_type(0), "input 0"));
  return WithStore(b);
}

absl::Status EvalReadVariable(const OpState& state, const std::vector<const Tensor*>& in,
                              std::vector<Tensor>* out) {
  const auto& s = static_cast<const ResourceState&>(state);
  TFM_ASSIGN_OR_RETURN(int32_t id, HandleId(*in[0]));
  TFM_ASSIGN_OR_RETURN((*out)[0], s.store->ReadVariable(id));
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite
