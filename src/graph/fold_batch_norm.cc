#include "graph/fold_batch_norm.h"

#include <cmath>
#include <unordered_map>
#include <vector>

#include "format/tensor_proto.h"
#include "graph/attr_util.h"
#include "graph/graph_uses.h"

namespace tfmodel {
namespace {

using tensorflow::NodeDef;

bool IsBatchNorm(const NodeDef& n) {
  return n.op() == "FusedBatchNorm" || n.op() == "FusedBatchNormV2" || n.op() == "FusedBatchNormV3";
}

// The float values of a Const node's tensor with the given rank, or nullopt.
std::optional<Tensor> FloatConst(const NodeDef* c, int rank) {
  if (c == nullptr) return std::nullopt;
  auto it = c->attr().find("value");
  if (it == c->attr().end() || it->second.tensor().dtype() != tensorflow::DT_FLOAT) {
    return std::nullopt;
  }
  absl::StatusOr<Tensor> t = TensorFromProto(it->second.tensor());
  if (!t.ok() || t->rank() != rank) return std::nullopt;
  return *std::move(t);
}

// One folding: the convolution gets `filter`, the batch norm becomes a BiasAdd of `bias`.
struct Fold {
  int conv = -1, pre_bias = -1, bn = -1;
  Tensor filter, bias;
};

class Folder {
 public:
  Folder(const tensorflow::GraphDef& g, const std::set<std::string>& keep)
      : g_(g), keep_(keep), uses_(g) {}

  // The single data consumer of node i's output 0 at input 0, when node i may be absorbed
  // into it; -1 otherwise.
  int SoleConsumer(int i) const {
    if (keep_.count(g_.node(i).name()) || uses_.has_control_use(i) || uses_.data(i).size() != 1) {
      return -1;
    }
    const GraphUse& u = uses_.data(i)[0];
    return u.output == 0 && u.input == 0 ? u.node : -1;
  }

  // The folding for the convolution at `i`, if it has one.
  std::optional<Fold> Match(int i) const {
    const NodeDef& conv = g_.node(i);
    if ((conv.op() != "Conv2D" && conv.op() != "DepthwiseConv2dNative") || !IsFloatNode(conv) ||
        NumDataInputs(conv) != 2) {
      return std::nullopt;
    }
    int next = SoleConsumer(i);
    if (next < 0) return std::nullopt;
    // An optional BiasAdd of a constant between the convolution and the batch norm.
    int pre_bias = -1;
    if (g_.node(next).op() == "BiasAdd" && IsFloatNode(g_.node(next)) &&
        NumDataInputs(g_.node(next)) == 2 &&
        StrAttrOr(g_.node(next), "data_format", "NHWC") == StrAttrOr(conv, "data_format", "NHWC")) {
      pre_bias = next;
      next = SoleConsumer(next);
      if (next < 0) return std::nullopt;
    }
    const NodeDef& bn = g_.node(next);
    if (!IsBatchNorm(bn) || !IsFloatNode(bn) || keep_.count(bn.name()) || NumDataInputs(bn) != 5) {
      return std::nullopt;
    }
    auto training = bn.attr().find("is_training");
    if (training == bn.attr().end() || training->second.b()) return std::nullopt;  // default true
    for (const GraphUse& r : uses_.data(next)) {
      if (r.output != 0) return std::nullopt;  // batch statistics are read
    }
    if (StrAttrOr(conv, "data_format", "NHWC") != StrAttrOr(bn, "data_format", "NHWC")) {
      return std::nullopt;
    }
    std::optional<Tensor> w = FloatConst(uses_.ConstBehind(conv.input(1), keep_), 4);
    if (!w) return std::nullopt;
    const int64_t depth =
        conv.op() == "Conv2D" ? w->dim(3) : w->dim(2) * w->dim(3);  // HWIO / HW I M
    std::vector<Tensor> p;                                          // scale, offset, mean, variance
    for (int k = 1; k <= 4; ++k) {
      std::optional<Tensor> t = FloatConst(uses_.ConstBehind(bn.input(k), keep_), 1);
      if (!t || t->dim(0) != depth) return std::nullopt;
      p.push_back(*std::move(t));
    }
    float epsilon = 0.0001f;
    if (auto e = bn.attr().find("epsilon"); e != bn.attr().end()) epsilon = e->second.f();
    std::optional<Tensor> b0;  // the bias before the batch norm
    if (pre_bias >= 0) {
      b0 = FloatConst(uses_.ConstBehind(g_.node(pre_bias).input(1), keep_), 1);
      if (!b0 || b0->dim(0) != depth) return std::nullopt;
    }
    Fold f;
    f.conv = i;
    f.pre_bias = pre_bias;
    f.bn = next;
    f.filter = Tensor(DType::kFloat, w->shape());
    f.bias = Tensor(DType::kFloat, TensorShape{depth});
    std::vector<float> s(depth);
    for (int64_t c = 0; c < depth; ++c) {
      s[c] = p[0].data<float>()[c] / std::sqrt(p[3].data<float>()[c] + epsilon);
      const float before = b0 ? b0->data<float>()[c] : 0.0f;
      f.bias.data<float>()[c] = p[1].data<float>()[c] + (before - p[2].data<float>()[c]) * s[c];
    }
    // The output channel is the fastest-varying index of both filter layouts.
    const float* src = w->data<float>();
    float* dst = f.filter.data<float>();
    for (int64_t k = 0; k < w->NumElements(); ++k) dst[k] = src[k] * s[k % depth];
    return f;
  }

