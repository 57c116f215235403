// Tests for the text kernels: StringNGrams (cases after TF's string_ngrams_op_test.cc,
// expected n-grams worked out from its padding rules), ReduceJoin (axis order, negative
// axes, keep_dims), UnicodeDecode(WithOffsets) on valid and ill-formed UTF-8 (one
// replacement per maximal ill-formed subsequence, as ICU), and StringSplitV2's
// str.split edge cases.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrB;
using testing::AttrI;
using testing::AttrIList;
using testing::Attrs;
using testing::AttrS;
using testing::AttrType;
using testing::ExpectTensorEq;
using ::testing::HasSubstr;
using testing::RunKernel;

Tensor Strs(const std::vector<std::string>& v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor Strs(const std::vector<std::string>& v) { return Tensor::FromVector(v); }
Tensor I64(const std::vector<int64_t>& v) { return Tensor::FromVector(v); }
Tensor I64(const std::vector<int64_t>& v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor I32(const std::vector<int32_t>& v) { return Tensor::FromVector(v); }

std::vector<Tensor> RunOk(const std::string& op, const std::vector<Tensor>& in, const Attrs& a) {
  auto r = RunKernel(op, in, a);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : std::vector<Tensor>(3);
}

absl::Status RunErr(const std::string& op, const std::vector<Tensor>& in, const Attrs& a) {
  auto r = RunKernel(op, in, a);
  return r.ok() ? absl::OkStatus() : r.status();
}

// ---- StringNGrams ----

Attrs NGramAttrs(std::vector<int64_t> widths, int64_t pad_width, bool preserve = false) {
  return {{"separator", AttrS("|")},           {"ngram_widths", AttrIList(widths)},
          {"left_pad", AttrS("LP")},           {"right_pad", AttrS("RP")},
          {"pad_width", AttrI(pad_width)},     {"preserve_short_sequences", AttrB(preserve)},
          {"Tsplits", AttrType(DType::kInt64)}};
}

// Rows [a, b, c, d] and [e, f].
const Tensor kData = Strs({"a", "b", "c", "d", "e", "f"});
const Tensor kSplits = I64({0, 4, 6});

TEST(StringNGrams, Bigrams) {
  auto out = RunOk("StringNGrams", {kData, kSplits}, NGramAttrs({2}, 0));
  ExpectTensorEq(out[0], Strs({"a|b", "b|c", "c|d", "e|f"}));
  ExpectTensorEq(out[1], I64({0, 3, 4}));
}

TEST(StringNGrams, FullPadding) {
  // pad_width -1 pads width - 1 = 2 on each side.
  auto out = RunOk("StringNGrams", {kData, kSplits}, NGramAttrs({3}, -1));
  ExpectTensorEq(out[0], Strs({"LP|LP|a", "LP|a|b", "a|b|c", "b|c|d", "c|d|RP", "d|RP|RP",
                               "LP|LP|e", "LP|e|f", "e|f|RP", "f|RP|RP"}));
  ExpectTensorEq(out[1], I64({0, 6, 10}));
}

TEST(StringNGrams, FixedPaddingIsCappedAtWidthMinusOne) {
  auto out = RunOk("StringNGrams", {kData, kSplits}, NGramAttrs({3}, 1));
  ExpectTensorEq(out[0], Strs({"LP|a|b", "a|b|c", "b|c|d", "c|d|RP", "LP|e|f", "e|f|RP"}));
  ExpectTensorEq(out[1], I64({0, 4, 6}));
  // pad_width 5 with width 2 pads only 1.
  out = RunOk("StringNGrams", {Strs({"a", "b"}), I64({0, 2})}, NGramAttrs({2}, 5));
  ExpectTensorEq(out[0], Strs({"LP|a", "a|b", "b|RP"}));
}

TEST(StringNGrams, SeveralWidths) {
  auto out = RunOk("StringNGrams", {Strs({"a", "b", "c"}), I64({0, 3})}, NGramAttrs({1, 2}, 0));
  ExpectTensorEq(out[0], Strs({"a", "b", "c", "a|b", "b|c"}));
  ExpectTensorEq(out[1], I64({0, 5}));
}

TEST(StringNGrams, PreserveShortSequences) {
  auto out = RunOk("StringNGrams", {kData, kSplits}, NGramAttrs({5}, 0, true));
  ExpectTensorEq(out[0], Strs({"a|b|c|d", "e|f"}));
  ExpectTensorEq(out[1], I64({0, 1, 2}));
  // Without preserve_short_sequences the short rows give nothing.
  out = RunOk("StringNGrams", {kData, kSplits}, NGramAttrs({5}, 0, false));
  ExpectTensorEq(out[0], Strs({}));
  ExpectTensorEq(out[1], I64({0, 0, 0}));
}

TEST(StringNGrams, EmptyRowsAndEmptyData) {
  // An empty row next to a non-empty one is all padding: "LP|RP".
  auto out = RunOk("StringNGrams", {Strs({"a"}), I64({0, 0, 1})}, NGramAttrs({2}, -1));
  ExpectTensorEq(out[0], Strs({"LP|RP", "LP|a", "a|RP"}));
  ExpectTensorEq(out[1], I64({0, 1, 3}));
  // No data at all: no n-grams, zero splits.
  out = RunOk("StringNGrams", {Strs({}), I64({0, 0, 0})}, NGramAttrs({2}, -1));
  ExpectTensorEq(out[0], Strs({}));
  ExpectTensorEq(out[1], I64({0, 0, 0}));
  Attrs a = NGramAttrs({2}, 0);
  a["Tsplits"] = AttrType(DType::kInt32);
  out = RunOk("StringNGrams", {Strs({"x", "y"}), I32({0, 2})}, a);
  ExpectTensorEq(out[0], Strs({"x|y"}));
  ExpectTensorEq(out[1], I32({0, 1}));
}

TEST(StringNGrams, Errors) {
  EXPECT_THAT(RunErr("StringNGrams", {kData, I64({1, 6})}, NGramAttrs({2}, 0)).message(),
              HasSubstr("First split value must be 0"));
  EXPECT_THAT(RunErr("StringNGrams", {kData, I64({0, 7, 6})}, NGramAttrs({2}, 0)).message(),
              HasSubstr("Invalid split value 7"));
  EXPECT_THAT(RunErr("StringNGrams", {kData, I64({0, 4, 3})}, NGramAttrs({2}, 0)).message(),
              HasSubstr("Invalid split value 3"));
  EXPECT_THAT(RunErr("StringNGrams", {kData, I64({0, 4})}, NGramAttrs({2}, 0)).message(),
              HasSubstr("Last split value must be data size"));
  EXPECT_THAT(RunErr("StringNGrams", {kData, kSplits}, NGramAttrs({0}, 0)).message(),
              HasSubstr("ngram_widths must contain positive values"));
  EXPECT_EQ(RunErr("StringNGrams", {Strs({"a"}, {1, 1}), I64({0, 1})}, NGramAttrs({1}, 0)).code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- ReduceJoin ----

Attrs JoinAttrs(bool keep_dims = false, const std::string& sep = "") {
  return {{"keep_dims", AttrB(keep_dims)}, {"separator", AttrS(sep)}};
}

TEST(ReduceJoin, Axes) {
  const Tensor in = Strs({"a", "b", "c", "d"}, {2, 2});
  ExpectTensorEq(RunOk("ReduceJoin", {in, I32({0})}, JoinAttrs())[0], Strs({"ac", "bd"}));
  ExpectTensorEq(RunOk("ReduceJoin", {in, I32({1})}, JoinAttrs())[0], Strs({"ab", "cd"}));
  ExpectTensorEq(RunOk("ReduceJoin", {in, I32({-1})}, JoinAttrs(false, " "))[0],
                 Strs({"a b", "c d"}));
  // TF walks the reduced axes in reverse order, the first given varying fastest.
  ExpectTensorEq(RunOk("ReduceJoin", {in, I32({0, 1})}, JoinAttrs())[0],
                 Tensor::StringScalar("acbd"));
  ExpectTensorEq(RunOk("ReduceJoin", {in, I32({1, 0})}, JoinAttrs())[0],
                 Tensor::StringScalar("abcd"));
  ExpectTensorEq(RunOk("ReduceJoin", {in, I32({1})}, JoinAttrs(true, ","))[0],
                 Strs({"a,b", "c,d"}, {2, 1}));
  ExpectTensorEq(RunOk("ReduceJoin", {in, I32({0, 1})}, JoinAttrs(true))[0],
                 Strs({"acbd"}, {1, 1}));
  // No axes: nothing is reduced.
  ExpectTensorEq(RunOk("ReduceJoin", {in, I32({})}, JoinAttrs())[0], in);
  // Reducing an empty axis joins nothing.
  ExpectTensorEq(RunOk("ReduceJoin", {Strs({}, {2, 0}), I32({1})}, JoinAttrs())[0], Strs({"", ""}));
}

TEST(ReduceJoin, Errors) {
  const Tensor in = Strs({"a", "b", "c", "d"}, {2, 2});
  auto s = RunErr("ReduceJoin", {in, I32({2})}, JoinAttrs());
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(s.message(), HasSubstr("Invalid reduction dimension 2 for input with 2"));
  s = RunErr("ReduceJoin", {in, I32({0, -2})}, JoinAttrs());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("Duplicate reduction dimension -2"));
}

// ---- UnicodeDecode / UnicodeDecodeWithOffsets ----

Attrs DecodeAttrs(const std::string& errors = "replace", int64_t replacement = 0xFFFD,
                  bool control = false) {
  return {{"input_encoding", AttrS("UTF-8")},
          {"errors", AttrS(errors)},
          {"replacement_char", AttrI(replacement)},
          {"replace_control_characters", AttrB(control)}};
}

TEST(UnicodeDecode, ValidUtf8) {
  // "hé", "€😀", "".
  auto out = RunOk("UnicodeDecodeWithOffsets",
                   {Strs({"h\xc3\xa9", "\xe2\x82\xac\xf0\x9f\x98\x80", ""})}, DecodeAttrs());
  ExpectTensorEq(out[0], I64({0, 2, 4, 4}));
  ExpectTensorEq(out[1], I32({104, 233, 8364, 128512}));
  ExpectTensorEq(out[2], I64({0, 1, 0, 3}));
  Attrs a = DecodeAttrs();
  a["Tsplits"] = AttrType(DType::kInt32);
  out = RunOk("UnicodeDecode", {Strs({"ab", "c"}, {2, 1})}, a);
  ExpectTensorEq(out[0], I32({0, 2, 3}));
  ExpectTensorEq(out[1], I32({97, 98, 99}));
  EXPECT_EQ(out.size(), 2u);
}

TEST(UnicodeDecode, IllFormedSequences) {
  // A stray byte, a truncated 3-byte sequence, a surrogate (ED A0 80: 3 errors) and an
  // overlong NUL (C0 80: 2 errors).
  auto out = RunOk("UnicodeDecodeWithOffsets",
                   {Strs({"a\xff"
                          "b",
                          "\xe2\x82", "\xed\xa0\x80", "\xc0\x80"})},
                   DecodeAttrs());
  ExpectTensorEq(out[0], I64({0, 3, 4, 7, 9}));
  ExpectTensorEq(out[1], I32({97, 0xFFFD, 98, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD}));
  ExpectTensorEq(out[2], I64({0, 1, 2, 0, 0, 1, 2, 0, 1}));
  out = RunOk("UnicodeDecodeWithOffsets",
              {Strs({"a\xff"
                     "b"})},
              DecodeAttrs("ignore"));
  ExpectTensorEq(out[1], I32({97, 98}));
  ExpectTensorEq(out[2], I64({0, 2}));
  out = RunOk("UnicodeDecode", {Strs({"a\xff"})}, DecodeAttrs("replace", '?'));
  ExpectTensorEq(out[1], I32({97, '?'}));
  auto s = RunErr("UnicodeDecode", {Strs({"a\xff"})}, DecodeAttrs("strict"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("Invalid formatting on input string"));
}

TEST(UnicodeDecode, ControlCharacters) {
  auto out = RunOk("UnicodeDecode",
                   {Strs({"a\x01"
                          "b"})},
                   DecodeAttrs("replace", 0xFFFD, true));
  ExpectTensorEq(out[1], I32({97, 0xFFFD, 98}));
  out = RunOk("UnicodeDecode",
              {Strs({"a\x01"
                     "b"})},
              DecodeAttrs("ignore", 0xFFFD, true));
  ExpectTensorEq(out[1], I32({97, 98}));
  out = RunOk("UnicodeDecode",
              {Strs({"a\x01"
                     "b"})},
              DecodeAttrs());
  ExpectTensorEq(out[1], I32({97, 1, 98}));
}

TEST(UnicodeDecode, BadAttrs) {
  Attrs a = DecodeAttrs();
  a["input_encoding"] = AttrS("UTF-16-BE");
  EXPECT_THAT(RunErr("UnicodeDecode", {Strs({"a"})}, a).message(), HasSubstr("UTF-16-BE"));
  EXPECT_THAT(RunErr("UnicodeDecode", {Strs({"a"})}, DecodeAttrs("loose")).message(),
              HasSubstr("errors policy"));
  EXPECT_THAT(RunErr("UnicodeDecode", {Strs({"a"})}, DecodeAttrs("replace", 0x110000)).message(),
              HasSubstr("replacement_char out of unicode codepoint range"));
}

// ---- UnicodeEncode ----

TEST(UnicodeEncode, Utf8Utf16Utf32) {
  // [[104, 233], [], [8364, 128512]]
  const Tensor cps = I32({104, 233, 8364, 128512});
  const Tensor splits = I64({0, 2, 2, 4});
  auto out = RunOk("UnicodeEncode", {cps, splits}, {{"output_encoding", AttrS("UTF-8")}});
  ExpectTensorEq(out[0], Strs({"h\xc3\xa9", "", "\xe2\x82\xac\xf0\x9f\x98\x80"}));
  out = RunOk("UnicodeEncode", {I32({104, 128512}), I64({0, 2})},
              {{"output_encoding", AttrS("UTF-16-BE")}});
  ExpectTensorEq(out[0], Strs({std::string("\x00h\xd8\x3d\xde\x00", 6)}));
  out =
      RunOk("UnicodeEncode", {I32({104}), I64({0, 1})}, {{"output_encoding", AttrS("UTF-32-BE")}});
  ExpectTensorEq(out[0], Strs({std::string("\x00\x00\x00h", 4)}));
}

TEST(UnicodeEncode, InvalidCodePoints) {
  const Tensor cps = I32({97, 0x110000, -1, 0xD800});
  const Tensor splits = I64({0, 4});
  Attrs a = {{"output_encoding", AttrS("UTF-8")}, {"replacement_char", AttrI('?')}};
  // Out-of-range values are replaced; a lone surrogate becomes U+FFFD, as ICU writes it.
  ExpectTensorEq(RunOk("UnicodeEncode", {cps, splits}, a)[0], Strs({"a??\xef\xbf\xbd"}));
  a["errors"] = AttrS("ignore");
  ExpectTensorEq(RunOk("UnicodeEncode", {cps, splits}, a)[0], Strs({"a\xef\xbf\xbd"}));
  a["errors"] = AttrS("strict");
  EXPECT_THAT(RunErr("UnicodeEncode", {cps, splits}, a).message(),
              HasSubstr("out of valid Unicode range"));
  // Bad splits, bad encoding.
  EXPECT_EQ(
      RunErr("UnicodeEncode", {cps, I64({0, 5})}, {{"output_encoding", AttrS("UTF-8")}}).code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      RunErr("UnicodeEncode", {cps, I64({1, 4})}, {{"output_encoding", AttrS("UTF-8")}}).code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      RunErr("UnicodeEncode", {cps, splits}, {{"output_encoding", AttrS("latin1")}}).message(),
      HasSubstr("Invalid encoding"));
}

// ---- StringSplitV2 (Python str.split semantics, as TF's SplitV2) ----

TEST(StringSplitV2, PythonSplitEdgeCases) {
  auto split = [](const std::vector<std::string>& in, const std::string& sep, int64_t maxsplit) {
    auto out = RunOk("StringSplitV2", {Strs(in), Tensor::StringScalar(sep)},
                     {{"maxsplit", AttrI(maxsplit)}});
    return out;
  };
  // With a separator "" splits to [""], and empty fields are kept.
  auto out = split({"", "1,,2"}, ",", -1);
  ExpectTensorEq(out[0], I64({0, 0, 1, 0, 1, 1, 1, 2}, {4, 2}));
  ExpectTensorEq(out[1], Strs({"", "1", "", "2"}));
  ExpectTensorEq(out[2], I64({2, 3}));
  // Whitespace splitting drops empties; "" and "  " give nothing.
  out = split({"", "  ", " a\tb\n"}, "", -1);
  ExpectTensorEq(out[1], Strs({"a", "b"}));
  ExpectTensorEq(out[2], I64({3, 2}));
  // maxsplit 0 keeps the string whole (even with surrounding whitespace).
  out = split({" a b "}, "", 0);
  ExpectTensorEq(out[1], Strs({" a b "}));
  // The remainder after maxsplit keeps its trailing whitespace, and may be empty.
  out = split({"a b ", "a "}, "", 1);
  ExpectTensorEq(out[1], Strs({"a", "b ", "a", ""}));
}

}  // namespace
}  // namespace tfmodel::runtime
