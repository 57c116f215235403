// Tests of the pieces under the checkpoint reader: SSTable (LevelDB table) reading,
// OrderedCode keys and TensorSlice keys, checked against what TensorFlow writes.
#include "format/sstable.h"

#include <cstring>
#include <map>

#include "absl/strings/str_format.h"
#include "core/file_util.h"
#include "format/table_sink_test_util.h"
#include "format/tensor_slice.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leveldb/env.h"
#include "leveldb/options.h"
#include "leveldb/table_builder.h"
#include "test_util.h"

namespace tfmodel {
namespace {

using ::testing::HasSubstr;

TEST(SSTableTest, ReadsMultiBlockSnappyTablesAndRejectsBadHandles) {
  const std::string path = JoinPath(testing::TempDir(), "t.sst");
  std::map<std::string, std::string> kv;
  for (int i = 0; i < 500; ++i) {
    kv[absl::StrFormat("key%05d", i)] = std::string(static_cast<size_t>(i % 50), 'a' + i % 7);
  }
  kv[""] = "header";
  {
    testing::TableSink sink;
    leveldb::Options o;
    o.compression = leveldb::kSnappyCompression;
    o.block_size = 256;  // many blocks
    leveldb::TableBuilder b(o, &sink);
    for (const auto& [k, v] : kv) b.Add(k, v);
    ASSERT_TRUE(b.Finish().ok());
    TFM_ASSERT_OK(WriteStringToFile(path, sink.out));
  }
  TFM_ASSERT_OK_AND_ASSIGN(auto t, SSTableReader::Open(path));
  std::map<std::string, std::string> got;
  TFM_ASSERT_OK(t->ForEach([&](absl::string_view k, absl::string_view v) {
    got[std::string(k)] = std::string(v);
    return absl::OkStatus();
  }));
  EXPECT_EQ(got, kv);
  for (const char* k : {"", "key00000", "key00250", "key00499"}) {
    TFM_ASSERT_OK_AND_ASSIGN(auto v, t->Get(k));
    ASSERT_TRUE(v.has_value()) << k;
    EXPECT_EQ(*v, kv[k]);
  }
  TFM_ASSERT_OK_AND_ASSIGN(auto none, t->Get("key00250x"));
  EXPECT_FALSE(none.has_value());
  TFM_ASSERT_OK_AND_ASSIGN(auto after, t->Get("zzz"));
  EXPECT_FALSE(after.has_value());

  // A footer whose index handle claims a petabyte-sized block (found by fuzzing; leveldb's
  // Table would try to allocate it).
  auto bytes = *ReadFileToString(path);
  std::string footer(48, '\0');
  footer[0] = 0;  // metaindex handle 0,0
  footer[1] = 0;
  const char huge[] = "\x80\x80\x80\x80\x80\x80\x80\x10\x80\x80\x80\x80\x80\x80\x80\x10";
  std::memcpy(&footer[2], huge, 16);
  std::memcpy(&footer[40], bytes.data() + bytes.size() - 8, 8);  // keep the magic
  TFM_ASSERT_OK(WriteStringToFile(path, bytes.substr(0, bytes.size() - 48) + footer));
  TFM_ASSERT_OK_AND_ASSIGN(auto bad, SSTableReader::Open(path));
  auto s = bad->ForEach([](absl::string_view, absl::string_view) { return absl::OkStatus(); });
  EXPECT_THAT(s.message(), HasSubstr("lies outside the file"));
  EXPECT_THAT(s.message(), HasSubstr(path));
}

// ---- ordered code and slices ------------------------------------------------------------

TEST(OrderedCodeTest, SignedNumbersRoundTripAndOrder) {
  std::vector<int64_t> values = {INT64_MIN,
                                 INT64_MIN + 1,
                                 -(int64_t{1} << 55),
                                 -8193,
                                 -8192,
                                 -65,
                                 -64,
                                 -1,
                                 0,
                                 1,
                                 63,
                                 64,
                                 8191,
                                 8192,
                                 (int64_t{1} << 55),
                                 (int64_t{1} << 62),
                                 INT64_MAX};
  std::string prev;
  for (int64_t v : values) {
    std::string enc;
    ordered_code::WriteSignedNumIncreasing(&enc, v);
    absl::string_view src = enc;
    int64_t back = 0;
    ASSERT_TRUE(ordered_code::ReadSignedNumIncreasing(&src, &back)) << v;
    EXPECT_EQ(back, v);
    EXPECT_TRUE(src.empty());
    EXPECT_LT(prev, enc) << "encoding must sort like the numbers: " << v;
    prev = enc;
  }
  // Documented examples from TF's ordered_code.cc.
  std::string e;
  ordered_code::WriteSignedNumIncreasing(&e, 0x424242);
  EXPECT_EQ(e, std::string("\xf0\x42\x42\x42", 4));
  e.clear();
  ordered_code::WriteSignedNumIncreasing(&e, -0x800);
  EXPECT_EQ(e, std::string("\x38\x00", 2));
  e.clear();
  ordered_code::WriteSignedNumIncreasing(&e, -1);
  EXPECT_EQ(e, "\x7f");
}

TEST(OrderedCodeTest, StringsEscapeSpecialBytes) {
  std::string e;
  ordered_code::WriteString(&e, std::string("a\0b\xff", 4));
  EXPECT_EQ(e, std::string("a\x00\xff"
                           "b\xff\x00\x00\x01",
                           8));
  absl::string_view src = e;
  std::string back;
  ASSERT_TRUE(ordered_code::ReadString(&src, &back));
  EXPECT_EQ(back, std::string("a\0b\xff", 4));
  absl::string_view bad("abc", 3);
  EXPECT_FALSE(ordered_code::ReadString(&bad, &back));
}

TEST(TensorSliceTest, KeysMatchTensorFlow) {
  // The key of scalar "a" in TF Serving's V1 session bundle export.
  EXPECT_EQ(EncodeTensorNameSlice("a", TensorSlice()), std::string("\x00"
                                                                   "a\x00\x01\x00",
                                                                   5));
  // Full dim: start 0 length -1; partial dim 2,3.
  TensorSlice s = *TensorSlice::Parse("-:2,3");
  EXPECT_EQ(EncodeTensorNameSlice("v", s),
            std::string("\x00v\x00\x01\x01\x02\x80\x7f\x82\x83", 10));
  std::string name;
  TensorSlice back;
  TFM_ASSERT_OK(DecodeTensorNameSlice(EncodeTensorNameSlice("v/x", s), &name, &back));
  EXPECT_EQ(name, "v/x");
  EXPECT_EQ(back, s);
  EXPECT_EQ(back.ToString(), "-:2,3");
  EXPECT_FALSE(DecodeTensorNameSlice("\x01zz", &name, &back).ok());
}

TEST(TensorSliceTest, ParseAndResolve) {
  EXPECT_FALSE(TensorSlice::Parse("1").ok());
  EXPECT_FALSE(TensorSlice::Parse("-1,2").ok());
  EXPECT_FALSE(TensorSlice::Parse("a,b").ok());
  TensorShape shape, sliced;
  TensorSlice slice;
  TFM_ASSERT_OK(ParseShapeAndSlice("4 3 1,2:-", &shape, &slice, &sliced));
  EXPECT_EQ(shape, (TensorShape{4, 3}));
  EXPECT_EQ(sliced, (TensorShape{2, 3}));
  absl::Status s = ParseShapeAndSlice("4 3 3,2:-", &shape, &slice, &sliced);
  EXPECT_THAT(s.message(), HasSubstr("exceeds the tensor shape [4,3]"));
  EXPECT_FALSE(ParseShapeAndSlice("4", &shape, &slice, &sliced).ok());
  EXPECT_FALSE(ParseShapeAndSlice("x 3 -:-", &shape, &slice, &sliced).ok());
  EXPECT_FALSE(ParseShapeAndSlice("-4 3 -:-", &shape, &slice, &sliced).ok());
}

// ---- V2 round trips ---------------------------------------------------------------------

}  // namespace
}  // namespace tfmodel
