// The TF 1.8 tf.estimator linear classifier (stfs/tensorflow_estimator_model): classify on
// serialized tf.Examples through ParseExample -> StringToHashBucketFast -> SparseReshape ->
// SparseFillEmptyRows -> SparseSegmentSum (embedding_lookup_sparse, combiner "sum") ->
// logistic head. Expected scores are recomputed independently from the checkpoint's
// weights: p = sigmoid(bias + w_b * b + sum_i w_a[Fingerprint64(a_i) % buckets]).
#include <cmath>
#include <map>

#include "format/checkpoint.h"
#include "format/saved_model.h"
#include "format/tensor_proto.h"
#include "google/protobuf/text_format.h"
#include "graph/graph_builder.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "runtime/model.h"
#include "serving/manager.h"
#include "serving/metrics.h"
#include "serving/rest_api.h"
#include "serving/servable.h"
#include "tensorflow/core/example/example.pb.h"
#include "test_util.h"

namespace tfmodel {
namespace {

using testing::Testdata;

constexpr char kModel[] = "stfs/tensorflow_estimator_model/1533527330";

std::vector<std::string> ConstStrings(const tensorflow::GraphDef& g, const std::string& input) {
  std::string node = ParseTensorName(input).node;
  for (const auto& n : g.node()) {
    if (n.name() != node) continue;
    auto t = TensorFromProto(n.attr().at("value").tensor());
    if (!t.ok() || t->dtype() != DType::kString) return {};
    return {t->flat<std::string>().begin(), t->flat<std::string>().end()};
  }
  return {};
}

// The feature spec read off the model's ParseExample node.
struct FeatureSpec {
  std::vector<std::string> sparse_keys, dense_keys;
  std::vector<int> sparse_types, dense_types;
  std::vector<PartialShape> dense_shapes;
};

FeatureSpec ReadSpec(const tensorflow::GraphDef& g) {
  FeatureSpec s;
  for (const auto& n : g.node()) {
    if (n.op() != "ParseExample") continue;
    const int64_t ns = n.attr().at("Nsparse").i();
    const int64_t nd = n.attr().at("Ndense").i();
    // Inputs: serialized, names, sparse_keys..., dense_keys..., dense_defaults...
    for (int64_t i = 0; i < ns; ++i) {
      for (auto& k : ConstStrings(g, n.input(static_cast<int>(2 + i)))) s.sparse_keys.push_back(k);
    }
    for (int64_t i = 0; i < nd; ++i) {
      for (auto& k : ConstStrings(g, n.input(static_cast<int>(2 + ns + i)))) {
        s.dense_keys.push_back(k);
      }
    }
    for (int t : n.attr().at("sparse_types").list().type()) s.sparse_types.push_back(t);
    for (int t : n.attr().at("Tdense").list().type()) s.dense_types.push_back(t);
    for (const auto& sh : n.attr().at("dense_shapes").list().shape()) {
      s.dense_shapes.push_back(PartialShapeFromProto(sh));
    }
  }
  return s;
}

// An Example with string feature `a` (absent when `a` is null) and float feature `b`.
std::string MakeExample(const std::vector<std::string>* a, const std::vector<float>& b) {
  tensorflow::Example ex;
  auto* f = ex.mutable_features()->mutable_feature();
  if (a != nullptr) {
    auto* list = (*f)["a"].mutable_bytes_list();
    for (const auto& s : *a) list->add_value(s);
  }
  if (!b.empty()) {
    auto* list = (*f)["b"].mutable_float_list();
    for (float v : b) list->add_value(v);
  }
  return ex.SerializeAsString();
}

class EstimatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveTestdata()) return;
    auto m = runtime::Model::LoadSavedModel(Testdata(kModel));
    ASSERT_TRUE(m.ok()) << m.status();
    model_ = std::shared_ptr<runtime::Model>(std::move(*m));
    auto ckpt = CheckpointReader::Open(Testdata(std::string(kModel) + "/variables/variables"));
    ASSERT_TRUE(ckpt.ok()) << ckpt.status();
    auto wa = (*ckpt)->Read("linear/a/weights");
    auto wb = (*ckpt)->Read("linear/b/weight");
    auto bias = (*ckpt)->Read("linear/bias_weight");
    ASSERT_TRUE(wa.ok() && wb.ok() && bias.ok());
    wa_ = *wa;
    wb_ = wb->data<float>()[0];
    bias_ = bias->data<float>()[0];
    buckets_ = wa_.dim(0);
  }

  // StringToHashBucketFast run as a one-node graph (the same kernel the model uses, tested
  // against TF's published Fingerprint64 values in string_ops_test.cc).
  std::vector<int64_t> Buckets(const std::vector<std::string>& strs) {
    GraphBuilder b;
    std::string in = b.Const("s", Tensor::FromVector<std::string>(strs));
    b.Op("h", "StringToHashBucketFast", {in}, {{"num_buckets", AttrI(buckets_)}});
    auto m = runtime::Model::LoadGraph(b.graph());
    EXPECT_TRUE(m.ok()) << m.status();
    if (!m.ok()) return {};
    auto out = (*m)->Run({}, {"h:0"});
    EXPECT_TRUE(out.ok()) << out.status();
    if (!out.ok()) return {};
    return {(*out)[0].flat<int64_t>().begin(), (*out)[0].flat<int64_t>().end()};
  }

  float Probability(const std::vector<std::string>& a, float b) {
    double logit = bias_ + wb_ * b;
    std::vector<int64_t> ids = a.empty() ? std::vector<int64_t>{} : Buckets(a);
    for (int64_t id : ids) logit += wa_.data<float>()[id];
    return static_cast<float>(1.0 / (1.0 + std::exp(-logit)));
  }

  std::shared_ptr<runtime::Model> model_;
  Tensor wa_;
  float wb_ = 0, bias_ = 0;
  int64_t buckets_ = 0;
};

