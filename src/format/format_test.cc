#include <cmath>

#include "core/file_util.h"
#include "format/npy.h"
#include "format/proto_io.h"
#include "format/saved_model.h"
#include "format/tensor_proto.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "test_util.h"

namespace tfmodel {
namespace {

using testing::ExpectTensorEq;

TEST(TensorProto, TypedFieldRepeatsLastValue) {
  tensorflow::TensorProto p;
  p.set_dtype(tensorflow::DT_FLOAT);
  p.mutable_tensor_shape()->add_dim()->set_size(4);
  p.add_float_val(1.5f);
  p.add_float_val(2.5f);
  auto t = TensorFromProto(p);
  ASSERT_TRUE(t.ok()) << t.status();
  ExpectTensorEq(*t, Tensor::FromVector<float>({1.5f, 2.5f, 2.5f, 2.5f}));
}

TEST(TensorProto, EmptyFieldMeansZeros) {
  tensorflow::TensorProto p;
  p.set_dtype(tensorflow::DT_INT64);
  p.mutable_tensor_shape()->add_dim()->set_size(3);
  auto t = TensorFromProto(p);
  ASSERT_TRUE(t.ok());
  ExpectTensorEq(*t, Tensor::FromVector<int64_t>({0, 0, 0}));
}

TEST(TensorProto, RoundTripAllEncodings) {
  std::vector<Tensor> cases = {
      Tensor::FromVector<float>({1, -2, 3.25f}, TensorShape{3}),
      Tensor::FromVector<int32_t>({1, 2, 3, 4}, TensorShape{2, 2}),
      Tensor::FromVector<int64_t>({-7}, TensorShape{}),
      Tensor::FromVector<uint8_t>({0, 255}),
      Tensor::FromVector<int8_t>({-128, 127}),
      Tensor::FromVector<int16_t>({-300, 300}),
      Tensor::FromVector<uint16_t>({65535, 1}),
      Tensor::FromVector<double>({1e300, -0.5}),
      Tensor::FromVector<bool>({true, false, true}),
      Tensor::FromVector<std::string>({"", "abc", std::string("\0x", 2)}),
      Tensor::FromVector<uint32_t>({4000000000u}),
      Tensor::FromVector<uint64_t>({18000000000000000000ull}),
  };
  for (const auto& t : cases) {
    for (auto enc : {TensorEncoding::kContent, TensorEncoding::kTyped}) {
      tensorflow::TensorProto p;
      TensorToProto(t, &p, enc);
      auto back = TensorFromProto(p);
      ASSERT_TRUE(back.ok()) << back.status();
      ExpectTensorEq(*back, t);
    }
  }
}

TEST(TensorProto, HalfAndBFloat16UseHalfVal) {
  Tensor h(DType::kHalf, TensorShape{2});
  h.data<Half>()[0] = Half::FromFloat(1.5f);
  h.data<Half>()[1] = Half::FromFloat(-2.0f);
  tensorflow::TensorProto p;
  TensorToProto(h, &p, TensorEncoding::kTyped);
  ASSERT_EQ(p.half_val_size(), 2);
  EXPECT_EQ(p.half_val(0), Half::FromFloat(1.5f).bits);
  auto back = TensorFromProto(p);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->data<Half>()[1].ToFloat(), -2.0f);
}

TEST(TensorProto, BadInputsGiveClearErrors) {
  tensorflow::TensorProto p;
  p.set_dtype(tensorflow::DT_FLOAT);
  p.mutable_tensor_shape()->add_dim()->set_size(2);
  p.set_tensor_content(std::string(7, 'x'));
  auto r = TensorFromProto(p);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("7 bytes"), std::string::npos) << r.status();

  tensorflow::TensorProto neg;
  neg.set_dtype(tensorflow::DT_FLOAT);
  neg.mutable_tensor_shape()->add_dim()->set_size(-5);
  EXPECT_NE(TensorFromProto(neg).status().message().find("negative"), std::string::npos);

  tensorflow::TensorProto huge;
  huge.set_dtype(tensorflow::DT_FLOAT);
  for (int i = 0; i < 4; ++i) huge.mutable_tensor_shape()->add_dim()->set_size(1 << 20);
  EXPECT_FALSE(TensorFromProto(huge).ok());

  // Legal (below 2^40 elements) but more than any machine's memory: one float_val filling
  // 2^39 floats (2 TiB) used to be allocated, and abort; now RESOURCE_EXHAUSTED.
  // (tests/fuzz_seeds/tensor_proto_fuzz/huge_fill is this input.)
  tensorflow::TensorProto fill;
  fill.set_dtype(tensorflow::DT_FLOAT);
  fill.mutable_tensor_shape()->add_dim()->set_size(int64_t{1} << 39);
  fill.add_float_val(1);
  auto filled = TensorFromProto(fill);
  ASSERT_FALSE(filled.ok());
  EXPECT_EQ(filled.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(filled.status().message().find("2199023255552 bytes"), std::string::npos)
      << filled.status();

  tensorflow::TensorProto too_many;
  too_many.set_dtype(tensorflow::DT_INT32);
  too_many.mutable_tensor_shape()->add_dim()->set_size(1);
  too_many.add_int_val(1);
  too_many.add_int_val(2);
  EXPECT_NE(TensorFromProto(too_many).status().message().find("2 values"), std::string::npos);

  tensorflow::TensorProto bad_dtype;
  bad_dtype.set_dtype(static_cast<tensorflow::DataType>(77));
  EXPECT_NE(TensorFromProto(bad_dtype).status().message().find("invalid dtype"), std::string::npos);
}

TEST(Npy, RoundTrip) {
  std::string dir = testing::TempDir();
  std::vector<Tensor> cases = {
      Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, TensorShape{2, 3}),
      Tensor::FromVector<int64_t>({-1}, TensorShape{}),
      Tensor::FromVector<bool>({true, false}),
      Tensor::FromVector<double>({}, TensorShape{0, 4}),
      Tensor::FromVector<std::string>({"ab", "", "xyz"}),
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string path = JoinPath(dir, "t" + std::to_string(i) + ".npy");
    ASSERT_TRUE(WriteNpy(path, cases[i]).ok());
    auto back = ReadNpy(path);
    ASSERT_TRUE(back.ok()) << back.status();
    ExpectTensorEq(*back, cases[i]);
  }
}

