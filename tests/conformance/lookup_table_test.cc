// A vocabulary lookup table end to end: a graph with HashTableV2 +
// InitializeTableFromTextFileV2 on an asset file + LookupTableFindV2, exported with
// `tfmodel export --assets vocab.txt --legacy_init_op init_all_tables`, then loaded as a
// SavedModel whose init op (fed the assets/ path) fills the table the signature reads.
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "format/saved_model.h"
#include "graph/graph_builder.h"
#include "gtest/gtest.h"
#include "runtime/model.h"
#include "serving/servable.h"
#include "test_util.h"

namespace tfmodel {
namespace {

using testing::Quote;
using testing::RunCommand;

TEST(LookupTableExport, AssetVocabularyInitialisedAtLoad) {
  std::string dir = testing::TempDir();
  std::string src = dir + "/src";
  std::filesystem::create_directories(src);
  std::string vocab = src + "/vocab.txt";
  ASSERT_TRUE(WriteStringToFile(vocab, "emerson\nlake\npalmer\n").ok());

  GraphBuilder b;
  std::string words = b.Placeholder("words", DType::kString, PartialShape{-1});
  b.Op("table", "HashTableV2", {},
       {{"key_dtype", AttrType(DType::kString)},
        {"value_dtype", AttrType(DType::kInt64)},
        {"shared_name", AttrS("hash_table_vocab.txt_-2_-1")},
        {"use_node_name_sharing", AttrB(false)},
        {"container", AttrS("")}});
  // Names the asset by its basename, as TF's asset Consts do; export reuses it.
  std::string file = b.Const("vocab_file", Tensor::StringScalar("vocab.txt"));
  b.Op("table_init", "InitializeTableFromTextFileV2", {"table", file},
       {{"key_index", AttrI(-2)},
        {"value_index", AttrI(-1)},
        {"vocab_size", AttrI(-1)},
        {"delimiter", AttrS("\t")}});
  b.Op("init_all_tables", "NoOp", {"^table_init"});
  std::string def = b.Const("default_id", Tensor::Scalar<int64_t>(-1));
  b.Op("ids", "LookupTableFindV2", {"table", words, def},
       {{"Tin", AttrType(DType::kString)}, {"Tout", AttrType(DType::kInt64)}});
  b.Op("size", "LookupTableSizeV2", {"table"});
  std::string graph = src + "/graph.pb";
  ASSERT_TRUE(b.WriteTo(graph).ok());

  std::string base = dir + "/models/vocab";
  auto r = RunCommand(absl::StrCat(
      Quote(testing::TfmodelBinary()), " export --input_graph ", Quote(graph), " --signature ",
      Quote("serving_default: inputs words=words:0; outputs ids=ids:0; method predict"),
      " --assets ", Quote(vocab), " --legacy_init_op init_all_tables --export_base ", Quote(base)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string version = base + "/1";
  EXPECT_TRUE(FileExists(version + "/assets/vocab.txt"));
  auto art = ReadModelArtifact(version);
  ASSERT_TRUE(art.ok()) << art.status();
  EXPECT_EQ(art->init_op, "init_all_tables");
  ASSERT_EQ(art->assets.size(), 1u);
  EXPECT_EQ(art->assets[0].tensor_name, "vocab_file:0");

  // The model must read its own assets/ copy, not the source file.
  std::filesystem::remove(vocab);
  auto m = runtime::Model::LoadSavedModel(version);
  ASSERT_TRUE(m.ok()) << m.status();
  std::shared_ptr<runtime::Model> model(std::move(*m));
  auto out = model->RunSignature(
      "serving_default",
      {{"words", Tensor::FromVector<std::string>({"lake", "emerson", "moog", "palmer", ""})}});
  ASSERT_TRUE(out.ok()) << out.status();
  const Tensor& ids = out->at("ids");
  ASSERT_EQ(ids.dtype(), DType::kInt64);
  ASSERT_EQ(ids.NumElements(), 5);
  EXPECT_EQ(std::vector<int64_t>(ids.flat<int64_t>().begin(), ids.flat<int64_t>().end()),
            (std::vector<int64_t>{1, 0, -1, 2, -1}));

  // Also through TF Serving's REST predict path.
  serving::Servable servable("vocab", 1, model);
  auto rest = servable.RunPredict("", {{"words", Tensor::FromVector<std::string>({"palmer"})}});
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->at("ids").data<int64_t>()[0], 2);

  // A missing vocabulary makes the load fail, naming the file.
  std::filesystem::remove(version + "/assets/vocab.txt");
  auto broken = runtime::Model::LoadSavedModel(version);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("vocab.txt"), std::string::npos) << broken.status();
}

}  // namespace
}  // namespace tfmodel
