#include "format/tensor_slice.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/status.h"

namespace tfmodel {

// ---------------------------------------------------------------------------------------
// OrderedCode (the subset TF's checkpoint keys use).

namespace ordered_code {
namespace {

int BitLength(uint64_t x) {  // number of significant bits (0 for 0)
  int n = 0;
  while (x) {
    ++n;
    x >>= 1;
  }
  return n;
}

}  // namespace

void WriteNumIncreasing(std::string* dest, uint64_t value) {
  // One length byte, then the value big-endian without leading zero bytes.
  unsigned char digits[8];
  int n = 0;
  for (uint64_t v = value; v != 0; v >>= 8) digits[n++] = static_cast<unsigned char>(v & 0xff);
  dest->push_back(static_cast<char>(n));
  for (int i = n - 1; i >= 0; --i) dest->push_back(static_cast<char>(digits[i]));
}

bool ReadNumIncreasing(absl::string_view* src, uint64_t* value) {
  if (src->empty()) return false;
  size_t n = static_cast<unsigned char>((*src)[0]);
  if (n > 8 || src->size() < n + 1) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>((*src)[1 + i]);
  if (value) *value = v;
  src->remove_prefix(n + 1);
  return true;
}

void WriteString(std::string* dest, absl::string_view s) {
  // 0x00 -> 00 ff, 0xff -> ff 00, terminated by 00 01.
  for (char c : s) {
    if (c == '\0') {
      dest->push_back('\0');
      dest->push_back('\xff');
    } else if (c == '\xff') {
      dest->push_back('\xff');
      dest->push_back('\0');
    } else {
      dest->push_back(c);
    }
  }
  dest->push_back('\0');
  dest->push_back('\x01');
}

bool ReadString(absl::string_view* src, std::string* value) {
  std::string out;
  size_t i = 0;
  while (i + 1 < src->size()) {
    char c = (*src)[i];
    char next = (*src)[i + 1];
    if (c == '\0') {
      if (next == '\x01') {
        if (value) *value = std::move(out);
        src->remove_prefix(i + 2);
        return true;
      }
      if (next != '\xff') return false;
      out.push_back('\0');
      i += 2;
    } else if (c == '\xff') {
      if (next != '\0') return false;
      out.push_back('\xff');
      i += 2;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return false;
}

// Signed numbers: the first bits (sign bit, then as many copies of it as there are extra
// bytes, then one opposite bit) give sign and length; the rest is the two's complement
// value, big-endian. n bytes hold values in [-2^(7n-1), 2^(7n-1)), n <= 10.
void WriteSignedNumIncreasing(std::string* dest, int64_t value) {
  const uint64_t u = static_cast<uint64_t>(value);
  const uint64_t magnitude = value < 0 ? ~u : u;
  const int len = (BitLength(magnitude) + 1 + 6) / 7;  // ceil((bits + sign) / 7)
  unsigned char buf[10];
  const unsigned char sign = value < 0 ? 0xff : 0x00;
  buf[0] = buf[1] = sign;
  for (int i = 0; i < 8; ++i) buf[2 + i] = static_cast<unsigned char>(u >> (56 - 8 * i));
  unsigned char* begin = buf + 10 - len;
  // Header: `len` one-bits (for a non-negative number) across the first one or two bytes.
  unsigned char h0, h1 = 0;
  if (len <= 8) {
    h0 = static_cast<unsigned char>(0xff00u >> len);
  } else {
    h0 = 0xff;
    h1 = len == 9 ? 0x80 : 0xc0;
  }
  begin[0] ^= h0;
  if (len > 1) begin[1] ^= h1;
  dest->append(reinterpret_cast<const char*>(begin), len);
}

bool ReadSignedNumIncreasing(absl::string_view* src, int64_t* value) {
  if (src->empty()) return false;
  const auto byte = [&](size_t i) { return static_cast<unsigned char>((*src)[i]); };
  const bool negative = (byte(0) & 0x80) == 0;
  const unsigned char flip = negative ? 0xff : 0x00;
  const unsigned char first = byte(0) ^ flip;
  int len;
  if (first != 0xff) {
    // The length is the number of leading one-bits.
    len = 1;
    while (len < 8 && (first & (0x80 >> len))) ++len;
  } else {
    if (src->size() < 2) return false;
    const unsigned char second = byte(1) ^ flip;
    if (second < 0x80) {
      len = 8;
    } else if (second < 0xc0) {
      len = 9;
    } else {
      if (src->size() < 3) return false;
      const unsigned char third = byte(2) ^ flip;
      if (second == 0xc0 && third < 0x80) {
        len = 10;
      } else {
        return false;
      }
    }
  }
  if (src->size() < static_cast<size_t>(len)) return false;
  uint64_t x;
  if (len <= 8) {
    x = negative ? ~uint64_t{0} : 0;
    for (int i = 0; i < len; ++i) x = (x << 8) | byte(i);
    // Clear (or set, for negatives) the header bits.
    const uint64_t header = ((uint64_t{1} << len) - 1) << (8 * len - len);
    x ^= header;
  } else {
    x = 0;
    for (int i = len - 8; i < len; ++i) x = (x << 8) | byte(i);
    if (len == 9) x ^= uint64_t{1} << 63;
  }
  if (value) *value = static_cast<int64_t>(x);
  src->remove_prefix(len);
  return true;
}

}  // namespace ordered_code

// ---------------------------------------------------------------------------------------

TensorSlice TensorSlice::Full(int rank) {
  TensorSlice s;
  s.start_.assign(rank, 0);
  s.length_.assign(rank, kFullExtent);
  return s;
}

TensorSlice TensorSlice::FromExtents(std::vector<std::pair<int64_t, int64_t>> extents) {
  TensorSlice s;
  for (const auto& [start, length] : extents) {
    s.start_.push_back(length == kFullExtent ? 0 : start);
    s.length_.push_back(length);
  }
  return s;
}

absl::StatusOr<TensorSlice> TensorSlice::Parse(absl::string_view text) {
  TensorSlice s;
  if (text.empty()) return s;
  for (absl::string_view part : absl::StrSplit(text, ':')) {
    if (part == "-") {
      s.start_.push_back(0);
      s.length_.push_back(kFullExtent);
      continue;
    }
    std::vector<absl::string_view> nums = absl::StrSplit(part, ',');
    int64_t start, length;
    if (nums.size() != 2 || !absl::SimpleAtoi(nums[0], &start) ||
        !absl::SimpleAtoi(nums[1], &length) || start < 0 || length < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid tensor slice \"", text,
                       "\": each dimension must be \"-\" or \"start,length\" "
                       "with non-negative numbers"));
    }
    s.start_.push_back(start);
    s.length_.push_back(length);
  }
  return s;
}

absl::StatusOr<TensorSlice> TensorSlice::FromProto(const tensorflow::TensorSliceProto& proto) {
  TensorSlice s;
  for (const auto& e : proto.extent()) {
    const bool has_length = e.has_length_case() == tensorflow::TensorSliceProto::Extent::kLength;
    const int64_t length = has_length ? e.length() : kFullExtent;
    if (e.start() < 0 || (has_length && length < 0)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid TensorSliceProto extent (start ",
                                                     e.start(), ", length ", length, ")"));
    }
    s.start_.push_back(has_length ? e.start() : 0);
    s.length_.push_back(length);
  }
  return s;
}

