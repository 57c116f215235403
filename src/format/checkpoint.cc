// TensorFlow checkpoints: V2 tensor bundles (read and write), V1 SavedTensorSlices files
// (read) and the `checkpoint` state file. Both index formats are LevelDB tables; leveldb's
// Table reads them (verifying block checksums, handling Snappy) and TableBuilder writes them.
#include "format/checkpoint.h"

#include <fcntl.h>
#include <glob.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/crc32c.h"
#include "core/file_util.h"
#include "core/status.h"
#include "format/proto_io.h"
#include "format/tensor_proto.h"
#include "format/tensor_slice.h"
#include "google/protobuf/text_format.h"
#include "leveldb/env.h"
#include "leveldb/iterator.h"
#include "leveldb/options.h"
#include "leveldb/table.h"
#include "leveldb/table_builder.h"
#include "tensorflow/core/framework/tensor.pb.h"
#include "tensorflow/core/protobuf/tensor_bundle.pb.h"
#include "tensorflow/core/util/saved_tensor_slice.pb.h"

namespace tfmodel {
namespace {

static_assert(std::endian::native == std::endian::little,
              "tfmodel's checkpoint code assumes a little-endian host");

// tensor_bundle.cc: kTensorBundleVersion / kTensorBundleMinProducer.
constexpr int kTensorBundleVersion = 1;
constexpr int kTensorBundleMinProducer = 0;
// TF's table::Options defaults (core/lib/io/table_options.h).
constexpr size_t kTableBlockSize = 262144;
constexpr int kTableRestartInterval = 16;
// V1 savers shard as "<prefix>-00000-of-00002" (escaped: "??-" would be a trigraph).
constexpr char kV1ShardSuffix[] = "-\?\?\?\?\?-of-\?\?\?\?\?";

std::string DataFilename(absl::string_view prefix, int shard, int num_shards) {
  return absl::StrFormat("%s.data-%05d-of-%05d", prefix, shard, num_shards);
}
std::string IndexFilename(absl::string_view prefix) { return absl::StrCat(prefix, ".index"); }

std::string Quote(absl::string_view s) { return absl::StrCat("'", s, "'"); }

bool HasGlobChars(absl::string_view s) { return s.find_first_of("?*[") != s.npos; }

std::vector<std::string> Glob(const std::string& pattern) {
  std::vector<std::string> out;
  glob_t g;
  std::memset(&g, 0, sizeof(g));
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  ::globfree(&g);
  std::sort(out.begin(), out.end());
  return out;
}

bool IsRegularFile(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

// ---------------------------------------------------------------------------------------
// LevelDB glue.

class MappedSource : public leveldb::RandomAccessFile {
 public:
  explicit MappedSource(std::shared_ptr<MappedFile> f) : file_(std::move(f)) {}
  leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result,
                       char* scratch) const override {
    const size_t size = file_->size();
    if (offset > size) {
      *result = leveldb::Slice();
      return leveldb::Status::IOError(file_->path(), "read past the end of the file");
    }
    n = std::min<uint64_t>(n, size - offset);
    *result = leveldb::Slice(file_->bytes() + offset, n);
    return leveldb::Status::OK();
  }

 private:
  std::shared_ptr<MappedFile> file_;
};

struct SSTable {
  std::string path;
  std::shared_ptr<MappedFile> file;
  std::unique_ptr<MappedSource> source;
  std::unique_ptr<leveldb::Table> table;
};

leveldb::ReadOptions VerifyingReadOptions() {
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  ro.fill_cache = false;
  return ro;
}

absl::StatusOr<std::unique_ptr<SSTable>> OpenSSTable(const std::string& path,
                                                     absl::string_view what) {
  auto t = std::make_unique<SSTable>();
  t->path = path;
  TFM_ASSIGN_OR_RETURN(t->file, MappedFile::Open(path));
  t->source = std::make_unique<MappedSource>(t->file);
  leveldb::Options options;
  options.paranoid_checks = true;
  leveldb::Table* table = nullptr;
  leveldb::Status s = leveldb::Table::Open(options, t->source.get(), t->file->size(), &table);
  if (!s.ok()) {
    return absl::DataLossError(absl::StrCat(what, " ", path,
                                            " is not a readable table (corrupt or not a "
                                            "checkpoint): ",
                                            s.ToString()));
  }
  t->table.reset(table);
  return t;
}

// Looks `key` up; nullopt when absent.
absl::StatusOr<std::optional<std::string>> TableLookup(const SSTable& t, absl::string_view key) {
  std::unique_ptr<leveldb::Iterator> it(t.table->NewIterator(VerifyingReadOptions()));
  it->Seek(leveldb::Slice(key.data(), key.size()));
  if (!it->status().ok()) {
    return absl::DataLossError(
        absl::StrCat("table ", t.path, " is corrupt: ", it->status().ToString()));
  }
  if (!it->Valid() || it->key().ToString() != key) return std::optional<std::string>();
  return std::optional<std::string>(it->value().ToString());
}

// ---------------------------------------------------------------------------------------
// Small codecs.

void PutVarint64(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint64(const char** p, const char* end, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && *p < end; shift += 7) {
    const uint64_t byte = static_cast<unsigned char>(**p);
    ++*p;
    if (byte & 0x80) {
      result |= (byte & 0x7f) << shift;
    } else {
      result |= byte << shift;
      *v = result;
      return true;
    }
  }
  return false;
}

uint32_t LoadU32(const char* p, bool big_endian) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return big_endian ? __builtin_bswap32(v) : v;
}

void ByteSwapElements(char* data, int64_t n, DType dtype) {
  size_t width = DTypeSize(dtype);
  int64_t count = n;
  if (dtype == DType::kComplex64 || dtype == DType::kComplex128) {
    width /= 2;  // each component separately
    count *= 2;
  }
  if (width <= 1) return;
  for (int64_t i = 0; i < count; ++i) std::reverse(data + i * width, data + (i + 1) * width);
}

absl::StatusOr<DType> EntryDType(int value, absl::string_view where) {
  if (!DTypeIsValid(value) || value >= kDTypeRefOffset) {
    return absl::DataLossError(absl::StrCat(where, ": invalid dtype ", value));
  }
  return static_cast<DType>(value);
}

// ---------------------------------------------------------------------------------------
// Slice assembly shared by both readers.

class ReaderBase : public CheckpointReader {
 public:
  const std::string& prefix() const override { return prefix_; }
  const std::vector<CheckpointEntry>& entries() const override { return entries_; }
  const CheckpointEntry* Find(const std::string& name) const override {
    auto it = infos_.find(name);
    return it == infos_.end() ? nullptr : &entries_[it->second.index];
  }

  absl::StatusOr<Tensor> Read(const std::string& name) const override {
    TFM_ASSIGN_OR_RETURN(const Info* info, Lookup(name));
    if (info->pieces.empty()) return ReadWhole(*info);
    std::vector<int64_t> start(entries_[info->index].shape.rank(), 0);
    std::vector<int64_t> size(entries_[info->index].shape.dim_sizes().begin(),
                              entries_[info->index].shape.dim_sizes().end());
    return ReadRegion(*info, start, size);
  }

