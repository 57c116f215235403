// Building GraphDefs in code: for tests, the demo model and benchmarks. Every method
// returns the name of the new node's first output ("name:0") for chaining.
//
//   GraphBuilder b;
//   auto x = b.Placeholder("x", DType::kFloat, PartialShape{-1, 1});
//   auto a = b.Const("a", Tensor::Scalar(0.5f));
//   auto y = b.Op("y", "Mul", {a, x}, {{"T", AttrType(DType::kFloat)}});
//   b.WriteTo("model.pb");
#ifndef TFMODEL_GRAPH_GRAPH_BUILDER_H_
#define TFMODEL_GRAPH_GRAPH_BUILDER_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/tensor.h"
#include "graph/attr_util.h"
#include "tensorflow/core/framework/graph.pb.h"
#include "tensorflow/core/protobuf/meta_graph.pb.h"

namespace tfmodel {

using AttrMap = std::map<std::string, tensorflow::AttrValue>;

class GraphBuilder {
 public:
  GraphBuilder();
  // Continues an existing graph (new nodes are appended).
  explicit GraphBuilder(tensorflow::GraphDef graph);

  std::string Placeholder(const std::string& name, DType dtype, const PartialShape& shape);
  std::string Const(const std::string& name, const Tensor& value);
  // A node of any op; `inputs` are tensor names ("n:0", "n") or control inputs ("^n").
  std::string Op(const std::string& name, const std::string& op,
                 const std::vector<std::string>& inputs, const AttrMap& attrs = {});
  // Binary op with attr T set to `dtype` (Add, Mul, ...).
  std::string Binary(const std::string& name, const std::string& op, const std::string& a,
                     const std::string& b, DType dtype = DType::kFloat);
  // TF1 variable: VariableV2 + Assign from `initial` + an Identity "<name>/read".
  // Returns the read tensor; the Assign node is "<name>/Assign".
  std::string Variable(const std::string& name, const Tensor& initial);

  tensorflow::NodeDef* node(const std::string& name);
  void AddControlInput(const std::string& node_name, const std::string& dep);
  tensorflow::FunctionDef* AddFunction();

  const tensorflow::GraphDef& graph() const { return graph_; }
  tensorflow::GraphDef* mutable_graph() { return &graph_; }
  // Binary or text by extension (.pbtxt = text).
  absl::Status WriteTo(const std::string& path) const;

 private:
  tensorflow::GraphDef graph_;
  std::map<std::string, int> index_;
};

// A SignatureDef TensorInfo.
tensorflow::TensorInfo MakeTensorInfo(const std::string& name, DType dtype,
                                      const PartialShape& shape);

}  // namespace tfmodel

#endif  // TFMODEL_GRAPH_GRAPH_BUILDER_H_
