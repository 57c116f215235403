#include "tflite/converter.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status.h"
#include "flatbuffers/flexbuffers.h"
#include "format/saved_model.h"
#include "format/tensor_proto.h"
#include "format/tflite.h"
#include "runtime/kernel.h"
#include "runtime/model.h"
#include "tflite/elementwise.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;
using runtime::KernelRegistry;
using runtime::Model;
using B = fb::BuiltinOperator;
using Act = fb::ActivationFunctionType;

// Ops whose value may not be computed at conversion time.
bool NotFoldable(const std::string& op) {
  static const std::set<std::string> kOps = {
      "Placeholder",          "PlaceholderV2",   "PlaceholderWithDefault", "RandomUniform",
      "RandomStandardNormal", "TruncatedNormal", "RandomUniformInt",       "Multinomial",
      "VariableV2",           "VarHandleOp",     "ReadVariableOp",         "ParseExample",
      "ParseExampleV2"};
  return kOps.count(op) > 0;
}

bool IsIdentityLike(const std::string& op) {
  return op == "Identity" || op == "Snapshot" || op == "StopGradient" || op == "PreventGradient" ||
         op == "CheckNumerics";
}

std::string TensorKey(const std::string& node, int index) {
  return index == 0 ? node : absl::StrCat(node, ":", index);
}

std::string Canon(const std::string& name) {
  TensorId id = ParseTensorName(name);
  return TensorKey(id.node, id.index);
}

struct Value {
  bool is_const = false;
  Tensor value;     // constant value (is_const)
  int tensor = -1;  // TFLite tensor (materialized constant or computed)
};

class Converter {
 public:
  Converter(const tensorflow::GraphDef& graph, const TfLiteConvertOptions& options,
            TfLiteConvertReport* report)
      : graph_(graph), opt_(options), report_(report) {}

  absl::StatusOr<std::string> Convert();

 private:
  absl::Status Prepare();
  absl::Status Probe();
  absl::Status Lower(const tensorflow::NodeDef& node);
  void QuantizeWeights();
  std::string Finish();

  // TFLite model building.
  int NewTensor(const std::string& name, DType dtype, const std::vector<int64_t>& shape,
                const std::vector<int64_t>& signature) {
    auto t = std::make_unique<fb::TensorT>();
    t->name = name;
    auto tt = TfLiteTypeFromDType(dtype);
    t->type = tt.ok() ? *tt : fb::TensorType::FLOAT32;
    t->shape.assign(shape.begin(), shape.end());
    if (signature != shape) t->shape_signature.assign(signature.begin(), signature.end());
    t->has_rank = true;
    t->buffer = 0;
    sg_->tensors.push_back(std::move(t));
    return static_cast<int>(sg_->tensors.size()) - 1;
  }
  int ConstTensor(const std::string& name, const Tensor& v) {
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
    sg_->tensors[t]->buffer = static_cast<uint32_t>(model_.buffers.size() - 1);
    return t;
  }
  int AddOp(B code, std::vector<int> inputs, std::vector<int> outputs,
            fb::BuiltinOptionsUnion options = {}) {
    auto op = std::make_unique<fb::OperatorT>();
    op->opcode_index = OpcodeIndex(code);
    op->inputs = std::move(inputs);
    op->outputs = std::move(outputs);
    op->builtin_options = std::move(options);
    for (int o : op->outputs) producer_[o] = static_cast<int>(sg_->operators.size());
    sg_->operators.push_back(std::move(op));
    return static_cast<int>(sg_->operators.size()) - 1;
  }
  uint32_t OpcodeIndex(B code, const std::string& custom = "") {
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
  B CodeOf(int op) const {
    return model_.operator_codes[sg_->operators[op]->opcode_index]->builtin_code;
  }

  // Value of a node input (TF tensor name); materializes constants as TFLite tensors.
  absl::StatusOr<Value*> Input(const tensorflow::NodeDef& node, int i) {
    if (i >= node.input_size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("node '", node.name(), "' (", node.op(), ") has no input ", i));
    }
    const std::string key = Canon(node.input(i));
    auto it = values_.find(key);
    if (it == values_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("node '", node.name(), "' input '", node.input(i), "' has no value"));
    }
    return &it->second;
  }
  absl::StatusOr<int> InputTensor(const tensorflow::NodeDef& node, int i) {
    TFM_ASSIGN_OR_RETURN(Value * v, Input(node, i));
    if (v->tensor < 0) v->tensor = ConstTensor(Canon(node.input(i)), v->value);
    return v->tensor;
  }
  const Tensor* ConstInput(const tensorflow::NodeDef& node, int i) {
    auto v = Input(node, i);
    if (!v.ok() || !(*v)->is_const) return nullptr;
    return &(*v)->value;
  }
  // A new TFLite tensor for output k of `node`, typed and shaped from the probe runs.
  int OutputTensor(const tensorflow::NodeDef& node, int k) {
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
    Value v;
    v.tensor = t;
    values_[key] = v;
    return t;
  }
  void Alias(const tensorflow::NodeDef& node, int k, int tensor) {
    Value v;
    v.tensor = tensor;
    values_[TensorKey(node.name(), k)] = v;
    sg_->tensors[tensor]->name = TensorKey(node.name(), k);
  }
  // The single-consumer producer op of a TF input, or -1.
  int FusableProducer(const tensorflow::NodeDef& node, int i) {
    auto v = Input(node, i);
    if (!v.ok() || (*v)->is_const || (*v)->tensor < 0) return -1;
    const std::string key = Canon(node.input(i));
    if (consumers_[key] != 1 || outputs_.count(key)) return -1;
    auto p = producer_.find((*v)->tensor);
    return p == producer_.end() ? -1 : p->second;
  }
  bool SetActivation(int op, Act act);

  const tensorflow::GraphDef& graph_;
  const TfLiteConvertOptions& opt_;
  TfLiteConvertReport* report_;

  fb::ModelT model_;
  fb::SubGraphT* sg_ = nullptr;
  std::vector<const tensorflow::NodeDef*> order_;  // needed nodes, topologically
  std::map<std::string, const tensorflow::NodeDef*> nodes_;
  std::map<std::string, int> consumers_;  // tensor key -> number of consuming inputs
  std::set<std::string> outputs_;         // output tensor keys
  std::map<std::string, Tensor> probe1_, probe2_;
  std::map<std::string, Value> values_;
  std::map<int, int> producer_;            // TFLite tensor -> op index
  std::map<std::string, int> fc_weights_;  // weights constant -> FULLY_CONNECTED tensor
  std::map<std::string, std::vector<std::string>> unsupported_;  // op -> nodes
};

