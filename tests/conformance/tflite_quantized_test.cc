// Full-integer quantized TFLite models from testdata/wild checked against a float version of
// themselves.
//
// The int8 MLCommons Tiny keyword spotter (wild/tiny-kws-dscnn-int8, kws_ref_model.tflite)
// is NOT a conversion of the DS-CNN SavedModel next to it (wild/tiny-kws-dscnn-savedmodel):
// the two were trained separately. Dequantized, the int8 model's FULLY_CONNECTED weights
// (tensor functional_1/dense/MatMul, [12,64], no batch norm folded in) correlate with the
// SavedModel's dense kernel (layer_with_weights-18/kernel, [64,12]) at 0.01, max difference
// 1.47 for weights of magnitude <= 1.1; the first CONV_2D filter correlates at 0.03 (0.04
// after folding the SavedModel's batch norm into it); the dense biases differ too. Comparing
// their outputs therefore says nothing about the int8 kernels (it disagreed, which is what
// the earlier, disabled version of this test found).
//
// Instead the test builds the float twin of the int8 file: same graph, every quantized
// tensor made float32 and every quantized constant (int8 weights, int32 biases) dequantized
// with its own per-channel scales. That runs through tfmodel's float (TF kernel) path, the
// int8 file through the integer kernels (CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D,
// RESHAPE, FULLY_CONNECTED, SOFTMAX), on the same dequantized input: the probabilities must
// agree within quantization error, with the same top class.
//
// DISABLED: written at the end of the tflite-quant-fix session and not yet compiled or run
// (the shared machine was too loaded to build conformance_test in time). Build, run with
// --gtest_also_run_disabled_tests, adjust the 0.08 tolerance to the measured max |dp| if
// needed, then enable. A failure here (same weights, same input) points at the int8
// kernels; fetch the intermediate outputs (tensors 22..33) of both models to find the
// first diverging layer.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "format/tflite.h"
#include "gtest/gtest.h"
#include "test_util.h"
#include "tflite/model.h"