  absl::StatusOr<Tensor> ReadSlice(const std::string& name,
                                   const std::string& shape_and_slice) const override {
    if (shape_and_slice.empty()) return Read(name);
    TFM_ASSIGN_OR_RETURN(const Info* info, Lookup(name));
    TensorShape shape, slice_shape;
    TensorSlice slice;
    TFM_RETURN_IF_ERROR(Annotate(ParseShapeAndSlice(shape_and_slice, &shape, &slice, &slice_shape),
                                 absl::StrCat(where(), ": tensor ", Quote(name))));
    if (shape != entries_[info->index].shape) {
      return absl::InvalidArgumentError(absl::StrCat(
          where(), ": tensor ", Quote(name), " has shape ", entries_[info->index].shape.ToString(),
          " but shape_and_slice \"", shape_and_slice, "\" names shape ", shape.ToString()));
    }
    std::vector<int64_t> start, size;
    TFM_RETURN_IF_ERROR(slice.Resolve(shape, &start, &size));
    if (info->pieces.empty()) {
      TFM_ASSIGN_OR_RETURN(Tensor whole, ReadWhole(*info));
      if (slice_shape == shape) return whole;
      TFM_ASSIGN_OR_RETURN(Tensor out, Tensor::Create(whole.dtype(), slice_shape));
      std::vector<int64_t> zero(shape.rank(), 0);
      std::vector<int64_t> full(shape.dim_sizes().begin(), shape.dim_sizes().end());
      TFM_RETURN_IF_ERROR(CopySliceIntersection(whole, zero, full, &out, start, size).status());
      return out;
    }
    return ReadRegion(*info, start, size);
  }

 protected:
  struct Piece {
    TensorSlice slice;
    std::vector<int64_t> start, size;  // resolved against the full shape
    int file = 0;                      // V1: which file holds it
  };
  struct Info {
    size_t index = 0;           // into entries_
    std::vector<Piece> pieces;  // empty: stored whole (V2 only)
  };

  // A description of the checkpoint for messages ("checkpoint /x/model").
  virtual std::string where() const = 0;
  virtual absl::StatusOr<Tensor> ReadWhole(const Info& info) const = 0;
  // The stored tensor of one piece, with shape piece.size.
  virtual absl::StatusOr<Tensor> ReadPiece(const Info& info, const Piece& piece) const = 0;

  absl::StatusOr<const Info*> Lookup(const std::string& name) const {
    auto it = infos_.find(name);
    if (it == infos_.end()) {
      return absl::NotFoundError(
          absl::StrCat(where(), ": no tensor named ", Quote(name), " in the checkpoint"));
    }
    return &it->second;
  }

  // Resolves the pieces and checks they do not overlap (as TF's TensorSliceSet requires).
  absl::Status ValidatePieces(const std::string& name, Info* info) const {
    const TensorShape& shape = entries_[info->index].shape;
    for (Piece& p : info->pieces) {
      TFM_RETURN_IF_ERROR(Annotate(p.slice.Resolve(shape, &p.start, &p.size),
                                   absl::StrCat(where(), ": tensor ", Quote(name))));
    }
    for (size_t i = 0; i < info->pieces.size(); ++i) {
      for (size_t j = i + 1; j < info->pieces.size(); ++j) {
        const Piece& a = info->pieces[i];
        const Piece& b = info->pieces[j];
        bool overlap = true;
        for (size_t d = 0; d < a.start.size(); ++d) {
          if (std::max(a.start[d], b.start[d]) >=
              std::min(a.start[d] + a.size[d], b.start[d] + b.size[d])) {
            overlap = false;
          }
        }
        if (overlap && shape.NumElements() > 0) {
          return absl::DataLossError(absl::StrCat(where(), ": tensor ", Quote(name),
                                                  " has overlapping slices \"", a.slice.ToString(),
                                                  "\" and \"", b.slice.ToString(), "\""));
        }
      }
    }
    return absl::OkStatus();
  }

  // Assembles the box (start, size) of a sliced tensor from the stored pieces.
  absl::StatusOr<Tensor> ReadRegion(const Info& info, const std::vector<int64_t>& start,
                                    const std::vector<int64_t>& size) const {
    const CheckpointEntry& e = entries_[info.index];
    int64_t want = 1;
    for (int64_t s : size) want *= s;
    if (want == 0) return Tensor::Create(e.dtype, TensorShape(absl::MakeConstSpan(size)));
    std::vector<std::pair<const Piece*, Tensor>> parts;
    int64_t covered = 0;
    for (const Piece& p : info.pieces) {
      int64_t vol = 1;
      for (size_t d = 0; d < start.size(); ++d) {
        const int64_t lo = std::max(start[d], p.start[d]);
        const int64_t hi = std::min(start[d] + size[d], p.start[d] + p.size[d]);
        vol *= std::max<int64_t>(0, hi - lo);
      }
      if (vol == 0) continue;
      TFM_ASSIGN_OR_RETURN(Tensor t, ReadPiece(info, p));
      // A piece that is exactly the request needs no copy.
      if (p.start == start && p.size == size) return t;
      covered += vol;
      parts.emplace_back(&p, std::move(t));
    }
    if (covered != want) {
      TensorSlice requested;
      std::vector<std::pair<int64_t, int64_t>> ext;
      for (size_t d = 0; d < start.size(); ++d) ext.emplace_back(start[d], size[d]);
      return absl::DataLossError(absl::StrCat(where(), ": tensor ", Quote(e.name),
                                              " does not have slices covering \"",
                                              TensorSlice::FromExtents(ext).ToString(), "\" (",
                                              covered, " of ", want, " elements stored)"));
    }
    TFM_ASSIGN_OR_RETURN(Tensor out,
                         Tensor::Create(e.dtype, TensorShape(absl::MakeConstSpan(size))));
    for (auto& [p, t] : parts) {
      TFM_RETURN_IF_ERROR(CopySliceIntersection(t, p->start, p->size, &out, start, size).status());
    }
    return out;
  }

  std::string prefix_;
  std::vector<CheckpointEntry> entries_;
  std::map<std::string, Info> infos_;
};

// ---------------------------------------------------------------------------------------
// V2 tensor bundle reader.

class BundleReader : public ReaderBase {
 public:
  static absl::StatusOr<std::unique_ptr<CheckpointReader>> Open(const std::string& prefix) {
    std::unique_ptr<BundleReader> r(new BundleReader());
    r->prefix_ = prefix;
    r->index_path_ = IndexFilename(prefix);
    TFM_RETURN_IF_ERROR(r->Load());
    return std::unique_ptr<CheckpointReader>(std::move(r));
  }

  int format_version() const override { return 2; }

