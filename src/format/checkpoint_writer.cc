// Writing TensorFlow V2 checkpoints (CheckpointWriter: data shards, then the .index table,
// each written to a temporary name and renamed into place) and the `checkpoint` state file.

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

using checkpoint_internal::DataFilename;
using checkpoint_internal::IndexFilename;
using checkpoint_internal::kTableBlockSize;
using checkpoint_internal::kTableRestartInterval;
using checkpoint_internal::kTensorBundleVersion;
using checkpoint_internal::PutVarint64;
using checkpoint_internal::Quote;

namespace {

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

}  // namespace tfmodel
