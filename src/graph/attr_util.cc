#include "graph/attr_util.h"

#include "format/tensor_proto.h"

namespace tfmodel {

using tensorflow::AttrValue;

AttrValue AttrI(int64_t v) {
  AttrValue a;
  a.set_i(v);
  return a;
}
AttrValue AttrF(float v) {
  AttrValue a;
  a.set_f(v);
  return a;
}
AttrValue AttrB(bool v) {
  AttrValue a;
  a.set_b(v);
  return a;
}
AttrValue AttrS(const std::string& v) {
  AttrValue a;
  a.set_s(v);
  return a;
}
AttrValue AttrType(DType v) {
  AttrValue a;
  a.set_type(static_cast<tensorflow::DataType>(v));
  return a;
}
AttrValue AttrShape(const PartialShape& v) {
  AttrValue a;
  PartialShapeToProto(v, a.mutable_shape());
  return a;
}
AttrValue AttrTensor(const Tensor& v) {
  AttrValue a;
  TensorToProto(v, a.mutable_tensor());
  return a;
}
AttrValue AttrIList(const std::vector<int64_t>& v) {
  AttrValue a;
  auto* l = a.mutable_list();
  for (auto x : v) l->add_i(x);
  return a;
}
AttrValue AttrFList(const std::vector<float>& v) {
  AttrValue a;
  auto* l = a.mutable_list();
  for (auto x : v) l->add_f(x);
  return a;
}
AttrValue AttrTypeList(const std::vector<DType>& v) {
  AttrValue a;
  auto* l = a.mutable_list();
  for (auto x : v) l->add_type(static_cast<tensorflow::DataType>(x));
  return a;
}
AttrValue AttrSList(const std::vector<std::string>& v) {
  AttrValue a;
  auto* l = a.mutable_list();
  for (const auto& x : v) l->add_s(x);
  return a;
}
AttrValue AttrFunc(const std::string& name) {
  AttrValue a;
  a.mutable_func()->set_name(name);
  return a;
}

}  // namespace tfmodel
