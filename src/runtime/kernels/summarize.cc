#include "runtime/kernels/summarize.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "absl/strings/str_cat.h"

namespace tfmodel::runtime {
namespace {

using ElemFn = std::function<std::string(int64_t)>;

// C escaping that keeps bytes >= 0x80 (so UTF-8 stays readable), like absl's
// Utf8SafeCEscape which TF uses for string elements.
std::string CEscapeUtf8Safe(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\'':
        out += "\\'";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (c < 0x80 && !std::isprint(c)) {
          char buf[5];
          std::snprintf(buf, sizeof(buf), "\\%03o", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

// Returns nullptr for dtypes TF prints as "?" (complex, qint32) or "<...>".
ElemFn ElementPrinter(const Tensor& t, bool v2) {
  switch (t.dtype()) {
    case DType::kFloat:
      return [&t](int64_t i) { return TfFloatString(t.data<float>()[i]); };
    case DType::kDouble:
      return [&t](int64_t i) { return TfDoubleString(t.data<double>()[i]); };
    case DType::kHalf:
      return [&t](int64_t i) { return TfFloatString(t.data<Half>()[i].ToFloat()); };
    case DType::kBFloat16:
      return [&t](int64_t i) { return TfFloatString(t.data<BFloat16>()[i].ToFloat()); };
    case DType::kBool:
      return [&t](int64_t i) { return std::string(t.data<bool>()[i] ? "1" : "0"); };
    case DType::kString:
      return [&t, v2](int64_t i) {
        std::string e = CEscapeUtf8Safe(t.data<std::string>()[i]);
        return v2 ? absl::StrCat("\"", e, "\"") : e;
      };
    case DType::kInt32:
      return [&t](int64_t i) { return absl::StrCat(t.data<int32_t>()[i]); };
    case DType::kInt64:
      return [&t](int64_t i) { return absl::StrCat(t.data<int64_t>()[i]); };
    case DType::kUInt32:
      return [&t](int64_t i) { return absl::StrCat(t.data<uint32_t>()[i]); };
    case DType::kUInt64:
      return [&t](int64_t i) { return absl::StrCat(t.data<uint64_t>()[i]); };
    case DType::kUInt8:
    case DType::kQUInt8:
      return [&t](int64_t i) { return absl::StrCat(static_cast<const uint8_t*>(t.raw_data())[i]); };
    case DType::kInt8:
    case DType::kQInt8:
      return [&t](int64_t i) { return absl::StrCat(static_cast<const int8_t*>(t.raw_data())[i]); };
    case DType::kUInt16:
    case DType::kQUInt16:
      return
          [&t](int64_t i) { return absl::StrCat(static_cast<const uint16_t*>(t.raw_data())[i]); };
    case DType::kInt16:
    case DType::kQInt16:
      return [&t](int64_t i) { return absl::StrCat(static_cast<const int16_t*>(t.raw_data())[i]); };
    default:
      return nullptr;
  }
}

// The legacy nested form: brackets around every non-innermost dim, row-major.
void PrintOneDim(int dim, absl::Span<const int64_t> shape, int64_t limit, const ElemFn& elem,
                 int64_t* index, std::string* out) {
  if (*index >= limit) return;
  const int64_t count = shape[dim];
  const int last = static_cast<int>(shape.size()) - 1;
  if (dim == last) {
    for (int64_t i = 0; i < count; ++i) {
      if (*index >= limit) {
        if (dim != 0) out->append("...");
        return;
      }
      if (i > 0) out->push_back(' ');
      out->append(elem((*index)++));
    }
    return;
  }
  for (int64_t i = 0; i < count; ++i) {
    const bool opened = *index < limit;
    if (opened) out->push_back('[');
    PrintOneDim(dim + 1, shape, limit, elem, index, out);
    if (*index < limit || opened) out->push_back(']');
  }
}

void DimSpacing(int dim, int rank, std::string* out) {
  if (dim == rank - 1) {
    out->push_back(' ');
    return;
  }
  out->append(static_cast<size_t>(rank - dim - 1), '\n');
  out->append(static_cast<size_t>(dim + 1), ' ');
}

// The numpy-like form: `ends` items at each end of every dim, "..." between.
void PrintOneDimV2(int dim, absl::Span<const int64_t> shape, int64_t ends, const ElemFn& elem,
                   int64_t base, std::string* out) {
  const int rank = static_cast<int>(shape.size());
  if (dim == rank) {
    out->append(elem(base));
    return;
  }
  out->push_back('[');
  const int64_t count = shape[dim];
  int64_t stride = 1;
  for (int i = dim + 1; i < rank; ++i) stride *= shape[i];
  for (int64_t i = 0; i < ends && i < count; ++i) {
    if (i > 0) DimSpacing(dim, rank, out);
    PrintOneDimV2(dim + 1, shape, ends, elem, base + stride * i, out);
  }
  if (count > 2 * ends) {
    DimSpacing(dim, rank, out);
    out->append("...");
  }
  for (int64_t i = std::max(ends, count - ends); i < count; ++i) {
    DimSpacing(dim, rank, out);
    PrintOneDimV2(dim + 1, shape, ends, elem, base + stride * i, out);
  }
  out->push_back(']');
}

std::string Irregular(const Tensor& t, int64_t limit, int64_t max_entries, bool v2) {
  std::string out;
  const bool brackets = v2 && t.rank() > 0;
  if (brackets) out.push_back('[');
  for (int64_t i = 0; i < limit; ++i) {
    if (i > 0) out.push_back(' ');
    if (t.dtype() == DType::kResource) {
      const ResourceHandle& h = t.data<ResourceHandle>()[i];
      absl::StrAppend(&out, "<ResourceHandle(name=\"", h.name, "\", device=\"", h.device,
                      "\", container=\"", h.container, "\", type=\"", h.type_name, "\")>");
    } else if (t.dtype() == DType::kVariant) {
      absl::StrAppend(&out, "<", t.data<Variant>()[i].type_name, ">");
    } else {
      out.push_back('?');
    }
  }
  if (max_entries < t.NumElements()) out.append("...");
  if (brackets) out.push_back(']');
  return out;
}

}  // namespace

std::string TfFloatString(float v) {
  if (std::isnan(v)) return std::signbit(v) ? "-nan" : "nan";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.*g", 6, static_cast<double>(v));
  if (std::strtof(buf, nullptr) != v) std::snprintf(buf, sizeof(buf), "%.*g", 9, v);
  return buf;
}

std::string TfDoubleString(double v) {
  if (std::isnan(v)) return std::signbit(v) ? "-nan" : "nan";
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.*g", 15, v);
  if (std::strtod(buf, nullptr) != v) std::snprintf(buf, sizeof(buf), "%.*g", 17, v);
  return buf;
}

std::string SummarizeTensor(const Tensor& t, int64_t max_entries, bool print_v2) {
  const int64_t n = t.NumElements();
  if (max_entries < 0) max_entries = n;
  const int64_t limit = std::min(max_entries, n);
  ElemFn elem = ElementPrinter(t, print_v2);
  if (!elem) return Irregular(t, limit, max_entries, print_v2);
  std::string out;
  absl::Span<const int64_t> shape = t.shape().dim_sizes();
  if (shape.empty()) {
    for (int64_t i = 0; i < limit; ++i) {
      if (i > 0) out.push_back(' ');
      out.append(elem(i));
    }
    if (n > limit) out.append("...");
    return out;
  }
  if (print_v2) {
    PrintOneDimV2(0, shape, limit, elem, 0, &out);
  } else {
    int64_t index = 0;
    PrintOneDim(0, shape, limit, elem, &index, &out);
    if (n > limit) out.append("...");
  }
  return out;
}

}  // namespace tfmodel::runtime
