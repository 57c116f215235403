// Unicode decoding and encoding, as TF's unicode_ops.cc for UTF-8 input:
//   UnicodeDecode             strings -> ragged code points (row_splits, char_values)
//   UnicodeDecodeWithOffsets  the same plus the byte offset where each character starts
//   UnicodeEncode             ragged code points -> UTF-8, UTF-16-BE or UTF-32-BE strings
// TF decodes with an ICU converter; its UTF-8 converter treats each maximal ill-formed
// subsequence (a lead byte followed by the valid continuation bytes it accepts, or one
// stray byte) as one error, which this decoder reproduces without ICU. Errors, per the
// `errors` attr: "replace" emits `replacement_char`, "ignore" drops the bytes, "strict"
// fails. replace_control_characters also treats U+0000..U+001F as errors to replace/drop.
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "runtime/kernels/ragged_util.h"
#include "runtime/kernels/register_all.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;

struct DecodedChar {
  int32_t code_point;
  int length;  // bytes consumed
  bool error;  // an ill-formed sequence (code_point is U+FFFD)
};

// Decodes the character at s[i] (i < s.size()) following the Unicode "maximal subpart"
// practice (the same as ICU's UTF-8 converter).
DecodedChar DecodeUtf8(absl::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return {b0, 1, false};
  int need = 0;
  int32_t cp = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the range allowed for the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // no overlong forms
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;  // no overlong forms
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return {0xFFFD, 1, true};  // a continuation byte, C0, C1 or F5..FF
  }
  int len = 1;
  for (int k = 0; k < need; ++k) {
    if (i + len >= s.size()) return {0xFFFD, len, true};
    const unsigned char b = byte(i + len);
    const unsigned char l = k == 0 ? lo : 0x80, h = k == 0 ? hi : 0xBF;
    if (b < l || b > h) return {0xFFFD, len, true};
    cp = (cp << 6) | (b & 0x3F);
    ++len;
  }
  return {cp, len, false};
}

enum class ErrorPolicy { kReplace, kIgnore, kStrict };

struct DecodeSpec {
  ErrorPolicy policy = ErrorPolicy::kReplace;
  int32_t replacement = 0xFFFD;
  bool replace_control = false;
  DType splits_type = DType::kInt64;
  bool offsets = false;
};

absl::Status ComputeDecode(KernelContext* ctx, const DecodeSpec& spec) {
  if (ctx->num_inputs() != 1) return ctx->Error("expected 1 input");
  const Tensor& in = ctx->input(0);
  if (in.dtype() != DType::kString) {
    return ctx->Error(absl::StrCat("input must be string, got ", DTypeName(in.dtype())));
  }
  const int64_t n = in.NumElements();
  std::vector<int64_t> splits(static_cast<size_t>(n + 1), 0);
  std::vector<int32_t> chars;
  std::vector<int64_t> starts;
  for (int64_t r = 0; r < n; ++r) {
    const std::string& s = in.data<std::string>()[r];
    for (size_t i = 0; i < s.size();) {
      DecodedChar c = DecodeUtf8(s, i);
      if (c.error && spec.policy == ErrorPolicy::kStrict) {
        return ctx->Error("Invalid formatting on input string");
      }
      const size_t at = i;
      i += static_cast<size_t>(c.length);
      if (c.error || (spec.replace_control && c.code_point <= 0x1F)) {
        if (spec.policy == ErrorPolicy::kIgnore) continue;
        c.code_point = spec.replacement;
      }
      chars.push_back(c.code_point);
      starts.push_back(static_cast<int64_t>(at));
    }
    splits[r + 1] = static_cast<int64_t>(chars.size());
  }
  if (spec.splits_type == DType::kInt32 &&
      chars.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return ctx->Error("too many characters for int32 row splits");
  }
  ctx->set_output(0, ragged_util::SplitsTensor(splits, spec.splits_type));
  ctx->set_output(1, Tensor::FromVector(chars));
  if (spec.offsets) ctx->set_output(2, Tensor::FromVector(starts));
  return absl::OkStatus();
}

Result MakeUnicodeDecode(const KernelInit& init, bool offsets) {
  DecodeSpec spec;
  spec.offsets = offsets;
  std::string encoding, errors = "replace";
  TFM_RETURN_IF_ERROR(init.GetAttr("input_encoding", &encoding));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("errors", &errors));
  int64_t replacement = 0xFFFD;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("replacement_char", &replacement));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("replace_control_characters", &spec.replace_control));
  TFM_RETURN_IF_ERROR(ragged_util::GetSplitsDType(init, "Tsplits", &spec.splits_type));
  const std::string enc = absl::AsciiStrToUpper(encoding);
  if (enc != "UTF-8" && enc != "UTF8") {
    return init.Error(absl::StrCat("input_encoding '", encoding,
                                   "' is not supported (only UTF-8 input is decoded)"));
  }
  if (errors == "replace") {
    spec.policy = ErrorPolicy::kReplace;
  } else if (errors == "ignore") {
    spec.policy = ErrorPolicy::kIgnore;
  } else if (errors == "strict") {
    spec.policy = ErrorPolicy::kStrict;
  } else {
    return init.Error("errors policy must be one of 'strict', 'replace', or 'ignore'");
  }
  if (replacement < 0 || replacement > 0x10FFFF) {
    return init.Error("replacement_char out of unicode codepoint range");
  }
  spec.replacement = static_cast<int32_t>(replacement);
  return MakeKernel([spec](KernelContext* ctx) { return ComputeDecode(ctx, spec); });
}