TEST_F(EstimatorTest, FeatureSpecFromParseExample) {
  TFM_REQUIRE_TESTDATA();
  FeatureSpec s = ReadSpec(model_->meta_graph().graph_def());
  EXPECT_EQ(s.sparse_keys, std::vector<std::string>{"a"});
  EXPECT_EQ(s.sparse_types, std::vector<int>{tensorflow::DT_STRING});
  EXPECT_EQ(s.dense_keys, std::vector<std::string>{"b"});
  EXPECT_EQ(s.dense_types, std::vector<int>{tensorflow::DT_FLOAT});
  ASSERT_EQ(s.dense_shapes.size(), 1u);
  EXPECT_EQ(s.dense_shapes[0].ToString(), "[1]");
  EXPECT_EQ(buckets_, 1000);
  // Fingerprint64("a") = 12917804110809363939 (TF's string_to_hash_bucket_op_test.py).
  EXPECT_EQ(Buckets({"a"}),
            std::vector<int64_t>{static_cast<int64_t>(12917804110809363939ULL % 1000ULL)});
}

TEST_F(EstimatorTest, ClassifyMatchesCheckpointWeights) {
  TFM_REQUIRE_TESTDATA();
  // Strings landing in the buckets the training gave non-zero weights, found by scanning
  // candidates, so the sparse path visibly contributes.
  std::vector<std::string> candidates;
  for (int i = 0; i < 5000; ++i) candidates.push_back(absl::StrCat("w", i));
  std::vector<int64_t> ids = Buckets(candidates);
  ASSERT_EQ(ids.size(), candidates.size());
  std::vector<std::string> hot;
  std::map<int64_t, bool> seen;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (wa_.data<float>()[ids[i]] != 0.0f && !seen[ids[i]]) {
      seen[ids[i]] = true;
      hot.push_back(candidates[i]);
    }
  }
  ASSERT_GE(hot.size(), 2u) << "no candidate hit two non-zero buckets";

  struct Case {
    std::vector<std::string> a;
    bool has_a;
    float b;
  };
  std::vector<Case> cases = {
      {{hot[0]}, true, 1.0f},
      {{hot[0], hot[1]}, true, -2.0f},     // two ids summed in one row
      {{}, false, 0.5f},                   // a missing: SparseFillEmptyRows' empty row
      {{"zzz", hot[1], "q"}, true, 3.0f},  // mostly zero-weight buckets
      {{}, true, -1.0f},                   // a present but empty
  };
  std::vector<std::string> serialized;
  for (const auto& c : cases) serialized.push_back(MakeExample(c.has_a ? &c.a : nullptr, {c.b}));
  Tensor inputs = Tensor::FromVector<std::string>(serialized);
  auto out = model_->RunSignature("serving_default", {{"inputs", inputs}});
  ASSERT_TRUE(out.ok()) << out.status();
  const Tensor& classes = out->at("classes");
  const Tensor& scores = out->at("scores");
  const int64_t n = static_cast<int64_t>(cases.size());
  ASSERT_EQ(classes.shape(), (TensorShape{n, 2}));
  ASSERT_EQ(scores.shape(), (TensorShape{n, 2}));
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_EQ(classes.data<std::string>()[i * 2], "0");
    EXPECT_EQ(classes.data<std::string>()[i * 2 + 1], "1");
    const float s0 = scores.data<float>()[i * 2], s1 = scores.data<float>()[i * 2 + 1];
    EXPECT_GE(s0, 0.0f);
    EXPECT_LE(s0, 1.0f);
    EXPECT_GE(s1, 0.0f);
    EXPECT_LE(s1, 1.0f);
    EXPECT_NEAR(s0 + s1, 1.0f, 1e-6f) << "row " << i;
    const float p = Probability(cases[i].a, cases[i].b);
    EXPECT_NEAR(s1, p, 2e-6f) << "row " << i;
    EXPECT_NEAR(s0, 1.0f - p, 2e-6f) << "row " << i;
  }
  // The sparse feature matters: rows 0 and 2 differ by more than b's contribution alone.
  EXPECT_NE(Probability({hot[0]}, 1.0f), Probability({}, 1.0f));

  // The same through TF Serving's Classify API (serving::Servable).
  serving::Servable servable("estimator", 1533527330, model_);
  tensorflow::serving::Input input;
  for (const auto& s : serialized) {
    ASSERT_TRUE(input.mutable_example_list()->add_examples()->ParseFromString(s));
  }
  tensorflow::serving::ClassificationResult result;
  absl::Status st = servable.Classify("", input, &result);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(result.classifications_size(), n);
  for (int64_t i = 0; i < n; ++i) {
    const auto& c = result.classifications(static_cast<int>(i));
    ASSERT_EQ(c.classes_size(), 2);
    EXPECT_EQ(c.classes(0).label(), "0");
    EXPECT_EQ(c.classes(1).label(), "1");
    EXPECT_FLOAT_EQ(c.classes(1).score(), scores.data<float>()[i * 2 + 1]);
  }
}

