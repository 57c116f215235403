#include "graph/graph_builder.h"

#include "absl/strings/str_cat.h"
#include "format/proto_io.h"
#include "format/tensor_proto.h"

namespace tfmodel {

GraphBuilder::GraphBuilder() {
  // The producer version TF 1.15 / 2.x graphs carry; consumers only check minimums.
  graph_.mutable_versions()->set_producer(1087);
}

GraphBuilder::GraphBuilder(tensorflow::GraphDef graph) : graph_(std::move(graph)) {
  for (int i = 0; i < graph_.node_size(); ++i) index_[graph_.node(i).name()] = i;
}

std::string GraphBuilder::Op(const std::string& name, const std::string& op,
                             const std::vector<std::string>& inputs, const AttrMap& attrs) {
  tensorflow::NodeDef* n = graph_.add_node();
  n->set_name(name);
  n->set_op(op);
  for (const auto& in : inputs) n->add_input(in);
  for (const auto& [k, v] : attrs) (*n->mutable_attr())[k] = v;
  index_[name] = graph_.node_size() - 1;
  return absl::StrCat(name, ":0");
}

std::string GraphBuilder::Placeholder(const std::string& name, DType dtype,
                                      const PartialShape& shape) {
  return Op(name, "Placeholder", {}, {{"dtype", AttrType(dtype)}, {"shape", AttrShape(shape)}});
}

std::string GraphBuilder::Const(const std::string& name, const Tensor& value) {
  return Op(name, "Const", {}, {{"dtype", AttrType(value.dtype())}, {"value", AttrTensor(value)}});
}

std::string GraphBuilder::Binary(const std::string& name, const std::string& op,
                                 const std::string& a, const std::string& b, DType dtype) {
  return Op(name, op, {a, b}, {{"T", AttrType(dtype)}});
}

std::string GraphBuilder::Variable(const std::string& name, const Tensor& initial) {
  Op(name, "VariableV2", {},
     {{"dtype", AttrType(initial.dtype())},
      {"shape", AttrShape(PartialShape::FromShape(initial.shape()))},
      {"container", AttrS("")},
      {"shared_name", AttrS("")}});
  std::string init = Const(name + "/initial_value", initial);
  Op(name + "/Assign", "Assign", {name, init},
     {{"T", AttrType(initial.dtype())},
      {"validate_shape", AttrB(true)},
      {"use_locking", AttrB(true)},
      {"_class", AttrSList({"loc:@" + name})}});
  return Op(name + "/read", "Identity", {name},
            {{"T", AttrType(initial.dtype())}, {"_class", AttrSList({"loc:@" + name})}});
}

tensorflow::NodeDef* GraphBuilder::node(const std::string& name) {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : graph_.mutable_node(it->second);
}

void GraphBuilder::AddControlInput(const std::string& node_name, const std::string& dep) {
  if (auto* n = node(node_name)) n->add_input("^" + dep);
}

tensorflow::FunctionDef* GraphBuilder::AddFunction() {
  return graph_.mutable_library()->add_function();
}

absl::Status GraphBuilder::WriteTo(const std::string& path) const {
  return WriteProtoFile(path, graph_, ProtoFormat::kAuto);
}

tensorflow::TensorInfo MakeTensorInfo(const std::string& name, DType dtype,
                                      const PartialShape& shape) {
  tensorflow::TensorInfo info;
  info.set_name(name);
  info.set_dtype(static_cast<tensorflow::DataType>(dtype));
  PartialShapeToProto(shape, info.mutable_tensor_shape());
  return info;
}

}  // namespace tfmodel