 protected:
  std::string where() const override { return absl::StrCat("checkpoint ", index_path_); }

  absl::StatusOr<Tensor> ReadWhole(const Info& info) const override {
    const CheckpointEntry& e = entries_[info.index];
    return DecodeEntry(e.name, protos_.at(e.name), e.dtype, e.shape);
  }

  absl::StatusOr<Tensor> ReadPiece(const Info& info, const Piece& piece) const override {
    const CheckpointEntry& e = entries_[info.index];
    const std::string what = absl::StrCat(e.name, " (slice \"", piece.slice.ToString(), "\")");
    auto it = protos_.find(EncodeTensorNameSlice(e.name, piece.slice));
    if (it == protos_.end()) {
      return absl::DataLossError(absl::StrCat(where(), ": tensor ", Quote(what),
                                              " is listed but its slice entry is missing"));
    }
    const tensorflow::BundleEntryProto& sp = it->second;
    if (static_cast<int>(sp.dtype()) != static_cast<int>(e.dtype)) {
      return absl::DataLossError(absl::StrCat(where(), ": tensor ", Quote(what), " has dtype ",
                                              static_cast<int>(sp.dtype()), " but the tensor is ",
                                              DTypeName(e.dtype)));
    }
    auto shape_or = ShapeFromProto(sp.shape());
    const TensorShape want(absl::MakeConstSpan(piece.size));
    if (!shape_or.ok() || *shape_or != want) {
      return absl::DataLossError(absl::StrCat(
          where(), ": tensor ", Quote(what), " is stored with shape ",
          sp.shape().ShortDebugString(), " but the slice has shape ", want.ToString()));
    }
    return DecodeEntry(what, sp, e.dtype, want);
  }

 private:
  absl::Status Load() {
    TFM_ASSIGN_OR_RETURN(index_, OpenSSTable(index_path_, "checkpoint index"));
    std::unique_ptr<leveldb::Iterator> it(index_->table->NewIterator(VerifyingReadOptions()));
    bool have_header = false;
    tensorflow::BundleHeaderProto header;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const std::string key = it->key().ToString();
      const leveldb::Slice v = it->value();
      if (key.empty()) {
        if (!header.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
          return absl::DataLossError(
              absl::StrCat(where(), ": the header entry is not a BundleHeaderProto"));
        }
        have_header = true;
        continue;
      }
      tensorflow::BundleEntryProto entry;
      if (v.size() > INT32_MAX || !entry.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
        return absl::DataLossError(absl::StrCat(where(), ": the entry for tensor ", Quote(key),
                                                " is not a BundleEntryProto"));
      }
      protos_.emplace(key, std::move(entry));
    }
    if (!it->status().ok()) {
      return absl::DataLossError(absl::StrCat(where(), " is corrupt: ", it->status().ToString()));
    }
    if (!have_header) {
      return absl::DataLossError(absl::StrCat(
          where(), " has no header entry (the empty key); not a TensorFlow V2 checkpoint index"));
    }
    TFM_RETURN_IF_ERROR(CheckHeader(header));

    // Keys of the stored partitions of sliced tensors are not tensors of their own.
    std::set<std::string> slice_keys;
    for (const auto& [key, entry] : protos_) {
      for (const auto& sp : entry.slices()) {
        auto slice_or = TensorSlice::FromProto(sp);
        if (!slice_or.ok()) {
          return Annotate(slice_or.status(), absl::StrCat(where(), ": tensor ", Quote(key)));
        }
        slice_keys.insert(EncodeTensorNameSlice(key, *slice_or));
      }
    }
    for (const auto& [key, entry] : protos_) {
      if (slice_keys.count(key)) continue;
      const std::string here = absl::StrCat(where(), ": tensor ", Quote(key));
      TFM_ASSIGN_OR_RETURN(DType dtype, EntryDType(static_cast<int>(entry.dtype()), here));
      auto shape_or = ShapeFromProto(entry.shape());
      if (!shape_or.ok()) {
        return absl::DataLossError(absl::StrCat(here, " has an invalid shape ",
                                                entry.shape().ShortDebugString(), ": ",
                                                shape_or.status().message()));
      }
      CheckpointEntry ce;
      ce.name = key;
      ce.dtype = dtype;
      ce.shape = *shape_or;
      ce.sliced = entry.slices_size() > 0;
      Info info;
      info.index = entries_.size();
      if (ce.sliced) {
        for (const auto& sp : entry.slices()) {
          Piece p;
          p.slice = *TensorSlice::FromProto(sp);  // validated above
          auto sit = protos_.find(EncodeTensorNameSlice(key, p.slice));
          if (sit != protos_.end()) ce.bytes += sit->second.size();
          info.pieces.push_back(std::move(p));
        }
      } else {
        ce.bytes = entry.size();
      }
      entries_.push_back(std::move(ce));
      TFM_RETURN_IF_ERROR(ValidatePieces(key, &info));
      infos_.emplace(key, std::move(info));
    }
    return absl::OkStatus();
  }

