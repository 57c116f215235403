// LSTM, UNIDIRECTIONAL_SEQUENCE_LSTM and BIDIRECTIONAL_SEQUENCE_LSTM on hand-built models,
// against the LSTM equations computed step by step in the test (RefLstm): plain, CIFG with
// peepholes, projection and clipping, layer normalization, batch-major and time-major, the
// reversed backward direction, hybrid (int8 weights) and the full-integer 8x8->16 cell
// (compared with the float equations on the dequantized values).
#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "test_util.h"
#include "tflite_test_util.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;
using ::testing::HasSubstr;
using testing::TfLiteModelBuilder;
using TT = fb::TensorType;

float Sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// The LSTM equations, one step at a time.
struct RefLstm {
  int ni = 2, nc = 2, no = 2;
  std::vector<float> wx[4], wh[4], bias[4], peephole[4], ln[4];  // gates i, f, g, o
  std::vector<float> proj, proj_bias;
  float cell_clip = 0, proj_clip = 0;
  bool cifg() const { return wx[0].empty(); }

  std::vector<float> Gate(int g, const float* x, const std::vector<float>& h,
                          const std::vector<float>& c) const {
    std::vector<float> v(nc, 0.0f);
    for (int r = 0; r < nc; ++r) {
      for (int k = 0; k < ni; ++k) v[r] += wx[g][r * ni + k] * x[k];
      for (int k = 0; k < no; ++k) v[r] += wh[g][r * no + k] * h[k];
      if (!peephole[g].empty()) v[r] += peephole[g][r] * c[r];
    }
    if (!ln[g].empty()) {
      float mean = 0, var = 0;
      for (float e : v) mean += e / nc;
      for (float e : v) var += (e - mean) * (e - mean) / nc;
      for (int r = 0; r < nc; ++r) v[r] = (v[r] - mean) / std::sqrt(var + 1e-8f) * ln[g][r];
    }
    for (int r = 0; r < nc; ++r) {
      v[r] += bias[g][r];
      v[r] = g == 2 ? std::tanh(v[r]) : Sigmoid(v[r]);
    }
    return v;
  }

  // Updates h and c; returns the output (h).
  std::vector<float> Step(const float* x, std::vector<float>& h, std::vector<float>& c) const {
    const std::vector<float> f = Gate(1, x, h, c);
    const std::vector<float> g = Gate(2, x, h, c);
    std::vector<float> i(nc);
    if (cifg()) {
      for (int r = 0; r < nc; ++r) i[r] = 1 - f[r];
    } else {
      i = Gate(0, x, h, c);
    }
    for (int r = 0; r < nc; ++r) {
      c[r] = f[r] * c[r] + i[r] * g[r];
      if (cell_clip > 0) c[r] = std::max(-cell_clip, std::min(cell_clip, c[r]));
    }
    const std::vector<float> o = Gate(3, x, h, c);
    std::vector<float> hidden(nc);
    for (int r = 0; r < nc; ++r) hidden[r] = o[r] * std::tanh(c[r]);
    if (proj.empty()) {
      h = hidden;
    } else {
      for (int r = 0; r < no; ++r) {
        float v = proj_bias.empty() ? 0.0f : proj_bias[r];
        for (int k = 0; k < nc; ++k) v += proj[r * nc + k] * hidden[k];
        if (proj_clip > 0) v = std::max(-proj_clip, std::min(proj_clip, v));
        h[r] = v;
      }
    }
    return h;
  }

  // Outputs of a [batch, time, ni] (or time-major) sequence, in the same layout.
  std::vector<float> Run(const std::vector<float>& x, int batch, int time, bool time_major,
                         bool reverse = false) const {
    std::vector<float> out(static_cast<size_t>(batch * time * no));
    for (int b = 0; b < batch; ++b) {
      std::vector<float> h(no, 0.0f), c(nc, 0.0f);
      for (int s = 0; s < time; ++s) {
        const int t = reverse ? time - 1 - s : s;
        const int row = time_major ? t * batch + b : b * time + t;
        const std::vector<float> y = Step(&x[row * ni], h, c);
        std::copy(y.begin(), y.end(), out.begin() + row * no);
      }
    }
    return out;
  }
};

