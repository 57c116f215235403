// Tests for the NN kernels against direct-loop reference implementations.
#include <chrono>
#include <cmath>
#include <random>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "runtime/kernel.h"

namespace tfmodel::runtime {
namespace {

using ::testing::HasSubstr;
using tfmodel::testing::AttrB;
using tfmodel::testing::AttrF;
using tfmodel::testing::AttrI;
using tfmodel::testing::AttrIList;
using tfmodel::testing::AttrS;
using tfmodel::testing::Attrs;
using tfmodel::testing::AttrType;
using tfmodel::testing::ExpectTensorEq;
using tfmodel::testing::ExpectTensorNear;
using tfmodel::testing::RunKernel;

Tensor Rand(TensorShape shape, std::mt19937& rng, float lo = -1, float hi = 1) {
  Tensor t(DType::kFloat, shape);
  std::uniform_real_distribution<float> d(lo, hi);
  for (auto& v : t.flat<float>()) v = d(rng);
  return t;
}

Tensor F(std::vector<float> v, TensorShape s) { return Tensor::FromVector<float>(v, s); }
Tensor I32(std::vector<int32_t> v) { return Tensor::FromVector<int32_t>(v); }

std::vector<Tensor> RunOk(const std::string& op, const std::vector<Tensor>& in,
                          const Attrs& attrs = {}) {
  auto r = RunKernel(op, in, attrs);
  EXPECT_TRUE(r.ok()) << op << ": " << r.status();
  return r.ok() ? *r : std::vector<Tensor>{};
}

std::string RunError(const std::string& op, const std::vector<Tensor>& in,
                     const Attrs& attrs = {}) {
  auto r = RunKernel(op, in, attrs);
  EXPECT_FALSE(r.ok()) << op << " unexpectedly succeeded";
  return r.ok() ? "" : std::string(r.status().message());
}

// Naive row-major matmul with optional transposes.
Tensor RefMatMul(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  const int64_t m = ta ? a.dim(1) : a.dim(0), k = ta ? a.dim(0) : a.dim(1);
  const int64_t n = tb ? b.dim(0) : b.dim(1);
  Tensor c(DType::kFloat, {m, n});
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p) {
        const float av = ta ? a.data<float>()[p * m + i] : a.data<float>()[i * k + p];
        const float bv = tb ? b.data<float>()[j * k + p] : b.data<float>()[p * n + j];
        s += static_cast<double>(av) * bv;
      }
      c.data<float>()[i * n + j] = static_cast<float>(s);
    }
  return c;
}

TEST(NnMatMul, RandomShapesAndTransposes) {
  std::mt19937 rng(1);
  std::uniform_int_distribution<int64_t> dim(1, 40);
  for (int iter = 0; iter < 24; ++iter) {
    const bool ta = iter & 1, tb = iter & 2;
    const int64_t m = dim(rng), k = dim(rng), n = dim(rng);
    Tensor a = Rand(ta ? TensorShape{k, m} : TensorShape{m, k}, rng);
    Tensor b = Rand(tb ? TensorShape{n, k} : TensorShape{k, n}, rng);
    auto out = RunOk("MatMul", {a, b}, {{"transpose_a", AttrB(ta)}, {"transpose_b", AttrB(tb)}});
    ASSERT_EQ(out.size(), 1u);
    ExpectTensorNear(out[0], RefMatMul(a, b, ta, tb), 1e-4, 1e-4);
  }
}

