#include "tflite/convert/lowering.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "format/saved_model.h"

namespace tfmodel::tflite {

namespace fb = ::tfmodel::tflite_fb;

std::string TensorKey(const std::string& node, int index) {
  return index == 0 ? node : absl::StrCat(node, ":", index);
}

std::string CanonicalTensorName(const std::string& name) {
  TensorId id = ParseTensorName(name);
  return TensorKey(id.node, id.index);
}

Lowering::Lowering(const TfLiteConvertOptions& options, TfLiteConvertReport* report)
    : opt_(options), report_(report) {
  model_.version = 3;
  model_.description = opt_.description;
  model_.buffers.push_back(std::make_unique<fb::BufferT>());  // the empty sentinel
  model_.subgraphs.push_back(std::make_unique<fb::SubGraphT>());
  model_.subgraphs[0]->name = "main";
}

int Lowering::NewTensor(const std::string& name, DType dtype, const std::vector<int64_t>& shape,
                        const std::vector<int64_t>& signature) {
  auto t = std::make_unique<fb::TensorT>();
  t->name = name;
  auto tt = TfLiteTypeFromDType(dtype);
  t->type = tt.ok() ? *tt : fb::TensorType::FLOAT32;
  t->shape.assign(shape.begin(), shape.end());
  if (signature != shape) t->shape_signature.assign(signature.begin(), signature.end());
  t->has_rank = true;
  t->buffer = 0;
  subgraph().tensors.push_back(std::move(t));
  return static_cast<int>(subgraph().tensors.size()) - 1;
}

int Lowering::ConstTensor(const std::string& name, const Tensor& v) {
  std::vector<int64_t> dims(v.shape().dim_sizes().begin(), v.shape().dim_sizes().end());
  int t = NewTensor(name, v.dtype(), dims, dims);
  auto buf = std::make_unique<fb::BufferT>();
  if (v.dtype() == DType::kString) {
    // int32 count, int32 offsets[count + 1], bytes.
    const int64_t n = v.NumElements();
    std::vector<uint8_t> data(4 * (n + 2));
    auto put = [&](size_t at, uint32_t x) { std::memcpy(data.data() + at, &x, 4); };
    put(0, static_cast<uint32_t>(n));
    uint32_t off = static_cast<uint32_t>(data.size());
    for (int64_t i = 0; i < n; ++i) {
      put(4 + 4 * i, off);
      off += static_cast<uint32_t>(v.data<std::string>()[i].size());
    }
    put(4 + 4 * n, off);
    for (int64_t i = 0; i < n; ++i) {
      const auto& s = v.data<std::string>()[i];
      data.insert(data.end(), s.begin(), s.end());
    }
    buf->data = std::move(data);
  } else {
    const auto* p = static_cast<const uint8_t*>(v.raw_data());
    buf->data.assign(p, p + v.TotalBytes());
  }
  model_.buffers.push_back(std::move(buf));
  subgraph().tensors[t]->buffer = static_cast<uint32_t>(model_.buffers.size() - 1);
  return t;
}

int Lowering::AddOp(B code, std::vector<int> inputs, std::vector<int> outputs,
                    fb::BuiltinOptionsUnion options) {
  auto op = std::make_unique<fb::OperatorT>();
  op->opcode_index = OpcodeIndex(code);
  op->inputs = std::move(inputs);
  op->outputs = std::move(outputs);
  op->builtin_options = std::move(options);
  auto& ops = subgraph().operators;
  for (int o : op->outputs) producer_[o] = static_cast<int>(ops.size());
  ops.push_back(std::move(op));
  return static_cast<int>(ops.size()) - 1;
}

int Lowering::AddCustomOp(const std::string& custom_code, std::vector<int> inputs,
                          std::vector<int> outputs, std::vector<uint8_t> options) {
  auto op = std::make_unique<fb::OperatorT>();
  op->opcode_index = OpcodeIndex(B::CUSTOM, custom_code);
  op->inputs = std::move(inputs);
  op->outputs = std::move(outputs);
  op->custom_options = std::move(options);
  op->custom_options_format = fb::CustomOptionsFormat::FLEXBUFFERS;
  auto& ops = subgraph().operators;
  for (int o : op->outputs) producer_[o] = static_cast<int>(ops.size());
  ops.push_back(std::move(op));
  return static_cast<int>(ops.size()) - 1;
}

uint32_t Lowering::OpcodeIndex(B code, const std::string& custom) {
  for (size_t i = 0; i < model_.operator_codes.size(); ++i) {
    const auto& c = *model_.operator_codes[i];
    if (c.builtin_code == code && c.custom_code == custom) return static_cast<uint32_t>(i);
  }
  auto c = std::make_unique<fb::OperatorCodeT>();
  c->builtin_code = code;
  c->deprecated_builtin_code = static_cast<int8_t>(std::min(static_cast<int>(code), 127));
  c->custom_code = custom;
  c->version = 1;
  model_.operator_codes.push_back(std::move(c));
  return static_cast<uint32_t>(model_.operator_codes.size() - 1);
}

Lowering::B Lowering::CodeOf(int op) const {
  return model_.operator_codes[model_.subgraphs[0]->operators[op]->opcode_index]->builtin_code;
}

absl::StatusOr<Value*> Lowering::Input(const tensorflow::NodeDef& node, int i) {
  if (i >= node.input_size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("node '", node.name(), "' (", node.op(), ") has no input ", i));
  }
  auto it = values_.find(CanonicalTensorName(node.input(i)));
  if (it == values_.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("node '", node.name(), "' input '", node.input(i), "' has no value"));
  }
  return &it->second;
}