RefLstm BasicRef() {
  RefLstm r;
  r.wx[0] = {0.1f, -0.2f, 0.3f, 0.4f};
  r.wx[1] = {-0.5f, 0.6f, 0.2f, 0.1f};
  r.wx[2] = {0.3f, 0.3f, -0.4f, 0.2f};
  r.wx[3] = {0.2f, -0.1f, 0.5f, -0.3f};
  r.wh[0] = {0.05f, 0.1f, -0.2f, 0.3f};
  r.wh[1] = {0.4f, -0.3f, 0.1f, 0.2f};
  r.wh[2] = {-0.1f, 0.2f, 0.3f, -0.4f};
  r.wh[3] = {0.3f, 0.1f, -0.2f, 0.2f};
  r.bias[0] = {0.1f, -0.1f};
  r.bias[1] = {1.0f, 0.5f};
  r.bias[2] = {0.0f, 0.2f};
  r.bias[3] = {-0.2f, 0.3f};
  return r;
}

// A float UNIDIRECTIONAL_SEQUENCE_LSTM (24 inputs) for `ref` over input shape `in_shape`.
std::unique_ptr<TfLiteModel> BuildFloatLstm(const RefLstm& ref, std::vector<int32_t> in_shape,
                                            bool time_major, int batch) {
  TfLiteModelBuilder b;
  const int x = b.Tensor<float>("x", TT::FLOAT32, in_shape);
  std::vector<int32_t> in(24, -1);
  in[0] = x;
  auto add = [&](int slot, const std::string& name, std::vector<int32_t> shape,
                 const std::vector<float>& v) {
    if (!v.empty()) in[slot] = b.Const(name, shape, v);
  };
  for (int g = 0; g < 4; ++g) {
    const std::string n = std::to_string(g);
    add(1 + g, "wx" + n, {ref.nc, ref.ni}, ref.wx[g]);
    add(5 + g, "wh" + n, {ref.nc, ref.no}, ref.wh[g]);
    if (g != 2) add(9 + (g == 3 ? 2 : g), "peep" + n, {ref.nc}, ref.peephole[g]);
    add(12 + g, "bias" + n, {ref.nc}, ref.bias[g]);
    add(20 + g, "ln" + n, {ref.nc}, ref.ln[g]);
  }
  add(16, "proj", {ref.no, ref.nc}, ref.proj);
  add(17, "proj_bias", {ref.no}, ref.proj_bias);
  in[18] = b.Tensor<float>("h", TT::FLOAT32, {batch, ref.no});
  b.SetVariable(in[18]);
  in[19] = b.Tensor<float>("c", TT::FLOAT32, {batch, ref.nc});
  b.SetVariable(in[19]);
  std::vector<int32_t> out_shape = in_shape;
  out_shape.back() = ref.no;
  const int y = b.Tensor<float>("y", TT::FLOAT32, out_shape);
  fb::UnidirectionalSequenceLSTMOptionsT o;
  o.fused_activation_function = fb::ActivationFunctionType::TANH;
  o.cell_clip = ref.cell_clip;
  o.proj_clip = ref.proj_clip;
  o.time_major = time_major;
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  b.Op(B::UNIDIRECTIONAL_SEQUENCE_LSTM, in, {y}, std::move(u));
  return b.Build({x}, {y});
}

std::vector<float> RunFloat(TfLiteModel& m, const std::vector<float>& x,
                            std::vector<int64_t> shape) {
  auto out = m.Run({{"x", Tensor::FromVector<float>(x, TensorShape(shape))}}, {"y"}, {});
  EXPECT_TRUE(out.ok()) << out.status();
  if (!out.ok()) return {};
  return std::vector<float>((*out)[0].data<float>(),
                            (*out)[0].data<float>() + (*out)[0].NumElements());
}

void ExpectNear(const std::vector<float>& got, const std::vector<float>& want, float tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
}

