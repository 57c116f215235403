#include "graph/graph_uses.h"

#include "format/saved_model.h"

namespace tfmodel {

GraphUses::GraphUses(const tensorflow::GraphDef& g) : g_(g) {
  const int n = g.node_size();
  for (int i = 0; i < n; ++i) index_.emplace(g.node(i).name(), i);
  data_.resize(n);
  control_.assign(n, 0);
  for (int i = 0; i < n; ++i) {
    const tensorflow::NodeDef& nd = g.node(i);
    for (int k = 0; k < nd.input_size(); ++k) {
      TensorId id = ParseTensorName(nd.input(k));
      auto it = index_.find(id.node);
      if (it == index_.end()) continue;  // the executor reports it
      if (id.index < 0) {
        control_[it->second] = 1;
      } else {
        data_[it->second].push_back({i, k, id.index});
      }
    }
  }
}

int GraphUses::Find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? -1 : it->second;
}

const tensorflow::NodeDef* GraphUses::ConstBehind(const std::string& input,
                                                  const std::set<std::string>& keep) const {
  std::string name = input;
  for (int hops = 0; hops < 8; ++hops) {
    TensorId id = ParseTensorName(name);
    const int i = Find(id.node);
    if (i < 0 || id.index != 0) return nullptr;
    const tensorflow::NodeDef& nd = g_.node(i);
    if (keep.count(nd.name())) return nullptr;  // fed: not a constant
    if (nd.op() == "Const") return &nd;
    if (nd.op() != "Identity" || nd.input_size() < 1) return nullptr;
    name = nd.input(0);
  }
  return nullptr;
}

int NumDataInputs(const tensorflow::NodeDef& n) {
  int k = 0;
  for (const auto& in : n.input()) {
    if (!in.empty() && in[0] != '^') ++k;
  }
  return k;
}

bool IsFloatNode(const tensorflow::NodeDef& n) {
  auto it = n.attr().find("T");
  return it != n.attr().end() && it->second.type() == tensorflow::DT_FLOAT;
}

std::string StrAttrOr(const tensorflow::NodeDef& n, const std::string& name,
                      const std::string& dflt) {
  auto it = n.attr().find(name);
  return it == n.attr().end() ? dflt : it->second.s();
}

}  // namespace tfmodel
