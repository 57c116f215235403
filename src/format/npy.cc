#include "format/npy.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/file_util.h"
#include "core/status.h"
#include "format/npy_pickle.h"

namespace tfmodel {
namespace {

constexpr char kMagic[] = "\x93NUMPY";

absl::Status NpyError(const std::string& what, absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat("npy file ", what, ": ", msg));
}

// Finds the value text for 'key' in the header dict, e.g. "'descr': '<f4'".
bool FindValue(absl::string_view header, absl::string_view key, std::string* value) {
  std::string quoted = absl::StrCat("'", key, "'");
  size_t p = header.find(quoted);
  if (p == absl::string_view::npos) return false;
  p = header.find(':', p + quoted.size());
  if (p == absl::string_view::npos) return false;
  ++p;
  while (p < header.size() && header[p] == ' ') ++p;
  if (p >= header.size()) return false;
  size_t end;
  if (header[p] == '\'') {
    end = header.find('\'', p + 1);
    if (end == absl::string_view::npos) return false;
    *value = std::string(header.substr(p + 1, end - p - 1));
  } else if (header[p] == '(') {
    end = header.find(')', p);
    if (end == absl::string_view::npos) return false;
    *value = std::string(header.substr(p + 1, end - p - 1));
  } else {
    end = header.find_first_of(",}", p);
    if (end == absl::string_view::npos) return false;
    *value = std::string(absl::StripAsciiWhitespace(header.substr(p, end - p)));
  }
  return true;
}

struct Descr {
  enum class Text { kNone, kBytes, kUtf32, kObject };
  DType dtype;
  size_t item_size;
  Text text = Text::kNone;
  bool big_endian = false;
};

uint32_t CodeUnit(const char* p, bool big_endian) {
  const uint8_t* b = reinterpret_cast<const uint8_t*>(p);
  uint32_t v = 0;
  for (int k = 0; k < 4; ++k) v |= uint32_t{b[big_endian ? 3 - k : k]} << (8 * k);
  return v;
}

// One fixed-width UTF-32 element (numpy 'U': trailing NULs are padding) as UTF-8.
absl::Status AppendUtf32(const char* p, size_t chars, bool big_endian, std::string* out) {
  while (chars > 0 && CodeUnit(p + 4 * (chars - 1), big_endian) == 0) --chars;
  for (size_t k = 0; k < chars; ++k) {
    uint32_t c = CodeUnit(p + 4 * k, big_endian);
    if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
      return absl::InvalidArgumentError(
          absl::StrCat("character ", k, " is not a Unicode code point (0x", absl::Hex(c), ")"));
    }
    if (c < 0x80) {
      out->push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out->push_back(static_cast<char>(0xc0 | (c >> 6)));
      out->push_back(static_cast<char>(0x80 | (c & 0x3f)));
    } else if (c < 0x10000) {
      out->push_back(static_cast<char>(0xe0 | (c >> 12)));
      out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | (c & 0x3f)));
    } else {
      out->push_back(static_cast<char>(0xf0 | (c >> 18)));
      out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | (c & 0x3f)));
    }
  }
  return absl::OkStatus();
}

// For each element in C order, the index of the element stored there in Fortran order
// (first index fastest).
std::vector<int64_t> FortranSourceOrder(const TensorShape& shape) {
  const int rank = shape.rank();
  std::vector<int64_t> stride(rank, 1), idx(rank, 0), out(shape.NumElements());
  for (int j = 1; j < rank; ++j) stride[j] = stride[j - 1] * shape.dim(j - 1);
  int64_t offset = 0;
  for (int64_t& o : out) {
    o = offset;
    for (int j = rank - 1; j >= 0; --j) {  // the next C-order index
      offset += stride[j];
      if (++idx[j] < shape.dim(j)) break;
      offset -= stride[j] * idx[j];
      idx[j] = 0;
    }
  }
  return out;
}

// Reverses the bytes of `count` units of `width` bytes each.
void SwapBytes(char* p, size_t count, size_t width) {
  for (size_t i = 0; i < count; ++i, p += width) std::reverse(p, p + width);
}

