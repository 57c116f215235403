// TensorFlow checkpoints: the V2 tensor bundle reader, opening any checkpoint (V2 prefix,
// V1 file or pattern) and the `checkpoint` state file. The V1 reader and the writer are in
// checkpoint_v1_reader.cc and checkpoint_writer.cc.
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
#include "format/checkpoint_internal.h"
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

namespace tfmodel {

using checkpoint_internal::ByteSwapElements;
using checkpoint_internal::DataFilename;
using checkpoint_internal::EntryDType;
using checkpoint_internal::GetVarint64;
using checkpoint_internal::Glob;
using checkpoint_internal::HasGlobChars;
using checkpoint_internal::IndexFilename;
using checkpoint_internal::IsRegularFile;
using checkpoint_internal::kTensorBundleMinProducer;
using checkpoint_internal::kTensorBundleVersion;
using checkpoint_internal::kV1ShardSuffix;
using checkpoint_internal::LoadU32;
using checkpoint_internal::OpenSSTable;
using checkpoint_internal::OpenV1Checkpoint;
using checkpoint_internal::Quote;
using checkpoint_internal::ReaderBase;
using checkpoint_internal::SSTable;

namespace {

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
    bool have_header = false;
    tensorflow::BundleHeaderProto header;
    absl::Status st = index_->ForEach([&](absl::string_view key, absl::string_view v) {
      if (key.empty()) {
        if (!header.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
          return absl::DataLossError(
              absl::StrCat(where(), ": the header entry is not a BundleHeaderProto"));
        }
        have_header = true;
        return absl::OkStatus();
      }
      tensorflow::BundleEntryProto entry;
      if (v.size() > INT32_MAX || !entry.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
        return absl::DataLossError(absl::StrCat(where(), ": the entry for tensor ", Quote(key),
                                                " is not a BundleEntryProto"));
      }
      protos_.emplace(std::string(key), std::move(entry));
      return absl::OkStatus();
    });
    TFM_RETURN_IF_ERROR(Annotate(st, where()));
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
    return OpenV1Checkpoint(prefix, files);
  }
  if (IsRegularFile(prefix)) return OpenV1Checkpoint(prefix, {prefix});
  std::vector<std::string> shards = Glob(prefix + kV1ShardSuffix);
  if (!shards.empty()) return OpenV1Checkpoint(prefix + kV1ShardSuffix, shards);
  return absl::NotFoundError(absl::StrCat("no checkpoint at ", path, ": neither ",
                                          IndexFilename(prefix),
                                          " (V2) nor a V1 checkpoint file exists"));
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

namespace {

class EmptyCheckpointReader : public CheckpointReader {
 public:
  int format_version() const override { return 2; }
  const std::string& prefix() const override { return prefix_; }
  const std::vector<CheckpointEntry>& entries() const override { return entries_; }
  const CheckpointEntry* Find(const std::string&) const override { return nullptr; }
  absl::StatusOr<Tensor> Read(const std::string& name) const override {
    return absl::NotFoundError(absl::StrCat("no checkpoint holds '", name, "'"));
  }
  absl::StatusOr<Tensor> ReadSlice(const std::string& name, const std::string&) const override {
    return Read(name);
  }

 private:
  std::string prefix_ = "(none)";
  std::vector<CheckpointEntry> entries_;
};

}  // namespace

std::unique_ptr<CheckpointReader> NewEmptyCheckpointReader() {
  return std::make_unique<EmptyCheckpointReader>();
}

}  // namespace tfmodel
