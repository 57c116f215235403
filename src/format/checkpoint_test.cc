#include "format/checkpoint.h"

#include <cstring>
#include <filesystem>
#include <map>

#include "absl/strings/str_format.h"
#include "core/crc32c.h"
#include "core/file_util.h"
#include "format/sstable.h"
#include "format/table_sink_test_util.h"
#include "format/tensor_slice.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leveldb/env.h"
#include "leveldb/options.h"
#include "leveldb/table.h"
#include "leveldb/table_builder.h"
#include "tensorflow/core/framework/tensor.pb.h"
#include "tensorflow/core/protobuf/tensor_bundle.pb.h"
#include "tensorflow/core/util/saved_tensor_slice.pb.h"
#include "test_util.h"

namespace tfmodel {
namespace {

using ::testing::HasSubstr;

// ---- helpers ---------------------------------------------------------------------------

// Raw (key, value) pairs of a LevelDB table file.
std::map<std::string, std::string> ReadTable(const std::string& path) {
  std::map<std::string, std::string> out;
  auto data = ReadFileToString(path);
  EXPECT_TRUE(data.ok()) << data.status();
  if (!data.ok()) return out;
  struct Src : leveldb::RandomAccessFile {
    std::string bytes;
    leveldb::Status Read(uint64_t off, size_t n, leveldb::Slice* r, char*) const override {
      if (off > bytes.size()) return leveldb::Status::IOError("past end");
      *r = leveldb::Slice(bytes.data() + off, std::min<size_t>(n, bytes.size() - off));
      return leveldb::Status::OK();
    }
  } src;
  src.bytes = *data;
  leveldb::Table* table = nullptr;
  leveldb::Status s = leveldb::Table::Open(leveldb::Options(), &src, src.bytes.size(), &table);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return out;
  std::unique_ptr<leveldb::Table> owner(table);
  std::unique_ptr<leveldb::Iterator> it(table->NewIterator(leveldb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next())
    out[it->key().ToString()] = it->value().ToString();
  return out;
}

void WriteTable(const std::string& path, const std::map<std::string, std::string>& kv) {
  testing::TableSink sink;
  leveldb::Options o;
  o.compression = leveldb::kNoCompression;
  leveldb::TableBuilder b(o, &sink);
  for (const auto& [k, v] : kv) b.Add(k, v);
  ASSERT_TRUE(b.Finish().ok());
  TFM_ASSERT_OK(WriteStringToFile(path, sink.out));
}

// Rewrites the index of `prefix`, letting `edit` change the header and entries.
void EditIndex(
    const std::string& prefix,
    const std::function<void(tensorflow::BundleHeaderProto*,
                             std::map<std::string, tensorflow::BundleEntryProto>*)>& edit) {
  auto kv = ReadTable(prefix + ".index");
  tensorflow::BundleHeaderProto header;
  ASSERT_TRUE(header.ParseFromString(kv[""]));
  std::map<std::string, tensorflow::BundleEntryProto> entries;
  for (const auto& [k, v] : kv) {
    if (k.empty()) continue;
    ASSERT_TRUE(entries[k].ParseFromString(v));
  }
  edit(&header, &entries);
  std::map<std::string, std::string> out;
  out[""] = header.SerializeAsString();
  for (const auto& [k, e] : entries) out[k] = e.SerializeAsString();
  WriteTable(prefix + ".index", out);
}

Tensor PatternTensor(DType dtype, const TensorShape& shape, int seed) {
  Tensor t(dtype, shape);
  if (dtype == DType::kString) {
    for (int64_t i = 0; i < t.NumElements(); ++i) {
      t.data<std::string>()[i] =
          std::string(static_cast<size_t>((i * 37 + seed) % 300), 'a' + i % 26);
    }
    return t;
  }
  if (dtype == DType::kBool) {
    for (int64_t i = 0; i < t.NumElements(); ++i) t.data<bool>()[i] = (i + seed) % 3 == 0;
    return t;
  }
  auto* p = static_cast<unsigned char*>(t.raw_data());
  for (size_t i = 0; i < t.TotalBytes(); ++i) p[i] = static_cast<unsigned char>(i * 31 + seed);
  return t;
}

void ExpectSameTensor(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.dtype(), b.dtype());
  ASSERT_EQ(a.shape(), b.shape());
  if (a.dtype() == DType::kString) {
    for (int64_t i = 0; i < a.NumElements(); ++i) {
      EXPECT_EQ(a.data<std::string>()[i], b.data<std::string>()[i]) << "element " << i;
    }
    return;
  }
  ASSERT_EQ(a.TotalBytes(), b.TotalBytes());
  if (a.TotalBytes()) {
    EXPECT_EQ(0, std::memcmp(a.raw_data(), b.raw_data(), a.TotalBytes()));
  }
}

std::string WriteSimple(const std::string& dir, int num_shards = 1) {
  const std::string prefix = JoinPath(dir, "model");
  CheckpointWriter w(prefix, {num_shards});
  EXPECT_TRUE(w.Add("w", Tensor::FromVector<float>({1, 2, 3, 4}, {2, 2})).ok());
  EXPECT_TRUE(w.Add("b", Tensor::Scalar<float>(0.5f)).ok());
  Tensor s(DType::kString, TensorShape{2});
  s.data<std::string>()[0] = "hello";
  s.data<std::string>()[1] = "";
  EXPECT_TRUE(w.Add("s", s).ok());
  EXPECT_TRUE(w.Finish().ok());
  return prefix;
}

void FlipByte(const std::string& path, size_t offset) {
  auto data = ReadFileToString(path);
  ASSERT_TRUE(data.ok());
  ASSERT_LT(offset, data->size());
  (*data)[offset] ^= 0x5a;
  TFM_ASSERT_OK(WriteStringToFile(path, *data));
}

// ---- SSTable reader -----------------------------------------------------------------------

TEST(CheckpointTest, RoundTripsEveryDtype) {
  const std::string dir = testing::TempDir();
  const std::string prefix = JoinPath(dir, "all");
  const std::vector<DType> dtypes = {
      DType::kFloat,   DType::kDouble, DType::kInt32,      DType::kUInt8,    DType::kInt16,
      DType::kInt8,    DType::kString, DType::kComplex64,  DType::kInt64,    DType::kBool,
      DType::kQInt8,   DType::kQUInt8, DType::kQInt32,     DType::kBFloat16, DType::kQInt16,
      DType::kQUInt16, DType::kUInt16, DType::kComplex128, DType::kHalf,     DType::kUInt32,
      DType::kUInt64};
  std::map<std::string, Tensor> expected;
  {
    CheckpointWriter w(prefix);
    int seed = 0;
    for (DType d : dtypes) {
      for (const TensorShape& shape : {TensorShape{}, TensorShape{0}, TensorShape{3, 5},
                                       TensorShape{2, 0, 4}, TensorShape{130}}) {
        const std::string name = DTypeName(d) + "/" + shape.ToString();
        Tensor t = PatternTensor(d, shape, ++seed);
        TFM_ASSERT_OK(w.Add(name, t));
        expected[name] = t;
      }
    }
    // Nothing is visible before Finish.
    EXPECT_FALSE(FileExists(prefix + ".index"));
    EXPECT_FALSE(FileExists(prefix + ".data-00000-of-00001"));
    TFM_ASSERT_OK(w.Finish());
  }
  // No temporary files are left behind.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    ++files;
    EXPECT_THAT(e.path().string(), ::testing::Not(HasSubstr("tempstate")));
  }
  EXPECT_EQ(files, 2);

