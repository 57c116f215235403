// String kernels with TensorFlow's semantics: regex match/replace (RE2, as TF), AsString,
// StringToNumber, StringLength, Substr, StringSplit(V2), case/strip, base64 (web-safe
// alphabet), hashing into buckets (FarmHash Fingerprint64, keyed SipHash-2-4) and
// DecodeRaw.
#include <re2/re2.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "farmhash.h"
#include "runtime/kernel.h"
#include "runtime/kernels/register_all.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;

absl::Status NeedStringInput(KernelContext* ctx, int i, int n = 1) {
  if (ctx->num_inputs() < n) {
    return ctx->Error(absl::StrCat("expected ", n, " inputs, got ", ctx->num_inputs()));
  }
  if (ctx->input(i).dtype() != DType::kString) {
    return ctx->Error(
        absl::StrCat("input ", i, " must be string, got ", DTypeName(ctx->input(i).dtype())));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ScalarStringInput(KernelContext* ctx, int i, absl::string_view what) {
  const Tensor& t = ctx->input(i);
  if (t.dtype() != DType::kString || t.rank() != 0) {
    return ctx->Error(absl::StrCat(what, " must be a string scalar, got ", DTypeName(t.dtype()),
                                   " ", t.shape().ToString()));
  }
  return t.scalar<std::string>();
}

// Applies fn(string) -> T elementwise to input 0.
template <typename T, typename Fn>
absl::Status MapStrings(KernelContext* ctx, Fn&& fn) {
  TFM_RETURN_IF_ERROR(NeedStringInput(ctx, 0));
  const Tensor& in = ctx->input(0);
  Tensor out = Tensor::Empty(DTypeOf<T>::value, in.shape());
  if constexpr (std::is_same_v<T, std::string>) out = Tensor(DType::kString, in.shape());
  auto src = in.flat<std::string>();
  T* dst = out.data<T>();
  for (size_t i = 0; i < src.size(); ++i) {
    absl::Status s = fn(src[i], &dst[i], static_cast<int64_t>(i));
    if (!s.ok()) return s;
  }
  ctx->set_output(0, std::move(out));
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<RE2>> CompileRegex(const std::string& pattern,
                                                  absl::string_view op) {
  auto re = std::make_shared<RE2>(pattern, RE2::Quiet);
  if (!re->ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Invalid pattern: ", pattern, ", error: ", re->error()));
  }
  return re;
}

absl::Status FullMatch(KernelContext* ctx, const RE2& re) {
  return MapStrings<bool>(ctx, [&](const std::string& s, bool* o, int64_t) {
    *o = RE2::FullMatch(s, re);
    return absl::OkStatus();
  });
}

Result MakeStaticRegexFullMatch(const KernelInit& init) {
  std::string pattern;
  TFM_RETURN_IF_ERROR(init.GetAttr("pattern", &pattern));
  auto re = CompileRegex(pattern, init.op());
  if (!re.ok()) return init.Error(re.status().message());
  return MakeKernel([re = *re](KernelContext* ctx) { return FullMatch(ctx, *re); });
}

Result MakeRegexFullMatch(const KernelInit& init) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedStringInput(ctx, 0, 2));
    TFM_ASSIGN_OR_RETURN(std::string pattern, ScalarStringInput(ctx, 1, "Pattern"));
    auto re = CompileRegex(pattern, ctx->op());
    if (!re.ok()) return ctx->Error(re.status().message());
    return FullMatch(ctx, **re);
  });
}

absl::Status Replace(KernelContext* ctx, const RE2& re, const std::string& rewrite, bool global) {
  std::string err;
  if (!re.CheckRewriteString(rewrite, &err)) {
    return ctx->Error(absl::StrCat("Invalid rewrite pattern: ", rewrite, ", error: ", err));
  }
  return MapStrings<std::string>(ctx, [&](const std::string& s, std::string* o, int64_t) {
    *o = s;
    if (global) {
      RE2::GlobalReplace(o, re, rewrite);
    } else {
      RE2::Replace(o, re, rewrite);
    }
    return absl::OkStatus();
  });
}