  absl::Status CheckHeader(const tensorflow::BundleHeaderProto& header) {
    if (header.num_shards() < 1) {
      return absl::DataLossError(
          absl::StrCat(where(), ": header has invalid num_shards ", header.num_shards()));
    }
    num_shards_ = header.num_shards();
    switch (header.endianness()) {
      case tensorflow::BundleHeaderProto::LITTLE:
        swap_ = false;
        break;
      case tensorflow::BundleHeaderProto::BIG:
        swap_ = true;
        break;
      default:
        return absl::DataLossError(absl::StrCat(where(), ": header has unknown endianness ",
                                                static_cast<int>(header.endianness())));
    }
    const auto& v = header.version();
    if (v.producer() < kTensorBundleMinProducer) {
      return absl::FailedPreconditionError(absl::StrCat(where(), ": checkpoint producer version ",
                                                        v.producer(), " is below the minimum ",
                                                        kTensorBundleMinProducer));
    }
    if (v.min_consumer() > kTensorBundleVersion) {
      return absl::FailedPreconditionError(
          absl::StrCat(where(), ": checkpoint requires reader version ", v.min_consumer(),
                       " but tfmodel reads version ", kTensorBundleVersion));
    }
    for (int bad : v.bad_consumers()) {
      if (bad == kTensorBundleVersion) {
        return absl::FailedPreconditionError(
            absl::StrCat(where(), ": checkpoint disallows reader version ", kTensorBundleVersion));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::shared_ptr<MappedFile>> Shard(int id, const std::string& what) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = shards_.find(id);
    if (it != shards_.end()) return it->second;
    const std::string path = DataFilename(prefix_, id, num_shards_);
    auto f = MappedFile::Open(path);
    if (!f.ok()) {
      return absl::NotFoundError(absl::StrCat("checkpoint data shard ", path, " for tensor ",
                                              Quote(what),
                                              " cannot be opened: ", f.status().message()));
    }
    shards_.emplace(id, *f);
    return *f;
  }

  // Reads one stored (unsliced) entry: bounds, size and checksum checks, then decoding.
  absl::StatusOr<Tensor> DecodeEntry(const std::string& name,
                                     const tensorflow::BundleEntryProto& entry, DType dtype,
                                     const TensorShape& shape) const {
    if (entry.shard_id() < 0 || entry.shard_id() >= num_shards_) {
      return absl::DataLossError(absl::StrCat(where(), ": tensor ", Quote(name), " names shard ",
                                              entry.shard_id(), " but the checkpoint has ",
                                              num_shards_));
    }
    if (entry.offset() < 0 || entry.size() < 0) {
      return absl::DataLossError(absl::StrCat(where(), ": tensor ", Quote(name),
                                              " has negative offset ", entry.offset(), " or size ",
                                              entry.size()));
    }
    const int64_t n = shape.NumElements();
    if (DTypeIsPod(dtype)) {
      const uint64_t expected = static_cast<uint64_t>(n) * DTypeSize(dtype);
      if (static_cast<uint64_t>(entry.size()) != expected) {
        return absl::DataLossError(absl::StrCat(where(), ": tensor ", Quote(name), " stores ",
                                                entry.size(), " bytes but ", DTypeName(dtype), " ",
                                                shape.ToString(), " needs ", expected));
      }
    } else if (dtype == DType::kString || dtype == DType::kVariant) {
      if (entry.size() < n) {  // at least one length byte per element
        return absl::DataLossError(absl::StrCat(where(), ": tensor ", Quote(name), " stores ",
                                                entry.size(), " bytes, too few for ", n, " ",
                                                DTypeName(dtype), " elements"));
      }
      if (entry.size() == 0) {
        // A writer that stores nothing for an empty string tensor.
        return Tensor::Create(dtype, shape);
      }
    } else {
      return absl::UnimplementedError(absl::StrCat(where(), ": tensor ", Quote(name), " has dtype ",
                                                   DTypeName(dtype),
                                                   ", which checkpoints cannot hold"));
    }
    TFM_ASSIGN_OR_RETURN(std::shared_ptr<MappedFile> shard, Shard(entry.shard_id(), name));
    const uint64_t fsize = shard->size();
    const uint64_t off = static_cast<uint64_t>(entry.offset());
    const uint64_t len = static_cast<uint64_t>(entry.size());
    if (off > fsize || len > fsize - off) {
      return absl::DataLossError(absl::StrCat(
          "checkpoint data shard ", shard->path(), ": tensor ", Quote(name), " at offset ", off,
          " with size ", len, " extends past the end of the file (", fsize, " bytes)"));
    }
    const char* data = shard->bytes() + off;
    const uint32_t stored_crc = crc32c::Unmask(entry.crc32c());
    auto crc_error = [&](uint32_t actual, absl::string_view what) {
      return absl::DataLossError(absl::StrFormat(
          "checkpoint data shard %s: tensor '%s': %s checksum mismatch (stored %08x, computed "
          "%08x); the file is corrupt",
          shard->path(), name, what, stored_crc, actual));
    };

    if (DTypeIsPod(dtype)) {
      const uint32_t actual = crc32c::Value(data, len);
      if (actual != stored_crc) return crc_error(actual, "data");
      if (len == 0) return Tensor(dtype, shape);
      const size_t align = std::min<size_t>(DTypeSize(dtype), 16);
      if (!swap_ && (reinterpret_cast<uintptr_t>(data) % align) == 0) {
        return Tensor::View(dtype, shape, shard, off);
      }
      Tensor t = Tensor::Empty(dtype, shape);
      std::memcpy(t.raw_data(), data, len);
      if (swap_) ByteSwapElements(static_cast<char*>(t.raw_data()), n, dtype);
      return t;
    }

    const char* p = data;
    const char* end = data + len;
    auto truncated = [&](absl::string_view what) {
      return absl::DataLossError(absl::StrCat("checkpoint data shard ", shard->path(), ": tensor ",
                                              Quote(name), ": ", what, " runs past the entry's ",
                                              len, " bytes"));
    };
    if (dtype == DType::kString) {
      std::vector<uint64_t> lengths(static_cast<size_t>(n));
      uint32_t crc = 0;
      uint64_t total = 0;
      for (int64_t i = 0; i < n; ++i) {
        if (!GetVarint64(&p, end, &lengths[i])) return truncated("a string length");
        unsigned char le[8];
        size_t width = lengths[i] <= UINT32_MAX ? 4 : 8;
        for (size_t b = 0; b < width; ++b) {
          const size_t shift = swap_ ? 8 * (width - 1 - b) : 8 * b;
          le[b] = static_cast<unsigned char>(lengths[i] >> shift);
        }
        crc = crc32c::Extend(crc, le, width);
        if (lengths[i] > len) return truncated("a string");
        total += lengths[i];
      }
      if (end - p < 4) return truncated("the string length checksum");
      const uint32_t length_crc = LoadU32(p, swap_);
      if (crc32c::Unmask(length_crc) != crc) {
        return absl::DataLossError(absl::StrFormat(
            "checkpoint data shard %s: tensor '%s': string length checksum mismatch (stored "
            "%08x, computed %08x); the file is corrupt",
            shard->path(), name, crc32c::Unmask(length_crc), crc));
      }
      crc = crc32c::Extend(crc, p, 4);
      p += 4;
      if (total > static_cast<uint64_t>(end - p)) return truncated("the string bytes");
      TFM_ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dtype, shape));
      std::string* out = t.data<std::string>();
      for (int64_t i = 0; i < n; ++i) {
        out[i].assign(p, lengths[i]);
        crc = crc32c::Extend(crc, p, lengths[i]);
        p += lengths[i];
      }
      if (crc != stored_crc) return crc_error(crc, "data");
      return t;
    }

    // DT_VARIANT: per element [varint64 len][VariantTensorDataProto][masked running crc].
    if (swap_) {
      return absl::UnimplementedError(absl::StrCat(
          where(), ": tensor ", Quote(name),
          " is a variant tensor in a big-endian checkpoint; byte-swapping variants is not "
          "supported (neither does TensorFlow)"));
    }
    TFM_ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dtype, shape));
    uint32_t crc = 0;
    for (int64_t i = 0; i < n; ++i) {
      uint64_t elen;
      if (!GetVarint64(&p, end, &elen)) return truncated("a variant length");
      unsigned char le[8];
      for (int b = 0; b < 8; ++b) le[b] = static_cast<unsigned char>(elen >> (8 * b));
      crc = crc32c::Extend(crc, le, 8);
      if (elen > static_cast<uint64_t>(end - p)) return truncated("a variant");
      auto proto = std::make_shared<tensorflow::VariantTensorDataProto>();
      if (elen > INT32_MAX || !proto->ParseFromArray(p, static_cast<int>(elen))) {
        return absl::DataLossError(absl::StrCat("checkpoint data shard ", shard->path(),
                                                ": tensor ", Quote(name), ": variant element ", i,
                                                " is not a VariantTensorDataProto"));
      }
      crc = crc32c::Extend(crc, p, elen);
      p += elen;
      if (end - p < 4) return truncated("a variant checksum");
      const uint32_t elem_crc = LoadU32(p, false);
      if (crc32c::Unmask(elem_crc) != crc) {
        return absl::DataLossError(absl::StrFormat(
            "checkpoint data shard %s: tensor '%s': checksum after variant element %d does "
            "not match (stored %08x, computed %08x); the file is corrupt",
            shard->path(), name, i, crc32c::Unmask(elem_crc), crc));
      }
      crc = crc32c::Extend(crc, p, 4);
      p += 4;
      Variant& v = t.data<Variant>()[i];
      v.type_name = proto->type_name();
      v.value = proto;  // the payload stays encoded; the runtime decodes what it knows
    }
    if (crc != stored_crc) return crc_error(crc, "data");
    return t;
  }

  std::string index_path_;
  std::unique_ptr<SSTable> index_;
  std::map<std::string, tensorflow::BundleEntryProto> protos_;  // every key but the header
  int num_shards_ = 1;
  bool swap_ = false;
  mutable std::mutex mu_;
  mutable std::map<int, std::shared_ptr<MappedFile>> shards_;
};

