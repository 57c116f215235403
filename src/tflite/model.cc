#include "tflite/model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status.h"
#include "flatbuffers/flexbuffers.h"
#include "format/tflite.h"
#include "runtime/kernel.h"
#include "tensorflow/core/framework/node_def.pb.h"
#include "tensorflow/core/protobuf/meta_graph.pb.h"
#include "tflite/elementwise.h"

namespace tfmodel::tflite {

namespace tflite_math {

void QuantizeMultiplier(double real_multiplier, int32_t* quantized, int* shift) {
  if (real_multiplier == 0.0 || !std::isfinite(real_multiplier)) {
    *quantized = 0;
    *shift = 0;
    return;
  }
  const double q = std::frexp(real_multiplier, shift);
  int64_t q_fixed = static_cast<int64_t>(std::round(q * (1LL << 31)));
  if (q_fixed == (1LL << 31)) {
    q_fixed /= 2;
    ++*shift;
  }
  if (*shift < -31) {
    *shift = 0;
    q_fixed = 0;
  }
  if (*shift > 30) {  // out of TFLite's supported range; saturate
    *shift = 30;
    q_fixed = (1LL << 31) - 1;
  }
  *quantized = static_cast<int32_t>(q_fixed);
}

namespace {
int32_t SaturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  if (a == b && a == std::numeric_limits<int32_t>::min()) {
    return std::numeric_limits<int32_t>::max();
  }
  const int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  const int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
  return static_cast<int32_t>((ab + nudge) / (1LL << 31));
}

int32_t RoundingDivideByPOT(int32_t x, int exponent) {
  if (exponent <= 0) return x;
  const int32_t mask = static_cast<int32_t>((1LL << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}
}  // namespace

int32_t MultiplyByQuantizedMultiplier(int32_t x, int32_t quantized, int shift) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  // x * 2^left saturates like TFLite's (x * (1 << left)) on int32 would overflow; clamp.
  int64_t shifted = static_cast<int64_t>(x) * (1LL << left);
  shifted = std::clamp<int64_t>(shifted, std::numeric_limits<int32_t>::min(),
                                std::numeric_limits<int32_t>::max());
  return RoundingDivideByPOT(
      SaturatingRoundingDoublingHighMul(static_cast<int32_t>(shifted), quantized), right);
}

}  // namespace tflite_math

namespace {

namespace fb = ::tfmodel::tflite_fb;
using runtime::KernelContext;
using runtime::KernelFactory;
using runtime::KernelInit;
using runtime::KernelRegistry;
using runtime::OpKernel;
using runtime::Signature;
using runtime::TensorSpec;
using tflite_math::MultiplyByQuantizedMultiplier;
using tflite_math::QuantizeMultiplier;

using StepFn =
    std::function<absl::Status(const std::vector<const Tensor*>& in, std::vector<Tensor>* out)>;

struct Step {
  std::string label;         // "operator 3 (CONV_2D)"
  std::vector<int> inputs;   // slots; -1 = optional input not given
  std::vector<int> outputs;  // slots
  StepFn fn;
};

struct QuantParams {
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  int dim = 0;
  bool present() const { return !scale.empty(); }
};

struct SubgraphPlan {
  int num_slots = 0;
  std::vector<std::string> names;                      // per TFLite tensor
  std::vector<DType> dtypes;                           // per TFLite tensor
  std::vector<std::vector<int64_t>> signature_shapes;  // per TFLite tensor
  std::vector<bool> has_shape_signature;
  std::map<int, Tensor> constants;  // slot -> value
  std::vector<Step> steps;
  std::vector<int> inputs;
  std::vector<int> outputs;
};

struct SigBinding {
  int subgraph = 0;
  std::map<std::string, int> inputs;   // alias -> tensor index
  std::map<std::string, int> outputs;  // alias -> tensor index
};

std::string StripZero(const std::string& name) {
  if (absl::EndsWith(name, ":0")) return name.substr(0, name.size() - 2);
  return name;
}

tensorflow::AttrValue TypeAttr(DType t) {
  tensorflow::AttrValue v;
  v.set_type(static_cast<tensorflow::DataType>(static_cast<int>(t)));
  return v;
}
tensorflow::AttrValue IntAttr(int64_t i) {
  tensorflow::AttrValue v;
  v.set_i(i);
  return v;
}
tensorflow::AttrValue BoolAttr(bool b) {
  tensorflow::AttrValue v;
  v.set_b(b);
  return v;
}
tensorflow::AttrValue StrAttr(const std::string& s) {
  tensorflow::AttrValue v;
  v.set_s(s);
  return v;
}
tensorflow::AttrValue IntsAttr(const std::vector<int64_t>& l) {
  tensorflow::AttrValue v;
  for (int64_t i : l) v.mutable_list()->add_i(i);
  return v;
}

// Runs one TF kernel built from a NodeDef.
class TfKernelStep {
 public:
  static absl::StatusOr<std::shared_ptr<TfKernelStep>> Create(tensorflow::NodeDef node,
                                                              int num_inputs) {
    auto s = std::make_shared<TfKernelStep>();
    s->node_ = std::move(node);
    const KernelFactory* f = KernelRegistry::Global().Find(s->node_.op());
    if (!f) {
      return absl::UnimplementedError(
          absl::StrCat("no kernel for TF op ", s->node_.op(), " (node '", s->node_.name(), "')"));
    }
    KernelInit init(s->node_, nullptr, num_inputs);
    TFM_ASSIGN_OR_RETURN(s->kernel_, (*f)(init));
    return s;
  }
  absl::Status Run(const std::vector<const Tensor*>& in, std::vector<Tensor>* out) const {
    std::vector<const Tensor*> inputs;
    for (const Tensor* t : in) {
      if (t) inputs.push_back(t);
    }
    KernelContext ctx(&node_.name(), &node_.op(), inputs, {}, out, nullptr, nullptr, nullptr, 0);
    return kernel_->Compute(&ctx);
  }

 private:
  tensorflow::NodeDef node_;
  std::unique_ptr<OpKernel> kernel_;
};

// Activation applied to a float tensor in place (copying first when the buffer is shared).
absl::Status ApplyActivation(fb::ActivationFunctionType act, Tensor* t) {
  if (act == fb::ActivationFunctionType::NONE) return absl::OkStatus();
  if (t->dtype() != DType::kFloat) {
    return absl::UnimplementedError(
        absl::StrCat("fused activation on ", DTypeName(t->dtype()), " tensors"));
  }
  if (!t->BufferIsUnique()) *t = t->DeepCopy();
  float* d = t->data<float>();
  const int64_t n = t->NumElements();
  switch (act) {
    case fb::ActivationFunctionType::RELU:
      for (int64_t i = 0; i < n; ++i) d[i] = std::max(d[i], 0.0f);
      break;
    case fb::ActivationFunctionType::RELU_N1_TO_1:
      for (int64_t i = 0; i < n; ++i) d[i] = std::clamp(d[i], -1.0f, 1.0f);
      break;
    case fb::ActivationFunctionType::RELU6:
      for (int64_t i = 0; i < n; ++i) d[i] = std::clamp(d[i], 0.0f, 6.0f);
      break;
    case fb::ActivationFunctionType::TANH:
      for (int64_t i = 0; i < n; ++i) d[i] = std::tanh(d[i]);
      break;
    case fb::ActivationFunctionType::SIGN_BIT:
      for (int64_t i = 0; i < n; ++i) d[i] = std::signbit(d[i]) ? 1.0f : 0.0f;
      break;
    default:
      return absl::UnimplementedError(absl::StrCat("activation ", static_cast<int>(act)));
  }
  return absl::OkStatus();
}

// TFLite's CalculateActivationRangeQuantized.
void QuantizedActivationRange(fb::ActivationFunctionType act, float scale, int32_t zp, int32_t qmin,
                              int32_t qmax, int32_t* lo, int32_t* hi) {
  auto q = [&](float f) {
    const double r = std::round(static_cast<double>(f) / scale) + zp;
    return static_cast<int32_t>(std::clamp(r, -2147483648.0, 2147483647.0));
  };
  *lo = qmin;
  *hi = qmax;
  switch (act) {
    case fb::ActivationFunctionType::RELU:
      *lo = std::max(qmin, q(0.0f));
      break;
    case fb::ActivationFunctionType::RELU6:
      *lo = std::max(qmin, q(0.0f));
      *hi = std::min(qmax, q(6.0f));
      break;
    case fb::ActivationFunctionType::RELU_N1_TO_1:
      *lo = std::max(qmin, q(-1.0f));
      *hi = std::min(qmax, q(1.0f));
      break;
    default:
      break;
  }
}

bool IsQuantizedType(DType t) { return t == DType::kInt8 || t == DType::kUInt8; }

int32_t LoadQ(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kInt8 ? static_cast<int32_t>(t.data<int8_t>()[i])
                                   : static_cast<int32_t>(t.data<uint8_t>()[i]);
}
void StoreQ(Tensor* t, int64_t i, int32_t v) {
  if (t->dtype() == DType::kInt8) {
    t->data<int8_t>()[i] = static_cast<int8_t>(v);
  } else {
    t->data<uint8_t>()[i] = static_cast<uint8_t>(v);
  }
}
void QRange(DType t, int32_t* lo, int32_t* hi) {
  if (t == DType::kInt8) {
    *lo = -128;
    *hi = 127;
  } else {
    *lo = 0;
    *hi = 255;
  }
}

// TFLite SAME/VALID output size and leading padding for one spatial dimension.
absl::Status WindowGeometry(bool same, int64_t in, int64_t filter, int64_t stride, int64_t dilation,
                            int64_t* out, int64_t* pad_before) {
  const int64_t eff = (filter - 1) * dilation + 1;
  if (stride <= 0 || dilation <= 0 || filter <= 0) {
    return absl::InvalidArgumentError("stride, dilation and filter size must be positive");
  }
  if (same) {
    *out = (in + stride - 1) / stride;
  } else {
    *out = in >= eff ? (in - eff + stride) / stride : 0;
  }
  const int64_t total = std::max<int64_t>((*out - 1) * stride + eff - in, 0);
  *pad_before = total / 2;
  return absl::OkStatus();
}

class Compiler;

class TfLiteModelImpl : public Model {
 public:
  absl::Status Init(std::unique_ptr<TfLiteFile> file);

