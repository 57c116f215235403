#include "runtime/kernel.h"

#include "format/tensor_proto.h"
#include "runtime/kernels/register_all.h"

namespace tfmodel::runtime {
namespace {

using tensorflow::AttrValue;

absl::Status AttrTypeError(const KernelInit& init, absl::string_view attr, absl::string_view want) {
  return init.Error(absl::StrCat("attr '", attr, "' is not of type ", want));
}

}  // namespace

bool KernelInit::HasAttr(absl::string_view attr) const { return FindAttr(attr) != nullptr; }

const AttrValue* KernelInit::FindAttr(absl::string_view attr) const {
  auto it = node_.attr().find(std::string(attr));
  return it == node_.attr().end() ? nullptr : &it->second;
}

absl::Status KernelInit::Error(absl::string_view msg) const {
  return absl::InvalidArgumentError(absl::StrCat("node '", name(), "' (", op(), "): ", msg));
}

#define TFM_FIND_ATTR_(a)              \
  const AttrValue* a = FindAttr(attr); \
  if (a == nullptr) return Error(absl::StrCat("missing attr '", attr, "'"))

absl::Status KernelInit::GetAttr(absl::string_view attr, std::string* v) const {
  TFM_FIND_ATTR_(a);
  if (a->value_case() != AttrValue::kS) return AttrTypeError(*this, attr, "string");
  *v = a->s();
  return absl::OkStatus();
}

absl::Status KernelInit::GetAttr(absl::string_view attr, int64_t* v) const {
  TFM_FIND_ATTR_(a);
  if (a->value_case() != AttrValue::kI) return AttrTypeError(*this, attr, "int");
  *v = a->i();
  return absl::OkStatus();
}

absl::Status KernelInit::GetAttr(absl::string_view attr, int32_t* v) const {
  int64_t x;
  TFM_RETURN_IF_ERROR(GetAttr(attr, &x));
  if (x < INT32_MIN || x > INT32_MAX)
    return Error(absl::StrCat("attr '", attr, "' out of int32 range"));
  *v = static_cast<int32_t>(x);
  return absl::OkStatus();
}

absl::Status KernelInit::GetAttr(absl::string_view attr, float* v) const {
  TFM_FIND_ATTR_(a);
  if (a->value_case() != AttrValue::kF) return AttrTypeError(*this, attr, "float");
  *v = a->f();
  return absl::OkStatus();
}

absl::Status KernelInit::GetAttr(absl::string_view attr, bool* v) const {
  TFM_FIND_ATTR_(a);
  if (a->value_case() != AttrValue::kB) return AttrTypeError(*this, attr, "bool");
  *v = a->b();
  return absl::OkStatus();
}

absl::Status KernelInit::GetAttr(absl::string_view attr, DType* v) const {
  TFM_FIND_ATTR_(a);
  if (a->value_case() != AttrValue::kType) return AttrTypeError(*this, attr, "type");
  if (!DTypeIsValid(a->type()))
    return Error(absl::StrCat("attr '", attr, "' has invalid dtype ", a->type()));
  *v = BaseDType(a->type());
  return absl::OkStatus();
}

absl::Status KernelInit::GetAttr(absl::string_view attr, PartialShape* v) const {
  TFM_FIND_ATTR_(a);
  if (a->value_case() != AttrValue::kShape) return AttrTypeError(*this, attr, "shape");
  *v = PartialShapeFromProto(a->shape());
  return absl::OkStatus();
}

absl::Status KernelInit::GetAttr(absl::string_view attr, Tensor* v) const {
  TFM_FIND_ATTR_(a);
  if (a->value_case() != AttrValue::kTensor) return AttrTypeError(*this, attr, "tensor");
  auto t = TensorFromProto(a->tensor());
  if (!t.ok()) return Error(absl::StrCat("attr '", attr, "': ", t.status().message()));
  *v = std::move(*t);
  return absl::OkStatus();
}

#define TFM_LIST_ATTR_(a)                                                                 \
  TFM_FIND_ATTR_(a);                                                                      \
  if (a->value_case() != AttrValue::kList && a->value_case() != AttrValue::VALUE_NOT_SET) \
  return AttrTypeError(*this, attr, "list")

absl::Status KernelInit::GetAttr(absl::string_view attr, std::vector<int64_t>* v) const {
  TFM_LIST_ATTR_(a);
  v->assign(a->list().i().begin(), a->list().i().end());
  return absl::OkStatus();
}

absl::Status KernelInit::GetAttr(absl::string_view attr, std::vector<int32_t>* v) const {
  TFM_LIST_ATTR_(a);
  v->clear();
  for (int64_t x : a->list().i()) v->push_back(static_cast<int32_t>(x));
  return absl::OkStatus();
}

absl::Status KernelInit::GetAttr(absl::string_view attr, std::vector<float>* v) const {
  TFM_LIST_ATTR_(a);
  v->assign(a->list().f().begin(), a->list().f().end());
  return absl::OkStatus();
}

absl::Status KernelInit::GetAttr(absl::string_view attr, std::vector<std::string>* v) const {
  TFM_LIST_ATTR_(a);
  v->assign(a->list().s().begin(), a->list().s().end());
  return absl::OkStatus();
}

absl::Status KernelInit::GetAttr(absl::string_view attr, std::vector<DType>* v) const {
  TFM_LIST_ATTR_(a);
  v->clear();
  for (int t : a->list().type()) {
    if (!DTypeIsValid(t)) return Error(absl::StrCat("attr '", attr, "' has invalid dtype ", t));
    v->push_back(BaseDType(t));
  }
  return absl::OkStatus();
}

absl::Status KernelInit::GetAttr(absl::string_view attr, std::vector<PartialShape>* v) const {
  TFM_LIST_ATTR_(a);
  v->clear();
  for (const auto& s : a->list().shape()) v->push_back(PartialShapeFromProto(s));
  return absl::OkStatus();
}

#undef TFM_FIND_ATTR_
#undef TFM_LIST_ATTR_

Tensor KernelContext::ForwardInput(int i) {
  Tensor* t = forwardable_.empty() ? nullptr : forwardable_[i];
  if (t == nullptr || !t->BufferIsUnique()) return Tensor();
  return std::move(*t);
}

absl::Status KernelContext::Error(absl::string_view msg) const {
  return absl::InvalidArgumentError(absl::StrCat("node '", node_name(), "' (", op(), "): ", msg));
}

void KernelRegistry::Register(const std::string& op, KernelFactory factory) {
  factories_[op] = std::move(factory);
}

const KernelFactory* KernelRegistry::Find(absl::string_view op) const {
  auto it = factories_.find(op);
  return it == factories_.end() ? nullptr : &it->second;
}

std::vector<std::string> KernelRegistry::Ops() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : factories_) out.push_back(k);
  return out;
}

const KernelRegistry& KernelRegistry::Global() {
  static const KernelRegistry* registry = [] {
    auto* r = new KernelRegistry();
    RegisterAllKernels(*r);
    return r;
  }();
  return *registry;
}

}  // namespace tfmodel::runtime
