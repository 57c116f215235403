// freeze and export against TensorFlow-made checkpoints and SavedModels.
#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "format/checkpoint.h"
#include "format/saved_model.h"
#include "format/saved_model_writer.h"
#include "format/tensor_proto.h"
#include "graph/export.h"
#include "graph/freeze.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace tfmodel {
namespace {

using testing::Quote;
using testing::RunCommand;
using testing::Testdata;

std::multiset<std::string> OpMultiset(const tensorflow::GraphDef& g) {
  std::multiset<std::string> ops;
  for (const auto& n : g.node()) ops.insert(n.op());
  return ops;
}

const tensorflow::NodeDef* Node(const tensorflow::GraphDef& g, const std::string& name) {
  for (const auto& n : g.node()) {
    if (n.name() == name) return &n;
  }
  return nullptr;
}

float ConstScalar(const tensorflow::NodeDef& n) {
  auto t = TensorFromProto(n.attr().at("value").tensor());
  EXPECT_TRUE(t.ok());
  return t.ok() ? t->data<float>()[0] : NAN;
}

bool HasVariableOps(const tensorflow::GraphDef& g) {
  for (const auto& n : g.node()) {
    if (n.op() == "VariableV2" || n.op() == "Variable" || n.op() == "VarHandleOp" ||
        n.op() == "ReadVariableOp" || n.op() == "Assign" || n.op() == "RestoreV2") {
      return true;
    }
  }
  return false;
}

TEST(Freeze, RegressionMatchesTensorFlowsOwnFreeze) {
  TFM_REQUIRE_TESTDATA();
  auto mg = ReadMetaGraphDef(Testdata("tf2onnx/regression/checkpoint/model.meta"));
  ASSERT_TRUE(mg.ok()) << mg.status();
  auto reader = CheckpointReader::Open(Testdata("tf2onnx/regression/checkpoint/model"));
  ASSERT_TRUE(reader.ok()) << reader.status();
  FreezeOptions opt;
  opt.output_nodes = {"pred"};
  FreezeReport report;
  auto frozen = FreezeGraph(mg->graph_def(), **reader, opt, &report);
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  auto tf_frozen = ReadGraphDef(Testdata("tf2onnx/regression/graphdef/frozen.pb"));
  ASSERT_TRUE(tf_frozen.ok());
  EXPECT_EQ(OpMultiset(*frozen), OpMultiset(*tf_frozen));
  EXPECT_EQ(report.variables_converted.size(), 2u);
  EXPECT_EQ(report.nodes_in_final_graph, tf_frozen->node_size());
  for (const char* v : {"W", "b"}) {
    const auto* ours = Node(*frozen, v);
    const auto* theirs = Node(*tf_frozen, v);
    ASSERT_TRUE(ours && theirs) << v;
    EXPECT_EQ(ours->op(), "Const");
    EXPECT_EQ(ConstScalar(*ours), ConstScalar(*theirs)) << v;
    EXPECT_TRUE(ours->device().empty());
  }
  EXPECT_FLOAT_EQ(ConstScalar(*Node(*frozen, "W")), 0.21396178f);
  EXPECT_FLOAT_EQ(ConstScalar(*Node(*frozen, "b")), 1.0495254f);
  // Colocation attrs may stay (TF keeps loc:@W on W/read) but must name nodes that exist.
  for (const auto& n : frozen->node()) {
    auto cls = n.attr().find("_class");
    if (cls == n.attr().end()) continue;
    for (const auto& s : cls->second.list().s()) {
      EXPECT_NE(Node(*frozen, s.substr(5)), nullptr) << n.name() << " has _class " << s;
    }
  }
}

TEST(Freeze, SavedModelsLoseAllVariables) {
  TFM_REQUIRE_TESTDATA();
  struct Case {
    const char* dir;
    const char* signature;
  };
  for (const Case& c :
       {Case{"tf_serving/saved_model_half_plus_two_cpu/00000123", "serving_default"},
        Case{"tf_serving/saved_model_half_plus_three/00000123", "serving_default"},
        Case{"stfs/tensorflow_template_application_model/1", "serving_default"},
        Case{"stfs/deep_image_model/1", "serving_default"}}) {
    SCOPED_TRACE(c.dir);
    auto art = ReadModelArtifact(Testdata(c.dir));
    ASSERT_TRUE(art.ok()) << art.status();
    auto reader = CheckpointReader::Open(art->variables_prefix);
    ASSERT_TRUE(reader.ok()) << reader.status();
    FreezeOptions opt;
    auto sig = art->meta_graph.signature_def().find(c.signature);
    ASSERT_NE(sig, art->meta_graph.signature_def().end());
    for (const auto& [k, v] : sig->second.outputs()) opt.output_nodes.push_back(v.name());
    FreezeReport report;
    auto frozen = FreezeGraph(art->meta_graph.graph_def(), **reader, opt, &report);
    ASSERT_TRUE(frozen.ok()) << frozen.status();
    EXPECT_FALSE(HasVariableOps(*frozen));
    EXPECT_GE(report.variables_converted.size(), 1u);
  }
}

TEST(Freeze, CliErrors) {
  TFM_REQUIRE_TESTDATA();
  std::string bin = Quote(testing::TfmodelBinary());
  std::string dir = testing::TempDir();
  std::string meta = Quote(Testdata("tf2onnx/regression/checkpoint/model.meta"));
  auto missing_ckpt =
      RunCommand(absl::StrCat(bin, " freeze --input_meta_graph ", meta,
                              " --input_checkpoint /nonexistent/model --output_node_names pred"
                              " --output_graph ",
                              Quote(dir + "/f.pb")));
  EXPECT_EQ(missing_ckpt.exit_code, 1);
  EXPECT_NE(missing_ckpt.output.find("doesn't exist"), std::string::npos) << missing_ckpt.output;
  auto bad_output =
      RunCommand(absl::StrCat(bin, " freeze --input_meta_graph ", meta, " --input_checkpoint ",
                              Quote(Testdata("tf2onnx/regression/checkpoint/model")),
                              " --output_node_names prd --output_graph ", Quote(dir + "/f.pb")));
  EXPECT_EQ(bad_output.exit_code, 1);
  EXPECT_NE(bad_output.output.find("did you mean 'pred'"), std::string::npos) << bad_output.output;
  auto ok =
      RunCommand(absl::StrCat(bin, " freeze --input_meta_graph ", meta, " --input_checkpoint ",
                              Quote(Testdata("tf2onnx/regression/checkpoint")),
                              " --output_node_names pred --output_graph ", Quote(dir + "/f.pb")));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("Converted 2 variables"), std::string::npos) << ok.output;
  EXPECT_NE(ok.output.find("8 ops in the final graph"), std::string::npos) << ok.output;
  EXPECT_TRUE(FileExists(dir + "/f.pb"));
}

