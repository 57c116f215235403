#include "format/literal.h"
#include "graph/export.h"
#include "graph/graph_builder.h"
#include "graph/prune.h"
#include "graph/synthetic_inputs.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "tensorflow/core/example/example.pb.h"
#include "test_util.h"

namespace tfmodel {
namespace {

using testing::ExpectTensorEq;

TEST(Literal, NumbersStringsBools) {
  auto t = ParseTensorLiteral("[[1.0], [2.0], [5.0]]", DType::kFloat);
  ASSERT_TRUE(t.ok()) << t.status();
  ExpectTensorEq(*t, Tensor::FromVector<float>({1, 2, 5}, TensorShape{3, 1}));
  auto i = ParseTensorLiteral("[1, -2, 3]");
  ASSERT_TRUE(i.ok());
  ExpectTensorEq(*i, Tensor::FromVector<int64_t>({1, -2, 3}));
  auto s = ParseTensorLiteral("['a', \"b c\"]");
  ASSERT_TRUE(s.ok());
  ExpectTensorEq(*s, Tensor::FromVector<std::string>({"a", "b c"}));
  auto b = ParseTensorLiteral("True");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->dtype(), DType::kBool);
  EXPECT_EQ(b->rank(), 0);
  auto e = ParseTensorLiteral("[]", DType::kFloat);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->shape(), (TensorShape{0}));
  auto f = ParseTensorLiteral("3", DType::kFloat);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->scalar<float>(), 3.0f);
}

TEST(Literal, Errors) {
  EXPECT_NE(ParseTensorLiteral("[[1,2],[3]]").status().message().find("ragged"), std::string::npos);
  EXPECT_NE(ParseTensorLiteral("[[1,2],3]").status().message().find("ragged"), std::string::npos);
  EXPECT_NE(ParseTensorLiteral("[1.5]", DType::kInt32).status().message().find("not an integer"),
            std::string::npos);
  EXPECT_NE(ParseTensorLiteral("[300]", DType::kInt8).status().message().find("out of range"),
            std::string::npos);
  EXPECT_FALSE(ParseTensorLiteral("[1, 2").ok());
  EXPECT_FALSE(ParseTensorLiteral("np.ones(3)").ok());
}

TEST(Signature, ParseSpec) {
  auto s = ParseSignatureSpec(
      "serving_default: inputs x=X:0, k=keys:0; outputs y=pred:0; method regress");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->key, "serving_default");
  ASSERT_EQ(s->inputs.size(), 2u);
  EXPECT_EQ(s->inputs[1].second, "keys:0");
  EXPECT_EQ(s->outputs[0].first, "y");
  EXPECT_EQ(s->method, "tensorflow/serving/regress");
  EXPECT_FALSE(ParseSignatureSpec("no colon here").ok());
  EXPECT_NE(ParseSignatureSpec("k: inputs x; outputs y=z").status().message().find("alias=tensor"),
            std::string::npos);
  EXPECT_NE(ParseSignatureSpec("k: inputs a=b:0; bogus").status().message().find("unknown part"),
            std::string::npos);
}

TEST(Signature, ValidateMethods) {
  tensorflow::SignatureDef c;
  c.set_method_name("tensorflow/serving/classify");
  (*c.mutable_inputs())["inputs"] = MakeTensorInfo("e:0", DType::kString, PartialShape());
  (*c.mutable_outputs())["scores"] = MakeTensorInfo("s:0", DType::kFloat, PartialShape());
  EXPECT_TRUE(ValidateSignature("c", c).ok());
  (*c.mutable_outputs())["scores"] = MakeTensorInfo("s:0", DType::kInt32, PartialShape());
  EXPECT_NE(ValidateSignature("c", c).message().find("DT_FLOAT"), std::string::npos);
  tensorflow::SignatureDef r;
  r.set_method_name("tensorflow/serving/regress");
  (*r.mutable_inputs())["x"] = MakeTensorInfo("x:0", DType::kFloat, PartialShape());
  (*r.mutable_outputs())["outputs"] = MakeTensorInfo("y:0", DType::kFloat, PartialShape());
  EXPECT_NE(ValidateSignature("r", r).message().find("'inputs'"), std::string::npos);
}

TEST(Prune, ReachableAndCloseNames) {
  GraphBuilder b;
  auto x = b.Placeholder("input_x", DType::kFloat, PartialShape{-1});
  auto c = b.Const("c", Tensor::Scalar(1.0f));
  b.Binary("add", "AddV2", x, c);
  b.Op("unused", "Identity", {c}, {{"T", AttrType(DType::kFloat)}});
  b.Op("init", "NoOp", {});
  b.AddControlInput("add", "init");
  auto r = ReachableNodes(b.graph(), {"add:0"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (std::set<std::string>{"input_x", "c", "add", "init"}));
  auto bad = ReachableNodes(b.graph(), {"input"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("did you mean 'input_x'"), std::string::npos)
      << bad.status();
}

TEST(SyntheticInputs, ExampleFromParseExample) {
  GraphBuilder b;
  auto ser = b.Placeholder("tf_example", DType::kString, PartialShape{-1});
  auto names = b.Const("names", Tensor::FromVector<std::string>({}));
  auto k1 = b.Const("k1", Tensor::StringScalar("x"));
  auto k2 = b.Const("k2", Tensor::StringScalar("words"));
  auto d1 = b.Const("d1", Tensor::FromVector<float>({}));
  tensorflow::AttrValue shapes;
  auto* s = shapes.mutable_list()->add_shape();
  s->add_dim()->set_size(2);
  b.Op("ParseExample", "ParseExample", {ser, names, k2, k1, d1},
       {{"Nsparse", AttrI(1)},
        {"Ndense", AttrI(1)},
        {"sparse_types", AttrTypeList({DType::kString})},
        {"Tdense", AttrTypeList({DType::kFloat})},
        {"dense_shapes", shapes}});
  auto ex = SyntheticExample(b.graph());
  ASSERT_TRUE(ex.ok()) << ex.status();
  tensorflow::Example parsed;
  ASSERT_TRUE(parsed.ParseFromString(*ex));
  EXPECT_EQ(parsed.features().feature().at("x").float_list().value_size(), 2);
  EXPECT_EQ(parsed.features().feature().at("words").bytes_list().value_size(), 1);
  auto t = SyntheticTensor(DType::kFloat, PartialShape{-1, 3});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->shape(), (TensorShape{1, 3}));
  EXPECT_FLOAT_EQ(t->data<float>()[2], 0.2f);
}

TEST(Export, GuessOutputDType) {
  GraphBuilder b;
  b.Op("cast", "Cast", {}, {{"SrcT", AttrType(DType::kInt32)}, {"DstT", AttrType(DType::kFloat)}});
  b.Op("shape", "Shape", {},
       {{"T", AttrType(DType::kFloat)}, {"out_type", AttrType(DType::kInt64)}});
  EXPECT_EQ(GuessOutputDType(*b.node("cast"), 0), DType::kFloat);
  // T comes first in the search order, which is right for most ops but not Shape; both are
  // attrs, so callers that care (export) accept the first match.
  EXPECT_NE(GuessOutputDType(*b.node("shape"), 0), DType::kInvalid);
}

}  // namespace
}  // namespace tfmodel
