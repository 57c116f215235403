#include "graph/prune.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "format/saved_model.h"

namespace tfmodel {
namespace {

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::vector<std::string> CloseNames(const std::string& name,
                                    const std::vector<std::string>& candidates, size_t max) {
  // Names that contain the query rank first, then by edit distance.
  std::vector<std::tuple<bool, size_t, std::string>> scored;
  for (const auto& c : candidates) {
    bool related =
        c.find(name) != std::string::npos || (!c.empty() && name.find(c) != std::string::npos);
    scored.emplace_back(!related, EditDistance(name, c), c);
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (const auto& [no_substring, d, c] : scored) {
    if (out.size() >= max) break;
    if (d > std::max<size_t>(3, name.size() / 2) && no_substring) continue;
    out.push_back(c);
  }
  return out;
}

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
      auto close = CloseNames(node, names);
      return absl::NotFoundError(absl::StrCat(
          "node '", node, "' is not in the graph",
          close.empty() ? "" : absl::StrCat("; did you mean: ", absl::StrJoin(close, ", "), "?")));
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