namespace tfmodel {
namespace {

using tfmodel::testing::Testdata;
namespace fb = ::tfmodel::tflite_fb;

// The float twin of a quantized model's bytes (see the file comment).
std::string FloatTwin(const std::string& bytes) {
  std::unique_ptr<fb::ModelT> m = fb::UnPackModel(bytes.data());
  for (auto& sg : m->subgraphs) {
    for (auto& t : sg->tensors) {
      if (!t->quantization || t->quantization->scale.empty()) continue;
      if (t->type != fb::TensorType::INT8 && t->type != fb::TensorType::UINT8 &&
          t->type != fb::TensorType::INT32) {
        continue;
      }
      const auto& q = *t->quantization;
      auto& buf = m->buffers[t->buffer]->data;
      if (!buf.empty()) {
        const size_t width = t->type == fb::TensorType::INT32 ? 4 : 1;
        const size_t n = buf.size() / width;
        // Elements per step of the quantized dimension.
        size_t inner = 1;
        for (size_t d = q.quantized_dimension + 1; d < t->shape.size(); ++d) inner *= t->shape[d];
        std::vector<float> f(n);
        for (size_t i = 0; i < n; ++i) {
          int64_t v = 0;
          if (t->type == fb::TensorType::INT32) {
            int32_t x;
            std::memcpy(&x, &buf[4 * i], 4);
            v = x;
          } else if (t->type == fb::TensorType::INT8) {
            v = static_cast<int8_t>(buf[i]);
          } else {
            v = buf[i];
          }
          const size_t ch = q.scale.size() == 1 ? 0 : (i / inner) % q.scale.size();
          const int64_t zp = q.zero_point.empty() ? 0 : q.zero_point[ch];
          f[i] = q.scale[ch] * static_cast<float>(v - zp);
        }
        const auto* p = reinterpret_cast<const uint8_t*>(f.data());
        buf.assign(p, p + f.size() * sizeof(float));
      }
      t->type = fb::TensorType::FLOAT32;
      t->quantization.reset();
    }
  }
  flatbuffers::FlatBufferBuilder fbb;
  fb::FinishModelBuffer(fbb, fb::Model::Pack(fbb, m.get()));
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

TEST(TfLiteQuantizedModels, DISABLED_KwsDsCnnInt8MatchesItsFloatTwin) {
  TFM_REQUIRE_TESTDATA();
  const std::string path = Testdata("wild/tiny-kws-dscnn-int8/kws_ref_model.tflite");
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << path;
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  auto qfile = TfLiteFile::FromBytes(bytes, "kws_ref_model.tflite");
  ASSERT_TRUE(qfile.ok()) << qfile.status();
  auto q = tflite::TfLiteModel::Load(std::move(*qfile));
  ASSERT_TRUE(q.ok()) << q.status();
  auto ffile = TfLiteFile::FromBytes(FloatTwin(bytes), "kws_float_twin.tflite");
  ASSERT_TRUE(ffile.ok()) << ffile.status();
  auto f = tflite::TfLiteModel::Load(std::move(*ffile));
  ASSERT_TRUE(f.ok()) << f.status();
  // The int8 input's quantization (scale 0.584703, zero point 83), from the file.
  constexpr float kInScale = 0.584703f;
  constexpr int kInZp = 83;
  constexpr int kInputs = 4;
  for (int k = 0; k < kInputs; ++k) {
    Tensor xq = Tensor::Empty(DType::kInt8, TensorShape{1, 49, 10, 1});
    Tensor xf(DType::kFloat, TensorShape{1, 49, 10, 1});
    for (int64_t i = 0; i < xq.NumElements(); ++i) {
      // Deterministic smooth features in the input's range: a per-coefficient level plus a
      // slow ripple over the 49 frames, different per k.
      const int frame = static_cast<int>(i / 10), coef = static_cast<int>(i % 10);
      const int v = 40 - 12 * coef + static_cast<int>(20 * std::sin(0.2 * frame * (k + 1) + coef));
      xq.data<int8_t>()[i] = static_cast<int8_t>(v);
      xf.data<float>()[i] = kInScale * static_cast<float>(v - kInZp);
    }
    auto qo = (*q)->RunSignature("serving_default", {{"input_1", xq}});
    ASSERT_TRUE(qo.ok()) << qo.status();
    auto fo = (*f)->RunSignature("serving_default", {{"input_1", xf}});
    ASSERT_TRUE(fo.ok()) << fo.status();
    ASSERT_EQ(qo->size(), 1u);
    ASSERT_EQ(fo->size(), 1u);
    const Tensor& qt = qo->begin()->second;
    const Tensor& ft = fo->begin()->second;
    ASSERT_EQ(qt.dtype(), DType::kInt8);
    ASSERT_EQ(ft.dtype(), DType::kFloat);
    ASSERT_EQ(qt.NumElements(), 12);
    ASSERT_EQ(ft.NumElements(), 12);
    float qsum = 0, max_diff = 0;
    int qarg = 0, farg = 0;
    for (int c = 0; c < 12; ++c) {
      // Softmax output quantization: scale 1/256, zero point -128.
      const float p = (qt.data<int8_t>()[c] + 128) / 256.0f;
      qsum += p;
      max_diff = std::max(max_diff, std::fabs(p - ft.data<float>()[c]));
      if (qt.data<int8_t>()[c] > qt.data<int8_t>()[qarg]) qarg = c;
      if (ft.data<float>()[c] > ft.data<float>()[farg]) farg = c;
    }
    std::printf(
        "[kws int8] input %d: top class %d (p=%.3f) vs float twin %d (p=%.3f), max |dp| %.4f\n", k,
        qarg, (qt.data<int8_t>()[qarg] + 128) / 256.0, farg, ft.data<float>()[farg], max_diff);
    EXPECT_NEAR(qsum, 1.0f, 12 * 0.5f / 256 + 0.01f) << "input " << k;
    EXPECT_LT(max_diff, 0.08f) << "input " << k;
    EXPECT_EQ(qarg, farg) << "input " << k;
  }
}

}  // namespace
}  // namespace tfmodel
