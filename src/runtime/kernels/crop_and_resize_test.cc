// Tests for CropAndResize with the cases of TF's crop_and_resize_op_test.cc: a 2x2 image
// cropped to 1x1 and 3x3, flipped boxes, extrapolation, nearest sampling, empty boxes and
// the errors for bad box indices, non-finite boxes and bad crop sizes.
#include <cmath>
#include <limits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrF;
using testing::AttrS;
using testing::ExpectTensorNear;
using ::testing::HasSubstr;
using testing::RunKernel;

absl::StatusOr<std::vector<Tensor>> Crop(const Tensor& image, const std::vector<float>& boxes,
                                         const std::vector<int32_t>& ind, int h, int w,
                                         const std::string& method = "bilinear",
                                         float extrapolation = 0) {
  return RunKernel(
      "CropAndResize",
      {image,
       Tensor::FromVector<float>(boxes, TensorShape{static_cast<int64_t>(boxes.size() / 4), 4}),
       Tensor::FromVector<int32_t>(ind), Tensor::FromVector<int32_t>({h, w})},
      {{"method", AttrS(method)}, {"extrapolation_value", AttrF(extrapolation)}});
}

const Tensor k2x2 = Tensor::FromVector<uint8_t>({1, 2, 3, 4}, TensorShape{1, 2, 2, 1});

TEST(CropAndResizeTest, TwoByTwoToOneAndThree) {
  auto out = Crop(k2x2, {0, 0, 1, 1}, {0}, 1, 1);
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorNear((*out)[0], Tensor::FromVector<float>({2.5f}, TensorShape{1, 1, 1, 1}));
  out = Crop(k2x2, {0, 0, 1, 1}, {0}, 3, 3);
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorNear((*out)[0], Tensor::FromVector<float>({1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4},
                                                        TensorShape{1, 3, 3, 1}));
  out = Crop(k2x2, {1, 1, 0, 0}, {0}, 3, 3);
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorNear((*out)[0], Tensor::FromVector<float>({4, 3.5f, 3, 3, 2.5f, 2, 2, 1.5f, 1},
                                                        TensorShape{1, 3, 3, 1}));
}

TEST(CropAndResizeTest, ExtrapolationAndNearest) {
  auto out = Crop(k2x2, {-1, -1, 1, 1}, {0}, 3, 3, "bilinear", 9);
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorNear((*out)[0],
                   Tensor::FromVector<float>({9, 9, 9, 9, 1, 2, 9, 3, 4}, TensorShape{1, 3, 3, 1}));
  out = Crop(k2x2, {0, 0, 1, 1}, {0}, 3, 3, "nearest");
  ASSERT_TRUE(out.ok()) << out.status();
  // Sample points 0, .5, 1 round half away from zero: 0, 1, 1.
  ExpectTensorNear((*out)[0],
                   Tensor::FromVector<float>({1, 2, 2, 3, 4, 4, 3, 4, 4}, TensorShape{1, 3, 3, 1}));
}

TEST(CropAndResizeTest, BatchChannelsAndEmptyBoxes) {
  // Two 1x2 images with 2 channels; box 0 reads image 1.
  Tensor image = Tensor::FromVector<float>({1, 10, 2, 20, 3, 30, 4, 40}, TensorShape{2, 1, 2, 2});
  auto out = Crop(image, {0, 0, 1, 1, 0, 0, 1, 1}, {1, 0}, 1, 2);
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorNear(
      (*out)[0], Tensor::FromVector<float>({3, 30, 4, 40, 1, 10, 2, 20}, TensorShape{2, 1, 2, 2}));
  out = RunKernel("CropAndResize", {image, Tensor::Empty(DType::kFloat, TensorShape{0, 4}),
                                    Tensor::Empty(DType::kInt32, TensorShape{0}),
                                    Tensor::FromVector<int32_t>({3, 3})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape(), (TensorShape{0, 3, 3, 2}));
}

TEST(CropAndResizeTest, BadInputsAreErrors) {
  auto out = Crop(k2x2, {0, 0, 1, 1}, {1}, 1, 1);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(out.status().message(), HasSubstr("outside [0, batch_size = 1)"));
  out = Crop(k2x2, {0, 0, 1, 1}, {-1}, 1, 1);
  EXPECT_FALSE(out.ok());
  out = Crop(k2x2, {0, 0, std::numeric_limits<float>::quiet_NaN(), 1}, {0}, 1, 1);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("not finite"));
  out = Crop(k2x2, {0, 0, 1, 1}, {0}, 0, 1);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("crop dimensions must be positive"));
  out = Crop(k2x2, {0, 0, 1, 1}, {0, 0}, 1, 1);
  EXPECT_FALSE(out.ok());
  out = Crop(Tensor::Empty(DType::kUInt8, TensorShape{1, 0, 2, 1}), {0, 0, 1, 1}, {0}, 1, 1);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("image dimensions must be positive"));
  out = Crop(k2x2, {0, 0, 1, 1}, {0}, 1, 1, "bicubic");
  EXPECT_FALSE(out.ok());
}

}  // namespace
}  // namespace tfmodel::runtime
