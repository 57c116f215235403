// A TextVectorization-shaped string pipeline built with the graph builder and run end to
// end: StringLower -> StaticRegexReplace (Keras' punctuation regex) -> StringSplitV2 ->
// row splits from the value row ids (Bincount + Cumsum, as RaggedTensor.from_value_rowids)
// -> StringNGrams (unigrams + bigrams) -> vocabulary lookup with an OOV index ->
// RaggedTensorToTensor padding/truncating to a fixed sequence length. The token ids are
// worked out by hand.
#include "gmock/gmock.h"
#include "graph/graph_builder.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "runtime/model.h"
#include "test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrB;
using testing::AttrI;
using testing::AttrIList;
using testing::AttrS;
using testing::AttrSList;
using testing::AttrType;
using testing::ExpectTensorEq;

// Keras' DEFAULT_STRIP_REGEX.
constexpr char kPunctuation[] = R"re([!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\'])re";

Tensor I64(const std::vector<int64_t>& v) { return Tensor::FromVector(v); }
Tensor I32(const std::vector<int32_t>& v) { return Tensor::FromVector(v); }

tensorflow::GraphDef TextVectorizationGraph(int64_t sequence_length) {
  GraphBuilder b;
  std::string text = b.Placeholder("text", DType::kString, PartialShape{-1});
  std::string lower = b.Op("lower", "StringLower", {text});
  std::string stripped = b.Op(
      "strip", "StaticRegexReplace", {lower},
      {{"pattern", AttrS(kPunctuation)}, {"rewrite", AttrS("")}, {"replace_global", AttrB(true)}});
  b.Op("split", "StringSplitV2", {stripped, b.Const("sep", Tensor::StringScalar(""))},
       {{"maxsplit", AttrI(-1)}});
  // Row splits from the sparse indices' first column (value row ids).
  AttrMap slice = {{"T", AttrType(DType::kInt64)}, {"Index", AttrType(DType::kInt32)}};
  AttrMap rowids_slice = slice;
  rowids_slice["begin_mask"] = AttrI(1);
  rowids_slice["end_mask"] = AttrI(1);
  rowids_slice["shrink_axis_mask"] = AttrI(2);
  std::string rowids = b.Op("rowids", "StridedSlice",
                            {"split:0", b.Const("b0", I32({0, 0})), b.Const("e0", I32({0, 1})),
                             b.Const("s0", I32({1, 1}))},
                            rowids_slice);
  AttrMap nrows_slice = slice;
  nrows_slice["shrink_axis_mask"] = AttrI(1);
  std::string nrows =
      b.Op("nrows", "StridedSlice",
           {"split:2", b.Const("b1", I32({0})), b.Const("e1", I32({1})), b.Const("s1", I32({1}))},
           nrows_slice);
  AttrMap to_i32 = {{"SrcT", AttrType(DType::kInt64)}, {"DstT", AttrType(DType::kInt32)}};
  std::string lengths =
      b.Op("lengths", "Bincount",
           {b.Op("rowids32", "Cast", {rowids}, to_i32), b.Op("nrows32", "Cast", {nrows}, to_i32),
            b.Const("no_weights", I64({}))},
           {{"T", AttrType(DType::kInt64)}});
  std::string cumsum =
      b.Op("cumsum", "Cumsum", {lengths, b.Const("axis0", Tensor::Scalar<int32_t>(0))},
           {{"T", AttrType(DType::kInt64)}});
  std::string splits =
      b.Op("splits", "ConcatV2",
           {b.Const("zero", I64({0})), cumsum, b.Const("cat_axis", Tensor::Scalar<int32_t>(0))},
           {{"N", AttrI(2)}, {"T", AttrType(DType::kInt64)}});
  b.Op("ngrams", "StringNGrams", {"split:1", splits},
       {{"separator", AttrS(" ")},
        {"ngram_widths", AttrIList({1, 2})},
        {"left_pad", AttrS("")},
        {"right_pad", AttrS("")},
        {"pad_width", AttrI(0)},
        {"preserve_short_sequences", AttrB(false)},
        {"Tsplits", AttrType(DType::kInt64)}});
  // Vocabulary: 0 = padding, 1 = OOV, then the terms.
  b.Op("table", "HashTableV2", {},
       {{"key_dtype", AttrType(DType::kString)}, {"value_dtype", AttrType(DType::kInt64)}});
  b.Op("init", "InitializeTableV2",
       {"table",
        b.Const("vocab",
                Tensor::FromVector<std::string>({"a", "cat", "the", "dog", "a cat", "the cat"})),
        b.Const("ids", I64({2, 3, 4, 5, 6, 7}))});
  std::string ids = b.Op("lookup", "LookupTableFindV2",
                         {"table", "ngrams:0", b.Const("oov", Tensor::Scalar<int64_t>(1))},
                         {{"Tin", AttrType(DType::kString)}, {"Tout", AttrType(DType::kInt64)}});
  b.Op("dense", "RaggedTensorToTensor",
       {b.Const("shape", I64({-1, sequence_length})), ids,
        b.Const("pad", Tensor::Scalar<int64_t>(0)), "ngrams:1"},
       {{"T", AttrType(DType::kInt64)},
        {"Tindex", AttrType(DType::kInt64)},
        {"Tshape", AttrType(DType::kInt64)},
        {"num_row_partition_tensors", AttrI(1)},
        {"row_partition_types", AttrSList({"ROW_SPLITS"})}});
  return b.graph();
}