// ---------------------------------------------------------------------------------------
// V1 (SavedTensorSlices) reader.

template <typename T, typename Field>
void FillFrom(const Field& field, T* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(field.Get(static_cast<int>(i)));
}

// The values of one saved slice, held in TensorProto's typed fields as TF's V1 saver
// writes them (saved_tensor_slice_util.h), or in tensor_content.
absl::StatusOr<Tensor> DecodeSliceValues(const tensorflow::TensorProto& proto, DType dtype,
                                         const TensorShape& shape, const std::string& where) {
  const int64_t n = shape.NumElements();
  int64_t found = -1;
  switch (dtype) {
    case DType::kFloat:
      found = proto.float_val_size();
      break;
    case DType::kDouble:
      found = proto.double_val_size();
      break;
    case DType::kInt32:
    case DType::kUInt8:
    case DType::kInt8:
    case DType::kInt16:
    case DType::kUInt16:
    case DType::kQInt8:
    case DType::kQUInt8:
    case DType::kQInt16:
    case DType::kQUInt16:
    case DType::kQInt32:
      found = proto.int_val_size();
      break;
    case DType::kInt64:
      found = proto.int64_val_size();
      break;
    case DType::kUInt32:
      found = proto.uint32_val_size();
      break;
    case DType::kUInt64:
      found = proto.uint64_val_size();
      break;
    case DType::kBool:
      found = proto.bool_val_size();
      break;
    case DType::kHalf:
    case DType::kBFloat16:
      found = proto.half_val_size();
      break;
    case DType::kComplex64:
      found = proto.scomplex_val_size() / 2;
      break;
    case DType::kComplex128:
      found = proto.dcomplex_val_size() / 2;
      break;
    case DType::kString:
      found = proto.string_val_size();
      break;
    default:
      return absl::UnimplementedError(
          absl::StrCat(where, ": dtype ", DTypeName(dtype), " is not supported in V1 checkpoints"));
  }
  if (found == 0 && n > 0 && DTypeIsPod(dtype) && !proto.tensor_content().empty()) {
    if (proto.tensor_content().size() != static_cast<size_t>(n) * DTypeSize(dtype)) {
      return absl::DataLossError(absl::StrCat(where, ": tensor_content has ",
                                              proto.tensor_content().size(), " bytes, expected ",
                                              n * DTypeSize(dtype)));
    }
    Tensor t = Tensor::Empty(dtype, shape);
    std::memcpy(t.raw_data(), proto.tensor_content().data(), proto.tensor_content().size());
    return t;
  }
  if (found != n) {
    return absl::DataLossError(
        absl::StrCat(where, ": expected ", n, " ", DTypeName(dtype), " values, found ", found));
  }
  TFM_ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dtype, shape));
  switch (dtype) {
    case DType::kFloat:
      FillFrom(proto.float_val(), t.data<float>(), n);
      break;
    case DType::kDouble:
      FillFrom(proto.double_val(), t.data<double>(), n);
      break;
    case DType::kInt32:
    case DType::kQInt32:
      FillFrom(proto.int_val(), t.data<int32_t>(), n);
      break;
    case DType::kUInt8:
    case DType::kQUInt8:
      FillFrom(proto.int_val(), t.data<uint8_t>(), n);
      break;
    case DType::kInt8:
    case DType::kQInt8:
      FillFrom(proto.int_val(), t.data<int8_t>(), n);
      break;
    case DType::kInt16:
    case DType::kQInt16:
      FillFrom(proto.int_val(), t.data<int16_t>(), n);
      break;
    case DType::kUInt16:
    case DType::kQUInt16:
      FillFrom(proto.int_val(), t.data<uint16_t>(), n);
      break;
    case DType::kInt64:
      FillFrom(proto.int64_val(), t.data<int64_t>(), n);
      break;
    case DType::kUInt32:
      FillFrom(proto.uint32_val(), t.data<uint32_t>(), n);
      break;
    case DType::kUInt64:
      FillFrom(proto.uint64_val(), t.data<uint64_t>(), n);
      break;
    case DType::kBool:
      FillFrom(proto.bool_val(), t.data<bool>(), n);
      break;
    case DType::kHalf:
    case DType::kBFloat16:
      FillFrom(proto.half_val(), t.data<uint16_t>(), n);
      break;
    case DType::kComplex64:
      for (int64_t i = 0; i < n; ++i) {
        t.data<complex64>()[i] =
            complex64(proto.scomplex_val(2 * i), proto.scomplex_val(2 * i + 1));
      }
      break;
    case DType::kComplex128:
      for (int64_t i = 0; i < n; ++i) {
        t.data<complex128>()[i] =
            complex128(proto.dcomplex_val(2 * i), proto.dcomplex_val(2 * i + 1));
      }
      break;
    case DType::kString:
      for (int64_t i = 0; i < n; ++i) t.data<std::string>()[i] = proto.string_val(i);
      break;
    default:
      break;
  }
  return t;
}

class SliceFileReader : public ReaderBase {
 public:
  static absl::StatusOr<std::unique_ptr<CheckpointReader>> Open(const std::string& pattern,
                                                                std::vector<std::string> files) {
    std::unique_ptr<SliceFileReader> r(new SliceFileReader());
    r->prefix_ = pattern;
    TFM_RETURN_IF_ERROR(r->Load(files));
    return std::unique_ptr<CheckpointReader>(std::move(r));
  }

  int format_version() const override { return 1; }

 protected:
  std::string where() const override { return absl::StrCat("V1 checkpoint ", prefix_); }

  absl::StatusOr<Tensor> ReadWhole(const Info& info) const override {
    return absl::DataLossError(absl::StrCat(where(), ": tensor ", Quote(entries_[info.index].name),
                                            " has no stored slices"));
  }