absl::StatusOr<int> Lowering::InputTensor(const tensorflow::NodeDef& node, int i) {
  TFM_ASSIGN_OR_RETURN(Value * v, Input(node, i));
  if (v->tensor < 0) v->tensor = ConstTensor(CanonicalTensorName(node.input(i)), v->value);
  return v->tensor;
}

absl::StatusOr<std::vector<int>> Lowering::DataInputTensors(const tensorflow::NodeDef& node) {
  std::vector<int> ins;
  for (int i = 0; i < node.input_size(); ++i) {
    if (ParseTensorName(node.input(i)).index < 0) continue;
    TFM_ASSIGN_OR_RETURN(int t, InputTensor(node, i));
    ins.push_back(t);
  }
  return ins;
}

const Tensor* Lowering::ConstInput(const tensorflow::NodeDef& node, int i) {
  auto v = Input(node, i);
  if (!v.ok() || !(*v)->is_const) return nullptr;
  return &(*v)->value;
}

int Lowering::OutputTensor(const tensorflow::NodeDef& node, int k) {
  const std::string key = TensorKey(node.name(), k);
  auto it = probe1_.find(key);
  DType dtype = DType::kFloat;
  std::vector<int64_t> shape, sig;
  if (it == probe1_.end()) {
    // An output nothing uses: take a sibling's (Split / Unpack outputs are alike).
    for (int j = 0; j < 64 && it == probe1_.end(); ++j)
      it = probe1_.find(TensorKey(node.name(), j));
  }
  if (it != probe1_.end()) {
    dtype = it->second.dtype();
    shape.assign(it->second.shape().dim_sizes().begin(), it->second.shape().dim_sizes().end());
    sig = shape;
    auto it2 = probe2_.find(it->first);
    if (it2 != probe2_.end() && it2->second.rank() == it->second.rank()) {
      for (int d = 0; d < it->second.rank(); ++d) {
        if (it2->second.dim(d) != it->second.dim(d)) sig[d] = -1;
      }
    }
  }
  int t = NewTensor(key, dtype, shape, sig);
  SetTensor(key, t);
  return t;
}

void Lowering::SetTensor(const std::string& key, int tensor) {
  Value& v = values_[key];
  v.is_const = false;
  v.value = Tensor();
  v.tensor = tensor;
}

void Lowering::SetConst(const std::string& key, const Tensor& value) {
  Value& v = values_[key];
  v.is_const = true;
  v.value = value;
  v.tensor = -1;
}

int Lowering::TensorOf(const std::string& key) {
  Value& v = values_.at(key);
  if (v.tensor < 0) v.tensor = ConstTensor(key, v.value);
  return v.tensor;
}

void Lowering::Alias(const tensorflow::NodeDef& node, int k, int tensor) {
  SetTensor(TensorKey(node.name(), k), tensor);
  subgraph().tensors[tensor]->name = TensorKey(node.name(), k);
}

int Lowering::FusableProducer(const tensorflow::NodeDef& node, int i) {
  auto v = Input(node, i);
  if (!v.ok() || (*v)->is_const || (*v)->tensor < 0) return -1;
  const std::string key = CanonicalTensorName(node.input(i));
  if (consumers_[key] != 1 || outputs_.count(key)) return -1;
  auto p = producer_.find((*v)->tensor);
  return p == producer_.end() ? -1 : p->second;
}

