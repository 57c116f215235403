// Internal to the checkpoint code (checkpoint.cc: V2 bundle reader, state file;
// checkpoint_v1_reader.cc: V1 SavedTensorSlices reader; checkpoint_writer.cc): file names,
// codecs and the slice assembly both readers share.
#ifndef TFMODEL_FORMAT_CHECKPOINT_INTERNAL_H_
#define TFMODEL_FORMAT_CHECKPOINT_INTERNAL_H_

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
#include "format/checkpoint.h"
#include "format/proto_io.h"
#include "format/sstable.h"
#include "format/tensor_proto.h"
#include "format/tensor_slice.h"
#include "google/protobuf/text_format.h"
#include "leveldb/env.h"
#include "leveldb/options.h"
#include "leveldb/table_builder.h"
#include "tensorflow/core/framework/tensor.pb.h"
#include "tensorflow/core/protobuf/tensor_bundle.pb.h"
#include "tensorflow/core/util/saved_tensor_slice.pb.h"

namespace tfmodel::checkpoint_internal {

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

inline std::string DataFilename(absl::string_view prefix, int shard, int num_shards) {
  return absl::StrFormat("%s.data-%05d-of-%05d", prefix, shard, num_shards);
}
inline std::string IndexFilename(absl::string_view prefix) {
  return absl::StrCat(prefix, ".index");
}

inline std::string Quote(absl::string_view s) { return absl::StrCat("'", s, "'"); }

inline bool HasGlobChars(absl::string_view s) { return s.find_first_of("?*[") != s.npos; }

inline std::vector<std::string> Glob(const std::string& pattern) {
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

inline bool IsRegularFile(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

// ---------------------------------------------------------------------------------------
// LevelDB glue.

using SSTable = SSTableReader;

inline absl::StatusOr<std::unique_ptr<SSTable>> OpenSSTable(const std::string& path,
                                                            absl::string_view what) {
  auto t = SSTableReader::Open(path);
  if (!t.ok()) return Annotate(t.status(), what);
  return std::move(t).value();
}

inline absl::StatusOr<std::optional<std::string>> TableLookup(const SSTable& t,
                                                              absl::string_view key) {
  return t.Get(key);
}

// ---------------------------------------------------------------------------------------
// Small codecs.

inline void PutVarint64(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

inline bool GetVarint64(const char** p, const char* end, uint64_t* v) {
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

inline uint32_t LoadU32(const char* p, bool big_endian) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return big_endian ? __builtin_bswap32(v) : v;
}

inline void ByteSwapElements(char* data, int64_t n, DType dtype) {
  size_t width = DTypeSize(dtype);
  int64_t count = n;
  if (dtype == DType::kComplex64 || dtype == DType::kComplex128) {
    width /= 2;  // each component separately
    count *= 2;
  }
  if (width <= 1) return;
  for (int64_t i = 0; i < count; ++i) std::reverse(data + i * width, data + (i + 1) * width);
}

inline absl::StatusOr<DType> EntryDType(int value, absl::string_view where) {
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

// The V1 reader (checkpoint_v1_reader.cc) over `files`, which `pattern` names.
absl::StatusOr<std::unique_ptr<CheckpointReader>> OpenV1Checkpoint(const std::string& pattern,
                                                                   std::vector<std::string> files);

}  // namespace tfmodel::checkpoint_internal

#endif  // TFMODEL_FORMAT_CHECKPOINT_INTERNAL_H_