TEST(TextPipeline, TextVectorizationTokenIds) {
  TFM_ASSERT_OK_AND_ASSIGN(auto model, Model::LoadGraph(TextVectorizationGraph(6)));
  TFM_ASSERT_OK(model->Run({}, {}, {"init"}).status());
  const Tensor text = Tensor::FromVector<std::string>({"The cat sat.", "A DOG, a cat!", ""});
  TFM_ASSERT_OK_AND_ASSIGN(
      auto out, model->Run({{"text:0", text}}, {"strip:0", "ngrams:0", "ngrams:1", "dense:0"}));
  ExpectTensorEq(out[0], Tensor::FromVector<std::string>({"the cat sat", "a dog a cat", ""}));
  // Unigrams then bigrams per row; the empty row has none.
  ExpectTensorEq(out[1],
                 Tensor::FromVector<std::string>({"the", "cat", "sat", "the cat", "cat sat", "a",
                                                  "dog", "a", "cat", "a dog", "dog a", "a cat"}));
  ExpectTensorEq(out[2], I64({0, 5, 12, 12}));
  // the=4 cat=3 sat=OOV "the cat"=7 "cat sat"=OOV, padded with 0 to 6;
  // a=2 dog=5 a=2 cat=3 "a dog"=OOV "dog a"=OOV ("a cat"=6 is cut off at 6); all padding.
  ExpectTensorEq(out[3], Tensor::FromVector<int64_t>(
                             {4, 3, 1, 7, 1, 0, 2, 5, 2, 3, 1, 1, 0, 0, 0, 0, 0, 0}, {3, 6}));
}

TEST(TextPipeline, LongerSequenceKeepsEveryToken) {
  TFM_ASSERT_OK_AND_ASSIGN(auto model, Model::LoadGraph(TextVectorizationGraph(8)));
  TFM_ASSERT_OK(model->Run({}, {}, {"init"}).status());
  TFM_ASSERT_OK_AND_ASSIGN(
      auto out, model->Run({{"text:0", Tensor::FromVector<std::string>({"a cat"})}}, {"dense:0"}));
  // a=2 cat=3 "a cat"=6.
  ExpectTensorEq(out[0], Tensor::FromVector<int64_t>({2, 3, 6, 0, 0, 0, 0, 0}, {1, 8}));
}