TEST(NnMatMul, OtherDtypes) {
  Tensor a = Tensor::FromVector<int32_t>({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = Tensor::FromVector<int32_t>({1, 0, 0, 1, 2, -1}, {3, 2});
  ExpectTensorEq(RunOk("MatMul", {a, b})[0], Tensor::FromVector<int32_t>({7, -1, 16, -1}, {2, 2}));
  Tensor ad = Tensor::FromVector<double>({1, 2, 3, 4, 5, 6}, {3, 2});
  Tensor bd = Tensor::FromVector<double>({1, 0, 0, 1, 2, -1}, {3, 2});
  // a^T (2x3) * b (3x2)
  ExpectTensorEq(RunOk("MatMul", {ad, bd}, {{"transpose_a", AttrB(true)}})[0],
                 Tensor::FromVector<double>({11, -2, 14, -2}, {2, 2}));
  Tensor al = Tensor::FromVector<int64_t>({1, 2}, {1, 2});
  Tensor bl = Tensor::FromVector<int64_t>({3, 4}, {2, 1});
  ExpectTensorEq(RunOk("MatMul", {al, bl})[0], Tensor::FromVector<int64_t>({11}, {1, 1}));
  Tensor ah(DType::kHalf, {1, 2}), bh(DType::kHalf, {2, 1});
  ah.data<Half>()[0] = Half::FromFloat(1.5f);
  ah.data<Half>()[1] = Half::FromFloat(2.0f);
  bh.data<Half>()[0] = Half::FromFloat(2.0f);
  bh.data<Half>()[1] = Half::FromFloat(0.25f);
  auto out = RunOk("MatMul", {ah, bh});
  ASSERT_EQ(out[0].dtype(), DType::kHalf);
  EXPECT_FLOAT_EQ(out[0].data<Half>()[0].ToFloat(), 3.5f);
}

TEST(NnMatMul, Errors) {
  std::mt19937 rng(2);
  EXPECT_THAT(RunError("MatMul", {Rand({2, 3}, rng), Rand({4, 5}, rng)}),
              HasSubstr("Matrix size-incompatible: In[0]: [2,3], In[1]: [4,5]"));
  EXPECT_THAT(RunError("MatMul", {Rand({2, 3, 1}, rng), Rand({3, 5}, rng)}),
              HasSubstr("In[0] is not a matrix"));
  EXPECT_THAT(RunError("BatchMatMulV2", {Rand({2, 2, 3}, rng), Rand({3, 3, 5}, rng)}),
              HasSubstr("must have compatible batch dimensions"));
  EXPECT_THAT(RunError("BatchMatMul", {Rand({2, 2, 3}, rng), Rand({1, 3, 5}, rng)}),
              HasSubstr("must be the same"));
  EXPECT_THAT(RunError("BatchMatMulV2", {Rand({3}, rng), Rand({3, 5}, rng)}),
              HasSubstr("ndims must be >= 2"));
}

TEST(NnMatMul, BatchBroadcasting) {
  std::mt19937 rng(3);
  for (bool ax : {false, true})
    for (bool ay : {false, true}) {
      // x [2,1,3,4] (adj: [2,1,4,3]), y [3,4,5] (adj: [3,5,4]) -> [2,3,3,5].
      Tensor x = Rand(ax ? TensorShape{2, 1, 4, 3} : TensorShape{2, 1, 3, 4}, rng);
      Tensor y = Rand(ay ? TensorShape{3, 5, 4} : TensorShape{3, 4, 5}, rng);
      for (const char* op : {"BatchMatMulV2", "BatchMatMulV3"}) {
        Attrs attrs = {{"adj_x", AttrB(ax)}, {"adj_y", AttrB(ay)}};
        if (std::string(op) == "BatchMatMulV3") attrs["Tout"] = AttrType(DType::kFloat);
        auto out = RunOk(op, {x, y}, attrs);
        ASSERT_EQ(out[0].shape(), (TensorShape{2, 3, 3, 5}));
        for (int64_t i = 0; i < 2; ++i)
          for (int64_t j = 0; j < 3; ++j) {
            Tensor xs = x.Slice(i, i + 1);
            Tensor xm = *xs.Reshaped(ax ? TensorShape{4, 3} : TensorShape{3, 4});
            Tensor ym = *y.Slice(j, j + 1).Reshaped(ay ? TensorShape{5, 4} : TensorShape{4, 5});
            Tensor want = RefMatMul(xm, ym, ax, ay);
            Tensor got = *out[0].Slice(i, i + 1).Reshaped({3, 3, 5});
            got = *got.Slice(j, j + 1).Reshaped({3, 5});
            ExpectTensorNear(got.DeepCopy(), want, 1e-5, 1e-5);
          }
      }
    }
  // V1: equal batch dims.
  Tensor a = Rand({4, 2, 3}, rng), b = Rand({4, 3, 2}, rng);
  auto out = RunOk("BatchMatMul", {a, b});
  ASSERT_EQ(out[0].shape(), (TensorShape{4, 2, 2}));
  for (int64_t i = 0; i < 4; ++i) {
    ExpectTensorNear(out[0].Slice(i, i + 1).Reshaped({2, 2})->DeepCopy(),
                     RefMatMul(*a.Slice(i, i + 1).Reshaped({2, 3}),
                               *b.Slice(i, i + 1).Reshaped({3, 2}), false, false),
                     1e-5, 1e-5);
  }
  // V3 with int8 inputs and int32 output.
  Tensor xi = Tensor::FromVector<int8_t>({100, 100}, {1, 2});
  Tensor yi = Tensor::FromVector<int8_t>({100, 27}, {2, 1});
  auto o3 = RunOk("BatchMatMulV3", {xi, yi}, {{"Tout", AttrType(DType::kInt32)}});
  ExpectTensorEq(o3[0], Tensor::FromVector<int32_t>({12700}, {1, 1}));
}

// ---- convolution ----

struct ConvCase {
  int64_t n, h, w, c, kh, kw, oc, sh, sw, dh, dw;
  std::string padding;
  std::vector<int64_t> pads;  // top, bottom, left, right for EXPLICIT
};

// Reference NHWC conv; returns output (computes the window as TF does).
Tensor RefConv(const Tensor& x, const Tensor& f, const ConvCase& p, bool depthwise) {
  const int64_t ekh = (p.kh - 1) * p.dh + 1, ekw = (p.kw - 1) * p.dw + 1;
  int64_t oh, ow, pt, pl;
  if (p.padding == "VALID") {
    oh = (p.h - ekh) / p.sh + 1;
    ow = (p.w - ekw) / p.sw + 1;
    pt = pl = 0;
  } else if (p.padding == "SAME") {
    oh = (p.h + p.sh - 1) / p.sh;
    ow = (p.w + p.sw - 1) / p.sw;
    pt = std::max<int64_t>(0, (oh - 1) * p.sh + ekh - p.h) / 2;
    pl = std::max<int64_t>(0, (ow - 1) * p.sw + ekw - p.w) / 2;
  } else {
    oh = (p.h + p.pads[0] + p.pads[1] - ekh) / p.sh + 1;
    ow = (p.w + p.pads[2] + p.pads[3] - ekw) / p.sw + 1;
    pt = p.pads[0];
    pl = p.pads[2];
  }
  const int64_t mult = depthwise ? f.dim(3) : 0;
  const int64_t oc = depthwise ? p.c * mult : p.oc;
  Tensor y(DType::kFloat, {p.n, oh, ow, oc});
  for (int64_t b = 0; b < p.n; ++b)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j)
        for (int64_t o = 0; o < oc; ++o) {
          double s = 0;
          for (int64_t ki = 0; ki < p.kh; ++ki)
            for (int64_t kj = 0; kj < p.kw; ++kj) {
              const int64_t ii = i * p.sh - pt + ki * p.dh, jj = j * p.sw - pl + kj * p.dw;
              if (ii < 0 || ii >= p.h || jj < 0 || jj >= p.w) continue;
              if (depthwise) {
                const int64_t c = o / mult, m = o % mult;
                s += x.data<float>()[((b * p.h + ii) * p.w + jj) * p.c + c] *
                     f.data<float>()[((ki * p.kw + kj) * p.c + c) * mult + m];
              } else {
                for (int64_t c = 0; c < p.c; ++c)
                  s += x.data<float>()[((b * p.h + ii) * p.w + jj) * p.c + c] *
                       f.data<float>()[((ki * p.kw + kj) * p.c + c) * oc + o];
              }
            }
          y.data<float>()[((b * oh + i) * ow + j) * oc + o] = static_cast<float>(s);
        }
  return y;
}

Tensor NhwcToNchw(const Tensor& t) {
  const int64_t n = t.dim(0), h = t.dim(1), w = t.dim(2), c = t.dim(3);
  Tensor o(t.dtype(), {n, c, h, w});
  for (int64_t b = 0; b < n; ++b)
    for (int64_t i = 0; i < h; ++i)
      for (int64_t j = 0; j < w; ++j)
        for (int64_t k = 0; k < c; ++k)
          o.data<float>()[((b * c + k) * h + i) * w + j] =
              t.data<float>()[((b * h + i) * w + j) * c + k];
  return o;
}

Attrs ConvAttrs(const ConvCase& p, bool nchw) {
  Attrs a;
  a["T"] = AttrType(DType::kFloat);
  a["padding"] = AttrS(p.padding);
  a["data_format"] = AttrS(nchw ? "NCHW" : "NHWC");
  a["strides"] = nchw ? AttrIList({1, 1, p.sh, p.sw}) : AttrIList({1, p.sh, p.sw, 1});
  a["dilations"] = nchw ? AttrIList({1, 1, p.dh, p.dw}) : AttrIList({1, p.dh, p.dw, 1});
  if (p.padding == "EXPLICIT") {
    a["explicit_paddings"] =
        nchw ? AttrIList({0, 0, 0, 0, p.pads[0], p.pads[1], p.pads[2], p.pads[3]})
             : AttrIList({0, 0, p.pads[0], p.pads[1], p.pads[2], p.pads[3], 0, 0});
  }
  return a;
}

std::vector<ConvCase> ConvCases() {
  std::vector<ConvCase> cases;
  for (const std::string pad : {"SAME", "VALID", "EXPLICIT"})
    for (int64_t s : {1, 2})
      for (int64_t d : {1, 2}) {
        cases.push_back({2, 9, 8, 3, 3, 2, 4, s, 3 - s, d, 1, pad, {1, 2, 0, 1}});
        cases.push_back({1, 7, 7, 5, 1, 1, 6, s, s, d, d, pad, {0, 1, 2, 0}});
        cases.push_back({1, 6, 10, 8, 3, 3, 16, s, s, d, d, pad, {2, 2, 1, 1}});
      }
  return cases;
}

TEST(NnConv, Conv2DAllPaddingsStridesDilations) {
  std::mt19937 rng(4);
  for (const ConvCase& p : ConvCases()) {
    Tensor x = Rand({p.n, p.h, p.w, p.c}, rng);
    Tensor f = Rand({p.kh, p.kw, p.c, p.oc}, rng);
    Tensor want = RefConv(x, f, p, false);
    SCOPED_TRACE(absl::StrCat(p.padding, " s=", p.sh, ",", p.sw, " d=", p.dh, ",", p.dw,
                              " k=", p.kh, "x", p.kw));
    auto out = RunOk("Conv2D", {x, f}, ConvAttrs(p, false));
    ASSERT_EQ(out.size(), 1u);
    ExpectTensorNear(out[0], want, 1e-4, 1e-4);
    auto out_nchw = RunOk("Conv2D", {NhwcToNchw(x), f}, ConvAttrs(p, true));
    ASSERT_EQ(out_nchw.size(), 1u);
    ExpectTensorNear(out_nchw[0], NhwcToNchw(want), 1e-4, 1e-4);
  }
}

TEST(NnConv, Conv2DDoubleMatchesFloat) {
  std::mt19937 rng(5);
  ConvCase p{1, 5, 6, 2, 3, 3, 3, 2, 1, 1, 2, "SAME", {}};
  Tensor x = Rand({1, 5, 6, 2}, rng), f = Rand({3, 3, 2, 3}, rng);
  Tensor want = RefConv(x, f, p, false);
  Tensor xd(DType::kDouble, x.shape()), fd(DType::kDouble, f.shape());
  for (int64_t i = 0; i < x.NumElements(); ++i) xd.data<double>()[i] = x.data<float>()[i];
  for (int64_t i = 0; i < f.NumElements(); ++i) fd.data<double>()[i] = f.data<float>()[i];
  auto out = RunOk("Conv2D", {xd, fd}, ConvAttrs(p, false));
  ASSERT_EQ(out[0].shape(), want.shape());
  for (int64_t i = 0; i < want.NumElements(); ++i) {
    EXPECT_NEAR(out[0].data<double>()[i], want.data<float>()[i], 1e-5);
  }
}

TEST(NnConv, Depthwise) {
  std::mt19937 rng(6);
  for (const ConvCase& p0 : ConvCases()) {
    for (int64_t mult : {1, 2}) {
      ConvCase p = p0;
      Tensor x = Rand({p.n, p.h, p.w, p.c}, rng);
      Tensor f = Rand({p.kh, p.kw, p.c, mult}, rng);
      Tensor want = RefConv(x, f, p, true);
      SCOPED_TRACE(absl::StrCat(p.padding, " s=", p.sh, " d=", p.dh, " mult=", mult));
      auto out = RunOk("DepthwiseConv2dNative", {x, f}, ConvAttrs(p, false));
      ASSERT_EQ(out.size(), 1u);
      ExpectTensorNear(out[0], want, 1e-4, 1e-4);
      auto out_nchw = RunOk("DepthwiseConv2dNative", {NhwcToNchw(x), f}, ConvAttrs(p, true));
      ASSERT_EQ(out_nchw.size(), 1u);
      ExpectTensorNear(out_nchw[0], NhwcToNchw(want), 1e-4, 1e-4);
    }
  }
}

TEST(NnConv, Conv2DBackpropInputIsTransposedConv) {
  std::mt19937 rng(7);
  for (const ConvCase& p : ConvCases()) {
    Tensor f = Rand({p.kh, p.kw, p.c, p.oc}, rng);
    // The output shape of the forward conv on input [n,h,w,c].
    Tensor fwd_shape = RefConv(Tensor(DType::kFloat, {p.n, p.h, p.w, p.c}), f, p, false);
    Tensor dy = Rand(fwd_shape.shape(), rng);
    // Reference: dx[n, ii, jj, c] += dy[n, i, j, o] * f[ki, kj, c, o] (scatter form).
    Tensor want(DType::kFloat, {p.n, p.h, p.w, p.c});
    const int64_t oh = dy.dim(1), ow = dy.dim(2);
    const int64_t ekh = (p.kh - 1) * p.dh + 1, ekw = (p.kw - 1) * p.dw + 1;
    int64_t pt = 0, pl = 0;
    if (p.padding == "SAME") {
      pt = std::max<int64_t>(0, (oh - 1) * p.sh + ekh - p.h) / 2;
      pl = std::max<int64_t>(0, (ow - 1) * p.sw + ekw - p.w) / 2;
    } else if (p.padding == "EXPLICIT") {
      pt = p.pads[0];
      pl = p.pads[2];
    }
    for (int64_t b = 0; b < p.n; ++b)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j)
          for (int64_t ki = 0; ki < p.kh; ++ki)
            for (int64_t kj = 0; kj < p.kw; ++kj) {
              const int64_t ii = i * p.sh - pt + ki * p.dh, jj = j * p.sw - pl + kj * p.dw;
              if (ii < 0 || ii >= p.h || jj < 0 || jj >= p.w) continue;
              for (int64_t c = 0; c < p.c; ++c)
                for (int64_t o = 0; o < p.oc; ++o)
                  want.data<float>()[((b * p.h + ii) * p.w + jj) * p.c + c] +=
                      dy.data<float>()[((b * oh + i) * ow + j) * p.oc + o] *
                      f.data<float>()[((ki * p.kw + kj) * p.c + c) * p.oc + o];
            }
    SCOPED_TRACE(absl::StrCat(p.padding, " s=", p.sh, ",", p.sw, " d=", p.dh, ",", p.dw));
    auto out = RunOk("Conv2DBackpropInput",
                     {I32({(int32_t)p.n, (int32_t)p.h, (int32_t)p.w, (int32_t)p.c}), f, dy},
                     ConvAttrs(p, false));
    ASSERT_EQ(out.size(), 1u);
    ExpectTensorNear(out[0], want, 1e-4, 1e-4);
    // The 2-element input_sizes form (spatial only).
    auto out2 = RunOk("Conv2DBackpropInput", {I32({(int32_t)p.h, (int32_t)p.w}), f, dy},
                      ConvAttrs(p, false));
    ASSERT_EQ(out2.size(), 1u);
    ExpectTensorNear(out2[0], want, 1e-4, 1e-4);
  }
}