  TFM_ASSERT_OK_AND_ASSIGN(auto r, CheckpointReader::Open(prefix));
  EXPECT_EQ(r->format_version(), 2);
  EXPECT_EQ(r->prefix(), prefix);
  ASSERT_EQ(r->entries().size(), expected.size());
  auto it = expected.begin();
  for (const CheckpointEntry& e : r->entries()) {
    EXPECT_EQ(e.name, it->first);  // sorted by name
    EXPECT_EQ(e.dtype, it->second.dtype());
    EXPECT_EQ(e.shape, it->second.shape());
    EXPECT_FALSE(e.sliced);
    if (DTypeIsPod(e.dtype)) {
      EXPECT_EQ(e.bytes, static_cast<int64_t>(it->second.TotalBytes()));
    }
    TFM_ASSERT_OK_AND_ASSIGN(Tensor t, r->Read(e.name));
    SCOPED_TRACE(e.name);
    ExpectSameTensor(t, it->second);
    ++it;
  }
  EXPECT_EQ(r->Find("float/[3,5]")->dtype, DType::kFloat);
  EXPECT_EQ(r->Find("nope"), nullptr);
  auto missing = r->Read("nope");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("'nope'"));
}

TEST(CheckpointTest, StringsOfAllSizes) {
  const std::string prefix = JoinPath(testing::TempDir(), "str");
  Tensor t(DType::kString, TensorShape{5});
  t.data<std::string>()[0] = "";
  t.data<std::string>()[1] = std::string(127, 'x');
  t.data<std::string>()[2] = std::string(128, 'y');  // two-byte varint length
  t.data<std::string>()[3] = std::string(70000, 'z');
  t.data<std::string>()[4] = std::string("\0\xff\x01", 3);
  Tensor empty(DType::kString, TensorShape{0});
  {
    CheckpointWriter w(prefix);
    TFM_ASSERT_OK(w.Add("s", t));
    TFM_ASSERT_OK(w.Add("scalar", Tensor::StringScalar("only")));
    TFM_ASSERT_OK(w.Add("empty", empty));
    TFM_ASSERT_OK(w.Finish());
  }
  TFM_ASSERT_OK_AND_ASSIGN(auto r, CheckpointReader::Open(prefix + ".index"));
  TFM_ASSERT_OK_AND_ASSIGN(Tensor s, r->Read("s"));
  ExpectSameTensor(s, t);
  TFM_ASSERT_OK_AND_ASSIGN(Tensor sc, r->Read("scalar"));
  EXPECT_EQ(sc.scalar<std::string>(), "only");
  TFM_ASSERT_OK_AND_ASSIGN(Tensor e, r->Read("empty"));
  EXPECT_EQ(e.NumElements(), 0);
  // The empty string tensor stores just the 4-byte length checksum, as TF does.
  EXPECT_EQ(r->Find("empty")->bytes, 4);
}