// The ops Keras preprocessing layers save, checked on the examples of the layers' own
// documentation: StringLookup, Hashing, CategoryEncoding (multi_hot, count), Discretization
// and Normalization.
TEST(PreprocessingLayers, KerasDocumentationExamples) {
  GraphBuilder b;
  // StringLookup(vocabulary=["a", "b", "c", "d"]): OOV index 0, terms from 1.
  b.Op("vocab", "HashTableV2", {},
       {{"key_dtype", AttrType(DType::kString)}, {"value_dtype", AttrType(DType::kInt64)}});
  b.Op("vocab_init", "InitializeTableV2",
       {"vocab", b.Const("terms", Tensor::FromVector<std::string>({"a", "b", "c", "d"})),
        b.Const("term_ids", I64({1, 2, 3, 4}))});
  std::string words = b.Placeholder("words", DType::kString, PartialShape{-1, 3});
  b.Op("lookup", "LookupTableFindV2", {"vocab", words, b.Const("oov", Tensor::Scalar<int64_t>(0))});
  // Hashing(num_bins=3).
  std::string letters = b.Placeholder("letters", DType::kString, PartialShape{-1, 1});
  b.Op("hashing", "StringToHashBucketFast", {letters}, {{"num_buckets", AttrI(3)}});
  // CategoryEncoding(num_tokens=4, output_mode="multi_hot" / "count").
  std::string tokens = b.Placeholder("tokens", DType::kInt64, PartialShape{-1, 2});
  std::string size = b.Const("num_tokens", Tensor::Scalar<int64_t>(4));
  std::string no_weights = b.Const("no_weights", Tensor::FromVector<float>({}));
  b.Op("multi_hot", "DenseBincount", {tokens, size, no_weights},
       {{"T", AttrType(DType::kFloat)}, {"binary_output", AttrB(true)}});
  b.Op("count", "DenseBincount", {tokens, size, no_weights},
       {{"T", AttrType(DType::kFloat)}, {"binary_output", AttrB(false)}});
  // Discretization(bin_boundaries=[0., 1., 2.]).
  std::string x = b.Placeholder("x", DType::kFloat, PartialShape{-1, 4});
  b.Op("discretize", "Bucketize", {x}, {{"boundaries", testing::AttrFList({0, 1, 2})}});
  // Normalization(mean=2, variance=4): (x - mean) / max(sqrt(var), epsilon).
  std::string centered = b.Binary("centered", "Sub", x, b.Const("mean", Tensor::Scalar(2.0f)));
  std::string stddev = b.Binary("stddev", "Maximum",
                                b.Op("sqrt", "Sqrt", {b.Const("var", Tensor::Scalar(4.0f))},
                                     {{"T", AttrType(DType::kFloat)}}),
                                b.Const("eps", Tensor::Scalar(1e-7f)));
  b.Binary("normalize", "RealDiv", centered, stddev);
  TFM_ASSERT_OK_AND_ASSIGN(auto model, Model::LoadGraph(b.graph()));
  TFM_ASSERT_OK(model->Run({}, {}, {"vocab_init"}).status());
  TFM_ASSERT_OK_AND_ASSIGN(
      auto out,
      model->Run(
          {{"words:0", Tensor::FromVector<std::string>({"a", "c", "d", "d", "z", "b"}, {2, 3})},
           {"letters:0", Tensor::FromVector<std::string>({"A", "B", "C", "D", "E"}, {5, 1})},
           {"tokens:0", Tensor::FromVector<int64_t>({0, 1, 0, 0, 1, 2, 3, 1}, {4, 2})},
           {"x:0",
            Tensor::FromVector<float>({-1.5f, 1.0f, 3.4f, 0.5f, 0.0f, 3.0f, 1.3f, 0.0f}, {2, 4})}},
          {"lookup:0", "hashing:0", "multi_hot:0", "count:0", "discretize:0", "normalize:0"}));
  ExpectTensorEq(out[0], Tensor::FromVector<int64_t>({1, 3, 4, 4, 0, 2}, {2, 3}));
  ExpectTensorEq(out[1], Tensor::FromVector<int64_t>({1, 0, 1, 1, 2}, {5, 1}));
  ExpectTensorEq(
      out[2], Tensor::FromVector<float>({1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1}, {4, 4}));
  ExpectTensorEq(
      out[3], Tensor::FromVector<float>({1, 1, 0, 0, 2, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1}, {4, 4}));
  ExpectTensorEq(out[4], Tensor::FromVector<int32_t>({0, 2, 3, 1, 1, 3, 2, 1}, {2, 4}));
  testing::ExpectTensorNear(
      out[5],
      Tensor::FromVector<float>({-1.75f, -0.5f, 0.7f, -0.75f, -1, 0.5f, -0.35f, -1}, {2, 4}), 1e-6);
}

}  // namespace
}  // namespace tfmodel::runtime