bool Converter::SetActivation(int op, Act act) {
  auto& o = sg_->operators[op]->builtin_options;
  switch (o.type) {
    case fb::BuiltinOptions::FullyConnectedOptions:
      if (o.AsFullyConnectedOptions()->fused_activation_function != Act::NONE) return false;
      o.AsFullyConnectedOptions()->fused_activation_function = act;
      return true;
    case fb::BuiltinOptions::Conv2DOptions:
      if (o.AsConv2DOptions()->fused_activation_function != Act::NONE) return false;
      o.AsConv2DOptions()->fused_activation_function = act;
      return true;
    case fb::BuiltinOptions::DepthwiseConv2DOptions:
      if (o.AsDepthwiseConv2DOptions()->fused_activation_function != Act::NONE) return false;
      o.AsDepthwiseConv2DOptions()->fused_activation_function = act;
      return true;
    case fb::BuiltinOptions::AddOptions:
      if (o.AsAddOptions()->fused_activation_function != Act::NONE) return false;
      o.AsAddOptions()->fused_activation_function = act;
      return true;
    case fb::BuiltinOptions::SubOptions:
      if (o.AsSubOptions()->fused_activation_function != Act::NONE) return false;
      o.AsSubOptions()->fused_activation_function = act;
      return true;
    case fb::BuiltinOptions::MulOptions:
      if (o.AsMulOptions()->fused_activation_function != Act::NONE) return false;
      o.AsMulOptions()->fused_activation_function = act;
      return true;
    case fb::BuiltinOptions::DivOptions:
      if (o.AsDivOptions()->fused_activation_function != Act::NONE) return false;
      o.AsDivOptions()->fused_activation_function = act;
      return true;
    case fb::BuiltinOptions::Pool2DOptions:
      if (o.AsPool2DOptions()->fused_activation_function != Act::NONE) return false;
      o.AsPool2DOptions()->fused_activation_function = act;
      return true;
    case fb::BuiltinOptions::ConcatenationOptions:
      if (o.AsConcatenationOptions()->fused_activation_function != Act::NONE) return false;
      o.AsConcatenationOptions()->fused_activation_function = act;
      return true;
    default:
      return false;
  }
}

absl::Status Converter::Prepare() {
  for (const auto& n : graph_.node()) nodes_[n.name()] = &n;
  if (opt_.input_arrays.empty()) return absl::InvalidArgumentError("--input_arrays is required");
  if (opt_.output_arrays.empty()) return absl::InvalidArgumentError("--output_arrays is required");
  std::set<std::string> input_nodes;
  for (const auto& in : opt_.input_arrays) {
    TensorId id = ParseTensorName(in);
    auto it = nodes_.find(id.node);
    if (it == nodes_.end()) {
      return absl::NotFoundError(absl::StrCat("input array '", in, "' is not a node of the graph"));
    }
    input_nodes.insert(id.node);
  }
  for (const auto& out : opt_.output_arrays) {
    TensorId id = ParseTensorName(out);
    if (!nodes_.count(id.node)) {
      return absl::NotFoundError(
          absl::StrCat("output array '", out, "' is not a node of the graph"));
    }
    outputs_.insert(TensorKey(id.node, id.index));
  }
  // Needed nodes, depth-first from the outputs, stopping at the inputs.
  std::map<std::string, int> state;  // 1 = visiting, 2 = done
  std::vector<std::string> missing_placeholders;
  std::function<absl::Status(const std::string&)> visit =
      [&](const std::string& name) -> absl::Status {
    if (state[name] == 2) return absl::OkStatus();
    if (state[name] == 1)
      return absl::InvalidArgumentError(absl::StrCat("cycle at node '", name, "'"));
    auto it = nodes_.find(name);
    if (it == nodes_.end()) return absl::NotFoundError(absl::StrCat("no node '", name, "'"));
    const auto& n = *it->second;
    state[name] = 1;
    if (!input_nodes.count(name)) {
      if (n.op() == "Placeholder" || n.op() == "PlaceholderV2")
        missing_placeholders.push_back(name);
      for (const auto& in : n.input()) {
        TensorId id = ParseTensorName(in);
        if (id.index < 0) continue;  // control inputs are dropped
        TFM_RETURN_IF_ERROR(visit(id.node));
        consumers_[TensorKey(id.node, id.index)]++;
      }
    }
    state[name] = 2;
    order_.push_back(&n);
    return absl::OkStatus();
  };
  for (const auto& out : outputs_) TFM_RETURN_IF_ERROR(visit(ParseTensorName(out).node));
  // Shapes and constants come from running the graph, so every needed op needs a kernel.
  std::map<std::string, std::vector<std::string>> no_kernel;
  for (const auto* n : order_) {
    if (!input_nodes.count(n->name()) && !KernelRegistry::Global().Has(n->op())) {
      no_kernel[n->op()].push_back(n->name());
    }
  }
  if (!no_kernel.empty()) {
    std::vector<std::string> parts;
    for (const auto& [op, names] : no_kernel) {
      parts.push_back(absl::StrCat(op, " (e.g. '", names[0], "')"));
    }
    return absl::UnimplementedError(absl::StrCat(
        "the graph uses TF ops tfmodel has no kernel for, so it cannot be run to find tensor "
        "shapes and constants: ",
        absl::StrJoin(parts, ", ")));
  }
  if (!missing_placeholders.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the outputs depend on placeholders not listed in --input_arrays: ",
                     absl::StrJoin(missing_placeholders, ", ")));
  }
  return absl::OkStatus();
}