Result MakeStaticRegexReplace(const KernelInit& init) {
  std::string pattern, rewrite;
  bool global = true;
  TFM_RETURN_IF_ERROR(init.GetAttr("pattern", &pattern));
  TFM_RETURN_IF_ERROR(init.GetAttr("rewrite", &rewrite));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("replace_global", &global));
  auto re = CompileRegex(pattern, init.op());
  if (!re.ok()) return init.Error(re.status().message());
  return MakeKernel([re = *re, rewrite, global](KernelContext* ctx) {
    return Replace(ctx, *re, rewrite, global);
  });
}

Result MakeRegexReplace(const KernelInit& init) {
  bool global = true;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("replace_global", &global));
  return MakeKernel([global](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedStringInput(ctx, 0, 3));
    TFM_ASSIGN_OR_RETURN(std::string pattern, ScalarStringInput(ctx, 1, "Pattern"));
    TFM_ASSIGN_OR_RETURN(std::string rewrite, ScalarStringInput(ctx, 2, "Rewrite"));
    auto re = CompileRegex(pattern, ctx->op());
    if (!re.ok()) return ctx->Error(re.status().message());
    return Replace(ctx, **re, rewrite, global);
  });
}

// ---- AsString ----

Result MakeAsString(const KernelInit& init) {
  int64_t precision = -1, width = -1;
  bool scientific = false, shortest = false;
  std::string fill;
  DType t = DType::kInvalid;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("precision", &precision));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("width", &width));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("scientific", &scientific));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("shortest", &shortest));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("fill", &fill));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("T", &t));
  const bool is_float =
      t == DType::kFloat || t == DType::kDouble || t == DType::kHalf || t == DType::kBFloat16;
  if (scientific && shortest) {
    return init.Error("Cannot select both scientific and shortest notation");
  }
  if (fill.size() > 1) {
    return init.Error(absl::StrCat("Fill string must be one or fewer characters: '", fill, "'"));
  }
  if (!is_float && t != DType::kInvalid) {
    if (scientific) return init.Error("scientific is only valid for float/double types");
    if (shortest) return init.Error("shortest is only valid for float/double types");
    if (precision >= 0) return init.Error("precision is only valid for float/double types");
  }
  std::string spec = "%" + fill;
  if (width > -1) absl::StrAppend(&spec, width);
  if (precision > -1) absl::StrAppend(&spec, ".", precision);
  std::string fspec = spec + (shortest ? "g" : scientific ? "e" : "f");
  std::string ispec = spec + "lld";
  std::string uspec = spec + "llu";
  std::string sspec = spec + "s";
  return MakeKernel([=](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() < 1) return ctx->Error("expected 1 input");
    const Tensor& in = ctx->input(0);
    Tensor out(DType::kString, in.shape());
    auto o = out.flat<std::string>();
    const int64_t n = in.NumElements();
    auto fmt = [](const std::string& f, auto v) {
      char buf[128];
      int len = std::snprintf(buf, sizeof(buf), f.c_str(), v);
      if (len < 0) return std::string();
      if (static_cast<size_t>(len) < sizeof(buf)) return std::string(buf, len);
      std::string big(static_cast<size_t>(len) + 1, '\0');
      std::snprintf(big.data(), big.size(), f.c_str(), v);
      big.resize(len);
      return big;
    };
    switch (in.dtype()) {
      case DType::kFloat:
        for (int64_t i = 0; i < n; ++i) o[i] = fmt(fspec, double{in.data<float>()[i]});
        break;
      case DType::kDouble:
        for (int64_t i = 0; i < n; ++i) o[i] = fmt(fspec, in.data<double>()[i]);
        break;
      case DType::kBool:
        for (int64_t i = 0; i < n; ++i) o[i] = in.data<bool>()[i] ? "true" : "false";
        break;
      case DType::kString:
        for (int64_t i = 0; i < n; ++i) o[i] = fmt(sspec, in.data<std::string>()[i].c_str());
        break;
      case DType::kUInt8:
      case DType::kUInt16:
      case DType::kUInt32:
      case DType::kUInt64: {
        bool ok = DispatchNumeric(in.dtype(), [&]<typename T>() {
          for (int64_t i = 0; i < n; ++i) {
            o[i] = fmt(uspec, static_cast<unsigned long long>(in.data<T>()[i]));  // NOLINT
          }
        });
        (void)ok;
        break;
      }
      case DType::kInt8:
      case DType::kInt16:
      case DType::kInt32:
      case DType::kInt64: {
        bool ok = DispatchNumeric(in.dtype(), [&]<typename T>() {
          for (int64_t i = 0; i < n; ++i) {
            o[i] = fmt(ispec, static_cast<long long>(in.data<T>()[i]));  // NOLINT
          }
        });
        (void)ok;
        break;
      }
      default:
        return ctx->Error(absl::StrCat("Value for attr 'T' of ", DTypeName(in.dtype()),
                                       " is not in the list of allowed values"));
    }
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

// ---- StringToNumber ----

Result MakeStringToNumber(const KernelInit& init) {
  DType out_type = DType::kFloat;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("out_type", &out_type));
  if (out_type != DType::kFloat && out_type != DType::kDouble && out_type != DType::kInt32 &&
      out_type != DType::kInt64) {
    return init.Error(absl::StrCat("unsupported out_type ", DTypeName(out_type)));
  }
  return MakeKernel([out_type](KernelContext* ctx) -> absl::Status {
    auto err = [&](const std::string& s) {
      return ctx->Error(absl::StrCat("StringToNumber could not correctly convert string: ", s));
    };
    switch (out_type) {
      case DType::kFloat:
        return MapStrings<float>(ctx, [&](const std::string& s, float* o, int64_t) {
          return absl::SimpleAtof(s, o) ? absl::OkStatus() : err(s);
        });
      case DType::kDouble:
        return MapStrings<double>(ctx, [&](const std::string& s, double* o, int64_t) {
          return absl::SimpleAtod(s, o) ? absl::OkStatus() : err(s);
        });
      case DType::kInt32:
        return MapStrings<int32_t>(ctx, [&](const std::string& s, int32_t* o, int64_t) {
          return absl::SimpleAtoi(s, o) ? absl::OkStatus() : err(s);
        });
      default:
        return MapStrings<int64_t>(ctx, [&](const std::string& s, int64_t* o, int64_t) {
          return absl::SimpleAtoi(s, o) ? absl::OkStatus() : err(s);
        });
    }
  });
}