  std::optional<FoldResult> Run() {
    std::unordered_map<int, Fold> folds;   // by convolution
    std::unordered_map<int, int> bias_of;  // batch norm -> convolution
    std::vector<char> dropped(g_.node_size(), 0);
    for (int i = 0; i < g_.node_size(); ++i) {
      if (std::optional<Fold> f = Match(i)) {
        bias_of[f->bn] = i;
        if (f->pre_bias >= 0) dropped[f->pre_bias] = 1;
        folds.emplace(i, *std::move(f));
      }
    }
    if (folds.empty()) return std::nullopt;
    FoldResult r;
    r.num_folded = static_cast<int>(folds.size());
    *r.graph.mutable_versions() = g_.versions();
    for (int i = 0; i < g_.node_size(); ++i) {
      const NodeDef& nd = g_.node(i);
      if (dropped[i]) continue;
      if (auto f = folds.find(i); f != folds.end()) {
        const std::string filter = nd.name() + "/_tfmodel_folded_filter";
        AddConst(filter, f->second.filter, nd.device(), &r.graph);
        NodeDef* conv = r.graph.add_node();
        *conv = nd;
        conv->set_input(1, filter);
      } else if (auto b = bias_of.find(i); b != bias_of.end()) {
        AddBias(nd, folds.at(b->second), &r.graph);
      } else {
        *r.graph.add_node() = nd;
      }
    }
    return r;
  }

 private:
  // The batch norm `bn` as a BiasAdd of the folded bias on the convolution's output.
  void AddBias(const NodeDef& bn, const Fold& f, tensorflow::GraphDef* g) const {
    const std::string bias = bn.name() + "/_tfmodel_folded_bias";
    AddConst(bias, f.bias, bn.device(), g);
    NodeDef* add = g->add_node();
    add->set_name(bn.name());
    add->set_op("BiasAdd");
    add->set_device(bn.device());
    add->add_input(g_.node(f.conv).name());
    add->add_input(bias);
    for (int k : {f.pre_bias, f.bn}) {
      if (k < 0) continue;
      for (const auto& in : g_.node(k).input()) {
        if (!in.empty() && in[0] == '^') add->add_input(in);
      }
    }
    (*add->mutable_attr())["T"] = AttrType(DType::kFloat);
    (*add->mutable_attr())["data_format"] = AttrS(StrAttrOr(bn, "data_format", "NHWC"));
  }

  static void AddConst(const std::string& name, const Tensor& value, const std::string& device,
                       tensorflow::GraphDef* g) {
    NodeDef* c = g->add_node();
    c->set_name(name);
    c->set_op("Const");
    c->set_device(device);
    (*c->mutable_attr())["dtype"] = AttrType(DType::kFloat);
    TensorToProto(value, (*c->mutable_attr())["value"].mutable_tensor());
  }

  const tensorflow::GraphDef& g_;
  const std::set<std::string>& keep_;
  GraphUses uses_;
};

}  // namespace

std::optional<FoldResult> FoldBatchNorms(const tensorflow::GraphDef& graph,
                                         const std::set<std::string>& keep) {
  return Folder(graph, keep).Run();
}

}  // namespace tfmodel