namespace {

// The fused_activation_function field of an operator's options, or null.
fb::ActivationFunctionType* ActivationField(fb::BuiltinOptionsUnion& o) {
  switch (o.type) {
    case fb::BuiltinOptions::FullyConnectedOptions:
      return &o.AsFullyConnectedOptions()->fused_activation_function;
    case fb::BuiltinOptions::Conv2DOptions:
      return &o.AsConv2DOptions()->fused_activation_function;
    case fb::BuiltinOptions::DepthwiseConv2DOptions:
      return &o.AsDepthwiseConv2DOptions()->fused_activation_function;
    case fb::BuiltinOptions::AddOptions:
      return &o.AsAddOptions()->fused_activation_function;
    case fb::BuiltinOptions::SubOptions:
      return &o.AsSubOptions()->fused_activation_function;
    case fb::BuiltinOptions::MulOptions:
      return &o.AsMulOptions()->fused_activation_function;
    case fb::BuiltinOptions::DivOptions:
      return &o.AsDivOptions()->fused_activation_function;
    case fb::BuiltinOptions::Pool2DOptions:
      return &o.AsPool2DOptions()->fused_activation_function;
    case fb::BuiltinOptions::ConcatenationOptions:
      return &o.AsConcatenationOptions()->fused_activation_function;
    default:
      return nullptr;
  }
}

}  // namespace

bool Lowering::SetActivation(int op, Act act) {
  fb::ActivationFunctionType* f = ActivationField(subgraph().operators[op]->builtin_options);
  if (!f || *f != Act::NONE) return false;
  *f = act;
  return true;
}

bool Lowering::ActivationIsNone(int op) {
  fb::ActivationFunctionType* f = ActivationField(subgraph().operators[op]->builtin_options);
  return !f || *f == Act::NONE;
}

int Lowering::NumOutputs(const tensorflow::NodeDef& node) const {
  int num_out = 0;
  for (int k = 0; k < 64; ++k) {
    if (probe1_.count(TensorKey(node.name(), k))) num_out = k + 1;
  }
  return num_out == 0 ? 1 : num_out;
}

absl::Status Lowering::Fail(const tensorflow::NodeDef& node, const std::string& why) const {
  return absl::InvalidArgumentError(
      absl::StrCat("node '", node.name(), "' (", node.op(), "): ", why));
}

void Lowering::NoLowering(const tensorflow::NodeDef& node) {
  unsupported_[node.op()].push_back(node.name());
  OutputTensor(node, 0);
}

std::vector<int64_t> IntsOf(const tensorflow::NodeDef& n, const char* attr) {
  std::vector<int64_t> v;
  auto it = n.attr().find(attr);
  if (it != n.attr().end()) v.assign(it->second.list().i().begin(), it->second.list().i().end());
  return v;
}

std::string StrOf(const tensorflow::NodeDef& n, const char* attr, const std::string& def) {
  auto it = n.attr().find(attr);
  return it == n.attr().end() ? def : it->second.s();
}

int64_t IntOf(const tensorflow::NodeDef& n, const char* attr, int64_t def) {
  auto it = n.attr().find(attr);
  return it == n.attr().end() ? def : it->second.i();
}

bool BoolOf(const tensorflow::NodeDef& n, const char* attr, bool def) {
  auto it = n.attr().find(attr);
  return it == n.attr().end() ? def : it->second.b();
}

absl::StatusOr<int64_t> ScalarInt(const Tensor* t) {
  if (!t || t->NumElements() != 1) return absl::InvalidArgumentError("expected a constant scalar");
  if (t->dtype() == DType::kInt32) return t->data<int32_t>()[0];
  if (t->dtype() == DType::kInt64) return t->data<int64_t>()[0];
  return absl::InvalidArgumentError("expected an int32/int64 constant");
}

Tensor ToInt32(const Tensor& t) {
  if (t.dtype() != DType::kInt64) return t;
  Tensor r(DType::kInt32, t.shape());
  for (int64_t i = 0; i < t.NumElements(); ++i)
    r.data<int32_t>()[i] = static_cast<int32_t>(t.data<int64_t>()[i]);
  return r;
}

}  // namespace tfmodel::tflite