TEST(NnConv, Errors) {
  std::mt19937 rng(8);
  ConvCase p{1, 5, 5, 3, 3, 3, 4, 1, 1, 1, 1, "SAME", {}};
  Tensor x = Rand({1, 5, 5, 3}, rng), f = Rand({3, 3, 3, 4}, rng);
  Attrs a = ConvAttrs(p, false);
  a["data_format"] = AttrS("NWHC");
  EXPECT_THAT(RunError("Conv2D", {x, f}, a), HasSubstr("Invalid data format 'NWHC'"));
  a = ConvAttrs(p, false);
  a["padding"] = AttrS("FULL");
  EXPECT_THAT(RunError("Conv2D", {x, f}, a), HasSubstr("Invalid padding 'FULL'"));
  a = ConvAttrs(p, false);
  a["strides"] = AttrIList({2, 1, 1, 1});
  EXPECT_THAT(RunError("Conv2D", {x, f}, a), HasSubstr("strides in the batch and depth"));
  a = ConvAttrs(p, false);
  a["strides"] = AttrIList({1, 1, 1});
  EXPECT_THAT(RunError("Conv2D", {x, f}, a), HasSubstr("must specify 4 dimensions"));
  a = ConvAttrs(p, false);
  EXPECT_THAT(RunError("Conv2D", {Rand({5, 5, 3}, rng), f}, a),
              HasSubstr("input must be 4-dimensional"));
  EXPECT_THAT(RunError("Conv2D", {Rand({1, 5, 5, 2}, rng), f}, a),
              HasSubstr("input depth must be evenly divisible by filter depth"));
  a["padding"] = AttrS("VALID");
  EXPECT_THAT(RunError("Conv2D", {Rand({1, 1, 5, 3}, rng), f}, a),
              HasSubstr("Computed output size would be negative"));
  a = ConvAttrs(p, false);
  a["padding"] = AttrS("EXPLICIT");
  a["explicit_paddings"] = AttrIList({0, 0, 1, 1});
  EXPECT_THAT(RunError("Conv2D", {x, f}, a),
              HasSubstr("explicit_paddings attribute must contain 8 values"));
  EXPECT_THAT(RunError("DepthwiseConv2dNative", {x, Rand({3, 3, 2, 1}, rng)}, ConvAttrs(p, false)),
              HasSubstr("input and filter must have the same depth"));
  EXPECT_THAT(RunError("Conv2DBackpropInput", {I32({1, 5, 5, 3}), f, Rand({1, 4, 5, 4}, rng)},
                       ConvAttrs(p, false)),
              HasSubstr("Size of out_backprop doesn't match computed"));
}

