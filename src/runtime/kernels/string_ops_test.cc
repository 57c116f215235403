// Tests for the string kernels: regex, AsString, conversions, splitting, base64, hashing
// (expected hashes from TF's string_to_hash_bucket_op_test.py) and DecodeRaw.
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

Tensor Strs(const std::vector<std::string>& v) { return Tensor::FromVector<std::string>(v); }

std::vector<Tensor> RunOk(const std::string& op, const std::vector<Tensor>& in,
                          const Attrs& a = {}) {
  auto r = RunKernel(op, in, a);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : std::vector<Tensor>(3);
}

std::string Err(const std::string& op, const std::vector<Tensor>& in, const Attrs& a = {}) {
  auto r = RunKernel(op, in, a);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : std::string(r.status().message());
}

TEST(StringOpsTest, RegexFullMatch) {
  auto out =
      RunOk("StaticRegexFullMatch", {Strs({"abc", "ab", "xabc", ""})}, {{"pattern", AttrS("a.c")}});
  ExpectTensorEq(out[0], Tensor::FromVector<bool>({true, false, false, false}));
  out = RunOk("RegexFullMatch", {Strs({"123", "12a"}), Tensor::StringScalar("[0-9]+")});
  ExpectTensorEq(out[0], Tensor::FromVector<bool>({true, false}));
  EXPECT_THAT(Err("RegexFullMatch", {Strs({"a"}), Tensor::StringScalar("(")}),
              HasSubstr("Invalid pattern: ("));
  auto bad = RunKernel("StaticRegexFullMatch", {Strs({"a"})}, {{"pattern", AttrS("[")}});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("Invalid pattern: ["));
}

TEST(StringOpsTest, RegexReplace) {
  auto out = RunOk("StaticRegexReplace", {Strs({"aaa bab", "x"})},
                   {{"pattern", AttrS("a")}, {"rewrite", AttrS("<\\0>")}});
  ExpectTensorEq(out[0], Strs({"<a><a><a> b<a>b", "x"}));
  out = RunOk("StaticRegexReplace", {Strs({"aaa"})},
              {{"pattern", AttrS("a")}, {"rewrite", AttrS("b")}, {"replace_global", AttrB(false)}});
  ExpectTensorEq(out[0], Strs({"baa"}));
  out = RunOk("RegexReplace", {Strs({"hello world"}), Tensor::StringScalar("(\\w+) (\\w+)"),
                               Tensor::StringScalar("\\2 \\1")});
  ExpectTensorEq(out[0], Strs({"world hello"}));
  EXPECT_THAT(
      Err("RegexReplace", {Strs({"a"}), Tensor::StringScalar("a"), Tensor::StringScalar("\\1")}),
      HasSubstr("Invalid rewrite pattern"));
}

TEST(StringOpsTest, AsString) {
  auto out =
      RunOk("AsString", {Tensor::FromVector<float>({1.5f, -2})}, {{"T", AttrType(DType::kFloat)}});
  ExpectTensorEq(out[0], Strs({"1.500000", "-2.000000"}));
  out = RunOk("AsString", {Tensor::FromVector<float>({3.14159f})},
              {{"precision", AttrI(2)}, {"T", AttrType(DType::kFloat)}});
  ExpectTensorEq(out[0], Strs({"3.14"}));
  out = RunOk("AsString", {Tensor::FromVector<double>({1234.5})},
              {{"scientific", AttrB(true)}, {"T", AttrType(DType::kDouble)}});
  ExpectTensorEq(out[0], Strs({"1.234500e+03"}));
  out = RunOk("AsString", {Tensor::FromVector<double>({0.5})},
              {{"shortest", AttrB(true)}, {"T", AttrType(DType::kDouble)}});
  ExpectTensorEq(out[0], Strs({"0.5"}));
  out = RunOk("AsString", {Tensor::FromVector<int32_t>({7, -3})},
              {{"width", AttrI(4)}, {"fill", AttrS("0")}, {"T", AttrType(DType::kInt32)}});
  ExpectTensorEq(out[0], Strs({"0007", "-003"}));
  out = RunOk("AsString", {Tensor::FromVector<int64_t>({int64_t{1} << 40})});
  ExpectTensorEq(out[0], Strs({"1099511627776"}));
  out = RunOk("AsString", {Tensor::FromVector<bool>({true, false})});
  ExpectTensorEq(out[0], Strs({"true", "false"}));
  auto bad = RunKernel("AsString", {Tensor::FromVector<float>({1})},
                       {{"scientific", AttrB(true)}, {"shortest", AttrB(true)}});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("Cannot select both scientific and shortest"));
  bad = RunKernel("AsString", {Tensor::FromVector<float>({1})}, {{"fill", AttrS("ab")}});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("Fill string must be one or fewer characters"));
}

