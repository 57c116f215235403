// Synthetic tf.Examples for TF2 models, whose ParseExampleV2 sits inside a function (a
// Keras serve_tf_examples_fn called through StatefulPartitionedCall): the keys are
// string Consts in the function body ("name:output:0" inputs).
#include "graph/synthetic_inputs.h"

#include "graph/attr_util.h"
#include "graph/graph_builder.h"
#include "gtest/gtest.h"
#include "tensorflow/core/example/example.pb.h"

namespace tfmodel {
namespace {

tensorflow::NodeDef* AddConst(tensorflow::FunctionDef* f, const std::string& name,
                              const Tensor& value) {
  auto* n = f->add_node_def();
  n->set_name(name);
  n->set_op("Const");
  (*n->mutable_attr())["dtype"] = AttrType(value.dtype());
  (*n->mutable_attr())["value"] = AttrTensor(value);
  return n;
}

TEST(SyntheticInputs, ExampleFromParseExampleV2InAFunction) {
  GraphBuilder b;
  b.Placeholder("examples", DType::kString, PartialShape{-1});
  tensorflow::FunctionDef* f = b.AddFunction();
  f->mutable_signature()->set_name("serve_tf_examples_fn");
  auto* arg = f->mutable_signature()->add_input_arg();
  arg->set_name("examples");
  arg->set_type(tensorflow::DT_STRING);
  AddConst(f, "names", Tensor::FromVector<std::string>({}));
  AddConst(f, "sparse_keys", Tensor::FromVector<std::string>({"company"}));
  AddConst(f, "dense_keys", Tensor::FromVector<std::string>({"fare", "trip_miles"}));
  AddConst(f, "ragged_keys", Tensor::FromVector<std::string>({"words"}));
  AddConst(f, "d0", Tensor::FromVector<float>({}));
  AddConst(f, "d1", Tensor::FromVector<int64_t>({}));
  auto* p = f->add_node_def();
  p->set_name("ParseExample/ParseExampleV2");
  p->set_op("ParseExampleV2");
  for (const char* in :
       {"examples", "names:output:0", "sparse_keys:output:0", "dense_keys:output:0",
        "ragged_keys:output:0", "d0:output:0", "d1:output:0"}) {
    p->add_input(in);
  }
  tensorflow::AttrValue shapes;
  shapes.mutable_list()->add_shape()->add_dim()->set_size(1);
  shapes.mutable_list()->add_shape()->add_dim()->set_size(3);
  (*p->mutable_attr())["dense_shapes"] = shapes;
  (*p->mutable_attr())["Tdense"] = AttrTypeList({DType::kFloat, DType::kInt64});
  (*p->mutable_attr())["sparse_types"] = AttrTypeList({DType::kString});
  (*p->mutable_attr())["ragged_value_types"] = AttrTypeList({DType::kFloat});
  (*p->mutable_attr())["ragged_split_types"] = AttrTypeList({DType::kInt64});
  (*p->mutable_attr())["num_sparse"] = AttrI(1);

  auto ex = SyntheticExample(b.graph());
  ASSERT_TRUE(ex.ok()) << ex.status();
  tensorflow::Example parsed;
  ASSERT_TRUE(parsed.ParseFromString(*ex));
  const auto& feat = parsed.features().feature();
  ASSERT_EQ(feat.size(), 4u);
  EXPECT_EQ(feat.at("fare").float_list().value_size(), 1);
  EXPECT_FLOAT_EQ(feat.at("fare").float_list().value(0), 1.0f);
  ASSERT_EQ(feat.at("trip_miles").int64_list().value_size(), 3);
  EXPECT_EQ(feat.at("trip_miles").int64_list().value(2), 3);
  EXPECT_EQ(feat.at("company").bytes_list().value(0), "value0");
  EXPECT_EQ(feat.at("words").float_list().value_size(), 2);
}

TEST(SyntheticInputs, SameKeyInGraphAndFunctionIsWrittenOnce) {
  GraphBuilder b;
  auto ser = b.Placeholder("ser", DType::kString, PartialShape{-1});
  tensorflow::AttrValue shapes;
  shapes.mutable_list()->add_shape()->add_dim()->set_size(2);
  b.Op("parse", "ParseExample",
       {ser, b.Const("names", Tensor::FromVector<std::string>({})),
        b.Const("k", Tensor::StringScalar("x")), b.Const("d", Tensor::FromVector<float>({}))},
       {{"Nsparse", AttrI(0)},
        {"Ndense", AttrI(1)},
        {"Tdense", AttrTypeList({DType::kFloat})},
        {"dense_shapes", shapes}});
  tensorflow::FunctionDef* f = b.AddFunction();
  *f->add_node_def() = *b.node("k");
  *f->add_node_def() = *b.node("names");
  *f->add_node_def() = *b.node("d");
  auto* p = f->add_node_def();
  *p = *b.node("parse");
  p->clear_input();
  for (const char* in : {"ser", "names:output:0", "k:output:0", "d:output:0"}) p->add_input(in);
  auto ex = SyntheticExample(b.graph());
  ASSERT_TRUE(ex.ok()) << ex.status();
  tensorflow::Example parsed;
  ASSERT_TRUE(parsed.ParseFromString(*ex));
  EXPECT_EQ(parsed.features().feature().at("x").float_list().value_size(), 2);
}

TEST(SyntheticInputs, NoParseNodeAnywhere) {
  GraphBuilder b;
  b.Placeholder("x", DType::kString, PartialShape{-1});
  b.AddFunction()->mutable_signature()->set_name("f");
  auto ex = SyntheticExample(b.graph());
  EXPECT_EQ(ex.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace tfmodel