void TensorSlice::ToProto(tensorflow::TensorSliceProto* proto) const {
  proto->Clear();
  for (int d = 0; d < rank(); ++d) {
    auto* e = proto->add_extent();
    if (length_[d] != kFullExtent) {
      e->set_start(start_[d]);
      e->set_length(length_[d]);
    }
  }
}

bool TensorSlice::IsFull() const {
  return std::all_of(length_.begin(), length_.end(), [](int64_t l) { return l == kFullExtent; });
}

std::string TensorSlice::ToString() const {
  std::vector<std::string> parts;
  for (int d = 0; d < rank(); ++d) {
    parts.push_back(length_[d] == kFullExtent ? "-" : absl::StrCat(start_[d], ",", length_[d]));
  }
  return absl::StrJoin(parts, ":");
}

absl::Status TensorSlice::Resolve(const TensorShape& shape, std::vector<int64_t>* starts,
                                  std::vector<int64_t>* sizes) const {
  if (shape.rank() != rank()) {
    return absl::InvalidArgumentError(absl::StrCat("slice \"", ToString(), "\" has rank ", rank(),
                                                   " but the tensor shape ", shape.ToString(),
                                                   " has rank ", shape.rank()));
  }
  starts->assign(rank(), 0);
  sizes->assign(rank(), 0);
  for (int d = 0; d < rank(); ++d) {
    if (length_[d] == kFullExtent) {
      (*sizes)[d] = shape.dim(d);
      continue;
    }
    if (start_[d] < 0 || length_[d] < 0 || start_[d] > shape.dim(d) ||
        length_[d] > shape.dim(d) - start_[d]) {
      return absl::InvalidArgumentError(absl::StrCat("slice \"", ToString(),
                                                     "\" exceeds the tensor shape ",
                                                     shape.ToString(), " in dimension ", d));
    }
    (*starts)[d] = start_[d];
    (*sizes)[d] = length_[d];
  }
  return absl::OkStatus();
}

