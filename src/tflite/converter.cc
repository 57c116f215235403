#include "tflite/converter.h"

#include <algorithm>
#include <functional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status.h"
#include "format/saved_model.h"
#include "format/tflite.h"
#include "runtime/kernel.h"
#include "runtime/model.h"
#include "tflite/convert/float16_weights.h"
#include "tflite/convert/lowering.h"
#include "tflite/convert/lowerings.h"
#include "tflite/convert/quantize_weights.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;

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

// Shape of a probe value, and its signature: dimensions that differ in the second probe
// run are -1.
void ProbedShape(const Tensor& t1, const Tensor* t2, std::vector<int64_t>* shape,
                 std::vector<int64_t>* sig) {
  shape->assign(t1.shape().dim_sizes().begin(), t1.shape().dim_sizes().end());
  *sig = *shape;
  if (!t2) return;
  for (int d = 0; d < t1.rank() && d < t2->rank(); ++d) {
    if (t2->dim(d) != t1.dim(d)) (*sig)[d] = -1;
  }
}

class Converter {
 public:
  Converter(const tensorflow::GraphDef& graph, const TfLiteConvertOptions& options,
            TfLiteConvertReport* report)
      : graph_(graph), opt_(options), report_(report), l_(options, report) {}

  absl::StatusOr<std::string> Convert() {
    TFM_RETURN_IF_ERROR(Prepare());
    TFM_RETURN_IF_ERROR(Probe());
    AddInputs();
    TFM_RETURN_IF_ERROR(LowerNodes());
    TFM_RETURN_IF_ERROR(CheckUnsupported());
    AddOutputs();
    AddZeroBiases();
    if (opt_.quantize_weights) QuantizeWeights(l_);
    if (opt_.quantize_float16) QuantizeWeightsFloat16(l_);
    AddSignatureAndMetadata();
    if (report_) FillReport();
    return Finish();
  }

 private:
  absl::Status Prepare();
  absl::Status CheckKernels() const;
  absl::Status Probe();
  absl::StatusOr<std::vector<std::pair<std::string, Tensor>>> ProbeFeeds(int64_t unknown,
                                                                         bool* any_unknown);
  void AddInputs();
  bool Foldable(const tensorflow::NodeDef& n);
  absl::Status LowerNodes();
  absl::Status CheckUnsupported() const;
  void AddOutputs();
  void AddZeroBiases();
  void AddSignatureAndMetadata();
  void FillReport();
  std::string Finish();

  const tensorflow::GraphDef& graph_;
  const TfLiteConvertOptions& opt_;
  TfLiteConvertReport* report_;
  Lowering l_;
  std::vector<const tensorflow::NodeDef*> order_;  // needed nodes, topologically
  std::map<std::string, const tensorflow::NodeDef*> nodes_;
  std::set<std::string> input_nodes_;
};