// TF Serving's REST classify route on the corpus model: {"examples": [...]} with the sparse
// string feature as a list, and one example without it.
TEST_F(EstimatorTest, RestClassify) {
  TFM_REQUIRE_TESTDATA();
  serving::ManagerOptions opt;
  opt.file_system_poll_wait_seconds = 0;
  opt.log = [](const std::string&) {};
  serving::ServableManager manager(opt);
  tensorflow::serving::ModelServerConfig config;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      "model_config_list { config { name: 'est' base_path: '" +
          Testdata("stfs/tensorflow_estimator_model") + "' model_platform: 'tensorflow' } }",
      &config));
  absl::Status st = manager.ReloadConfig(config);
  ASSERT_TRUE(st.ok()) << st;
  serving::Metrics metrics;
  serving::RestApiHandler handler(&manager, &metrics, serving::RestOptions{});
  serving::HttpRequest req;
  req.method = "POST";
  req.target = "/v1/models/est:classify";
  req.body = R"({"examples": [{"a": ["zzz", "q"], "b": 2.0}, {"b": -0.5}]})";
  serving::HttpResponse resp = handler.Handle(req);
  ASSERT_EQ(resp.status, 200) << resp.body;
  rapidjson::Document doc;
  doc.Parse(resp.body.c_str());
  ASSERT_FALSE(doc.HasParseError()) << resp.body;
  ASSERT_TRUE(doc.HasMember("results")) << resp.body;
  const auto& results = doc["results"];
  ASSERT_TRUE(results.IsArray());
  ASSERT_EQ(results.Size(), 2u) << resp.body;
  const std::vector<std::pair<std::vector<std::string>, float>> inputs = {{{"zzz", "q"}, 2.0f},
                                                                          {{}, -0.5f}};
  for (rapidjson::SizeType i = 0; i < 2; ++i) {
    const auto& row = results[i];
    ASSERT_TRUE(row.IsArray() && row.Size() == 2) << resp.body;
    EXPECT_STREQ(row[0][0].GetString(), "0");
    EXPECT_STREQ(row[1][0].GetString(), "1");
    const double s0 = row[0][1].GetDouble(), s1 = row[1][1].GetDouble();
    const float p = Probability(inputs[i].first, inputs[i].second);
    EXPECT_NEAR(s1, p, 2e-6) << resp.body;
    EXPECT_NEAR(s0 + s1, 1.0, 1e-6) << resp.body;
  }
  manager.Stop();
}

TEST_F(EstimatorTest, MissingRequiredDenseFeatureIsAnError) {
  TFM_REQUIRE_TESTDATA();
  std::vector<std::string> a = {"x"};
  Tensor inputs = Tensor::FromVector<std::string>({MakeExample(&a, {})});
  auto out = model_->RunSignature("serving_default", {{"inputs", inputs}});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("Feature: b (data type: float) is required"),
            std::string::npos)
      << out.status();
}

}  // namespace
}  // namespace tfmodel
