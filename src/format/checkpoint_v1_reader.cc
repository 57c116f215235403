// TensorFlow V1 checkpoints (SavedTensorSlices tables, one file or a sharded pattern): the
// reader behind CheckpointReader::Open for them. Slices are assembled by ReaderBase.

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

namespace tfmodel::checkpoint_internal {
namespace {

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
    const std::string here = absl::StrCat("V1 checkpoint ", file.path(), ": tensor ", Quote(e.name),
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

}  // namespace

absl::StatusOr<std::unique_ptr<CheckpointReader>> OpenV1Checkpoint(const std::string& pattern,
                                                                   std::vector<std::string> files) {
  return SliceFileReader::Open(pattern, std::move(files));
}

}  // namespace tfmodel::checkpoint_internal