  absl::StatusOr<Tensor> ReadPiece(const Info& info, const Piece& piece) const override {
    const CheckpointEntry& e = entries_[info.index];
    const SSTable& file = *files_[piece.file];
    const std::string here = absl::StrCat("V1 checkpoint ", file.path, ": tensor ", Quote(e.name),
                                          " slice \"", piece.slice.ToString(), "\"");
    TFM_ASSIGN_OR_RETURN(std::optional<std::string> value,
                         TableLookup(file, EncodeTensorNameSlice(e.name, piece.slice)));
    if (!value) {
      return absl::DataLossError(absl::StrCat(here, ": the data entry is missing"));
    }
    tensorflow::SavedTensorSlices sts;
    if (!sts.ParseFromString(*value) || !sts.has_data()) {
      return absl::DataLossError(absl::StrCat(here, ": the data entry is not a SavedSlice"));
    }
    if (sts.data().name() != e.name) {
      return absl::DataLossError(
          absl::StrCat(here, ": the data entry names tensor ", Quote(sts.data().name())));
    }
    return DecodeSliceValues(sts.data().data(), e.dtype,
                             TensorShape(absl::MakeConstSpan(piece.size)), here);
  }

 private:
  absl::Status Load(const std::vector<std::string>& paths) {
    for (size_t fi = 0; fi < paths.size(); ++fi) {
      TFM_ASSIGN_OR_RETURN(std::unique_ptr<SSTable> t, OpenSSTable(paths[fi], "V1 checkpoint"));
      TFM_ASSIGN_OR_RETURN(std::optional<std::string> meta_bytes, TableLookup(*t, ""));
      tensorflow::SavedTensorSlices sts;
      if (!meta_bytes || !sts.ParseFromString(*meta_bytes) || !sts.has_meta()) {
        return absl::DataLossError(absl::StrCat(
            "V1 checkpoint ", paths[fi],
            " has no SavedTensorSlices metadata under the empty key; not a TensorFlow V1 "
            "checkpoint"));
      }
      for (const auto& m : sts.meta().tensor()) {
        const std::string here =
            absl::StrCat("V1 checkpoint ", paths[fi], ": tensor ", Quote(m.name()));
        TFM_ASSIGN_OR_RETURN(DType dtype, EntryDType(static_cast<int>(m.type()), here));
        auto shape_or = ShapeFromProto(m.shape());
        if (!shape_or.ok()) {
          return absl::DataLossError(absl::StrCat(here, " has an invalid shape ",
                                                  m.shape().ShortDebugString(), ": ",
                                                  shape_or.status().message()));
        }
        auto it = infos_.find(m.name());
        if (it == infos_.end()) {
          CheckpointEntry ce;
          ce.name = m.name();
          ce.dtype = dtype;
          ce.shape = *shape_or;
          Info info;
          info.index = entries_.size();
          entries_.push_back(std::move(ce));
          it = infos_.emplace(m.name(), std::move(info)).first;
        } else {
          const CheckpointEntry& ce = entries_[it->second.index];
          if (ce.dtype != dtype || ce.shape != *shape_or) {
            return absl::DataLossError(
                absl::StrCat(here, " is ", DTypeName(dtype), " ", shape_or->ToString(),
                             " but another file of the checkpoint has it as ", DTypeName(ce.dtype),
                             " ", ce.shape.ToString()));
          }
        }
        for (const auto& sp : m.slice()) {
          Piece p;
          TFM_ASSIGN_OR_RETURN(p.slice, TensorSlice::FromProto(sp));
          p.file = static_cast<int>(fi);
          it->second.pieces.push_back(std::move(p));
        }
      }
      files_.push_back(std::move(t));
    }
    // Entries must be sorted by name; infos_ is, so rebuild entries_ in that order.
    std::vector<CheckpointEntry> sorted;
    for (auto& [name, info] : infos_) {
      sorted.push_back(std::move(entries_[info.index]));
      info.index = sorted.size() - 1;
    }
    entries_ = std::move(sorted);
    for (auto& [name, info] : infos_) {
      CheckpointEntry& ce = entries_[info.index];
      ce.sliced =
          info.pieces.size() > 1 || (info.pieces.size() == 1 && !info.pieces[0].slice.IsFull());
      ce.bytes = ce.shape.NumElements() * static_cast<int64_t>(DTypeSize(ce.dtype));
      TFM_RETURN_IF_ERROR(ValidatePieces(name, &info));
    }
    return absl::OkStatus();
  }

  std::vector<std::unique_ptr<SSTable>> files_;
};

// A V2 prefix, a V1 file or a V1 file pattern exists here.
bool CheckpointExists(const std::string& prefix) {
  return FileExists(IndexFilename(prefix)) || IsRegularFile(prefix) ||
         (HasGlobChars(prefix) && !Glob(prefix).empty()) || !Glob(prefix + kV1ShardSuffix).empty();
}

// Strips ".index" or ".data-NNNNN-of-NNNNN".
std::string StripCheckpointSuffix(const std::string& path) {
  if (absl::EndsWith(path, ".index")) return path.substr(0, path.size() - 6);
  // ".data-00000-of-00001" is 20 characters.
  if (path.size() > 20) {
    absl::string_view tail = absl::string_view(path).substr(path.size() - 20);
    bool ok = absl::StartsWith(tail, ".data-") && tail.substr(11, 4) == "-of-";
    for (size_t i : {6, 7, 8, 9, 10, 15, 16, 17, 18, 19}) ok = ok && absl::ascii_isdigit(tail[i]);
    if (ok) return path.substr(0, path.size() - 20);
  }
  return path;
}

// ---------------------------------------------------------------------------------------
// Writing helpers.

absl::Status ErrnoStatus(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status WriteAll(int fd, const char* data, size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot write", path);
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return absl::OkStatus();
}

class StringSink : public leveldb::WritableFile {
 public:
  leveldb::Status Append(const leveldb::Slice& data) override {
    out.append(data.data(), data.size());
    return leveldb::Status::OK();
  }
  leveldb::Status Close() override { return leveldb::Status::OK(); }
  leveldb::Status Flush() override { return leveldb::Status::OK(); }
  leveldb::Status Sync() override { return leveldb::Status::OK(); }
  std::string out;
};

std::string TempSuffix() {
  std::random_device rd;
  uint64_t r = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  return absl::StrCat(".tempstate", r);
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view data) {
  const std::string tmp = path + TempSuffix();
  TFM_RETURN_IF_ERROR(WriteStringToFile(tmp, data));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    absl::Status s = ErrnoStatus(absl::StrCat("cannot rename ", tmp, " to"), path);
    ::unlink(tmp.c_str());
    return s;
  }
  return absl::OkStatus();
}

}  // namespace