TEST(NnConv, GroupedConv) {
  std::mt19937 rng(9);
  // in 4 channels, filter in-depth 2 -> 2 groups; 6 outputs (3 per group).
  Tensor x = Rand({1, 5, 5, 4}, rng), f = Rand({3, 3, 2, 6}, rng);
  ConvCase p{1, 5, 5, 2, 3, 3, 3, 1, 1, 1, 1, "SAME", {}};
  auto out = RunOk("Conv2D", {x, f}, ConvAttrs(p, false));
  ASSERT_EQ(out[0].shape(), (TensorShape{1, 5, 5, 6}));
  for (int g = 0; g < 2; ++g) {
    Tensor xg(DType::kFloat, {1, 5, 5, 2}), fg(DType::kFloat, {3, 3, 2, 3});
    for (int64_t i = 0; i < 25; ++i)
      for (int c = 0; c < 2; ++c) xg.data<float>()[i * 2 + c] = x.data<float>()[i * 4 + g * 2 + c];
    for (int64_t i = 0; i < 18; ++i)
      for (int o = 0; o < 3; ++o) fg.data<float>()[i * 3 + o] = f.data<float>()[i * 6 + g * 3 + o];
    Tensor want = RefConv(xg, fg, p, false);
    for (int64_t i = 0; i < 25; ++i)
      for (int o = 0; o < 3; ++o)
        EXPECT_NEAR(out[0].data<float>()[i * 6 + g * 3 + o], want.data<float>()[i * 3 + o], 1e-4);
  }
}