// ---- StringLength / Substr ----

bool IsUtf8Lead(char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }

int64_t Utf8Length(absl::string_view s) {
  int64_t n = 0;
  for (char c : s) n += IsUtf8Lead(c);
  return n;
}

absl::Status ReadUnit(const KernelInit& init, bool* utf8) {
  std::string unit = "BYTE";
  TFM_RETURN_IF_ERROR(init.GetAttrOr("unit", &unit));
  if (unit != "BYTE" && unit != "UTF8_CHAR") {
    return init.Error(absl::StrCat("unit must be BYTE or UTF8_CHAR, got '", unit, "'"));
  }
  *utf8 = unit == "UTF8_CHAR";
  return absl::OkStatus();
}

Result MakeStringLength(const KernelInit& init) {
  bool utf8 = false;
  TFM_RETURN_IF_ERROR(ReadUnit(init, &utf8));
  return MakeKernel([utf8](KernelContext* ctx) {
    return MapStrings<int32_t>(ctx, [&](const std::string& s, int32_t* o, int64_t) {
      *o = static_cast<int32_t>(utf8 ? Utf8Length(s) : static_cast<int64_t>(s.size()));
      return absl::OkStatus();
    });
  });
}

// Byte offset of the `chars`-th UTF-8 character of s (s.size() when past the end).
size_t Utf8Offset(absl::string_view s, int64_t chars) {
  size_t i = 0;
  for (; i < s.size(); ++i) {
    if (IsUtf8Lead(s[i])) {
      if (chars == 0) return i;
      --chars;
    }
  }
  return s.size();
}