const std::vector<float> kInput = {0.5f, -1.0f, 0.25f, 0.75f, -0.5f, 0.1f,
                                   1.0f, 0.3f,  -0.2f, -0.6f, 0.8f,  0.0f};

TEST(TfLiteLstmTest, FirstStepMatchesTheEquationsByHand) {
  // One unit, one input: from zero state, h = sigmoid(bo + wo x) tanh(sigmoid(bi + wi x)
  // tanh(bg + wg x)).
  RefLstm r;
  r.ni = r.nc = r.no = 1;
  r.wx[0] = {0.5f}, r.wx[1] = {1.0f}, r.wx[2] = {2.0f}, r.wx[3] = {-1.0f};
  r.wh[0] = {1}, r.wh[1] = {1}, r.wh[2] = {1}, r.wh[3] = {1};
  r.bias[0] = {0.0f}, r.bias[1] = {0.0f}, r.bias[2] = {0.0f}, r.bias[3] = {0.5f};
  auto m = BuildFloatLstm(r, {1, 1, 1}, false, 1);
  ASSERT_NE(m, nullptr);
  const float x = 0.8f;
  const float c = Sigmoid(0.4f) * std::tanh(1.6f);
  const float h = Sigmoid(0.5f - 0.8f) * std::tanh(c);
  ExpectNear(RunFloat(*m, {x}, {1, 1, 1}), {h}, 1e-6f);
}

TEST(TfLiteLstmTest, BatchMajorSequence) {
  const RefLstm r = BasicRef();
  auto m = BuildFloatLstm(r, {2, 3, 2}, false, 2);
  ASSERT_NE(m, nullptr);
  ExpectNear(RunFloat(*m, kInput, {2, 3, 2}), r.Run(kInput, 2, 3, false), 1e-5f);
}

TEST(TfLiteLstmTest, TimeMajorSequence) {
  const RefLstm r = BasicRef();
  auto m = BuildFloatLstm(r, {3, 2, 2}, true, 2);
  ASSERT_NE(m, nullptr);
  ExpectNear(RunFloat(*m, kInput, {3, 2, 2}), r.Run(kInput, 2, 3, true), 1e-5f);
}

TEST(TfLiteLstmTest, CifgPeepholeProjectionAndClipping) {
  RefLstm r = BasicRef();
  r.wx[0].clear(), r.wh[0].clear(), r.bias[0].clear();
  r.peephole[1] = {0.3f, -0.2f};
  r.peephole[3] = {-0.4f, 0.5f};
  r.no = 3;
  r.wh[1] = {0.4f, -0.3f, 0.1f, 0.2f, 0.1f, -0.1f};
  r.wh[2] = {-0.1f, 0.2f, 0.3f, -0.4f, 0.2f, 0.2f};
  r.wh[3] = {0.3f, 0.1f, -0.2f, 0.2f, 0.5f, -0.5f};
  r.proj = {1.5f, -0.5f, 0.7f, 0.9f, -1.2f, 0.4f};
  r.proj_bias = {0.1f, 0.0f, -0.1f};
  r.cell_clip = 0.6f;
  r.proj_clip = 0.15f;
  auto m = BuildFloatLstm(r, {2, 3, 2}, false, 2);
  ASSERT_NE(m, nullptr);
  const std::vector<float> want = r.Run(kInput, 2, 3, false);
  bool clipped = false;
  for (float v : want) clipped = clipped || std::abs(v) == 0.15f;
  EXPECT_TRUE(clipped) << "the test should exercise proj_clip";
  ExpectNear(RunFloat(*m, kInput, {2, 3, 2}), want, 1e-5f);
}

TEST(TfLiteLstmTest, LayerNormalization) {
  RefLstm r = BasicRef();
  r.ln[0] = {1.0f, 0.5f};
  r.ln[1] = {0.8f, 1.2f};
  r.ln[2] = {1.0f, -1.0f};
  r.ln[3] = {0.3f, 0.9f};
  auto m = BuildFloatLstm(r, {2, 3, 2}, false, 2);
  ASSERT_NE(m, nullptr);
  ExpectNear(RunFloat(*m, kInput, {2, 3, 2}), r.Run(kInput, 2, 3, false), 1e-5f);
}