TEST(CheckpointTest, LargeAlignedTensorsAreViewsOfTheShard) {
  const std::string prefix = JoinPath(testing::TempDir(), "big");
  Tensor big = PatternTensor(DType::kFloat, TensorShape{1024, 64}, 3);
  {
    CheckpointWriter w(prefix);
    TFM_ASSERT_OK(w.Add("big", big));
    TFM_ASSERT_OK(w.Finish());
  }
  TFM_ASSERT_OK_AND_ASSIGN(auto r, CheckpointReader::Open(prefix));
  TFM_ASSERT_OK_AND_ASSIGN(Tensor a, r->Read("big"));
  TFM_ASSERT_OK_AND_ASSIGN(Tensor b, r->Read("big"));
  ExpectSameTensor(a, big);
  EXPECT_TRUE(a.SharesBufferWith(b)) << "both reads should view the same mapped shard";
}

TEST(CheckpointTest, MultipleShards) {
  const std::string dir = testing::TempDir();
  const std::string prefix = JoinPath(dir, "sharded");
  std::map<std::string, Tensor> expected;
  {
    CheckpointWriter w(prefix, {3});
    for (int i = 0; i < 7; ++i) {
      Tensor t = PatternTensor(i % 2 ? DType::kString : DType::kDouble, TensorShape{i + 1}, i);
      expected["t" + std::to_string(i)] = t;
      TFM_ASSERT_OK(w.Add("t" + std::to_string(i), t));
    }
    TFM_ASSERT_OK(w.Finish());
  }
  for (int s = 0; s < 3; ++s) {
    const std::string path = absl::StrCat(prefix, ".data-0000", s, "-of-00003");
    ASSERT_TRUE(FileExists(path)) << path;
    auto data = ReadFileToString(path);
    EXPECT_FALSE(data->empty()) << path << " got no tensors";
  }
  auto kv = ReadTable(prefix + ".index");
  tensorflow::BundleHeaderProto header;
  ASSERT_TRUE(header.ParseFromString(kv[""]));
  EXPECT_EQ(header.num_shards(), 3);
  EXPECT_EQ(header.version().producer(), 1);
  TFM_ASSERT_OK_AND_ASSIGN(auto r, CheckpointReader::Open(prefix));
  for (const auto& [name, t] : expected) {
    TFM_ASSERT_OK_AND_ASSIGN(Tensor got, r->Read(name));
    ExpectSameTensor(got, t);
  }
}

TEST(CheckpointTest, WriterRejectsBadAdds) {
  const std::string prefix = JoinPath(testing::TempDir(), "bad");
  CheckpointWriter w(prefix);
  TFM_ASSERT_OK(w.Add("x", Tensor::Scalar<int32_t>(1)));
  EXPECT_THAT(w.Add("x", Tensor::Scalar<int32_t>(2)).message(), HasSubstr("duplicate"));
  EXPECT_THAT(w.Add("", Tensor::Scalar<int32_t>(2)).message(), HasSubstr("reserved"));
  EXPECT_THAT(w.Add("r", Tensor(DType::kResource, TensorShape{})).message(), HasSubstr("resource"));
  TFM_ASSERT_OK(w.Finish());
  EXPECT_FALSE(w.Finish().ok());
  CheckpointWriter zero(prefix + "2", {0});
  EXPECT_THAT(zero.Finish().message(), HasSubstr("num_shards"));
}

TEST(CheckpointTest, AbandonedWriterLeavesNothing) {
  const std::string dir = testing::TempDir();
  {
    CheckpointWriter w(JoinPath(dir, "gone"));
    TFM_ASSERT_OK(w.Add("x", Tensor::Scalar<float>(1)));
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir));
}