// ---- pooling ----

TEST(NnPool, MaxAndAvgSameValid) {
  // 1x3x3x1 input 1..9.
  Tensor x = F({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 3, 3, 1});
  Attrs a{{"ksize", AttrIList({1, 2, 2, 1})},
          {"strides", AttrIList({1, 2, 2, 1})},
          {"padding", AttrS("SAME")}};
  // SAME: out 2x2, pad 0 before, 1 after. Avg over valid elements only.
  ExpectTensorNear(RunOk("AvgPool", {x}, a)[0], F({3, 4.5, 7.5, 9}, {1, 2, 2, 1}));
  ExpectTensorEq(RunOk("MaxPool", {x}, a)[0], F({5, 6, 8, 9}, {1, 2, 2, 1}));
  a["padding"] = AttrS("VALID");
  ExpectTensorNear(RunOk("AvgPool", {x}, a)[0], F({3}, {1, 1, 1, 1}));
  ExpectTensorEq(RunOk("MaxPool", {x}, a)[0], F({5}, {1, 1, 1, 1}));
  // 3x3 stride 1 SAME: corner averages over 4 elements.
  a = {{"ksize", AttrIList({1, 3, 3, 1})},
       {"strides", AttrIList({1, 1, 1, 1})},
       {"padding", AttrS("SAME")}};
  ExpectTensorNear(RunOk("AvgPool", {x}, a)[0],
                   F({3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7}, {1, 3, 3, 1}));
  // MaxPoolV2 with ksize/strides as inputs.
  ExpectTensorEq(RunOk("MaxPoolV2", {x, I32({1, 2, 2, 1}), I32({1, 1, 1, 1})},
                       {{"padding", AttrS("VALID")}})[0],
                 F({5, 6, 8, 9}, {1, 2, 2, 1}));
}

TEST(NnPool, RandomAgainstReference) {
  std::mt19937 rng(10);
  for (const std::string pad : {"SAME", "VALID"})
    for (int64_t k : {1, 2, 3})
      for (int64_t s : {1, 2, 3}) {
        Tensor x = Rand({2, 7, 6, 3}, rng);
        Attrs a{{"ksize", AttrIList({1, k, k, 1})},
                {"strides", AttrIList({1, s, s, 1})},
                {"padding", AttrS(pad)}};
        auto mx = RunOk("MaxPool", {x}, a), av = RunOk("AvgPool", {x}, a);
        int64_t oh, ow, pt = 0, pl = 0;
        if (pad == "VALID") {
          oh = (7 - k) / s + 1;
          ow = (6 - k) / s + 1;
        } else {
          oh = (7 + s - 1) / s;
          ow = (6 + s - 1) / s;
          pt = std::max<int64_t>(0, (oh - 1) * s + k - 7) / 2;
          pl = std::max<int64_t>(0, (ow - 1) * s + k - 6) / 2;
        }
        Tensor wm(DType::kFloat, {2, oh, ow, 3}), wa(DType::kFloat, {2, oh, ow, 3});
        for (int64_t b = 0; b < 2; ++b)
          for (int64_t i = 0; i < oh; ++i)
            for (int64_t j = 0; j < ow; ++j)
              for (int64_t c = 0; c < 3; ++c) {
                float m = -1e30f, sum = 0;
                int cnt = 0;
                for (int64_t di = 0; di < k; ++di)
                  for (int64_t dj = 0; dj < k; ++dj) {
                    const int64_t ii = i * s - pt + di, jj = j * s - pl + dj;
                    if (ii < 0 || ii >= 7 || jj < 0 || jj >= 6) continue;
                    const float v = x.data<float>()[((b * 7 + ii) * 6 + jj) * 3 + c];
                    m = std::max(m, v);
                    sum += v;
                    ++cnt;
                  }
                wm.data<float>()[((b * oh + i) * ow + j) * 3 + c] = m;
                wa.data<float>()[((b * oh + i) * ow + j) * 3 + c] = sum / cnt;
              }
        ExpectTensorEq(mx[0], wm);
        ExpectTensorNear(av[0], wa, 1e-5, 1e-5);
        // NCHW gives the transposed result.
        a["data_format"] = AttrS("NCHW");
        a["ksize"] = AttrIList({1, 1, k, k});
        a["strides"] = AttrIList({1, 1, s, s});
        ExpectTensorEq(RunOk("MaxPool", {NhwcToNchw(x)}, a)[0], NhwcToNchw(wm));
        ExpectTensorNear(RunOk("AvgPool", {NhwcToNchw(x)}, a)[0], NhwcToNchw(wa), 1e-5, 1e-5);
      }
}