Result MakeSubstr(const KernelInit& init) {
  bool utf8 = false;
  TFM_RETURN_IF_ERROR(ReadUnit(init, &utf8));
  return MakeKernel([utf8](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedStringInput(ctx, 0, 3));
    const Tensor& pos = ctx->input(1);
    const Tensor& len = ctx->input(2);
    const Tensor& in = ctx->input(0);
    if (pos.dtype() != len.dtype() ||
        (pos.dtype() != DType::kInt32 && pos.dtype() != DType::kInt64)) {
      return ctx->Error("pos and len must both be int32 or both int64");
    }
    if (pos.shape() != len.shape()) {
      return ctx->Error(absl::StrCat("pos and len should have the same shape, got: ",
                                     pos.shape().ToString(), " vs. ", len.shape().ToString()));
    }
    if (pos.rank() != 0 && pos.shape() != in.shape()) {
      return ctx->Error(absl::StrCat("pos/len shape ", pos.shape().ToString(),
                                     " must be a scalar or equal the input shape ",
                                     in.shape().ToString(), " (broadcasting is not supported)"));
    }
    auto get = [](const Tensor& t, int64_t i) -> int64_t {
      const int64_t j = t.rank() == 0 ? 0 : i;
      return t.dtype() == DType::kInt32 ? t.data<int32_t>()[j] : t.data<int64_t>()[j];
    };
    return MapStrings<std::string>(
        ctx, [&](const std::string& s, std::string* o, int64_t i) -> absl::Status {
          int64_t p = get(pos, i), l = get(len, i);
          const int64_t size = utf8 ? Utf8Length(s) : static_cast<int64_t>(s.size());
          if (p < -size || p > size) {
            return ctx->Error(absl::StrCat("pos ", p, " out of range for string at index ", i));
          }
          if (p < 0) p += size;
          if (l < 0) l = 0;
          const int64_t take = std::min(l, size - p);
          if (!utf8) {
            *o = s.substr(static_cast<size_t>(p), static_cast<size_t>(take));
          } else {
            size_t b = Utf8Offset(s, p), e = Utf8Offset(s, p + take);
            *o = s.substr(b, e - b);
          }
          return absl::OkStatus();
        });
  });
}

// ---- case / strip ----

Result MakeCase(const KernelInit& init, bool upper) {
  std::string encoding;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("encoding", &encoding));
  if (!encoding.empty() && encoding != "utf-8") {
    return init.Error(absl::StrCat("encoding must be '' or 'utf-8', got '", encoding, "'"));
  }
  if (encoding == "utf-8") {
    return init.Error("encoding 'utf-8' (Unicode case mapping) is not supported");
  }
  return MakeKernel([upper](KernelContext* ctx) {
    return MapStrings<std::string>(ctx, [&](const std::string& s, std::string* o, int64_t) {
      *o = upper ? absl::AsciiStrToUpper(s) : absl::AsciiStrToLower(s);
      return absl::OkStatus();
    });
  });
}

Result MakeStringStrip(const KernelInit& init) {
  return MakeKernel([](KernelContext* ctx) {
    return MapStrings<std::string>(ctx, [&](const std::string& s, std::string* o, int64_t) {
      *o = std::string(absl::StripAsciiWhitespace(s));
      return absl::OkStatus();
    });
  });
}

// ---- base64 ----

Result MakeEncodeBase64(const KernelInit& init) {
  bool pad = false;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("pad", &pad));
  return MakeKernel([pad](KernelContext* ctx) {
    return MapStrings<std::string>(ctx, [&](const std::string& s, std::string* o, int64_t) {
      *o = absl::WebSafeBase64Escape(s);
      if (pad) o->append((4 - o->size() % 4) % 4, '=');
      return absl::OkStatus();
    });
  });
}

Result MakeDecodeBase64(const KernelInit& init) {
  return MakeKernel([](KernelContext* ctx) {
    return MapStrings<std::string>(
        ctx, [&](const std::string& s, std::string* o, int64_t) -> absl::Status {
          for (char c : s) {
            if (c == '+' || c == '/') {
              return ctx->Error("Invalid character found in base64.");
            }
          }
          if (!absl::WebSafeBase64Unescape(s, o)) {
            return ctx->Error("Invalid character found in base64.");
          }
          return absl::OkStatus();
        });
  });
}

