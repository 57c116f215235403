#include "graph/graph_optimize.h"

#include <unordered_map>
#include <vector>

#include "format/saved_model.h"
#include "graph/attr_util.h"
#include "graph/graph_uses.h"

namespace tfmodel {
namespace {

using tensorflow::NodeDef;

bool IsConv(const NodeDef& n) {
  return n.op() == "Conv2D" || n.op() == "DepthwiseConv2dNative" || n.op() == "_FusedConv2D" ||
         n.op() == "_FusedDepthwiseConv2dNative";
}

bool IsActivation(const std::string& op) {
  return op == "Relu" || op == "Relu6" || op == "Elu" || op == "LeakyRelu" || op == "Sigmoid" ||
         op == "Tanh";
}

class Fuser {
 public:
  Fuser(const tensorflow::GraphDef& g, const std::set<std::string>& keep)
      : g_(g), keep_(keep), uses_(g) {}

  // The single consumer of output 0 of node i when i may be absorbed into it.
  std::optional<GraphUse> SoleUse(int i) const {
    const NodeDef& nd = g_.node(i);
    if (keep_.count(nd.name()) || uses_.has_control_use(i) || uses_.data(i).size() != 1) {
      return std::nullopt;
    }
    const GraphUse& u = uses_.data(i)[0];
    if (u.output != 0 || absorbed_[u.node]) return std::nullopt;
    return u;
  }

  // The Const behind `input` (through Identity nodes), or null.
  const NodeDef* ConstBehind(const std::string& input) const {
    return uses_.ConstBehind(input, keep_);
  }

  // Output depth of the base op, from its constant weights; -1 if unknown.
  int64_t OutputDepth(const NodeDef& base) const {
    const NodeDef* w = ConstBehind(base.input(1));
    if (w == nullptr) return -1;
    auto it = w->attr().find("value");
    if (it == w->attr().end()) return -1;
    const auto& shape = it->second.tensor().tensor_shape();
    if (base.op() == "MatMul") {
      if (shape.dim_size() != 2) return -1;
      auto tb = base.attr().find("transpose_b");
      const bool transposed = tb != base.attr().end() && tb->second.b();
      return shape.dim(transposed ? 0 : 1).size();
    }
    if (shape.dim_size() != 4) return -1;
    if (base.op() == "DepthwiseConv2dNative") return shape.dim(2).size() * shape.dim(3).size();
    return shape.dim(3).size();
  }

  // The bias input when node `j` adds a per-channel bias to the base op's output (at input
  // position `pos`); empty otherwise.
  std::string BiasOf(const NodeDef& base, const NodeDef& add, int pos) const {
    if (!IsFloatNode(add) || NumDataInputs(add) != 2) return "";
    const std::string base_fmt = StrAttrOr(base, "data_format", "NHWC");
    if (add.op() == "BiasAdd" || add.op() == "BiasAddV1") {
      if (pos != 0) return "";
      if (StrAttrOr(add, "data_format", "NHWC") != base_fmt) return "";
      return add.input(1);
    }
    if (add.op() != "Add" && add.op() != "AddV2") return "";
    if (base_fmt != "NHWC") return "";  // the constant broadcasts on the last axis
    const std::string& other = add.input(1 - pos);
    const NodeDef* c = ConstBehind(other);
    if (c == nullptr) return "";
    auto it = c->attr().find("value");
    if (it == c->attr().end() || it->second.tensor().dtype() != tensorflow::DT_FLOAT) return "";
    const auto& shape = it->second.tensor().tensor_shape();
    const int64_t depth = OutputDepth(base);
    if (shape.dim_size() != 1 || depth < 0 || shape.dim(0).size() != depth) return "";
    return other;
  }