absl::Status Converter::Prepare() {
  for (const auto& n : graph_.node()) nodes_[n.name()] = &n;
  if (opt_.input_arrays.empty()) return absl::InvalidArgumentError("--input_arrays is required");
  if (opt_.quantize_weights && opt_.quantize_float16) {
    return absl::InvalidArgumentError(
        "choose one of --quantize_weights (int8) and --quantize_float16");
  }
  if (opt_.output_arrays.empty()) return absl::InvalidArgumentError("--output_arrays is required");
  for (const auto& in : opt_.input_arrays) {
    TensorId id = ParseTensorName(in);
    if (!nodes_.count(id.node)) {
      return absl::NotFoundError(absl::StrCat("input array '", in, "' is not a node of the graph"));
    }
    input_nodes_.insert(id.node);
  }
  for (const auto& out : opt_.output_arrays) {
    TensorId id = ParseTensorName(out);
    if (!nodes_.count(id.node)) {
      return absl::NotFoundError(
          absl::StrCat("output array '", out, "' is not a node of the graph"));
    }
    l_.outputs().insert(TensorKey(id.node, id.index));
  }
  // Needed nodes, depth-first from the outputs, stopping at the inputs.
  std::map<std::string, int> state;  // 1 = visiting, 2 = done
  std::vector<std::string> missing_placeholders;
  std::function<absl::Status(const std::string&)> visit =
      [&](const std::string& name) -> absl::Status {
    if (state[name] == 2) return absl::OkStatus();
    if (state[name] == 1) {
      return absl::InvalidArgumentError(absl::StrCat("cycle at node '", name, "'"));
    }
    auto it = nodes_.find(name);
    if (it == nodes_.end()) return absl::NotFoundError(absl::StrCat("no node '", name, "'"));
    const auto& n = *it->second;
    state[name] = 1;
    if (!input_nodes_.count(name)) {
      if (n.op() == "Placeholder" || n.op() == "PlaceholderV2") {
        missing_placeholders.push_back(name);
      }
      for (const auto& in : n.input()) {
        TensorId id = ParseTensorName(in);
        if (id.index < 0) continue;  // control inputs are dropped
        TFM_RETURN_IF_ERROR(visit(id.node));
        l_.consumers()[TensorKey(id.node, id.index)]++;
      }
    }
    state[name] = 2;
    order_.push_back(&n);
    return absl::OkStatus();
  };
  for (const auto& out : l_.outputs()) TFM_RETURN_IF_ERROR(visit(ParseTensorName(out).node));
  TFM_RETURN_IF_ERROR(CheckKernels());
  if (!missing_placeholders.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the outputs depend on placeholders not listed in --input_arrays: ",
                     absl::StrJoin(missing_placeholders, ", ")));
  }
  return absl::OkStatus();
}

// Shapes and constants come from running the graph, so every needed op needs a kernel.
absl::Status Converter::CheckKernels() const {
  std::map<std::string, std::vector<std::string>> no_kernel;
  for (const auto* n : order_) {
    if (!input_nodes_.count(n->name()) && !runtime::KernelRegistry::Global().Has(n->op())) {
      no_kernel[n->op()].push_back(n->name());
    }
  }
  if (no_kernel.empty()) return absl::OkStatus();
  std::vector<std::string> parts;
  for (const auto& [op, names] : no_kernel) {
    parts.push_back(absl::StrCat(op, " (e.g. '", names[0], "')"));
  }
  return absl::UnimplementedError(absl::StrCat(
      "the graph uses TF ops tfmodel has no kernel for, so it cannot be run to find tensor "
      "shapes and constants: ",
      absl::StrJoin(parts, ", ")));
}

// Feeds for a probe run: ones of each input's shape, unknown dimensions = `unknown`.
absl::StatusOr<std::vector<std::pair<std::string, Tensor>>> Converter::ProbeFeeds(
    int64_t unknown, bool* any_unknown) {
  std::vector<std::pair<std::string, Tensor>> feeds;
  for (size_t i = 0; i < opt_.input_arrays.size(); ++i) {
    TensorId id = ParseTensorName(opt_.input_arrays[i]);
    const auto& n = *nodes_.at(id.node);
    DType dtype = DType::kFloat;
    if (auto it = n.attr().find("dtype"); it != n.attr().end()) {
      dtype = static_cast<DType>(it->second.type());
    }
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
        *any_unknown = true;
      }
    }
    TFM_ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dtype, TensorShape(dims)));
    if (dtype == DType::kFloat) {
      for (int64_t k = 0; k < t.NumElements(); ++k) t.data<float>()[k] = 1.0f;
    }
    feeds.emplace_back(TensorKey(id.node, id.index), std::move(t));
  }
  return feeds;
}

// Runs the graph once (twice when inputs have unknown dimensions, to find which
// dimensions vary) and keeps every consumed tensor's value.
absl::Status Converter::Probe() {
  std::vector<std::string> fetches;
  std::set<std::string> seen;
  for (const auto& [key, count] : l_.consumers()) {
    if (!seen.insert(key).second) continue;
    if (std::find(opt_.input_arrays.begin(), opt_.input_arrays.end(), key) !=
        opt_.input_arrays.end()) {
      continue;
    }
    fetches.push_back(key);
  }
  for (const auto& key : l_.outputs()) {
    if (seen.insert(key).second) fetches.push_back(key);
  }
  bool any_unknown = false;
  TFM_ASSIGN_OR_RETURN(auto model, runtime::Model::LoadGraph(graph_));
  TFM_ASSIGN_OR_RETURN(auto feeds1, ProbeFeeds(1, &any_unknown));
  auto r1 = model->Run(feeds1, fetches);
  if (!r1.ok()) return Annotate(r1.status(), "running the graph to find tensor shapes");
  for (size_t i = 0; i < fetches.size(); ++i) l_.probe1()[fetches[i]] = (*r1)[i];
  for (const auto& [name, t] : feeds1) l_.probe1()[name] = t;
  if (any_unknown) {
    TFM_ASSIGN_OR_RETURN(auto feeds2, ProbeFeeds(2, &any_unknown));
    auto r2 = model->Run(feeds2, fetches);
    if (r2.ok()) {
      for (size_t i = 0; i < fetches.size(); ++i) l_.probe2()[fetches[i]] = (*r2)[i];
      for (const auto& [name, t] : feeds2) l_.probe2()[name] = t;
    }
  }
  return absl::OkStatus();
}