TEST(CheckpointTest, SlicedTensorsAssembleAndReadSlices) {
  const std::string prefix = JoinPath(testing::TempDir(), "sliced");
  std::vector<float> full(12);
  for (int i = 0; i < 12; ++i) full[i] = static_cast<float>(i);
  Tensor top = Tensor::FromVector<float>({0, 1, 2, 3, 4, 5}, {2, 3});
  Tensor bottom = Tensor::FromVector<float>({6, 7, 8, 9, 10, 11}, {2, 3});
  {
    CheckpointWriter w(prefix);
    TFM_ASSERT_OK(w.AddSlice("v", "4 3 2,2:-", bottom));
    TFM_ASSERT_OK(w.AddSlice("v", "4 3 0,2:-", top));
    TFM_ASSERT_OK(w.AddSlice("whole", "2 3 -:-", top));    // a full slice is a plain Add
    EXPECT_FALSE(w.AddSlice("v", "4 3 0,1:-", top).ok());  // shape mismatch
    TFM_ASSERT_OK(w.AddSlice("half", "4 3 0,2:-", top));   // only half stored
    TFM_ASSERT_OK(w.Finish());
  }
  TFM_ASSERT_OK_AND_ASSIGN(auto r, CheckpointReader::Open(prefix));
  ASSERT_EQ(r->entries().size(), 3u);  // the slice keys are not listed
  EXPECT_TRUE(r->Find("v")->sliced);
  EXPECT_EQ(r->Find("v")->bytes, 48);
  EXPECT_FALSE(r->Find("whole")->sliced);
  TFM_ASSERT_OK_AND_ASSIGN(Tensor v, r->Read("v"));
  ExpectSameTensor(v, Tensor::FromVector<float>(full, {4, 3}));
  TFM_ASSERT_OK_AND_ASSIGN(Tensor mid, r->ReadSlice("v", "4 3 1,2:1,2"));
  ExpectSameTensor(mid, Tensor::FromVector<float>({4, 5, 7, 8}, {2, 2}));
  TFM_ASSERT_OK_AND_ASSIGN(Tensor exact, r->ReadSlice("v", "4 3 2,2:-"));
  ExpectSameTensor(exact, bottom);
  TFM_ASSERT_OK_AND_ASSIGN(Tensor w2, r->ReadSlice("whole", "2 3 1,1:0,2"));
  ExpectSameTensor(w2, Tensor::FromVector<float>({3, 4}, {1, 2}));
  TFM_ASSERT_OK_AND_ASSIGN(Tensor all, r->ReadSlice("whole", ""));
  ExpectSameTensor(all, top);
  auto half = r->Read("half");
  EXPECT_THAT(half.status().message(), HasSubstr("does not have slices covering"));
  EXPECT_THAT(half.status().message(), HasSubstr("'half'"));
  TFM_ASSERT_OK_AND_ASSIGN(Tensor half_top, r->ReadSlice("half", "4 3 0,1:-"));
  ExpectSameTensor(half_top, Tensor::FromVector<float>({0, 1, 2}, {1, 3}));
  EXPECT_THAT(r->ReadSlice("v", "5 3 0,1:-").status().message(), HasSubstr("has shape [4,3]"));
}

TEST(CheckpointTest, BigEndianBundlesAreSwapped) {
  const std::string prefix = JoinPath(testing::TempDir(), "be");
  Tensor be(DType::kFloat, TensorShape{3});
  const float values[3] = {1.5f, -2.0f, 1e10f};
  for (int i = 0; i < 3; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &values[i], 4);
    bits = __builtin_bswap32(bits);
    std::memcpy(&be.data<float>()[i], &bits, 4);
  }
  {
    CheckpointWriter w(prefix);
    TFM_ASSERT_OK(w.Add("f", be));
    TFM_ASSERT_OK(w.Finish());
  }
  EditIndex(prefix, [](tensorflow::BundleHeaderProto* h, auto*) {
    h->set_endianness(tensorflow::BundleHeaderProto::BIG);
  });
  TFM_ASSERT_OK_AND_ASSIGN(auto r, CheckpointReader::Open(prefix));
  TFM_ASSERT_OK_AND_ASSIGN(Tensor f, r->Read("f"));
  EXPECT_EQ(f.data<float>()[0], 1.5f);
  EXPECT_EQ(f.data<float>()[1], -2.0f);
  EXPECT_EQ(f.data<float>()[2], 1e10f);
}

