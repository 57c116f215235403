// Tests for ImageProjectiveTransformV2/V3 on a 1x4 row shifted by a translation, so each
// fill mode's mapping of out-of-image coordinates can be written down by hand:
// input x = output x - 2 reads [-2, -1, 0, 1].
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrS;
using testing::AttrType;
using testing::ExpectTensorEq;
using testing::ExpectTensorNear;
using ::testing::HasSubstr;
using testing::RunKernel;

const Tensor kRow = Tensor::FromVector<float>({1, 2, 3, 4}, TensorShape{1, 1, 4, 1});

Tensor Shift(float dx) {
  return Tensor::FromVector<float>({1, 0, dx, 0, 1, 0, 0, 0}, TensorShape{1, 8});
}

absl::StatusOr<std::vector<Tensor>> V3(const Tensor& image, const Tensor& transform,
                                       const std::string& interpolation,
                                       const std::string& fill_mode, float fill, int oh = 1,
                                       int ow = 4) {
  return RunKernel(
      "ImageProjectiveTransformV3",
      {image, transform, Tensor::FromVector<int32_t>({oh, ow}), Tensor::Scalar<float>(fill)},
      {{"dtype", AttrType(image.dtype())},
       {"interpolation", AttrS(interpolation)},
       {"fill_mode", AttrS(fill_mode)}});
}

TEST(ImageProjectiveTransformTest, FillModesOnATranslation) {
  struct Case {
    const char* mode;
    std::vector<float> want;
  };
  for (const Case& c : {Case{"CONSTANT", {9, 9, 1, 2}}, Case{"NEAREST", {1, 1, 1, 2}},
                        Case{"REFLECT", {2, 1, 1, 2}}, Case{"WRAP", {3, 4, 1, 2}}}) {
    auto out = V3(kRow, Shift(-2), "NEAREST", c.mode, 9);
    ASSERT_TRUE(out.ok()) << c.mode << ": " << out.status();
    ExpectTensorEq((*out)[0], Tensor::FromVector<float>(c.want, TensorShape{1, 1, 4, 1}));
  }
}

TEST(ImageProjectiveTransformTest, BilinearAndIdentity) {
  auto out = V3(kRow, Shift(-0.5f), "BILINEAR", "CONSTANT", 0);
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorNear((*out)[0],
                   Tensor::FromVector<float>({0, 1.5f, 2.5f, 3.5f}, TensorShape{1, 1, 4, 1}));
  Tensor img = Tensor::FromVector<uint8_t>({1, 2, 3, 4, 5, 6}, TensorShape{1, 2, 3, 1});
  auto id =
      RunKernel("ImageProjectiveTransformV2", {img, Shift(0), Tensor::FromVector<int32_t>({2, 3})},
                {{"dtype", AttrType(DType::kUInt8)},
                 {"interpolation", AttrS("BILINEAR")},
                 {"fill_mode", AttrS("REFLECT")}});
  ASSERT_TRUE(id.ok()) << id.status();
  ExpectTensorEq((*id)[0], img);
  // A larger output reads past the input: CONSTANT fills with 0 in V2.
  auto big =
      RunKernel("ImageProjectiveTransformV2", {img, Shift(0), Tensor::FromVector<int32_t>({1, 4})},
                {{"dtype", AttrType(DType::kUInt8)},
                 {"interpolation", AttrS("NEAREST")},
                 {"fill_mode", AttrS("CONSTANT")}});
  ASSERT_TRUE(big.ok()) << big.status();
  ExpectTensorEq((*big)[0], Tensor::FromVector<uint8_t>({1, 2, 3, 0}, TensorShape{1, 1, 4, 1}));
}

TEST(ImageProjectiveTransformTest, ProjectionZeroAndNanGiveFill) {
  // c0 = -1: k = 1 - x is 0 at x = 1.
  Tensor t = Tensor::FromVector<float>({1, 0, 0, 0, 1, 0, -1, 0}, TensorShape{1, 8});
  auto out = V3(kRow, t, "NEAREST", "NEAREST", 7, 1, 2);
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorEq((*out)[0], Tensor::FromVector<float>({1, 7}, TensorShape{1, 1, 2, 1}));
  Tensor nan = Shift(std::numeric_limits<float>::quiet_NaN());
  out = V3(kRow, nan, "BILINEAR", "REFLECT", 5);
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorEq((*out)[0], Tensor::FromVector<float>({5, 5, 5, 5}, TensorShape{1, 1, 4, 1}));
}

TEST(ImageProjectiveTransformTest, BadInputsAreErrors) {
  auto out =
      V3(kRow, Tensor::FromVector<float>({1, 0, 0}, TensorShape{1, 3}), "NEAREST", "CONSTANT", 0);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("num_images x 8"));
  out = V3(kRow, Shift(0), "NEAREST", "CONSTANT", 0, 0, 4);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("output dimensions must be positive"));
  out = V3(kRow, Shift(0), "BICUBIC", "CONSTANT", 0);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("interpolation"));
  out = V3(kRow, Shift(0), "NEAREST", "MIRROR", 0);
  EXPECT_FALSE(out.ok());
  out = V3(Tensor::FromVector<float>({1, 2}), Shift(0), "NEAREST", "CONSTANT", 0);
  EXPECT_FALSE(out.ok());
}

}  // namespace
}  // namespace tfmodel::runtime
