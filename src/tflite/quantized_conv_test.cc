// The 8-bit CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED kernels (int16 dot products,
// im2col rows, four channels per pass, rows split over a thread pool) against a direct
// transcription of TFLite's reference loops, on random int8 / uint8 data: every output
// integer must be equal. Shapes are chosen so that channel counts are not multiples of 4
// or 8 (the scalar tails run), windows leave the input (SAME padding), strides and
// dilations are > 1 and depth multipliers > 1. Plus the int16 dot helpers on their own.
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util.h"
#include "tflite/int16_dot.h"
#include "tflite/quant_math.h"
#include "tflite_test_util.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;
using testing::TfLiteModelBuilder;
using TT = fb::TensorType;

struct Case {
  bool depthwise;
  bool uint8;
  int h, w, c, kh, kw, out_ch, stride, dilation;
  bool same;
};

template <typename T>
std::vector<T> Random(std::mt19937& rng, size_t n) {
  std::uniform_int_distribution<int> d(std::numeric_limits<T>::min(),
                                       std::numeric_limits<T>::max());
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(d(rng));
  return v;
}

int64_t OutSize(bool same, int64_t in, int64_t k, int64_t stride, int64_t dil, int64_t* pad) {
  const int64_t ek = (k - 1) * dil + 1;
  const int64_t out = same ? (in + stride - 1) / stride : (in - ek + stride) / stride;
  *pad = same ? std::max<int64_t>(0, ((out - 1) * stride + ek - in) / 2) : 0;
  return out;
}

template <typename T>
void CheckConv(const Case& c, uint32_t seed) {
  SCOPED_TRACE(::testing::Message() << (c.depthwise ? "depthwise " : "conv ") << c.h << "x" << c.w
                                    << "x" << c.c << " k" << c.kh << "x" << c.kw << " oc "
                                    << c.out_ch << " s" << c.stride << " d" << c.dilation);
  std::mt19937 rng(seed);
  const TT type = c.uint8 ? TT::UINT8 : TT::INT8;
  const int mul = c.depthwise ? c.out_ch / c.c : 1;
  const int kc = c.depthwise ? c.out_ch : c.c;
  const int fo = c.depthwise ? 1 : c.out_ch;  // filter dim 0
  const int64_t in_zp = c.uint8 ? 128 : -3, out_zp = c.uint8 ? 120 : 5;
  const float in_scale = 0.05f, out_scale = 0.4f;
  std::vector<float> w_scale;
  std::vector<int64_t> w_zp;
  for (int k = 0; k < c.out_ch; ++k) {
    w_scale.push_back(0.01f + 0.003f * k);
    w_zp.push_back(c.uint8 ? 127 + k % 3 : 0);
  }
  const auto x = Random<T>(rng, static_cast<size_t>(c.h) * c.w * c.c);
  const auto wv = Random<T>(rng, static_cast<size_t>(fo) * c.kh * c.kw * kc);
  std::uniform_int_distribution<int32_t> bd(-2000, 2000);
  std::vector<int32_t> bias(c.out_ch);
  for (auto& v : bias) v = bd(rng);

  int64_t pt, pl;
  const int64_t oh = OutSize(c.same, c.h, c.kh, c.stride, c.dilation, &pt);
  const int64_t ow = OutSize(c.same, c.w, c.kw, c.stride, c.dilation, &pl);
  TfLiteModelBuilder b;
  int xi = b.Tensor<T>("x", type, {1, c.h, c.w, c.c}, {in_scale}, {in_zp});
  int wi = b.Tensor<T>("w", type, {fo, c.kh, c.kw, kc}, w_scale, w_zp, c.depthwise ? 3 : 0, wv);
  std::vector<float> b_scale;
  for (float s : w_scale) b_scale.push_back(s * in_scale);
  int bi = b.Tensor<int32_t>("b", TT::INT32, {c.out_ch}, b_scale, std::vector<int64_t>(c.out_ch, 0),
                             0, bias);
  int yi = b.Tensor<T>("y", type, {1, static_cast<int32_t>(oh), static_cast<int32_t>(ow), c.out_ch},
                       {out_scale}, {out_zp});
  fb::BuiltinOptionsUnion u;
  const fb::Padding pad = c.same ? fb::Padding::SAME : fb::Padding::VALID;
  if (c.depthwise) {
    fb::DepthwiseConv2DOptionsT o;
    o.padding = pad;
    o.stride_h = o.stride_w = c.stride;
    o.dilation_h_factor = o.dilation_w_factor = c.dilation;
    o.depth_multiplier = mul;
    o.fused_activation_function = fb::ActivationFunctionType::RELU;
    u.Set(o);
  } else {
    fb::Conv2DOptionsT o;
    o.padding = pad;
    o.stride_h = o.stride_w = c.stride;
    o.dilation_h_factor = o.dilation_w_factor = c.dilation;
    o.fused_activation_function = fb::ActivationFunctionType::RELU;
    u.Set(o);
  }
  b.Op(c.depthwise ? B::DEPTHWISE_CONV_2D : B::CONV_2D, {xi, wi, bi}, {yi}, std::move(u));
  auto m = b.Build({xi}, {yi});
  ASSERT_NE(m, nullptr);
  TFM_ASSERT_OK_AND_ASSIGN(
      auto out, m->Run({{"x", Tensor::FromVector<T>(x, TensorShape{1, c.h, c.w, c.c})}}, {"y"}));
  const Tensor& y = out[0];
  ASSERT_EQ(y.NumElements(), oh * ow * c.out_ch);

  // TFLite's reference loops, written out.
  int32_t lo = std::max<int32_t>(out_zp, std::numeric_limits<T>::min());
  const int32_t hi = std::numeric_limits<T>::max();
  int mismatches = 0;
  for (int64_t oy = 0; oy < oh; ++oy)
    for (int64_t ox = 0; ox < ow; ++ox)
      for (int oc = 0; oc < c.out_ch; ++oc) {
        int32_t acc = 0;
        for (int ky = 0; ky < c.kh; ++ky)
          for (int kx = 0; kx < c.kw; ++kx) {
            const int64_t iy = oy * c.stride - pt + ky * c.dilation;
            const int64_t ix = ox * c.stride - pl + kx * c.dilation;
            if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w) continue;
            const int64_t xb = (iy * c.w + ix) * c.c;
            if (c.depthwise) {
              acc += (x[xb + oc / mul] - in_zp) * (wv[(ky * c.kw + kx) * kc + oc] - w_zp[oc]);
            } else {
              for (int ic = 0; ic < c.c; ++ic) {
                acc += (x[xb + ic] - in_zp) *
                       (wv[((oc * c.kh + ky) * c.kw + kx) * kc + ic] - w_zp[oc]);
              }
            }
          }
        int32_t mult;
        int shift;
        QuantizeMultiplier(double{in_scale} * w_scale[oc] / out_scale, &mult, &shift);
        const int32_t want = std::clamp(MultiplyByQuantizedMultiplier(acc + bias[oc], mult, shift) +
                                            static_cast<int32_t>(out_zp),
                                        lo, hi);
        const int32_t got = y.data<T>()[(oy * ow + ox) * c.out_ch + oc];
        if (got != want && ++mismatches <= 5) {
          ADD_FAILURE() << "at " << oy << "," << ox << "," << oc << ": " << got << " != " << want;
        }
      }
  EXPECT_EQ(mismatches, 0);
}