TEST(CheckpointTest, ReadsVariantTensors) {
  // Built by hand: [varint len][VariantTensorDataProto][masked running crc] per element.
  const std::string prefix = JoinPath(testing::TempDir(), "var");
  std::string data;
  uint32_t crc = 0;
  for (const char* type : {"tensorflow::TensorList", "int"}) {
    tensorflow::VariantTensorDataProto p;
    p.set_type_name(type);
    p.set_metadata("m");
    const std::string bytes = p.SerializeAsString();
    data.push_back(static_cast<char>(bytes.size()));
    uint64_t len = bytes.size();
    crc = crc32c::Extend(crc, &len, 8);
    data += bytes;
    crc = crc32c::Extend(crc, bytes.data(), bytes.size());
    uint32_t masked = crc32c::Mask(crc);
    data.append(reinterpret_cast<const char*>(&masked), 4);
    crc = crc32c::Extend(crc, &masked, 4);
  }
  TFM_ASSERT_OK(WriteStringToFile(prefix + ".data-00000-of-00001", data));
  tensorflow::BundleHeaderProto header;
  header.set_num_shards(1);
  header.mutable_version()->set_producer(1);
  tensorflow::BundleEntryProto e;
  e.set_dtype(tensorflow::DT_VARIANT);
  e.mutable_shape()->add_dim()->set_size(2);
  e.set_size(static_cast<int64_t>(data.size()));
  e.set_crc32c(crc32c::Mask(crc));
  WriteTable(prefix + ".index", {{"", header.SerializeAsString()}, {"v", e.SerializeAsString()}});
  TFM_ASSERT_OK_AND_ASSIGN(auto r, CheckpointReader::Open(prefix));
  TFM_ASSERT_OK_AND_ASSIGN(Tensor v, r->Read("v"));
  ASSERT_EQ(v.dtype(), DType::kVariant);
  EXPECT_EQ(v.data<Variant>()[0].type_name, "tensorflow::TensorList");
  EXPECT_EQ(v.data<Variant>()[1].type_name, "int");
  auto* payload =
      static_cast<tensorflow::VariantTensorDataProto*>(v.data<Variant>()[0].value.get());
  ASSERT_NE(payload, nullptr);
  EXPECT_EQ(payload->metadata(), "m");
  // Corrupt the second element's checksum.
  data[data.size() - 1] ^= 1;
  TFM_ASSERT_OK(WriteStringToFile(prefix + ".data-00000-of-00001", data));
  TFM_ASSERT_OK_AND_ASSIGN(auto r2, CheckpointReader::Open(prefix));
  EXPECT_THAT(r2->Read("v").status().message(), HasSubstr("variant element 1"));
}

// ---- V2 bad input ------------------------------------------------------------------------

TEST(CheckpointBadInputTest, TruncatedIndex) {
  const std::string prefix = WriteSimple(testing::TempDir());
  auto data = ReadFileToString(prefix + ".index");
  TFM_ASSERT_OK(WriteStringToFile(prefix + ".index", data->substr(0, data->size() - 10)));
  auto r = CheckpointReader::Open(prefix);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr(prefix + ".index"));
  // Cut in the middle of the data block: the footer is gone too.
  TFM_ASSERT_OK(WriteStringToFile(prefix + ".index", data->substr(0, 20)));
  EXPECT_THAT(CheckpointReader::Open(prefix).status().message(), HasSubstr(prefix + ".index"));
}

TEST(CheckpointBadInputTest, FlippedIndexByteFailsBlockChecksum) {
  const std::string prefix = WriteSimple(testing::TempDir());
  FlipByte(prefix + ".index", 5);
  auto r = CheckpointReader::Open(prefix);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr(prefix + ".index"));
  EXPECT_THAT(r.status().message(), HasSubstr("checksum"));
}

TEST(CheckpointBadInputTest, RandomBytesIndex) {
  const std::string prefix = JoinPath(testing::TempDir(), "rnd");
  std::string junk;
  uint32_t x = 12345;
  for (int i = 0; i < 4096; ++i) {
    x = x * 1103515245 + 12345;
    junk.push_back(static_cast<char>(x >> 16));
  }
  TFM_ASSERT_OK(WriteStringToFile(prefix + ".index", junk));
  auto r = CheckpointReader::Open(prefix);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr(prefix + ".index"));
  TFM_ASSERT_OK(WriteStringToFile(prefix + ".index", ""));
  EXPECT_THAT(CheckpointReader::Open(prefix).status().message(), HasSubstr("not a readable table"));
}

TEST(CheckpointBadInputTest, FlippedDataByteIsChecksumError) {
  const std::string prefix = WriteSimple(testing::TempDir());
  const std::string shard = prefix + ".data-00000-of-00001";
  // Layout (Add order): w (16 bytes), b (4), s.
  FlipByte(shard, 17);
  TFM_ASSERT_OK_AND_ASSIGN(auto r, CheckpointReader::Open(prefix));
  auto b = r->Read("b");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(b.status().message(), HasSubstr(shard));
  EXPECT_THAT(b.status().message(), HasSubstr("'b'"));
  EXPECT_THAT(b.status().message(), HasSubstr("checksum mismatch"));
  TFM_EXPECT_OK(r->Read("w").status());  // others are intact
  // A flipped string byte.
  FlipByte(shard, 20 + 2 + 4 + 1);
  TFM_ASSERT_OK_AND_ASSIGN(auto r2, CheckpointReader::Open(prefix));
  EXPECT_THAT(r2->Read("s").status().message(), HasSubstr("'s': data checksum mismatch"));
  // A flipped string length.
  FlipByte(shard, 20);
  TFM_ASSERT_OK_AND_ASSIGN(auto r3, CheckpointReader::Open(prefix));
  EXPECT_FALSE(r3->Read("s").ok());
}