// ---------------------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<CheckpointReader>> CheckpointReader::Open(const std::string& path) {
  TFM_ASSIGN_OR_RETURN(std::string prefix, ResolveCheckpointPrefix(path));
  if (FileExists(IndexFilename(prefix))) return BundleReader::Open(prefix);
  if (HasGlobChars(prefix)) {
    std::vector<std::string> files = Glob(prefix);
    if (files.empty()) {
      return absl::NotFoundError(absl::StrCat("no files match the V1 checkpoint pattern ", prefix));
    }
    return SliceFileReader::Open(prefix, files);
  }
  if (IsRegularFile(prefix)) return SliceFileReader::Open(prefix, {prefix});
  std::vector<std::string> shards = Glob(prefix + kV1ShardSuffix);
  if (!shards.empty()) return SliceFileReader::Open(prefix + kV1ShardSuffix, shards);
  return absl::NotFoundError(absl::StrCat("no checkpoint at ", path, ": neither ",
                                          IndexFilename(prefix),
                                          " (V2) nor a V1 checkpoint file exists"));
}

// ---------------------------------------------------------------------------------------

struct CheckpointWriter::Impl {
  std::string prefix;
  CheckpointWriterOptions options;
  absl::Status status;  // sticky: the first error
  bool opened = false;
  bool finished = false;
  std::string suffix;
  std::vector<std::string> temp_paths;
  std::vector<int> fds;
  std::vector<int64_t> sizes;
  std::map<std::string, tensorflow::BundleEntryProto> entries;

  absl::Status OpenFiles() {
    if (opened) return absl::OkStatus();
    opened = true;
    const std::string dir = Dirname(prefix);
    if (!dir.empty() && dir != ".") {
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      if (ec) {
        return absl::InternalError(
            absl::StrCat("cannot create checkpoint folder ", dir, ": ", ec.message()));
      }
    }
    suffix = TempSuffix();
    for (int i = 0; i < options.num_shards; ++i) {
      const std::string path = DataFilename(prefix, i, options.num_shards) + suffix;
      int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) return ErrnoStatus("cannot create checkpoint data file", path);
      temp_paths.push_back(path);
      fds.push_back(fd);
      sizes.push_back(0);
    }
    return absl::OkStatus();
  }

  void CloseAll() {
    for (int& fd : fds) {
      if (fd >= 0) ::close(fd);
      fd = -1;
    }
  }
  void RemoveTemps() {
    CloseAll();
    for (const std::string& p : temp_paths) ::unlink(p.c_str());
    temp_paths.clear();
  }

  absl::Status Add(const std::string& name, const Tensor& t) {
    if (finished) return absl::FailedPreconditionError("CheckpointWriter: Add after Finish");
    if (name.empty()) {
      return absl::InvalidArgumentError(
          "CheckpointWriter: the empty tensor name is reserved for the bundle header");
    }
    if (entries.count(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("CheckpointWriter: duplicate tensor name ", Quote(name)));
    }
    if (!t.valid()) {
      return absl::InvalidArgumentError(
          absl::StrCat("CheckpointWriter: tensor ", Quote(name), " is invalid"));
    }
    const DType dtype = t.dtype();
    std::string bytes;  // only for strings (POD tensors are written from their buffers)
    uint32_t crc = 0;
    if (dtype == DType::kString) {
      // [varint64 lengths][masked crc of the lengths][bytes]; the crc covers the lengths
      // (as uint32, or uint64 above 4 GiB), the length checksum and the bytes.
      const std::string* s = t.data<std::string>();
      for (int64_t i = 0; i < t.NumElements(); ++i) {
        const uint64_t len = s[i].size();
        PutVarint64(&bytes, len);
        unsigned char le[8];
        const size_t width = len <= UINT32_MAX ? 4 : 8;
        for (size_t b = 0; b < width; ++b) le[b] = static_cast<unsigned char>(len >> (8 * b));
        crc = crc32c::Extend(crc, le, width);
      }
      const uint32_t length_crc = crc32c::Mask(crc);
      unsigned char lc[4];
      for (int b = 0; b < 4; ++b) lc[b] = static_cast<unsigned char>(length_crc >> (8 * b));
      bytes.append(reinterpret_cast<const char*>(lc), 4);
      crc = crc32c::Extend(crc, lc, 4);
      for (int64_t i = 0; i < t.NumElements(); ++i) {
        bytes += s[i];
        crc = crc32c::Extend(crc, s[i].data(), s[i].size());
      }
    } else if (!DTypeIsPod(dtype)) {
      return absl::UnimplementedError(absl::StrCat("CheckpointWriter: tensor ", Quote(name),
                                                   " has dtype ", DTypeName(dtype),
                                                   ", which tfmodel cannot write"));
    }
    TFM_RETURN_IF_ERROR(OpenFiles());
    // Put the tensor into the shard holding the fewest bytes so far.
    const int shard =
        static_cast<int>(std::min_element(sizes.begin(), sizes.end()) - sizes.begin());
    const char* data;
    size_t n;
    if (dtype == DType::kString) {
      data = bytes.data();
      n = bytes.size();
    } else {
      data = static_cast<const char*>(t.raw_data());
      n = t.TotalBytes();
      crc = crc32c::Value(data, n);
    }
    TFM_RETURN_IF_ERROR(WriteAll(fds[shard], data, n, temp_paths[shard]));
    tensorflow::BundleEntryProto& e = entries[name];
    e.set_dtype(static_cast<tensorflow::DataType>(dtype));
    ShapeToProto(t.shape(), e.mutable_shape());
    e.set_shard_id(shard);
    e.set_offset(sizes[shard]);
    e.set_size(static_cast<int64_t>(n));
    e.set_crc32c(crc32c::Mask(crc));
    sizes[shard] += static_cast<int64_t>(n);
    return absl::OkStatus();
  }

  absl::Status AddSlice(const std::string& name, const std::string& shape_and_slice,
                        const Tensor& t) {
    TensorShape shape, slice_shape;
    TensorSlice slice;
    TFM_RETURN_IF_ERROR(Annotate(ParseShapeAndSlice(shape_and_slice, &shape, &slice, &slice_shape),
                                 absl::StrCat("CheckpointWriter: tensor ", Quote(name))));
    if (!t.valid() || t.shape() != slice_shape) {
      return absl::InvalidArgumentError(
          absl::StrCat("CheckpointWriter: slice \"", shape_and_slice, "\" of tensor ", Quote(name),
                       " has shape ", slice_shape.ToString(), " but the value has shape ",
                       t.valid() ? t.shape().ToString() : std::string("(invalid)")));
    }
    if (slice_shape == shape) return Add(name, t);
    if (name.empty()) {
      return absl::InvalidArgumentError(
          "CheckpointWriter: the empty tensor name is reserved for the bundle header");
    }
    auto it = entries.find(name);
    if (it != entries.end()) {
      const auto& e = it->second;
      auto prev_shape = ShapeFromProto(e.shape());
      if (e.slices_size() == 0 || static_cast<int>(e.dtype()) != static_cast<int>(t.dtype()) ||
          !prev_shape.ok() || *prev_shape != shape) {
        return absl::InvalidArgumentError(
            absl::StrCat("CheckpointWriter: slice \"", shape_and_slice, "\" of tensor ",
                         Quote(name), " conflicts with what was added under that name before"));
      }
    }
    TFM_RETURN_IF_ERROR(Add(EncodeTensorNameSlice(name, slice), t));
    tensorflow::BundleEntryProto& full = entries[name];
    full.set_dtype(static_cast<tensorflow::DataType>(t.dtype()));
    ShapeToProto(shape, full.mutable_shape());
    slice.ToProto(full.add_slices());
    return absl::OkStatus();
  }

  absl::Status Finish() {
    if (finished) return absl::FailedPreconditionError("CheckpointWriter: Finish called twice");
    finished = true;
    TFM_RETURN_IF_ERROR(OpenFiles());
    for (size_t i = 0; i < fds.size(); ++i) {
      if (::close(fds[i]) != 0) {
        fds[i] = -1;
        return ErrnoStatus("cannot close", temp_paths[i]);
      }
      fds[i] = -1;
    }
    // The index: a LevelDB table laid out as TF's BundleWriter writes it.
    StringSink sink;
    {
      leveldb::Options o;
      o.compression = leveldb::kNoCompression;
      o.block_size = kTableBlockSize;
      o.block_restart_interval = kTableRestartInterval;
      leveldb::TableBuilder builder(o, &sink);
      tensorflow::BundleHeaderProto header;
      header.set_num_shards(options.num_shards);
      header.set_endianness(tensorflow::BundleHeaderProto::LITTLE);
      header.mutable_version()->set_producer(kTensorBundleVersion);
      builder.Add("", header.SerializeAsString());
      for (const auto& [key, entry] : entries) builder.Add(key, entry.SerializeAsString());
      leveldb::Status s = builder.Finish();
      if (!s.ok()) {
        return absl::InternalError(
            absl::StrCat("cannot build checkpoint index for ", prefix, ": ", s.ToString()));
      }
    }
    const std::string index_tmp = IndexFilename(prefix) + suffix;
    temp_paths.push_back(index_tmp);
    TFM_RETURN_IF_ERROR(WriteStringToFile(index_tmp, sink.out));
    // Data first, the index last: a reader sees the checkpoint only once it is complete.
    for (int i = 0; i < options.num_shards; ++i) {
      const std::string final_path = DataFilename(prefix, i, options.num_shards);
      if (::rename(temp_paths[i].c_str(), final_path.c_str()) != 0) {
        return ErrnoStatus(absl::StrCat("cannot rename ", temp_paths[i], " to"), final_path);
      }
    }
    if (::rename(index_tmp.c_str(), IndexFilename(prefix).c_str()) != 0) {
      return ErrnoStatus(absl::StrCat("cannot rename ", index_tmp, " to"), IndexFilename(prefix));
    }
    temp_paths.clear();
    return absl::OkStatus();
  }
};