absl::Status Converter::Probe() {
  // Feeds: ones of each input's shape (unknown dims = 1, then 2 for a second run).
  std::vector<std::string> fetches;
  std::set<std::string> seen;
  for (const auto& [key, count] : consumers_) {
    if (!seen.insert(key).second) continue;
    TensorId id = ParseTensorName(key);
    if (std::find(opt_.input_arrays.begin(), opt_.input_arrays.end(), key) !=
        opt_.input_arrays.end())
      continue;
    fetches.push_back(key);
  }
  for (const auto& key : outputs_) {
    if (seen.insert(key).second) fetches.push_back(key);
  }
  bool any_unknown = false;
  auto feeds_for =
      [&](int64_t unknown) -> absl::StatusOr<std::vector<std::pair<std::string, Tensor>>> {
    std::vector<std::pair<std::string, Tensor>> feeds;
    for (size_t i = 0; i < opt_.input_arrays.size(); ++i) {
      TensorId id = ParseTensorName(opt_.input_arrays[i]);
      const auto& n = *nodes_.at(id.node);
      DType dtype = DType::kFloat;
      if (auto it = n.attr().find("dtype"); it != n.attr().end())
        dtype = static_cast<DType>(it->second.type());
      std::vector<int64_t> dims;
      if (i < opt_.input_shapes.size() && !opt_.input_shapes[i].empty()) {
        dims = opt_.input_shapes[i];
      } else if (auto it = n.attr().find("shape");
                 it != n.attr().end() && !it->second.shape().unknown_rank()) {
        for (const auto& d : it->second.shape().dim()) dims.push_back(d.size());
      }
      for (auto& d : dims) {
        if (d < 0) {
          d = unknown;
          any_unknown = true;
        }
      }
      TFM_ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dtype, TensorShape(dims)));
      if (dtype == DType::kFloat) {
        for (int64_t k = 0; k < t.NumElements(); ++k) t.data<float>()[k] = 1.0f;
      }
      feeds.emplace_back(TensorKey(id.node, id.index), std::move(t));
    }
    return feeds;
  };
  TFM_ASSIGN_OR_RETURN(auto model, Model::LoadGraph(graph_));
  TFM_ASSIGN_OR_RETURN(auto feeds1, feeds_for(1));
  auto r1 = model->Run(feeds1, fetches);
  if (!r1.ok()) return Annotate(r1.status(), "running the graph to find tensor shapes");
  for (size_t i = 0; i < fetches.size(); ++i) probe1_[fetches[i]] = (*r1)[i];
  for (const auto& [name, t] : feeds1) probe1_[name] = t;
  if (any_unknown) {
    TFM_ASSIGN_OR_RETURN(auto feeds2, feeds_for(2));
    auto r2 = model->Run(feeds2, fetches);
    if (r2.ok()) {
      for (size_t i = 0; i < fetches.size(); ++i) probe2_[fetches[i]] = (*r2)[i];
      for (const auto& [name, t] : feeds2) probe2_[name] = t;
    }
  }
  return absl::OkStatus();
}