TEST(CheckpointBadInputTest, MissingShard) {
  const std::string prefix = WriteSimple(testing::TempDir(), 2);
  std::filesystem::remove(prefix + ".data-00001-of-00002");
  TFM_ASSERT_OK_AND_ASSIGN(auto r, CheckpointReader::Open(prefix));
  int failures = 0;
  for (const auto& e : r->entries()) {
    auto t = r->Read(e.name);
    if (t.ok()) continue;
    ++failures;
    EXPECT_THAT(t.status().message(), HasSubstr(prefix + ".data-00001-of-00002"));
    EXPECT_THAT(t.status().message(), HasSubstr("'" + e.name + "'"));
  }
  EXPECT_GE(failures, 1);
}

TEST(CheckpointBadInputTest, EntryPastEndOfShard) {
  const std::string prefix = WriteSimple(testing::TempDir());
  EditIndex(prefix, [](auto*, std::map<std::string, tensorflow::BundleEntryProto>* e) {
    (*e)["w"].set_offset(1000);
    (*e)["s"].set_size(int64_t{1} << 40);
    (*e)["b"].set_offset(-4);
  });
  TFM_ASSERT_OK_AND_ASSIGN(auto r, CheckpointReader::Open(prefix));
  auto w = r->Read("w");
  EXPECT_THAT(w.status().message(), HasSubstr("'w' at offset 1000 with size 16 extends past"));
  EXPECT_THAT(w.status().message(), HasSubstr(".data-00000-of-00001"));
  EXPECT_THAT(r->Read("s").status().message(), HasSubstr("extends past the end"));
  EXPECT_THAT(r->Read("b").status().message(), HasSubstr("negative offset"));
}

TEST(CheckpointBadInputTest, AbsurdAndNegativeShapes) {
  const std::string prefix = WriteSimple(testing::TempDir());
  EditIndex(prefix, [](auto*, std::map<std::string, tensorflow::BundleEntryProto>* e) {
    (*e)["w"].mutable_shape()->mutable_dim(0)->set_size(int64_t{1} << 62);
  });
  auto r = CheckpointReader::Open(prefix);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("'w' has an invalid shape"));
  EXPECT_THAT(r.status().message(), HasSubstr(prefix + ".index"));
  EditIndex(prefix, [](auto*, std::map<std::string, tensorflow::BundleEntryProto>* e) {
    (*e)["w"].mutable_shape()->mutable_dim(0)->set_size(-3);
  });
  EXPECT_THAT(CheckpointReader::Open(prefix).status().message(),
              HasSubstr("'w' has an invalid shape"));
}

TEST(CheckpointBadInputTest, DtypeAndSizeMismatch) {
  const std::string prefix = WriteSimple(testing::TempDir());
  EditIndex(prefix, [](auto*, std::map<std::string, tensorflow::BundleEntryProto>* e) {
    (*e)["w"].set_dtype(tensorflow::DT_DOUBLE);
    (*e)["b"].set_size(3);
    (*e)["s"].mutable_shape()->mutable_dim(0)->set_size(100);  // more strings than bytes
  });
  TFM_ASSERT_OK_AND_ASSIGN(auto r, CheckpointReader::Open(prefix));
  EXPECT_THAT(r->Read("w").status().message(),
              HasSubstr("'w' stores 16 bytes but double [2,2] needs 32"));
  EXPECT_THAT(r->Read("b").status().message(),
              HasSubstr("'b' stores 3 bytes but float [] needs 4"));
  EXPECT_THAT(r->Read("s").status().message(), HasSubstr("'s' stores"));
  EditIndex(prefix, [](auto*, std::map<std::string, tensorflow::BundleEntryProto>* e) {
    (*e)["w"].set_dtype(static_cast<tensorflow::DataType>(77));
  });
  EXPECT_THAT(CheckpointReader::Open(prefix).status().message(),
              HasSubstr("'w': invalid dtype 77"));
}

TEST(CheckpointBadInputTest, BadHeader) {
  const std::string prefix = WriteSimple(testing::TempDir());
  EditIndex(prefix, [](tensorflow::BundleHeaderProto* h, auto*) { h->set_num_shards(0); });
  EXPECT_THAT(CheckpointReader::Open(prefix).status().message(), HasSubstr("num_shards 0"));
  EditIndex(prefix, [](tensorflow::BundleHeaderProto* h, auto*) {
    h->set_num_shards(1);
    h->mutable_version()->set_min_consumer(5);
  });
  EXPECT_THAT(CheckpointReader::Open(prefix).status().message(), HasSubstr("reader version 5"));
  EditIndex(prefix, [](tensorflow::BundleHeaderProto* h, auto* e) {
    h->mutable_version()->set_min_consumer(0);
    (*e)["w"].set_shard_id(4);
  });
  TFM_ASSERT_OK_AND_ASSIGN(auto r, CheckpointReader::Open(prefix));
  EXPECT_THAT(r->Read("w").status().message(), HasSubstr("'w' names shard 4"));
  // No header entry at all.
  WriteTable(prefix + ".index", {{"x", "junk"}});
  auto nohdr = CheckpointReader::Open(prefix);
  EXPECT_THAT(nohdr.status().message(), HasSubstr("'x' is not a BundleEntryProto"));
}