// ---- hashing ----

absl::StatusOr<int64_t> NumBuckets(const KernelInit& init) {
  int64_t n = 0;
  TFM_RETURN_IF_ERROR(init.GetAttr("num_buckets", &n));
  if (n < 1) return init.Error(absl::StrCat("num_buckets must be >= 1, got ", n));
  return n;
}

Result MakeHashBucketFast(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(int64_t buckets, NumBuckets(init));
  return MakeKernel([buckets](KernelContext* ctx) {
    return MapStrings<int64_t>(ctx, [&](const std::string& s, int64_t* o, int64_t) {
      *o = static_cast<int64_t>(util::Fingerprint64(s.data(), s.size()) %
                                static_cast<uint64_t>(buckets));
      return absl::OkStatus();
    });
  });
}

// TF's legacy Hash64: MurmurHash64A with seed 0xDECAFCAFFE, little-endian 8-byte blocks.
uint64_t LegacyHash64(absl::string_view data) {
  constexpr uint64_t kMul = 0xc6a4a7935bd1e995ULL;
  constexpr int kShift = 47;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  uint64_t h = 0xDECAFCAFFEULL ^ (static_cast<uint64_t>(n) * kMul);
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t k = 0;
    for (int b = 0; b < 8; ++b) k |= uint64_t{p[b]} << (8 * b);
    k *= kMul;
    k ^= k >> kShift;
    k *= kMul;
    h ^= k;
    h *= kMul;
  }
  if (n > 0) {
    for (size_t b = n; b-- > 0;) h ^= uint64_t{p[b]} << (8 * b);
    h *= kMul;
  }
  h ^= h >> kShift;
  h *= kMul;
  h ^= h >> kShift;
  return h;
}

Result MakeHashBucketLegacy(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(int64_t buckets, NumBuckets(init));
  return MakeKernel([buckets](KernelContext* ctx) {
    return MapStrings<int64_t>(ctx, [&](const std::string& s, int64_t* o, int64_t) {
      *o = static_cast<int64_t>(LegacyHash64(s) % static_cast<uint64_t>(buckets));
      return absl::OkStatus();
    });
  });
}

inline uint64_t Rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

// SipHash-2-4 of `data` keyed by (k0, k1), as TF's StrongKeyedHash (highwayhash::SipHash).
uint64_t SipHash24(uint64_t k0, uint64_t k1, absl::string_view data) {
  uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1,
           v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
  auto round = [&] {
    v0 += v1;
    v1 = Rotl(v1, 13);
    v1 ^= v0;
    v0 = Rotl(v0, 32);
    v2 += v3;
    v3 = Rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = Rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = Rotl(v1, 17);
    v1 ^= v2;
    v2 = Rotl(v2, 32);
  };
  const size_t n = data.size();
  const unsigned char* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t m = 0;
    for (int b = 0; b < 8; ++b) m |= uint64_t{p[i + b]} << (8 * b);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  uint64_t last = static_cast<uint64_t>(n & 0xff) << 56;
  for (int b = 0; i + b < n; ++b) last |= uint64_t{p[i + b]} << (8 * b);
  v3 ^= last;
  round();
  round();
  v0 ^= last;
  v2 ^= 0xff;
  for (int r = 0; r < 4; ++r) round();
  return v0 ^ v1 ^ v2 ^ v3;
}

Result MakeHashBucketStrong(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(int64_t buckets, NumBuckets(init));
  std::vector<int64_t> key;
  TFM_RETURN_IF_ERROR(init.GetAttr("key", &key));
  if (key.size() != 2) {
    return init.Error(absl::StrCat("Key must have 2 elements, got ", key.size()));
  }
  const uint64_t k0 = static_cast<uint64_t>(key[0]), k1 = static_cast<uint64_t>(key[1]);
  return MakeKernel([buckets, k0, k1](KernelContext* ctx) {
    return MapStrings<int64_t>(ctx, [&](const std::string& s, int64_t* o, int64_t) {
      *o = static_cast<int64_t>(SipHash24(k0, k1, s) % static_cast<uint64_t>(buckets));
      return absl::OkStatus();
    });
  });
}