void Converter::AddInputs() {
  for (const auto& in : opt_.input_arrays) {
    TensorId id = ParseTensorName(in);
    const std::string key = TensorKey(id.node, id.index);
    const Tensor& t1 = l_.probe1().at(key);
    auto p2 = l_.probe2().find(key);
    std::vector<int64_t> shape, sig;
    ProbedShape(t1, p2 == l_.probe2().end() ? nullptr : &p2->second, &shape, &sig);
    const int t = l_.NewTensor(id.node, t1.dtype(), shape, sig);
    l_.subgraph().inputs.push_back(t);
    l_.SetTensor(key, t);
  }
}

// Constant when every input is (folded) constant; Shape / Size / Rank also when their
// input's shape does not depend on the inputs' unknown dimensions.
bool Converter::Foldable(const tensorflow::NodeDef& n) {
  bool all_const = !NotFoldable(n.op());
  for (int i = 0; all_const && i < n.input_size(); ++i) {
    if (ParseTensorName(n.input(i)).index < 0) continue;
    auto it = l_.values().find(CanonicalTensorName(n.input(i)));
    all_const = it != l_.values().end() && it->second.is_const;
  }
  if (!all_const && (n.op() == "Shape" || n.op() == "Size" || n.op() == "Rank") &&
      n.input_size() > 0) {
    const std::string key = CanonicalTensorName(n.input(0));
    auto p1 = l_.probe1().find(key);
    auto p2 = l_.probe2().find(key);
    all_const = p1 != l_.probe1().end() &&
                (l_.probe2().empty() ||
                 (p2 != l_.probe2().end() && p2->second.shape() == p1->second.shape()));
  }
  return all_const;
}

absl::Status Converter::LowerNodes() {
  for (const auto* n : order_) {
    if (input_nodes_.count(n->name())) continue;
    if (Foldable(*n)) {
      // Folded: every consumed output of the node becomes a constant.
      for (int k = 0; k < 64; ++k) {
        auto it = l_.probe1().find(TensorKey(n->name(), k));
        if (it == l_.probe1().end()) continue;
        l_.SetConst(it->first, it->second);
      }
      if (n->op() != "Const" && report_) report_->folded_nodes++;
      continue;
    }
    if (IsIdentityLike(n->op())) {
      TFM_ASSIGN_OR_RETURN(Value * v, l_.Input(*n, 0));
      l_.SetValue(n->name(), *v);
      continue;
    }
    if (LowerFn lower = FindLowering(n->op())) {
      TFM_RETURN_IF_ERROR(lower(l_, *n));
    } else if (opt_.allow_custom_ops) {
      TFM_RETURN_IF_ERROR(LowerAsCustomOp(l_, *n));
    } else {
      l_.NoLowering(*n);
    }
  }
  return absl::OkStatus();
}

absl::Status Converter::CheckUnsupported() const {
  if (l_.unsupported().empty()) return absl::OkStatus();
  std::vector<std::string> parts;
  for (const auto& [op, names] : l_.unsupported()) {
    parts.push_back(absl::StrCat(op, " (", names.size(), " node", names.size() > 1 ? "s" : "",
                                 ", e.g. '", names[0], "')"));
  }
  return absl::UnimplementedError(absl::StrCat(
      "these TF ops have no TFLite lowering (use --allow_custom_ops to keep them as custom "
      "operators): ",
      absl::StrJoin(parts, ", ")));
}