TEST(CheckpointBadInputTest, MissingCheckpoint) {
  const std::string dir = testing::TempDir();
  auto r = CheckpointReader::Open(JoinPath(dir, "nothing"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("nothing.index"));
  EXPECT_THAT(CheckpointReader::Open(dir).status().message(), HasSubstr("checkpoint state"));
}

// ---- V1 ---------------------------------------------------------------------------------

void WriteV1(const std::string& path,
             const std::vector<std::tuple<std::string, std::string, tensorflow::TensorProto>>& data,
             const tensorflow::SavedTensorSliceMeta& meta) {
  std::map<std::string, std::string> kv;
  tensorflow::SavedTensorSlices head;
  *head.mutable_meta() = meta;
  kv[""] = head.SerializeAsString();
  for (const auto& [name, slice_text, values] : data) {
    TensorSlice slice = *TensorSlice::Parse(slice_text);
    tensorflow::SavedTensorSlices sts;
    sts.mutable_data()->set_name(name);
    slice.ToProto(sts.mutable_data()->mutable_slice());
    *sts.mutable_data()->mutable_data() = values;
    kv[EncodeTensorNameSlice(name, slice)] = sts.SerializeAsString();
  }
  WriteTable(path, kv);
}

void AddMeta(tensorflow::SavedTensorSliceMeta* meta, const std::string& name,
             tensorflow::DataType dtype, std::vector<int64_t> dims,
             std::vector<std::string> slices) {
  auto* m = meta->add_tensor();
  m->set_name(name);
  m->set_type(dtype);
  for (int64_t d : dims) m->mutable_shape()->add_dim()->set_size(d);
  for (const auto& s : slices) TensorSlice::Parse(s)->ToProto(m->add_slice());
}

TEST(CheckpointV1Test, ReadsShardedSlicedFiles) {
  const std::string dir = testing::TempDir();
  // File 0: top half of v (4x2) and the scalar n; file 1: bottom half of v and strings.
  tensorflow::SavedTensorSliceMeta m0, m1;
  AddMeta(&m0, "v", tensorflow::DT_FLOAT, {4, 2}, {"0,2:-"});
  AddMeta(&m0, "n", tensorflow::DT_INT64, {}, {""});
  AddMeta(&m1, "v", tensorflow::DT_FLOAT, {4, 2}, {"2,2:-"});
  AddMeta(&m1, "s", tensorflow::DT_STRING, {2}, {"-"});
  AddMeta(&m1, "h", tensorflow::DT_HALF, {2}, {"-"});
  tensorflow::TensorProto top, bottom, n, s, h;
  for (float f : {0, 1, 2, 3}) top.add_float_val(f);
  for (float f : {4, 5, 6, 7}) bottom.add_float_val(f);
  n.add_int64_val(-7);
  s.add_string_val("x");
  s.add_string_val(std::string(200, 'y'));
  h.add_half_val(Half::FromFloat(1.5f).bits);
  h.add_half_val(Half::FromFloat(-2.0f).bits);
  WriteV1(JoinPath(dir, "model.ckpt-00000-of-00002"), {{"v", "0,2:-", top}, {"n", "", n}}, m0);
  WriteV1(JoinPath(dir, "model.ckpt-00001-of-00002"),
          {{"v", "2,2:-", bottom}, {"s", "-", s}, {"h", "-", h}}, m1);
  for (const std::string& path :
       {JoinPath(dir, "model.ckpt-\?\?\?\?\?-of-00002"), JoinPath(dir, "model.ckpt")}) {
    TFM_ASSERT_OK_AND_ASSIGN(auto r, CheckpointReader::Open(path));
    EXPECT_EQ(r->format_version(), 1);
    ASSERT_EQ(r->entries().size(), 4u);
    EXPECT_EQ(r->entries()[0].name, "h");
    EXPECT_TRUE(r->Find("v")->sliced);
    EXPECT_FALSE(r->Find("n")->sliced);
    TFM_ASSERT_OK_AND_ASSIGN(Tensor v, r->Read("v"));
    ExpectSameTensor(v, Tensor::FromVector<float>({0, 1, 2, 3, 4, 5, 6, 7}, {4, 2}));
    TFM_ASSERT_OK_AND_ASSIGN(Tensor mid, r->ReadSlice("v", "4 2 1,2:1,1"));
    ExpectSameTensor(mid, Tensor::FromVector<float>({3, 5}, {2, 1}));
    TFM_ASSERT_OK_AND_ASSIGN(Tensor nn, r->Read("n"));
    EXPECT_EQ(nn.scalar<int64_t>(), -7);
    TFM_ASSERT_OK_AND_ASSIGN(Tensor ss, r->Read("s"));
    EXPECT_EQ(ss.data<std::string>()[1], std::string(200, 'y'));
    TFM_ASSERT_OK_AND_ASSIGN(Tensor hh, r->Read("h"));
    EXPECT_EQ(hh.data<Half>()[0].ToFloat(), 1.5f);
    EXPECT_EQ(hh.data<Half>()[1].ToFloat(), -2.0f);
  }
}

TEST(CheckpointV1Test, BadFiles) {
  const std::string dir = testing::TempDir();
  tensorflow::SavedTensorSliceMeta meta;
  AddMeta(&meta, "v", tensorflow::DT_FLOAT, {3}, {"-"});
  AddMeta(&meta, "gone", tensorflow::DT_FLOAT, {1}, {"-"});
  tensorflow::TensorProto two;
  two.add_float_val(1);
  two.add_float_val(2);
  const std::string path = JoinPath(dir, "v1");
  WriteV1(path, {{"v", "-", two}}, meta);
  TFM_ASSERT_OK_AND_ASSIGN(auto r, CheckpointReader::Open(path));
  EXPECT_THAT(r->Read("v").status().message(), HasSubstr("expected 3 float values, found 2"));
  EXPECT_THAT(r->Read("v").status().message(), HasSubstr(path));
  EXPECT_THAT(r->Read("gone").status().message(),
              HasSubstr("'gone' slice \"-\": the data entry is missing"));
  // A table without the metadata key.
  WriteTable(path, {{"a", "b"}});
  EXPECT_THAT(CheckpointReader::Open(path).status().message(),
              HasSubstr("no SavedTensorSlices metadata"));
  // Not a table at all.
  TFM_ASSERT_OK(WriteStringToFile(
      path, "definitely not a checkpoint, but long enough to have a footer................"));
  EXPECT_THAT(CheckpointReader::Open(path).status().message(), HasSubstr(path));
  EXPECT_THAT(CheckpointReader::Open(JoinPath(dir, "x-\?\?\?\?\?-of-00001")).status().message(),
              HasSubstr("no files match"));
}

// ---- state file -------------------------------------------------------------------------

TEST(CheckpointStateTest, WriteReadResolve) {
  const std::string dir = testing::TempDir();
  const std::string prefix = WriteSimple(dir);
  tensorflow::CheckpointState st;
  st.set_model_checkpoint_path("model");
  st.add_all_model_checkpoint_paths("model");
  TFM_ASSERT_OK(WriteCheckpointState(dir, st));
  auto text = ReadFileToString(JoinPath(dir, "checkpoint"));
  EXPECT_EQ(*text, "model_checkpoint_path: \"model\"\nall_model_checkpoint_paths: \"model\"\n");
  TFM_ASSERT_OK_AND_ASSIGN(auto back, ReadCheckpointState(dir));
  EXPECT_EQ(back.model_checkpoint_path(), "model");
  EXPECT_EQ(*ResolveCheckpointPrefix(dir), prefix);
  EXPECT_EQ(*ResolveCheckpointPrefix(prefix + ".index"), prefix);
  EXPECT_EQ(*ResolveCheckpointPrefix(prefix + ".data-00000-of-00001"), prefix);
  EXPECT_EQ(*ResolveCheckpointPrefix(prefix), prefix);
  TFM_ASSERT_OK_AND_ASSIGN(auto r, CheckpointReader::Open(dir));
  EXPECT_EQ(r->prefix(), prefix);
  // An absolute path that moved: fall back to the same name in the folder.
  st.set_model_checkpoint_path("/nonexistent/elsewhere/model");
  TFM_ASSERT_OK(WriteCheckpointState(dir, st));
  EXPECT_EQ(*ResolveCheckpointPrefix(dir), prefix);
  st.set_model_checkpoint_path("/nonexistent/elsewhere/other");
  TFM_ASSERT_OK(WriteCheckpointState(dir, st));
  EXPECT_THAT(ResolveCheckpointPrefix(dir).status().message(),
              HasSubstr("/nonexistent/elsewhere/other, which does not exist"));
  // Empty or malformed state files.
  TFM_ASSERT_OK(WriteStringToFile(JoinPath(dir, "checkpoint"), ""));
  EXPECT_THAT(ReadCheckpointState(dir).status().message(),
              HasSubstr("empty model_checkpoint_path"));
  TFM_ASSERT_OK(WriteStringToFile(JoinPath(dir, "checkpoint"), "model_checkpoint_path: {"));
  EXPECT_FALSE(ReadCheckpointState(dir).ok());
  tensorflow::CheckpointState empty;
  EXPECT_FALSE(WriteCheckpointState(dir, empty).ok());
}

}  // namespace
}  // namespace tfmodel
