#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "core/close_names.h"
#include "core/crc32c.h"
#include "core/dtype.h"
#include "core/file_util.h"
#include "core/flag_values.h"
#include "core/float_format.h"
#include "core/tensor.h"
#include "core/tensor_limits.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace tfmodel {
namespace {

TEST(Crc32c, KnownVectors) {
  EXPECT_EQ(crc32c::Value("123456789"), 0xe3069283u);
  std::string zeros(32, '\0');
  EXPECT_EQ(crc32c::Value(zeros), 0x8a9136aau);
  std::string ones(32, '\xff');
  EXPECT_EQ(crc32c::Value(ones), 0x62a8ab43u);
  // Extending in pieces equals one pass.
  std::string s = "hello, tensor bundle world";
  uint32_t a = crc32c::Extend(crc32c::Value(s.data(), 5), s.data() + 5, s.size() - 5);
  EXPECT_EQ(a, crc32c::Value(s));
}

TEST(Crc32c, MaskRoundTrip) {
  for (uint32_t c : {0u, 1u, 0xe3069283u, 0xffffffffu}) {
    EXPECT_NE(crc32c::Mask(c), c);
    EXPECT_EQ(crc32c::Unmask(crc32c::Mask(c)), c);
  }
}

TEST(CloseNames, MisspellingsAndContainedNames) {
  EXPECT_EQ(ClosestNames("inptu", {"input", "output", "zzz"}), (std::vector<std::string>{"input"}));
  EXPECT_TRUE(ClosestNames("abc", {"xyzw"}).empty());
  EXPECT_EQ(ClosestNames("pred_typo", {"pred", "X", "W"}), (std::vector<std::string>{"pred"}));
  EXPECT_EQ(ClosestNames("input", {"input_x", "c"}), (std::vector<std::string>{"input_x"}));
  EXPECT_EQ(DidYouMean("delt", {"delta", "x"}), "; did you mean 'delta'?");
  EXPECT_EQ(DidYouMean("q", {"delta"}), "");
}

TEST(FlagValues, SplitListTrimsAndDropsEmptyItems) {
  EXPECT_EQ(SplitList("a, b,,c "), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(SplitList("").empty());
  EXPECT_TRUE(SplitList(" , ").empty());
}

TEST(FlagValues, ParseBoolTakesTfSpellingsOnly) {
  bool b = false;
  EXPECT_TRUE(ParseBool("TRUE", &b));
  EXPECT_TRUE(b);
  EXPECT_TRUE(ParseBool("0", &b));
  EXPECT_FALSE(b);
  EXPECT_TRUE(ParseBool("yes", &b));
  EXPECT_TRUE(b);
  EXPECT_FALSE(ParseBool("maybe", &b));
  EXPECT_TRUE(b);  // unchanged
}

TEST(DType, NamesAndSizes) {
  EXPECT_EQ(DTypeName(DType::kFloat), "float");
  EXPECT_EQ(DTypeEnumName(DType::kInt64), "DT_INT64");
  EXPECT_EQ(DTypeSize(DType::kComplex128), 16u);
  EXPECT_EQ(DTypeSize(DType::kString), 0u);
  EXPECT_EQ(*DTypeFromName("DT_BFLOAT16"), DType::kBFloat16);
  EXPECT_EQ(*DTypeFromName("float32"), DType::kFloat);
  EXPECT_FALSE(DTypeFromName("floaty").ok());
  EXPECT_EQ(BaseDType(101), DType::kFloat);
  EXPECT_TRUE(DTypeIsValid(123));
  EXPECT_FALSE(DTypeIsValid(24));
}

TEST(DType, HalfConversion) {
  for (float f : {0.0f, 1.0f, -2.5f, 65504.0f, 6.1035156e-05f, 5.9604645e-08f, 0.333251953125f}) {
    EXPECT_EQ(Half::FromFloat(f).ToFloat(), f) << f;
  }
  EXPECT_EQ(Half::FromFloat(1.0f).bits, 0x3c00);
  EXPECT_TRUE(std::isinf(Half::FromFloat(1e6f).ToFloat()));
  EXPECT_TRUE(std::isnan(Half::FromFloat(std::nanf("")).ToFloat()));
  // Round to nearest even: 1 + 2^-11 is halfway between 1 and 1+2^-10.
  EXPECT_EQ(Half::FromFloat(1.0f + std::ldexp(1.0f, -11)).bits, 0x3c00);
}

TEST(DType, BFloat16Conversion) {
  EXPECT_EQ(BFloat16::FromFloat(1.0f).bits, 0x3f80);
  EXPECT_EQ(BFloat16::FromFloat(-2.0f).ToFloat(), -2.0f);
  EXPECT_TRUE(std::isnan(BFloat16::FromFloat(std::nanf("")).ToFloat()));
}

TEST(TensorShape, ValidateAndPrint) {
  EXPECT_TRUE(TensorShape::Validate({2, 3}).ok());
  EXPECT_FALSE(TensorShape::Validate({2, -1}).ok());
  EXPECT_FALSE(TensorShape::Validate({int64_t{1} << 30, int64_t{1} << 30, 4}).ok());
  EXPECT_EQ(TensorShape({2, 3}).ToString(), "[2,3]");
  EXPECT_EQ(TensorShape({}).NumElements(), 1);
  EXPECT_EQ(TensorShape({4, 0}).NumElements(), 0);
}

TEST(PartialShape, Compatibility) {
  PartialShape p{-1, 1};
  EXPECT_TRUE(p.IsCompatibleWith(TensorShape{5, 1}));
  EXPECT_FALSE(p.IsCompatibleWith(TensorShape{5, 2}));
  EXPECT_FALSE(p.IsCompatibleWith(TensorShape{5}));
  EXPECT_TRUE(PartialShape().IsCompatibleWith(TensorShape{1, 2, 3}));
  EXPECT_EQ(p.ToCliString(), "(-1, 1)");
  EXPECT_EQ(PartialShape{-1}.ToCliString(), "(-1,)");
  EXPECT_EQ(PartialShape().ToCliString(), "unknown_rank");
}

TEST(Tensor, AllocateZeroedAndShare) {
  Tensor t(DType::kFloat, {2, 3});
  EXPECT_EQ(t.NumElements(), 6);
  EXPECT_EQ(t.TotalBytes(), 24u);
  for (float v : t.flat<float>()) EXPECT_EQ(v, 0.0f);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % 16, 0u);  // small: inline, 16-aligned
  Tensor big(DType::kFloat, {100});
  EXPECT_EQ(reinterpret_cast<uintptr_t>(big.raw_data()) % 64, 0u);
  for (float v : big.flat<float>()) EXPECT_EQ(v, 0.0f);
  Tensor u = t;
  u.data<float>()[0] = 5;
  EXPECT_EQ(t.data<float>()[0], 5);  // copies share
  Tensor d = t.DeepCopy();
  d.data<float>()[0] = 7;
  EXPECT_EQ(t.data<float>()[0], 5);
}

TEST(Tensor, ReshapeSliceStrings) {
  Tensor t = Tensor::FromVector<int32_t>({1, 2, 3, 4, 5, 6}, TensorShape{3, 2});
  auto r = t.Reshaped({2, 3});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->shape(), (TensorShape{2, 3}));
  EXPECT_FALSE(t.Reshaped({4}).ok());
  Tensor s = t.Slice(1, 3);
  EXPECT_EQ(s.shape(), (TensorShape{2, 2}));
  EXPECT_EQ(s.data<int32_t>()[0], 3);
  Tensor str = Tensor::FromVector<std::string>({"a", "bc"});
  EXPECT_EQ(str.data<std::string>()[1], "bc");
  EXPECT_EQ(str.DebugString(), "string [2] [b'a' b'bc']");
  EXPECT_EQ(Tensor::Scalar<bool>(true).DebugString(), "bool [] [True]");
}