TEST(NnPool, Errors) {
  Tensor x = F({1, 2, 3, 4}, {1, 2, 2, 1});
  Attrs a{{"ksize", AttrIList({2, 1, 1, 1})},
          {"strides", AttrIList({1, 1, 1, 1})},
          {"padding", AttrS("VALID")}};
  EXPECT_THAT(RunError("MaxPool", {x}, a),
              HasSubstr("Pooling is not yet supported on the batch dimension"));
  a["ksize"] = AttrIList({1, 1, 1});
  EXPECT_THAT(RunError("AvgPool", {x}, a), HasSubstr("ksize field must specify 4 dimensions"));
  a["ksize"] = AttrIList({1, 1, 1, 1});
  a["padding"] = AttrS("EXPLICIT");
  EXPECT_THAT(RunError("AvgPool", {x}, a), HasSubstr("Invalid padding 'EXPLICIT'"));
  a["padding"] = AttrS("VALID");
  EXPECT_THAT(RunError("AvgPool", {F({1, 2}, {2})}, a), HasSubstr("input must be 4-dimensional"));
  a["ksize"] = AttrIList({1, 4, 4, 1});
  EXPECT_THAT(RunError("MaxPool", {x}, a), HasSubstr("Computed output size would be negative"));
  // A window one larger than the input gives an empty (not negative) VALID output.
  a["ksize"] = AttrIList({1, 3, 3, 1});
  EXPECT_EQ(RunOk("MaxPool", {x}, a)[0].shape(), (TensorShape{1, 0, 0, 1}));
}

// ---- activations, softmax, bias ----

TEST(NnActivation, Values) {
  Tensor x = F({-3, -0.5, 0, 0.5, 7}, {5});
  ExpectTensorEq(RunOk("Relu", {x})[0], F({0, 0, 0, 0.5, 7}, {5}));
  ExpectTensorEq(RunOk("Relu6", {x})[0], F({0, 0, 0, 0.5, 6}, {5}));
  ExpectTensorNear(RunOk("Elu", {x})[0], F({std::expm1f(-3), std::expm1f(-0.5f), 0, 0.5, 7}, {5}));
  const float sc = 1.0507009873554805f, al = 1.6732632423543772f;
  ExpectTensorNear(
      RunOk("Selu", {x})[0],
      F({sc * al * std::expm1f(-3), sc * al * std::expm1f(-0.5f), 0, sc * 0.5f, sc * 7}, {5}), 1e-6,
      1e-6);
  ExpectTensorNear(RunOk("LeakyRelu", {x}, {{"alpha", AttrF(0.1f)}})[0],
                   F({-0.3f, -0.05f, 0, 0.5, 7}, {5}));
  ExpectTensorNear(RunOk("LeakyRelu", {x})[0], F({-0.6f, -0.1f, 0, 0.5, 7}, {5}));
  ExpectTensorNear(RunOk("Softsign", {x})[0], F({-0.75f, -1.f / 3, 0, 1.f / 3, 7.f / 8}, {5}));
  Tensor sp = F({-100, -20, -1, 0, 1, 20, 100}, {7});
  ExpectTensorNear(RunOk("Softplus", {sp})[0],
                   F({std::exp(-100.f), std::exp(-20.f), std::log1p(std::exp(-1.f)), std::log(2.f),
                      std::log1p(std::exp(1.f)), 20, 100},
                     {7}),
                   0, 1e-6);
  ExpectTensorEq(RunOk("Relu", {Tensor::FromVector<int32_t>({-2, 3})})[0],
                 Tensor::FromVector<int32_t>({0, 3}));
}

TEST(NnSoftmax, StableWithLargeLogits) {
  Tensor x = F({1000, 1001, 1002, -1000, 0, 1000}, {2, 3});
  auto sm = RunOk("Softmax", {x})[0];
  const double e1 = std::exp(-1.0), e2 = std::exp(-2.0), z = 1 + e1 + e2;
  ExpectTensorNear(sm, F({float(e2 / z), float(e1 / z), float(1 / z), 0, 0, 1}, {2, 3}), 1e-7,
                   1e-6);
  auto lsm = RunOk("LogSoftmax", {x})[0];
  ExpectTensorNear(
      lsm,
      F({float(-2 - std::log(z)), float(-1 - std::log(z)), float(-std::log(z)), -2000, -1000, 0},
        {2, 3}),
      1e-5, 1e-6);
  EXPECT_THAT(RunError("Softmax", {Tensor::Scalar<float>(1)}),
              HasSubstr("logits must have >= 1 dimension"));
}

TEST(NnBias, NhwcAndNchw) {
  Tensor x = F({1, 2, 3, 4, 5, 6, 7, 8}, {1, 2, 2, 2});
  Tensor b = F({10, 20}, {2});
  ExpectTensorEq(RunOk("BiasAdd", {x, b})[0], F({11, 22, 13, 24, 15, 26, 17, 28}, {1, 2, 2, 2}));
  ExpectTensorEq(RunOk("BiasAddV1", {x, b})[0], F({11, 22, 13, 24, 15, 26, 17, 28}, {1, 2, 2, 2}));
  ExpectTensorEq(RunOk("BiasAdd", {x, b}, {{"data_format", AttrS("NCHW")}})[0],
                 F({11, 12, 13, 14, 25, 26, 27, 28}, {1, 2, 2, 2}));
  EXPECT_THAT(RunError("BiasAdd", {x, F({1, 2, 3}, {3})}),
              HasSubstr("Must provide as many biases"));
  EXPECT_THAT(RunError("BiasAdd", {F({1}, {1}), b}), HasSubstr("Input tensor must be at least 2D"));
  EXPECT_THAT(RunError("BiasAdd", {x, F({1, 2}, {1, 2})}), HasSubstr("Biases must be 1D"));
  EXPECT_THAT(RunError("BiasAdd", {x, b}, {{"data_format", AttrS("HWNC")}}),
              HasSubstr("Invalid data format"));
  ExpectTensorNear(RunOk("L2Loss", {F({1, 2, 3}, {3})})[0], Tensor::Scalar<float>(7.f));
}

// ---- batch norm ----