  const std::map<std::string, Signature>& signatures() const override { return signatures_; }
  const tensorflow::MetaGraphDef& meta_graph() const override { return meta_graph_; }

  absl::StatusOr<std::map<std::string, Tensor>> RunSignature(
      const std::string& key, const std::map<std::string, Tensor>& inputs,
      const std::vector<std::string>& output_filter) override;
  absl::StatusOr<std::vector<Tensor>> Run(const std::vector<std::pair<std::string, Tensor>>& feeds,
                                          const std::vector<std::string>& fetches,
                                          const std::vector<std::string>& targets) override;

  // Runs subgraph `sg` with values for its tensors; returns every slot.
  absl::StatusOr<std::vector<Tensor>> RunSubgraph(int sg, const std::map<int, Tensor>& feeds) const;

 private:
  absl::Status BuildSignatures();
  absl::StatusOr<int> FindTensor(int sg, const std::string& name) const;

  std::unique_ptr<TfLiteFile> file_;
  std::vector<SubgraphPlan> plans_;
  std::map<std::string, Signature> signatures_;
  std::map<std::string, SigBinding> bindings_;
  tensorflow::MetaGraphDef meta_graph_;
};

// Compiles one subgraph's operators into steps.
class Compiler {
 public:
  Compiler(const TfLiteFile& file, int sg_index, SubgraphPlan* plan)
      : file_(file),
        sg_index_(sg_index),
        sg_(*file.model().subgraphs()->Get(sg_index)),
        plan_(plan) {}

  absl::Status Compile();

 private:
  struct OpCtx {
    int index;
    const fb::Operator* op;
    fb::BuiltinOperator code;
    std::string label;
    std::vector<int> in;   // TFLite input tensor indices (-1 = absent)
    std::vector<int> out;  // output tensor indices
  };

  absl::Status CompileOp(const OpCtx& c);
  absl::Status CompileCustom(const OpCtx& c);
  absl::Status CompileQuantized(const OpCtx& c);
  absl::Status CompileParseExample(const OpCtx& c, bool v2);
  absl::StatusOr<int> DequantizeWeights(const OpCtx& c, int tensor);

  int NewSlot() { return plan_->num_slots++; }
  int AddConst(Tensor t) {
    int s = NewSlot();
    plan_->constants[s] = std::move(t);
    return s;
  }
  const Tensor* Const(int slot) const {
    if (slot < 0) return nullptr;
    auto it = plan_->constants.find(slot);
    return it == plan_->constants.end() ? nullptr : &it->second;
  }
  DType TypeOf(int tensor) const {
    return tensor >= 0 && tensor < static_cast<int>(plan_->dtypes.size()) ? plan_->dtypes[tensor]
                                                                          : DType::kInvalid;
  }
  QuantParams Quant(int tensor) const {
    QuantParams q;
    if (tensor < 0) return q;
    const auto* qp = sg_.tensors()->Get(tensor)->quantization();
    if (!qp || !qp->scale()) return q;
    q.scale.assign(qp->scale()->begin(), qp->scale()->end());
    if (qp->zero_point()) q.zero_point.assign(qp->zero_point()->begin(), qp->zero_point()->end());
    q.zero_point.resize(q.scale.size(), 0);
    q.dim = qp->quantized_dimension();
    return q;
  }
  void AddFn(const OpCtx& c, std::vector<int> in, std::vector<int> out, StepFn fn) {
    plan_->steps.push_back(Step{c.label, std::move(in), std::move(out), std::move(fn)});
  }
  // A TF kernel step: op with attrs, "T" set to `t` when given.
  absl::Status AddTf(const OpCtx& c, const std::string& op,
                     std::map<std::string, tensorflow::AttrValue> attrs, std::vector<int> in,
                     std::vector<int> out) {
    tensorflow::NodeDef node;
    node.set_name(absl::StrCat(c.label, "/", op));
    node.set_op(op);
    for (auto& [k, v] : attrs) (*node.mutable_attr())[k] = std::move(v);
    int n = 0;
    for (int s : in) n += s >= 0 ? 1 : 0;
    auto step = TfKernelStep::Create(std::move(node), n);
    if (!step.ok()) return Annotate(step.status(), c.label);
    std::shared_ptr<TfKernelStep> k = *step;
    AddFn(
        c, std::move(in), std::move(out),
        [k](const std::vector<const Tensor*>& i, std::vector<Tensor>* o) { return k->Run(i, o); });
    return absl::OkStatus();
  }
  // Applies a fused activation to `slot` in place (as its own step).
  void AddActivation(const OpCtx& c, fb::ActivationFunctionType act, int slot) {
    if (act == fb::ActivationFunctionType::NONE) return;
    AddFn(c, {slot}, {slot}, [act](const std::vector<const Tensor*>& i, std::vector<Tensor>* o) {
      Tensor t = *i[0];
      TFM_RETURN_IF_ERROR(ApplyActivation(act, &t));
      (*o)[0] = std::move(t);
      return absl::OkStatus();
    });
  }
  absl::Status Error(const OpCtx& c, const std::string& msg) const {
    return absl::InvalidArgumentError(
        absl::StrCat(file_.name(), ": subgraph ", sg_index_, " ", c.label, ": ", msg));
  }
  absl::Status Unsupported(const OpCtx& c, const std::string& msg) const {
    return absl::UnimplementedError(
        absl::StrCat(file_.name(), ": subgraph ", sg_index_, " ", c.label, ": ", msg));
  }