absl::StatusOr<TensorShape> TensorSlice::SliceShape(const TensorShape& shape) const {
  std::vector<int64_t> starts, sizes;
  TFM_RETURN_IF_ERROR(Resolve(shape, &starts, &sizes));
  return TensorShape(absl::MakeConstSpan(sizes));
}

std::string EncodeTensorNameSlice(absl::string_view name, const TensorSlice& slice) {
  std::string out;
  ordered_code::WriteNumIncreasing(&out, 0);
  ordered_code::WriteString(&out, name);
  ordered_code::WriteNumIncreasing(&out, static_cast<uint64_t>(slice.rank()));
  for (int d = 0; d < slice.rank(); ++d) {
    ordered_code::WriteSignedNumIncreasing(&out, slice.start(d));
    ordered_code::WriteSignedNumIncreasing(&out, slice.length(d));
  }
  return out;
}

absl::Status DecodeTensorNameSlice(absl::string_view code, std::string* name, TensorSlice* slice) {
  absl::string_view src = code;
  uint64_t lead = 1, rank = 0;
  if (!ordered_code::ReadNumIncreasing(&src, &lead) || lead != 0) {
    return absl::InvalidArgumentError("tensor slice key does not start with the number 0");
  }
  if (!ordered_code::ReadString(&src, name)) {
    return absl::InvalidArgumentError("tensor slice key has a malformed tensor name");
  }
  if (!ordered_code::ReadNumIncreasing(&src, &rank) || rank > 254) {
    return absl::InvalidArgumentError("tensor slice key has a malformed rank");
  }
  std::vector<std::pair<int64_t, int64_t>> extents;
  for (uint64_t d = 0; d < rank; ++d) {
    int64_t start, length;
    if (!ordered_code::ReadSignedNumIncreasing(&src, &start) ||
        !ordered_code::ReadSignedNumIncreasing(&src, &length)) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor slice key for \"", *name, "\" has a malformed extent ", d));
    }
    if (length < 0) {
      extents.emplace_back(0, TensorSlice::kFullExtent);
    } else if (start < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor slice key for \"", *name, "\" has a negative start"));
    } else {
      extents.emplace_back(start, length);
    }
  }
  if (!src.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor slice key for \"", *name, "\" has trailing bytes"));
  }
  *slice = TensorSlice::FromExtents(std::move(extents));
  return absl::OkStatus();
}