// ---- splitting ----

// Emits the SparseTensor (indices [N,2], values [N], shape [2]) of per-row tokens.
void EmitSplit(KernelContext* ctx, const std::vector<std::vector<std::string>>& rows) {
  int64_t total = 0, max_len = 0;
  for (const auto& r : rows) {
    total += static_cast<int64_t>(r.size());
    max_len = std::max<int64_t>(max_len, static_cast<int64_t>(r.size()));
  }
  Tensor indices(DType::kInt64, TensorShape{total, 2});
  Tensor values(DType::kString, TensorShape{total});
  int64_t k = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t j = 0; j < rows[i].size(); ++j, ++k) {
      indices.data<int64_t>()[2 * k] = static_cast<int64_t>(i);
      indices.data<int64_t>()[2 * k + 1] = static_cast<int64_t>(j);
      values.data<std::string>()[k] = rows[i][j];
    }
  }
  ctx->set_output(0, std::move(indices));
  ctx->set_output(1, std::move(values));
  ctx->set_output(2, Tensor::FromVector<int64_t>({static_cast<int64_t>(rows.size()), max_len}));
}

Result MakeStringSplit(const KernelInit& init) {
  bool skip_empty = true;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("skip_empty", &skip_empty));
  return MakeKernel([skip_empty](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedStringInput(ctx, 0, 2));
    const Tensor& in = ctx->input(0);
    if (in.rank() != 1) {
      return ctx->Error(absl::StrCat("input must be a vector, got shape: ", in.shape().ToString()));
    }
    TFM_ASSIGN_OR_RETURN(std::string delim, ScalarStringInput(ctx, 1, "delimiter"));
    std::vector<std::vector<std::string>> rows;
    for (const std::string& s : in.flat<std::string>()) {
      std::vector<std::string> toks;
      if (delim.empty()) {
        for (char c : s) toks.emplace_back(1, c);
      } else {
        std::string cur;
        for (char c : s) {
          if (delim.find(c) != std::string::npos) {
            if (!skip_empty || !cur.empty()) toks.push_back(cur);
            cur.clear();
          } else {
            cur += c;
          }
        }
        if (!skip_empty || !cur.empty()) toks.push_back(cur);
      }
      rows.push_back(std::move(toks));
    }
    EmitSplit(ctx, rows);
    return absl::OkStatus();
  });
}

// Python's str.split, as TF's SplitV2: with a separator, consecutive separators delimit
// empty strings and "" splits to [""]; without one, runs of whitespace separate and no
// empty tokens appear except that, like TF, the remainder after `maxsplit` splits is kept
// even when empty. maxsplit 0 returns the whole string.
std::vector<std::string> SplitV2(const std::string& s, const std::string& sep, int64_t maxsplit) {
  std::vector<std::string> toks;
  if (maxsplit == 0) return {s};
  auto is_space = [](char c) { return absl::ascii_isspace(static_cast<unsigned char>(c)); };
  if (sep.empty()) {
    size_t i = 0;
    while (i < s.size() && is_space(s[i])) ++i;
    while (i < s.size()) {
      size_t j = i;
      while (j < s.size() && !is_space(s[j])) ++j;
      toks.push_back(s.substr(i, j - i));
      i = j;
      while (i < s.size() && is_space(s[i])) ++i;
      if (maxsplit > 0 && static_cast<int64_t>(toks.size()) == maxsplit) {
        toks.push_back(s.substr(i));
        break;
      }
    }
    return toks;
  }
  size_t start = 0;
  while (true) {
    const size_t at = s.find(sep, start);
    if (at == std::string::npos) break;
    toks.push_back(s.substr(start, at - start));
    start = at + sep.size();
    if (maxsplit > 0 && static_cast<int64_t>(toks.size()) == maxsplit) break;
  }
  toks.push_back(s.substr(start));
  return toks;
}