TEST(Export, RegressionStructureMatchesTensorFlows) {
  TFM_REQUIRE_TESTDATA();
  std::string base = testing::TempDir() + "/models/regression";
  std::string bin = Quote(testing::TfmodelBinary());
  auto r = RunCommand(absl::StrCat(
      bin, " export --input_meta_graph ",
      Quote(Testdata("tf2onnx/regression/checkpoint/model.meta")), " --input_checkpoint ",
      Quote(Testdata("tf2onnx/regression/checkpoint/model")), " --signature ",
      Quote("serving_default: inputs X=X:0; outputs pred=pred:0; method predict"),
      " --tags serve --export_base ", Quote(base)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(FileExists(base + "/1/saved_model.pb"));
  ASSERT_TRUE(FileExists(base + "/1/variables/variables.index"));
  ASSERT_TRUE(FileExists(base + "/1/variables/variables.data-00000-of-00001"));
  auto ours = ReadModelArtifact(base + "/1");
  ASSERT_TRUE(ours.ok()) << ours.status();
  auto theirs = ReadModelArtifact(Testdata("tf2onnx/regression/saved_model"));
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  // Same MetaGraphDef fields set.
  const auto& a = ours->meta_graph;
  const auto& b = theirs->meta_graph;
  EXPECT_EQ(a.has_meta_info_def(), b.has_meta_info_def());
  EXPECT_EQ(a.has_saver_def(), b.has_saver_def());
  EXPECT_EQ(a.signature_def_size(), b.signature_def_size());
  EXPECT_EQ(a.meta_info_def().tags(0), b.meta_info_def().tags(0));
  EXPECT_TRUE(a.collection_def().count("variables"));
  EXPECT_TRUE(a.collection_def().count("trainable_variables"));
  const auto& sa = a.signature_def().at("serving_default");
  const auto& sb = b.signature_def().at("serving_default");
  EXPECT_EQ(sa.method_name(), sb.method_name());
  EXPECT_EQ(sa.inputs().at("X").name(), sb.inputs().at("X").name());
  EXPECT_EQ(sa.outputs().at("pred").name(), sb.outputs().at("pred").name());
  EXPECT_EQ(sa.outputs().at("pred").dtype(), tensorflow::DT_FLOAT);
  // Same variable names and values.
  auto ra = CheckpointReader::Open(ours->variables_prefix);
  auto rb = CheckpointReader::Open(theirs->variables_prefix);
  ASSERT_TRUE(ra.ok() && rb.ok());
  std::vector<std::string> na, nb;
  for (const auto& e : (*ra)->entries()) na.push_back(e.name);
  for (const auto& e : (*rb)->entries()) nb.push_back(e.name);
  EXPECT_EQ(na, nb);
  for (const auto& name : na) {
    auto ta = (*ra)->Read(name);
    auto tb = (*rb)->Read(name);
    ASSERT_TRUE(ta.ok() && tb.ok()) << name;
    EXPECT_EQ(ta->data<float>()[0], tb->data<float>()[0]) << name;
  }
  // A second export takes the next version; an existing one is refused.
  auto again = RunCommand(absl::StrCat(
      bin, " export --input_meta_graph ",
      Quote(Testdata("tf2onnx/regression/checkpoint/model.meta")), " --input_checkpoint ",
      Quote(Testdata("tf2onnx/regression/checkpoint/model")), " --signature ",
      Quote("serving_default: inputs X=X:0; outputs pred=pred:0"), " --export_base ", Quote(base)));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_TRUE(FileExists(base + "/2/saved_model.pb"));
  auto exists = RunCommand(
      absl::StrCat(bin, " export --input_meta_graph ",
                   Quote(Testdata("tf2onnx/regression/checkpoint/model.meta")),
                   " --input_checkpoint ", Quote(Testdata("tf2onnx/regression/checkpoint/model")),
                   " --signature ", Quote("serving_default: inputs X=X:0; outputs pred=pred:0"),
                   " --export_base ", Quote(base), " --version 1"));
  EXPECT_EQ(exists.exit_code, 1);
  EXPECT_NE(exists.output.find("already exists"), std::string::npos) << exists.output;
}

TEST(Export, BadInputsLeaveNothingBehind) {
  TFM_REQUIRE_TESTDATA();
  std::string dir = testing::TempDir();
  std::string bin = Quote(testing::TfmodelBinary());
  std::string common = absl::StrCat(
      " export --input_meta_graph ", Quote(Testdata("tf2onnx/regression/checkpoint/model.meta")),
      " --input_checkpoint ", Quote(Testdata("tf2onnx/regression/checkpoint/model")));
  auto no_tensor = RunCommand(absl::StrCat(bin, common, " --signature ",
                                           Quote("s: inputs X=X:0; outputs y=pred_typo:0"),
                                           " --export_base ", Quote(dir + "/m")));
  EXPECT_EQ(no_tensor.exit_code, 1);
  EXPECT_NE(no_tensor.output.find("pred_typo"), std::string::npos) << no_tensor.output;
  EXPECT_NE(no_tensor.output.find("did you mean 'pred'"), std::string::npos) << no_tensor.output;
  auto unreachable =
      RunCommand(absl::StrCat(bin, common, " --signature ", Quote("s: inputs X=X:0; outputs y=W:0"),
                              " --export_base ", Quote(dir + "/m")));
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_NE(unreachable.output.find("not reachable"), std::string::npos) << unreachable.output;
  ASSERT_TRUE(WriteStringToFile(dir + "/afile", "x").ok());
  auto base_is_file = RunCommand(absl::StrCat(bin, common, " --signature ",
                                              Quote("s: inputs X=X:0; outputs y=pred:0"),
                                              " --export_base ", Quote(dir + "/afile")));
  EXPECT_EQ(base_is_file.exit_code, 1);
  EXPECT_NE(base_is_file.output.find("is a file"), std::string::npos) << base_is_file.output;
  EXPECT_FALSE(std::filesystem::exists(dir + "/m"));
}

}  // namespace
}  // namespace tfmodel