absl::StatusOr<Descr> ParseDescr(const std::string& d, const std::string& what) {
  if (d.size() < 2) return NpyError(what, absl::StrCat("bad dtype descr '", d, "'"));
  char order = d[0];
  std::string code = d.substr(1);
  if (code == "O") return Descr{DType::kString, 0, Descr::Text::kObject};
  if (code[0] == 'S' || code[0] == 'U') {
    int64_t n = 0;
    if (!absl::SimpleAtoi(code.substr(1), &n) || n < 0 || n > (int64_t{1} << 30)) {
      return NpyError(what, absl::StrCat("bad string width in dtype '", d, "'"));
    }
    if (code[0] == 'S') return Descr{DType::kString, static_cast<size_t>(n), Descr::Text::kBytes};
    return Descr{DType::kString, static_cast<size_t>(n) * 4, Descr::Text::kUtf32, order == '>'};
  }
  struct M {
    const char* code;
    DType t;
  };
  static const M kMap[] = {
      {"b1", DType::kBool},      {"i1", DType::kInt8},       {"i2", DType::kInt16},
      {"i4", DType::kInt32},     {"i8", DType::kInt64},      {"u1", DType::kUInt8},
      {"u2", DType::kUInt16},    {"u4", DType::kUInt32},     {"u8", DType::kUInt64},
      {"f2", DType::kHalf},      {"f4", DType::kFloat},      {"f8", DType::kDouble},
      {"c8", DType::kComplex64}, {"c16", DType::kComplex128}};
  for (const M& m : kMap) {
    if (code == m.code) {
      const size_t size = DTypeSize(m.t);
      return Descr{m.t, size, Descr::Text::kNone, order == '>' && size > 1};
    }
  }
  return NpyError(what, absl::StrCat("unsupported dtype '", d, "'"));
}

std::string DescrFor(DType t) {
  switch (t) {
    case DType::kBool:
      return "|b1";
    case DType::kInt8:
      return "|i1";
    case DType::kUInt8:
      return "|u1";
    case DType::kInt16:
      return "<i2";
    case DType::kInt32:
      return "<i4";
    case DType::kInt64:
      return "<i8";
    case DType::kUInt16:
      return "<u2";
    case DType::kUInt32:
      return "<u4";
    case DType::kUInt64:
      return "<u8";
    case DType::kHalf:
      return "<f2";
    case DType::kFloat:
      return "<f4";
    case DType::kDouble:
      return "<f8";
    case DType::kComplex64:
      return "<c8";
    case DType::kComplex128:
      return "<c16";
    default:
      return "";
  }
}

}  // namespace

