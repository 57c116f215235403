// Building small TFLite models in tests with the FlatBuffers object API.
//
//   TfLiteModelBuilder b;
//   int x = b.Tensor<float>("x", TT::FLOAT32, {1, 4});
//   int y = b.Tensor<float>("y", TT::FLOAT32, {1, 4});
//   b.Op(fb::BuiltinOperator::RELU, {x}, {y});
//   auto m = b.Build({x}, {y});  // loaded through tflite::LoadTfLiteModel
//
// Tensors and operators go to the current subgraph: subgraph 0 (the main one) until
// AddSubgraph() / UseSubgraph() switch (control flow).
#ifndef TFMODEL_TESTS_TFLITE_TEST_UTIL_H_
#define TFMODEL_TESTS_TFLITE_TEST_UTIL_H_

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "format/tflite.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tflite/model.h"

namespace tfmodel::testing {

// Builtin options for TfLiteModelBuilder::Op from an options object, e.g.
//   fb::WhileOptionsT o; o.cond_subgraph_index = 1; b.Op(B::WHILE, in, out, Options(o));
template <typename T>
tflite_fb::BuiltinOptionsUnion Options(T o) {
  tflite_fb::BuiltinOptionsUnion u;
  u.Set(std::move(o));
  return u;
}

class TfLiteModelBuilder {
 public:
  using TT = tflite_fb::TensorType;