TEST(TfLiteLstmTest, RunsAreIndependent) {
  // State starts from zero in every run: the same input gives the same output twice.
  const RefLstm r = BasicRef();
  auto m = BuildFloatLstm(r, {2, 3, 2}, false, 2);
  ASSERT_NE(m, nullptr);
  const std::vector<float> first = RunFloat(*m, kInput, {2, 3, 2});
  EXPECT_EQ(RunFloat(*m, kInput, {2, 3, 2}), first);
}

TEST(TfLiteLstmTest, WrongInputDepthIsAnError) {
  const RefLstm r = BasicRef();
  auto m = BuildFloatLstm(r, {2, 3, 2}, false, 2);
  ASSERT_NE(m, nullptr);
  auto out = m->Run({{"x", Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, TensorShape{2, 1, 3})}},
                    {"y"}, {});
  ASSERT_FALSE(out.ok());
}

TEST(TfLiteLstmTest, MissingForgetWeightsIsALoadError) {
  TfLiteModelBuilder b;
  const int x = b.Tensor<float>("x", TT::FLOAT32, {1, 1, 2});
  std::vector<int32_t> in(24, -1);
  in[0] = x;
  in[4] = b.Const("wo", {2, 2}, {1, 2, 3, 4});
  in[8] = b.Const("ho", {2, 2}, {1, 2, 3, 4});
  const int y = b.Tensor<float>("y", TT::FLOAT32, {1, 1, 2});
  fb::UnidirectionalSequenceLSTMOptionsT o;
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  b.Op(B::UNIDIRECTIONAL_SEQUENCE_LSTM, in, {y}, std::move(u));
  b.ExpectLoadError({x}, {y}, "forget input weights");
}

TEST(TfLiteLstmTest, BidirectionalMergedOutputsRunTheBackwardDirectionReversed) {
  const RefLstm fw = BasicRef();
  RefLstm bw = BasicRef();
  for (auto& w : bw.wx) {
    for (float& v : w) v = -v;
  }
  bw.bias[1] = {-0.3f, 0.8f};
  TfLiteModelBuilder b;
  const int x = b.Tensor<float>("x", TT::FLOAT32, {3, 2, 2});  // time-major
  std::vector<int32_t> in(48, -1);
  in[0] = x;
  for (int d = 0; d < 2; ++d) {
    const RefLstm& r = d == 0 ? fw : bw;
    const int base = d == 0 ? 0 : 17;
    for (int g = 0; g < 4; ++g) {
      const std::string n = std::to_string(d) + std::to_string(g);
      in[base + 1 + g] = b.Const("wx" + n, {2, 2}, r.wx[g]);
      in[base + 5 + g] = b.Const("wh" + n, {2, 2}, r.wh[g]);
      in[base + 12 + g] = b.Const("bias" + n, {2}, r.bias[g]);
    }
    in[35 + 2 * d] = b.Tensor<float>("h" + std::to_string(d), TT::FLOAT32, {2, 2});
    in[36 + 2 * d] = b.Tensor<float>("c" + std::to_string(d), TT::FLOAT32, {2, 2});
    b.SetVariable(in[35 + 2 * d]);
    b.SetVariable(in[36 + 2 * d]);
  }
  const int y = b.Tensor<float>("y", TT::FLOAT32, {3, 2, 4});
  fb::BidirectionalSequenceLSTMOptionsT o;
  o.fused_activation_function = fb::ActivationFunctionType::TANH;
  o.merge_outputs = true;
  o.time_major = true;
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  b.Op(B::BIDIRECTIONAL_SEQUENCE_LSTM, in, {y}, std::move(u));
  auto m = b.Build({x}, {y});
  ASSERT_NE(m, nullptr);
  const std::vector<float> f = fw.Run(kInput, 2, 3, true);
  const std::vector<float> r = bw.Run(kInput, 2, 3, true, /*reverse=*/true);
  std::vector<float> want;
  for (int row = 0; row < 6; ++row) {
    want.insert(want.end(), f.begin() + row * 2, f.begin() + row * 2 + 2);
    want.insert(want.end(), r.begin() + row * 2, r.begin() + row * 2 + 2);
  }
  ExpectNear(RunFloat(*m, kInput, {3, 2, 2}), want, 1e-5f);
}