TEST(Npy, RejectsGarbageAndShortData) {
  auto enc = EncodeNpy(Tensor::FromVector<float>({1, 2}));
  ASSERT_TRUE(enc.ok());
  // Rank 1 reads the same in either order.
  std::string fortran = *enc;
  fortran.replace(fortran.find("False"), 5, "True ");
  auto r = ParseNpy(fortran, "f.npy");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->data<float>()[1], 2.0f);
  EXPECT_NE(ParseNpy("garbage!!!!!", "g.npy").status().message().find("bad magic"),
            std::string::npos);
  std::string truncated = enc->substr(0, enc->size() - 3);
  EXPECT_NE(ParseNpy(truncated, "t.npy").status().message().find("needs 2 items of 4 bytes"),
            std::string::npos);
}

TEST(Npy, ReadsGoldenInputs) {
  TFM_REQUIRE_TESTDATA();
  auto t = ReadNpy(testing::Testdata("golden/fc-layers_in.npy"));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->dtype(), DType::kFloat);
  EXPECT_EQ(t->shape(), (TensorShape{1, 784}));
  // golden/README.md: x[0, i] = ((i*37) % 101) / 101 - 0.5, rounded once to float32.
  for (int i : {0, 1, 100, 783}) {
    float want = static_cast<float>(static_cast<double>((i * 37) % 101) / 101.0 - 0.5);
    EXPECT_EQ(t->data<float>()[i], want) << i;
  }
}

TEST(ProtoIo, DetectsTextAndBinary) {
  std::string dir = testing::TempDir();
  tensorflow::GraphDef g;
  auto* n = g.add_node();
  n->set_name("x");
  n->set_op("Placeholder");
  ASSERT_TRUE(WriteProtoFile(JoinPath(dir, "g.pb"), g).ok());
  ASSERT_TRUE(WriteProtoFile(JoinPath(dir, "g.pbtxt"), g, ProtoFormat::kAuto).ok());
  for (const char* f : {"g.pb", "g.pbtxt"}) {
    auto back = ReadGraphDef(JoinPath(dir, f));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->node(0).name(), "x");
  }
  // Text content in a file without a text extension is still recognised.
  auto text = ReadFileToString(JoinPath(dir, "g.pbtxt"));
  ASSERT_TRUE(WriteStringToFile(JoinPath(dir, "g_text.pb"), *text).ok());
  EXPECT_TRUE(ReadGraphDef(JoinPath(dir, "g_text.pb")).ok());
  ASSERT_TRUE(WriteStringToFile(JoinPath(dir, "bad.pb"), "\xff\xff\xff not a proto {").ok());
  auto bad = ReadGraphDef(JoinPath(dir, "bad.pb"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bad.pb"), std::string::npos);
  EXPECT_NE(bad.status().message().find("tensorflow.GraphDef"), std::string::npos);
}

TEST(ParseTensorName, Forms) {
  EXPECT_EQ(ParseTensorName("x:0").node, "x");
  EXPECT_EQ(ParseTensorName("a/b:3").index, 3);
  EXPECT_EQ(ParseTensorName("x").index, 0);
  EXPECT_EQ(ParseTensorName("^init").index, -1);
  EXPECT_EQ(ParseTensorName("^init").node, "init");
  EXPECT_EQ(ParseTensorName("weird:name").node, "weird:name");
}

TEST(SavedModel, TagSetErrorListsAvailable) {
  TFM_REQUIRE_TESTDATA();
  auto a = ReadModelArtifact(testing::Testdata("tf_serving/saved_model_half_plus_two_cpu/00000123"),
                             {"serve", "gpu"});
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(a.status().message().find("{gpu, serve}"), std::string::npos) << a.status();
  EXPECT_NE(a.status().message().find("available tag sets: {serve}"), std::string::npos)
      << a.status();
}

TEST(SavedModel, ReadsHalfPlusTwo) {
  TFM_REQUIRE_TESTDATA();
  std::string dir = testing::Testdata("tf_serving/saved_model_half_plus_two_cpu/00000123");
  auto a = ReadModelArtifact(dir);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->variables_prefix, dir + "/variables/variables");
  EXPECT_EQ(a->meta_graph.signature_def_size(), 5);
  ASSERT_EQ(a->assets.size(), 1u);
  EXPECT_EQ(a->assets[0].filename, "foo.txt");
  EXPECT_TRUE(FileExists(a->assets[0].path));
  EXPECT_FALSE(a->init_op.empty());
}

TEST(SavedModel, MissingFolderAndFile) {
  std::string dir = testing::TempDir();
  auto a = ReadModelArtifact(JoinPath(dir, "nope"));
  EXPECT_EQ(a.status().code(), absl::StatusCode::kNotFound);
  auto b = ReadModelArtifact(dir);
  EXPECT_NE(b.status().message().find("no saved_model.pb"), std::string::npos) << b.status();
}

}  // namespace
}  // namespace tfmodel