std::vector<int64_t> IntsOf(const tensorflow::NodeDef& n, const char* attr) {
  std::vector<int64_t> v;
  auto it = n.attr().find(attr);
  if (it != n.attr().end()) v.assign(it->second.list().i().begin(), it->second.list().i().end());
  return v;
}
std::string StrOf(const tensorflow::NodeDef& n, const char* attr, const std::string& def = "") {
  auto it = n.attr().find(attr);
  return it == n.attr().end() ? def : it->second.s();
}
int64_t IntOf(const tensorflow::NodeDef& n, const char* attr, int64_t def = 0) {
  auto it = n.attr().find(attr);
  return it == n.attr().end() ? def : it->second.i();
}
bool BoolOf(const tensorflow::NodeDef& n, const char* attr, bool def = false) {
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

absl::Status Converter::Lower(const tensorflow::NodeDef& n) {
  const std::string& op = n.op();
  auto fail = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat("node '", n.name(), "' (", op, "): ", why));
  };

  // Only RELU / RELU6 are fused: TFLite's float kernels ignore a fused TANH on most ops.
  if (op == "Relu" || op == "Relu6") {
    const Act act = op == "Relu" ? Act::RELU : Act::RELU6;
    int p = FusableProducer(n, 0);
    if (p >= 0 && SetActivation(p, act)) {
      Alias(n, 0, sg_->operators[p]->outputs[0]);
      if (report_) report_->fused_ops++;
      return absl::OkStatus();
    }
  }
  // Simple 1:1 element-wise ops (the table the interpreter uses the other way round).
  if (const TfLiteElementwiseOp* e = FindTfLiteElementwise(absl::string_view(op))) {
    std::vector<int> ins;
    for (int k = 0; k < e->num_inputs; ++k) {
      TFM_ASSIGN_OR_RETURN(int x, InputTensor(n, k));
      ins.push_back(x);
    }
    AddOp(e->builtin, ins, {OutputTensor(n, 0)});
    return absl::OkStatus();
  }
  if (op == "BiasAdd" || op == "BiasAddV1" || op == "Add" || op == "AddV2") {
    // Fuse a constant 1-D bias into FULLY_CONNECTED / CONV_2D / DEPTHWISE_CONV_2D.
    const Tensor* bias = ConstInput(n, 1);
    int p = FusableProducer(n, 0);
    if (bias && bias->rank() == 1 && bias->dtype() == DType::kFloat && p >= 0) {
      const B code = CodeOf(p);
      auto& pop = *sg_->operators[p];
      const bool can =
          (code == B::FULLY_CONNECTED || code == B::CONV_2D || code == B::DEPTHWISE_CONV_2D) &&
          (pop.inputs.size() < 3 || pop.inputs[2] < 0);
      const auto& out_shape = sg_->tensors[pop.outputs[0]]->shape;
      const bool fits = !out_shape.empty() && out_shape.back() == bias->NumElements();
      bool act_none = true;
      if (auto* o = pop.builtin_options.AsFullyConnectedOptions())
        act_none = o->fused_activation_function == Act::NONE;
      if (auto* o = pop.builtin_options.AsConv2DOptions())
        act_none = o->fused_activation_function == Act::NONE;
      if (auto* o = pop.builtin_options.AsDepthwiseConv2DOptions())
        act_none = o->fused_activation_function == Act::NONE;
      if (can && fits && act_none) {
        TFM_ASSIGN_OR_RETURN(int b, InputTensor(n, 1));
        pop.inputs.resize(3, -1);
        pop.inputs[2] = b;
        Alias(n, 0, pop.outputs[0]);
        if (report_) report_->fused_ops++;
        return absl::OkStatus();
      }
    }
    TFM_ASSIGN_OR_RETURN(int a, InputTensor(n, 0));
    TFM_ASSIGN_OR_RETURN(int b, InputTensor(n, 1));
    fb::AddOptionsT o;
    fb::BuiltinOptionsUnion u;
    u.Set(o);
    AddOp(B::ADD, {a, b}, {OutputTensor(n, 0)}, std::move(u));
    return absl::OkStatus();
  }
  if (op == "Sub" || op == "Mul" || op == "RealDiv" || (op == "Div" && true)) {
    TFM_ASSIGN_OR_RETURN(int a, InputTensor(n, 0));
    TFM_ASSIGN_OR_RETURN(int b, InputTensor(n, 1));
    fb::BuiltinOptionsUnion u;
    B code;
    if (op == "Sub") {
      u.Set(fb::SubOptionsT());
      code = B::SUB;
    } else if (op == "Mul") {
      u.Set(fb::MulOptionsT());
      code = B::MUL;
    } else {
      u.Set(fb::DivOptionsT());
      code = B::DIV;
    }
    AddOp(code, {a, b}, {OutputTensor(n, 0)}, std::move(u));
    return absl::OkStatus();
  }
  if (op == "Softmax") {
    TFM_ASSIGN_OR_RETURN(int x, InputTensor(n, 0));
    fb::SoftmaxOptionsT o;
    o.beta = 1.0f;
    fb::BuiltinOptionsUnion u;
    u.Set(o);
    AddOp(B::SOFTMAX, {x}, {OutputTensor(n, 0)}, std::move(u));
    return absl::OkStatus();
  }
  if (op == "MatMul" || op == "BatchMatMul" || op == "BatchMatMulV2" || op == "BatchMatMulV3") {
    const bool ta = op == "MatMul" ? BoolOf(n, "transpose_a") : BoolOf(n, "adj_x");
    const bool tb = op == "MatMul" ? BoolOf(n, "transpose_b") : BoolOf(n, "adj_y");
    const Tensor* w = ConstInput(n, 1);
    if (op == "MatMul" && !ta && w && w->rank() == 2 && w->dtype() == DType::kFloat) {
      // FULLY_CONNECTED weights are [out, in].
      Tensor wt = *w;
      if (!tb && !fc_weights_.count(Canon(n.input(1)) + "/transposed")) {
        const int64_t I = w->dim(0), O = w->dim(1);
        wt = Tensor(DType::kFloat, TensorShape{O, I});
        for (int64_t i = 0; i < I; ++i)
          for (int64_t o = 0; o < O; ++o) wt.data<float>()[o * I + i] = w->data<float>()[i * O + o];
      }
      TFM_ASSIGN_OR_RETURN(int x, InputTensor(n, 0));
      // One [out, in] copy per weights constant, shared by every MatMul that uses it.
      const std::string wkey = Canon(n.input(1)) + (tb ? "" : "/transposed");
      int wt_t;
      if (auto c = fc_weights_.find(wkey); c != fc_weights_.end()) {
        wt_t = c->second;
      } else {
        wt_t = ConstTensor(wkey, wt);
        fc_weights_[wkey] = wt_t;
      }
      fb::FullyConnectedOptionsT o;
      fb::BuiltinOptionsUnion u;
      u.Set(o);
      AddOp(B::FULLY_CONNECTED, {x, wt_t, -1}, {OutputTensor(n, 0)}, std::move(u));
      return absl::OkStatus();
    }
    TFM_ASSIGN_OR_RETURN(int a, InputTensor(n, 0));
    TFM_ASSIGN_OR_RETURN(int b, InputTensor(n, 1));
    fb::BatchMatMulOptionsT o;
    o.adj_x = ta;
    o.adj_y = tb;
    fb::BuiltinOptionsUnion u;
    u.Set(o);
    AddOp(B::BATCH_MATMUL, {a, b}, {OutputTensor(n, 0)}, std::move(u));
    return absl::OkStatus();
  }
  if (op == "Conv2D" || op == "DepthwiseConv2dNative") {
    if (StrOf(n, "data_format", "NHWC") != "NHWC") return fail("only NHWC is supported");
    const std::string pad = StrOf(n, "padding");
    if (pad != "SAME" && pad != "VALID")
      return fail(absl::StrCat("padding ", pad, " is not supported"));
    auto strides = IntsOf(n, "strides");
    auto dil = IntsOf(n, "dilations");
    if (strides.size() != 4) return fail("strides must have 4 values");
    if (dil.size() != 4) dil = {1, 1, 1, 1};
    const Tensor* f = ConstInput(n, 1);
    if (!f || f->rank() != 4 || f->dtype() != DType::kFloat)
      return fail("the filter must be a constant float 4-D tensor");
    const int64_t H = f->dim(0), W = f->dim(1), I = f->dim(2), O = f->dim(3);
    TFM_ASSIGN_OR_RETURN(int x, InputTensor(n, 0));
    fb::BuiltinOptionsUnion u;
    Tensor filt;
    B code;
    if (op == "Conv2D") {
      filt = Tensor(DType::kFloat, TensorShape{O, H, W, I});  // HWIO -> OHWI
      for (int64_t h = 0; h < H; ++h)
        for (int64_t w = 0; w < W; ++w)
          for (int64_t i = 0; i < I; ++i)
            for (int64_t o = 0; o < O; ++o)
              filt.data<float>()[((o * H + h) * W + w) * I + i] =
                  f->data<float>()[((h * W + w) * I + i) * O + o];
      fb::Conv2DOptionsT o;
      o.padding = pad == "SAME" ? fb::Padding::SAME : fb::Padding::VALID;
      o.stride_h = static_cast<int32_t>(strides[1]);
      o.stride_w = static_cast<int32_t>(strides[2]);
      o.dilation_h_factor = static_cast<int32_t>(dil[1]);
      o.dilation_w_factor = static_cast<int32_t>(dil[2]);
      u.Set(o);
      code = B::CONV_2D;
    } else {
      TFM_ASSIGN_OR_RETURN(filt,
                           f->Reshaped(TensorShape{1, H, W, I * O}));  // [H,W,C,M] -> [1,H,W,C*M]
      fb::DepthwiseConv2DOptionsT o;
      o.padding = pad == "SAME" ? fb::Padding::SAME : fb::Padding::VALID;
      o.stride_h = static_cast<int32_t>(strides[1]);
      o.stride_w = static_cast<int32_t>(strides[2]);
      o.dilation_h_factor = static_cast<int32_t>(dil[1]);
      o.dilation_w_factor = static_cast<int32_t>(dil[2]);
      o.depth_multiplier = static_cast<int32_t>(O);
      u.Set(o);
      code = B::DEPTHWISE_CONV_2D;
    }
    int ft = ConstTensor(absl::StrCat(n.name(), "/filter"), filt.DeepCopy());
    AddOp(code, {x, ft, -1}, {OutputTensor(n, 0)}, std::move(u));
    return absl::OkStatus();
  }
  if (op == "FusedBatchNorm" || op == "FusedBatchNormV2" || op == "FusedBatchNormV3") {
    if (BoolOf(n, "is_training", true)) return fail("training-mode batch norm cannot be converted");
    if (StrOf(n, "data_format", "NHWC") != "NHWC") return fail("only NHWC is supported");
    const Tensor *g = ConstInput(n, 1), *b = ConstInput(n, 2), *m = ConstInput(n, 3),
                 *v = ConstInput(n, 4);
    if (!g || !b || !m || !v) return fail("scale, offset, mean and variance must be constants");
    float eps = 1e-3f;
    if (auto it = n.attr().find("epsilon"); it != n.attr().end()) eps = it->second.f();
    const int64_t C = g->NumElements();
    Tensor scale(DType::kFloat, TensorShape{C}), shift(DType::kFloat, TensorShape{C});
    for (int64_t c = 0; c < C; ++c) {
      const float s = g->data<float>()[c] / std::sqrt(v->data<float>()[c] + eps);
      scale.data<float>()[c] = s;
      shift.data<float>()[c] = b->data<float>()[c] - m->data<float>()[c] * s;
    }
    int p = FusableProducer(n, 0);
    if (p >= 0 && (CodeOf(p) == B::CONV_2D || CodeOf(p) == B::DEPTHWISE_CONV_2D)) {
      auto& pop = *sg_->operators[p];
      bool act_none = true;
      if (auto* o = pop.builtin_options.AsConv2DOptions())
        act_none = o->fused_activation_function == Act::NONE;
      if (auto* o = pop.builtin_options.AsDepthwiseConv2DOptions())
        act_none = o->fused_activation_function == Act::NONE;
      auto& ft = *sg_->tensors[pop.inputs[1]];
      auto& fbuf = model_.buffers[ft.buffer]->data;
      const int64_t out_ch = CodeOf(p) == B::CONV_2D ? ft.shape[0] : ft.shape[3];
      if (act_none && out_ch == C) {
        float* fd = reinterpret_cast<float*>(fbuf.data());
        const int64_t total = static_cast<int64_t>(fbuf.size() / 4);
        const int64_t inner = total / C;
        for (int64_t k = 0; k < total; ++k) {
          const int64_t c = CodeOf(p) == B::CONV_2D ? k / inner : k % C;
          float val;
          std::memcpy(&val, fd + k, 4);
          val *= scale.data<float>()[c];
          std::memcpy(fd + k, &val, 4);
        }
        Tensor bias(DType::kFloat, TensorShape{C});
        if (pop.inputs.size() > 2 && pop.inputs[2] >= 0) {
          auto& bb = model_.buffers[sg_->tensors[pop.inputs[2]]->buffer]->data;
          std::memcpy(bias.raw_data(), bb.data(), std::min<size_t>(bb.size(), 4 * C));
        }
        for (int64_t c = 0; c < C; ++c) {
          bias.data<float>()[c] =
              bias.data<float>()[c] * scale.data<float>()[c] + shift.data<float>()[c];
        }
        pop.inputs.resize(3, -1);
        pop.inputs[2] = ConstTensor(absl::StrCat(n.name(), "/bias"), bias);
        Alias(n, 0, pop.outputs[0]);
        if (report_) report_->fused_ops++;
        return absl::OkStatus();
      }
    }
    TFM_ASSIGN_OR_RETURN(int x, InputTensor(n, 0));
    int mul_out =
        NewTensor(absl::StrCat(n.name(), "/mul"), DType::kFloat,
                  probe1_.count(n.name())
                      ? std::vector<int64_t>(probe1_[n.name()].shape().dim_sizes().begin(),
                                             probe1_[n.name()].shape().dim_sizes().end())
                      : std::vector<int64_t>{},
                  {});
    sg_->tensors[mul_out]->shape_signature.clear();
    fb::BuiltinOptionsUnion u1, u2;
    u1.Set(fb::MulOptionsT());
    u2.Set(fb::AddOptionsT());
    AddOp(B::MUL, {x, ConstTensor(absl::StrCat(n.name(), "/scale"), scale)}, {mul_out},
          std::move(u1));
    AddOp(B::ADD, {mul_out, ConstTensor(absl::StrCat(n.name(), "/offset"), shift)},
          {OutputTensor(n, 0)}, std::move(u2));
    return absl::OkStatus();
  }
  if (op == "MaxPool" || op == "AvgPool") {
    if (StrOf(n, "data_format", "NHWC") != "NHWC") return fail("only NHWC is supported");
    auto k = IntsOf(n, "ksize");
    auto s = IntsOf(n, "strides");
    if (k.size() != 4 || s.size() != 4) return fail("ksize and strides must have 4 values");
    TFM_ASSIGN_OR_RETURN(int x, InputTensor(n, 0));
    fb::Pool2DOptionsT o;
    o.padding = StrOf(n, "padding") == "SAME" ? fb::Padding::SAME : fb::Padding::VALID;
    o.filter_height = static_cast<int32_t>(k[1]);
    o.filter_width = static_cast<int32_t>(k[2]);
    o.stride_h = static_cast<int32_t>(s[1]);
    o.stride_w = static_cast<int32_t>(s[2]);
    fb::BuiltinOptionsUnion u;
    u.Set(o);
    AddOp(op == "MaxPool" ? B::MAX_POOL_2D : B::AVERAGE_POOL_2D, {x}, {OutputTensor(n, 0)},
          std::move(u));
    return absl::OkStatus();
  }
  if (op == "Reshape") {
    TFM_ASSIGN_OR_RETURN(int x, InputTensor(n, 0));
    const Tensor* shape = ConstInput(n, 1);
    fb::ReshapeOptionsT o;
    int st;
    if (shape) {
      Tensor s32 = ToInt32(*shape);
      o.new_shape.assign(s32.data<int32_t>(), s32.data<int32_t>() + s32.NumElements());
      st = ConstTensor(absl::StrCat(n.name(), "/shape"), s32);
    } else {
      TFM_ASSIGN_OR_RETURN(st, InputTensor(n, 1));
    }
    fb::BuiltinOptionsUnion u;
    u.Set(o);
    AddOp(B::RESHAPE, {x, st}, {OutputTensor(n, 0)}, std::move(u));
    return absl::OkStatus();
  }
  if (op == "Squeeze") {
    TFM_ASSIGN_OR_RETURN(int x, InputTensor(n, 0));
    fb::SqueezeOptionsT o;
    for (int64_t d : IntsOf(n, "squeeze_dims")) o.squeeze_dims.push_back(static_cast<int32_t>(d));
    fb::BuiltinOptionsUnion u;
    u.Set(o);
    AddOp(B::SQUEEZE, {x}, {OutputTensor(n, 0)}, std::move(u));
    return absl::OkStatus();
  }
  if (op == "ConcatV2" || op == "Concat") {
    const int N = static_cast<int>(IntOf(n, "N", n.input_size() - 1));
    const int axis_input = op == "ConcatV2" ? N : 0;
    TFM_ASSIGN_OR_RETURN(int64_t axis, ScalarInt(ConstInput(n, axis_input)));
    std::vector<int> ins;
    for (int i = 0; i < N; ++i) {
      TFM_ASSIGN_OR_RETURN(int t, InputTensor(n, op == "ConcatV2" ? i : i + 1));
      ins.push_back(t);
    }
    fb::ConcatenationOptionsT o;
    o.axis = static_cast<int32_t>(axis);
    fb::BuiltinOptionsUnion u;
    u.Set(o);
    AddOp(B::CONCATENATION, ins, {OutputTensor(n, 0)}, std::move(u));
    return absl::OkStatus();
  }
  static const std::map<std::string, B> kReduce = {{"Mean", B::MEAN},        {"Sum", B::SUM},
                                                   {"Max", B::REDUCE_MAX},   {"Min", B::REDUCE_MIN},
                                                   {"Prod", B::REDUCE_PROD}, {"Any", B::REDUCE_ANY},
                                                   {"All", B::REDUCE_ALL}};
  if (auto it = kReduce.find(op); it != kReduce.end()) {
    TFM_ASSIGN_OR_RETURN(int x, InputTensor(n, 0));
    const Tensor* axes = ConstInput(n, 1);
    int at;
    if (axes) {
      at = ConstTensor(absl::StrCat(n.name(), "/axes"), ToInt32(*axes));
    } else {
      TFM_ASSIGN_OR_RETURN(at, InputTensor(n, 1));
    }
    fb::ReducerOptionsT o;
    o.keep_dims = BoolOf(n, "keep_dims");
    fb::BuiltinOptionsUnion u;
    u.Set(o);
    AddOp(it->second, {x, at}, {OutputTensor(n, 0)}, std::move(u));
    return absl::OkStatus();
  }
  if (op == "Pad" || op == "PadV2") {
    std::vector<int> ins;
    for (int i = 0; i < n.input_size() && i < (op == "Pad" ? 2 : 3); ++i) {
      TFM_ASSIGN_OR_RETURN(int t, InputTensor(n, i));
      ins.push_back(t);
    }
    fb::BuiltinOptionsUnion u;
    u.Set(fb::PadOptionsT());
    AddOp(op == "Pad" ? B::PAD : B::PADV2, ins, {OutputTensor(n, 0)},
          op == "Pad" ? std::move(u) : fb::BuiltinOptionsUnion());
    return absl::OkStatus();
  }
  if (op == "StridedSlice") {
    std::vector<int> ins;
    for (int i = 0; i < 4; ++i) {
      TFM_ASSIGN_OR_RETURN(int t, InputTensor(n, i));
      ins.push_back(t);
    }
    fb::StridedSliceOptionsT o;
    o.begin_mask = static_cast<int32_t>(IntOf(n, "begin_mask"));
    o.end_mask = static_cast<int32_t>(IntOf(n, "end_mask"));
    o.ellipsis_mask = static_cast<int32_t>(IntOf(n, "ellipsis_mask"));
    o.new_axis_mask = static_cast<int32_t>(IntOf(n, "new_axis_mask"));
    o.shrink_axis_mask = static_cast<int32_t>(IntOf(n, "shrink_axis_mask"));
    fb::BuiltinOptionsUnion u;
    u.Set(o);
    AddOp(B::STRIDED_SLICE, ins, {OutputTensor(n, 0)}, std::move(u));
    return absl::OkStatus();
  }
  if (op == "Transpose" || op == "ExpandDims" || op == "Tile" || op == "Slice" || op == "Fill" ||
      op == "SplitV" || op == "GatherNd" || op == "Select" || op == "SelectV2") {
    static const std::map<std::string, B> kOps = {
        {"Transpose", B::TRANSPOSE}, {"ExpandDims", B::EXPAND_DIMS},
        {"Tile", B::TILE},           {"Slice", B::SLICE},
        {"Fill", B::FILL},           {"SplitV", B::SPLIT_V},
        {"GatherNd", B::GATHER_ND},  {"Select", B::SELECT},
        {"SelectV2", B::SELECT_V2}};
    std::vector<int> ins;
    for (int i = 0; i < n.input_size(); ++i) {
      if (ParseTensorName(n.input(i)).index < 0) continue;
      TFM_ASSIGN_OR_RETURN(int t, InputTensor(n, i));
      ins.push_back(t);
    }
    fb::BuiltinOptionsUnion u;
    int num_out = 1;
    if (op == "Transpose") u.Set(fb::TransposeOptionsT());
    if (op == "ExpandDims") u.Set(fb::ExpandDimsOptionsT());
    if (op == "Tile") u.Set(fb::TileOptionsT());
    if (op == "SplitV") {
      fb::SplitVOptionsT o;
      o.num_splits = static_cast<int32_t>(IntOf(n, "num_split", 1));
      num_out = o.num_splits;
      u.Set(o);
    }
    std::vector<int> outs;
    for (int k = 0; k < num_out; ++k) outs.push_back(OutputTensor(n, k));
    AddOp(kOps.at(op), ins, outs, std::move(u));
    return absl::OkStatus();
  }
  if (op == "Shape") {
    TFM_ASSIGN_OR_RETURN(int x, InputTensor(n, 0));
    fb::ShapeOptionsT o;
    auto it = n.attr().find("out_type");
    o.out_type = it != n.attr().end() && it->second.type() == tensorflow::DT_INT64
                     ? fb::TensorType::INT64
                     : fb::TensorType::INT32;
    fb::BuiltinOptionsUnion u;
    u.Set(o);
    AddOp(B::SHAPE, {x}, {OutputTensor(n, 0)}, std::move(u));
    return absl::OkStatus();
  }
  if (op == "Cast") {
    TFM_ASSIGN_OR_RETURN(int x, InputTensor(n, 0));
    AddOp(B::CAST, {x}, {OutputTensor(n, 0)});
    return absl::OkStatus();
  }
  if (op == "GatherV2" || op == "Gather") {
    TFM_ASSIGN_OR_RETURN(int p, InputTensor(n, 0));
    TFM_ASSIGN_OR_RETURN(int idx, InputTensor(n, 1));
    fb::GatherOptionsT o;
    if (op == "GatherV2") {
      TFM_ASSIGN_OR_RETURN(int64_t axis, ScalarInt(ConstInput(n, 2)));
      o.axis = static_cast<int32_t>(axis);
      o.batch_dims = static_cast<int32_t>(IntOf(n, "batch_dims"));
    }
    fb::BuiltinOptionsUnion u;
    u.Set(o);
    AddOp(B::GATHER, {p, idx}, {OutputTensor(n, 0)}, std::move(u));
    return absl::OkStatus();
  }
  if (op == "Split") {
    TFM_ASSIGN_OR_RETURN(int axis, InputTensor(n, 0));
    TFM_ASSIGN_OR_RETURN(int x, InputTensor(n, 1));
    fb::SplitOptionsT o;
    o.num_splits = static_cast<int32_t>(IntOf(n, "num_split", 1));
    std::vector<int> outs;
    for (int k = 0; k < o.num_splits; ++k) outs.push_back(OutputTensor(n, k));
    fb::BuiltinOptionsUnion u;
    u.Set(o);
    AddOp(B::SPLIT, {axis, x}, outs, std::move(u));
    return absl::OkStatus();
  }
  if (op == "Pack") {
    std::vector<int> ins;
    for (int i = 0; i < n.input_size(); ++i) {
      if (ParseTensorName(n.input(i)).index < 0) continue;
      TFM_ASSIGN_OR_RETURN(int t, InputTensor(n, i));
      ins.push_back(t);
    }
    fb::PackOptionsT o;
    o.values_count = static_cast<int32_t>(ins.size());
    o.axis = static_cast<int32_t>(IntOf(n, "axis"));
    fb::BuiltinOptionsUnion u;
    u.Set(o);
    AddOp(B::PACK, ins, {OutputTensor(n, 0)}, std::move(u));
    return absl::OkStatus();
  }
  if (op == "Unpack") {
    TFM_ASSIGN_OR_RETURN(int x, InputTensor(n, 0));
    fb::UnpackOptionsT o;
    o.num = static_cast<int32_t>(IntOf(n, "num", 1));
    o.axis = static_cast<int32_t>(IntOf(n, "axis"));
    std::vector<int> outs;
    for (int k = 0; k < o.num; ++k) outs.push_back(OutputTensor(n, k));
    fb::BuiltinOptionsUnion u;
    u.Set(o);
    AddOp(B::UNPACK, {x}, outs, std::move(u));
    return absl::OkStatus();
  }
  if (op == "RandomUniform" || op == "RandomStandardNormal") {
    TFM_ASSIGN_OR_RETURN(int s, InputTensor(n, 0));
    fb::RandomOptionsT o;
    o.seed = IntOf(n, "seed");
    o.seed2 = IntOf(n, "seed2");
    fb::BuiltinOptionsUnion u;
    u.Set(o);
    AddOp(op == "RandomUniform" ? B::RANDOM_UNIFORM : B::RANDOM_STANDARD_NORMAL, {s},
          {OutputTensor(n, 0)}, std::move(u));
    return absl::OkStatus();
  }
  // No lowering.
  if (opt_.allow_custom_ops) {
    std::vector<int> ins;
    for (int i = 0; i < n.input_size(); ++i) {
      if (ParseTensorName(n.input(i)).index < 0) continue;
      TFM_ASSIGN_OR_RETURN(int t, InputTensor(n, i));
      ins.push_back(t);
    }
    int num_out = 0;
    for (int k = 0; k < 64; ++k) {
      if (probe1_.count(TensorKey(n.name(), k))) num_out = k + 1;
    }
    if (num_out == 0) num_out = 1;
    std::vector<int> outs;
    for (int k = 0; k < num_out; ++k) outs.push_back(OutputTensor(n, k));
    tensorflow::NodeDef copy = n;
    copy.clear_input();
    copy.clear_device();
    flexbuffers::Builder fbb;
    fbb.Vector([&]() {
      fbb.String(op);
      const std::string bytes = copy.SerializeAsString();
      fbb.String(bytes.data(), bytes.size());
    });
    fbb.Finish();
    auto opr = std::make_unique<fb::OperatorT>();
    opr->opcode_index = OpcodeIndex(B::CUSTOM, op);
    opr->inputs = ins;
    opr->outputs = outs;
    opr->custom_options = fbb.GetBuffer();
    opr->custom_options_format = fb::CustomOptionsFormat::FLEXBUFFERS;
    for (int o : outs) producer_[o] = static_cast<int>(sg_->operators.size());
    sg_->operators.push_back(std::move(opr));
    return absl::OkStatus();
  }
  unsupported_[op].push_back(n.name());
  // Keep going so every unsupported op is reported: give the outputs placeholder tensors.
  for (int k = 0; k < 1; ++k) OutputTensor(n, k);
  return absl::OkStatus();
}