  const TfLiteFile& file_;
  int sg_index_;
  const fb::SubGraph& sg_;
  SubgraphPlan* plan_;
  std::map<int, int> dequantized_;  // quantized weights tensor -> float constant slot
};

absl::Status Compiler::Compile() {
  const size_t n = sg_.tensors() ? sg_.tensors()->size() : 0;
  plan_->num_slots = static_cast<int>(n);
  plan_->names.resize(n);
  plan_->dtypes.resize(n, DType::kInvalid);
  plan_->signature_shapes.resize(n);
  plan_->has_shape_signature.resize(n, false);
  for (size_t i = 0; i < n; ++i) {
    const auto* t = sg_.tensors()->Get(i);
    plan_->names[i] = t->name() ? t->name()->str() : absl::StrCat("tensor_", i);
    auto dt = DTypeFromTfLite(t->type());
    if (dt.ok()) plan_->dtypes[i] = *dt;
    plan_->signature_shapes[i] = TfLiteShapeSignature(*t);
    plan_->has_shape_signature[i] = t->shape_signature() && t->shape_signature()->size() > 0;
    if (!file_.BufferData(t->buffer()).empty()) {
      auto c = TfLiteConstant(file_, *t);
      if (!c.ok()) return c.status();
      plan_->constants[static_cast<int>(i)] = std::move(*c);
    }
  }
  if (sg_.inputs()) plan_->inputs.assign(sg_.inputs()->begin(), sg_.inputs()->end());
  if (sg_.outputs()) plan_->outputs.assign(sg_.outputs()->begin(), sg_.outputs()->end());
  if (!sg_.operators()) return absl::OkStatus();
  std::vector<std::string> unsupported;
  for (size_t i = 0; i < sg_.operators()->size(); ++i) {
    const auto* op = sg_.operators()->Get(i);
    OpCtx c;
    c.index = static_cast<int>(i);
    c.op = op;
    c.code = TfLiteFile::BuiltinCode(*file_.model().operator_codes()->Get(op->opcode_index()));
    c.label = absl::StrCat("operator ", i, " (", file_.OperatorName(*op), ")");
    if (op->inputs()) c.in.assign(op->inputs()->begin(), op->inputs()->end());
    if (op->outputs()) c.out.assign(op->outputs()->begin(), op->outputs()->end());
    absl::Status s = CompileOp(c);
    if (absl::IsUnimplemented(s)) {
      unsupported.push_back(std::string(s.message()));
      continue;
    }
    TFM_RETURN_IF_ERROR(s);
  }
  if (!unsupported.empty()) {
    return absl::UnimplementedError(
        absl::StrCat("unsupported TFLite operators:\n  ", absl::StrJoin(unsupported, "\n  ")));
  }
  return absl::OkStatus();
}

absl::Status Compiler::CompileCustom(const OpCtx& c) {
  // Flex ops ("Flex" + TF op name) and TFLite's TF-kernel-backed custom ops store a
  // FlexBuffer vector [op name, serialized NodeDef] in custom_options.
  const auto* opts = c.op->custom_options();
  const std::string custom = file_.OperatorName(*c.op);
  if ((!opts || opts->size() == 0) && (custom == "ParseExampleV2" || custom == "ParseExample")) {
    return CompileParseExample(c, custom == "ParseExampleV2");
  }
  if (!opts || opts->size() == 0) {
    return Unsupported(c, "custom operator without a NodeDef in its options");
  }
  if (!flexbuffers::VerifyBuffer(opts->data(), opts->size())) {
    return Error(c, "custom options are not a valid FlexBuffer");
  }
  auto root = flexbuffers::GetRoot(opts->data(), opts->size());
  if (!root.IsVector()) {
    return Unsupported(
        c, absl::StrCat("custom options (", opts->size(), " bytes, FlexBuffer type ",
                        static_cast<int>(root.GetType()), ") are not a [name, NodeDef] vector"));
  }
  auto vec = root.AsVector();
  if (vec.size() < 2 || !vec[1].IsString()) {
    if (custom == "ParseExampleV2") return CompileParseExample(c, true);
    return Unsupported(c, absl::StrCat("custom options are not a [name, NodeDef] vector (",
                                       vec.size(), " elements)"));
  }
  auto nd = vec[1].AsString();
  tensorflow::NodeDef node;
  if (!node.ParseFromArray(nd.c_str(), static_cast<int>(nd.size()))) {
    return Error(c, "custom options hold a malformed NodeDef");
  }
  if (!KernelRegistry::Global().Has(node.op())) {
    return Unsupported(c, absl::StrCat("TF op ", node.op(), " has no tfmodel kernel"));
  }
  node.clear_input();
  node.set_name(absl::StrCat(c.label, "/", node.op()));
  std::map<std::string, tensorflow::AttrValue> attrs(node.attr().begin(), node.attr().end());
  return AddTf(c, node.op(), std::move(attrs), c.in, c.out);
}

// TFLite's ParseExample / ParseExampleV2 custom ops carry no options: the TF attributes
// follow from the inputs (keys, dense defaults) and outputs (dense shapes without the batch
// dimension), as TFLite's own kernel derives them.
absl::Status Compiler::CompileParseExample(const OpCtx& c, bool v2) {
  const auto& in = c.in;
  const auto& out = c.out;
  // V2 inputs: serialized, names, sparse_keys, dense_keys, ragged_keys, dense_defaults...
  // V1 inputs: serialized, names, sparse_keys..., dense_keys..., dense_defaults...
  if (!v2) return Unsupported(c, "ParseExample (v1) without options");
  if (in.size() < 5) return Error(c, "ParseExampleV2 needs at least 5 inputs");
  const Tensor* sparse_keys = Const(in[2]);
  const Tensor* dense_keys = Const(in[3]);
  const Tensor* ragged_keys = Const(in[4]);
  if (!sparse_keys || !dense_keys || !ragged_keys) {
    return Unsupported(c, "ParseExampleV2 with non-constant keys");
  }
  if (ragged_keys->NumElements() != 0) return Unsupported(c, "ParseExampleV2 with ragged features");
  const int64_t num_sparse = sparse_keys->NumElements();
  const int64_t num_dense = dense_keys->NumElements();
  if (static_cast<int64_t>(in.size()) != 5 + num_dense ||
      static_cast<int64_t>(out.size()) != 3 * num_sparse + num_dense) {
    return Error(
        c, absl::StrCat("ParseExampleV2 with ", num_sparse, " sparse and ", num_dense,
                        " dense keys has ", in.size(), " inputs and ", out.size(), " outputs"));
  }
  tensorflow::AttrValue tdense, dense_shapes, sparse_types, empty_types;
  empty_types.mutable_list();
  for (int64_t k = 0; k < num_dense; ++k) {
    tdense.mutable_list()->add_type(
        static_cast<tensorflow::DataType>(static_cast<int>(TypeOf(in[5 + k]))));
    const auto& sig = plan_->signature_shapes[out[3 * num_sparse + k]];
    auto* shape = dense_shapes.mutable_list()->add_shape();
    for (size_t d = 1; d < sig.size(); ++d) shape->add_dim()->set_size(sig[d]);
  }
  for (int64_t k = 0; k < num_sparse; ++k) {
    sparse_types.mutable_list()->add_type(
        static_cast<tensorflow::DataType>(static_cast<int>(TypeOf(out[num_sparse + k]))));
  }
  tdense.mutable_list();
  dense_shapes.mutable_list();
  sparse_types.mutable_list();
  std::map<std::string, tensorflow::AttrValue> a;
  a["num_sparse"] = IntAttr(num_sparse);
  a["Tdense"] = tdense;
  a["dense_shapes"] = dense_shapes;
  a["sparse_types"] = sparse_types;
  a["ragged_value_types"] = empty_types;
  a["ragged_split_types"] = empty_types;
  return AddTf(c, "ParseExampleV2", std::move(a), in, out);
}

// Float weights for a float op whose constant weights are int8/uint8/float16
// (dynamic-range / float16 quantized models), dequantized once at load.
absl::StatusOr<int> Compiler::DequantizeWeights(const OpCtx& c, int tensor) {
  const Tensor* w = Const(tensor);
  if (w->dtype() == DType::kHalf) {
    Tensor f(DType::kFloat, w->shape());
    for (int64_t i = 0; i < w->NumElements(); ++i)
      f.data<float>()[i] = w->data<Half>()[i].ToFloat();
    return AddConst(std::move(f));
  }
  if (!IsQuantizedType(w->dtype())) return tensor;
  QuantParams q = Quant(tensor);
  if (!q.present()) return Error(c, "quantized weights without quantization parameters");
  Tensor f(DType::kFloat, w->shape());
  const int rank = w->rank();
  if (q.scale.size() > 1 &&
      (q.dim < 0 || q.dim >= rank || w->dim(q.dim) != static_cast<int64_t>(q.scale.size()))) {
    return Error(c, "per-channel quantization does not match the weights' shape");
  }
  int64_t inner = 1;
  if (q.scale.size() > 1) {
    for (int d = q.dim + 1; d < rank; ++d) inner *= w->dim(d);
  }
  for (int64_t i = 0; i < w->NumElements(); ++i) {
    const size_t ch = q.scale.size() > 1 ? static_cast<size_t>((i / inner) % w->dim(q.dim)) : 0;
    f.data<float>()[i] = q.scale[ch] * static_cast<float>(LoadQ(*w, i) - q.zero_point[ch]);
  }
  return AddConst(std::move(f));
}

// Float / generic builtins.
absl::Status Compiler::CompileOp(const OpCtx& c) {
  using B = fb::BuiltinOperator;
  const auto& in = c.in;
  const auto& out = c.out;
  auto need = [&](size_t ni, size_t no) -> absl::Status {
    if (in.size() < ni || out.size() < no) {
      return Error(c, absl::StrCat("expects ", ni, " inputs and ", no, " outputs, has ", in.size(),
                                   " and ", out.size()));
    }
    for (size_t i = 0; i < ni; ++i) {
      if (in[i] < 0) return Error(c, absl::StrCat("input ", i, " is missing"));
    }
    return absl::OkStatus();
  };
  const DType t0 = in.empty() || in[0] < 0 ? DType::kInvalid : TypeOf(in[0]);
  const DType o0 = out.empty() ? DType::kInvalid : TypeOf(out[0]);

  if (c.code == B::CUSTOM) return CompileCustom(c);
  // Quantized arithmetic paths.
  switch (c.code) {
    case B::QUANTIZE:
    case B::DEQUANTIZE:
      return CompileQuantized(c);
    case B::FULLY_CONNECTED:
    case B::CONV_2D:
    case B::DEPTHWISE_CONV_2D:
    case B::ADD:
      if (IsQuantizedType(t0) && IsQuantizedType(o0)) return CompileQuantized(c);
      break;
    default:
      break;
  }
  auto attrs_t = [&](DType t) {
    std::map<std::string, tensorflow::AttrValue> a;
    a["T"] = TypeAttr(t);
    return a;
  };
  auto float_weights = [&](int tensor) -> absl::StatusOr<int> {
    const Tensor* w = Const(tensor);
    if (!w || w->dtype() == DType::kFloat || t0 != DType::kFloat) return tensor;
    // One float copy per weights tensor, however many operators share it.
    if (auto it = dequantized_.find(tensor); it != dequantized_.end()) return it->second;
    TFM_ASSIGN_OR_RETURN(int slot, DequantizeWeights(c, tensor));
    dequantized_[tensor] = slot;
    return slot;
  };

  if (const TfLiteElementwiseOp* e = FindTfLiteElementwise(c.code)) {
    TFM_RETURN_IF_ERROR(need(e->num_inputs, 1));
    if (e->float_only && t0 != DType::kFloat) {
      return Unsupported(c, absl::StrCat("inputs of type ", DTypeName(t0)));
    }
    return AddTf(c, e->tf_op, attrs_t(t0), std::vector<int>(in.begin(), in.begin() + e->num_inputs),
                 {out[0]});
  }
  switch (c.code) {
    case B::ADD:
    case B::SUB:
    case B::MUL:
    case B::DIV: {
      TFM_RETURN_IF_ERROR(need(2, 1));
      fb::ActivationFunctionType act = fb::ActivationFunctionType::NONE;
      const char* tf = "AddV2";
      if (c.code == B::ADD) {
        if (auto* o = c.op->builtin_options_as_AddOptions()) act = o->fused_activation_function();
      } else if (c.code == B::SUB) {
        tf = "Sub";
        if (auto* o = c.op->builtin_options_as_SubOptions()) act = o->fused_activation_function();
      } else if (c.code == B::MUL) {
        tf = "Mul";
        if (auto* o = c.op->builtin_options_as_MulOptions()) act = o->fused_activation_function();
      } else {
        tf = t0 == DType::kFloat ? "RealDiv" : "FloorDiv";
        if (auto* o = c.op->builtin_options_as_DivOptions()) act = o->fused_activation_function();
      }
      TFM_RETURN_IF_ERROR(AddTf(c, tf, attrs_t(t0), {in[0], in[1]}, {out[0]}));
      AddActivation(c, act, out[0]);
      return absl::OkStatus();
    }
    case B::RELU_N1_TO_1: {
      TFM_RETURN_IF_ERROR(need(1, 1));
      AddFn(c, {in[0]}, {out[0]}, [](const std::vector<const Tensor*>& i, std::vector<Tensor>* o) {
        Tensor t = i[0]->DeepCopy();
        TFM_RETURN_IF_ERROR(ApplyActivation(fb::ActivationFunctionType::RELU_N1_TO_1, &t));
        (*o)[0] = std::move(t);
        return absl::OkStatus();
      });
      return absl::OkStatus();
    }
    case B::LEAKY_RELU: {
      TFM_RETURN_IF_ERROR(need(1, 1));
      auto a = attrs_t(t0);
      tensorflow::AttrValue alpha;
      alpha.set_f(c.op->builtin_options_as_LeakyReluOptions()
                      ? c.op->builtin_options_as_LeakyReluOptions()->alpha()
                      : 0.2f);
      a["alpha"] = alpha;
      return AddTf(c, "LeakyRelu", std::move(a), {in[0]}, {out[0]});
    }
    case B::SOFTMAX: {
      TFM_RETURN_IF_ERROR(need(1, 1));
      float beta = 1.0f;
      if (auto* o = c.op->builtin_options_as_SoftmaxOptions()) beta = o->beta();
      int src = in[0];
      if (beta != 1.0f) {
        int scaled = NewSlot();
        int b = AddConst(Tensor::Scalar<float>(beta));
        TFM_RETURN_IF_ERROR(AddTf(c, "Mul", attrs_t(t0), {src, b}, {scaled}));
        src = scaled;
      }
      return AddTf(c, "Softmax", attrs_t(t0), {src}, {out[0]});
    }
    case B::FULLY_CONNECTED: {
      TFM_RETURN_IF_ERROR(need(2, 1));
      const auto* o = c.op->builtin_options_as_FullyConnectedOptions();
      if (o && o->weights_format() != fb::FullyConnectedOptionsWeightsFormat::DEFAULT) {
        return Unsupported(c, "shuffled weights format");
      }
      TFM_ASSIGN_OR_RETURN(int w, float_weights(in[1]));
      const auto act = o ? o->fused_activation_function() : fb::ActivationFunctionType::NONE;
      const bool keep = o && o->keep_num_dims();
      const int bias = in.size() > 2 ? in[2] : -1;
      const int result = out[0];
      // x -> [-1, in] @ w^T (+ b), then reshaped back for keep_num_dims.
      AddFn(c, {in[0], w}, {NewSlot()}, nullptr);
      const int flat = plan_->steps.back().outputs[0];
      plan_->steps.back().fn = [](const std::vector<const Tensor*>& i, std::vector<Tensor>* o) {
        const Tensor& x = *i[0];
        const Tensor& wt = *i[1];
        if (wt.rank() != 2)
          return absl::InvalidArgumentError("FULLY_CONNECTED weights must be 2-D");
        const int64_t depth = wt.dim(1);
        if (depth == 0 || x.NumElements() % depth != 0) {
          return absl::InvalidArgumentError(
              absl::StrCat("FULLY_CONNECTED input ", x.shape().ToString(),
                           " is not a multiple of the weights' input size ", depth));
        }
        TFM_ASSIGN_OR_RETURN(Tensor r, x.Reshaped(TensorShape{x.NumElements() / depth, depth}));
        (*o)[0] = std::move(r);
        return absl::OkStatus();
      };
      auto mm = attrs_t(t0);
      mm["transpose_b"] = BoolAttr(true);
      mm["transpose_a"] = BoolAttr(false);
      int acc = NewSlot();
      TFM_RETURN_IF_ERROR(AddTf(c, "MatMul", std::move(mm), {flat, w}, {acc}));
      if (bias >= 0) {
        int biased = NewSlot();
        TFM_RETURN_IF_ERROR(AddTf(c, "BiasAdd", attrs_t(t0), {acc, bias}, {biased}));
        acc = biased;
      }
      const int x_slot = in[0];
      AddFn(c, {acc, x_slot}, {result},
            [keep](const std::vector<const Tensor*>& i, std::vector<Tensor>* o) {
              Tensor t = *i[0];
              if (keep) {
                std::vector<int64_t> dims(i[1]->shape().dim_sizes().begin(),
                                          i[1]->shape().dim_sizes().end());
                if (dims.empty()) dims.push_back(1);
                dims.back() = t.dim(1);
                TFM_ASSIGN_OR_RETURN(t, t.Reshaped(TensorShape(dims)));
              }
              (*o)[0] = std::move(t);
              return absl::OkStatus();
            });
      AddActivation(c, act, result);
      return absl::OkStatus();
    }
    case B::CONV_2D:
    case B::DEPTHWISE_CONV_2D: {
      TFM_RETURN_IF_ERROR(need(2, 1));
      TFM_ASSIGN_OR_RETURN(int w, float_weights(in[1]));
      const bool depthwise = c.code == B::DEPTHWISE_CONV_2D;
      fb::Padding pad;
      int sh, sw, dh, dw;
      fb::ActivationFunctionType act;
      if (depthwise) {
        const auto* o = c.op->builtin_options_as_DepthwiseConv2DOptions();
        if (!o) return Error(c, "missing DepthwiseConv2DOptions");
        pad = o->padding();
        sh = o->stride_h(), sw = o->stride_w(), dh = o->dilation_h_factor(),
        dw = o->dilation_w_factor();
        act = o->fused_activation_function();
      } else {
        const auto* o = c.op->builtin_options_as_Conv2DOptions();
        if (!o) return Error(c, "missing Conv2DOptions");
        pad = o->padding();
        sh = o->stride_h(), sw = o->stride_w(), dh = o->dilation_h_factor(),
        dw = o->dilation_w_factor();
        act = o->fused_activation_function();
      }
      // Filter layout: CONV_2D OHWI -> HWIO; DEPTHWISE [1,H,W,C*M] -> [H,W,C,M].
      int filter = NewSlot();
      const int x_slot = in[0];
      auto relayout = [depthwise](const Tensor& f, const Tensor& x) -> absl::StatusOr<Tensor> {
        if (f.rank() != 4) return absl::InvalidArgumentError("filter must be 4-D");
        if (f.dtype() != DType::kFloat) {
          return absl::UnimplementedError(absl::StrCat("filter of type ", DTypeName(f.dtype())));
        }
        if (depthwise) {
          if (x.rank() != 4 || x.dim(3) == 0 || f.dim(3) % x.dim(3) != 0) {
            return absl::InvalidArgumentError(
                absl::StrCat("depthwise filter ", f.shape().ToString(), " does not match input ",
                             x.shape().ToString()));
          }
          return f.Reshaped(TensorShape{f.dim(1), f.dim(2), x.dim(3), f.dim(3) / x.dim(3)});
        }
        const int64_t O = f.dim(0), H = f.dim(1), W = f.dim(2), I = f.dim(3);
        Tensor r = Tensor::Empty(DType::kFloat, TensorShape{H, W, I, O});
        const float* s = f.data<float>();
        float* d = r.data<float>();
        for (int64_t o = 0; o < O; ++o)
          for (int64_t h = 0; h < H; ++h)
            for (int64_t ww = 0; ww < W; ++ww)
              for (int64_t i = 0; i < I; ++i)
                d[((h * W + ww) * I + i) * O + o] = s[((o * H + h) * W + ww) * I + i];
        return r;
      };
      const Tensor* wc = Const(w);
      if (wc && !depthwise) {
        Tensor dummy;
        auto r = relayout(*wc, dummy);
        if (!r.ok()) return Error(c, std::string(r.status().message()));
        filter = AddConst(std::move(*r));
      } else {
        AddFn(c, {w, x_slot}, {filter},
              [relayout](const std::vector<const Tensor*>& i, std::vector<Tensor>* o) {
                TFM_ASSIGN_OR_RETURN(Tensor r, relayout(*i[0], *i[1]));
                (*o)[0] = std::move(r);
                return absl::OkStatus();
              });
      }
      auto a = attrs_t(t0);
      a["strides"] = IntsAttr({1, sh, sw, 1});
      a["dilations"] = IntsAttr({1, dh, dw, 1});
      a["padding"] = StrAttr(pad == fb::Padding::SAME ? "SAME" : "VALID");
      a["data_format"] = StrAttr("NHWC");
      const int bias = in.size() > 2 ? in[2] : -1;
      int conv = bias >= 0 ? NewSlot() : out[0];
      TFM_RETURN_IF_ERROR(AddTf(c, depthwise ? "DepthwiseConv2dNative" : "Conv2D", std::move(a),
                                {x_slot, filter}, {conv}));
      if (bias >= 0) TFM_RETURN_IF_ERROR(AddTf(c, "BiasAdd", attrs_t(t0), {conv, bias}, {out[0]}));
      AddActivation(c, act, out[0]);
      return absl::OkStatus();
    }
    case B::MAX_POOL_2D:
    case B::AVERAGE_POOL_2D: {
      TFM_RETURN_IF_ERROR(need(1, 1));
      const auto* o = c.op->builtin_options_as_Pool2DOptions();
      if (!o) return Error(c, "missing Pool2DOptions");
      auto a = attrs_t(t0);
      a["ksize"] = IntsAttr({1, o->filter_height(), o->filter_width(), 1});
      a["strides"] = IntsAttr({1, o->stride_h(), o->stride_w(), 1});
      a["padding"] = StrAttr(o->padding() == fb::Padding::SAME ? "SAME" : "VALID");
      a["data_format"] = StrAttr("NHWC");
      TFM_RETURN_IF_ERROR(AddTf(c, c.code == B::MAX_POOL_2D ? "MaxPool" : "AvgPool", std::move(a),
                                {in[0]}, {out[0]}));
      AddActivation(c, o->fused_activation_function(), out[0]);
      return absl::OkStatus();
    }
    case B::RESHAPE: {
      TFM_RETURN_IF_ERROR(need(1, 1));
      int shape = in.size() > 1 ? in[1] : -1;
      const auto* o = c.op->builtin_options_as_ReshapeOptions();
      if (shape < 0 || (Const(shape) && Const(shape)->NumElements() == 0 && o && o->new_shape())) {
        if (!o || !o->new_shape()) return Error(c, "no shape input and no new_shape option");
        std::vector<int32_t> dims(o->new_shape()->begin(), o->new_shape()->end());
        shape = AddConst(Tensor::FromVector<int32_t>(dims));
      }
      auto a = attrs_t(t0);
      a["Tshape"] = TypeAttr(TypeOf(shape) == DType::kInvalid ? DType::kInt32 : TypeOf(shape));
      return AddTf(c, "Reshape", std::move(a), {in[0], shape}, {out[0]});
    }
    case B::SQUEEZE: {
      TFM_RETURN_IF_ERROR(need(1, 1));
      auto a = attrs_t(t0);
      std::vector<int64_t> dims;
      if (auto* o = c.op->builtin_options_as_SqueezeOptions(); o && o->squeeze_dims()) {
        dims.assign(o->squeeze_dims()->begin(), o->squeeze_dims()->end());
      }
      a["squeeze_dims"] = IntsAttr(dims);
      return AddTf(c, "Squeeze", std::move(a), {in[0]}, {out[0]});
    }
    case B::EXPAND_DIMS: {
      TFM_RETURN_IF_ERROR(need(2, 1));
      auto a = attrs_t(t0);
      a["Tdim"] = TypeAttr(TypeOf(in[1]));
      return AddTf(c, "ExpandDims", std::move(a), {in[0], in[1]}, {out[0]});
    }
    case B::CONCATENATION: {
      if (out.empty() || in.empty()) return Error(c, "needs inputs and an output");
      const auto* o = c.op->builtin_options_as_ConcatenationOptions();
      auto a = attrs_t(t0);
      a["N"] = IntAttr(static_cast<int64_t>(in.size()));
      a["Tidx"] = TypeAttr(DType::kInt32);
      std::vector<int> ins = in;
      ins.push_back(AddConst(Tensor::Scalar<int32_t>(o ? o->axis() : 0)));
      TFM_RETURN_IF_ERROR(AddTf(c, "ConcatV2", std::move(a), ins, {out[0]}));
      if (o) AddActivation(c, o->fused_activation_function(), out[0]);
      return absl::OkStatus();
    }
    case B::MEAN:
    case B::SUM:
    case B::REDUCE_MAX:
    case B::REDUCE_MIN:
    case B::REDUCE_PROD:
    case B::REDUCE_ANY:
    case B::REDUCE_ALL: {
      TFM_RETURN_IF_ERROR(need(2, 1));
      static const std::map<B, const char*> kOps = {
          {B::MEAN, "Mean"},      {B::SUM, "Sum"},          {B::REDUCE_MAX, "Max"},
          {B::REDUCE_MIN, "Min"}, {B::REDUCE_PROD, "Prod"}, {B::REDUCE_ANY, "Any"},
          {B::REDUCE_ALL, "All"}};
      auto a = attrs_t(t0);
      a["Tidx"] = TypeAttr(TypeOf(in[1]));
      const auto* o = c.op->builtin_options_as_ReducerOptions();
      a["keep_dims"] = BoolAttr(o && o->keep_dims());
      return AddTf(c, kOps.at(c.code), std::move(a), {in[0], in[1]}, {out[0]});
    }
    case B::PAD:
    case B::PADV2: {
      TFM_RETURN_IF_ERROR(need(2, 1));
      auto a = attrs_t(t0);
      a["Tpaddings"] = TypeAttr(TypeOf(in[1]));
      if (c.code == B::PADV2 && in.size() > 2 && in[2] >= 0) {
        return AddTf(c, "PadV2", std::move(a), {in[0], in[1], in[2]}, {out[0]});
      }
      return AddTf(c, "Pad", std::move(a), {in[0], in[1]}, {out[0]});
    }
    case B::STRIDED_SLICE: {
      TFM_RETURN_IF_ERROR(need(4, 1));
      const auto* o = c.op->builtin_options_as_StridedSliceOptions();
      auto a = attrs_t(t0);
      a["Index"] = TypeAttr(TypeOf(in[1]));
      a["begin_mask"] = IntAttr(o ? o->begin_mask() : 0);
      a["end_mask"] = IntAttr(o ? o->end_mask() : 0);
      a["ellipsis_mask"] = IntAttr(o ? o->ellipsis_mask() : 0);
      a["new_axis_mask"] = IntAttr(o ? o->new_axis_mask() : 0);
      a["shrink_axis_mask"] = IntAttr(o ? o->shrink_axis_mask() : 0);
      if (o && o->offset()) return Unsupported(c, "offset=true");
      return AddTf(c, "StridedSlice", std::move(a), {in[0], in[1], in[2], in[3]}, {out[0]});
    }
    case B::SLICE: {
      TFM_RETURN_IF_ERROR(need(3, 1));
      auto a = attrs_t(t0);
      a["Index"] = TypeAttr(TypeOf(in[1]));
      return AddTf(c, "Slice", std::move(a), {in[0], in[1], in[2]}, {out[0]});
    }
    case B::TRANSPOSE: {
      TFM_RETURN_IF_ERROR(need(2, 1));
      auto a = attrs_t(t0);
      a["Tperm"] = TypeAttr(TypeOf(in[1]));
      return AddTf(c, "Transpose", std::move(a), {in[0], in[1]}, {out[0]});
    }
    case B::GATHER: {
      TFM_RETURN_IF_ERROR(need(2, 1));
      const auto* o = c.op->builtin_options_as_GatherOptions();
      std::map<std::string, tensorflow::AttrValue> a;
      a["Tparams"] = TypeAttr(t0);
      a["Tindices"] = TypeAttr(TypeOf(in[1]));
      a["Taxis"] = TypeAttr(DType::kInt32);
      a["batch_dims"] = IntAttr(o ? o->batch_dims() : 0);
      int axis = AddConst(Tensor::Scalar<int32_t>(o ? o->axis() : 0));
      return AddTf(c, "GatherV2", std::move(a), {in[0], in[1], axis}, {out[0]});
    }
    case B::GATHER_ND: {
      TFM_RETURN_IF_ERROR(need(2, 1));
      std::map<std::string, tensorflow::AttrValue> a;
      a["Tparams"] = TypeAttr(t0);
      a["Tindices"] = TypeAttr(TypeOf(in[1]));
      return AddTf(c, "GatherNd", std::move(a), {in[0], in[1]}, {out[0]});
    }
    case B::SPLIT: {
      TFM_RETURN_IF_ERROR(need(2, 1));
      auto a = attrs_t(TypeOf(in[1]));
      a["num_split"] = IntAttr(static_cast<int64_t>(out.size()));
      return AddTf(c, "Split", std::move(a), {in[0], in[1]}, out);
    }
    case B::SPLIT_V: {
      TFM_RETURN_IF_ERROR(need(3, 1));
      auto a = attrs_t(t0);
      a["Tlen"] = TypeAttr(TypeOf(in[1]));
      a["num_split"] = IntAttr(static_cast<int64_t>(out.size()));
      return AddTf(c, "SplitV", std::move(a), {in[0], in[1], in[2]}, out);
    }
    case B::PACK: {
      TFM_RETURN_IF_ERROR(need(1, 1));
      const auto* o = c.op->builtin_options_as_PackOptions();
      auto a = attrs_t(t0);
      a["N"] = IntAttr(static_cast<int64_t>(in.size()));
      a["axis"] = IntAttr(o ? o->axis() : 0);
      return AddTf(c, "Pack", std::move(a), in, {out[0]});
    }
    case B::UNPACK: {
      TFM_RETURN_IF_ERROR(need(1, 1));
      const auto* o = c.op->builtin_options_as_UnpackOptions();
      auto a = attrs_t(t0);
      a["num"] = IntAttr(static_cast<int64_t>(out.size()));
      a["axis"] = IntAttr(o ? o->axis() : 0);
      return AddTf(c, "Unpack", std::move(a), {in[0]}, out);
    }
    case B::BATCH_MATMUL: {
      TFM_RETURN_IF_ERROR(need(2, 1));
      const auto* o = c.op->builtin_options_as_BatchMatMulOptions();
      auto a = attrs_t(t0);
      a["adj_x"] = BoolAttr(o && o->adj_x());
      a["adj_y"] = BoolAttr(o && o->adj_y());
      TFM_ASSIGN_OR_RETURN(int w, float_weights(in[1]));
      return AddTf(c, "BatchMatMulV2", std::move(a), {in[0], w}, {out[0]});
    }
    case B::CAST: {
      TFM_RETURN_IF_ERROR(need(1, 1));
      std::map<std::string, tensorflow::AttrValue> a;
      a["SrcT"] = TypeAttr(t0);
      a["DstT"] = TypeAttr(o0);
      return AddTf(c, "Cast", std::move(a), {in[0]}, {out[0]});
    }
    case B::SHAPE: {
      TFM_RETURN_IF_ERROR(need(1, 1));
      auto a = attrs_t(t0);
      a["out_type"] = TypeAttr(o0);
      return AddTf(c, "Shape", std::move(a), {in[0]}, {out[0]});
    }
    case B::TILE: {
      TFM_RETURN_IF_ERROR(need(2, 1));
      auto a = attrs_t(t0);
      a["Tmultiples"] = TypeAttr(TypeOf(in[1]));
      return AddTf(c, "Tile", std::move(a), {in[0], in[1]}, {out[0]});
    }
    case B::FILL: {
      TFM_RETURN_IF_ERROR(need(2, 1));
      auto a = attrs_t(TypeOf(in[1]));
      a["index_type"] = TypeAttr(t0);
      return AddTf(c, "Fill", std::move(a), {in[0], in[1]}, {out[0]});
    }
    case B::ARG_MAX:
    case B::ARG_MIN: {
      TFM_RETURN_IF_ERROR(need(2, 1));
      auto a = attrs_t(t0);
      a["Tidx"] = TypeAttr(TypeOf(in[1]));
      a["output_type"] = TypeAttr(o0);
      return AddTf(c, c.code == B::ARG_MAX ? "ArgMax" : "ArgMin", std::move(a), {in[0], in[1]},
                   {out[0]});
    }
    case B::SELECT:
    case B::SELECT_V2: {
      TFM_RETURN_IF_ERROR(need(3, 1));
      return AddTf(c, c.code == B::SELECT ? "Select" : "SelectV2", attrs_t(TypeOf(in[1])),
                   {in[0], in[1], in[2]}, {out[0]});
    }
    case B::RANDOM_UNIFORM:
    case B::RANDOM_STANDARD_NORMAL: {
      TFM_RETURN_IF_ERROR(need(1, 1));
      std::map<std::string, tensorflow::AttrValue> a;
      a["T"] = TypeAttr(t0);
      a["dtype"] = TypeAttr(o0);
      const auto* o = c.op->builtin_options_as_RandomOptions();
      a["seed"] = IntAttr(o ? o->seed() : 0);
      a["seed2"] = IntAttr(o ? o->seed2() : 0);
      return AddTf(c, c.code == B::RANDOM_UNIFORM ? "RandomUniform" : "RandomStandardNormal",
                   std::move(a), {in[0]}, {out[0]});
    }
    case B::RESIZE_BILINEAR:
    case B::RESIZE_NEAREST_NEIGHBOR: {
      return Unsupported(c, "resize operators are not mapped yet");
    }
    default:
      return Unsupported(c, "no tfmodel implementation");
  }
}

// Quantized (uint8/int8) operators, with TFLite's reference-kernel integer arithmetic.
absl::Status Compiler::CompileQuantized(const OpCtx& c) {
  using B = fb::BuiltinOperator;
  const auto& in = c.in;
  const auto& out = c.out;
  if (in.empty() || out.empty() || in[0] < 0) return Error(c, "needs an input and an output");
  const DType in_t = TypeOf(in[0]);
  const DType out_t = TypeOf(out[0]);
  const QuantParams qi = Quant(in[0]);
  const QuantParams qo = Quant(out[0]);

  if (c.code == B::DEQUANTIZE) {
    if (in_t == DType::kHalf) {
      AddFn(c, {in[0]}, {out[0]}, [](const std::vector<const Tensor*>& i, std::vector<Tensor>* o) {
        Tensor f = Tensor::Empty(DType::kFloat, i[0]->shape());
        for (int64_t k = 0; k < f.NumElements(); ++k)
          f.data<float>()[k] = i[0]->data<Half>()[k].ToFloat();
        (*o)[0] = std::move(f);
        return absl::OkStatus();
      });
      return absl::OkStatus();
    }
    if (!IsQuantizedType(in_t) && in_t != DType::kInt16) {
      return Unsupported(c, absl::StrCat("DEQUANTIZE of ", DTypeName(in_t)));
    }
    if (!qi.present()) return Error(c, "input has no quantization parameters");
    AddFn(c, {in[0]}, {out[0]}, [qi](const std::vector<const Tensor*>& i, std::vector<Tensor>* o) {
      const Tensor& x = *i[0];
      Tensor f = Tensor::Empty(DType::kFloat, x.shape());
      int64_t inner = 1, channels = 1;
      if (qi.scale.size() > 1) {
        if (qi.dim < 0 || qi.dim >= x.rank() ||
            x.dim(qi.dim) != static_cast<int64_t>(qi.scale.size())) {
          return absl::InvalidArgumentError(
              "per-channel quantization does not match the input shape");
        }
        channels = x.dim(qi.dim);
        for (int d = qi.dim + 1; d < x.rank(); ++d) inner *= x.dim(d);
      }
      for (int64_t k = 0; k < x.NumElements(); ++k) {
        const size_t ch = channels > 1 ? static_cast<size_t>((k / inner) % channels) : 0;
        const int32_t q = x.dtype() == DType::kInt16 ? x.data<int16_t>()[k] : LoadQ(x, k);
        f.data<float>()[k] = qi.scale[ch] * static_cast<float>(q - qi.zero_point[ch]);
      }
      (*o)[0] = std::move(f);
      return absl::OkStatus();
    });
    return absl::OkStatus();
  }
  if (!IsQuantizedType(out_t))
    return Unsupported(c, absl::StrCat("output of type ", DTypeName(out_t)));
  if (!qo.present() || qo.scale[0] <= 0) return Error(c, "output has no quantization parameters");
  int32_t qmin, qmax;
  QRange(out_t, &qmin, &qmax);
  const float out_scale = qo.scale[0];
  const int32_t out_zp = static_cast<int32_t>(qo.zero_point[0]);

  if (c.code == B::QUANTIZE) {
    if (in_t == DType::kFloat) {
      AddFn(c, {in[0]}, {out[0]}, [=](const std::vector<const Tensor*>& i, std::vector<Tensor>* o) {
        Tensor q = Tensor::Empty(out_t, i[0]->shape());
        const float* x = i[0]->data<float>();
        for (int64_t k = 0; k < q.NumElements(); ++k) {
          const float r = std::round(x[k] / out_scale);
          // NaN quantizes to the zero point; +-inf saturate.
          const float clamped = std::isnan(r) ? 0.0f : std::clamp(r, -2147483648.0f, 2147483520.0f);
          const int64_t v = static_cast<int64_t>(clamped) + out_zp;
          StoreQ(&q, k, static_cast<int32_t>(std::clamp<int64_t>(v, qmin, qmax)));
        }
        (*o)[0] = std::move(q);
        return absl::OkStatus();
      });
      return absl::OkStatus();
    }
    if (!IsQuantizedType(in_t) || !qi.present()) {
      return Unsupported(c, absl::StrCat("QUANTIZE from ", DTypeName(in_t)));
    }
    int32_t mult;
    int shift;
    QuantizeMultiplier(static_cast<double>(qi.scale[0]) / out_scale, &mult, &shift);
    const int32_t in_zp = static_cast<int32_t>(qi.zero_point[0]);
    AddFn(c, {in[0]}, {out[0]}, [=](const std::vector<const Tensor*>& i, std::vector<Tensor>* o) {
      Tensor q = Tensor::Empty(out_t, i[0]->shape());
      for (int64_t k = 0; k < q.NumElements(); ++k) {
        int32_t v = MultiplyByQuantizedMultiplier(LoadQ(*i[0], k) - in_zp, mult, shift) + out_zp;
        StoreQ(&q, k, std::clamp(v, qmin, qmax));
      }
      (*o)[0] = std::move(q);
      return absl::OkStatus();
    });
    return absl::OkStatus();
  }
  if (!qi.present()) return Error(c, "input has no quantization parameters");
  const int32_t in_zp = static_cast<int32_t>(qi.zero_point[0]);
  const float in_scale = qi.scale[0];

  if (c.code == B::ADD) {
    if (in.size() < 2 || in[1] < 0) return Error(c, "ADD needs two inputs");
    const QuantParams q2 = Quant(in[1]);
    if (!q2.present() || TypeOf(in[1]) != in_t) return Error(c, "inputs must be quantized alike");
    const auto* o = c.op->builtin_options_as_AddOptions();
    int32_t lo, hi;
    QuantizedActivationRange(o ? o->fused_activation_function() : fb::ActivationFunctionType::NONE,
                             out_scale, out_zp, qmin, qmax, &lo, &hi);
    const int left_shift = 20;
    const double twice_max = 2.0 * std::max<double>(in_scale, q2.scale[0]);
    int32_t m1, m2, mo;
    int s1, s2, so;
    QuantizeMultiplier(in_scale / twice_max, &m1, &s1);
    QuantizeMultiplier(q2.scale[0] / twice_max, &m2, &s2);
    QuantizeMultiplier(twice_max / ((1 << left_shift) * static_cast<double>(out_scale)), &mo, &so);
    const int32_t zp2 = static_cast<int32_t>(q2.zero_point[0]);
    AddFn(c, {in[0], in[1]}, {out[0]},
          [=](const std::vector<const Tensor*>& i, std::vector<Tensor>* ov) {
            const Tensor& a = *i[0];
            const Tensor& b = *i[1];
            // Broadcasting: equal shapes, or one side a single element.
            const bool a1 = a.NumElements() == 1, b1 = b.NumElements() == 1;
            if (a.shape() != b.shape() && !a1 && !b1) {
              return absl::UnimplementedError(absl::StrCat("quantized ADD broadcasting ",
                                                           a.shape().ToString(), " with ",
                                                           b.shape().ToString()));
            }
            const Tensor& big = (a1 && !b1) ? b : a;
            Tensor r = Tensor::Empty(out_t, big.shape());
            for (int64_t k = 0; k < r.NumElements(); ++k) {
              const int32_t x1 = (LoadQ(a, a1 ? 0 : k) - in_zp) * (1 << left_shift);
              const int32_t x2 = (LoadQ(b, b1 ? 0 : k) - zp2) * (1 << left_shift);
              const int32_t y1 = MultiplyByQuantizedMultiplier(x1, m1, s1);
              const int32_t y2 = MultiplyByQuantizedMultiplier(x2, m2, s2);
              const int32_t v = MultiplyByQuantizedMultiplier(y1 + y2, mo, so) + out_zp;
              StoreQ(&r, k, std::clamp(v, lo, hi));
            }
            (*ov)[0] = std::move(r);
            return absl::OkStatus();
          });
    return absl::OkStatus();
  }

  // FULLY_CONNECTED / CONV_2D / DEPTHWISE_CONV_2D.
  if (in.size() < 2 || in[1] < 0) return Error(c, "needs weights");
  const Tensor* w = Const(in[1]);
  if (!w || !IsQuantizedType(w->dtype())) return Unsupported(c, "non-constant quantized weights");
  const QuantParams qw = Quant(in[1]);
  if (!qw.present()) return Error(c, "weights have no quantization parameters");
  const Tensor* bias = in.size() > 2 && in[2] >= 0 ? Const(in[2]) : nullptr;
  if (in.size() > 2 && in[2] >= 0 && (!bias || bias->dtype() != DType::kInt32)) {
    return Unsupported(c, "bias must be a constant int32 tensor");
  }
  // Output channel count and per-channel multipliers.
  const int ch_dim = c.code == B::DEPTHWISE_CONV_2D ? 3 : 0;
  if (w->rank() <= ch_dim) return Error(c, "weights have the wrong rank");
  const int64_t out_ch = w->dim(ch_dim);
  if (qw.scale.size() != 1 && static_cast<int64_t>(qw.scale.size()) != out_ch) {
    return Error(c, "weights' per-channel scales do not match the output channels");
  }
  if (bias && bias->NumElements() != out_ch)
    return Error(c, "bias size does not match the weights");
  std::vector<int32_t> mult(out_ch), shift(out_ch), w_zp(out_ch);
  for (int64_t k = 0; k < out_ch; ++k) {
    const size_t j = qw.scale.size() == 1 ? 0 : static_cast<size_t>(k);
    int s;
    QuantizeMultiplier(static_cast<double>(in_scale) * qw.scale[j] / out_scale, &mult[k], &s);
    shift[k] = s;
    w_zp[k] = static_cast<int32_t>(qw.zero_point[j]);
  }
  std::vector<int32_t> b(out_ch, 0);
  if (bias) std::copy(bias->data<int32_t>(), bias->data<int32_t>() + out_ch, b.begin());
  Tensor wt = *w;

  if (c.code == B::FULLY_CONNECTED) {
    const auto* o = c.op->builtin_options_as_FullyConnectedOptions();
    int32_t lo, hi;
    QuantizedActivationRange(o ? o->fused_activation_function() : fb::ActivationFunctionType::NONE,
                             out_scale, out_zp, qmin, qmax, &lo, &hi);
    const bool keep = o && o->keep_num_dims();
    if (wt.rank() != 2) return Error(c, "weights must be 2-D");
    AddFn(c, {in[0]}, {out[0]}, [=](const std::vector<const Tensor*>& i, std::vector<Tensor>* ov) {
      const Tensor& x = *i[0];
      const int64_t depth = wt.dim(1);
      if (depth == 0 || x.NumElements() % depth != 0) {
        return absl::InvalidArgumentError("input size is not a multiple of the weights' depth");
      }
      const int64_t batch = x.NumElements() / depth;
      std::vector<int64_t> dims = {batch, out_ch};
      if (keep && x.rank() > 0) {
        dims.assign(x.shape().dim_sizes().begin(), x.shape().dim_sizes().end());
        dims.back() = out_ch;
      }
      Tensor r = Tensor::Empty(out_t, TensorShape(dims));
      for (int64_t n = 0; n < batch; ++n) {
        for (int64_t oc = 0; oc < out_ch; ++oc) {
          int64_t acc = 0;
          for (int64_t d = 0; d < depth; ++d) {
            acc += static_cast<int64_t>(LoadQ(x, n * depth + d) - in_zp) *
                   (LoadQ(wt, oc * depth + d) - w_zp[oc]);
          }
          acc += b[oc];
          const int32_t acc32 = static_cast<int32_t>(std::clamp<int64_t>(
              acc, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()));
          const int32_t v = MultiplyByQuantizedMultiplier(acc32, mult[oc], shift[oc]) + out_zp;
          StoreQ(&r, n * out_ch + oc, std::clamp(v, lo, hi));
        }
      }
      (*ov)[0] = std::move(r);
      return absl::OkStatus();
    });
    return absl::OkStatus();
  }

  const bool depthwise = c.code == B::DEPTHWISE_CONV_2D;
  bool same;
  int64_t sh, sw, dh, dw;
  fb::ActivationFunctionType act;
  if (depthwise) {
    const auto* o = c.op->builtin_options_as_DepthwiseConv2DOptions();
    if (!o) return Error(c, "missing DepthwiseConv2DOptions");
    same = o->padding() == fb::Padding::SAME;
    sh = o->stride_h(), sw = o->stride_w(), dh = o->dilation_h_factor(),
    dw = o->dilation_w_factor();
    act = o->fused_activation_function();
  } else {
    const auto* o = c.op->builtin_options_as_Conv2DOptions();
    if (!o) return Error(c, "missing Conv2DOptions");
    same = o->padding() == fb::Padding::SAME;
    sh = o->stride_h(), sw = o->stride_w(), dh = o->dilation_h_factor(),
    dw = o->dilation_w_factor();
    act = o->fused_activation_function();
  }
  int32_t lo, hi;
  QuantizedActivationRange(act, out_scale, out_zp, qmin, qmax, &lo, &hi);
  if (wt.rank() != 4) return Error(c, "filter must be 4-D");
  AddFn(c, {in[0]}, {out[0]}, [=](const std::vector<const Tensor*>& i, std::vector<Tensor>* ov) {
    const Tensor& x = *i[0];
    if (x.rank() != 4) return absl::InvalidArgumentError("input must be 4-D NHWC");
    const int64_t N = x.dim(0), H = x.dim(1), W = x.dim(2), C = x.dim(3);
    const int64_t KH = wt.dim(1), KW = wt.dim(2);
    const int64_t KC = wt.dim(3);  // conv: input channels; depthwise: C * multiplier
    int64_t mul = 1;
    if (depthwise) {
      if (C == 0 || KC % C != 0)
        return absl::InvalidArgumentError("depthwise filter/input mismatch");
      mul = KC / C;
    } else if (KC != C) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter has ", KC, " input channels, input has ", C));
    }
    int64_t OH, OW, pt, pl;
    TFM_RETURN_IF_ERROR(WindowGeometry(same, H, KH, sh, dh, &OH, &pt));
    TFM_RETURN_IF_ERROR(WindowGeometry(same, W, KW, sw, dw, &OW, &pl));
    Tensor r = Tensor::Empty(out_t, TensorShape{N, OH, OW, out_ch});
    for (int64_t n = 0; n < N; ++n)
      for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox)
          for (int64_t oc = 0; oc < out_ch; ++oc) {
            int64_t acc = 0;
            for (int64_t ky = 0; ky < KH; ++ky) {
              const int64_t iy = oy * sh - pt + ky * dh;
              if (iy < 0 || iy >= H) continue;
              for (int64_t kx = 0; kx < KW; ++kx) {
                const int64_t ix = ox * sw - pl + kx * dw;
                if (ix < 0 || ix >= W) continue;
                if (depthwise) {
                  const int64_t ic = oc / mul;
                  acc += static_cast<int64_t>(LoadQ(x, ((n * H + iy) * W + ix) * C + ic) - in_zp) *
                         (LoadQ(wt, (ky * KW + kx) * KC + oc) - w_zp[oc]);
                } else {
                  for (int64_t ic = 0; ic < C; ++ic) {
                    acc +=
                        static_cast<int64_t>(LoadQ(x, ((n * H + iy) * W + ix) * C + ic) - in_zp) *
                        (LoadQ(wt, ((oc * KH + ky) * KW + kx) * KC + ic) - w_zp[oc]);
                  }
                }
              }
            }
            acc += b[oc];
            const int32_t acc32 = static_cast<int32_t>(std::clamp<int64_t>(
                acc, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()));
            const int32_t v = MultiplyByQuantizedMultiplier(acc32, mult[oc], shift[oc]) + out_zp;
            StoreQ(&r, ((n * OH + oy) * OW + ox) * out_ch + oc, std::clamp(v, lo, hi));
          }
    (*ov)[0] = std::move(r);
    return absl::OkStatus();
  });
  return absl::OkStatus();
}

