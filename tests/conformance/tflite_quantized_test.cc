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
// Instead the tests build the float twin of a quantized file: same graph, every quantized
// tensor made float32 and every quantized constant (int8 weights, int32 biases) dequantized
// with its own per-channel scales. Each 8-bit operator is then checked on its own: the
// twin's operator (tfmodel's float path) fed the dequantized 8-bit inputs must agree with
// the integer kernel's dequantized output within one quantization step. Nine quantized
// models from testdata/wild are checked that way (int8 and legacy uint8 files).
//
// Why per operator and not the whole network: an earlier version compared the keyword
// spotter end to end on synthetic features and disagreed (int8 top probability 0.5 against
// 1.0). Run per operator, every kernel agrees within half a step; the gap came from the
// synthetic input driving the final FULLY_CONNECTED far outside the int8 range its
// calibration chose, where the int8 logits saturate at 127 (two classes tie at p = 0.5) and
// the float ones do not. Without real inputs an end-to-end tolerance tests the input, not
// the kernels.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

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

// A model with only operator `op` of subgraph 0 of `bytes`: its inputs are the operator's
// non-constant inputs, its outputs the operator's outputs.
std::string SingleOpModel(const std::string& bytes, size_t op) {
  std::unique_ptr<fb::ModelT> m = fb::UnPackModel(bytes.data());
  auto& sg = *m->subgraphs[0];
  std::unique_ptr<fb::OperatorT> keep = std::move(sg.operators[op]);
  sg.operators.clear();
  sg.inputs.clear();
  for (int32_t t : keep->inputs) {
    if (t >= 0 && m->buffers[sg.tensors[t]->buffer]->data.empty()) sg.inputs.push_back(t);
  }
  sg.outputs = keep->outputs;
  sg.operators.push_back(std::move(keep));
  m->signature_defs.clear();
  flatbuffers::FlatBufferBuilder fbb;
  fb::FinishModelBuffer(fbb, fb::Model::Pack(fbb, m.get()));
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

bool Quantized8(const fb::TensorT& t) {
  return (t.type == fb::TensorType::INT8 || t.type == fb::TensorType::UINT8) && t.quantization &&
         t.quantization->scale.size() == 1 && t.quantization->zero_point.size() == 1;
}

int Level(const Tensor& v, int64_t i) {
  return v.dtype() == DType::kInt8 ? v.data<int8_t>()[i] : v.data<uint8_t>()[i];
}

// A test input for a subgraph input tensor: uniform over the int8 / uint8 range, or in
// [0, 1) for float inputs; dimensions left open (-1) are 1.
Tensor TestInput(const fb::TensorT& t, uint32_t* seed) {
  TensorShape shape;
  for (size_t d = 0; d < t.shape.size(); ++d) {
    const bool open = d < t.shape_signature.size() && t.shape_signature[d] < 0;
    shape.AddDim(open ? 1 : t.shape[d]);
  }
  auto next = [seed] { return (*seed = *seed * 1664525u + 1013904223u) >> 8; };
  if (t.type == fb::TensorType::FLOAT32) {
    Tensor x(DType::kFloat, shape);
    for (int64_t i = 0; i < x.NumElements(); ++i) x.data<float>()[i] = (next() % 1000) / 1000.0f;
    return x;
  }
  const bool s8 = t.type == fb::TensorType::INT8;
  Tensor x = Tensor::Empty(s8 ? DType::kInt8 : DType::kUInt8, shape);
  for (int64_t i = 0; i < x.NumElements(); ++i) {
    if (s8) {
      x.data<int8_t>()[i] = static_cast<int8_t>(static_cast<int>(next() % 256) - 128);
    } else {
      x.data<uint8_t>()[i] = static_cast<uint8_t>(next() % 256);
    }
  }
  return x;
}

// Why an operator of a quantized model is not compared, or "" when it is: the comparison
// needs 8-bit quantized (per-tensor) activations in and out, and nothing else fed.
std::string NotComparable(const fb::ModelT& m, const fb::OperatorT& o, const std::string& name) {
  if (name == "QUANTIZE" || name == "DEQUANTIZE") return "converts between types";
  if (name == "CUSTOM") return "custom operator";
  if (!o.intermediates.empty()) return "has intermediate tensors";
  const auto& sg = *m.subgraphs[0];
  for (int32_t t : o.inputs) {
    if (t < 0) continue;
    const fb::TensorT& in = *sg.tensors[t];
    if (in.is_variable) return "has variable (state) inputs";
    if (m.buffers[in.buffer]->data.empty() && !Quantized8(in)) return "an input is not 8-bit";
  }
  for (int32_t t : o.outputs) {
    if (!Quantized8(*sg.tensors[t])) return "an output is not 8-bit";
  }
  return "";
}

struct QuantizedModelCase {
  const char* path;  // under testdata
  int min_compared;  // operators the model must have compared
};

class TfLiteQuantizedOperators : public ::testing::TestWithParam<QuantizedModelCase> {};

// Every comparable operator of a quantized model, one at a time: the float twin of that
// operator (tfmodel's float path), fed the dequantized 8-bit inputs the quantized model
// computed for a test input, must give the dequantized 8-bit output within one
// quantization step (values the 8-bit output saturates are compared clamped). This checks
// each integer kernel (multipliers, rounding, saturation, zero points) on real activations,
// independent of how quantization error compounds through a network.
TEST_P(TfLiteQuantizedOperators, EveryOperatorMatchesItsFloatTwin) {
  TFM_REQUIRE_TESTDATA();
  const std::string path = Testdata(GetParam().path);
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << path;
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  const std::string twin = FloatTwin(bytes);
  std::unique_ptr<fb::ModelT> m = fb::UnPackModel(bytes.data());
  const auto& sg = *m->subgraphs[0];
  auto qfile = TfLiteFile::FromBytes(bytes, path);
  ASSERT_TRUE(qfile.ok()) << qfile.status();
  auto q = tflite::TfLiteModel::Load(std::move(*qfile));
  ASSERT_TRUE(q.ok()) << q.status();
  std::vector<std::string> names;
  for (const auto& t : sg.tensors) names.push_back(t->name);
  std::map<int, Tensor> value;  // activations by tensor index
  std::vector<std::pair<std::string, Tensor>> feeds;
  uint32_t seed = 12345;
  for (int32_t t : sg.inputs) {
    value[t] = TestInput(*sg.tensors[t], &seed);
    feeds.emplace_back(names[t], value[t]);
  }
  std::vector<int> fetched;
  std::vector<std::string> fetch;
  for (const auto& op : sg.operators) {
    for (int32_t o : op->outputs) {
      if (Quantized8(*sg.tensors[o])) {
        fetched.push_back(o);
        fetch.push_back(names[o]);
      }
    }
  }
  auto acts = (*q)->Run(feeds, fetch);
  ASSERT_TRUE(acts.ok()) << acts.status();
  for (size_t k = 0; k < fetched.size(); ++k) value[fetched[k]] = (*acts)[k];
  auto dequantize = [&](int t) {
    const auto& qp = *sg.tensors[t]->quantization;
    const Tensor& v = value.at(t);
    Tensor f(DType::kFloat, v.shape());
    for (int64_t i = 0; i < v.NumElements(); ++i) {
      f.data<float>()[i] = qp.scale[0] * static_cast<float>(Level(v, i) - qp.zero_point[0]);
    }
    return f;
  };
  int compared = 0;
  for (size_t op = 0; op < sg.operators.size(); ++op) {
    const auto& o = *sg.operators[op];
    const auto& code = *m->operator_codes[o.opcode_index];
    const std::string opname = fb::EnumNameBuiltinOperator(static_cast<fb::BuiltinOperator>(
        std::max<int32_t>(static_cast<int32_t>(code.builtin_code), code.deprecated_builtin_code)));
    const std::string why_not = NotComparable(*m, o, opname);
    if (!why_not.empty()) {
      std::printf("[int8 twin] op %zu %s: not compared (%s)\n", op, opname.c_str(),
                  why_not.c_str());
      continue;
    }
    auto ffile = TfLiteFile::FromBytes(SingleOpModel(twin, op), "twin_op");
    ASSERT_TRUE(ffile.ok()) << opname << ": " << ffile.status();
    auto f = tflite::TfLiteModel::Load(std::move(*ffile));
    ASSERT_TRUE(f.ok()) << opname << ": " << f.status();
    std::vector<std::pair<std::string, Tensor>> op_feeds;
    for (int32_t t : o.inputs) {
      if (t >= 0 && m->buffers[sg.tensors[t]->buffer]->data.empty()) {
        op_feeds.emplace_back(names[t], dequantize(t));
      }
    }
    std::vector<std::string> op_fetch;
    for (int32_t t : o.outputs) op_fetch.push_back(names[t]);
    auto got = (*f)->Run(op_feeds, op_fetch);
    ASSERT_TRUE(got.ok()) << "op " << op << " " << opname << ": " << got.status();
    for (size_t k = 0; k < o.outputs.size(); ++k) {
      const int out = o.outputs[k];
      const Tensor want = dequantize(out);
      const Tensor& ft = (*got)[k];
      ASSERT_EQ(ft.NumElements(), want.NumElements()) << opname;
      const auto& qp = *sg.tensors[out]->quantization;
      const bool s8 = sg.tensors[out]->type == fb::TensorType::INT8;
      const float scale = qp.scale[0];
      const float lo = scale * static_cast<float>((s8 ? -128 : 0) - qp.zero_point[0]);
      const float hi = scale * static_cast<float>((s8 ? 127 : 255) - qp.zero_point[0]);
      float worst = 0;
      int64_t inside = 0;
      for (int64_t i = 0; i < ft.NumElements(); ++i) {
        const float expect = std::clamp(ft.data<float>()[i], lo, hi);
        inside += expect > lo && expect < hi;
        worst = std::max(worst, std::fabs(expect - want.data<float>()[i]) / scale);
      }
      std::printf("[int8 twin] op %zu %s: max error %.2f steps, %lld of %lld values unsaturated\n",
                  op, opname.c_str(), worst, static_cast<long long>(inside),
                  static_cast<long long>(ft.NumElements()));
      // One step: TFLite's uint8 RESIZE_BILINEAR truncates its float result (measured 1.00);
      // every other kernel here rounds (measured <= 0.75). The 0.01 absorbs float noise.
      EXPECT_LE(worst, 1.01f) << "op " << op << " " << opname << " output " << names[out];
    }
    ++compared;
  }
  EXPECT_GE(compared, GetParam().min_compared);
}

INSTANTIATE_TEST_SUITE_P(
    Wild, TfLiteQuantizedOperators,
    ::testing::Values(
        QuantizedModelCase{"wild/tiny-kws-dscnn-int8/kws_ref_model.tflite", 13},
        QuantizedModelCase{"wild/tiny-vww-mobilenet-int8/vww_96_int8.tflite", 20},
        QuantizedModelCase{"wild/tiny-ad-autoencoder-int8/ad01_int8.tflite", 5},
        QuantizedModelCase{"wild/tiny-streaming-wakeword/str_ww_ref_model.tflite", 5},
        QuantizedModelCase{"wild/coral-mobilenet-v1-025-uint8/mobilenet_v1_0.25_128_quant.tflite",
                           20},
        QuantizedModelCase{
            "wild/coral-tf2-mobilenet-v2-int8-ptq/tf2_mobilenet_v2_1.0_224_ptq.tflite", 20},
        QuantizedModelCase{
            "wild/coral-deeplabv3-mnv2-dm05-uint8/deeplabv3_mnv2_dm05_pascal_quant.tflite", 20},
        QuantizedModelCase{
            "wild/coral-movenet-lightning-ptq/movenet_single_pose_lightning_ptq.tflite", 20},
        QuantizedModelCase{"wild/ssd-mobilenet-v1-coco-uint8-metadata/"
                           "coco_ssd_mobilenet_v1_1.0_quant_2018_06_29.tflite",
                           20}),
    [](const ::testing::TestParamInfo<QuantizedModelCase>& info) {
      std::string name = std::string(info.param.path).substr(5);
      name = name.substr(0, name.find('/'));
      for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

}  // namespace
}  // namespace tfmodel