void Converter::QuantizeWeights() {
  for (auto& op : sg_->operators) {
    const B code = model_.operator_codes[op->opcode_index]->builtin_code;
    if (code != B::FULLY_CONNECTED && code != B::CONV_2D && code != B::DEPTHWISE_CONV_2D &&
        code != B::BATCH_MATMUL) {
      continue;
    }
    if (op->inputs.size() < 2 || op->inputs[1] < 0) continue;
    auto& t = *sg_->tensors[op->inputs[1]];
    if (t.type != fb::TensorType::FLOAT32 || t.buffer == 0) continue;
    auto& data = model_.buffers[t.buffer]->data;
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
    if (report_) {
      report_->quantized_tensors++;
      report_->float_weight_bytes += 4 * n;
      report_->quantized_weight_bytes += n;
    }
    data = std::move(out);
    t.type = fb::TensorType::INT8;
    t.quantization = std::move(q);
  }
}

std::string Converter::Finish() {
  flatbuffers::FlatBufferBuilder fbb;
  auto root = fb::Model::Pack(fbb, &model_);
  fb::FinishModelBuffer(fbb, root);
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

absl::StatusOr<std::string> Converter::Convert() {
  TFM_RETURN_IF_ERROR(Prepare());
  TFM_RETURN_IF_ERROR(Probe());
  model_.version = 3;
  model_.description = opt_.description;
  model_.buffers.push_back(std::make_unique<fb::BufferT>());  // the empty sentinel
  model_.subgraphs.push_back(std::make_unique<fb::SubGraphT>());
  sg_ = model_.subgraphs[0].get();
  sg_->name = "main";
  // Inputs.
  for (const auto& in : opt_.input_arrays) {
    TensorId id = ParseTensorName(in);
    const std::string key = TensorKey(id.node, id.index);
    const Tensor& t1 = probe1_.at(key);
    std::vector<int64_t> shape(t1.shape().dim_sizes().begin(), t1.shape().dim_sizes().end()),
        sig = shape;
    if (probe2_.count(key)) {
      for (int d = 0; d < t1.rank(); ++d) {
        if (probe2_.at(key).dim(d) != t1.dim(d)) sig[d] = -1;
      }
    }
    int t = NewTensor(id.node, t1.dtype(), shape, sig);
    Value v;
    v.tensor = t;
    values_[key] = v;
    sg_->inputs.push_back(t);
  }
  for (const auto* n : order_) {
    bool is_input = false;
    for (const auto& in : opt_.input_arrays) is_input |= ParseTensorName(in).node == n->name();
    if (is_input) continue;
    // Constant when every input is (folded) constant; Shape / Size / Rank also when their
    // input's shape does not depend on the inputs' unknown dimensions.
    bool all_const = !NotFoldable(n->op());
    for (int i = 0; all_const && i < n->input_size(); ++i) {
      if (ParseTensorName(n->input(i)).index < 0) continue;
      auto it = values_.find(Canon(n->input(i)));
      all_const = it != values_.end() && it->second.is_const;
    }
    if (!all_const && (n->op() == "Shape" || n->op() == "Size" || n->op() == "Rank") &&
        n->input_size() > 0) {
      const std::string key = Canon(n->input(0));
      auto p1 = probe1_.find(key);
      auto p2 = probe2_.find(key);
      all_const =
          p1 != probe1_.end() &&
          (probe2_.empty() || (p2 != probe2_.end() && p2->second.shape() == p1->second.shape()));
    }
    if (all_const) {
      // Folded: every consumed output of the node becomes a constant.
      for (int k = 0; k < 64; ++k) {
        auto it = probe1_.find(TensorKey(n->name(), k));
        if (it == probe1_.end()) continue;
        Value v;
        v.is_const = true;
        v.value = it->second;
        values_[it->first] = v;
      }
      if (n->op() != "Const" && report_) report_->folded_nodes++;
      continue;
    }
    if (IsIdentityLike(n->op())) {
      TFM_ASSIGN_OR_RETURN(Value * v, Input(*n, 0));
      values_[n->name()] = *v;
      continue;
    }
    TFM_RETURN_IF_ERROR(Lower(*n));
  }
  if (!unsupported_.empty()) {
    std::vector<std::string> parts;
    for (const auto& [op, names] : unsupported_) {
      parts.push_back(absl::StrCat(op, " (", names.size(), " node", names.size() > 1 ? "s" : "",
                                   ", e.g. '", names[0], "')"));
    }
    return absl::UnimplementedError(absl::StrCat(
        "these TF ops have no TFLite lowering (use --allow_custom_ops to keep them as custom "
        "operators): ",
        absl::StrJoin(parts, ", ")));
  }
  // Outputs (a constant output is materialized as a constant tensor).
  for (const auto& out : opt_.output_arrays) {
    TensorId id = ParseTensorName(out);
    Value& v = values_.at(TensorKey(id.node, id.index));
    if (v.tensor < 0) v.tensor = ConstTensor(TensorKey(id.node, id.index), v.value);
    // The output tensor carries the output array's name (as TF's converter does).
    if (std::find(sg_->inputs.begin(), sg_->inputs.end(), v.tensor) == sg_->inputs.end()) {
      sg_->tensors[v.tensor]->name = TensorKey(id.node, id.index);
    }
    sg_->outputs.push_back(v.tensor);
  }
  // CONV_2D / DEPTHWISE_CONV_2D always get a bias (zeros) as TFLite kernels expect.
  for (auto& op : sg_->operators) {
    const B code = model_.operator_codes[op->opcode_index]->builtin_code;
    if ((code == B::CONV_2D || code == B::DEPTHWISE_CONV_2D) &&
        (op->inputs.size() < 3 || op->inputs[2] < 0)) {
      const auto& fshape = sg_->tensors[op->inputs[1]]->shape;
      const int64_t C = code == B::CONV_2D ? fshape[0] : fshape[3];
      op->inputs.resize(3);
      op->inputs[2] = ConstTensor(absl::StrCat(sg_->tensors[op->outputs[0]]->name, "/zero_bias"),
                                  Tensor(DType::kFloat, TensorShape{C}));
    }
  }
  if (opt_.quantize_weights) QuantizeWeights();
  // Signature.
  auto sig = std::make_unique<fb::SignatureDefT>();
  sig->signature_key = opt_.signature_key;
  sig->subgraph_index = 0;
  for (size_t i = 0; i < opt_.input_arrays.size(); ++i) {
    auto tm = std::make_unique<fb::TensorMapT>();
    tm->name = i < opt_.input_aliases.size() ? opt_.input_aliases[i]
                                             : ParseTensorName(opt_.input_arrays[i]).node;
    tm->tensor_index = static_cast<uint32_t>(sg_->inputs[i]);
    sig->inputs.push_back(std::move(tm));
  }
  for (size_t i = 0; i < opt_.output_arrays.size(); ++i) {
    auto tm = std::make_unique<fb::TensorMapT>();
    tm->name = i < opt_.output_aliases.size() ? opt_.output_aliases[i]
                                              : ParseTensorName(opt_.output_arrays[i]).node;
    tm->tensor_index = static_cast<uint32_t>(sg_->outputs[i]);
    sig->outputs.push_back(std::move(tm));
  }
  model_.signature_defs.push_back(std::move(sig));
  // min_runtime_version metadata as TF writes it.
  {
    auto buf = std::make_unique<fb::BufferT>();
    const std::string v = "1.5.0";
    buf->data.assign(v.begin(), v.end());
    buf->data.resize(16, 0);
    model_.buffers.push_back(std::move(buf));
    auto md = std::make_unique<fb::MetadataT>();
    md->name = "min_runtime_version";
    md->buffer = static_cast<uint32_t>(model_.buffers.size() - 1);
    model_.metadata.push_back(std::move(md));
  }
  if (report_) {
    for (const auto& op : sg_->operators) {
      const auto& code = *model_.operator_codes[op->opcode_index];
      report_->operators.push_back(code.builtin_code == B::CUSTOM
                                       ? code.custom_code
                                       : BuiltinOperatorName(code.builtin_code));
    }
  }
  return Finish();
}

}  // namespace

absl::StatusOr<std::string> ConvertGraphToTfLite(const tensorflow::GraphDef& graph,
                                                 const TfLiteConvertOptions& options,
                                                 TfLiteConvertReport* report) {
  Converter c(graph, options, report);
  return c.Convert();
}

}  // namespace tfmodel::tflite