// Quantizes v with `scale` (symmetric, int8 or int32).
template <typename T>
std::vector<T> Q(const std::vector<float>& v, float scale) {
  std::vector<T> q;
  for (float e : v) q.push_back(static_cast<T>(std::lround(e / scale)));
  return q;
}
template <typename T>
std::vector<float> Dq(const std::vector<T>& q, float scale, int zp = 0) {
  std::vector<float> v;
  for (T e : q) v.push_back(scale * (static_cast<float>(e) - zp));
  return v;
}

TEST(TfLiteLstmTest, HybridInt8WeightsMatchTheDequantizedEquations) {
  RefLstm r = BasicRef();
  const float ws = 0.6f / 127;
  TfLiteModelBuilder b;
  const int x = b.Tensor<float>("x", TT::FLOAT32, {2, 3, 2});
  std::vector<int32_t> in(24, -1);
  in[0] = x;
  for (int g = 0; g < 4; ++g) {
    const std::string n = std::to_string(g);
    const auto qx = Q<int8_t>(r.wx[g], ws), qh = Q<int8_t>(r.wh[g], ws);
    in[1 + g] = b.Tensor<int8_t>("wx" + n, TT::INT8, {2, 2}, {ws}, {0}, 0, qx);
    in[5 + g] = b.Tensor<int8_t>("wh" + n, TT::INT8, {2, 2}, {ws}, {0}, 0, qh);
    in[12 + g] = b.Const("bias" + n, {2}, r.bias[g]);
    r.wx[g] = Dq(qx, ws), r.wh[g] = Dq(qh, ws);
  }
  in[18] = b.Tensor<float>("h", TT::FLOAT32, {2, 2});
  b.SetVariable(in[18]);
  in[19] = b.Tensor<float>("c", TT::FLOAT32, {2, 2});
  b.SetVariable(in[19]);
  const int y = b.Tensor<float>("y", TT::FLOAT32, {2, 3, 2});
  fb::UnidirectionalSequenceLSTMOptionsT o;
  o.fused_activation_function = fb::ActivationFunctionType::TANH;
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  b.Op(B::UNIDIRECTIONAL_SEQUENCE_LSTM, in, {y}, std::move(u));
  auto m = b.Build({x}, {y});
  ASSERT_NE(m, nullptr);
  // The activations are quantized per row to 8 bits too: agreement to ~1e-2.
  ExpectNear(RunFloat(*m, kInput, {2, 3, 2}), r.Run(kInput, 2, 3, false), 2e-2f);
}

