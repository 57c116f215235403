#include "graph/example_models.h"

#include "graph/graph_builder.h"
#include "graph/saver.h"

namespace tfmodel {

ExampleModel BuildHalfPlusTwo() {
  GraphBuilder b;
  std::string x = b.Placeholder("x", DType::kFloat, PartialShape{-1, 1});
  std::string a = b.Variable("a", Tensor::Scalar(0.5f));
  std::string bias = b.Variable("b", Tensor::Scalar(2.0f));
  std::string ax = b.Binary("Mul", "Mul", a, x);
  std::string y = b.Binary("y", "AddV2", ax, bias);
  b.Op("init", "NoOp", {"^a/Assign", "^b/Assign"});
  tensorflow::SaverDef saver = AddSaver(b, {{"a", "a", DType::kFloat, TensorShape{}, false},
                                            {"b", "b", DType::kFloat, TensorShape{}, false}});

  ExampleModel m;
  m.saved_model.set_saved_model_schema_version(1);
  tensorflow::MetaGraphDef* mg = m.saved_model.add_meta_graphs();
  auto* info = mg->mutable_meta_info_def();
  info->add_tags("serve");
  info->set_meta_graph_version("tfmodel");
  *mg->mutable_graph_def() = b.graph();
  *mg->mutable_saver_def() = saver;
  tensorflow::SignatureDef sig;
  sig.set_method_name("tensorflow/serving/predict");
  (*sig.mutable_inputs())["x"] = MakeTensorInfo(x, DType::kFloat, PartialShape{-1, 1});
  (*sig.mutable_outputs())["y"] = MakeTensorInfo(y, DType::kFloat, PartialShape{-1, 1});
  (*mg->mutable_signature_def())["serving_default"] = sig;
  tensorflow::SignatureDef reg;
  reg.set_method_name("tensorflow/serving/regress");
  (*reg.mutable_inputs())["inputs"] = MakeTensorInfo(x, DType::kFloat, PartialShape{-1, 1});
  (*reg.mutable_outputs())["outputs"] = MakeTensorInfo(y, DType::kFloat, PartialShape{-1, 1});
  (*mg->mutable_signature_def())["regress_x_to_y"] = reg;
  m.variables = {{"a", Tensor::Scalar(0.5f)}, {"b", Tensor::Scalar(2.0f)}};
  return m;
}

}  // namespace tfmodel
