// Tests for EncodePng / EncodeJpeg / EncodeJpegVariableQuality: encode with the kernel,
// decode with the DecodePng / DecodeJpeg kernels (libpng / libjpeg-turbo) and compare.
#include <cstdlib>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image_test_util.h"
#include "kernel_test_util.h"
#include "test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrI;
using testing::AttrS;
using testing::AttrType;
using testing::ExpectTensorEq;
using ::testing::HasSubstr;
using testing::RunKernel;

Tensor Gradient(int h, int w, int c) {
  std::vector<uint8_t> v(static_cast<size_t>(h) * w * c);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k)
        v[(y * w + x) * c + k] = static_cast<uint8_t>(8 * x + 4 * y + 50 * k);
  return Tensor::FromVector<uint8_t>(v, TensorShape{h, w, c});
}

TEST(EncodePngTest, RoundTripsEveryChannelCountAndDepth) {
  for (int c = 1; c <= 4; ++c) {
    const Tensor img = Gradient(5, 7, c);
    auto enc = RunKernel("EncodePng", {img}, {{"compression", AttrI(9)}});
    ASSERT_TRUE(enc.ok()) << enc.status();
    const std::string& bytes = (*enc)[0].scalar<std::string>();
    EXPECT_EQ(bytes.substr(1, 3), "PNG");
    auto dec = RunKernel("DecodePng", {(*enc)[0]},
                         {{"channels", AttrI(0)}, {"dtype", AttrType(DType::kUInt8)}});
    ASSERT_TRUE(dec.ok()) << dec.status();
    ExpectTensorEq((*dec)[0], img);
  }
  Tensor deep = Tensor::FromVector<uint16_t>({0, 1000, 65535, 258}, TensorShape{2, 2, 1});
  auto enc = RunKernel("EncodePng", {deep});
  ASSERT_TRUE(enc.ok()) << enc.status();
  auto dec = RunKernel("DecodePng", {(*enc)[0]},
                       {{"channels", AttrI(0)}, {"dtype", AttrType(DType::kUInt16)}});
  ASSERT_TRUE(dec.ok()) << dec.status();
  ExpectTensorEq((*dec)[0], deep);
}

TEST(EncodeJpegTest, DecodesLikeADirectLibjpegEncode) {
  const Tensor img = Gradient(16, 16, 3);
  auto enc = RunKernel("EncodeJpeg", {img}, {{"quality", AttrI(90)}});
  ASSERT_TRUE(enc.ok()) << enc.status();
  const std::string& bytes = (*enc)[0].scalar<std::string>();
  EXPECT_EQ(bytes.substr(0, 3), "\xff\xd8\xff");
  // The same pixels through libjpeg with the same quality decode to the same image (the
  // files differ only in the JFIF density TF writes: 300 dpi).
  const std::string direct = testing::EncodeJpeg(
      std::vector<uint8_t>(img.data<uint8_t>(), img.data<uint8_t>() + img.NumElements()), 16, 16, 3,
      90);
  auto dec = RunKernel("DecodeJpeg", {(*enc)[0]}, {{"channels", AttrI(3)}});
  auto ref = RunKernel("DecodeJpeg", {Tensor::StringScalar(direct)}, {{"channels", AttrI(3)}});
  ASSERT_TRUE(dec.ok() && ref.ok());
  ExpectTensorEq((*dec)[0], (*ref)[0]);
  // JFIF density 300 x 300 dots per inch: units byte 1 then two big-endian 300s.
  EXPECT_NE(bytes.find(std::string("JFIF\0", 5)), std::string::npos);
  EXPECT_NE(bytes.find(std::string("\x01\x01\x2c\x01\x2c", 5)), std::string::npos);
  // Lower quality gives a smaller file; the variable-quality op takes it as an input.
  auto low = RunKernel("EncodeJpegVariableQuality", {img, Tensor::Scalar<int32_t>(10)});
  ASSERT_TRUE(low.ok()) << low.status();
  EXPECT_LT((*low)[0].scalar<std::string>().size(), bytes.size());
  auto grey = RunKernel("EncodeJpeg", {Gradient(4, 4, 1)}, {{"format", AttrS("grayscale")}});
  ASSERT_TRUE(grey.ok()) << grey.status();
}

TEST(EncodeImageTest, BadInputsAreErrors) {
  auto r = RunKernel("EncodeJpeg", {Gradient(4, 4, 3)}, {{"format", AttrS("grayscale")}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("1 channel"));
  EXPECT_FALSE(RunKernel("EncodeJpeg", {Gradient(4, 4, 2)}).ok());
  EXPECT_FALSE(RunKernel("EncodeJpeg", {Gradient(4, 4, 3)}, {{"quality", AttrI(101)}}).ok());
  EXPECT_FALSE(
      RunKernel("EncodeJpegVariableQuality", {Gradient(4, 4, 3), Tensor::Scalar<int32_t>(-1)})
          .ok());
  EXPECT_FALSE(RunKernel("EncodePng", {Gradient(4, 4, 5)}).ok());
  EXPECT_FALSE(RunKernel("EncodePng", {Gradient(4, 4, 3)}, {{"compression", AttrI(10)}}).ok());
  EXPECT_FALSE(RunKernel("EncodePng", {Tensor::FromVector<uint8_t>({1, 2, 3})}).ok());
  EXPECT_FALSE(RunKernel("EncodePng", {Tensor::Empty(DType::kUInt8, TensorShape{0, 4, 3})}).ok());
}

}  // namespace
}  // namespace tfmodel::runtime
