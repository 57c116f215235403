#include "tflite/convert/float16_weights.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "core/dtype.h"

namespace tfmodel::tflite {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;

namespace {

// The float16 bytes of float32 bytes.
std::vector<uint8_t> ToHalf(const std::vector<uint8_t>& data) {
  const size_t n = data.size() / 4;
  std::vector<uint8_t> out(2 * n);
  for (size_t k = 0; k < n; ++k) {
    float f;
    std::memcpy(&f, data.data() + 4 * k, 4);
    const uint16_t h = Half::FromFloat(f).bits;
    std::memcpy(out.data() + 2 * k, &h, 2);
  }
  return out;
}

}  // namespace

void QuantizeWeightsFloat16(Lowering& l) {
  auto& model = l.model();
  auto& sg = l.subgraph();
  TfLiteConvertReport* report = l.report();
  // Constant float32 tensors read by an operator (not subgraph outputs), in first-use order.
  std::vector<int> weights;
  std::set<int> seen(sg.outputs.begin(), sg.outputs.end());
  for (const auto& op : sg.operators) {
    for (int t : op->inputs) {
      if (t < 0 || seen.count(t)) continue;
      const auto& tensor = *sg.tensors[t];
      if (tensor.type != fb::TensorType::FLOAT32 || tensor.buffer == 0 ||
          model.buffers[tensor.buffer]->data.size() < 4) {
        continue;
      }
      seen.insert(t);
      weights.push_back(t);
    }
  }
  std::vector<std::unique_ptr<fb::OperatorT>> dequantize;
  for (int t : weights) {
    auto& w = *sg.tensors[t];
    auto& bytes = model.buffers[w.buffer]->data;
    // The float16 constant, a new tensor with a new buffer.
    auto half = std::make_unique<fb::TensorT>();
    half->name = w.name + "_fp16";
    half->type = fb::TensorType::FLOAT16;
    half->shape = w.shape;
    half->shape_signature = w.shape_signature;
    half->has_rank = w.has_rank;
    auto buffer = std::make_unique<fb::BufferT>();
    buffer->data = ToHalf(bytes);
    if (report) {
      report->quantized_tensors++;
      report->float_weight_bytes += static_cast<int64_t>(bytes.size());
      report->quantized_weight_bytes += static_cast<int64_t>(buffer->data.size());
    }
    model.buffers.push_back(std::move(buffer));
    half->buffer = static_cast<uint32_t>(model.buffers.size() - 1);
    sg.tensors.push_back(std::move(half));
    // The float32 tensor becomes DEQUANTIZE's output; its old buffer is left empty.
    bytes.clear();
    w.buffer = 0;
    auto op = std::make_unique<fb::OperatorT>();
    op->opcode_index = l.OpcodeIndex(B::DEQUANTIZE);
    op->inputs = {static_cast<int32_t>(sg.tensors.size() - 1)};
    op->outputs = {t};
    dequantize.push_back(std::move(op));
  }
  sg.operators.insert(sg.operators.begin(), std::make_move_iterator(dequantize.begin()),
                      std::make_move_iterator(dequantize.end()));
}

}  // namespace tfmodel::tflite