Result MakeStringSplitV2(const KernelInit& init) {
  int64_t maxsplit = -1;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("maxsplit", &maxsplit));
  return MakeKernel([maxsplit](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedStringInput(ctx, 0, 2));
    const Tensor& in = ctx->input(0);
    if (in.rank() != 1) {
      return ctx->Error(absl::StrCat("input must be a vector, got shape: ", in.shape().ToString()));
    }
    TFM_ASSIGN_OR_RETURN(std::string sep, ScalarStringInput(ctx, 1, "sep"));
    std::vector<std::vector<std::string>> rows;
    for (const std::string& s : in.flat<std::string>()) rows.push_back(SplitV2(s, sep, maxsplit));
    EmitSplit(ctx, rows);
    return absl::OkStatus();
  });
}

// ---- DecodeRaw ----

Result MakeDecodeRaw(const KernelInit& init) {
  DType out_type = DType::kInvalid;
  bool little_endian = true;
  TFM_RETURN_IF_ERROR(init.GetAttr("out_type", &out_type));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("little_endian", &little_endian));
  if (!DTypeIsPod(out_type) || DTypeSize(out_type) == 0) {
    return init.Error(absl::StrCat("unsupported out_type ", DTypeName(out_type)));
  }
  return MakeKernel([out_type, little_endian](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedStringInput(ctx, 0));
    const Tensor& in = ctx->input(0);
    auto src = in.flat<std::string>();
    const size_t es = DTypeSize(out_type);
    const size_t str_size = src.empty() ? 0 : src[0].size();
    if (str_size % es != 0) {
      return ctx->Error(absl::StrCat("Input to DecodeRaw has length ", str_size,
                                     " that is not a multiple of ", es, ", the size of ",
                                     DTypeName(out_type)));
    }
    TensorShape shape = in.shape();
    shape.AddDim(static_cast<int64_t>(str_size / es));
    TFM_ASSIGN_OR_RETURN(Tensor out, Tensor::Create(out_type, shape));
    unsigned char* dst = static_cast<unsigned char*>(out.raw_data());
    for (size_t i = 0; i < src.size(); ++i) {
      if (src[i].size() != str_size) {
        return ctx->Error(
            absl::StrCat("DecodeRaw requires input strings to all be the same size, but element ",
                         i, " has size ", src[i].size(), " != ", str_size));
      }
      std::memcpy(dst + i * str_size, src[i].data(), str_size);
    }
    // This host is little-endian; swap each element when the data is big-endian.
    if (!little_endian && es > 1) {
      const size_t total = src.size() * str_size;
      for (size_t off = 0; off < total; off += es) std::reverse(dst + off, dst + off + es);
    }
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterStringKernels(KernelRegistry& r) {
  r.Register("StaticRegexFullMatch", MakeStaticRegexFullMatch);
  r.Register("RegexFullMatch", MakeRegexFullMatch);
  r.Register("StaticRegexReplace", MakeStaticRegexReplace);
  r.Register("RegexReplace", MakeRegexReplace);
  r.Register("AsString", MakeAsString);
  r.Register("StringToNumber", MakeStringToNumber);
  r.Register("StringLength", MakeStringLength);
  r.Register("Substr", MakeSubstr);
  r.Register("StringLower", [](const KernelInit& i) { return MakeCase(i, false); });
  r.Register("StringUpper", [](const KernelInit& i) { return MakeCase(i, true); });
  r.Register("StringStrip", MakeStringStrip);
  r.Register("EncodeBase64", MakeEncodeBase64);
  r.Register("DecodeBase64", MakeDecodeBase64);
  r.Register("StringToHashBucketFast", MakeHashBucketFast);
  r.Register("StringToHashBucketStrong", MakeHashBucketStrong);
  r.Register("StringToHashBucket", MakeHashBucketLegacy);
  r.Register("StringSplit", MakeStringSplit);
  r.Register("StringSplitV2", MakeStringSplitV2);
  r.Register("DecodeRaw", MakeDecodeRaw);
}

}  // namespace tfmodel::runtime