TEST(NnBatchNorm, Inference) {
  std::mt19937 rng(11);
  Tensor x = Rand({2, 3, 4, 5}, rng, -2, 2);
  Tensor scale = Rand({5}, rng), offset = Rand({5}, rng), mean = Rand({5}, rng),
         var = Rand({5}, rng, 0.1f, 2);
  Tensor want(DType::kFloat, x.shape());
  for (int64_t i = 0; i < x.NumElements(); ++i) {
    const int64_t c = i % 5;
    want.data<float>()[i] = scale.data<float>()[c] * (x.data<float>()[i] - mean.data<float>()[c]) /
                                std::sqrt(var.data<float>()[c] + 0.001f) +
                            offset.data<float>()[c];
  }
  for (const char* op : {"FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"}) {
    auto out = RunOk(op, {x, scale, offset, mean, var},
                     {{"epsilon", AttrF(0.001f)}, {"is_training", AttrB(false)}});
    ASSERT_EQ(out.size(), std::string(op) == "FusedBatchNormV3" ? 6u : 5u);
    ExpectTensorNear(out[0], want, 1e-5, 1e-5);
    ExpectTensorEq(out[1], mean);
    ExpectTensorEq(out[2], var);
  }
  // NCHW.
  auto out = RunOk(
      "FusedBatchNormV3", {NhwcToNchw(x), scale, offset, mean, var},
      {{"epsilon", AttrF(0.001f)}, {"is_training", AttrB(false)}, {"data_format", AttrS("NCHW")}});
  ExpectTensorNear(out[0], NhwcToNchw(want), 1e-5, 1e-5);
  EXPECT_THAT(RunError("FusedBatchNormV3", {x, F({1}, {1}), offset, mean, var},
                       {{"is_training", AttrB(false)}}),
              HasSubstr("scale must have the same number of elements"));
}

TEST(NnBatchNorm, Training) {
  // One channel, values 1..4: mean 2.5, biased var 1.25, corrected var 5/3.
  Tensor x = F({1, 2, 3, 4}, {1, 2, 2, 1});
  Tensor e(DType::kFloat, {0});
  auto out =
      RunOk("FusedBatchNormV3", {x, F({1}, {1}), F({0}, {1}), e, e}, {{"epsilon", AttrF(0)}});
  const float sd = std::sqrt(1.25f);
  ExpectTensorNear(out[0], F({-1.5f / sd, -0.5f / sd, 0.5f / sd, 1.5f / sd}, {1, 2, 2, 1}), 1e-6,
                   1e-6);
  ExpectTensorNear(out[1], F({2.5}, {1}));
  ExpectTensorNear(out[2], F({5.f / 3}, {1}), 1e-6, 1e-6);
}

// ---- resize ----

TEST(NnResize, BilinearModes) {
  // 1x2x2x1 [[0,1],[2,3]] -> 3x3.
  Tensor x = F({0, 1, 2, 3}, {1, 2, 2, 1});
  // Legacy: scale 2/3; y=1 -> 0.667, y=2 -> 1.333 (clamped upper).
  ExpectTensorNear(RunOk("ResizeBilinear", {x, I32({3, 3})})[0],
                   F({0, 2.f / 3, 1, 4.f / 3, 2, 7.f / 3, 2, 8.f / 3, 3}, {1, 3, 3, 1}), 1e-6,
                   1e-6);
  // align_corners: scale 1/2.
  ExpectTensorNear(RunOk("ResizeBilinear", {x, I32({3, 3})}, {{"align_corners", AttrB(true)}})[0],
                   F({0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3}, {1, 3, 3, 1}), 1e-6, 1e-6);
  // half_pixel_centers 2->4: in = (i+0.5)*0.5-0.5 = -0.25, 0.25, 0.75, 1.25.
  // x coords: lower=max(floor,0), lerp = v - floor(v): -0.25 -> lower 0, upper 0, value 0 + ...
  auto hp = RunOk("ResizeBilinear", {F({0, 1}, {1, 1, 2, 1}), I32({1, 4})},
                  {{"half_pixel_centers", AttrB(true)}})[0];
  // y: out 1 from in 1: v = 0.5*1-0.5 = 0. x: -0.25 -> lower 0, upper min(ceil(-0.25)=0,1)=0 -> 0;
  // 0.25 -> 0.25; 0.75 -> 0.75; 1.25 -> lower 1, upper 1 -> 1.
  ExpectTensorNear(hp, F({0, 0.25, 0.75, 1}, {1, 1, 4, 1}), 1e-6, 1e-6);
  // Integer input gives float output.
  auto xi =
      RunOk("ResizeBilinear", {Tensor::FromVector<uint8_t>({0, 10}, {1, 1, 2, 1}), I32({1, 3})})[0];
  ASSERT_EQ(xi.dtype(), DType::kFloat);
  ExpectTensorNear(xi, F({0, 20.f / 3, 10}, {1, 1, 3, 1}), 1e-5, 1e-6);
}