absl::Status ParseShapeAndSlice(absl::string_view text, TensorShape* shape, TensorSlice* slice,
                                TensorShape* slice_shape) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, ' ');
  if (parts.size() < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "shape_and_slice \"", text, "\" needs at least two fields (dims then a slice)"));
  }
  TFM_ASSIGN_OR_RETURN(*slice, TensorSlice::Parse(parts.back()));
  parts.pop_back();
  TensorShape::Dims dims;
  for (absl::string_view p : parts) {
    int64_t d;
    if (!absl::SimpleAtoi(p, &d)) {
      return absl::InvalidArgumentError(
          absl::StrCat("non-numeric dimension \"", p, "\" in shape_and_slice \"", text, "\""));
    }
    dims.push_back(d);
  }
  TFM_RETURN_IF_ERROR(
      Annotate(TensorShape::Validate(dims), absl::StrCat("shape_and_slice \"", text, "\"")));
  *shape = TensorShape(absl::MakeConstSpan(dims));
  TFM_ASSIGN_OR_RETURN(*slice_shape, slice->SliceShape(*shape));
  return absl::OkStatus();
}

absl::StatusOr<int64_t> CopySliceIntersection(const Tensor& src,
                                              const std::vector<int64_t>& src_start,
                                              const std::vector<int64_t>& src_size, Tensor* dst,
                                              const std::vector<int64_t>& dst_start,
                                              const std::vector<int64_t>& dst_size) {
  const size_t rank = src_start.size();
  if (src_size.size() != rank || dst_start.size() != rank || dst_size.size() != rank ||
      src.dtype() != dst->dtype()) {
    return absl::InternalError("CopySliceIntersection: mismatched ranks or dtypes");
  }
  const DType dtype = src.dtype();
  const bool pod = DTypeIsPod(dtype);
  if (!pod && dtype != DType::kString && dtype != DType::kVariant) {
    return absl::UnimplementedError(absl::StrCat("cannot copy slices of dtype ", DTypeName(dtype)));
  }
  // Intersection box (in full-tensor coordinates).
  std::vector<int64_t> lo(rank), hi(rank);
  int64_t count = 1;
  for (size_t d = 0; d < rank; ++d) {
    lo[d] = std::max(src_start[d], dst_start[d]);
    hi[d] = std::min(src_start[d] + src_size[d], dst_start[d] + dst_size[d]);
    if (hi[d] <= lo[d]) return 0;
    count *= hi[d] - lo[d];
  }
  // Row-major strides of each box.
  auto strides = [&](const std::vector<int64_t>& size) {
    std::vector<int64_t> s(rank, 1);
    for (size_t d = rank; d-- > 1;) s[d - 1] = s[d] * size[d];
    return s;
  };
  const std::vector<int64_t> ss = strides(src_size), ds = strides(dst_size);
  const int64_t run = rank == 0 ? 1 : hi[rank - 1] - lo[rank - 1];
  const size_t esize = DTypeSize(dtype);
  std::vector<int64_t> idx(lo);  // current position; the last dim is handled as a run
  while (true) {
    int64_t so = 0, doff = 0;
    for (size_t d = 0; d < rank; ++d) {
      so += (idx[d] - src_start[d]) * ss[d];
      doff += (idx[d] - dst_start[d]) * ds[d];
    }
    if (pod) {
      std::memcpy(static_cast<char*>(dst->raw_data()) + doff * esize,
                  static_cast<const char*>(src.raw_data()) + so * esize, run * esize);
    } else if (dtype == DType::kString) {
      for (int64_t i = 0; i < run; ++i)
        dst->data<std::string>()[doff + i] = src.data<std::string>()[so + i];
    } else {
      for (int64_t i = 0; i < run; ++i)
        dst->data<Variant>()[doff + i] = src.data<Variant>()[so + i];
    }
    // Advance over all dims but the last.
    if (rank <= 1) break;
    size_t d = rank - 1;
    while (d-- > 0) {
      if (++idx[d] < hi[d]) break;
      idx[d] = lo[d];
      if (d == 0) return count;
    }
  }
  return count;
}

}  // namespace tfmodel