absl::Status TfLiteModelImpl::Init(std::unique_ptr<TfLiteFile> file) {
  file_ = std::move(file);
  const auto& m = file_->model();
  plans_.resize(m.subgraphs()->size());
  for (size_t s = 0; s < plans_.size(); ++s) {
    Compiler compiler(*file_, static_cast<int>(s), &plans_[s]);
    TFM_RETURN_IF_ERROR(compiler.Compile());
  }
  return BuildSignatures();
}

absl::StatusOr<int> TfLiteModelImpl::FindTensor(int sg, const std::string& name) const {
  const auto& names = plans_[sg].names;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<int>(i);
  }
  const std::string stripped = StripZero(name);
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == stripped || StripZero(names[i]) == stripped) return static_cast<int>(i);
  }
  return absl::NotFoundError(
      absl::StrCat(file_->name(), ": subgraph ", sg, " has no tensor '", name, "'"));
}

absl::Status TfLiteModelImpl::BuildSignatures() {
  const auto& m = file_->model();
  auto spec_for = [&](int sg, int t, const std::string& tensor_name) {
    TensorSpec spec;
    spec.tensor_name = tensor_name;
    spec.dtype = plans_[sg].dtypes[t];
    // Without a shape_signature TFLite inputs may be resized: the shape stays unknown.
    if (plans_[sg].has_shape_signature[t])
      spec.shape = PartialShape(plans_[sg].signature_shapes[t]);
    return spec;
  };
  auto add_tensor_info = [&](tensorflow::SignatureDef* def, bool input, const std::string& alias,
                             const TensorSpec& spec) {
    auto& info = input ? (*def->mutable_inputs())[alias] : (*def->mutable_outputs())[alias];
    info.set_name(spec.tensor_name);
    info.set_dtype(static_cast<tensorflow::DataType>(static_cast<int>(spec.dtype)));
    auto* shape = info.mutable_tensor_shape();
    if (spec.shape.unknown_rank()) {
      shape->set_unknown_rank(true);
    } else {
      for (int64_t d : spec.shape.dims()) shape->add_dim()->set_size(d);
    }
  };
  auto add = [&](const std::string& key, const std::string& method, SigBinding binding,
                 const std::map<std::string, std::string>& in_names,
                 const std::map<std::string, std::string>& out_names) {
    Signature sig;
    sig.key = key;
    sig.method_name = method;
    tensorflow::SignatureDef def;
    def.set_method_name(method);
    for (const auto& [alias, t] : binding.inputs) {
      sig.inputs[alias] = spec_for(binding.subgraph, t, in_names.at(alias));
      add_tensor_info(&def, true, alias, sig.inputs[alias]);
    }
    for (const auto& [alias, t] : binding.outputs) {
      sig.outputs[alias] = spec_for(binding.subgraph, t, out_names.at(alias));
      add_tensor_info(&def, false, alias, sig.outputs[alias]);
    }
    signatures_[key] = std::move(sig);
    bindings_[key] = std::move(binding);
    (*meta_graph_.mutable_signature_def())[key] = std::move(def);
  };
  meta_graph_.mutable_meta_info_def()->add_tags("serve");
  // 1. TF Serving's signature_defs_metadata: FlexBuffer map key -> serialized SignatureDef.
  if (m.metadata()) {
    for (const auto* md : *m.metadata()) {
      if (!md->name() || md->name()->str() != "signature_defs_metadata") continue;
      absl::string_view data = file_->BufferData(md->buffer());
      if (data.empty()) continue;
      if (!flexbuffers::VerifyBuffer(reinterpret_cast<const uint8_t*>(data.data()), data.size())) {
        return absl::InvalidArgumentError(
            absl::StrCat(file_->name(), ": signature_defs_metadata is not a valid FlexBuffer"));
      }
      auto map =
          flexbuffers::GetRoot(reinterpret_cast<const uint8_t*>(data.data()), data.size()).AsMap();
      auto keys = map.Keys();
      auto values = map.Values();
      for (size_t k = 0; k < keys.size(); ++k) {
        const std::string key = keys[k].AsKey();
        auto blob = values[k].AsString();
        tensorflow::SignatureDef def;
        if (!def.ParseFromArray(blob.c_str(), static_cast<int>(blob.size()))) {
          return absl::InvalidArgumentError(absl::StrCat(
              file_->name(), ": signature_defs_metadata entry '", key, "' is not a SignatureDef"));
        }
        SigBinding b;
        std::map<std::string, std::string> in_names, out_names;
        for (const auto& [alias, info] : def.inputs()) {
          TFM_ASSIGN_OR_RETURN(b.inputs[alias], FindTensor(0, info.name()));
          in_names[alias] = info.name();
        }
        for (const auto& [alias, info] : def.outputs()) {
          TFM_ASSIGN_OR_RETURN(b.outputs[alias], FindTensor(0, info.name()));
          out_names[alias] = info.name();
        }
        add(key, def.method_name().empty() ? "tensorflow/serving/predict" : def.method_name(),
            std::move(b), in_names, out_names);
        // Metadata requests see the SignatureDef exactly as stored (with its shapes).
        (*meta_graph_.mutable_signature_def())[key] = def;
      }
    }
  }
  // 2. The model's own signature_defs.
  if (signatures_.empty() && m.signature_defs() && m.signature_defs()->size() > 0) {
    for (const auto* sd : *m.signature_defs()) {
      SigBinding b;
      b.subgraph = static_cast<int>(sd->subgraph_index());
      std::map<std::string, std::string> in_names, out_names;
      for (auto [list, dst, names] : {std::tuple{sd->inputs(), &b.inputs, &in_names},
                                      std::tuple{sd->outputs(), &b.outputs, &out_names}}) {
        if (!list) continue;
        for (const auto* tm : *list) {
          const std::string alias = tm->name() ? tm->name()->str() : "";
          (*dst)[alias] = static_cast<int>(tm->tensor_index());
          (*names)[alias] = plans_[b.subgraph].names[tm->tensor_index()];
        }
      }
      add(sd->signature_key() ? sd->signature_key()->str() : "serving_default",
          "tensorflow/serving/predict", std::move(b), in_names, out_names);
    }
  }
  // 3. Default: subgraph 0's inputs and outputs by tensor name.
  if (signatures_.empty()) {
    SigBinding b;
    std::map<std::string, std::string> in_names, out_names;
    for (int t : plans_[0].inputs) {
      const std::string alias = StripZero(plans_[0].names[t]);
      b.inputs[alias] = t;
      in_names[alias] = plans_[0].names[t];
    }
    for (int t : plans_[0].outputs) {
      const std::string alias = StripZero(plans_[0].names[t]);
      b.outputs[alias] = t;
      out_names[alias] = plans_[0].names[t];
    }
    add("serving_default", "tensorflow/serving/predict", std::move(b), in_names, out_names);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Tensor>> TfLiteModelImpl::RunSubgraph(
    int sg, const std::map<int, Tensor>& feeds) const {
  const SubgraphPlan& plan = plans_[sg];
  std::vector<Tensor> slots(plan.num_slots);
  for (const auto& [slot, t] : plan.constants) slots[slot] = t;
  for (const auto& [t, v] : feeds) {
    if (t < 0 || t >= static_cast<int>(plan.names.size())) {
      return absl::InvalidArgumentError(absl::StrCat("no tensor ", t));
    }
    if (v.dtype() != plan.dtypes[t]) {
      return absl::InvalidArgumentError(
          absl::StrCat(file_->name(), ": input tensor '", plan.names[t], "' is ",
                       DTypeName(plan.dtypes[t]), ", got ", DTypeName(v.dtype())));
    }
    if (plan.has_shape_signature[t]) {
      const auto& sig = plan.signature_shapes[t];
      bool ok = static_cast<int>(sig.size()) == v.rank();
      for (size_t d = 0; ok && d < sig.size(); ++d) ok = sig[d] < 0 || sig[d] == v.dim(d);
      if (!ok) {
        return absl::InvalidArgumentError(absl::StrCat(
            file_->name(), ": input tensor '", plan.names[t], "' has shape signature [",
            absl::StrJoin(sig, ","), "], got ", v.shape().ToString()));
      }
    }
    slots[t] = v;
  }
  for (int t : plan.inputs) {
    if (!slots[t].valid()) {
      return absl::InvalidArgumentError(
          absl::StrCat(file_->name(), ": input tensor '", plan.names[t], "' was not fed"));
    }
  }
  std::vector<const Tensor*> in;
  std::vector<Tensor> out;
  for (const Step& step : plan.steps) {
    in.clear();
    for (int s : step.inputs) {
      if (s < 0) {
        in.push_back(nullptr);
        continue;
      }
      if (!slots[s].valid()) {
        return absl::InternalError(
            absl::StrCat(file_->name(), ": ", step.label, ": input tensor ",
                         s < static_cast<int>(plan.names.size()) ? plan.names[s] : absl::StrCat(s),
                         " has no value"));
      }
      in.push_back(&slots[s]);
    }
    out.clear();
    out.resize(step.outputs.size());
    absl::Status st = step.fn(in, &out);
    if (!st.ok()) return Annotate(st, absl::StrCat(file_->name(), ": ", step.label));
    for (size_t k = 0; k < step.outputs.size(); ++k) {
      if (!out[k].valid()) {
        return absl::InternalError(
            absl::StrCat(file_->name(), ": ", step.label, ": output ", k, " not produced"));
      }
      const int s = step.outputs[k];
      if (s < static_cast<int>(plan.dtypes.size()) && plan.dtypes[s] != DType::kInvalid &&
          out[k].dtype() != plan.dtypes[s]) {
        return absl::InternalError(
            absl::StrCat(file_->name(), ": ", step.label, ": produced ", DTypeName(out[k].dtype()),
                         " for tensor '", plan.names[s], "' of type ", DTypeName(plan.dtypes[s])));
      }
      slots[s] = std::move(out[k]);
    }
  }
  return slots;
}

absl::StatusOr<std::map<std::string, Tensor>> TfLiteModelImpl::RunSignature(
    const std::string& key, const std::map<std::string, Tensor>& inputs,
    const std::vector<std::string>& output_filter) {
  auto it = bindings_.find(key);
  if (it == bindings_.end()) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : bindings_) keys.push_back(k);
    return absl::NotFoundError(absl::StrCat("no signature '", key, "' in ", file_->name(),
                                            "; signatures: ", absl::StrJoin(keys, ", ")));
  }
  const SigBinding& b = it->second;
  std::map<int, Tensor> feeds;
  for (const auto& [alias, t] : inputs) {
    auto in = b.inputs.find(alias);
    if (in == b.inputs.end()) {
      std::vector<std::string> keys;
      for (const auto& [k, v] : b.inputs) keys.push_back(k);
      return absl::InvalidArgumentError(absl::StrCat("signature '", key, "' has no input '", alias,
                                                     "'; inputs: ", absl::StrJoin(keys, ", ")));
    }
    feeds[in->second] = t;
  }
  for (const auto& [alias, t] : b.inputs) {
    if (!inputs.count(alias)) {
      return absl::InvalidArgumentError(
          absl::StrCat("signature '", key, "': input '", alias, "' is missing"));
    }
  }
  TFM_ASSIGN_OR_RETURN(std::vector<Tensor> slots, RunSubgraph(b.subgraph, feeds));
  std::map<std::string, Tensor> result;
  for (const auto& [alias, t] : b.outputs) {
    if (!output_filter.empty() &&
        std::find(output_filter.begin(), output_filter.end(), alias) == output_filter.end()) {
      continue;
    }
    result[alias] = slots[t];
  }
  for (const auto& f : output_filter) {
    if (!b.outputs.count(f)) {
      return absl::InvalidArgumentError(
          absl::StrCat("signature '", key, "' has no output '", f, "'"));
    }
  }
  return result;
}