TEST(NnResize, NearestModes) {
  Tensor x = F({0, 1, 2}, {1, 1, 3, 1});
  // Legacy 3->5: scale 0.6; floor(0, .6, 1.2, 1.8, 2.4) = 0,0,1,1,2.
  ExpectTensorEq(RunOk("ResizeNearestNeighbor", {x, I32({1, 5})})[0],
                 F({0, 0, 1, 1, 2}, {1, 1, 5, 1}));
  // align_corners 3->5: scale 0.5; round(0, .5, 1, 1.5, 2) = 0,1,1,2,2.
  ExpectTensorEq(
      RunOk("ResizeNearestNeighbor", {x, I32({1, 5})}, {{"align_corners", AttrB(true)}})[0],
      F({0, 1, 1, 2, 2}, {1, 1, 5, 1}));
  // half_pixel 3->5: (i+0.5)*0.6 = .3, .9, 1.5, 2.1, 2.7 -> floor 0,0,1,2,2.
  ExpectTensorEq(
      RunOk("ResizeNearestNeighbor", {x, I32({1, 5})}, {{"half_pixel_centers", AttrB(true)}})[0],
      F({0, 0, 1, 2, 2}, {1, 1, 5, 1}));
  // Downscale 3->2 legacy: scale 1.5; floor(0, 1.5) = 0, 1. Keeps dtype.
  ExpectTensorEq(RunOk("ResizeNearestNeighbor",
                       {Tensor::FromVector<int32_t>({5, 6, 7}, {1, 1, 3, 1}), I32({1, 2})})[0],
                 Tensor::FromVector<int32_t>({5, 6}, {1, 1, 2, 1}));
  EXPECT_THAT(RunError("ResizeNearestNeighbor", {x, I32({1, 5})},
                       {{"align_corners", AttrB(true)}, {"half_pixel_centers", AttrB(true)}}),
              HasSubstr("If half_pixel_centers is True, align_corners must be False."));
  EXPECT_THAT(RunError("ResizeBilinear", {x, I32({1, 5, 3})}),
              HasSubstr("shape_t must have two elements"));
  EXPECT_THAT(RunError("ResizeBilinear", {F({1}, {1, 1, 1}), I32({1, 5})}),
              HasSubstr("input must be 4-dimensional"));
  EXPECT_THAT(RunError("ResizeBilinear", {x, I32({0, 5})}),
              HasSubstr("output dimensions must be positive"));
}

// ---- latency (run with --gtest_also_run_disabled_tests) ----

double MedianMicros(const std::function<void()>& fn, int iters) {
  for (int i = 0; i < 20; ++i) fn();
  std::vector<double> t;
  for (int i = 0; i < iters; ++i) {
    auto s = std::chrono::steady_clock::now();
    fn();
    t.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - s).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// Builds the kernel once (so primitive caches persist) and times Compute alone.
double KernelMicros(const std::string& op, const std::vector<Tensor>& inputs, const Attrs& attrs,
                    int iters) {
  tensorflow::NodeDef node;
  node.set_name("k");
  node.set_op(op);
  for (size_t i = 0; i < inputs.size(); ++i) node.add_input("in" + std::to_string(i));
  for (const auto& [k, v] : attrs) (*node.mutable_attr())[k] = v;
  KernelInit init(node, nullptr, static_cast<int>(inputs.size()));
  auto kernel = (*KernelRegistry::Global().Find(op))(init);
  EXPECT_TRUE(kernel.ok());
  if (!kernel.ok()) return -1;
  std::vector<const Tensor*> in;
  for (const auto& t : inputs) in.push_back(&t);
  std::string name = "k";
  return MedianMicros(
      [&] {
        std::vector<Tensor> outputs;
        KernelContext ctx(&name, &node.op(), in, {}, &outputs, nullptr, nullptr, nullptr, 1);
        EXPECT_TRUE((*kernel)->Compute(&ctx).ok());
      },
      iters);
}

TEST(NnPerf, DISABLED_Latency) {
  std::mt19937 rng(12);
  for (int64_t n : {256, 1024}) {
    Tensor a = Rand({1, 784}, rng), b = Rand({784, n}, rng);
    const double us = KernelMicros("MatMul", {a, b}, {}, 2000);
    std::printf("MatMul [1,784]x[784,%ld] single-thread: %.1f us\n", (long)n, us);
  }
  struct C {
    int64_t h, c, oc, k, s;
    const char* name;
  };
  for (C c : {C{56, 64, 64, 3, 1, "resnet 3x3 56x56x64->64"},
              C{112, 32, 64, 1, 1, "mobilenet 1x1 112x112x32->64"},
              C{224, 3, 32, 3, 2, "mobilenet first 3x3/2 224x224x3->32"}}) {
    Tensor x = Rand({1, c.h, c.h, c.c}, rng), f = Rand({c.k, c.k, c.c, c.oc}, rng);
    Attrs a{{"strides", AttrIList({1, c.s, c.s, 1})}, {"padding", AttrS("SAME")}};
    const double us = KernelMicros("Conv2D", {x, f}, a, 50);
    std::printf("Conv2D %s: %.1f us\n", c.name, us);
  }
  Tensor x = Rand({1, 112, 112, 64}, rng), f = Rand({3, 3, 64, 1}, rng);
  Attrs a{{"strides", AttrIList({1, 2, 2, 1})}, {"padding", AttrS("SAME")}};
  const double us = KernelMicros("DepthwiseConv2dNative", {x, f}, a, 50);
  std::printf("Depthwise 3x3/2 112x112x64: %.1f us\n", us);
}

}  // namespace
}  // namespace tfmodel::runtime

namespace tfmodel::runtime {
namespace {

// One kernel object computing from several threads at once (shared primitive cache).
TEST(NnConv, ConcurrentCompute) {
  std::mt19937 rng(13);
  Tensor x = Rand({1, 9, 9, 4}, rng), f = Rand({3, 3, 4, 5}, rng);
  ConvCase p{1, 9, 9, 4, 3, 3, 5, 2, 2, 1, 1, "SAME", {}};
  Tensor want = RefConv(x, f, p, false);
  Attrs attrs = ConvAttrs(p, false);
  tensorflow::NodeDef node;
  node.set_name("k");
  node.set_op("Conv2D");
  for (const auto& [k, v] : attrs) (*node.mutable_attr())[k] = v;
  KernelInit init(node, nullptr, 2);
  auto kernel = (*KernelRegistry::Global().Find("Conv2D"))(init);
  ASSERT_TRUE(kernel.ok());
  std::vector<std::thread> threads;
  std::vector<Tensor> results(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::string name = "k";
      for (int i = 0; i < 20; ++i) {
        std::vector<Tensor> outputs;
        const Tensor* in[] = {&x, &f};
        KernelContext ctx(&name, &node.op(), in, {}, &outputs, nullptr, nullptr, nullptr, 1);
        if ((*kernel)->Compute(&ctx).ok()) results[t] = outputs[0];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const Tensor& r : results) ExpectTensorNear(r, want, 1e-4, 1e-4);
}

}  // namespace
}  // namespace tfmodel::runtime