TEST(TfLiteQuantizedConvTest, EqualsTheReferenceLoops) {
  const Case cases[] = {
      // depthwise, uint8, h, w, c, kh, kw, out_ch, stride, dilation, same
      {false, false, 7, 9, 13, 3, 3, 6, 1, 1, true},   // im2col, 4 + 2 channels
      {false, false, 8, 8, 16, 1, 1, 9, 1, 1, false},  // pointwise, input read in place
      {false, true, 9, 7, 5, 3, 2, 7, 2, 1, true},     // uint8, stride 2, per-channel zp
      {false, false, 9, 9, 3, 3, 3, 4, 1, 2, false},   // dilation 2
      {true, false, 9, 8, 11, 3, 3, 11, 1, 1, true},   // depthwise, 8 + 3 channels
      {true, true, 8, 9, 3, 3, 3, 6, 2, 1, true},      // uint8, multiplier 2
      {true, false, 10, 10, 24, 5, 5, 24, 2, 1, true},
  };
  uint32_t seed = 1;
  for (const Case& c : cases) {
    if (c.uint8) {
      CheckConv<uint8_t>(c, seed++);
    } else {
      CheckConv<int8_t>(c, seed++);
    }
  }
}

TEST(TfLiteQuantizedConvTest, ZeroPointsOutsideTheTypeRangeAreLoadErrors) {
  TfLiteModelBuilder b;
  int x = b.Tensor<int8_t>("x", TT::INT8, {1, 4}, {0.5f}, {300});
  int w = b.Tensor<int8_t>("w", TT::INT8, {2, 4}, {0.1f}, {0}, 0, {1, 2, 3, 4, 5, 6, 7, 8});
  int y = b.Tensor<int8_t>("y", TT::INT8, {1, 2}, {1.0f}, {0});
  b.Op(B::FULLY_CONNECTED, {x, w, -1}, {y});
  b.ExpectLoadError({x}, {y}, "input zero point 300 is outside the int8 range [-128, 127]");
}

TEST(Int16DotTest, MatchesScalarSumsForEveryLength) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> d(-255, 255);
  for (int n = 0; n <= 40; ++n) {
    std::vector<int16_t> a(n), b(4 * n + 3);
    for (auto& v : a) v = static_cast<int16_t>(d(rng));
    for (auto& v : b) v = static_cast<int16_t>(d(rng));
    int32_t want[4] = {0, 0, 0, 0};
    for (int j = 0; j < 4; ++j)
      for (int i = 0; i < n; ++i) want[j] += a[i] * b[j * n + i];
    EXPECT_EQ(DotInt16(a.data(), b.data(), n), want[0]) << n;
    int32_t got[4];
    Dot4Int16(a.data(), b.data(), n, n, got);
    EXPECT_THAT(got, ::testing::ElementsAreArray(want)) << n;
    std::vector<int32_t> acc(n, 100), acc_want(n);
    for (int i = 0; i < n; ++i) acc_want[i] = 100 + a[i] * b[i];
    MulAccInt16(a.data(), b.data(), n, acc.data());
    EXPECT_EQ(acc, acc_want) << n;
  }
}

}  // namespace
}  // namespace tfmodel::tflite