  TfLiteModelBuilder() {
    m_.version = 3;
    m_.buffers.push_back(std::make_unique<tflite_fb::BufferT>());
    m_.subgraphs.push_back(std::make_unique<tflite_fb::SubGraphT>());
  }
  // A tensor; quantized when `scale` is given; constant when `data` is given.
  template <typename T>
  int Tensor(const std::string& name, TT type, std::vector<int32_t> shape,
             std::vector<float> scale = {}, std::vector<int64_t> zp = {}, int qdim = 0,
             const std::vector<T>& data = {}) {
    auto t = std::make_unique<tflite_fb::TensorT>();
    t->name = name;
    t->type = type;
    t->shape = shape;
    if (!scale.empty()) {
      t->quantization = std::make_unique<tflite_fb::QuantizationParametersT>();
      t->quantization->scale = scale;
      t->quantization->zero_point = zp;
      t->quantization->quantized_dimension = qdim;
    }
    if (!data.empty()) {
      auto b = std::make_unique<tflite_fb::BufferT>();
      const auto* p = reinterpret_cast<const uint8_t*>(data.data());
      b->data.assign(p, p + data.size() * sizeof(T));
      m_.buffers.push_back(std::move(b));
      t->buffer = static_cast<uint32_t>(m_.buffers.size() - 1);
    }
    sg().tensors.push_back(std::move(t));
    return static_cast<int>(sg().tensors.size()) - 1;
  }
  // A constant string tensor (TFLite's buffer layout: count, offsets, bytes).
  int StringConst(const std::string& name, std::vector<int32_t> shape,
                  const std::vector<std::string>& values) {
    std::vector<uint8_t> data(4 * (values.size() + 2));
    auto put = [&](size_t at, uint32_t x) { std::memcpy(data.data() + at, &x, 4); };
    put(0, static_cast<uint32_t>(values.size()));
    uint32_t off = static_cast<uint32_t>(data.size());
    for (size_t i = 0; i < values.size(); ++i) {
      put(4 + 4 * i, off);
      off += static_cast<uint32_t>(values[i].size());
    }
    put(4 + 4 * values.size(), off);
    for (const auto& v : values) data.insert(data.end(), v.begin(), v.end());
    return Tensor<uint8_t>(name, TT::STRING, shape, {}, {}, 0, data);
  }
  // Starts a new subgraph, makes it current and returns its index.
  int AddSubgraph() {
    m_.subgraphs.push_back(std::make_unique<tflite_fb::SubGraphT>());
    current_ = static_cast<int>(m_.subgraphs.size()) - 1;
    return current_;
  }
  void UseSubgraph(int index) { current_ = index; }
  // The current subgraph's inputs and outputs (subgraph 0's are given to Build / Load).
  void SetSubgraphIO(std::vector<int32_t> inputs, std::vector<int32_t> outputs) {
    sg().inputs = std::move(inputs);
    sg().outputs = std::move(outputs);
  }
  // A constant float tensor.
  int Const(const std::string& name, std::vector<int32_t> shape, const std::vector<float>& data) {
    return Tensor<float>(name, TT::FLOAT32, shape, {}, {}, 0, data);
  }
  void SetShapeSignature(int tensor, std::vector<int32_t> signature) {
    sg().tensors[tensor]->shape_signature = std::move(signature);
  }
  void Op(tflite_fb::BuiltinOperator code, std::vector<int32_t> in, std::vector<int32_t> out,
          tflite_fb::BuiltinOptionsUnion options = {}) {
    auto c = std::make_unique<tflite_fb::OperatorCodeT>();
    c->builtin_code = code;
    c->deprecated_builtin_code = static_cast<int8_t>(std::min(static_cast<int>(code), 127));
    m_.operator_codes.push_back(std::move(c));
    auto op = std::make_unique<tflite_fb::OperatorT>();
    op->opcode_index = static_cast<uint32_t>(m_.operator_codes.size() - 1);
    op->inputs = in;
    op->outputs = out;
    op->builtin_options = std::move(options);
    sg().operators.push_back(std::move(op));
  }
  // Gives a constant tensor sparsity parameters (its buffer then holds the stored values).
  void SetSparsity(int tensor, std::unique_ptr<tflite_fb::SparsityParametersT> sparsity) {
    sg().tensors[tensor]->sparsity = std::move(sparsity);
  }
  // Marks a tensor as a variable (RNN/LSTM state).
  void SetVariable(int tensor) { sg().tensors[tensor]->is_variable = true; }
  // The last operator's intermediate tensors (integer LSTM scales).
  void SetIntermediates(std::vector<int32_t> tensors) {
    sg().operators.back()->intermediates = std::move(tensors);
  }
  // Makes the last operator a custom operator.
  void SetCustom(const std::string& code, std::vector<uint8_t> options) {
    m_.operator_codes.back()->custom_code = code;
    sg().operators.back()->custom_options = std::move(options);
  }
  // The .tflite bytes with these subgraph inputs and outputs.
  std::string Bytes(std::vector<int32_t> inputs, std::vector<int32_t> outputs) {
    m_.subgraphs[0]->inputs = inputs;
    m_.subgraphs[0]->outputs = outputs;
    flatbuffers::FlatBufferBuilder fbb;
    tflite_fb::FinishModelBuffer(fbb, tflite_fb::Model::Pack(fbb, &m_));
    return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  }
  absl::StatusOr<std::unique_ptr<tflite::TfLiteModel>> Load(std::vector<int32_t> inputs,
                                                            std::vector<int32_t> outputs) {
    auto f = TfLiteFile::FromBytes(Bytes(inputs, outputs), "built.tflite");
    if (!f.ok()) return f.status();
    return tflite::TfLiteModel::Load(std::move(*f));
  }
  // Loads the model and expects success (null on failure).
  std::unique_ptr<tflite::TfLiteModel> Build(std::vector<int32_t> inputs,
                                             std::vector<int32_t> outputs) {
    auto m = Load(inputs, outputs);
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? std::move(*m) : nullptr;
  }
  // Loads the model and expects an error mentioning `text` and the file name.
  void ExpectLoadError(std::vector<int32_t> inputs, std::vector<int32_t> outputs,
                       const std::string& text) {
    auto m = Load(inputs, outputs);
    ASSERT_FALSE(m.ok());
    EXPECT_THAT(m.status().message(), ::testing::HasSubstr(text));
    EXPECT_THAT(m.status().message(), ::testing::HasSubstr("built.tflite"));
  }

 private:
  tflite_fb::SubGraphT& sg() { return *m_.subgraphs[current_]; }
  tflite_fb::ModelT m_;
  int current_ = 0;
};

}  // namespace tfmodel::testing

#endif  // TFMODEL_TESTS_TFLITE_TEST_UTIL_H_