TEST(Tensor, CreateRejectsBadShapes) {
  EXPECT_FALSE(Tensor::Create(DType::kFloat, TensorShape{-3}).ok());
  EXPECT_FALSE(Tensor::Create(DType::kInvalid, TensorShape{3}).ok());
  EXPECT_TRUE(Tensor::Create(DType::kString, TensorShape{0, 3}).ok());
}

TEST(Tensor, CreateRefusesTensorsOverTheByteLimit) {
  const size_t saved = MaxTensorBytes();
  // The default is the machine's memory: a legal shape of 2^39 floats (2 TiB) is refused
  // instead of failing to allocate (or being killed for memory).
  auto huge = Tensor::Create(DType::kFloat, TensorShape{int64_t{1} << 39});
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(huge.status().message().find("float tensor of shape [549755813888] needs "
                                         "2199023255552 bytes"),
            std::string::npos)
      << huge.status();
  SetMaxTensorBytes(64);
  EXPECT_TRUE(Tensor::Create(DType::kFloat, TensorShape{16}).ok());  // exactly 64 bytes
  EXPECT_EQ(Tensor::Create(DType::kDouble, TensorShape{9}).status().code(),
            absl::StatusCode::kResourceExhausted);
  // Strings count their objects' size.
  EXPECT_FALSE(Tensor::Create(DType::kString, TensorShape{64}).ok());
  SetMaxTensorBytes(saved);
  EXPECT_TRUE(Tensor::Create(DType::kDouble, TensorShape{9}).ok());
}