TEST(StringOpsTest, StringToNumber) {
  auto out = RunOk("StringToNumber", {Strs({"1.5", " -2", "1e3"})});
  ExpectTensorEq(out[0], Tensor::FromVector<float>({1.5f, -2, 1000}));
  out = RunOk("StringToNumber", {Strs({"42", "-7"})}, {{"out_type", AttrType(DType::kInt64)}});
  ExpectTensorEq(out[0], Tensor::FromVector<int64_t>({42, -7}));
  EXPECT_THAT(Err("StringToNumber", {Strs({"12x"})}, {{"out_type", AttrType(DType::kInt32)}}),
              HasSubstr("StringToNumber could not correctly convert string: 12x"));
  EXPECT_THAT(
      Err("StringToNumber", {Strs({"9999999999"})}, {{"out_type", AttrType(DType::kInt32)}}),
      HasSubstr("could not correctly convert"));
}

TEST(StringOpsTest, LengthSubstrCaseStrip) {
  const std::string e = "h\xC3\xA9llo";  // "héllo": 6 bytes, 5 chars
  auto out = RunOk("StringLength", {Strs({e, ""})});
  ExpectTensorEq(out[0], Tensor::FromVector<int32_t>({6, 0}));
  out = RunOk("StringLength", {Strs({e})}, {{"unit", AttrS("UTF8_CHAR")}});
  ExpectTensorEq(out[0], Tensor::FromVector<int32_t>({5}));
  out = RunOk("Substr",
              {Strs({"Hello", "World"}), Tensor::Scalar<int32_t>(1), Tensor::Scalar<int32_t>(3)});
  ExpectTensorEq(out[0], Strs({"ell", "orl"}));
  out =
      RunOk("Substr", {Strs({"Hello"}), Tensor::Scalar<int32_t>(-2), Tensor::Scalar<int32_t>(10)});
  ExpectTensorEq(out[0], Strs({"lo"}));
  out = RunOk("Substr", {Strs({e}), Tensor::Scalar<int32_t>(1), Tensor::Scalar<int32_t>(2)},
              {{"unit", AttrS("UTF8_CHAR")}});
  ExpectTensorEq(out[0], Strs({"\xC3\xA9l"}));
  EXPECT_THAT(
      Err("Substr", {Strs({"abc"}), Tensor::Scalar<int32_t>(4), Tensor::Scalar<int32_t>(1)}),
      HasSubstr("pos 4 out of range for string at index 0"));
  out = RunOk("StringUpper", {Strs({"aBc1"})});
  ExpectTensorEq(out[0], Strs({"ABC1"}));
  out = RunOk("StringLower", {Strs({"aBc1"})});
  ExpectTensorEq(out[0], Strs({"abc1"}));
  out = RunOk("StringStrip", {Strs({"  a b \n", "x"})});
  ExpectTensorEq(out[0], Strs({"a b", "x"}));
}

TEST(StringOpsTest, Base64) {
  // "\xfb\xff" uses both web-safe characters ('-' and '_').
  auto out = RunOk("EncodeBase64", {Strs({"hello", std::string("\xfb\xff\xbf", 3), "ab"})});
  ExpectTensorEq(out[0], Strs({"aGVsbG8", "-_-_", "YWI"}));
  out = RunOk("EncodeBase64", {Strs({"hello", "ab"})}, {{"pad", AttrB(true)}});
  ExpectTensorEq(out[0], Strs({"aGVsbG8=", "YWI="}));
  out = RunOk("DecodeBase64", {Strs({"aGVsbG8", "aGVsbG8=", "-_-_"})});
  ExpectTensorEq(out[0], Strs({"hello", "hello", std::string("\xfb\xff\xbf", 3)}));
  EXPECT_THAT(Err("DecodeBase64", {Strs({"+/+/"})}),
              HasSubstr("Invalid character found in base64."));
  EXPECT_THAT(Err("DecodeBase64", {Strs({"a!b"})}),
              HasSubstr("Invalid character found in base64."));
}

