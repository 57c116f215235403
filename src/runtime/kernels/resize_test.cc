// Tests for ResizeBicubic and ResizeArea (ResizeBilinear / ResizeNearestNeighbor are
// covered in nn_test.cc). Bicubic expectations come from the cubic convolution kernel
// evaluated directly at sample offsets that TF's 1024-entry table holds exactly (0, 1/4,
// 1/2, 3/4), with TF's edge rules; area expectations are the covered-fraction averages
// worked by hand (TF's own 4 -> 3 example).
#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrB;
using testing::ExpectTensorNear;
using ::testing::HasSubstr;
using testing::RunKernel;

double Cubic(double x, double a) {
  x = std::abs(x);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

// Reference 1-D bicubic resample of `in` to `out_size` samples.
std::vector<float> Reference(const std::vector<float>& in, int out_size, bool half_pixel) {
  const int n = static_cast<int>(in.size());
  const double scale = static_cast<double>(n) / out_size;
  const double a = half_pixel ? -0.5 : -0.75;
  std::vector<float> out(out_size);
  for (int i = 0; i < out_size; ++i) {
    const double pos = half_pixel ? (i + 0.5) * scale - 0.5 : i * scale;
    const int base = static_cast<int>(std::floor(pos));
    double sum = 0, wsum = 0;
    for (int k = -1; k <= 2; ++k) {
      const int idx = base + k;
      const double w = Cubic(pos - idx, a);
      if (half_pixel) {
        if (idx < 0 || idx >= n) continue;  // outside taps dropped, rest renormalized
        sum += w * in[idx];
        wsum += w;
      } else {
        sum += w * in[std::min(n - 1, std::max(0, idx))];  // legacy: clamp to the edge
      }
    }
    out[i] = static_cast<float>(half_pixel ? sum / wsum : sum);
  }
  return out;
}

absl::StatusOr<std::vector<Tensor>> Resize(const std::string& op, const Tensor& in, int h, int w,
                                           bool align = false, bool half_pixel = false) {
  testing::Attrs attrs = {{"align_corners", AttrB(align)}};
  if (op != "ResizeArea") attrs["half_pixel_centers"] = AttrB(half_pixel);
  return RunKernel(op, {in, Tensor::FromVector<int32_t>({h, w})}, attrs);
}

TEST(ResizeBicubicTest, MatchesTheCubicKernelWithTfEdgeRules) {
  const std::vector<float> row = {0, 10, 20, 40};
  for (bool half_pixel : {false, true}) {
    auto out = Resize("ResizeBicubic", Tensor::FromVector<float>(row, TensorShape{1, 1, 4, 1}), 1,
                      8, false, half_pixel);
    ASSERT_TRUE(out.ok()) << out.status();
    ExpectTensorNear(
        (*out)[0],
        Tensor::FromVector<float>(Reference(row, 8, half_pixel), TensorShape{1, 1, 8, 1}), 1e-4,
        1e-5);
  }
}

TEST(ResizeBicubicTest, SameSizeIsIdentityAndColumnsMatchRows) {
  Tensor img = Tensor::FromVector<uint8_t>({1, 2, 3, 4, 5, 6}, TensorShape{1, 2, 3, 1});
  auto out = Resize("ResizeBicubic", img, 2, 3);
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorNear((*out)[0],
                   Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, TensorShape{1, 2, 3, 1}));
  // A column resamples like a row.
  const std::vector<float> col = {0, 10, 20, 40};
  out = Resize("ResizeBicubic", Tensor::FromVector<float>(col, TensorShape{1, 4, 1, 1}), 8, 1,
               false, true);
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorNear((*out)[0],
                   Tensor::FromVector<float>(Reference(col, 8, true), TensorShape{1, 8, 1, 1}),
                   1e-4, 1e-5);
  EXPECT_FALSE(Resize("ResizeBicubic", img, 2, 3, true, true).ok());
}

TEST(ResizeAreaTest, AveragesCoveredCells) {
  // TF's example: 4 -> 3, scale 4/3: out0 = (in0 + in1/3) * 3/4, ...
  auto out =
      Resize("ResizeArea", Tensor::FromVector<float>({1, 2, 3, 4}, TensorShape{1, 1, 4, 1}), 1, 3);
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorNear((*out)[0],
                   Tensor::FromVector<float>({1.25f, 2.5f, 3.75f}, TensorShape{1, 1, 3, 1}), 1e-5);
  // 2x2 -> 1x1 is the mean, per channel.
  out = Resize("ResizeArea",
               Tensor::FromVector<uint8_t>({1, 10, 2, 20, 3, 30, 6, 40}, TensorShape{1, 2, 2, 2}),
               1, 1);
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorNear((*out)[0], Tensor::FromVector<float>({3, 25}, TensorShape{1, 1, 1, 2}));
  // Upsampling repeats cells.
  out = Resize("ResizeArea", Tensor::FromVector<float>({1, 2}, TensorShape{1, 1, 2, 1}), 1, 4);
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorNear((*out)[0], Tensor::FromVector<float>({1, 1, 2, 2}, TensorShape{1, 1, 4, 1}));
  auto bad = Resize("ResizeArea", Tensor::FromVector<float>({1, 2}, TensorShape{1, 1, 2, 1}), 0, 4);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("positive"));
}

}  // namespace
}  // namespace tfmodel::runtime