absl::StatusOr<Tensor> ParseNpy(const std::string& data, const std::string& what) {
  if (data.size() < 10 || std::memcmp(data.data(), kMagic, 6) != 0) {
    return NpyError(what, "not a .npy file (bad magic)");
  }
  int major = static_cast<uint8_t>(data[6]);
  size_t header_len;
  size_t header_start;
  if (major == 1) {
    header_len = static_cast<uint8_t>(data[8]) | (static_cast<uint8_t>(data[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (data.size() < 12) return NpyError(what, "truncated header");
    header_len = 0;
    for (int i = 0; i < 4; ++i)
      header_len |= static_cast<size_t>(static_cast<uint8_t>(data[8 + i])) << (8 * i);
    header_start = 12;
  } else {
    return NpyError(what, absl::StrCat("unsupported format version ", major));
  }
  if (header_start + header_len > data.size()) return NpyError(what, "truncated header");
  absl::string_view header(data.data() + header_start, header_len);
  std::string descr, fortran, shape_text;
  if (!FindValue(header, "descr", &descr) || !FindValue(header, "fortran_order", &fortran) ||
      !FindValue(header, "shape", &shape_text)) {
    return NpyError(what, "header lacks descr, fortran_order or shape");
  }
  if (fortran != "False" && fortran != "True") {
    return NpyError(what, absl::StrCat("bad fortran_order '", fortran, "'"));
  }
  const bool fortran_order = fortran == "True";
  TFM_ASSIGN_OR_RETURN(Descr d, ParseDescr(descr, what));
  if (fortran_order && d.text == Descr::Text::kObject) {
    return NpyError(what, "Fortran-order object arrays are not supported (use C order)");
  }
  TensorShape::Dims dims;
  for (absl::string_view part : absl::StrSplit(shape_text, ',', absl::SkipWhitespace())) {
    int64_t v;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(part), &v)) {
      return NpyError(what, absl::StrCat("bad shape '(", shape_text, ")'"));
    }
    dims.push_back(v);
  }
  absl::Status valid = TensorShape::Validate(dims);
  if (!valid.ok()) return NpyError(what, valid.message());
  TensorShape shape(dims);
  size_t body = header_start + header_len;
  if (d.text == Descr::Text::kObject) {
    TFM_ASSIGN_OR_RETURN(PickledStringArray a,
                         ParsePickledStringArray(absl::string_view(data).substr(body), what));
    if (a.shape != std::vector<int64_t>(dims.begin(), dims.end())) {
      return NpyError(what, "the pickled array's shape differs from the header's");
    }
    Tensor t(DType::kString, shape);
    for (size_t i = 0; i < a.items.size(); ++i) t.data<std::string>()[i] = std::move(a.items[i]);
    return t;
  }
  // Checked by division first so a huge header shape cannot overflow the byte count.
  // Zero-width strings ('S0', 'U0'; numpy itself widens them to 1) count as a byte each, so
  // a few header bytes cannot ask for 2^40 empty strings.
  const size_t have = data.size() - body;
  const auto n = static_cast<size_t>(shape.NumElements());
  if (n > have / std::max<size_t>(d.item_size, 1)) {
    return NpyError(what, absl::StrCat("data has ", have, " bytes, shape ", shape.ToString(),
                                       " needs ", n, " items of ", d.item_size, " bytes"));
  }
  Tensor t(d.dtype, shape);
  // Which stored element each C-order element is (identity unless Fortran order).
  const std::vector<int64_t> src =
      fortran_order ? FortranSourceOrder(shape) : std::vector<int64_t>();
  auto item = [&](int64_t i) {
    return data.data() + body + (src.empty() ? i : src[i]) * d.item_size;
  };
  if (d.text == Descr::Text::kBytes) {
    for (int64_t i = 0; i < shape.NumElements(); ++i) {
      const char* p = item(i);
      size_t len = strnlen(p, d.item_size);
      t.data<std::string>()[i].assign(p, len);
    }
  } else if (d.text == Descr::Text::kUtf32) {
    for (int64_t i = 0; i < shape.NumElements(); ++i) {
      absl::Status s =
          AppendUtf32(item(i), d.item_size / 4, d.big_endian, &t.data<std::string>()[i]);
      if (!s.ok()) return NpyError(what, absl::StrCat("element ", i, ": ", s.message()));
    }
  } else if (n * d.item_size != 0) {
    char* out = static_cast<char*>(t.raw_data());
    if (src.empty()) {
      std::memcpy(out, data.data() + body, n * d.item_size);
    } else {
      for (size_t i = 0; i < n; ++i) std::memcpy(out + i * d.item_size, item(i), d.item_size);
    }
    if (d.big_endian) {
      // Complex numbers swap each of their two parts.
      const bool complex = d.dtype == DType::kComplex64 || d.dtype == DType::kComplex128;
      SwapBytes(out, n * (complex ? 2 : 1), complex ? d.item_size / 2 : d.item_size);
    }
  }
  return t;
}

absl::StatusOr<Tensor> ReadNpy(const std::string& path) {
  TFM_ASSIGN_OR_RETURN(std::string data, ReadFileToString(path));
  return ParseNpy(data, path);
}

absl::StatusOr<std::string> EncodeNpy(const Tensor& t) {
  std::string descr;
  size_t width = 0;
  if (t.dtype() == DType::kString) {
    for (const auto& s : t.flat<std::string>()) width = std::max(width, s.size());
    if (width == 0) width = 1;
    descr = absl::StrCat("|S", width);
  } else {
    descr = DescrFor(t.dtype());
    if (descr.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot write dtype ", DTypeName(t.dtype()), " to .npy"));
    }
  }
  std::string shape;
  if (t.rank() == 1) {
    shape = absl::StrCat(t.dim(0), ",");
  } else {
    shape = absl::StrJoin(t.shape().dim_sizes(), ", ");
  }
  std::string header =
      absl::StrCat("{'descr': '", descr, "', 'fortran_order': False, 'shape': (", shape, "), }");
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out(kMagic, 6);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  if (t.dtype() == DType::kString) {
    for (const auto& s : t.flat<std::string>()) {
      out += s;
      out.append(width - s.size(), '\0');
    }
  } else {
    out.append(static_cast<const char*>(t.raw_data()), t.TotalBytes());
  }
  return out;
}

absl::Status WriteNpy(const std::string& path, const Tensor& t) {
  TFM_ASSIGN_OR_RETURN(std::string data, EncodeNpy(t));
  return WriteStringToFile(path, data);
}

}  // namespace tfmodel