TEST(TfLiteLstmTest, IntegerLstmMatchesTheDequantizedEquations) {
  RefLstm r = BasicRef();
  const float in_scale = 1.0f / 100, ws = 0.6f / 127, h_scale = 1.0f / 128;
  const int in_zp = 3, h_zp = -2;
  TfLiteModelBuilder b;
  const int x = b.Tensor<int8_t>("x", TT::INT8, {2, 3, 2}, {in_scale}, {in_zp});
  std::vector<int32_t> in(24, -1);
  in[0] = x;
  for (int g = 0; g < 4; ++g) {
    const std::string n = std::to_string(g);
    const auto qx = Q<int8_t>(r.wx[g], ws), qh = Q<int8_t>(r.wh[g], ws);
    const auto qb = Q<int32_t>(r.bias[g], ws * in_scale);
    in[1 + g] = b.Tensor<int8_t>("wx" + n, TT::INT8, {2, 2}, {ws}, {0}, 0, qx);
    in[5 + g] = b.Tensor<int8_t>("wh" + n, TT::INT8, {2, 2}, {ws}, {0}, 0, qh);
    in[12 + g] = b.Tensor<int32_t>("bias" + n, TT::INT32, {2}, {ws * in_scale}, {0}, 0, qb);
    r.wx[g] = Dq(qx, ws), r.wh[g] = Dq(qh, ws), r.bias[g] = Dq(qb, ws * in_scale);
  }
  in[18] = b.Tensor<int8_t>("h", TT::INT8, {2, 2}, {h_scale}, {h_zp});
  b.SetVariable(in[18]);
  in[19] = b.Tensor<int16_t>("c", TT::INT16, {2, 2}, {1.0f / 2048}, {0});
  b.SetVariable(in[19]);
  const int y = b.Tensor<int8_t>("y", TT::INT8, {2, 3, 2}, {h_scale}, {h_zp});
  fb::UnidirectionalSequenceLSTMOptionsT o;
  o.fused_activation_function = fb::ActivationFunctionType::TANH;
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  b.Op(B::UNIDIRECTIONAL_SEQUENCE_LSTM, in, {y}, std::move(u));
  std::vector<int32_t> inter;
  for (int k = 0; k < 4; ++k) {
    inter.push_back(b.Tensor<int16_t>("i" + std::to_string(k), TT::INT16, {}, {1.0f / 4096}, {0}));
  }
  inter.push_back(b.Tensor<int8_t>("hidden", TT::INT8, {}, {h_scale}, {h_zp}));
  b.SetIntermediates(inter);
  auto m = b.Build({x}, {y});
  ASSERT_NE(m, nullptr);
  const std::vector<int8_t> qin = [&] {
    std::vector<int8_t> q;
    for (float v : kInput) q.push_back(static_cast<int8_t>(std::lround(v / in_scale) + in_zp));
    return q;
  }();
  auto out = m->Run({{"x", Tensor::FromVector<int8_t>(qin, TensorShape{2, 3, 2})}}, {"y"}, {});
  ASSERT_TRUE(out.ok()) << out.status();
  const Tensor& t = (*out)[0];
  const std::vector<float> got =
      Dq(std::vector<int8_t>(t.data<int8_t>(), t.data<int8_t>() + t.NumElements()), h_scale, h_zp);
  // Within a few output quantization steps of the float equations on the same values.
  ExpectNear(got, r.Run(Dq(qin, in_scale, in_zp), 2, 3, false), 3 * h_scale);
}

TEST(TfLiteLstmTest, IntegerLstmWithoutIntermediatesIsALoadError) {
  TfLiteModelBuilder b;
  const int x = b.Tensor<int8_t>("x", TT::INT8, {1, 1, 2}, {0.1f}, {0});
  std::vector<int32_t> in(24, -1);
  in[0] = x;
  for (int g = 1; g < 4; ++g) {
    in[1 + g] = b.Tensor<int8_t>("wx", TT::INT8, {2, 2}, {0.1f}, {0}, 0, {1, 2, 3, 4});
    in[5 + g] = b.Tensor<int8_t>("wh", TT::INT8, {2, 2}, {0.1f}, {0}, 0, {1, 2, 3, 4});
    in[12 + g] = b.Tensor<int32_t>("b", TT::INT32, {2}, {0.01f}, {0}, 0, {1, 2});
  }
  in[18] = b.Tensor<int8_t>("h", TT::INT8, {1, 2}, {0.1f}, {0});
  b.SetVariable(in[18]);
  in[19] = b.Tensor<int16_t>("c", TT::INT16, {1, 2}, {1.0f / 2048}, {0});
  b.SetVariable(in[19]);
  const int y = b.Tensor<int8_t>("y", TT::INT8, {1, 1, 2}, {0.1f}, {0});
  fb::UnidirectionalSequenceLSTMOptionsT o;
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  b.Op(B::UNIDIRECTIONAL_SEQUENCE_LSTM, in, {y}, std::move(u));
  b.ExpectLoadError({x}, {y}, "intermediate tensors");
}

}  // namespace
}  // namespace tfmodel::tflite
