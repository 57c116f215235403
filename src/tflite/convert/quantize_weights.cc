#include "tflite/convert/quantize_weights.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace tfmodel::tflite {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;

void QuantizeWeights(Lowering& l) {
  auto& model = l.model();
  TfLiteConvertReport* report = l.report();
  for (auto& op : l.subgraph().operators) {
    const B code = model.operator_codes[op->opcode_index]->builtin_code;
    if (code != B::FULLY_CONNECTED && code != B::CONV_2D && code != B::DEPTHWISE_CONV_2D &&
        code != B::BATCH_MATMUL) {
      continue;
    }
    if (op->inputs.size() < 2 || op->inputs[1] < 0) continue;
    auto& t = *l.subgraph().tensors[op->inputs[1]];
    if (t.type != fb::TensorType::FLOAT32 || t.buffer == 0) continue;
    auto& data = model.buffers[t.buffer]->data;
    const int64_t n = static_cast<int64_t>(data.size() / 4);
    if (n < 1024 || t.shape.empty()) continue;
    // Channel dimension: 0 for FC / CONV ([out,...]), last for DEPTHWISE / BATCH_MATMUL.
    const int dim = (code == B::FULLY_CONNECTED || code == B::CONV_2D)
                        ? 0
                        : static_cast<int>(t.shape.size()) - 1;
    const int64_t C = t.shape[dim];
    int64_t inner = 1;
    for (size_t d = dim + 1; d < t.shape.size(); ++d) inner *= t.shape[d];
    std::vector<float> w(n);
    std::memcpy(w.data(), data.data(), 4 * n);
    std::vector<float> maxabs(C, 0.0f);
    for (int64_t k = 0; k < n; ++k) {
      const int64_t c = (k / inner) % C;
      maxabs[c] = std::max(maxabs[c], std::fabs(w[k]));
    }
    auto q = std::make_unique<fb::QuantizationParametersT>();
    for (int64_t c = 0; c < C; ++c) {
      q->scale.push_back(maxabs[c] > 0 ? maxabs[c] / 127.0f : 1.0f);
      q->zero_point.push_back(0);
    }
    q->quantized_dimension = dim;
    std::vector<uint8_t> out(n);
    for (int64_t k = 0; k < n; ++k) {
      const int64_t c = (k / inner) % C;
      float r = std::round(w[k] / q->scale[c]);
      if (std::isnan(r)) r = 0.0f;
      const int8_t v = static_cast<int8_t>(std::clamp(r, -127.0f, 127.0f));
      std::memcpy(&out[k], &v, 1);
    }
    if (report) {
      report->quantized_tensors++;
      report->float_weight_bytes += 4 * n;
      report->quantized_weight_bytes += n;
    }
    data = std::move(out);
    t.type = fb::TensorType::INT8;
    t.quantization = std::move(q);
  }
}

}  // namespace tfmodel::tflite