TEST(FloatFormat, MatchesTfServingJson) {
  // TF Serving's json_tensor test vector.
  EXPECT_EQ(FormatFloat(9000000.0f), "9e+06");
  EXPECT_EQ(FormatFloat(999999.0f), "999999.0");
  EXPECT_EQ(FormatFloat(0.5f), "0.5");
  EXPECT_EQ(FormatFloat(0.0003f), "0.0003");
  EXPECT_EQ(FormatFloat(0.00003f), "3e-05");
  EXPECT_EQ(FormatFloat(555557.5f), "555557.5");
  EXPECT_EQ(FormatFloat(std::numeric_limits<float>::infinity()), "Infinity");
  EXPECT_EQ(FormatFloat(-std::numeric_limits<float>::infinity()), "-Infinity");
  EXPECT_EQ(FormatFloat(std::nanf("")), "NaN");
  EXPECT_EQ(FormatDouble(0.1), "0.1");
  EXPECT_EQ(FormatFloat(0.21396178f), "0.21396178");
}

// printf's "%.6g", or "%.{max_digits}g" when that does not read back, plus ".0" for
// integral text: the definition FormatFloat/FormatDouble must match.
template <typename T>
std::string PrintfReference(T v, int max_digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.6g", static_cast<double>(v));
  const bool round_trips = sizeof(T) == 4 ? std::strtof(buf, nullptr) == static_cast<float>(v)
                                          : std::strtod(buf, nullptr) == static_cast<double>(v);
  if (!round_trips) std::snprintf(buf, sizeof(buf), "%.*g", max_digits, static_cast<double>(v));
  std::string s(buf);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

TEST(FloatFormat, MatchesPrintfDefinition) {
  std::mt19937_64 rng(7);
  std::vector<float> floats = {
      0.0f,    -0.0f,    1.0f,   -1.0f,           100000.0f, 1000000.0f, 123456.0f,     1234567.0f,
      0.0001f, 0.00001f, 1e-38f, 1.17549435e-38f, 1e-45f,    3e-39f,     3.4028235e38f, 0.1f,
      0.3f,    2.5f,     4.5f};
  for (int i = 0; i < 200000; ++i) {
    uint32_t bits = static_cast<uint32_t>(rng());
    float f;
    std::memcpy(&f, &bits, 4);
    if (std::isfinite(f)) floats.push_back(f);
    // Short decimals (typical model outputs and inputs) and their neighbours.
    float g = static_cast<float>(static_cast<int64_t>(rng() % 2000001) - 1000000) /
              std::pow(10.0f, static_cast<float>(rng() % 12));
    floats.push_back(g);
    floats.push_back(std::nextafter(g, 1e30f));
  }
  for (float f : floats) {
    ASSERT_EQ(FormatFloat(f), PrintfReference(f, 9)) << "bits of " << f;
  }
  std::vector<double> doubles = {0.0, -0.0, 0.1, 1e-310, 5e-324, 1e300, 123456.0, 1234567.0};
  for (int i = 0; i < 100000; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, 8);
    if (std::isfinite(d)) doubles.push_back(d);
    double g = static_cast<double>(static_cast<int64_t>(rng() % 2000001) - 1000000) /
               std::pow(10.0, static_cast<double>(rng() % 12));
    doubles.push_back(g);
    doubles.push_back(std::nextafter(g, 1e300));
  }
  for (double d : doubles) {
    ASSERT_EQ(FormatDouble(d), PrintfReference(d, 17)) << d;
  }
}

TEST(FileUtil, ReadWriteMap) {
  std::string dir = testing::TempDir();
  std::string p = JoinPath(dir, "f.bin");
  ASSERT_TRUE(WriteStringToFile(p, "hello").ok());
  auto s = ReadFileToString(p);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "hello");
  auto m = MappedFile::Open(p);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(std::string((*m)->bytes(), (*m)->size()), "hello");
  auto missing = ReadFileToString(JoinPath(dir, "nope"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos);
  EXPECT_EQ(Dirname("/a/b/c"), "/a/b");
  EXPECT_EQ(Basename("/a/b/c"), "c");
  EXPECT_EQ(JoinPath("a/", "b"), "a/b");
}

}  // namespace
}  // namespace tfmodel
