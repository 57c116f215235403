// Freezing models whose lookup tables are filled by the SavedModel's init op: the frozen
// graph must carry the tables' contents (constant InitializeTableV2 + an init_all_tables
// NoOp) and run, never fail later with "Table not initialized"; tables whose contents are
// not constant are refused, naming the table.
#include "graph/freeze_tables.h"

#include <filesystem>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "format/checkpoint.h"
#include "format/saved_model.h"
#include "format/tensor_proto.h"
#include "graph/freeze.h"
#include "graph/graph_builder.h"
#include "gtest/gtest.h"
#include "runtime/model.h"
#include "test_util.h"

namespace tfmodel {
namespace {

using testing::Quote;
using testing::RunCommand;

std::vector<int64_t> Ints(const Tensor& t) {
  return std::vector<int64_t>(t.flat<int64_t>().begin(), t.flat<int64_t>().end());
}

const tensorflow::NodeDef* Find(const tensorflow::GraphDef& g, const std::string& name) {
  for (const auto& n : g.node()) {
    if (n.name() == name) return &n;
  }
  return nullptr;
}

// words -> LookupTableFindV2(table from vocab file "a,10" lines: key column 0, value column 1)
// and a second table keyed by the whole line with line numbers + offset 100 as values.
std::string WriteTableGraph(const std::string& dir) {
  GraphBuilder b;
  std::string words = b.Placeholder("words", DType::kString, PartialShape{-1});
  auto table = [&](const std::string& name, DType vd) {
    b.Op(name, "HashTableV2", {},
         {{"key_dtype", AttrType(DType::kString)},
          {"value_dtype", AttrType(vd)},
          {"shared_name", AttrS(name)},
          {"use_node_name_sharing", AttrB(false)},
          {"container", AttrS("")}});
  };
  table("by_column", DType::kInt64);
  table("by_line", DType::kInt64);
  std::string file = b.Const("vocab_file", Tensor::StringScalar("vocab.csv"));
  b.Op("by_column_init", "InitializeTableFromTextFileV2", {"by_column", file},
       {{"key_index", AttrI(0)},
        {"value_index", AttrI(1)},
        {"vocab_size", AttrI(-1)},
        {"delimiter", AttrS(",")}});
  b.Op("by_line_init", "InitializeTableFromTextFileV2", {"by_line", file},
       {{"key_index", AttrI(-2)},
        {"value_index", AttrI(-1)},
        {"vocab_size", AttrI(2)},
        {"offset", AttrI(100)},
        {"delimiter", AttrS("\t")}});
  b.Op("main_op", "NoOp", {"^by_column_init", "^by_line_init"});
  std::string def = b.Const("default_id", Tensor::Scalar<int64_t>(-1));
  b.Op("ids", "LookupTableFindV2", {"by_column", words, def},
       {{"Tin", AttrType(DType::kString)}, {"Tout", AttrType(DType::kInt64)}});
  b.Op("lines", "LookupTableFindV2", {"by_line", words, def},
       {{"Tin", AttrType(DType::kString)}, {"Tout", AttrType(DType::kInt64)}});
  std::string graph = dir + "/graph.pb";
  EXPECT_TRUE(b.WriteTo(graph).ok());
  return graph;
}

TEST(FreezeTables, AssetVocabularyTablesRunAfterFreezing) {
  std::string dir = testing::TempDir();
  std::string src = dir + "/src";
  std::filesystem::create_directories(src);
  std::string vocab = src + "/vocab.csv";
  ASSERT_TRUE(WriteStringToFile(vocab, "emerson,7\nlake,8\npalmer,9\n").ok());
  std::string graph = WriteTableGraph(src);
  std::string base = dir + "/models/vocab";
  const std::string bin = Quote(testing::TfmodelBinary());
  auto r = RunCommand(absl::StrCat(
      bin, " export --input_graph ", Quote(graph), " --signature ",
      Quote("serving_default: inputs words=words:0; outputs ids=ids:0, lines=lines:0; method "
            "predict"),
      " --assets ", Quote(vocab), " --main_op main_op --export_base ", Quote(base)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::filesystem::remove(vocab);

  std::string frozen = dir + "/frozen.pb";
  r = RunCommand(absl::StrCat(bin, " freeze --input_saved_model_dir ", Quote(base + "/1"),
                              " --output_graph ", Quote(frozen)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Made 2 lookup tables constant"), std::string::npos) << r.output;
  // The frozen graph no longer needs the vocabulary file.
  std::filesystem::remove_all(base + "/1/assets");

  auto g = ReadGraphDef(frozen);
  ASSERT_TRUE(g.ok()) << g.status();
  const auto* init = Find(*g, "by_column_init");
  ASSERT_NE(init, nullptr);
  EXPECT_EQ(init->op(), "InitializeTableV2");
  const auto* group = Find(*g, kTablesInitializerName);
  ASSERT_NE(group, nullptr);
  EXPECT_EQ(group->op(), "NoOp");
  EXPECT_EQ(group->input_size(), 2);
  for (const auto& n : g->node()) EXPECT_NE(n.op(), "InitializeTableFromTextFileV2") << n.name();

  // Through the binary: the table initializers run at load.
  r = RunCommand(absl::StrCat(bin, " run ", Quote(frozen),
                              " --input_exprs \"words:0=['lake','palmer','lake,8','emerson,7']\"",
                              " --fetch ids:0 --fetch lines:0"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("int64 [4] [8 9 -1 -1]"), std::string::npos) << r.output;
  // Whole lines are the keys; vocab_size 2 keeps the first two lines; line numbers + 100.
  EXPECT_NE(r.output.find("int64 [4] [-1 -1 101 100]"), std::string::npos) << r.output;

  // Through the library.
  auto m = runtime::Model::LoadGraph(*g);
  ASSERT_TRUE(m.ok()) << m.status();
  auto out = (*m)->Run({{"words:0", Tensor::FromVector<std::string>({"palmer", "x"})}}, {"ids:0"});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Ints((*out)[0]), (std::vector<int64_t>{9, -1}));
}

struct NoCheckpoint : CheckpointReader {
  int format_version() const override { return 2; }
  const std::string& prefix() const override { return p; }
  const std::vector<CheckpointEntry>& entries() const override { return e; }
  const CheckpointEntry* Find(const std::string&) const override { return nullptr; }
  absl::StatusOr<Tensor> Read(const std::string&) const override {
    return absl::NotFoundError("none");
  }
  absl::StatusOr<Tensor> ReadSlice(const std::string&, const std::string&) const override {
    return absl::NotFoundError("none");
  }
  std::string p = "(none)";
  std::vector<CheckpointEntry> e;
};

TEST(FreezeTables, ConstantKeysAreKeptAndComputedOnesRefused) {
  GraphBuilder b;
  std::string words = b.Placeholder("words", DType::kString, PartialShape{-1});
  std::string dyn_keys = b.Placeholder("dyn_keys", DType::kString, PartialShape{-1});
  for (const char* name : {"const_table", "dyn_table"}) {
    b.Op(name, "HashTableV2", {},
         {{"key_dtype", AttrType(DType::kString)}, {"value_dtype", AttrType(DType::kInt64)}});
  }
  std::string keys = b.Const("keys", Tensor::FromVector<std::string>({"a", "b"}));
  std::string values = b.Const("values", Tensor::FromVector<int64_t>({5, 6}));
  b.Op("const_init", "InitializeTableV2", {"const_table", keys, values},
       {{"Tkey", AttrType(DType::kString)}, {"Tval", AttrType(DType::kInt64)}});
  b.Op("dyn_init", "InitializeTableV2", {"dyn_table", dyn_keys, values},
       {{"Tkey", AttrType(DType::kString)}, {"Tval", AttrType(DType::kInt64)}});
  std::string def = b.Const("default", Tensor::Scalar<int64_t>(0));
  b.Op("found", "LookupTableFindV2", {"const_table", words, def},
       {{"Tin", AttrType(DType::kString)}, {"Tout", AttrType(DType::kInt64)}});
  b.Op("dyn_found", "LookupTableFindV2", {"dyn_table", words, def},
       {{"Tin", AttrType(DType::kString)}, {"Tout", AttrType(DType::kInt64)}});
  b.Op("mutable", "MutableHashTableV2", {},
       {{"key_dtype", AttrType(DType::kString)}, {"value_dtype", AttrType(DType::kInt64)}});
  b.Op("mut_found", "LookupTableFindV2", {"mutable", words, def},
       {{"Tin", AttrType(DType::kString)}, {"Tout", AttrType(DType::kInt64)}});
  b.Op("orphan", "HashTableV2", {},
       {{"key_dtype", AttrType(DType::kString)}, {"value_dtype", AttrType(DType::kInt64)}});
  b.Op("orphan_found", "LookupTableFindV2", {"orphan", words, def},
       {{"Tin", AttrType(DType::kString)}, {"Tout", AttrType(DType::kInt64)}});
  NoCheckpoint none;

  FreezeOptions ok_opt;
  ok_opt.output_nodes = {"found"};
  auto frozen = FreezeGraph(b.graph(), none, ok_opt);
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  auto m = runtime::Model::LoadGraph(*frozen);
  ASSERT_TRUE(m.ok()) << m.status();
  auto out =
      (*m)->Run({{"words:0", Tensor::FromVector<std::string>({"b", "z", "a"})}}, {"found:0"});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Ints((*out)[0]), (std::vector<int64_t>{6, 0, 5}));

  for (auto [output, table, why] :
       {std::tuple{"dyn_found", "dyn_table", "keys come from 'dyn_keys:0' (Placeholder)"},
        std::tuple{"mut_found", "mutable", "mutable table"},
        std::tuple{"orphan_found", "orphan", "no initializer"}}) {
    FreezeOptions opt;
    opt.output_nodes = {output};
    auto bad = FreezeGraph(b.graph(), none, opt);
    ASSERT_FALSE(bad.ok()) << output;
    EXPECT_NE(bad.status().message().find(absl::StrCat("table '", table, "'")), std::string::npos)
        << bad.status();
    EXPECT_NE(bad.status().message().find(why), std::string::npos) << bad.status();
  }
}

// tf.Transform's transform_fn (TF-made, tag "transform"): compute_and_apply_vocabulary
// tables from assets/. Frozen, its vocabulary outputs equal the SavedModel's, and known
// words map to their line in the vocabulary file.
TEST(FreezeTables, TfTransformVocabulariesFromTestdata) {
  TFM_REQUIRE_TESTDATA();
  const std::string dir = testing::Testdata("wild/tfx-chicago-taxi-transform-fn/1");
  const std::string company =
      "transform/compute_and_apply_vocabulary_1/apply_vocab/"
      "hash_table_Lookup/SelectV2";
  const std::string payment =
      "transform/compute_and_apply_vocabulary/apply_vocab/"
      "hash_table_Lookup/SelectV2";
  std::string frozen = testing::TempDir() + "/transform_frozen.pb";
  auto r =
      RunCommand(absl::StrCat(Quote(testing::TfmodelBinary()), " freeze --input_saved_model_dir ",
                              Quote(dir), " --saved_model_tags transform --output_node_names ",
                              company, ",", payment, " --output_graph ", Quote(frozen)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Made 2 lookup tables constant"), std::string::npos) << r.output;

  auto sparse = [](const std::string& prefix, std::vector<std::string> words) {
    int64_t n = static_cast<int64_t>(words.size());
    std::vector<int64_t> idx;
    for (int64_t i = 0; i < n; ++i) idx.insert(idx.end(), {i, 0});
    return std::vector<std::pair<std::string, Tensor>>{
        {prefix + ":0", Tensor::FromVector<int64_t>(idx, TensorShape{n, 2})},
        {prefix + "_1:0", Tensor::FromVector<std::string>(words)},
        {prefix + "_2:0", Tensor::FromVector<int64_t>({n, 1})}};
  };
  auto feeds =
      sparse("transform/inputs/company/company",
             {"Blue Ribbon Taxi Association Inc.", "Taxi Affiliation Services", "no such company"});
  for (auto& f :
       sparse("transform/inputs/F_payment_type/F_payment_type", {"No Charge", "Cash", "Bitcoin"})) {
    feeds.push_back(std::move(f));
  }
  std::vector<std::string> fetches = {company + ":0", payment + ":0"};

  auto g = ReadGraphDef(frozen);
  ASSERT_TRUE(g.ok()) << g.status();
  auto fm = runtime::Model::LoadGraph(*g);
  ASSERT_TRUE(fm.ok()) << fm.status();
  auto fo = (*fm)->Run(feeds, fetches);
  ASSERT_TRUE(fo.ok()) << fo.status();

  auto om = runtime::Model::LoadSavedModel(dir, {"transform"});
  ASSERT_TRUE(om.ok()) << om.status();
  auto oo = (*om)->Run(feeds, fetches);
  ASSERT_TRUE(oo.ok()) << oo.status();
  for (int k = 0; k < 2; ++k) EXPECT_EQ(Ints((*fo)[k]), Ints((*oo)[k])) << fetches[k];
  // Vocabulary line numbers (assets/..._1_vocabulary line 3 and 1; ..._vocabulary 3 and 1).
  auto c = Ints((*fo)[0]), p = Ints((*fo)[1]);
  ASSERT_EQ(c.size(), 3u);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(c[0], 2);
  EXPECT_EQ(c[1], 0);
  EXPECT_EQ(p[0], 2);
  EXPECT_EQ(p[1], 0);
}

}  // namespace
}  // namespace tfmodel