  std::optional<FusionResult> Run() {
    const int n = g_.node_size();
    absorbed_.assign(n, 0);
    std::unordered_map<int, NodeDef> replace;  // last node's index -> fused node
    for (int i = 0; i < n; ++i) {
      const NodeDef& base = g_.node(i);
      const std::string& op = base.op();
      if (op != "Conv2D" && op != "DepthwiseConv2dNative" && op != "MatMul") continue;
      if (!IsFloatNode(base) || NumDataInputs(base) != 2 || absorbed_[i]) continue;
      std::optional<GraphUse> u = SoleUse(i);
      if (!u) continue;
      const NodeDef& add = g_.node(u->node);
      const std::string bias = BiasOf(base, add, u->input);
      if (bias.empty()) continue;
      std::vector<int> chain = {i, u->node};
      std::string side;
      std::optional<GraphUse> a = SoleUse(u->node);
      if (a && op != "MatMul") {
        // A residual: Add/AddV2 of the biased conv and another tensor.
        const NodeDef& res = g_.node(a->node);
        if ((res.op() == "Add" || res.op() == "AddV2") && IsFloatNode(res) &&
            NumDataInputs(res) == 2 && res.input_size() >= 2) {
          side = res.input(1 - a->input);
          chain.push_back(a->node);
          a = SoleUse(a->node);
        }
      }
      if (a && IsActivation(g_.node(a->node).op()) && IsFloatNode(g_.node(a->node)) &&
          NumDataInputs(g_.node(a->node)) == 1) {
        chain.push_back(a->node);
      }
      replace.emplace(chain.back(), MakeFused(chain, bias, side));
      for (size_t k = 0; k + 1 < chain.size(); ++k) absorbed_[chain[k]] = 1;
      absorbed_[chain.back()] = 1;
    }
    if (replace.empty()) return std::nullopt;
    FusionResult r;
    r.num_fused = static_cast<int>(replace.size());
    *r.graph.mutable_versions() = g_.versions();
    for (int i = 0; i < n; ++i) {
      auto it = replace.find(i);
      NodeDef* nd = nullptr;
      if (it != replace.end()) {
        nd = r.graph.add_node();
        *nd = std::move(it->second);
      } else if (!absorbed_[i]) {
        nd = r.graph.add_node();
        *nd = g_.node(i);
      }
      if (nd != nullptr && IsConv(*nd) && nd->input_size() >= 2 &&
          ConstBehind(nd->input(1)) != nullptr) {
        (*nd->mutable_attr())[kConstantFilterAttr] = AttrB(true);
      }
    }
    return r;
  }

 private:
  // chain: base, bias add, [residual add,] [activation].
  NodeDef MakeFused(const std::vector<int>& chain, const std::string& bias,
                    const std::string& side) const {
    const NodeDef& base = g_.node(chain[0]);
    const NodeDef& last = g_.node(chain.back());
    NodeDef f;
    f.set_name(last.name());
    f.set_op("_Fused" + base.op());
    f.set_device(base.device());
    for (const auto& in : base.input()) {
      if (!in.empty() && in[0] != '^') f.add_input(in);
    }
    f.add_input(bias);
    if (!side.empty()) f.add_input(side);
    std::set<std::string> controls;
    for (int k : chain) {
      for (const auto& in : g_.node(k).input()) {
        if (!in.empty() && in[0] == '^' && controls.insert(in).second) f.add_input(in);
      }
    }
    *f.mutable_attr() = base.attr();
    std::vector<std::string> ops = {"BiasAdd"};
    if (!side.empty()) ops.push_back("Add");
    if (chain.size() == (side.empty() ? 3u : 4u)) {
      ops.push_back(last.op());
      if (last.op() == "LeakyRelu") {
        auto it = last.attr().find("alpha");
        (*f.mutable_attr())["leakyrelu_alpha"] =
            AttrF(it == last.attr().end() ? 0.2f : it->second.f());
      }
    }
    (*f.mutable_attr())["fused_ops"] = AttrSList(ops);
    (*f.mutable_attr())["num_args"] = AttrI(side.empty() ? 1 : 2);
    return f;
  }

  const tensorflow::GraphDef& g_;
  const std::set<std::string>& keep_;
  GraphUses uses_;
  std::vector<char> absorbed_;
};

}  // namespace

std::optional<FusionResult> FuseBiasActivation(const tensorflow::GraphDef& graph,
                                               const std::set<std::string>& keep) {
  return Fuser(graph, keep).Run();
}

}  // namespace tfmodel