absl::StatusOr<std::vector<Tensor>> TfLiteModelImpl::Run(
    const std::vector<std::pair<std::string, Tensor>>& feeds,
    const std::vector<std::string>& fetches, const std::vector<std::string>& targets) {
  if (!targets.empty()) {
    return absl::InvalidArgumentError("TFLite models have no target nodes to run");
  }
  std::map<int, Tensor> fed;
  for (const auto& [name, t] : feeds) {
    TFM_ASSIGN_OR_RETURN(int idx, FindTensor(0, name));
    fed[idx] = t;
  }
  std::vector<int> want;
  for (const auto& name : fetches) {
    TFM_ASSIGN_OR_RETURN(int idx, FindTensor(0, name));
    want.push_back(idx);
  }
  TFM_ASSIGN_OR_RETURN(std::vector<Tensor> slots, RunSubgraph(0, fed));
  std::vector<Tensor> result;
  for (size_t i = 0; i < want.size(); ++i) {
    if (!slots[want[i]].valid()) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor '", fetches[i], "' is not computed by the model"));
    }
    result.push_back(slots[want[i]]);
  }
  return result;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Model>> LoadTfLiteModel(std::unique_ptr<TfLiteFile> file,
                                                       const LoadOptions& options) {
  auto model = std::make_unique<TfLiteModelImpl>();
  TFM_RETURN_IF_ERROR(model->Init(std::move(file)));
  return std::unique_ptr<Model>(std::move(model));
}

absl::StatusOr<std::unique_ptr<Model>> LoadTfLiteModel(const std::string& path,
                                                       const LoadOptions& options) {
  TFM_ASSIGN_OR_RETURN(auto file, TfLiteFile::Read(path));
  return LoadTfLiteModel(std::move(file), options);
}

}  // namespace tfmodel::tflite
