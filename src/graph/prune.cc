#include "graph/prune.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/close_names.h"
#include "format/saved_model.h"

namespace tfmodel {

absl::StatusOr<std::set<std::string>> ReachableNodes(const tensorflow::GraphDef& graph,
                                                     const std::vector<std::string>& roots,
                                                     const std::set<std::string>& stops) {
  std::map<std::string, const tensorflow::NodeDef*> by_name;
  std::vector<std::string> names;
  for (const auto& n : graph.node()) {
    by_name[n.name()] = &n;
    names.push_back(n.name());
  }
  std::set<std::string> seen;
  std::vector<std::string> stack;
  for (const auto& r : roots) {
    std::string node = ParseTensorName(r).node;
    if (!by_name.count(node)) {
      return absl::NotFoundError(
          absl::StrCat("node '", node, "' is not in the graph", DidYouMean(node, names)));
    }
    stack.push_back(node);
  }
  while (!stack.empty()) {
    std::string n = stack.back();
    stack.pop_back();
    if (!seen.insert(n).second || stops.count(n)) continue;
    for (const auto& in : by_name[n]->input()) {
      std::string src = ParseTensorName(in).node;
      if (!by_name.count(src)) {
        return absl::InvalidArgumentError(
            absl::StrCat("node '", n, "' has input '", in, "' that names no node in the graph"));
      }
      if (!seen.count(src)) stack.push_back(src);
    }
  }
  return seen;
}

tensorflow::GraphDef KeepNodes(const tensorflow::GraphDef& graph,
                               const std::set<std::string>& keep) {
  tensorflow::GraphDef out;
  *out.mutable_versions() = graph.versions();
  *out.mutable_library() = graph.library();
  for (const auto& n : graph.node()) {
    if (keep.count(n.name())) *out.add_node() = n;
  }
  return out;
}

}  // namespace tfmodel
