// TFLite's UNIDIRECTIONAL_SEQUENCE_LSTM on the converter's own models: tflite-micro's MNIST
// LSTM (one Keras model, converted once to float and once to full integer int8 with int16
// cell state). On the same image the integer LSTM's (dequantized) outputs and the logits
// after it agree with the float model's, and the float model classifies a drawn digit
// sensibly (probabilities sum to 1).
#include <cmath>

#include "format/tflite.h"
#include "gtest/gtest.h"
#include "test_util.h"
#include "tflite/model.h"

namespace tfmodel {
namespace {

using tfmodel::testing::Testdata;

std::unique_ptr<tflite::TfLiteModel> LoadWild(const std::string& rel) {
  auto f = TfLiteFile::Read(Testdata("wild/" + rel));
  EXPECT_TRUE(f.ok()) << f.status();
  if (!f.ok()) return nullptr;
  auto m = tflite::TfLiteModel::Load(std::move(*f));
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? std::move(*m) : nullptr;
}

// A 28x28 image in [0, 1]: a thick ring (roughly a zero) over a faint gradient.
std::vector<float> Image() {
  std::vector<float> v(28 * 28);
  for (int r = 0; r < 28; ++r) {
    for (int c = 0; c < 28; ++c) {
      const float d = std::hypot(r - 13.5f, (c - 13.5f) * 1.3f);
      const float ring = std::max(0.0f, 1.0f - std::abs(d - 8.0f) / 2.5f);
      v[r * 28 + c] = std::min(1.0f, ring + 0.02f * static_cast<float>(c % 5));
    }
  }
  return v;
}

std::vector<float> Dequantize(const Tensor& t, float scale, int zp) {
  std::vector<float> v;
  for (int64_t i = 0; i < t.NumElements(); ++i) {
    v.push_back(scale * static_cast<float>(t.data<int8_t>()[i] - zp));
  }
  return v;
}

TEST(TfLiteLstmConformanceTest, MnistLstmIntegerAgreesWithFloat) {
  TFM_REQUIRE_TESTDATA();
  auto fm = LoadWild("micro-mnist-lstm-float/trained_lstm.tflite");
  auto qm = LoadWild("micro-mnist-lstm-int8/trained_lstm_int8.tflite");
  ASSERT_NE(fm, nullptr);
  ASSERT_NE(qm, nullptr);
  const std::vector<float> img = Image();
  // The int8 input: scale 1/255, zero point -128.
  std::vector<int8_t> q;
  for (float v : img) q.push_back(static_cast<int8_t>(std::lround(v * 255.0f) - 128));
  const char* kLstm = "tfl.unidirectional_sequence_lstm";
  const char* kLogits = "model/sequential/output/MatMul;model/sequential/output/BiasAdd";
  TFM_ASSERT_OK_AND_ASSIGN(auto fout,
                           fm->Run({{"serving_default_fixed_input:0",
                                     Tensor::FromVector<float>(img, TensorShape{1, 28, 28})}},
                                   {kLstm, kLogits, "StatefulPartitionedCall:0"}));
  // Only the LSTM and the FULLY_CONNECTED after it run (the int8 SOFTMAX is not needed).
  TFM_ASSERT_OK_AND_ASSIGN(auto qout,
                           qm->Run({{"serving_default_fixed_input:0",
                                     Tensor::FromVector<int8_t>(q, TensorShape{1, 28, 28})}},
                                   {kLstm, kLogits}));
  ASSERT_EQ(fout[0].shape(), TensorShape({1, 28, 20}));
  ASSERT_EQ(qout[0].shape(), TensorShape({1, 28, 20}));
  // LSTM outputs: int8 with scale 0.00781679 (zero point 0), over 28 recurrent steps.
  const std::vector<float> lstm_q = Dequantize(qout[0], 0.00781679f, 0);
  float max_diff = 0, sum_diff = 0;
  for (size_t i = 0; i < lstm_q.size(); ++i) {
    const float d = std::abs(lstm_q[i] - fout[0].data<float>()[i]);
    max_diff = std::max(max_diff, d);
    sum_diff += d;
  }
  EXPECT_LT(max_diff, 0.1f);
  EXPECT_LT(sum_diff / lstm_q.size(), 0.02f);
  // Logits: int8 with scale 0.17366, zero point 3; the same class wins.
  const std::vector<float> logits_q = Dequantize(qout[1], 0.17366f, 3);
  const float* logits_f = fout[1].data<float>();
  int arg_f = 0, arg_q = 0;
  for (int k = 0; k < 10; ++k) {
    EXPECT_NEAR(logits_q[k], logits_f[k], 0.7f) << "logit " << k;
    if (logits_f[k] > logits_f[arg_f]) arg_f = k;
    if (logits_q[k] > logits_q[arg_q]) arg_q = k;
  }
  EXPECT_EQ(arg_q, arg_f);
  // The float model's probabilities.
  float sum = 0;
  for (int k = 0; k < 10; ++k) sum += fout[2].data<float>()[k];
  EXPECT_NEAR(sum, 1.0f, 1e-5f);
}

}  // namespace
}  // namespace tfmodel