CheckpointWriter::CheckpointWriter(std::string prefix, CheckpointWriterOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->prefix = std::move(prefix);
  impl_->options = options;
  if (options.num_shards < 1 || options.num_shards > 99999) {
    impl_->status = absl::InvalidArgumentError(absl::StrCat(
        "CheckpointWriter: num_shards must be in [1, 99999], got ", options.num_shards));
  } else if (impl_->prefix.empty()) {
    impl_->status = absl::InvalidArgumentError("CheckpointWriter: empty checkpoint prefix");
  }
}

CheckpointWriter::~CheckpointWriter() { impl_->RemoveTemps(); }

absl::Status CheckpointWriter::Add(const std::string& name, const Tensor& tensor) {
  if (!impl_->status.ok()) return impl_->status;
  absl::Status s = impl_->Add(name, tensor);
  // Bad arguments leave the writer usable; I/O failures poison it.
  if (!s.ok() && s.code() != absl::StatusCode::kInvalidArgument &&
      s.code() != absl::StatusCode::kUnimplemented) {
    impl_->status = s;
  }
  return s;
}

absl::Status CheckpointWriter::AddSlice(const std::string& name, const std::string& shape_and_slice,
                                        const Tensor& slice_value) {
  if (!impl_->status.ok()) return impl_->status;
  absl::Status s = impl_->AddSlice(name, shape_and_slice, slice_value);
  if (!s.ok() && s.code() != absl::StatusCode::kInvalidArgument &&
      s.code() != absl::StatusCode::kUnimplemented) {
    impl_->status = s;
  }
  return s;
}

absl::Status CheckpointWriter::Finish() {
  if (!impl_->status.ok()) {
    impl_->RemoveTemps();
    return impl_->status;
  }
  absl::Status s = impl_->Finish();
  if (!s.ok()) {
    impl_->RemoveTemps();
    impl_->status = s;
  }
  return s;
}

// ---------------------------------------------------------------------------------------

absl::StatusOr<tensorflow::CheckpointState> ReadCheckpointState(const std::string& dir) {
  const std::string path = JoinPath(dir, "checkpoint");
  if (!FileExists(path)) {
    return absl::NotFoundError(absl::StrCat("no checkpoint state file ", path));
  }
  tensorflow::CheckpointState state;
  TFM_RETURN_IF_ERROR(ReadProtoFile(path, &state, ProtoFormat::kText));
  if (state.model_checkpoint_path().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint state file ", path, " has an empty model_checkpoint_path"));
  }
  return state;
}

absl::Status WriteCheckpointState(const std::string& dir,
                                  const tensorflow::CheckpointState& state) {
  if (state.model_checkpoint_path().empty()) {
    return absl::InvalidArgumentError("CheckpointState needs a model_checkpoint_path");
  }
  std::string text;
  if (!google::protobuf::TextFormat::PrintToString(state, &text)) {
    return absl::InternalError("cannot print CheckpointState as text");
  }
  return WriteFileAtomically(JoinPath(dir, "checkpoint"), text);
}

absl::StatusOr<std::string> ResolveCheckpointPrefix(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("empty checkpoint path");
  if (IsDirectory(path)) {
    TFM_ASSIGN_OR_RETURN(tensorflow::CheckpointState state, ReadCheckpointState(path));
    const std::string& p = state.model_checkpoint_path();
    if (p[0] != '/') return JoinPath(path, p);
    if (CheckpointExists(p)) return p;
    // The folder was moved since it was written (TF Serving's testdata holds /tmp/... paths):
    // look for the same checkpoint next to the state file.
    const std::string local = JoinPath(path, Basename(p));
    if (CheckpointExists(local)) return local;
    return absl::NotFoundError(absl::StrCat("checkpoint state file ", JoinPath(path, "checkpoint"),
                                            " names ", p, ", which does not exist (nor does ",
                                            local, ")"));
  }
  return StripCheckpointSuffix(path);
}

}  // namespace tfmodel