// ---- UnicodeEncode ----

enum class Encoding { kUtf8, kUtf16Be, kUtf32Be };

void AppendUtf8(int32_t c, std::string* out) {
  // Like ICU's UTF-8 conversion: a lone surrogate becomes U+FFFD.
  if (c >= 0xD800 && c <= 0xDFFF) c = 0xFFFD;
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

void AppendBigEndian(uint32_t v, int bytes, std::string* out) {
  for (int b = bytes - 1; b >= 0; --b) out->push_back(static_cast<char>((v >> (8 * b)) & 0xFF));
}

void AppendCodePoint(int32_t c, Encoding e, std::string* out) {
  switch (e) {
    case Encoding::kUtf8:
      AppendUtf8(c, out);
      return;
    case Encoding::kUtf16Be:
      if (c < 0x10000) {
        AppendBigEndian(static_cast<uint32_t>(c), 2, out);
      } else {
        const uint32_t v = static_cast<uint32_t>(c) - 0x10000;
        AppendBigEndian(0xD800 + (v >> 10), 2, out);
        AppendBigEndian(0xDC00 + (v & 0x3FF), 2, out);
      }
      return;
    case Encoding::kUtf32Be:
      AppendBigEndian(static_cast<uint32_t>(c), 4, out);
      return;
  }
}

Result MakeUnicodeEncode(const KernelInit& init) {
  std::string encoding, errors = "replace";
  int64_t replacement = 0xFFFD;
  TFM_RETURN_IF_ERROR(init.GetAttr("output_encoding", &encoding));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("errors", &errors));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("replacement_char", &replacement));
  Encoding enc;
  if (encoding == "UTF-8") {
    enc = Encoding::kUtf8;
  } else if (encoding == "UTF-16-BE") {
    enc = Encoding::kUtf16Be;
  } else if (encoding == "UTF-32-BE") {
    enc = Encoding::kUtf32Be;
  } else {
    return init.Error(absl::StrCat("Invalid encoding \"", encoding,
                                   "\": Should be one of: UTF-8, UTF-16-BE, UTF-32-BE"));
  }
  ErrorPolicy policy;
  if (errors == "replace") {
    policy = ErrorPolicy::kReplace;
  } else if (errors == "ignore") {
    policy = ErrorPolicy::kIgnore;
  } else if (errors == "strict") {
    policy = ErrorPolicy::kStrict;
  } else {
    return init.Error("errors policy must be one of 'strict', 'replace', or 'ignore'");
  }
  if (replacement < 0 || replacement > 0x10FFFF) {
    return init.Error("replacement_char out of unicode codepoint range");
  }
  const int32_t subst = static_cast<int32_t>(replacement);
  return MakeKernel([enc, policy, subst](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() != 2) return ctx->Error("expected 2 inputs");
    const Tensor& values = ctx->input(0);
    if (values.dtype() != DType::kInt32 || values.rank() != 1) {
      return ctx->Error(absl::StrCat("input_values must be an int32 vector, got ",
                                     DTypeName(values.dtype()), " ", values.shape().ToString()));
    }
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> splits,
                         ragged_util::ReadSplits(ctx, ctx->input(1), "input_splits"));
    TFM_RETURN_IF_ERROR(ragged_util::ValidateSplits(ctx, splits, values.dim(0), "input_splits"));
    const int32_t* cp = values.data<int32_t>();
    std::vector<std::string> out(splits.size() - 1);
    for (size_t r = 0; r + 1 < splits.size(); ++r) {
      for (int64_t i = splits[r]; i < splits[r + 1]; ++i) {
        int32_t c = cp[i];
        if (c < 0 || c > 0x10FFFF) {
          if (policy == ErrorPolicy::kStrict) {
            return ctx->Error("Code point value out of valid Unicode range.");
          }
          if (policy == ErrorPolicy::kIgnore) continue;
          c = subst;
        }
        AppendCodePoint(c, enc, &out[r]);
      }
    }
    ctx->set_output(0, Tensor::FromVector(out));
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterUnicodeKernels(KernelRegistry& r) {
  r.Register("UnicodeDecode", [](const KernelInit& i) { return MakeUnicodeDecode(i, false); });
  r.Register("UnicodeDecodeWithOffsets",
             [](const KernelInit& i) { return MakeUnicodeDecode(i, true); });
  r.Register("UnicodeEncode", MakeUnicodeEncode);
}

}  // namespace tfmodel::runtime
