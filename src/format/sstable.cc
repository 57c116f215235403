#include "format/sstable.h"

#include <snappy.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/crc32c.h"
#include "core/status.h"

namespace tfmodel {
namespace {

// LevelDB table layout (table/format.h): blocks, each followed by a 5-byte trailer (1 byte
// compression type, 4 bytes masked crc32c of contents + type); a 48-byte footer holding the
// metaindex and index block handles (varints, zero-padded to 40 bytes) and a magic number.
constexpr uint64_t kTableMagic = 0xdb4775248b80fb57ull;
constexpr size_t kFooterSize = 48;
constexpr size_t kTrailerSize = 5;
constexpr size_t kMaxInflatedBlock = size_t{1} << 30;

bool GetVarint64(absl::string_view* s, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && !s->empty(); shift += 7) {
    const uint64_t byte = static_cast<unsigned char>((*s)[0]);
    s->remove_prefix(1);
    result |= (byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      *v = result;
      return true;
    }
  }
  return false;
}

uint32_t LoadLE32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

}  // namespace

absl::Status SSTableReader::Corrupt(absl::string_view what) const {
  return absl::DataLossError(absl::StrCat("table ", file_->path(), " is corrupt: ", what));
}

absl::StatusOr<std::unique_ptr<SSTableReader>> SSTableReader::Open(const std::string& path) {
  std::unique_ptr<SSTableReader> r(new SSTableReader());
  TFM_ASSIGN_OR_RETURN(r->file_, MappedFile::Open(path));
  const size_t size = r->file_->size();
  if (size < kFooterSize) {
    return absl::DataLossError(absl::StrCat("table ", path, " is not a readable table: ", size,
                                            " bytes is too short for the footer"));
  }
  const char* footer = r->file_->bytes() + size - kFooterSize;
  uint64_t magic;
  std::memcpy(&magic, footer + 40, 8);
  if (magic != kTableMagic) {
    return absl::DataLossError(
        absl::StrCat("table ", path, " is not a readable table: bad magic number"));
  }
  absl::string_view handles(footer, 40);
  Handle meta;
  if (!GetVarint64(&handles, &meta.offset) || !GetVarint64(&handles, &meta.size) ||
      !GetVarint64(&handles, &r->index_.offset) || !GetVarint64(&handles, &r->index_.size)) {
    return absl::DataLossError(
        absl::StrCat("table ", path, " is not a readable table: bad block handles in footer"));
  }
  return r;
}

absl::StatusOr<absl::string_view> SSTableReader::ReadBlock(const Handle& h,
                                                           std::string* storage) const {
  const uint64_t limit = file_->size() - kFooterSize;
  if (h.offset > limit || h.size > limit - h.offset || kTrailerSize > limit - h.offset - h.size) {
    return Corrupt(absl::StrCat("block at offset ", h.offset, " with size ", h.size,
                                " lies outside the file"));
  }
  const char* data = file_->bytes() + h.offset;
  const size_t n = static_cast<size_t>(h.size);
  const char type = data[n];
  const uint32_t stored = crc32c::Unmask(LoadLE32(data + n + 1));
  const uint32_t actual = crc32c::Extend(crc32c::Value(data, n), &type, 1);
  if (stored != actual) {
    return Corrupt(absl::StrCat("block checksum mismatch at offset ", h.offset));
  }
  if (type == 0) return absl::string_view(data, n);
  if (type != 1) return Corrupt(absl::StrCat("unknown block compression type ", int{type}));
  size_t inflated = 0;
  // Snappy expands at most ~32x; anything claiming more is corrupt.
  if (!snappy::GetUncompressedLength(data, n, &inflated) || inflated > kMaxInflatedBlock ||
      inflated > 64 * n + 64) {
    return Corrupt(absl::StrCat("bad Snappy block at offset ", h.offset));
  }
  storage->resize(inflated);
  if (!snappy::RawUncompress(data, n, storage->data())) {
    return Corrupt(absl::StrCat("bad Snappy block at offset ", h.offset));
  }
  return absl::string_view(*storage);
}

absl::Status SSTableReader::ForEachInBlock(
    absl::string_view block,
    const std::function<absl::Status(absl::string_view, absl::string_view, bool*)>& fn) const {
  if (block.size() < 4) return Corrupt("block too short");
  const uint32_t restarts = LoadLE32(block.data() + block.size() - 4);
  if (restarts > (block.size() - 4) / 4) return Corrupt("bad block restart count");
  absl::string_view entries = block.substr(0, block.size() - 4 - 4 * size_t{restarts});
  std::string key;
  while (!entries.empty()) {
    uint64_t shared, unshared, value_len;
    if (!GetVarint64(&entries, &shared) || !GetVarint64(&entries, &unshared) ||
        !GetVarint64(&entries, &value_len) || shared > key.size() || unshared > entries.size() ||
        value_len > entries.size() - unshared) {
      return Corrupt("bad block entry");
    }
    key.resize(shared);
    key.append(entries.data(), unshared);
    absl::string_view value = entries.substr(unshared, value_len);
    entries.remove_prefix(unshared + value_len);
    bool stop = false;
    TFM_RETURN_IF_ERROR(fn(key, value, &stop));
    if (stop) break;
  }
  return absl::OkStatus();
}

absl::Status SSTableReader::ForEach(
    const std::function<absl::Status(absl::string_view, absl::string_view)>& fn) const {
  std::string index_storage;
  TFM_ASSIGN_OR_RETURN(absl::string_view index, ReadBlock(index_, &index_storage));
  return ForEachInBlock(index, [&](absl::string_view, absl::string_view handle, bool*) {
    Handle h;
    if (!GetVarint64(&handle, &h.offset) || !GetVarint64(&handle, &h.size)) {
      return Corrupt("bad block handle in the index block");
    }
    std::string storage;
    TFM_ASSIGN_OR_RETURN(absl::string_view block, ReadBlock(h, &storage));
    return ForEachInBlock(
        block, [&](absl::string_view k, absl::string_view v, bool*) { return fn(k, v); });
  });
}

absl::StatusOr<std::optional<std::string>> SSTableReader::Get(absl::string_view key) const {
  std::string index_storage;
  TFM_ASSIGN_OR_RETURN(absl::string_view index, ReadBlock(index_, &index_storage));
  std::optional<std::string> found;
  // Index keys are >= every key of their block: the first block whose index key is >= `key`
  // is the only one that can hold it.
  TFM_RETURN_IF_ERROR(
      ForEachInBlock(index, [&](absl::string_view ik, absl::string_view handle, bool* stop) {
        if (ik < key) return absl::OkStatus();
        *stop = true;
        Handle h;
        if (!GetVarint64(&handle, &h.offset) || !GetVarint64(&handle, &h.size)) {
          return Corrupt("bad block handle in the index block");
        }
        std::string storage;
        TFM_ASSIGN_OR_RETURN(absl::string_view block, ReadBlock(h, &storage));
        return ForEachInBlock(block, [&](absl::string_view k, absl::string_view v, bool* s) {
          if (k == key) {
            found = std::string(v);
            *s = true;
          } else if (k > key) {
            *s = true;
          }
          return absl::OkStatus();
        });
      }));
  return found;
}

}  // namespace tfmodel