// Outputs (a constant output is materialized as a constant tensor).
void Converter::AddOutputs() {
  auto& sg = l_.subgraph();
  for (const auto& out : opt_.output_arrays) {
    TensorId id = ParseTensorName(out);
    const std::string key = TensorKey(id.node, id.index);
    const int t = l_.TensorOf(key);
    // The output tensor carries the output array's name (as TF's converter does).
    if (std::find(sg.inputs.begin(), sg.inputs.end(), t) == sg.inputs.end()) {
      sg.tensors[t]->name = key;
    }
    sg.outputs.push_back(t);
  }
}

// CONV_2D / DEPTHWISE_CONV_2D always get a bias (zeros) as TFLite kernels expect.
void Converter::AddZeroBiases() {
  auto& sg = l_.subgraph();
  for (size_t i = 0; i < sg.operators.size(); ++i) {
    auto& op = *sg.operators[i];
    const B code = l_.CodeOf(static_cast<int>(i));
    if ((code == B::CONV_2D || code == B::DEPTHWISE_CONV_2D) &&
        (op.inputs.size() < 3 || op.inputs[2] < 0)) {
      const auto& fshape = sg.tensors[op.inputs[1]]->shape;
      const int64_t C = code == B::CONV_2D ? fshape[0] : fshape[3];
      op.inputs.resize(3);
      op.inputs[2] = l_.ConstTensor(absl::StrCat(sg.tensors[op.outputs[0]]->name, "/zero_bias"),
                                    Tensor(DType::kFloat, TensorShape{C}));
    }
  }
}

void Converter::AddSignatureAndMetadata() {
  auto& sg = l_.subgraph();
  auto sig = std::make_unique<fb::SignatureDefT>();
  sig->signature_key = opt_.signature_key;
  sig->subgraph_index = 0;
  for (size_t i = 0; i < opt_.input_arrays.size(); ++i) {
    auto tm = std::make_unique<fb::TensorMapT>();
    tm->name = i < opt_.input_aliases.size() ? opt_.input_aliases[i]
                                             : ParseTensorName(opt_.input_arrays[i]).node;
    tm->tensor_index = static_cast<uint32_t>(sg.inputs[i]);
    sig->inputs.push_back(std::move(tm));
  }
  for (size_t i = 0; i < opt_.output_arrays.size(); ++i) {
    auto tm = std::make_unique<fb::TensorMapT>();
    tm->name = i < opt_.output_aliases.size() ? opt_.output_aliases[i]
                                              : ParseTensorName(opt_.output_arrays[i]).node;
    tm->tensor_index = static_cast<uint32_t>(sg.outputs[i]);
    sig->outputs.push_back(std::move(tm));
  }
  auto& model = l_.model();
  model.signature_defs.push_back(std::move(sig));
  // min_runtime_version metadata as TF writes it.
  auto buf = std::make_unique<fb::BufferT>();
  const std::string v = "1.5.0";
  buf->data.assign(v.begin(), v.end());
  buf->data.resize(16, 0);
  model.buffers.push_back(std::move(buf));
  auto md = std::make_unique<fb::MetadataT>();
  md->name = "min_runtime_version";
  md->buffer = static_cast<uint32_t>(model.buffers.size() - 1);
  model.metadata.push_back(std::move(md));
}

void Converter::FillReport() {
  const auto& model = l_.model();
  for (const auto& op : l_.subgraph().operators) {
    const auto& code = *model.operator_codes[op->opcode_index];
    report_->operators.push_back(
        code.builtin_code == B::CUSTOM ? code.custom_code : BuiltinOperatorName(code.builtin_code));
  }
}

std::string Converter::Finish() {
  flatbuffers::FlatBufferBuilder fbb;
  auto root = fb::Model::Pack(fbb, &l_.model());
  fb::FinishModelBuffer(fbb, root);
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

}  // namespace

absl::StatusOr<std::string> ConvertGraphToTfLite(const tensorflow::GraphDef& graph,
                                                 const TfLiteConvertOptions& options,
                                                 TfLiteConvertReport* report) {
  Converter c(graph, options, report);
  return c.Convert();
}

}  // namespace tfmodel::tflite
