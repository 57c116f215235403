// Tests for RGBToHSV / HSVToRGB / AdjustContrastv2 / AdjustSaturation / AdjustHue with
// colours whose hue, saturation and value are worked out by hand.
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::ExpectTensorNear;
using ::testing::HasSubstr;
using testing::RunKernel;

// red, green, blue, an orange (.5, .25, 0), grey, black
const std::vector<float> kRgb = {1, 0, 0, 0, 1, 0, 0, 0, 1, .5f, .25f, 0, .4f, .4f, .4f, 0, 0, 0};
const std::vector<float> kHsv = {0,         1, 1,   1.0f / 3, 1, 1,   2.0f / 3, 1, 1,
                                 1.0f / 12, 1, .5f, 0,        0, .4f, 0,        0, 0};

TEST(ColorspaceTest, RgbToHsvAndBack) {
  auto hsv = RunKernel("RGBToHSV", {Tensor::FromVector<float>(kRgb, TensorShape{6, 3})});
  ASSERT_TRUE(hsv.ok()) << hsv.status();
  ExpectTensorNear((*hsv)[0], Tensor::FromVector<float>(kHsv, TensorShape{6, 3}), 1e-6);
  auto rgb = RunKernel("HSVToRGB", {(*hsv)[0]});
  ASSERT_TRUE(rgb.ok()) << rgb.status();
  ExpectTensorNear((*rgb)[0], Tensor::FromVector<float>(kRgb, TensorShape{6, 3}), 1e-6);
  auto d = RunKernel("RGBToHSV", {Tensor::FromVector<double>({.5, .25, 0})});
  ASSERT_TRUE(d.ok()) << d.status();
  ExpectTensorNear((*d)[0], Tensor::FromVector<double>({1.0 / 12, 1, .5}), 1e-12);
  auto bad = RunKernel("RGBToHSV", {Tensor::FromVector<float>({1, 2}, TensorShape{1, 2})});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("3 channels"));
}

TEST(AdjustTest, ContrastScalesAroundThePerChannelMean) {
  // Channel 0 = [1, 2, 3, 6] (mean 3), channel 1 = [0, 0, 0, 4] (mean 1); factor 2.
  Tensor img = Tensor::FromVector<float>({1, 0, 2, 0, 3, 0, 6, 4}, TensorShape{1, 2, 2, 2});
  auto out = RunKernel("AdjustContrastv2", {img, Tensor::Scalar<float>(2)});
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorNear(
      (*out)[0], Tensor::FromVector<float>({-1, -1, 1, -1, 3, -1, 9, 7}, TensorShape{1, 2, 2, 2}));
  EXPECT_FALSE(
      RunKernel("AdjustContrastv2", {Tensor::FromVector<float>({1, 2}), Tensor::Scalar<float>(2)})
          .ok());
}

TEST(AdjustTest, SaturationZeroIsGreyAndOneIsIdentity) {
  Tensor img = Tensor::FromVector<float>(kRgb, TensorShape{1, 2, 3, 3});
  auto grey = RunKernel("AdjustSaturation", {img, Tensor::Scalar<float>(0)});
  ASSERT_TRUE(grey.ok()) << grey.status();
  ExpectTensorNear((*grey)[0], Tensor::FromVector<float>({1, 1, 1, 1, 1, 1, 1, 1, 1, .5f, .5f, .5f,
                                                          .4f, .4f, .4f, 0, 0, 0},
                                                         TensorShape{1, 2, 3, 3}));
  auto same = RunKernel("AdjustSaturation", {img, Tensor::Scalar<float>(1)});
  ASSERT_TRUE(same.ok()) << same.status();
  ExpectTensorNear((*same)[0], img, 1e-6);
  // Half saturation of the orange: s .5, v .5 -> (.5, .375, .25).
  auto half = RunKernel("AdjustSaturation",
                        {Tensor::FromVector<float>({.5f, .25f, 0}, TensorShape{1, 1, 3}),
                         Tensor::Scalar<float>(.5f)});
  ASSERT_TRUE(half.ok()) << half.status();
  ExpectTensorNear((*half)[0], Tensor::FromVector<float>({.5f, .375f, .25f}, TensorShape{1, 1, 3}),
                   1e-6);
}

TEST(AdjustTest, HueRotates) {
  Tensor img = Tensor::FromVector<float>({1, 0, 0, .5f, .25f, 0}, TensorShape{1, 2, 3});
  auto third = RunKernel("AdjustHue", {img, Tensor::Scalar<float>(1.0f / 3)});
  ASSERT_TRUE(third.ok()) << third.status();
  // Red -> green; the orange (hue 1/12) -> hue 5/12, between green and cyan: (0, .5, .25).
  ExpectTensorNear((*third)[0],
                   Tensor::FromVector<float>({0, 1, 0, 0, .5f, .25f}, TensorShape{1, 2, 3}), 1e-6);
  auto half = RunKernel("AdjustHue", {img, Tensor::Scalar<float>(-.5f)});
  ASSERT_TRUE(half.ok()) << half.status();
  ExpectTensorNear((*half)[0],
                   Tensor::FromVector<float>({0, 1, 1, 0, .25f, .5f}, TensorShape{1, 2, 3}), 1e-6);
  // A huge delta neither hangs nor leaves [0, 6).
  auto huge = RunKernel("AdjustHue", {img, Tensor::Scalar<float>(1e30f)});
  ASSERT_TRUE(huge.ok()) << huge.status();
  EXPECT_FALSE(RunKernel("AdjustHue", {img, Tensor::FromVector<float>({1, 2})}).ok());
}

}  // namespace
}  // namespace tfmodel::runtime