TEST(StringOpsTest, HashBuckets) {
  // Values from TF's string_to_hash_bucket_op_test.py.
  auto out =
      RunOk("StringToHashBucketFast", {Strs({"a", "b", "c", "d"})}, {{"num_buckets", AttrI(10)}});
  ExpectTensorEq(out[0], Tensor::FromVector<int64_t>({9, 2, 2, 5}));
  // Fingerprint64('a') = 12917804110809363939 -> mod 2^62 for a full-value check.
  out = RunOk("StringToHashBucketFast", {Strs({"a", "d"})},
              {{"num_buckets", AttrI(std::numeric_limits<int64_t>::max())}});
  ExpectTensorEq(out[0], Tensor::FromVector<int64_t>(
                             {static_cast<int64_t>(12917804110809363939ULL %
                                                   uint64_t{std::numeric_limits<int64_t>::max()}),
                              4470636696479570465LL}));
  out = RunOk("StringToHashBucketFast", {Strs({"a", "b"})}, {{"num_buckets", AttrI(1)}});
  ExpectTensorEq(out[0], Tensor::FromVector<int64_t>({0, 0}));
  out = RunOk("StringToHashBucketStrong", {Strs({"a", "b", "c"})},
              {{"num_buckets", AttrI(10)}, {"key", AttrIList({98765, 132})}});
  ExpectTensorEq(out[0], Tensor::FromVector<int64_t>({4, 2, 8}));
  out = RunOk("StringToHashBucketStrong", {Strs({"a", "c"})},
              {{"num_buckets", AttrI(std::numeric_limits<int64_t>::max())},
               {"key", AttrIList({98765, 132})}});
  ExpectTensorEq(out[0],
                 Tensor::FromVector<int64_t>(
                     {7157389809176466784LL,
                      static_cast<int64_t>(18100027895074076528ULL %
                                           uint64_t{std::numeric_limits<int64_t>::max()})}));
  out = RunOk("StringToHashBucket", {Strs({"a", "b", "c"})}, {{"num_buckets", AttrI(10)}});
  ExpectTensorEq(out[0], Tensor::FromVector<int64_t>({8, 0, 7}));
  out = RunOk("StringToHashBucket", {Strs({"a", "b"})},
              {{"num_buckets", AttrI(std::numeric_limits<int64_t>::max())}});
  ExpectTensorEq(out[0],
                 Tensor::FromVector<int64_t>({2996632905371535868LL, 5795986006276551370LL}));
  auto bad = RunKernel("StringToHashBucketStrong", {Strs({"a"})},
                       {{"num_buckets", AttrI(10)}, {"key", AttrIList({98765})}});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("Key must have 2 elements"));
}

TEST(StringOpsTest, StringSplit) {
  auto out = RunOk("StringSplit", {Strs({"a b  c", "", "d"}), Tensor::StringScalar(" ")});
  ExpectTensorEq(out[0], Tensor::FromVector<int64_t>({0, 0, 0, 1, 0, 2, 2, 0}, {4, 2}));
  ExpectTensorEq(out[1], Strs({"a", "b", "c", "d"}));
  ExpectTensorEq(out[2], Tensor::FromVector<int64_t>({3, 3}));
  out = RunOk("StringSplit", {Strs({"a,b;;c"}), Tensor::StringScalar(",;")},
              {{"skip_empty", AttrB(false)}});
  ExpectTensorEq(out[1], Strs({"a", "b", "", "c"}));
  out = RunOk("StringSplitV2", {Strs({"1<>2<><>3", "x"}), Tensor::StringScalar("<>")});
  ExpectTensorEq(out[1], Strs({"1", "2", "", "3", "x"}));
  ExpectTensorEq(out[2], Tensor::FromVector<int64_t>({2, 4}));
  out = RunOk("StringSplitV2", {Strs({"  a  b c "}), Tensor::StringScalar("")},
              {{"maxsplit", AttrI(1)}});
  ExpectTensorEq(out[1], Strs({"a", "b c "}));
  out = RunOk("StringSplitV2", {Strs({"a,b,c"}), Tensor::StringScalar(",")},
              {{"maxsplit", AttrI(1)}});
  ExpectTensorEq(out[1], Strs({"a", "b,c"}));
}

TEST(StringOpsTest, DecodeRaw) {
  auto out = RunOk("DecodeRaw",
                   {Strs({std::string("\x01\x00\x02\x00", 4), std::string("\xff\xff\x00\x01", 4)})},
                   {{"out_type", AttrType(DType::kInt16)}});
  ExpectTensorEq(out[0], Tensor::FromVector<int16_t>({1, 2, -1, 256}, {2, 2}));
  out = RunOk("DecodeRaw", {Strs({std::string("\x00\x01", 2)})},
              {{"out_type", AttrType(DType::kInt16)}, {"little_endian", AttrB(false)}});
  ExpectTensorEq(out[0], Tensor::FromVector<int16_t>({1}, {1, 1}));
  EXPECT_THAT(Err("DecodeRaw", {Strs({"abc"})}, {{"out_type", AttrType(DType::kFloat)}}),
              HasSubstr("Input to DecodeRaw has length 3 that is not a multiple of 4"));
  EXPECT_THAT(Err("DecodeRaw", {Strs({"ab", "abcd"})}, {{"out_type", AttrType(DType::kInt16)}}),
              HasSubstr("element 1 has size 4 != 2"));
}

}  // namespace
}  // namespace tfmodel::runtime
